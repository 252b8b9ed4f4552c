//! The JSON bodies the app answers with. Fields are declared in alphabetical order and an
//! absent value is `null` unless it says otherwise: the first release built these with
//! `serde_json::json!`, which sorts keys, and clients and the README show those exact bytes.
//! Plain structs keep `serde_json::Value` and its map and number code out of the component.

use crate::event::Action;
use crate::http::Response;
use crate::reference::Reference;
use crate::tracking::{Listed, LogEntry, Published};
use serde::{Serialize, Serializer};

/// What `GET /` lists, sorted by key.
const ENDPOINTS: &[(&str, &str)] = &[
    (
        "GET /<host>/<repository>",
        "shields.io endpoint badge (query: format=ref|tag|pinned, label, color, logo); /<repository> when one registry has the name",
    ),
    (
        "GET /<name>.atom",
        "Atom feed of a repository's releases, newest first; /.atom: every repository's",
    ),
    (
        "GET /<name>.svg",
        "the badge as an SVG image, always 200 (query as the JSON badge, and style=flat|flat-square|plastic|social|for-the-badge)",
    ),
    (
        "GET /api/categories/<category>",
        "a named list with current references",
    ),
    (
        "GET /api/history/<name>?limit=N",
        "recent events, newest first (N up to 100)",
    ),
    ("GET /api/refs", "every tracked repository (?cursor, ?limit up to 1000)"),
    ("GET /api/refs/<name>", "the current reference record"),
    ("GET /healthz", "200 when the store answers"),
    (
        "POST /api/azurehook",
        "Azure Container Registry webhook (Authorization: Bearer <token>), as /api/hooks/acr",
    ),
    (
        "POST /api/hooks/<registry>",
        "registry webhook: acr, distribution, harbor, ecr (Authorization: Bearer <token>), ghcr (X-Hub-Signature-256)",
    ),
    (
        "POST /api/hooks/<registry>/<token>",
        "registry webhook for senders that cannot set a header: dockerhub, quay, gar",
    ),
    (
        "POST /api/reconcile",
        "check every tracked repository of every configured registry against the registry and correct it (token required; resumes)",
    ),
    (
        "POST /api/reconcile/<host>/<repository>",
        "check one repository against its registry and correct it (token required)",
    ),
    (
        "POST /api/reference",
        "set a reference by hand: {\"name\", \"url\"}",
    ),
    (
        "PUT|DELETE /api/categories/<category>/<name>",
        "add to or remove from a list",
    ),
];

pub fn index() -> Response {
    Response::json(
        200,
        &Index {
            endpoints: Endpoints(ENDPOINTS),
            service: "ociref",
        },
    )
}

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

/// A delivery with nothing to track.
#[derive(Serialize)]
pub struct Ignored<'a> {
    pub outcome: &'static str,
    pub reason: &'a str,
    pub sender: &'static str,
}

/// The answer to a recorded event. Absent beats null for what does not apply; `latest`
/// stays, null meaning "none".
#[derive(Serialize)]
pub struct RecordedAnswer {
    pub action: Action,
    pub latest: Option<SortedRecord>,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Stored>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_tags: Option<usize>,
}

/// The answer to a delivery of several events: one answer each, in order.
#[derive(Serialize)]
pub struct Batch {
    pub events: Vec<RecordedAnswer>,
}

#[derive(Serialize)]
pub struct Stored {
    pub tag: String,
}

/// The record `/api/refs/<name>` shows, in this field order.
#[derive(Debug, Serialize)]
pub struct RefRecord {
    pub name: String,
    pub registry: String,
    pub repository: String,
    pub tag: String,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub reference: String,
    pub pinned: String,
    pub pushed_at: String,
    pub event_id: String,
    pub policy: &'static str,
    /// When the registry last confirmed it (reconciliation); absent until it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// Verifications that failed since the last success; absent when none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_failures: Option<u32>,
}

impl RefRecord {
    pub fn of(host: &str, repository: &str, latest: &Published) -> Option<Self> {
        let c = latest.current.as_ref()?;
        let verification = latest.verification.as_ref();
        let reference = Reference {
            host: host.to_owned(),
            repository: repository.to_owned(),
            tag: c.tag.clone(),
            digest: c.record.digest.clone(),
        };
        Some(Self {
            name: format!("{host}/{repository}"),
            registry: host.to_owned(),
            repository: repository.to_owned(),
            tag: c.tag.clone(),
            digest: c.record.digest.clone(),
            media_type: c.record.media_type.clone(),
            reference: reference.to_string(),
            pinned: reference.pinned(),
            pushed_at: c.record.pushed.at.to_string(),
            event_id: c.record.pushed.id.clone(),
            policy: latest.selection.policy.as_str(),
            verified_at: verification
                .and_then(|v| v.verified_at)
                .map(|t| t.to_string()),
            verification_failures: verification.map(|v| v.failures).filter(|n| *n > 0),
        })
    }

    /// The same record with its keys sorted, as the webhook answer nests it.
    pub fn sorted(self) -> SortedRecord {
        SortedRecord {
            digest: self.digest,
            event_id: self.event_id,
            media_type: self.media_type,
            name: self.name,
            pinned: self.pinned,
            policy: self.policy,
            pushed_at: self.pushed_at,
            reference: self.reference,
            registry: self.registry,
            repository: self.repository,
            tag: self.tag,
        }
    }
}

#[derive(Serialize)]
pub struct SortedRecord {
    pub digest: Option<String>,
    pub event_id: String,
    pub media_type: Option<String>,
    pub name: String,
    pub pinned: String,
    pub policy: &'static str,
    pub pushed_at: String,
    pub reference: String,
    pub registry: String,
    pub repository: String,
    pub tag: String,
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
    pub action: &'a Action,
    pub digest: Option<&'a str>,
    pub host: Option<&'a str>,
    pub id: &'a str,
    pub outcome: &'a str,
    pub recorded_at: String,
    pub repository: &'a str,
    pub seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub timestamp: String,
}

/// `host/repository`, or the repository alone where no host is known (a category member not
/// tracked yet, an ociref 0.1 record with no tag left).
pub fn display_name(host: &str, repository: &str) -> String {
    if host.is_empty() {
        repository.to_owned()
    } else {
        format!("{host}/{repository}")
    }
}

pub fn summaries(listed: Vec<Listed>) -> Vec<Summary> {
    listed
        .into_iter()
        .map(|l| {
            let record = l
                .latest
                .as_ref()
                .and_then(|latest| RefRecord::of(&l.host, &l.repository, latest));
            let (reference, pinned) = record.map(|r| (r.reference, r.pinned)).unzip();
            Summary {
                name: display_name(&l.host, &l.repository),
                pinned,
                reference,
            }
        })
        .collect()
}

pub fn history_item(e: &LogEntry) -> HistoryItem<'_> {
    HistoryItem {
        action: &e.event.action,
        digest: e.event.digest.as_deref(),
        host: e.event.host.as_deref(),
        id: &e.event.id,
        outcome: &e.outcome,
        recorded_at: e.recorded_at.to_string(),
        repository: &e.event.repository,
        seq: e.seq,
        source: e.event.source.as_deref(),
        tag: e.event.tag.as_deref(),
        timestamp: e.event.occurred_at.unwrap_or(e.order.at).to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_index_lists_endpoints_in_key_order() {
        // `Endpoints` writes them as given; the first release's `json!` sorted them.
        assert!(super::ENDPOINTS.windows(2).all(|w| w[0].0 < w[1].0));
    }
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
