//! Registry webhooks: one module per sender, each turning its payload into registry-neutral
//! [`Event`]s. A sender is declared once, in [`SENDERS`]: its name in the route
//! (`/api/hooks/<name>`), how it proves who it is, and its parser. Parsers are pure: bytes and
//! headers in, [`Parsed`] out; they never touch the store.

pub mod acr;
pub mod distribution;
pub mod dockerhub;
pub mod ecr;
mod fields;
pub mod gar;
pub mod ghcr;
pub mod harbor;
pub mod quay;

use crate::error::Error;
use crate::event::{Action, Event};

/// The most events one delivery may carry; a Distribution envelope of a large push holds a
/// few dozen, so more is an attack or a bug.
pub const MAX_EVENTS: usize = 100;

/// What a delivery turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// The sender checks the wiring; nothing changes.
    Ping,
    /// Events ociref tracks (at least one), in the order the sender listed them.
    Events(Vec<Event>),
    /// Well-formed, but nothing ociref tracks; answered 200 so the sender logs no failure.
    Ignored(String),
}

/// A delivery as a parser sees it: the raw body and every header.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    pub body: &'a [u8],
    pub headers: &'a [(String, String)],
}

impl Payload<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(self.headers, name)
    }
}

/// Why a parser refused a delivery. Mapped into [`Error`] at the edge: invalid JSON and an
/// invalid payload are different client errors.
#[derive(Debug)]
pub enum WebhookError {
    Json(serde_json::Error),
    Invalid(String),
}

impl From<WebhookError> for Error {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Json(e) => Error::invalid_json(e),
            WebhookError::Invalid(message) => Error::InvalidPayload(message),
        }
    }
}

impl From<crate::reference::InvalidReference> for WebhookError {
    fn from(e: crate::reference::InvalidReference) -> Self {
        Self::Invalid(e.0)
    }
}

/// How a sender proves a delivery is ours to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// `Authorization: Bearer <token>` (or the bare token): senders that let the user set a header.
    TokenHeader,
    /// The token as the last path segment: senders that cannot set a header of ours.
    TokenInPath,
    /// GitHub's `X-Hub-Signature-256`, an HMAC-SHA256 of the raw body.
    GithubSignature,
}

/// One webhook sender.
#[derive(Debug)]
pub struct Sender {
    /// The route segment and the config prefix of its own token (`<name>_token`).
    pub name: &'static str,
    pub proof: Proof,
    pub parse: fn(Payload<'_>) -> Result<Parsed, WebhookError>,
    /// Whether one delivery can carry several events (the answer lists them); ACR's answer
    /// describes its one event, as it always has.
    pub batches: bool,
}

impl Sender {
    /// An event of this sender about `host/repository`; the parser fills in what it knows of
    /// tag, digest, time and media type.
    pub fn event(&self, id: String, action: Action, host: String, repository: String) -> Event {
        Event {
            id,
            action,
            occurred_at: None,
            host: Some(host),
            repository,
            tag: None,
            digest: None,
            media_type: None,
            source: Some(self.name.into()),
        }
    }
}

/// Senders are told apart by name (routes compare them).
impl PartialEq for Sender {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Sender {}

pub const SENDERS: &[Sender] = &[
    acr::SENDER,
    distribution::SENDER,
    harbor::SENDER,
    ghcr::SENDER,
    dockerhub::SENDER,
    quay::SENDER,
    gar::SENDER,
    ecr::SENDER,
];

pub fn sender(name: &str) -> Option<&'static Sender> {
    SENDERS.iter().find(|s| s.name == name)
}

/// The action `name` stands for in a sender's `table`, or the answer that it is not tracked.
fn action(name: &str, table: &[(&str, Action)]) -> Result<Action, Parsed> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| a.clone())
        .ok_or_else(|| {
            let tracked: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            Parsed::Ignored(format!(
                "ociref tracks {}, not {}",
                tracked.join(", "),
                fields::shown(name)
            ))
        })
}

/// The events a parser found, or why there is nothing to track.
fn events_or(events: Vec<Event>, why_none: &str) -> Parsed {
    if events.is_empty() {
        Parsed::Ignored(why_none.to_owned())
    } else {
        Parsed::Events(events)
    }
}
