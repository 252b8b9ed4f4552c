//! The little URL handling the registry client needs: a base (`scheme://authority`), absolute
//! URLs a registry names (a token realm, a `Link`), and where a request goes. No general URL
//! parser: anything unusual (userinfo, a fragment, spaces) is refused rather than guessed at.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// An absolute `http(s)` URL split the way `wasi:http` wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Url {
    pub scheme: Scheme,
    /// `host` or `host:port`, lower case.
    pub authority: String,
    /// Starts with `/`.
    pub path_and_query: String,
}

impl Url {
    /// Parses `http(s)://authority[/path][?query]`; a fragment is dropped.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.chars().any(|c| c.is_control() || c == ' ') {
            return None;
        }
        let (scheme, rest) = s.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let authority_ok = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
        if !authority_ok {
            return None;
        }
        let path_and_query = match tail.strip_prefix('?') {
            Some(query) => format!("/?{query}"),
            None if tail.is_empty() => "/".to_owned(),
            None => tail.to_owned(),
        };
        Some(Self {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path_and_query,
        })
    }

    /// The same server, another path.
    pub fn at(&self, path_and_query: String) -> Self {
        Self {
            scheme: self.scheme,
            authority: self.authority.clone(),
            path_and_query,
        }
    }

    /// The host without its port.
    pub fn host(&self) -> &str {
        host_of(&self.authority)
    }

    /// Adds `key=value` pairs to the query, encoded.
    pub fn with_query(mut self, pairs: &[(&str, &str)]) -> Self {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        let query = query.finish();
        if !query.is_empty() {
            let joiner = if self.path_and_query.contains('?') {
                '&'
            } else {
                '?'
            };
            self.path_and_query = format!("{}{joiner}{query}", self.path_and_query);
        }
        self
    }
}

/// `host` of `host:port` (and of `[v6]:port`).
pub fn host_of(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => authority,
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path_and_query
        )
    }
}

/// A `Link` that names another server (never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignLink;

/// The `rel="next"` target of a `Link` header (RFC 5988), resolved against `base`: a path
/// (`</v2/...>`) stays on the base's server; an absolute URL must name the same server. `None`
/// when there is no next link; `Err` when it points elsewhere.
pub fn next_link(header: &str, base: &Url) -> Result<Option<Url>, ForeignLink> {
    for link in header.split(',') {
        let Some((target, params)) = link
            .trim()
            .strip_prefix('<')
            .and_then(|l| l.split_once('>'))
        else {
            continue;
        };
        let is_next = params.split(';').any(|p| {
            p.trim().split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if !is_next {
            continue;
        }
        let target = target.trim();
        if target.starts_with('/') && !target.starts_with("//") {
            return Ok(Url::parse(&format!(
                "{}://{}{target}",
                base.scheme.as_str(),
                base.authority
            )));
        }
        return match Url::parse(target) {
            Some(url) if url.authority == base.authority && url.scheme == base.scheme => {
                Ok(Some(url))
            }
            _ => Err(ForeignLink),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_registries_name() {
        let u = Url::parse("https://Auth.Docker.io/token?service=x").unwrap();
        assert_eq!(
            (u.scheme, u.authority.as_str(), u.path_and_query.as_str()),
            (Scheme::Https, "auth.docker.io", "/token?service=x")
        );
        assert_eq!(
            Url::parse("http://127.0.0.1:5000").unwrap().path_and_query,
            "/"
        );
        assert_eq!(
            Url::parse("http://h?x=1#f").unwrap().path_and_query,
            "/?x=1"
        );
        for bad in [
            "ftp://h/",
            "https://",
            "https://u:p@h/",
            "h/x",
            "https://h /",
            "https://h\n/",
        ] {
            assert_eq!(Url::parse(bad), None, "{bad}");
        }
        assert_eq!(host_of("localhost:5000"), "localhost");
        assert_eq!(host_of("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn query_pairs_are_encoded_and_joined() {
        let u = Url::parse("https://r.io/token?a=1")
            .unwrap()
            .with_query(&[("scope", "repository:team/app:pull")]);
        assert_eq!(
            u.path_and_query,
            "/token?a=1&scope=repository%3Ateam%2Fapp%3Apull"
        );
    }

    #[test]
    fn next_links_stay_on_the_registry() {
        let base = Url::parse("https://r.io").unwrap();
        let next = next_link(r#"</v2/app/tags/list?n=2&last=b>; rel="next""#, &base);
        assert_eq!(
            next.unwrap().unwrap().to_string(),
            "https://r.io/v2/app/tags/list?n=2&last=b"
        );
        let absolute = next_link("<https://r.io/v2/a/tags/list?last=x>; rel=next", &base);
        assert_eq!(absolute.unwrap().unwrap().authority, "r.io");
        assert_eq!(next_link(r#"</x>; rel="prev""#, &base), Ok(None));
        assert_eq!(next_link("", &base), Ok(None));
        assert!(next_link(r#"<https://evil.example/x>; rel="next""#, &base).is_err());
        assert!(next_link(r#"<//evil.example/x>; rel="next""#, &base).is_err());
    }
}
