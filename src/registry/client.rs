//! The requests of reconciliation: a page of tags, a manifest's digest, and the registry's
//! authentication challenge in between. Every request spends one unit of a shared [`Budget`].

use super::url::{next_link, Url};
use super::{
    FailureKind, Incoming, Method, Outgoing, RegistryConfig, RegistryError, Stop, Transport,
    TransportError,
};
use crate::reference::{validate_digest, validate_tag};
use base64::Engine;
use serde::Deserialize;
use sha2::Digest;
use std::cell::Cell;

/// Tags asked for per page.
pub const PAGE_SIZE: usize = 1000;

/// What manifests we accept, so the registry answers with the digest clients pull by.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Registry requests one ociref request may still make.
#[derive(Debug)]
pub struct Budget {
    left: Cell<u32>,
    spent: Cell<u32>,
}

impl Budget {
    pub fn new(requests: u32) -> Self {
        Self {
            left: Cell::new(requests),
            spent: Cell::new(0),
        }
    }

    pub fn spent(&self) -> u32 {
        self.spent.get()
    }

    pub fn left(&self) -> u32 {
        self.left.get()
    }

    fn take(&self) -> Result<(), Stop> {
        let left = self.left.get().checked_sub(1).ok_or(Stop::Budget)?;
        self.left.set(left);
        self.spent.set(self.spent.get() + 1);
        Ok(())
    }
}

/// One page of a tag listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsPage {
    /// Valid tag names only; anything else a registry lists is skipped.
    pub tags: Vec<String>,
    pub next: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: Option<String>,
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// A session with one repository of one registry: it remembers the authorization the
/// registry's challenge asked for, for as long as this ociref request lasts (tokens are never
/// stored).
pub struct Client<'a> {
    transport: &'a dyn Transport,
    registry: &'a RegistryConfig,
    budget: &'a Budget,
    repository: String,
    authorization: Option<String>,
}

impl<'a> Client<'a> {
    pub fn new(
        transport: &'a dyn Transport,
        registry: &'a RegistryConfig,
        budget: &'a Budget,
        repository: &str,
    ) -> Self {
        Self {
            transport,
            registry,
            budget,
            repository: repository.to_owned(),
            authorization: None,
        }
    }

    pub fn first_page(&self) -> Url {
        self.registry
            .base
            .at(format!("/v2/{}/tags/list?n={PAGE_SIZE}", self.repository))
    }

    /// One page of tags; `None` when the registry has no such repository.
    pub fn tags(&mut self, page: &Url) -> Result<Option<TagsPage>, Stop> {
        let host = &self.registry.host;
        if page.authority != self.registry.base.authority {
            return Err(refused(host, "a tag page on another server"));
        }
        let response = self.send(Method::Get, page, "application/json")?;
        match response.status {
            200 => {}
            404 => return Ok(None),
            status => {
                return Err(RegistryError::status(host, status, "the tag list request").into())
            }
        }
        let list: TagList = serde_json::from_slice(&response.body)
            .map_err(|_| refused(host, "a tag list that is not the OCI JSON"))?;
        let tags: Vec<String> = list
            .tags
            .unwrap_or_default()
            .into_iter()
            .filter(|t| validate_tag(t).is_ok())
            .collect();
        let next = match response.header("link") {
            Some(link) => next_link(link, &self.registry.base)
                .map_err(|_| refused(host, "a Link to another server"))?,
            None => None,
        };
        Ok(Some(TagsPage { tags, next }))
    }

    /// The digest `tag` resolves to; `None` when the registry has no such tag.
    pub fn manifest(&mut self, tag: &str) -> Result<Option<Manifest>, Stop> {
        let host = self.registry.host.clone();
        let url = self
            .registry
            .base
            .at(format!("/v2/{}/manifests/{tag}", self.repository));
        let head = self.send(Method::Head, &url, MANIFEST_ACCEPT)?;
        let answer = match head.status {
            200 => head,
            404 => return Ok(None),
            // Some registries answer HEAD without the digest or refuse it: ask with GET.
            405 => self.send(Method::Get, &url, MANIFEST_ACCEPT)?,
            status => {
                return Err(RegistryError::status(&host, status, "the manifest request").into())
            }
        };
        if answer.status == 404 {
            return Ok(None);
        }
        if answer.status != 200 {
            return Err(RegistryError::status(&host, answer.status, "the manifest request").into());
        }
        let media_type = answer
            .header("content-type")
            .map(|ct| ct.split(';').next().unwrap_or_default().trim().to_owned())
            .filter(|ct| !ct.is_empty());
        let digest = match answer.header("docker-content-digest") {
            Some(d) => d.trim().to_owned(),
            None => {
                let body = if answer.body.is_empty() {
                    let got = self.send(Method::Get, &url, MANIFEST_ACCEPT)?;
                    if got.status != 200 {
                        return Err(RegistryError::status(
                            &host,
                            got.status,
                            "the manifest request",
                        )
                        .into());
                    }
                    got.body
                } else {
                    answer.body
                };
                format!("sha256:{}", hex::encode(sha2::Sha256::digest(&body)))
            }
        };
        validate_digest(&digest).map_err(|_| refused(&host, "an invalid manifest digest"))?;
        Ok(Some(Manifest { digest, media_type }))
    }

    /// Sends a request, answering one authentication challenge on the way.
    fn send(&mut self, method: Method, url: &Url, accept: &str) -> Result<Incoming, Stop> {
        let mut challenged = false;
        loop {
            let mut headers = vec![("accept".to_owned(), accept.to_owned())];
            if let Some(auth) = &self.authorization {
                headers.push(("authorization".to_owned(), auth.clone()));
            }
            let response = self.exchange(
                Outgoing {
                    method,
                    url: url.clone(),
                    headers,
                },
                "",
            )?;
            if response.status != 401 || challenged {
                return Ok(response);
            }
            challenged = true;
            let challenge = response
                .header("www-authenticate")
                .unwrap_or_default()
                .to_owned();
            self.authorization = Some(self.answer(&challenge)?);
        }
    }

    fn exchange(&self, request: Outgoing, whose: &str) -> Result<Incoming, Stop> {
        self.budget.take()?;
        let host = &self.registry.host;
        self.transport.send(&request).map_err(|e| {
            Stop::Failed(match e {
                TransportError::Unreachable(why) => RegistryError::new(
                    FailureKind::Unavailable,
                    format!("registry {host}{whose} is unreachable: {why}"),
                ),
                TransportError::TooLarge => RegistryError::new(
                    FailureKind::Refused,
                    format!(
                        "registry {host}{whose} sent more than {} bytes",
                        super::MAX_RESPONSE_BYTES
                    ),
                ),
            })
        })
    }

    /// The `Authorization` value a `WWW-Authenticate` challenge asks for.
    fn answer(&self, challenge: &str) -> Result<String, Stop> {
        let host = &self.registry.host;
        let challenges = http_auth::parse_challenges(challenge).unwrap_or_default();
        let param = |c: &http_auth::ChallengeRef<'_>, name: &str| {
            c.params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_unescaped())
        };
        let basic = || {
            self.registry.credentials().map(|(user, password)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                )
            })
        };
        if let Some(bearer) = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        {
            let realm = param(bearer, "realm")
                .and_then(|r| Url::parse(&r))
                .ok_or_else(|| refused(host, "a Bearer challenge without a usable realm"))?;
            if !self.registry.allows_realm(&realm) {
                return Err(Stop::Failed(RegistryError::new(
                    FailureKind::Refused,
                    format!(
                        "registry {host} named token realm host {}, which ociref does not ask: add it to registry.{host}.token_realm_hosts",
                        realm.authority
                    ),
                )));
            }
            let default_scope = format!("repository:{}:pull", self.repository);
            let scope = param(bearer, "scope").unwrap_or(default_scope);
            let mut query = vec![("scope", scope.as_str())];
            let service = param(bearer, "service");
            if let Some(service) = &service {
                query.insert(0, ("service", service.as_str()));
            }
            let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
            headers.extend(basic().map(|b| ("authorization".to_owned(), b)));
            let response = self.exchange(
                Outgoing {
                    method: Method::Get,
                    url: realm.with_query(&query),
                    headers,
                },
                "'s token service",
            )?;
            if response.status != 200 {
                return Err(
                    RegistryError::status(host, response.status, "the token request").into(),
                );
            }
            let answer: TokenAnswer = serde_json::from_slice(&response.body)
                .map_err(|_| refused(host, "a token answer that is not JSON"))?;
            let token = answer
                .token
                .or(answer.access_token)
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| refused(host, "a token answer without a token"))?;
            return Ok(format!("Bearer {token}"));
        }
        if challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
        {
            return basic().ok_or_else(|| {
                Stop::Failed(RegistryError::new(
                    FailureKind::Unauthorized,
                    format!(
                        "registry {host} asks for credentials: set registry.{host}.username and registry.{host}.password"
                    ),
                ))
            });
        }
        Err(Stop::Failed(RegistryError::new(
            FailureKind::Unauthorized,
            format!("registry {host} answered 401 without a Bearer or Basic challenge"),
        )))
    }
}

fn refused(host: &str, what: &str) -> Stop {
    Stop::Failed(RegistryError::new(
        FailureKind::Refused,
        format!("registry {host} sent {what}"),
    ))
}
