//! `wasi:config/store`: the component's runtime configuration (webhook token, policy, badge
//! defaults), merged from, in increasing precedence, a TOML file, `OCIREF_<KEY>` environment
//! variables and `--config key=value` flags.
//!
//! Values may be secret (the webhook token): this module hands them to the guest and nowhere
//! else. Only key names are ever printed.

use anyhow::{bail, Context as _};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Environment variables with this prefix become keys: `OCIREF_WEBHOOK_TOKEN` -> `webhook_token`.
pub const ENV_PREFIX: &str = "OCIREF_";

/// Keys read by the host itself from the environment, not component configuration.
const HOST_ENV: &[&str] = &["OCIREF_WASM"];

/// The merged configuration, shared read-only by every request.
pub type ConfigMap = Arc<BTreeMap<String, String>>;

/// Merges the three sources; later ones win.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    flags: &[String],
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut config = BTreeMap::new();
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("could not read the config file {}", file.display()))?;
        config.extend(
            parse_toml(&text).with_context(|| format!("in the config file {}", file.display()))?,
        );
    }
    config.extend(from_env(env));
    for flag in flags {
        let (key, value) = parse_flag(flag)?;
        config.insert(key, value);
    }
    Ok(config)
}

/// A flat TOML table; strings, numbers and booleans become strings, as wasi:config wants.
pub fn parse_toml(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = text.parse()?;
    table
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => bail!("{key}: only strings, numbers and booleans are supported"),
            };
            Ok((key, value))
        })
        .collect()
}

fn from_env(env: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    env.into_iter()
        .filter(|(name, _)| !HOST_ENV.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let key = name.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
            (!key.is_empty()).then_some((key, value))
        })
        .collect()
}

fn parse_flag(flag: &str) -> anyhow::Result<(String, String)> {
    match flag.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        // Only the part before '=' could be shown, and there is none: say nothing of the value.
        _ => bail!("--config expects key=value"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ociref.toml");
        std::fs::write(
            &file,
            "policy = \"last-push\"\nbadge_color = \"green\"\nhistory_retention = 50\ninclude_prereleases = true\n",
        )
        .unwrap();
        let env = [
            ("OCIREF_BADGE_COLOR".to_owned(), "red".to_owned()),
            ("OCIREF_WEBHOOK_TOKEN".to_owned(), "s3cret".to_owned()),
            ("OCIREF_WASM".to_owned(), "/x.wasm".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        let flags = ["policy=semver".to_owned(), "badge_label=image=x".to_owned()];
        let config = load(Some(&file), env, &flags).unwrap();
        let expected: BTreeMap<String, String> = [
            ("badge_color", "red"),
            ("badge_label", "image=x"),
            ("history_retention", "50"),
            ("include_prereleases", "true"),
            ("policy", "semver"),
            ("webhook_token", "s3cret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(config, expected);
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(parse_flag("novalue").is_err());
        assert!(parse_flag("=x").is_err());
        assert!(parse_toml("[badge]\ncolor = \"red\"").is_err());
        assert!(parse_toml("not toml").is_err());
    }
}
