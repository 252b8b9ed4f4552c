//! Docker Hub repository webhooks: one push per delivery, with the tag but no digest (ociref
//! records the tag; the digest stays unknown until the registry is asked). The host is
//! `docker.io`; official images are `library/<name>`. Docker Hub sets no header of ours, so the
//! token comes as the last path segment.

use super::fields::{derived_id, json, non_empty, repository, required, tag};
use super::{Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "dockerhub",
    proof: Proof::TokenInPath,
    parse,
    batches: true,
};

pub const HOST: &str = "docker.io";

#[derive(Deserialize)]
struct Body {
    push_data: PushData,
    repository: Repository,
}

#[derive(Deserialize)]
struct PushData {
    /// Unix seconds, sometimes with a fraction.
    pushed_at: Option<f64>,
    tag: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    repo_name: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let body: Body = json(payload.body)?;
    let what = "a Docker Hub push";
    let r = body.repository;
    let name = match (
        non_empty(r.repo_name),
        non_empty(r.namespace),
        non_empty(r.name),
    ) {
        (Some(full), _, _) if full.contains('/') => full,
        (_, Some(ns), Some(name)) => format!("{ns}/{name}"),
        // An official image's `repo_name` has no namespace.
        (Some(name), _, _) | (_, None, Some(name)) => format!("library/{name}"),
        _ => {
            return Err(WebhookError::Invalid(format!(
                "repository.repo_name is required for {what}"
            )))
        }
    };
    let repository = repository(name)?;
    let tag = required("push_data.tag", what, tag(body.push_data.tag)?)?;
    // Whole seconds: the id must not depend on how a float is printed.
    let at = body.push_data.pushed_at.map(|s| s as i64);
    let id = derived_id(&["dockerhub", &repository, &tag, &at.unwrap_or(0).to_string()]);
    Ok(Parsed::Events(vec![Event {
        occurred_at: super::fields::unix_seconds(at),
        tag: Some(tag),
        ..SENDER.event(id, Action::Push, HOST.into(), repository)
    }]))
}
