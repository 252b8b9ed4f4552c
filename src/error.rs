//! The one error type of the request path: each variant decides its status code, its
//! machine-readable code and a message that is safe to show a client. A backend failure keeps
//! its detail for the log only.

use crate::http::Response;
use crate::reference::InvalidReference;
use crate::store::StoreError;
use serde::Serialize;

/// The most of a parser's message an error shows (it may quote the client's input).
const MAX_QUOTED_CHARS: usize = 200;

#[derive(Debug)]
pub enum Error {
    /// The body is not the JSON we accept (syntax, types, duplicate or missing keys).
    InvalidJson(String),
    /// Well-formed JSON whose content breaks a rule (grammar, required field).
    InvalidPayload(String),
    /// A name in the path is not acceptable.
    InvalidName(String),
    /// A query parameter's value is not acceptable.
    InvalidQuery(String),
    Unauthorized(&'static str),
    /// Writes are refused because no token is configured.
    TokenNotConfigured,
    NotFound(String),
    MethodNotAllowed(&'static str),
    /// The body did not arrive in time (a client that stalled or went away).
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Conflict(String),
    Store(StoreError),
    /// The host gave a configuration ociref cannot use; the message names the key only.
    Misconfigured(String),
    /// A reconciliation named a registry that is not configured (none is ever contacted).
    RegistryNotConfigured(String),
    /// The registry failed us; the message names its host and the HTTP status only.
    Registry(crate::registry::RegistryError),
}

impl Error {
    pub fn invalid_json(e: serde_json::Error) -> Self {
        let mut reason = e.to_string();
        // serde quotes a wrong-typed string or an unknown field name whole: never echo a
        // client's 60 KB back to it. The position still says where to look.
        if let Some((cut, _)) = reason.char_indices().nth(MAX_QUOTED_CHARS) {
            reason.truncate(cut);
            reason = format!("{reason}... at line {} column {}", e.line(), e.column());
        }
        Self::InvalidJson(format!(
            "body is not valid JSON for this endpoint: {reason}"
        ))
    }

    pub fn invalid_payload(message: String) -> Self {
        Self::InvalidPayload(message)
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidJson(_)
            | Self::InvalidPayload(_)
            | Self::InvalidName(_)
            | Self::InvalidQuery(_)
            | Self::RegistryNotConfigured(_) => 400,
            Self::Unauthorized(_) | Self::TokenNotConfigured => 401,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::RequestTimeout => 408,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Misconfigured(_) => 500,
            Self::Store(_) => 503,
            Self::Registry(_) => 502,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson(_) => "invalid-json",
            Self::InvalidPayload(_) => "invalid-payload",
            Self::InvalidName(_) => "invalid-name",
            Self::InvalidQuery(_) => "invalid-query",
            Self::Unauthorized(_) => "unauthorized",
            Self::TokenNotConfigured => "token-not-configured",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed(_) => "method-not-allowed",
            Self::RequestTimeout => "request-timeout",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Misconfigured(_) => "misconfigured",
            Self::Store(_) => "store-unavailable",
            Self::RegistryNotConfigured(_) => "registry-not-configured",
            Self::Registry(e) => e.kind.code(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::InvalidJson(m)
            | Self::InvalidPayload(m)
            | Self::InvalidName(m)
            | Self::InvalidQuery(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Misconfigured(m) => m.clone(),
            Self::RegistryNotConfigured(host) => format!(
                "registry {host} is not configured: ociref only asks registries named by registry.<host>.url, .username or .password"
            ),
            Self::Registry(e) => e.message.clone(),
            Self::Unauthorized(m) => (*m).to_owned(),
            Self::TokenNotConfigured => "writes are disabled: no webhook_token is configured. Set the \
                component config key webhook_token (and send it as `Authorization: Bearer <token>`), \
                or set allow_unauthenticated=true for local trials only"
                .to_owned(),
            Self::MethodNotAllowed(allow) => format!("method not allowed here; allowed: {allow}"),
            Self::RequestTimeout => format!(
                "request body did not arrive within {} s",
                crate::http::BODY_DEADLINE_SECONDS
            ),
            Self::PayloadTooLarge => format!(
                "request body is larger than {} bytes",
                crate::http::MAX_BODY_BYTES
            ),
            Self::UnsupportedMediaType => "Content-Type must be application/json".to_owned(),
            Self::Store(_) => "the key-value store is unavailable; try again later".to_owned(),
        }
    }

    /// The detail worth logging: for a store failure, what the store said.
    pub fn log_detail(&self) -> String {
        match self {
            Self::Store(e) => format!("store error: {}", e.0),
            other => other.message(),
        }
    }

    pub fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Detail<'a>,
        }
        #[derive(Serialize)]
        struct Detail<'a> {
            code: &'a str,
            message: String,
        }
        let mut response = Response::json(
            self.status(),
            &Body {
                error: Detail {
                    code: self.code(),
                    message: self.message(),
                },
            },
        );
        if let Self::MethodNotAllowed(allow) = self {
            response.headers.push(("allow", allow.to_owned()));
        }
        response
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<InvalidReference> for Error {
    fn from(e: InvalidReference) -> Self {
        Self::InvalidPayload(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_hide_their_detail() {
        let e = Error::Store(StoreError("redis://:hunter2@10.0.0.1 refused".into()));
        let r = e.into_response();
        assert_eq!(r.status, 503);
        let body = String::from_utf8(r.body).unwrap();
        assert!(
            !body.contains("hunter2") && !body.contains("10.0.0.1"),
            "{body}"
        );
        assert!(body.contains(r#""code":"store-unavailable""#));
    }

    #[test]
    fn a_parser_message_quoting_the_input_is_cut_short() {
        let long = format!(r#"{{"a":"{}"}}"#, "é".repeat(30_000));
        let e = serde_json::from_str::<std::collections::BTreeMap<String, u8>>(&long).unwrap_err();
        let message = Error::invalid_json(e).message();
        assert!(message.len() < 600, "{} bytes", message.len());
        assert!(message.ends_with("at line 1 column 60007"), "{message}");
        let short = serde_json::from_str::<u8>("x").unwrap_err();
        assert_eq!(
            Error::invalid_json(short).message(),
            "body is not valid JSON for this endpoint: expected value at line 1 column 1"
        );
    }

    #[test]
    fn method_not_allowed_sets_allow() {
        let r = Error::MethodNotAllowed("GET, HEAD").into_response();
        assert_eq!(r.status, 405);
        assert!(r.headers.contains(&("allow", "GET, HEAD".to_owned())));
    }
}
