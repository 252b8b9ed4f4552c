//! Runtime configuration, as `wasi:config/store` hands it over (wadm.yaml `config:` entries,
//! or the dev host's flags). Pure parsing; unknown keys are ignored because hosts add their own.

use crate::badge::{checked_color, checked_label, checked_logo, BadgeDefaults};
use crate::registry::RegistryConfig;
use crate::tracking::policy::{Policy, Selection};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Shared secret senders present (`Authorization: Bearer <token>`, or in the path where a
    /// sender cannot set a header); required for every write.
    pub webhook_token: Option<String>,
    /// `<sender>_token`: a sender's own token, used instead of `webhook_token` for its hook.
    pub sender_tokens: BTreeMap<String, String>,
    /// The secret of the GitHub webhook (`X-Hub-Signature-256`); `webhook_token` when unset.
    pub github_secret: Option<String>,
    /// Accept writes without a token when none is configured. For local trials only.
    pub allow_unauthenticated: bool,
    pub selection: Selection,
    pub badge: BadgeDefaults,
    /// Events kept per repository; older ones are deleted (the current state is kept).
    pub history_retention: u64,
    /// `registry.<host>.*`: the registries ociref may ask (reconciliation); no other host is
    /// ever contacted.
    pub registries: BTreeMap<String, RegistryConfig>,
    /// Seconds after which a read verifies a repository against its registry; 0 = never.
    pub verify_interval: u64,
    /// Registry requests one ociref request may make.
    pub reconcile_budget: u32,
    /// A token for `POST /api/reconcile*` besides `webhook_token`.
    pub reconcile_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            webhook_token: None,
            sender_tokens: BTreeMap::new(),
            github_secret: None,
            allow_unauthenticated: false,
            selection: Selection::default(),
            badge: BadgeDefaults {
                label: "oci".into(),
                color: "blue".into(),
                logo: None,
            },
            history_retention: 500,
            registries: BTreeMap::new(),
            verify_interval: 600,
            reconcile_budget: 20,
            reconcile_token: None,
        }
    }
}

// Hand-written so the token can never reach a log line through `{:?}`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "webhook_token",
                &self.webhook_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "sender_tokens",
                &self.sender_tokens.keys().collect::<Vec<_>>(),
            )
            .field(
                "github_secret",
                &self.github_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_unauthenticated", &self.allow_unauthenticated)
            .field("selection", &self.selection)
            .field("badge", &self.badge)
            .field("history_retention", &self.history_retention)
            .field("registries", &self.registries)
            .field("verify_interval", &self.verify_interval)
            .field("reconcile_budget", &self.reconcile_budget)
            .field(
                "reconcile_token",
                &self.reconcile_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A secret as configured: trimmed, `None` when empty; spaces and control characters refused
/// (they cannot travel in a header or a path).
fn secret(key: &str, value: &str) -> Result<Option<String>, String> {
    let token = value.trim();
    if token.chars().any(|ch| ch.is_control() || ch == ' ') {
        return Err(format!(
            "config key {key} must not contain spaces or control characters"
        ));
    }
    Ok((!token.is_empty()).then(|| token.to_owned()))
}

fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(format!("config key {key} must be true or false")),
    }
}

/// A number within `range`; otherwise `rule`, which names the key and never quotes the value.
fn number<T: std::str::FromStr + PartialOrd>(
    value: &str,
    range: std::ops::RangeInclusive<T>,
    rule: &str,
) -> Result<T, String> {
    value
        .trim()
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| rule.to_owned())
}

/// Prefixes a checker's message (which never quotes the value) with the key it is about.
fn named(key: &str) -> impl Fn(String) -> String + '_ {
    move |why| format!("config key {key}: {why}")
}

impl Config {
    /// Builds the configuration; an error names the offending key, never its value.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, String> {
        let mut c = Self::default();
        let mut registries = crate::registry::config::Builder::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            if registries.accept(key, value)? {
                continue;
            }
            match key {
                "reconcile_token" => c.reconcile_token = secret(key, value)?,
                "verify_interval" => {
                    c.verify_interval = number(
                        value,
                        0..=31_536_000,
                        "config key verify_interval must be a number of seconds (0 = off)",
                    )?;
                }
                "reconcile_budget" => {
                    c.reconcile_budget = number(
                        value,
                        1..=1000,
                        "config key reconcile_budget must be a number from 1 to 1000",
                    )?;
                }
                "webhook_token" => c.webhook_token = secret(key, value)?,
                // An HMAC key never travels: GitHub allows any text, spaces included.
                "github_secret" => {
                    if value.chars().any(char::is_control) {
                        return Err(
                            "config key github_secret must not contain control characters".into(),
                        );
                    }
                    c.github_secret = (!value.is_empty()).then(|| value.to_owned());
                }
                "allow_unauthenticated" => c.allow_unauthenticated = flag(key, value)?,
                "include_prereleases" => c.selection.include_prereleases = flag(key, value)?,
                "policy" => {
                    c.selection.policy = Policy::parse(value.trim())
                        .ok_or("config key policy must be semver or last-push")?;
                }
                "badge_label" => {
                    c.badge.label = checked_label(value).map_err(named(key))?.into();
                }
                "badge_color" => {
                    c.badge.color = checked_color(value).map_err(named(key))?.into();
                }
                "badge_logo" => {
                    c.badge.logo = match value.trim() {
                        "" => None,
                        logo => Some(checked_logo(logo).map_err(named(key))?.into()),
                    }
                }
                "history_retention" => {
                    c.history_retention = number(
                        value,
                        10..=100_000,
                        "config key history_retention must be a number from 10 to 100000",
                    )?;
                }
                _ => {
                    let sender = key.strip_suffix("_token").and_then(crate::webhook::sender);
                    if let (Some(sender), Some(token)) = (sender, secret(key, value)?) {
                        c.sender_tokens.insert(sender.name.to_owned(), token);
                    }
                }
            }
        }
        c.registries = registries.finish()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let c = Config::from_pairs([
            ("webhook_token", "s3cret"),
            ("allow_unauthenticated", "true"),
            ("policy", "last-push"),
            ("include_prereleases", "yes"),
            ("badge_label", "wash"),
            ("badge_color", "#00ff00"),
            ("badge_logo", "docker"),
            ("history_retention", "1000"),
            ("unrelated", "x"),
        ])
        .unwrap();
        assert_eq!(c.webhook_token.as_deref(), Some("s3cret"));
        assert!(c.allow_unauthenticated && c.selection.include_prereleases);
        assert_eq!(c.selection.policy, Policy::LastPush);
        assert_eq!(
            (
                c.badge.label.as_str(),
                c.badge.color.as_str(),
                c.badge.logo.as_deref()
            ),
            ("wash", "#00ff00", Some("docker"))
        );
        assert_eq!(c.history_retention, 1000);
        let c = Config::from_pairs([
            ("ghcr_token", "g"),
            ("github_secret", "h"),
            ("nope_token", "x"),
        ])
        .unwrap();
        assert_eq!(c.sender_tokens.keys().collect::<Vec<_>>(), ["ghcr"]);
        assert_eq!(c.github_secret.as_deref(), Some("h"));
    }

    #[test]
    fn errors_name_the_key_but_never_echo_the_value() {
        for (k, v) in [
            ("policy", "s3cret-newest"),
            ("allow_unauthenticated", "s3cret"),
            ("history_retention", "s3cret"),
            ("webhook_token", "s3 cret"),
            ("github_secret", "s3\ncret"),
            ("quay_token", "s3\tcret"),
            // Found by fuzz/config: these three said "color must be ..." without the key.
            ("badge_label", "s3cret\n"),
            ("badge_color", "<s3cret>"),
            ("badge_logo", "S3cret!"),
        ] {
            let e = Config::from_pairs([(k, v)]).unwrap_err();
            assert!(e.contains(k) && !e.contains("s3"), "{e}");
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = Config::from_pairs([
            ("webhook_token", "s3cret"),
            ("github_secret", "s3cret"),
            ("acr_token", "s3cret"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
