//! Checks every parser applies to the fields it takes from a payload, so each registry file
//! says only where its fields are.

use super::{WebhookError, MAX_EVENTS};
use crate::reference::{validate_digest, validate_host, validate_repository, validate_tag};
use crate::timestamp::Timestamp;
use serde::de::DeserializeOwned;

/// Longest event id, media type or action name kept; they become part of stored records.
const MAX_FIELD_LEN: usize = 256;

pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    serde_json::from_slice(body).map_err(WebhookError::Json)
}

/// Senders write "" (and sometimes null) for "not given".
pub fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// A free-form field kept as it is: bounded and without control characters.
pub fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, WebhookError> {
    match non_empty(value) {
        Some(v) if v.len() > MAX_FIELD_LEN || v.chars().any(char::is_control) => {
            Err(WebhookError::Invalid(format!(
                "{field} must be at most {MAX_FIELD_LEN} bytes without control characters"
            )))
        }
        v => Ok(v),
    }
}

/// A value that does not fit is shown as this in an "ignored" answer, never echoed.
pub fn shown(value: &str) -> String {
    bounded("value", Some(value.to_owned()))
        .ok()
        .flatten()
        .unwrap_or_else(|| "(invalid)".into())
}

pub fn required<T>(field: &str, what: &str, value: Option<T>) -> Result<T, WebhookError> {
    value.ok_or_else(|| WebhookError::Invalid(format!("{field} is required for {what}")))
}

pub fn host(value: String) -> Result<String, WebhookError> {
    validate_host(&value)?;
    Ok(value)
}

pub fn repository(value: String) -> Result<String, WebhookError> {
    validate_repository(&value)?;
    Ok(value)
}

/// A tag, where "no tag" is normal (digest-only pushes).
pub fn tag(value: Option<String>) -> Result<Option<String>, WebhookError> {
    let value = non_empty(value);
    if let Some(t) = &value {
        validate_tag(t)?;
    }
    Ok(value)
}

pub fn digest(value: Option<String>) -> Result<Option<String>, WebhookError> {
    let value = non_empty(value);
    if let Some(d) = &value {
        validate_digest(d)?;
    }
    Ok(value)
}

pub fn rfc3339(field: &str, value: Option<&str>) -> Result<Option<Timestamp>, WebhookError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            Timestamp::parse_rfc3339(v).ok_or_else(|| {
                WebhookError::Invalid(format!("{field} must be an RFC 3339 date-time"))
            })
        })
        .transpose()
}

pub fn unix_seconds(seconds: Option<i64>) -> Option<Timestamp> {
    seconds.map(|s| Timestamp(s.saturating_mul(Timestamp::NANOS_PER_SECOND)))
}

/// An id for a sender that gives none, so redeliveries of the same content still collapse.
pub fn derived_id(parts: &[&str]) -> String {
    parts.join(":")
}

/// Refuses an envelope with more entries than a delivery may carry.
pub fn at_most<T>(field: &str, items: Vec<T>) -> Result<Vec<T>, WebhookError> {
    if items.len() > MAX_EVENTS {
        return Err(WebhookError::Invalid(format!(
            "{field} holds {} entries; at most {MAX_EVENTS} are accepted per delivery",
            items.len()
        )));
    }
    Ok(items)
}

/// Splits `host/repository` (what several senders send as one string) at its first `/`.
pub fn split_name(field: &str, name: &str) -> Result<(String, String), WebhookError> {
    let (h, r) = name
        .split_once('/')
        .ok_or_else(|| WebhookError::Invalid(format!("{field} must be host/repository")))?;
    Ok((host(h.to_owned())?, repository(r.to_owned())?))
}
