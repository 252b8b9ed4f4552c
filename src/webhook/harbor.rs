//! Harbor webhooks, in both payload formats a policy can choose: Default (`type` PUSH_ARTIFACT /
//! DELETE_ARTIFACT, `occur_at` in Unix seconds) and CloudEvents (`type`
//! harbor.artifact.pushed / harbor.artifact.deleted, structured JSON). One delivery lists
//! several resources (every tag of the artifact); the host is taken from each `resource_url`,
//! and a "tag" that is a digest is not a tag.

use super::fields::{
    at_most, bounded, derived_id, digest, json, non_empty, required, rfc3339, split_name, tag,
    unix_seconds,
};
use super::{events_or, Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use crate::timestamp::Timestamp;
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "harbor",
    proof: Proof::TokenHeader,
    parse,
    batches: true,
};

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "type")]
    kind: String,
    /// Default format.
    occur_at: Option<i64>,
    event_data: Option<Data>,
    /// CloudEvents format.
    specversion: Option<String>,
    id: Option<String>,
    time: Option<String>,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    digest: Option<String>,
    tag: Option<String>,
    resource_url: Option<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let body: Body = json(payload.body)?;
    let action = match super::action(
        &body.kind,
        &[
            ("PUSH_ARTIFACT", Action::Push),
            ("DELETE_ARTIFACT", Action::Delete),
            ("harbor.artifact.pushed", Action::Push),
            ("harbor.artifact.deleted", Action::Delete),
        ],
    ) {
        Ok(action) => action,
        Err(ignored) => return Ok(ignored),
    };
    let (occurred_at, data, delivery): (Option<Timestamp>, _, _) = match body.specversion {
        Some(_) => (
            rfc3339("time", body.time.as_deref())?,
            body.data,
            bounded("id", body.id)?,
        ),
        None => (unix_seconds(body.occur_at), body.event_data, None),
    };
    let what = format!("a {} event", body.kind);
    let data = required("event data", &what, data)?;
    let mut events = Vec::new();
    for (n, r) in at_most("resources", data.resources)?
        .into_iter()
        .enumerate()
    {
        let url = required("resource_url", &what, non_empty(r.resource_url))?;
        // `host/project/repo:tag` or `host/project/repo@sha256:...`
        let name = url.split(['@']).next().unwrap_or_default();
        let name = match name.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => n,
            _ => name,
        };
        let (host, repository) = split_name("resource_url", name)?;
        let digest = required("digest", &what, digest(r.digest)?)?;
        let tag = tag(r.tag.filter(|t| !t.starts_with("sha256:")))?;
        let id = match &delivery {
            Some(id) => format!("{id}:{n}"),
            None => derived_id(&[
                &body.kind,
                &url,
                &digest,
                &body.occur_at.unwrap_or(0).to_string(),
            ]),
        };
        events.push(Event {
            occurred_at,
            tag,
            digest: Some(digest),
            ..SENDER.event(id, action.clone(), host, repository)
        });
    }
    Ok(events_or(events, "the delivery lists no resources"))
}
