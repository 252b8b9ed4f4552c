//! An in-memory OCI registry behind the `Transport` trait, scriptable: its repositories and
//! tags, its authentication (none, Basic, Bearer with a token service), its page size, and
//! outages (down, or failing from the n-th request). Every request is logged.
#![allow(dead_code)]

use base64::Engine;
use ociref::registry::{Incoming, Method, Outgoing, Transport, TransportError};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

pub const AUTHORITY: &str = "registry.test";
pub const TOKEN_AUTHORITY: &str = "auth.test";
pub const TOKEN: &str = "issued-token-42";

#[derive(Debug, Clone)]
pub enum Auth {
    Open,
    Basic {
        user: String,
        password: String,
    },
    /// Tokens from `http://auth.test/token`; with `credentials`, only for those (Basic).
    Bearer {
        credentials: Option<(String, String)>,
        realm: String,
    },
}

#[derive(Debug)]
struct State {
    repos: BTreeMap<String, BTreeMap<String, String>>,
    auth: Auth,
    page_size: usize,
    /// Send a `Link` header (else clients must use `last`).
    links: bool,
    down: bool,
    fail_from: Option<usize>,
    requests: Vec<Outgoing>,
}

pub struct FakeRegistry(Mutex<State>);

pub fn digest(n: u64) -> String {
    format!("sha256:{n:064x}")
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn answer(status: u16, headers: &[(&str, String)], body: &str) -> Incoming {
    Incoming {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

impl Default for FakeRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeRegistry {
    pub fn new() -> Self {
        Self(Mutex::new(State {
            repos: BTreeMap::new(),
            auth: Auth::Open,
            page_size: 1000,
            links: true,
            down: false,
            fail_from: None,
            requests: Vec::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn tag(&self, repo: &str, tag: &str, d: u64) -> &Self {
        self.lock()
            .repos
            .entry(repo.into())
            .or_default()
            .insert(tag.into(), digest(d));
        self
    }

    pub fn untag(&self, repo: &str, tag: &str) -> &Self {
        if let Some(r) = self.lock().repos.get_mut(repo) {
            r.remove(tag);
        }
        self
    }

    pub fn auth(&self, auth: Auth) -> &Self {
        self.lock().auth = auth;
        self
    }

    pub fn page_size(&self, n: usize, links: bool) -> &Self {
        let mut s = self.lock();
        s.page_size = n;
        s.links = links;
        self
    }

    pub fn down(&self, down: bool) -> &Self {
        let mut s = self.lock();
        s.down = down;
        s.fail_from = None;
        self
    }

    /// Fails every request from the `n`th from now (0 = the next).
    pub fn fail_after(&self, n: usize) -> &Self {
        let mut s = self.lock();
        s.fail_from = Some(s.requests.len() + n);
        self
    }

    pub fn requests(&self) -> Vec<Outgoing> {
        self.lock().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }
}

impl Transport for FakeRegistry {
    fn send(&self, request: &Outgoing) -> Result<Incoming, TransportError> {
        let mut s = self.lock();
        let index = s.requests.len();
        s.requests.push(request.clone());
        if s.down || s.fail_from.is_some_and(|f| index >= f) {
            return Err(TransportError::Unreachable("connection refused".into()));
        }
        let url = &request.url;
        let (path, query) = url
            .path_and_query
            .split_once('?')
            .unwrap_or((&url.path_and_query, ""));
        let query: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let authorization = request.header("authorization").map(str::to_owned);
        if url.authority == TOKEN_AUTHORITY && path == "/token" {
            let Auth::Bearer { credentials, .. } = &s.auth else {
                return Ok(answer(404, &[], ""));
            };
            if let Some((user, password)) = credentials {
                if authorization.as_deref() != Some(&basic(user, password)) {
                    return Ok(answer(401, &[], r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#));
                }
            }
            assert!(query.contains_key("scope"), "{query:?}");
            return Ok(answer(
                200,
                &[],
                &format!(r#"{{"access_token":"{TOKEN}","expires_in":300}}"#),
            ));
        }
        if url.authority != AUTHORITY {
            return Err(TransportError::Unreachable(format!(
                "no such host {}",
                url.authority
            )));
        }
        let repo_of = |p: &str, marker: &str| {
            p.strip_prefix("/v2/")
                .and_then(|p| p.split_once(marker))
                .map(|(repo, rest)| (repo.to_owned(), rest.to_owned()))
        };
        let challenge = match &s.auth {
            Auth::Open => None,
            Auth::Basic { user, password } => (authorization.as_deref()
                != Some(&basic(user, password)))
            .then(|| r#"Basic realm="fake""#.to_owned()),
            Auth::Bearer { realm, .. } => {
                (authorization.as_deref() != Some(&format!("Bearer {TOKEN}"))).then(|| {
                    let scope = repo_of(path, "/tags/list")
                        .or_else(|| repo_of(path, "/manifests/"))
                        .map(|(r, _)| format!(",scope=\"repository:{r}:pull\""))
                        .unwrap_or_default();
                    format!(r#"Bearer realm="{realm}",service="{AUTHORITY}"{scope}"#)
                })
            }
        };
        if let Some(challenge) = challenge {
            return Ok(answer(401, &[("www-authenticate", challenge)], ""));
        }
        if let Some((repo, _)) = repo_of(path, "/tags/list").filter(|(_, rest)| rest.is_empty()) {
            let Some(tags) = s.repos.get(&repo) else {
                return Ok(answer(404, &[], r#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#));
            };
            let n: usize = query
                .get("n")
                .and_then(|n| n.parse().ok())
                .unwrap_or(s.page_size)
                .min(s.page_size);
            let last = query.get("last").cloned().unwrap_or_default();
            let page: Vec<&String> = tags.keys().filter(|t| **t > last).take(n).collect();
            let more = tags.keys().filter(|t| **t > last).count() > page.len();
            let mut headers = vec![("content-type", "application/json".to_owned())];
            if let (true, true, Some(end)) = (more, s.links, page.last()) {
                headers.push((
                    "link",
                    format!(r#"</v2/{repo}/tags/list?n={n}&last={end}>; rel="next""#),
                ));
            }
            let body = serde_json::json!({ "name": repo, "tags": page }).to_string();
            return Ok(answer(200, &headers, &body));
        }
        if let Some((repo, tag)) = repo_of(path, "/manifests/") {
            return Ok(match s.repos.get(&repo).and_then(|r| r.get(&tag)) {
                Some(d) => answer(
                    200,
                    &[
                        ("docker-content-digest", d.clone()),
                        (
                            "content-type",
                            "application/vnd.oci.image.manifest.v1+json".into(),
                        ),
                    ],
                    "",
                ),
                None => answer(404, &[], ""),
            });
        }
        Ok(answer(404, &[], ""))
    }
}

/// `Method` is compared in tests.
pub fn is_head(r: &Outgoing) -> bool {
    r.method == Method::Head
}
