//! The shields.io endpoint JSON (https://shields.io/badges/endpoint-badge), nothing else.
//! Only schema keys are ever written: shields rejects unknown ones and shows a broken badge.

use super::{Badge, CACHE_SECONDS};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    schema_version: u8,
    label: &'a str,
    message: &'a str,
    color: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    named_logo: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_error: bool,
    cache_seconds: u32,
}

/// The badge as endpoint JSON.
pub fn render(badge: &Badge) -> Vec<u8> {
    let endpoint = Endpoint {
        schema_version: 1,
        label: &badge.label,
        message: &badge.message,
        color: &badge.color,
        named_logo: badge.logo.as_deref(),
        is_error: badge.is_error,
        cache_seconds: CACHE_SECONDS,
    };
    serde_json::to_vec(&endpoint).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badge::{not_published, Options};
    use crate::config::Config;

    #[test]
    fn only_schema_keys_and_is_error_only_when_true() {
        let o = Options::from_query(&Config::default().badge, "").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&render(&not_published(&o))).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "cacheSeconds",
                "color",
                "isError",
                "label",
                "message",
                "schemaVersion"
            ]
        );
        let mut ok = not_published(&o);
        ok.is_error = false;
        let json: serde_json::Value = serde_json::from_slice(&render(&ok)).unwrap();
        assert!(json.get("isError").is_none());
    }
}
