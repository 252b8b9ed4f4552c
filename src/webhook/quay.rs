//! Quay "Push to Repository" notifications (quay.io or a self-hosted Quay): the repository, its
//! `docker_url` (which gives the host) and the tags the push updated; no digest and no time.
//! Quay sets no header of ours, so the token comes as the last path segment.

use super::fields::{at_most, derived_id, json, non_empty, required, split_name, tag};
use super::{events_or, Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "quay",
    proof: Proof::TokenInPath,
    parse,
    batches: true,
};

#[derive(Deserialize)]
struct Body {
    docker_url: Option<String>,
    #[serde(default)]
    updated_tags: Vec<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let body: Body = json(payload.body)?;
    let url = required(
        "docker_url",
        "a repository push",
        non_empty(body.docker_url),
    )?;
    let (host, repository) = split_name("docker_url", &url)?;
    let mut events = Vec::new();
    for t in at_most("updated_tags", body.updated_tags)? {
        let Some(t) = tag(Some(t))? else { continue };
        // Quay gives no id or time: a redelivery of the same tag push collapses.
        let id = derived_id(&["quay", &url, &t]);
        events.push(Event {
            tag: Some(t),
            ..SENDER.event(id, Action::Push, host.clone(), repository.clone())
        });
    }
    Ok(events_or(events, "the push updated no tags"))
}
