//! CNCF Distribution notifications (`application/vnd.docker.distribution.events.v1+json`): an
//! envelope of events, sent by Distribution itself and by the registries built on it (GitLab's,
//! Harbor's embedded registry). A push sends every blob before its manifest, pulls and mounts
//! are reported too; only manifest pushes and manifest deletes change what a repository shows.
//! A tag delete always follows its manifest's delete and changes nothing more.

use super::fields::{
    at_most, bounded, derived_id, digest, host, json, non_empty, repository, required, rfc3339, tag,
};
use super::{events_or, Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "distribution",
    proof: Proof::TokenHeader,
    parse,
    batches: true,
};

#[derive(Deserialize)]
struct Envelope {
    events: Vec<Notification>,
}

#[derive(Deserialize)]
struct Notification {
    id: Option<String>,
    timestamp: Option<String>,
    action: String,
    #[serde(default)]
    target: Target,
    request: Option<RequestInfo>,
}

#[derive(Default, Deserialize)]
struct Target {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    digest: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RequestInfo {
    host: Option<String>,
}

impl Target {
    /// Manifest events name a `/manifests/` URL or a manifest or index media type; blob events
    /// a `/blobs/` URL and `application/octet-stream` or a layer type.
    fn is_manifest(&self) -> bool {
        let by_url = self.url.as_deref().map(|u| u.contains("/manifests/"));
        let by_type = self
            .media_type
            .as_deref()
            .map(|t| t.contains("manifest") || t.ends_with("image.index.v1+json"));
        by_url.or(by_type).unwrap_or(false)
    }

    fn is_blob(&self) -> bool {
        self.url.as_deref().is_some_and(|u| u.contains("/blobs/"))
            || self.media_type.as_deref() == Some("application/octet-stream")
    }
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let envelope: Envelope = json(payload.body)?;
    let mut events = Vec::new();
    for n in at_most("events", envelope.events)? {
        let action = match n.action.as_str() {
            "push" => Action::Push,
            // A manifest delete names its digest; a tag delete (no digest) follows it.
            // (Distribution 3 writes the absent digest as "").
            "delete" if n.target.digest.as_deref().is_some_and(|d| !d.is_empty()) => Action::Delete,
            _ => continue,
        };
        // A manifest delete may name neither URL nor type; only a blob is sure to be one.
        let tracked = match action {
            Action::Push => n.target.is_manifest(),
            _ => !n.target.is_blob(),
        };
        if !tracked {
            continue;
        }
        let what = format!("a manifest {} event", n.action);
        let repository = repository(required(
            "target.repository",
            &what,
            non_empty(n.target.repository),
        )?)?;
        let digest = required("target.digest", &what, digest(n.target.digest)?)?;
        let host = host(required(
            "request.host",
            &what,
            non_empty(n.request.and_then(|r| r.host)),
        )?)?;
        let occurred_at = rfc3339("timestamp", n.timestamp.as_deref())?;
        let tag = tag(n.target.tag)?;
        let id = bounded("id", n.id)?.unwrap_or_else(|| {
            derived_id(&[
                &n.action,
                &repository,
                &digest,
                n.timestamp.as_deref().unwrap_or(""),
            ])
        });
        events.push(Event {
            occurred_at,
            tag,
            digest: Some(digest),
            media_type: bounded("target.mediaType", n.target.media_type)?,
            ..SENDER.event(id, action, host, repository)
        });
    }
    Ok(events_or(
        events,
        "no manifest push or delete in this envelope (blobs, pulls and mounts change nothing)",
    ))
}
