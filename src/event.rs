//! The registry-neutral event: what any sender said happened to one repository. Webhook
//! parsers produce it, the tracker consumes it; nothing here or below knows a registry.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What happened to the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Push,
    Delete,
    Quarantine,
    /// A reference set by hand through `POST /api/reference`; tracked like a push.
    Manual,
    /// The registry itself says the tag points at the digest (reconciliation: a lost push or a
    /// missing or wrong digest); tracked like a push.
    Reconcile,
    /// The registry no longer has the tag (reconciliation: a lost delete); the tag is withdrawn
    /// until a later push of it.
    Untag,
    /// An action this version does not track, kept by name: event logs written by earlier
    /// versions hold such entries (ACR's legacy `chart_push`), and history shows them as written.
    Untracked(String),
}

impl Action {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Push => "push",
            Self::Delete => "delete",
            Self::Quarantine => "quarantine",
            Self::Manual => "manual",
            Self::Reconcile => "reconcile",
            Self::Untag => "untag",
            Self::Untracked(name) => name,
        }
    }

    /// Push, manual and reconcile make a tag live.
    pub fn publishes(&self) -> bool {
        matches!(self, Self::Push | Self::Manual | Self::Reconcile)
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(match name.as_str() {
            "push" => Self::Push,
            "delete" => Self::Delete,
            "quarantine" => Self::Quarantine,
            "manual" => Self::Manual,
            "reconcile" => Self::Reconcile,
            "untag" => Self::Untag,
            _ => Self::Untracked(name),
        })
    }
}

/// One event about one repository of one registry, validated against the OCI grammar.
/// The field names are those of the stored event log, which earlier versions wrote too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The delivery id: opaque and sender-chosen (or derived from the content when the sender
    /// gives none); the key for recognising redeliveries.
    pub id: String,
    pub action: Action,
    /// When the registry says it happened; `None` when the payload did not say.
    #[serde(rename = "timestamp")]
    pub occurred_at: Option<Timestamp>,
    /// The registry host as clients pull from it (`myregistry.azurecr.io`, `ghcr.io`). Only
    /// events logged by ociref 0.1 for legacy ACR charts lack it.
    pub host: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    /// Which sender delivered it (`acr`, `distribution`, ...); `None` in logs of ociref 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Event {
    /// `host/repository`: the name everything is keyed by.
    pub fn name(&self) -> Option<String> {
        self.host
            .as_ref()
            .map(|host| format!("{host}/{}", self.repository))
    }
}
