//! Azure Container Registry webhook payloads (`push`, `delete`, `quarantine`, `chart_push`,
//! `chart_delete`, `ping`). Real deliveries omit fields and send empty strings, so everything
//! but `action` is optional here and required only where the action needs it.

use super::{Action, Delivery, Event};
use crate::error::Error;
use crate::reference::{validate_digest, validate_host, validate_repository, validate_tag};
use crate::timestamp::Timestamp;
use serde::Deserialize;

/// Longest event id or media type kept; they become part of stored records.
const MAX_FIELD_LEN: usize = 256;

#[derive(Deserialize)]
struct Payload {
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

/// An empty string means "not given" in ACR payloads.
fn given(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, Error> {
    match given(value) {
        Some(v) if v.len() > MAX_FIELD_LEN || v.chars().any(char::is_control) => {
            Err(Error::invalid_payload(format!(
                "{field} must be at most {MAX_FIELD_LEN} bytes without control characters"
            )))
        }
        v => Ok(v),
    }
}

fn required(field: &str, action: &str, value: Option<String>) -> Result<String, Error> {
    value.ok_or_else(|| Error::invalid_payload(format!("{field} is required for a {action} event")))
}

/// Parses one ACR delivery. Errors are client errors with the reason serde or the grammar gave.
pub fn parse(body: &[u8]) -> Result<Delivery, Error> {
    let payload: Payload = serde_json::from_slice(body).map_err(Error::invalid_json)?;
    let action = match payload.action.as_str() {
        "ping" => return Ok(Delivery::Ping),
        "push" => Action::Push,
        "delete" => Action::Delete,
        "quarantine" => Action::Quarantine,
        "chart_push" => Action::ChartPush,
        "chart_delete" => Action::ChartDelete,
        other => {
            return Ok(Delivery::Unsupported {
                action: bounded("action", Some(other.to_owned()))
                    .unwrap_or(None)
                    .unwrap_or_else(|| "(invalid)".into()),
                reason: "ociref tracks push, delete, quarantine, chart_push, chart_delete and ping"
                    .into(),
            })
        }
    };
    let name = payload.action.as_str();
    let target = payload
        .target
        .ok_or_else(|| Error::invalid_payload(format!("target is required for a {name} event")))?;
    let repository = required("target.repository", name, given(target.repository))?;
    validate_repository(&repository).map_err(Error::from)?;
    let digest = given(target.digest);
    if let Some(d) = &digest {
        validate_digest(d)?;
    }
    let tag = given(target.tag);
    // Legacy Helm chart tags are file names (`wordpress-5.4.0.tgz`), not OCI tags.
    if let (Some(t), false) = (
        &tag,
        matches!(action, Action::ChartPush | Action::ChartDelete),
    ) {
        validate_tag(t)?;
    }
    let tag = bounded("target.tag", tag)?;
    let host = given(payload.request.and_then(|r| r.host));
    if let Some(h) = &host {
        validate_host(h)?;
    }
    match action {
        Action::Push => {
            required("request.host", name, host.clone())?;
            required("target.digest", name, digest.clone())?;
        }
        Action::Delete | Action::Quarantine => {
            required("target.digest", name, digest.clone())?;
        }
        _ => {}
    }
    let raw_timestamp = given(payload.timestamp);
    let timestamp = match &raw_timestamp {
        Some(t) => Some(Timestamp::parse_rfc3339(t).ok_or_else(|| {
            Error::invalid_payload("timestamp must be an RFC 3339 date-time".to_owned())
        })?),
        None => None,
    };
    // Without an id, redeliveries of the same event must still collapse: derive one from content.
    let id = bounded("id", payload.id)?.unwrap_or_else(|| {
        format!(
            "{name}:{repository}:{}:{}:{}",
            tag.as_deref().unwrap_or(""),
            digest.as_deref().unwrap_or(""),
            raw_timestamp.as_deref().unwrap_or("")
        )
    });
    Ok(Delivery::Event(Event {
        id,
        action,
        timestamp,
        host,
        repository,
        tag,
        digest,
        media_type: bounded("target.mediaType", target.media_type)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/acr/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn event(name: &str) -> Event {
        match parse(&fixture(name)).unwrap() {
            Delivery::Event(e) => e,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn push_fixture() {
        let e = event("push.json");
        assert_eq!(e.action, Action::Push);
        assert_eq!(e.id, "cb8c3971-9adc-488b-8b1d-43cbb4974ff5");
        assert_eq!(e.host.as_deref(), Some("myregistry.azurecr.io"));
        assert_eq!(e.repository, "hello-world");
        assert_eq!(e.tag.as_deref(), Some("v1"));
        assert_eq!(
            e.digest.as_deref(),
            Some("sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b")
        );
        assert_eq!(
            e.media_type.as_deref(),
            Some("application/vnd.docker.distribution.manifest.v2+json")
        );
        assert_eq!(
            e.timestamp.unwrap().to_string(),
            "2023-11-17T16:52:01.343145347Z"
        );
    }

    #[test]
    fn delete_fixture_has_no_tag() {
        let e = event("delete.json");
        assert_eq!(
            (e.action, e.tag, e.repository.as_str()),
            (Action::Delete, None, "hello-world")
        );
        assert!(e.digest.is_some());
    }

    #[test]
    fn quarantine_fixture_has_no_media_type_or_user_agent() {
        let e = event("quarantine.json");
        assert_eq!(
            (e.action, e.tag.as_deref(), e.media_type),
            (Action::Quarantine, Some("1"), None)
        );
    }

    #[test]
    fn chart_fixtures_have_no_host() {
        for (name, action) in [
            ("chart_push.json", Action::ChartPush),
            ("chart_delete.json", Action::ChartDelete),
        ] {
            let e = event(name);
            assert_eq!(
                (e.action, e.host, e.repository.as_str()),
                (action, None, "repo")
            );
            assert_eq!(e.tag.as_deref(), Some("wordpress-5.4.0.tgz"));
        }
    }

    #[test]
    fn ping_fixture() {
        assert_eq!(parse(&fixture("ping.json")).unwrap(), Delivery::Ping);
    }

    #[test]
    fn digest_only_push_and_missing_optional_fields() {
        let body = br#"{"action":"push","target":{"repository":"a","tag":"","digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"},"request":{"host":"r.io"},"extra":[1,2]}"#;
        let Delivery::Event(e) = parse(body).unwrap() else {
            panic!()
        };
        assert_eq!((e.tag, e.timestamp, e.media_type), (None, None, None));
        assert!(e.id.starts_with("push:a::sha256:"), "derived id {}", e.id);
    }

    #[test]
    fn unknown_action_is_unsupported_not_an_error() {
        let d = parse(br#"{"action":"image_scan","whatever":1}"#).unwrap();
        assert!(matches!(d, Delivery::Unsupported { action, .. } if action == "image_scan"));
    }

    #[test]
    fn client_errors_keep_the_reason() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"{", "invalid-json", "EOF"),
            (br#"{"action":5}"#, "invalid-json", "invalid type"),
            (br#"{"target":{}}"#, "invalid-json", "missing field `action`"),
            (br#"{"action":"push","action":"push"}"#, "invalid-json", "duplicate field"),
            (br#"{"action":"push"}"#, "invalid-payload", "target is required"),
            (br#"{"action":"push","target":{"repository":"Up","digest":"sha256:x"}}"#, "invalid-payload", "repository"),
            (br#"{"action":"push","target":{"repository":"a","digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"}}"#, "invalid-payload", "request.host is required"),
            (br#"{"action":"delete","target":{"repository":"a"}}"#, "invalid-payload", "target.digest is required"),
            (br#"{"action":"push","timestamp":"now","target":{"repository":"a","digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"},"request":{"host":"r.io"}}"#, "invalid-payload", "RFC 3339"),
        ];
        for (body, code, needle) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!(e.code(), *code, "{}", String::from_utf8_lossy(body));
            assert!(
                e.message().contains(needle),
                "{} -> {}",
                String::from_utf8_lossy(body),
                e.message()
            );
        }
    }
}
