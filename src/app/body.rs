//! The JSON bodies the app answers with. Fields are declared in alphabetical order and an
//! absent value is `null` unless it says otherwise: the first release built these with
//! `serde_json::json!`, which sorts keys, and clients and the README show those exact bytes.
//! Plain structs keep `serde_json::Value` and its map and number code out of the component.

use crate::webhook::Action;
use serde::{Serialize, Serializer};

/// The endpoint table `GET /` shows, as a JSON object in the order given (keep it sorted).
pub struct Endpoints(pub &'static [(&'static str, &'static str)]);

impl Serialize for Endpoints {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().copied())
    }
}

#[derive(Serialize)]
pub struct Index {
    pub endpoints: Endpoints,
    pub service: &'static str,
}

#[derive(Serialize)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct Pong {
    pub action: &'static str,
    pub authenticated: bool,
    pub outcome: &'static str,
}

#[derive(Serialize)]
pub struct Ignored<'a> {
    pub action: &'a str,
    pub outcome: &'static str,
    pub reason: &'a str,
}

/// The answer to a recorded event. Absent beats null for what does not apply; `latest`
/// stays, null meaning "none".
#[derive(Serialize)]
pub struct Recorded<'a> {
    pub action: Action,
    pub latest: Option<SortedRecord<'a>>,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub repository: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Stored<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_tags: Option<usize>,
}

#[derive(Serialize)]
pub struct Stored<'a> {
    pub tag: &'a str,
}

/// A reference record with its keys sorted, as the webhook answer nests it (`/api/refs/<name>`
/// writes the record in its own field order).
#[derive(Serialize)]
pub struct SortedRecord<'a> {
    pub digest: Option<&'a str>,
    pub event_id: &'a str,
    pub media_type: Option<&'a str>,
    pub name: &'a str,
    pub pinned: &'a str,
    pub policy: &'static str,
    pub pushed_at: &'a str,
    pub reference: &'a str,
    pub registry: &'a str,
    pub repository: &'a str,
    pub tag: &'a str,
}

/// One repository of a listing.
#[derive(Serialize)]
pub struct Summary {
    pub name: String,
    pub pinned: Option<String>,
    pub reference: Option<String>,
}

#[derive(Serialize)]
pub struct Listing {
    pub next_cursor: Option<u64>,
    pub repositories: Vec<Summary>,
}

#[derive(Serialize)]
pub struct History<'a> {
    pub events: Vec<HistoryItem<'a>>,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct HistoryItem<'a> {
    pub action: Action,
    pub digest: Option<&'a str>,
    pub host: Option<&'a str>,
    pub id: &'a str,
    pub outcome: &'a str,
    pub recorded_at: String,
    pub repository: &'a str,
    pub seq: u64,
    pub tag: Option<&'a str>,
    pub timestamp: String,
}

#[derive(Serialize)]
pub struct Category<'a> {
    pub category: &'a str,
    pub members: Vec<Summary>,
}

#[derive(Serialize)]
pub struct Membership<'a> {
    pub category: &'a str,
    pub member: bool,
    pub name: &'a str,
}
