//! Per-registry configuration from flat keys `registry.<host>.<field>` (wasmCloud named config
//! and the dev host's `--config` both hold plain string pairs). Only registries named here are
//! ever contacted.

use super::url::{Scheme, Url};
use crate::reference::validate_host;
use std::collections::BTreeMap;
use std::fmt;

/// One registry ociref may ask.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// The name references and webhooks use (`localhost:5000`, `myregistry.azurecr.io`).
    pub host: String,
    /// Where its API answers (`registry.<host>.url`, else `https://<host>`).
    pub base: Url,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Authorities a Bearer token realm may name besides the registry's own.
    pub token_realm_hosts: Vec<String>,
}

// Hand-written so a password can never reach a log line through `{:?}`.
impl fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryConfig")
            .field("host", &self.host)
            .field("base", &self.base.to_string())
            .field("username", &self.username.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token_realm_hosts", &self.token_realm_hosts)
            .finish()
    }
}

impl RegistryConfig {
    /// Whether a Bearer realm on `authority` may receive our credentials (or be asked at all).
    pub fn allows_realm(&self, realm: &Url) -> bool {
        // Credentials that travel over TLS to the registry never go to a plain-HTTP realm.
        let downgrade = self.base.scheme == Scheme::Https && realm.scheme == Scheme::Http;
        !downgrade
            && (realm.authority == self.base.authority
                || realm.authority == self.host
                || self.token_realm_hosts.contains(&realm.authority))
    }

    /// `username:password`, when both are configured.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        Some((self.username.as_deref()?, self.password.as_deref()?))
    }
}

/// Collects `registry.*` keys; `finish` checks them as a whole.
#[derive(Default)]
pub struct Builder {
    fields: BTreeMap<String, BTreeMap<String, String>>,
}

impl Builder {
    /// Takes `key` if it is a `registry.<host>.<field>` key; an error names the key only.
    pub fn accept(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let Some(rest) = key.strip_prefix("registry.") else {
            return Ok(false);
        };
        let Some((host, field)) = rest.rsplit_once('.') else {
            return Err(format!("config key {key} must be registry.<host>.<field>"));
        };
        if validate_host(host).is_err() {
            return Err(format!("config key {key}: the host is not a registry host"));
        }
        if !matches!(field, "url" | "username" | "password" | "token_realm_hosts") {
            return Err(format!(
                "config key {key}: the field must be url, username, password or token_realm_hosts"
            ));
        }
        self.fields
            .entry(host.to_owned())
            .or_default()
            .insert(field.to_owned(), value.to_owned());
        Ok(true)
    }

    pub fn finish(self) -> Result<BTreeMap<String, RegistryConfig>, String> {
        let mut out = BTreeMap::new();
        for (host, fields) in self.fields {
            let field = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
            let key = |name: &str| format!("config key registry.{host}.{name}");
            let base = match field("url") {
                Some(url) => Url::parse(url)
                    .filter(|u| u.path_and_query == "/")
                    .ok_or_else(|| {
                        format!(
                            "{} must be http(s)://host[:port] without a path",
                            key("url")
                        )
                    })?,
                None => Url::parse(&format!("https://{host}"))
                    .ok_or_else(|| format!("{} is needed for this host", key("url")))?,
            };
            for secret in ["username", "password"] {
                if field(secret).is_some_and(|v| v.chars().any(char::is_control)) {
                    return Err(format!(
                        "{} must not contain control characters",
                        key(secret)
                    ));
                }
            }
            let (username, password) = (field("username"), field("password"));
            if username.is_some() != password.is_some() {
                return Err(format!(
                    "{} and .password must be set together",
                    key("username")
                ));
            }
            let token_realm_hosts = field("token_realm_hosts")
                .map(|v| {
                    v.split(',')
                        .map(|h| h.trim().to_ascii_lowercase())
                        .filter(|h| !h.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            out.insert(
                host.clone(),
                RegistryConfig {
                    host,
                    base,
                    username: username.map(str::to_owned),
                    password: password.map(str::to_owned),
                    token_realm_hosts,
                },
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(pairs: &[(&str, &str)]) -> Result<BTreeMap<String, RegistryConfig>, String> {
        let mut b = Builder::default();
        for (k, v) in pairs {
            assert!(b.accept(k, v)?);
        }
        b.finish()
    }

    #[test]
    fn a_registry_from_its_keys() {
        let r = build(&[
            ("registry.localhost:5000.url", "http://127.0.0.1:5000"),
            ("registry.localhost:5000.username", "ci"),
            ("registry.localhost:5000.password", "s3cret"),
            ("registry.docker.io.url", "https://registry-1.docker.io"),
            (
                "registry.docker.io.token_realm_hosts",
                "auth.docker.io, x.io",
            ),
            ("registry.ghcr.io.username", "me"),
            ("registry.ghcr.io.password", "pat"),
        ])
        .unwrap();
        let local = &r["localhost:5000"];
        assert_eq!(local.base.to_string(), "http://127.0.0.1:5000/");
        assert_eq!(local.credentials(), Some(("ci", "s3cret")));
        assert!(!format!("{local:?}").contains("s3cret"));
        assert_eq!(r["ghcr.io"].base.to_string(), "https://ghcr.io/");
        let hub = &r["docker.io"];
        assert!(hub.allows_realm(&Url::parse("https://auth.docker.io/token").unwrap()));
        assert!(!hub.allows_realm(&Url::parse("https://evil.io/token").unwrap()));
        assert!(!hub.allows_realm(&Url::parse("http://auth.docker.io/token").unwrap()));
        assert!(r["ghcr.io"].allows_realm(&Url::parse("https://ghcr.io/token").unwrap()));
    }

    #[test]
    fn errors_name_the_key_and_never_the_value() {
        for pairs in [
            &[("registry.r.io.url", "ftp://s3cret")][..],
            &[("registry.r.io.url", "https://r.io/s3cret")],
            &[("registry.r.io.username", "s3cret")],
            &[
                ("registry.r.io.password", "s3\ncret"),
                ("registry.r.io.username", "u"),
            ],
            &[("registry.r.io.nope", "s3cret")],
            &[("registry.Bad_Host!.url", "s3cret")],
        ] {
            let e = build(pairs).unwrap_err();
            assert!(e.contains("registry.") && !e.contains("s3cret"), "{e}");
        }
        assert!(!Builder::default().accept("webhook_token", "x").unwrap());
    }
}
