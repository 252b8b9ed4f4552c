//! Azure Container Registry webhooks (`push`, `delete`, `quarantine`, `ping`; legacy Helm
//! `chart_push` / `chart_delete` are answered and ignored). Real deliveries omit fields and send
//! empty strings, so everything but `action` is optional here and required only where the
//! action needs it. One event per delivery, never retried by ACR.

use super::fields::{
    bounded, derived_id, digest, host, json, non_empty, repository, required, rfc3339, tag,
};
use super::{Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "acr",
    proof: Proof::TokenHeader,
    parse,
    batches: false,
};

#[derive(Deserialize)]
struct Body {
    id: Option<String>,
    timestamp: Option<String>,
    action: String,
    target: Option<Target>,
    request: Option<RequestInfo>,
}

#[derive(Deserialize)]
struct Target {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    digest: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
}

#[derive(Deserialize)]
struct RequestInfo {
    host: Option<String>,
}

/// Parses one ACR delivery. Errors are client errors with the reason serde or the grammar gave.
pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let body: Body = json(payload.body)?;
    match body.action.as_str() {
        "ping" => return Ok(Parsed::Ping),
        "chart_push" | "chart_delete" => {
            return Ok(Parsed::Ignored(
                "legacy ACR Helm repositories are not tracked (Helm 3 charts pushed as OCI artifacts are)"
                    .into(),
            ))
        }
        _ => {}
    }
    let tracked = [
        ("push", Action::Push),
        ("delete", Action::Delete),
        ("quarantine", Action::Quarantine),
    ];
    let action = match super::action(&body.action, &tracked) {
        Ok(action) => action,
        Err(ignored) => return Ok(ignored),
    };
    let name = body.action.as_str();
    let what = format!("a {name} event");
    let target = required("target", &what, body.target)?;
    let repository = repository(required(
        "target.repository",
        &what,
        non_empty(target.repository),
    )?)?;
    let digest = required("target.digest", &what, digest(target.digest)?)?;
    let tag = tag(target.tag)?;
    let host = host(required(
        "request.host",
        &what,
        non_empty(body.request.and_then(|r| r.host)),
    )?)?;
    let raw_timestamp = non_empty(body.timestamp);
    let occurred_at = rfc3339("timestamp", raw_timestamp.as_deref())?;
    let id = bounded("id", body.id)?.unwrap_or_else(|| {
        derived_id(&[
            name,
            &repository,
            tag.as_deref().unwrap_or(""),
            &digest,
            raw_timestamp.as_deref().unwrap_or(""),
        ])
    });
    Ok(Parsed::Events(vec![Event {
        occurred_at,
        tag,
        digest: Some(digest),
        media_type: bounded("target.mediaType", target.media_type)?,
        ..SENDER.event(id, action, host, repository)
    }]))
}
