//! What a badge says: label, message, colour, logo, and whether it reports an error, decided
//! from a repository's record and the request's options. How it is drawn is `shields` (the
//! shields.io endpoint JSON) or `svg` (the image itself, as shields.io would draw it).

mod options;
pub mod shields;
pub mod svg;
mod widths;

pub use options::{checked_color, checked_label, checked_logo, BadgeDefaults, Format, Options};

use crate::tracking::{NoTag, Published};

/// How long a badge may be cached (shields' `cacheSeconds`, our `Cache-Control`).
pub const CACHE_SECONDS: u32 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub label: String,
    pub message: String,
    pub color: String,
    pub logo: Option<String>,
    pub is_error: bool,
}

fn badge(options: &Options, message: String, color: &str, is_error: bool) -> Badge {
    Badge {
        label: options.label.clone(),
        // shields refuses an empty message.
        message: if message.is_empty() {
            "unknown".into()
        } else {
            message
        },
        color: color.to_owned(),
        logo: options.logo.clone(),
        is_error,
    }
}

/// The badge of a tracked repository.
pub fn for_latest(options: &Options, host: &str, repository: &str, latest: &Published) -> Badge {
    match (&latest.current, latest.empty) {
        (Some(c), _) => {
            let reference = format!("{host}/{repository}:{}", c.tag);
            let message = match (options.format, &c.record.digest) {
                (Format::Ref, _) | (Format::Pinned, None) => reference,
                (Format::Tag, _) => c.tag.clone(),
                (Format::Pinned, Some(d)) => format!("{reference}@{d}"),
            };
            badge(options, message, &options.color, false)
        }
        (None, Some(NoTag::Pending)) => badge(options, "pending release".into(), "orange", true),
        (None, Some(NoTag::Withdrawn)) => badge(options, "withdrawn".into(), "lightgrey", true),
        (None, _) => badge(options, "no tags".into(), "lightgrey", true),
    }
}

pub fn not_published(options: &Options) -> Badge {
    badge(options, "not published".into(), "lightgrey", true)
}

/// Several registries have a repository of this name: never show one of them by chance.
pub fn ambiguous(options: &Options, hosts: &[String]) -> Badge {
    let first = hosts.first().map(String::as_str).unwrap_or("host");
    badge(
        options,
        format!(
            "{} registries have this name: use /{first}/...",
            hosts.len()
        ),
        "lightgrey",
        true,
    )
}

/// The store could not be read: say so, never "not published".
pub fn unavailable(options: &Options) -> Badge {
    badge(options, "unavailable".into(), "red", true)
}

/// A badge request ociref cannot answer as asked (bad query, bad configuration).
pub fn invalid(defaults: &BadgeDefaults, why: &str) -> Badge {
    error(defaults, format!("invalid: {why}"))
}

/// A name that no registry could hold, with the rule it breaks.
pub fn invalid_name(defaults: &BadgeDefaults, why: &str) -> Badge {
    error(defaults, format!("invalid name: {why}"))
}

fn error(defaults: &BadgeDefaults, message: String) -> Badge {
    let options = Options {
        format: Format::Ref,
        label: defaults.label.clone(),
        color: defaults.color.clone(),
        logo: None,
    };
    badge(&options, message, "red", true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn empty_message_is_never_sent() {
        let o = Options::from_query(&Config::default().badge, "").unwrap();
        assert_eq!(badge(&o, String::new(), "blue", false).message, "unknown");
    }
}
