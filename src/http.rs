//! Plain HTTP request and response values: what the host module builds from `wasi:http` and what the
//! app answers. No bindings here, so everything above it is tested natively.

use serde::Serialize;

/// Webhook payloads are about 1 KiB; anything over this is refused with 413 while reading.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long the host module waits for a whole body. A body can stall for good: on wasmCloud 1.x it is
/// a wRPC stream from the HTTP server provider, and when the client goes away mid-request the
/// rest never comes and no error does either, so without a deadline the invocation (and its
/// instance) would wait out the host's execution limit, 10 minutes by default.
pub const BODY_DEADLINE_SECONDS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Other,
}

impl Method {
    /// Whether ociref reads a body for this method: GET, HEAD and DELETE bodies mean nothing
    /// here, and not waiting for them keeps an abandoned read from holding an instance.
    pub fn carries_body(self) -> bool {
        matches!(self, Self::Post | Self::Put | Self::Other)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Complete(Vec<u8>),
    /// The reader stopped at the cap; the rest was never buffered.
    TooLarge,
    /// The body did not arrive in full within `BODY_DEADLINE_SECONDS`.
    TimedOut,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The path without the query, as sent (not percent-decoded).
    pub path: String,
    pub query: String,
    /// Every header as sent, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The raw body: a signature is checked over exactly these bytes.
    pub body: Body,
}

/// The value of header `name` (case-insensitive), the first one if it was sent twice.
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Request {
    /// A request with an empty body and no headers, for tests and the host to fill in.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Body::Complete(Vec::new()),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn with_json(self, body: impl Into<Vec<u8>>) -> Self {
        self.with_body("application/json", body)
    }

    pub fn with_body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Complete(body.into());
        self.with_header("content-type", content_type)
    }

    pub fn with_authorization(self, value: &str) -> Self {
        self.with_header("authorization", value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// What went wrong behind a 5xx, for the log only; never sent.
    pub log: Option<String>,
}

impl Response {
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        // Serializing our own plain structs cannot fail; keep a valid body if it ever does.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Self::with_body(status, "application/json", body)
    }

    pub fn with_body(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body,
            log: None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
