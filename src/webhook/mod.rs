//! Registry webhooks: one module per registry format, each turning its payload into the one
//! internal [`Delivery`] the tracker understands. Parsers are pure and never touch the store.

pub mod acr;

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// What a registry said happened to a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Push,
    Delete,
    Quarantine,
    ChartPush,
    ChartDelete,
    /// A reference set by hand through `POST /api/reference`; tracked like a push.
    Manual,
}

/// One event about one repository, validated against the OCI grammar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Opaque and registry-chosen; the key for de-duplicating redeliveries.
    pub id: String,
    pub action: Action,
    /// When the registry says it happened; `None` when the payload did not say.
    pub timestamp: Option<Timestamp>,
    pub host: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub media_type: Option<String>,
}

/// Everything a webhook request can turn out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Ping,
    Event(Event),
    /// Well-formed, but nothing ociref tracks; answered 200 so the registry does not log a failure.
    Unsupported {
        action: String,
        reason: String,
    },
}
