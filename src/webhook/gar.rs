//! Google Artifact Registry, through a Pub/Sub push subscription on the `gcr` topic: Pub/Sub
//! wraps each notification in an envelope whose `message.data` is base64 JSON
//! (`action` INSERT / DELETE, `digest` and `tag` as full image names). A push subscription sends
//! only Google's own OIDC token, so ours comes as the last path segment.

use super::fields::{bounded, digest, json, non_empty, required, rfc3339, split_name, tag};
use super::{Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use base64::Engine;
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "gar",
    proof: Proof::TokenInPath,
    parse,
    batches: true,
};

#[derive(Deserialize)]
struct Envelope {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    data: String,
    // Pub/Sub writes both spellings of these two.
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    #[serde(rename = "publishTime")]
    publish_time: Option<String>,
}

#[derive(Deserialize)]
struct Notification {
    action: String,
    /// `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:...`
    digest: Option<String>,
    /// `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG`, absent for an untagged push.
    tag: Option<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let envelope: Envelope = json(payload.body)?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(envelope.message.data.trim())
        .map_err(|_| WebhookError::Invalid("message.data must be base64".into()))?;
    let n: Notification = json(&data)?;
    let action = match super::action(
        &n.action,
        &[("INSERT", Action::Push), ("DELETE", Action::Delete)],
    ) {
        Ok(action) => action,
        Err(ignored) => return Ok(ignored),
    };
    let what = format!("a {} notification", n.action);
    let image = required("digest", &what, non_empty(n.digest))?;
    let (name, pinned) = image
        .split_once('@')
        .ok_or_else(|| WebhookError::Invalid("digest must be an image name @ a digest".into()))?;
    let (host, repository) = split_name("digest", name)?;
    let digest = required("digest", &what, digest(Some(pinned.to_owned()))?)?;
    let tag = match non_empty(n.tag) {
        Some(tagged) => match tagged.rsplit_once(':') {
            Some((tagged_name, t)) if tagged_name == name => tag(Some(t.to_owned()))?,
            _ => {
                return Err(WebhookError::Invalid(
                    "tag must be the digest's image name, a colon and a tag".into(),
                ))
            }
        },
        None => None,
    };
    let id = bounded("message.messageId", envelope.message.message_id)?
        .unwrap_or_else(|| super::fields::derived_id(&[&n.action, &image]));
    Ok(Parsed::Events(vec![Event {
        occurred_at: rfc3339(
            "message.publishTime",
            envelope.message.publish_time.as_deref(),
        )?,
        tag,
        digest: Some(digest),
        ..SENDER.event(id, action, host, repository)
    }]))
}
