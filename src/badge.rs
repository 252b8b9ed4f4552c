//! The shields.io endpoint JSON (https://shields.io/badges/endpoint-badge), nothing else.
//! Only schema keys are ever written: shields rejects unknown ones and shows a broken badge.

use crate::config::BadgeDefaults;
use crate::tracker::{Empty, Latest};
use serde::Serialize;

/// How long shields may cache a badge.
pub const CACHE_SECONDS: u32 = 300;
const MAX_LABEL_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Badge {
    pub schema_version: u8,
    pub label: String,
    pub message: String,
    pub color: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_logo: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
    pub cache_seconds: u32,
}

/// What the message shows of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `host/repository:tag`
    #[default]
    Ref,
    Tag,
    /// `host/repository:tag@sha256:...`
    Pinned,
}

/// A badge request's options: the configured defaults, overridden by the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    pub label: String,
    pub color: String,
    pub logo: Option<String>,
}

pub fn checked_label(s: &str) -> Result<&str, String> {
    if s.chars().count() <= MAX_LABEL_CHARS && !s.chars().any(char::is_control) {
        Ok(s)
    } else {
        Err(format!(
            "label must be at most {MAX_LABEL_CHARS} characters without control characters"
        ))
    }
}

/// Named colors (`blue`), hex (`#4c1`, `00ff00`) and CSS functions (`rgb(0,0,255)`).
pub fn checked_color(s: &str) -> Result<&str, String> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"#(),.% ".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err("color must be a shields color name, hex or rgb() value".into())
    }
}

/// A simple-icons slug such as `docker` or `azure-devops`.
pub fn checked_logo(s: &str) -> Result<&str, String> {
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err("logo must be a simple-icons name such as docker".into())
    }
}

impl Options {
    /// Applies `format`, `label`, `color` and `logo` from a query string; others are ignored.
    pub fn from_query(defaults: &BadgeDefaults, query: &str) -> Result<Self, String> {
        let mut o = Self {
            format: Format::Ref,
            label: defaults.label.clone(),
            color: defaults.color.clone(),
            logo: defaults.logo.clone(),
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "format" => {
                    o.format = match value.as_ref() {
                        "ref" => Format::Ref,
                        "tag" => Format::Tag,
                        "pinned" => Format::Pinned,
                        _ => return Err("format must be ref, tag or pinned".into()),
                    }
                }
                "label" => o.label = checked_label(&value)?.to_owned(),
                "color" => o.color = checked_color(&value)?.to_owned(),
                "logo" => o.logo = Some(checked_logo(&value)?.to_owned()),
                _ => {}
            }
        }
        Ok(o)
    }
}

fn badge(options: &Options, message: String, color: &str, is_error: bool) -> Badge {
    Badge {
        schema_version: 1,
        label: options.label.clone(),
        // shields refuses an empty message.
        message: if message.is_empty() {
            "unknown".into()
        } else {
            message
        },
        color: color.to_owned(),
        named_logo: options.logo.clone(),
        is_error,
        cache_seconds: CACHE_SECONDS,
    }
}

/// The badge of a tracked repository.
pub fn for_latest(options: &Options, repository: &str, latest: &Latest) -> Badge {
    match (&latest.current, latest.empty) {
        (Some(c), _) => {
            let reference = format!("{}/{}:{}", c.record.host, repository, c.tag);
            let message = match (options.format, &c.record.digest) {
                (Format::Ref, _) | (Format::Pinned, None) => reference,
                (Format::Tag, _) => c.tag.clone(),
                (Format::Pinned, Some(d)) => format!("{reference}@{d}"),
            };
            badge(options, message, &options.color, false)
        }
        (None, Some(Empty::Pending)) => badge(options, "pending release".into(), "orange", true),
        (None, Some(Empty::Withdrawn)) => badge(options, "withdrawn".into(), "lightgrey", true),
        (None, _) => badge(options, "no tags".into(), "lightgrey", true),
    }
}

pub fn not_published(options: &Options) -> Badge {
    badge(options, "not published".into(), "lightgrey", true)
}

/// The store could not be read: say so, never "not published".
pub fn unavailable(options: &Options) -> Badge {
    badge(options, "unavailable".into(), "red", true)
}

/// A badge request ociref cannot answer as asked (bad query, bad configuration).
pub fn invalid(defaults: &BadgeDefaults, why: &str) -> Badge {
    let options = Options {
        format: Format::Ref,
        label: defaults.label.clone(),
        color: defaults.color.clone(),
        logo: None,
    };
    badge(&options, format!("invalid: {why}"), "red", true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn only_schema_keys_and_is_error_only_when_true() {
        let o = Options::from_query(&Config::default().badge, "").unwrap();
        let json = serde_json::to_value(not_published(&o)).unwrap();
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
        let ok = badge(&o, "x".into(), "blue", false);
        assert!(serde_json::to_value(ok).unwrap().get("isError").is_none());
    }

    #[test]
    fn query_options() {
        let d = Config::default().badge;
        let o = Options::from_query(
            &d,
            "format=tag&label=my%20label&color=%23ff0000&logo=docker&utm=1",
        )
        .unwrap();
        assert_eq!(
            (
                o.format,
                o.label.as_str(),
                o.color.as_str(),
                o.logo.as_deref()
            ),
            (Format::Tag, "my label", "#ff0000", Some("docker"))
        );
        for bad in [
            "format=sha",
            "color=<script>",
            "logo=Docker!",
            &format!("label={}", "x".repeat(65)),
            "label=%0a",
        ] {
            assert!(Options::from_query(&d, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_message_is_never_sent() {
        let o = Options::from_query(&Config::default().badge, "").unwrap();
        assert_eq!(badge(&o, String::new(), "blue", false).message, "unknown");
    }
}
