//! An OCI Distribution API client, sans-IO: it builds plain outgoing requests and reads plain
//! responses; a [`Transport`] sends them (`wasi:http/outgoing-handler` in `host`, a scripted
//! fake registry in tests). Nothing here knows the store or the event log.
//!
//! Which servers it talks to: the configured base URL of a configured registry, and a Bearer
//! token realm only when its authority is that registry's own or listed in
//! `registry.<host>.token_realm_hosts`. A `Link` to another server is refused, and redirects are
//! not followed, so no payload or response can point a request of ours at another address.
//! Credentials go only into `Authorization` headers; no error message or `Debug` output
//! carries them: errors name the registry host and an HTTP status.

mod client;
pub mod config;
pub mod url;

pub use client::{Budget, Client, Manifest, TagsPage, PAGE_SIZE};
pub use config::RegistryConfig;

use std::fmt;

/// The most of a registry response that is read (a page of 1000 tags is about 30 KB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long the host waits for a registry (connect, first byte, between bytes), each.
pub const TIMEOUT_SECONDS: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

/// One request to a registry or its token realm.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: Method,
    pub url: url::Url,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
}

// Hand-written: `authorization` holds a credential or a token.
impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if n == "authorization" {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("url", &self.url.to_string())
            .field("headers", &headers)
            .finish()
    }
}

impl Outgoing {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.headers, name)
    }
}

/// What came back: the status, headers (names in lower case) and at most
/// [`MAX_RESPONSE_BYTES`] of body (a HEAD has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.headers, name)
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Connection refused, DNS, TLS, timeout: the message is the host's, without secrets.
    Unreachable(String),
    /// The body was longer than [`MAX_RESPONSE_BYTES`].
    TooLarge,
}

/// Sends one request. The host's implementation follows no redirect.
pub trait Transport {
    fn send(&self, request: &Outgoing) -> Result<Incoming, TransportError>;
}

/// A host that cannot make outgoing requests (and the transport of [`crate::api::handle`]).
pub struct Offline;

impl Transport for Offline {
    fn send(&self, _: &Outgoing) -> Result<Incoming, TransportError> {
        Err(TransportError::Unreachable(
            "this host makes no outgoing HTTP requests".into(),
        ))
    }
}

/// How a registry failed us, as an answer may say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 401/403 from the registry or its token realm: missing or wrong credentials.
    Unauthorized,
    /// Unreachable, timed out, 5xx or 429: try again later.
    Unavailable,
    /// An answer we cannot use, or a server we will not ask.
    Refused,
}

impl FailureKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unauthorized => "registry-unauthorized",
            Self::Unavailable => "registry-unavailable",
            Self::Refused => "registry-refused",
        }
    }
}

/// A registry failure: its kind and a message naming the registry host and the HTTP status,
/// never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub kind: FailureKind,
    pub message: String,
}

impl RegistryError {
    pub fn new(kind: FailureKind, message: String) -> Self {
        Self { kind, message }
    }

    /// What an unexpected status means, for `what` (e.g. "the tag list") of `host`.
    pub fn status(host: &str, status: u16, what: &str) -> Self {
        let kind = match status {
            401 | 403 => FailureKind::Unauthorized,
            429 | 500.. => FailureKind::Unavailable,
            _ => FailureKind::Refused,
        };
        let hint = match kind {
            FailureKind::Unauthorized => format!(
                "; check registry.{host}.username and registry.{host}.password (the credential needs pull rights)"
            ),
            _ => String::new(),
        };
        Self::new(
            kind,
            format!("registry {host} answered {status} to {what}{hint}"),
        )
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a step stopped: the request budget ran out (continue later) or the registry failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Budget,
    Failed(RegistryError),
}

impl From<RegistryError> for Stop {
    fn from(e: RegistryError) -> Self {
        Self::Failed(e)
    }
}
