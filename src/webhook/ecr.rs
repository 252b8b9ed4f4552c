//! Amazon ECR, through an EventBridge rule on `ECR Image Action` events delivered by an API
//! destination (which can set our `Authorization` header). The host is the account's registry,
//! `<account>.dkr.ecr.<region>.amazonaws.com`; failed actions change nothing.

use super::fields::{
    bounded, derived_id, digest, host, json, non_empty, repository, required, rfc3339, shown, tag,
};
use super::{Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "ecr",
    proof: Proof::TokenHeader,
    parse,
    batches: true,
};

#[derive(Deserialize)]
struct Body {
    id: Option<String>,
    #[serde(rename = "detail-type")]
    detail_type: String,
    account: String,
    region: String,
    time: Option<String>,
    detail: Detail,
}

#[derive(Deserialize)]
struct Detail {
    result: Option<String>,
    #[serde(rename = "repository-name")]
    repository_name: Option<String>,
    #[serde(rename = "image-digest")]
    image_digest: Option<String>,
    #[serde(rename = "action-type")]
    action_type: String,
    #[serde(rename = "image-tag")]
    image_tag: Option<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let body: Body = json(payload.body)?;
    if body.detail_type != "ECR Image Action" {
        return Ok(Parsed::Ignored(format!(
            "ociref reads ECR Image Action events, not {}",
            shown(&body.detail_type)
        )));
    }
    let d = body.detail;
    if d.result.as_deref() != Some("SUCCESS") {
        return Ok(Parsed::Ignored("the action did not succeed".into()));
    }
    let action = match super::action(
        &d.action_type,
        &[("PUSH", Action::Push), ("DELETE", Action::Delete)],
    ) {
        Ok(action) => action,
        Err(ignored) => return Ok(ignored),
    };
    let what = format!("an ECR {} action", d.action_type);
    let account = &body.account;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookError::Invalid(
            "account must be a 12-digit AWS account id".into(),
        ));
    }
    let host = host(format!("{account}.dkr.ecr.{}.amazonaws.com", body.region))?;
    let repository = repository(required(
        "detail.repository-name",
        &what,
        non_empty(d.repository_name),
    )?)?;
    let digest = required("detail.image-digest", &what, digest(d.image_digest)?)?;
    let tag = tag(d.image_tag)?;
    let id = bounded("id", body.id)?
        .unwrap_or_else(|| derived_id(&[&d.action_type, &repository, &digest]));
    Ok(Parsed::Events(vec![Event {
        occurred_at: rfc3339("time", body.time.as_deref())?,
        tag,
        digest: Some(digest),
        ..SENDER.event(id, action, host, repository)
    }]))
}
