//! The application: a pure router and handlers from a plain [`Request`] to a plain
//! [`Response`], given a [`Store`]. The wasi glue and the tests both drive it through
//! [`handle`]; nothing here knows about bindings.

use crate::auth;
use crate::badge::{self, Badge};
use crate::config::Config;
use crate::error::Error;
use crate::http::{Body, Method, Request, Response};
use crate::policy::Selection;
use crate::reference::{looks_like_host, validate_host, validate_repository, Reference};
use crate::state::Effect;
use crate::store::{keys, parse_counter, Store};
use crate::timestamp::Timestamp;
use crate::tracker::{Empty, Latest, Listed, LogEntry, Recorded, Tracker};
use crate::webhook::{acr, Action, Delivery, Event};
use serde::{Deserialize, Serialize};

mod body;

/// Everything a request is handled with besides the store.
#[derive(Debug, Clone)]
pub struct Context {
    /// A configuration the host gave that cannot be used: every answer says so.
    pub config: Result<Config, String>,
    pub now: Timestamp,
}

/// Every endpoint, from the path alone (methods are checked by each handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Index,
    Health,
    AzureWebhook,
    SetReference,
    Refs,
    Ref(String),
    History(String),
    Category(String),
    CategoryMember(String, String),
    /// `/<name>`: a repository, `host/repository`, or nested `team/app`.
    Badge(String),
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Self {
        let path = path.trim_start_matches('/');
        let segments: Vec<&str> = path.split('/').collect();
        // The rest of the path after its first `n` segments (what `..` matched, slashes kept).
        let after = |n: usize| {
            path.splitn(n + 1, '/')
                .nth(n)
                .unwrap_or_default()
                .to_owned()
        };
        match segments.as_slice() {
            [""] => Self::Index,
            ["healthz"] => Self::Health,
            ["api", "azurehook"] => Self::AzureWebhook,
            ["api", "reference"] => Self::SetReference,
            ["api", "refs"] => Self::Refs,
            ["api", "refs", _, ..] => Self::Ref(after(2)),
            ["api", "history", _, ..] => Self::History(after(2)),
            ["api", "categories", category] => Self::Category((*category).to_owned()),
            ["api", "categories", category, _, ..] => {
                Self::CategoryMember((*category).to_owned(), after(3))
            }
            // `/api/...` is never a repository, and neither are the files browsers ask for.
            ["api", ..] | ["favicon.ico"] | ["robots.txt"] => Self::NotFound,
            _ => Self::Badge(path.to_owned()),
        }
    }
}

/// Handles one request. Never panics; every failure is a response.
pub fn handle(request: &Request, store: &impl Store, context: &Context) -> Response {
    let route = Route::parse(&request.path);
    let config = match &context.config {
        Ok(c) => c,
        Err(why) => return misconfigured(&route, why),
    };
    let app = App {
        store,
        config,
        now: context.now,
    };
    let result = match &route {
        Route::Badge(name) => {
            return match request.method {
                Method::Get | Method::Head => app.badge(name, &request.query),
                _ => Err(Error::MethodNotAllowed("GET, HEAD")),
            }
            .unwrap_or_else(Error::into_response)
        }
        Route::Index => only(request, &[Method::Get, Method::Head], "GET, HEAD").map(|()| index()),
        Route::Health => {
            only(request, &[Method::Get, Method::Head], "GET, HEAD").and_then(|()| app.health())
        }
        Route::AzureWebhook => {
            only(request, &[Method::Post], "POST").and_then(|()| app.azure_webhook(request))
        }
        Route::SetReference => {
            only(request, &[Method::Post], "POST").and_then(|()| app.set_reference(request))
        }
        Route::Refs => only(request, &[Method::Get, Method::Head], "GET, HEAD")
            .and_then(|()| app.refs(&request.query)),
        Route::Ref(name) => only(request, &[Method::Get, Method::Head], "GET, HEAD")
            .and_then(|()| app.reference(name)),
        Route::History(name) => only(request, &[Method::Get, Method::Head], "GET, HEAD")
            .and_then(|()| app.history(name, &request.query)),
        Route::Category(category) => only(request, &[Method::Get, Method::Head], "GET, HEAD")
            .and_then(|()| app.category(category)),
        Route::CategoryMember(category, name) => match request.method {
            Method::Put | Method::Delete => app.category_member(request, category, name),
            _ => Err(Error::MethodNotAllowed("PUT, DELETE")),
        },
        Route::NotFound => Err(Error::NotFound(format!(
            "no endpoint at {}",
            shown_path(&request.path)
        ))),
    };
    result.unwrap_or_else(|e| {
        let detail = e.log_detail();
        let mut response = e.into_response();
        if response.status >= 500 {
            response.log = Some(detail);
        }
        response
    })
}

fn only(request: &Request, methods: &[Method], allow: &'static str) -> Result<(), Error> {
    if methods.contains(&request.method) {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed(allow))
    }
}

/// A client's path as an error quotes it: at most 100 characters, each control character
/// shown as U+FFFD. Replaced, not dropped: dropping would join the pieces around it into
/// text the client never sent (found by fuzz/route_and_name: a token split by CR LF).
fn shown_path(path: &str) -> String {
    path.chars()
        .take(100)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

fn misconfigured(route: &Route, why: &str) -> Response {
    if let Route::Badge(_) = route {
        let defaults = Config::default().badge;
        return badge_response(&badge::invalid(&defaults, "ociref is misconfigured"));
    }
    let mut response =
        Error::Misconfigured(format!("ociref is misconfigured: {why}")).into_response();
    response.log = Some(why.to_owned());
    response
}

fn badge_response(badge: &Badge) -> Response {
    let mut response = Response::json(200, badge);
    response
        .headers
        .push(("cache-control", format!("max-age={}", badge::CACHE_SECONDS)));
    response
}

/// What `GET /` lists, sorted by key (see `body`).
const ENDPOINTS: &[(&str, &str)] = &[
    (
        "GET /<repository>",
        "shields.io endpoint badge (query: format=ref|tag|pinned, label, color, logo)",
    ),
    (
        "GET /api/categories/<category>",
        "a named list with current references",
    ),
    (
        "GET /api/history/<repository>?limit=N",
        "recent events, newest first",
    ),
    ("GET /api/refs", "every tracked repository"),
    ("GET /api/refs/<repository>", "the current reference record"),
    ("GET /healthz", "200 when the store answers"),
    (
        "POST /api/azurehook",
        "Azure Container Registry webhook (Authorization: Bearer <token>)",
    ),
    (
        "POST /api/reference",
        "set a reference by hand: {\"name\", \"url\"}",
    ),
    (
        "PUT|DELETE /api/categories/<category>/<repository>",
        "add to or remove from a list",
    ),
];

fn index() -> Response {
    Response::json(
        200,
        &body::Index {
            endpoints: body::Endpoints(ENDPOINTS),
            service: "ociref",
        },
    )
}

/// The record `/api/refs/<name>` and webhook responses show.
#[derive(Debug, Serialize)]
struct RefRecord {
    name: String,
    registry: String,
    repository: String,
    tag: String,
    digest: Option<String>,
    media_type: Option<String>,
    reference: String,
    pinned: String,
    pushed_at: String,
    event_id: String,
    policy: &'static str,
}

impl RefRecord {
    fn of(name: &str, latest: &Latest) -> Option<Self> {
        let c = latest.current.as_ref()?;
        let reference = Reference {
            host: c.record.host.clone(),
            repository: name.to_owned(),
            tag: c.tag.clone(),
            digest: c.record.digest.clone(),
        };
        Some(Self {
            name: name.to_owned(),
            registry: reference.host.clone(),
            repository: name.to_owned(),
            tag: c.tag.clone(),
            digest: c.record.digest.clone(),
            media_type: c.record.media_type.clone(),
            reference: reference.to_string(),
            pinned: reference.pinned(),
            pushed_at: c.record.pushed.at.to_string(),
            event_id: c.record.pushed.id.clone(),
            policy: latest.selection.policy.as_str(),
        })
    }

    fn sorted(&self) -> body::SortedRecord<'_> {
        body::SortedRecord {
            digest: self.digest.as_deref(),
            event_id: &self.event_id,
            media_type: self.media_type.as_deref(),
            name: &self.name,
            pinned: &self.pinned,
            policy: self.policy,
            pushed_at: &self.pushed_at,
            reference: &self.reference,
            registry: &self.registry,
            repository: &self.repository,
            tag: &self.tag,
        }
    }
}

/// `/<name>` as the candidates to look up, most specific first.
struct Lookup {
    /// The registry host the path named, which the record must match.
    host: Option<String>,
    candidates: Vec<String>,
}

fn lookup(raw: &str) -> Result<Lookup, Error> {
    let invalid = |e: crate::reference::InvalidReference| Error::InvalidName(e.0);
    let whole_is_repository = validate_repository(raw);
    match raw.split_once('/') {
        Some((first, rest)) if looks_like_host(first) => {
            // `my.app/x` may be a host and a repository, or one repository: try both.
            match (
                validate_host(first).and(validate_repository(rest)),
                whole_is_repository,
            ) {
                (Ok(()), whole) => Ok(Lookup {
                    host: Some(first.to_owned()),
                    candidates: std::iter::once(rest.to_owned())
                        .chain(whole.ok().map(|()| raw.to_owned()))
                        .collect(),
                }),
                (Err(_), Ok(())) => Ok(Lookup {
                    host: None,
                    candidates: vec![raw.to_owned()],
                }),
                (Err(e), Err(_)) => Err(invalid(e)),
            }
        }
        _ => whole_is_repository
            .map(|()| Lookup {
                host: None,
                candidates: vec![raw.to_owned()],
            })
            .map_err(invalid),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetReference {
    name: Option<String>,
    url: String,
}

/// Entries a category keeps over its lifetime (additions, re-additions included).
const MAX_CATEGORY_ENTRIES: u64 = 1024;

struct App<'a, S: Store> {
    store: &'a S,
    config: &'a Config,
    now: Timestamp,
}

impl<S: Store> App<'_, S> {
    fn tracker(&self) -> Tracker<'_, S> {
        self.tracker_with(self.config.selection)
    }

    fn tracker_with(&self, selection: Selection) -> Tracker<'_, S> {
        Tracker {
            store: self.store,
            selection,
            retention: self.config.history_retention,
            now: self.now,
        }
    }

    /// Always 200 for a valid name, so a README badge never breaks.
    fn badge(&self, raw: &str, query: &str) -> Result<Response, Error> {
        let lookup = lookup(raw)?;
        let options = match badge::Options::from_query(&self.config.badge, query) {
            Ok(o) => o,
            Err(why) => return Ok(badge_response(&badge::invalid(&self.config.badge, &why))),
        };
        let names: Vec<&str> = lookup.candidates.iter().map(String::as_str).collect();
        let badge = match self.tracker().current(&names) {
            Ok(Some((name, latest))) if host_matches(&lookup, &name, &latest) => {
                badge::for_latest(&options, &name, &latest)
            }
            Ok(_) => badge::not_published(&options),
            Err(e) => {
                let mut r = badge_response(&badge::unavailable(&options));
                r.log = Some(format!("store error: {}", e.0));
                return Ok(r);
            }
        };
        Ok(badge_response(&badge))
    }

    fn health(&self) -> Result<Response, Error> {
        self.store.get_many(&[keys::repositories_count()])?;
        Ok(Response::json(200, &body::Health { status: "ok" }))
    }

    fn json_body<T: for<'de> Deserialize<'de>>(request: &Request) -> Result<T, Error> {
        serde_json::from_slice(json_bytes(request)?).map_err(Error::invalid_json)
    }

    fn azure_webhook(&self, request: &Request) -> Result<Response, Error> {
        let delivery = acr::parse(json_bytes(request)?)?;
        let authorization = request.authorization.as_deref();
        if delivery == Delivery::Ping {
            // A ping changes nothing; it answers whether the wiring (token) is right.
            let authenticated = auth::is_authenticated(self.config, authorization);
            return Ok(Response::json(
                200,
                &body::Pong {
                    action: "ping",
                    authenticated,
                    outcome: "pong",
                },
            ));
        }
        auth::authorize_write(self.config, authorization)?;
        match delivery {
            Delivery::Event(event) => self.record(event),
            Delivery::Unsupported { action, reason } => Ok(Response::json(
                200,
                &body::Ignored {
                    action: &action,
                    outcome: "ignored",
                    reason: &reason,
                },
            )),
            Delivery::Ping => Err(Error::Misconfigured("unreachable ping".into())),
        }
    }

    fn record(&self, event: Event) -> Result<Response, Error> {
        let repository = event.repository.clone();
        let action = event.action;
        let stored = (event.action == Action::Push || event.action == Action::Manual)
            .then(|| event.tag.clone())
            .flatten();
        let Recorded {
            effect,
            seq,
            latest,
        } = self.tracker().record(event)?;
        let (outcome, reason, withdrawn) = match &effect {
            None => (
                "duplicate",
                Some("this event id was already recorded"),
                None,
            ),
            Some(Effect::Tracked) => ("recorded", None, None),
            Some(Effect::Pending) => ("pending", None, None),
            Some(Effect::Withdrew(n)) => ("withdrawn", None, Some(*n)),
            Some(Effect::Ignored(why)) => ("ignored", Some(*why), None),
        };
        let current = RefRecord::of(&repository, &latest);
        Ok(Response::json(
            200,
            &body::Recorded {
                action,
                latest: current.as_ref().map(RefRecord::sorted),
                outcome,
                reason,
                repository: &repository,
                seq,
                stored: stored.as_deref().map(|tag| body::Stored { tag }),
                withdrawn_tags: withdrawn,
            },
        ))
    }

    fn set_reference(&self, request: &Request) -> Result<Response, Error> {
        let body: SetReference = Self::json_body(request)?;
        let reference = Reference::parse(&body.url)?;
        if body
            .name
            .as_ref()
            .is_some_and(|n| *n != reference.repository)
        {
            return Err(Error::InvalidPayload(
                "name must equal the repository in url (ociref tracks repositories)".into(),
            ));
        }
        auth::authorize_write(self.config, request.authorization.as_deref())?;
        self.record(Event {
            id: format!("manual:{}", self.now.0),
            action: Action::Manual,
            timestamp: Some(self.now),
            host: Some(reference.host),
            repository: reference.repository,
            tag: Some(reference.tag),
            digest: reference.digest,
            media_type: None,
        })
    }

    fn reference(&self, raw: &str) -> Result<Response, Error> {
        let lookup = lookup(raw)?;
        let names: Vec<&str> = lookup.candidates.iter().map(String::as_str).collect();
        match self.tracker().current(&names)? {
            Some((name, latest)) if host_matches(&lookup, &name, &latest) => {
                match RefRecord::of(&name, &latest) {
                    Some(record) => Ok(Response::json(200, &record)),
                    None => Err(Error::NotFound(format!(
                        "{name} is tracked but has no live tag ({})",
                        latest.empty.map(Empty::as_str).unwrap_or_default()
                    ))),
                }
            }
            _ => Err(Error::NotFound(format!(
                "{} is not published",
                shown_path(raw)
            ))),
        }
    }

    fn refs(&self, query: &str) -> Result<Response, Error> {
        let cursor = query_number(query, "cursor", 0, u64::MAX)?.unwrap_or(0);
        let limit = query_number(query, "limit", 1, 1000)?.unwrap_or(100);
        let (listed, next) = self.tracker().repositories(cursor, limit)?;
        Ok(Response::json(
            200,
            &body::Listing {
                next_cursor: next,
                repositories: summaries(listed),
            },
        ))
    }

    fn history(&self, raw: &str, query: &str) -> Result<Response, Error> {
        validate_repository(raw).map_err(|e| Error::InvalidName(e.0))?;
        let limit = query_number(query, "limit", 1, 100)?.unwrap_or(20);
        let entries = self
            .tracker()
            .history(raw, limit)?
            .ok_or_else(|| Error::NotFound(format!("{raw} has no history")))?;
        Ok(Response::json(
            200,
            &body::History {
                events: entries.iter().map(history_item).collect(),
                name: raw,
            },
        ))
    }

    fn category(&self, category: &str) -> Result<Response, Error> {
        validate_category(category)?;
        let [count] = self.get_array([keys::category_count(category)])?;
        let count = match count {
            Some(c) => parse_counter(&c)?.unwrap_or(0),
            None => 0,
        }
        .min(MAX_CATEGORY_ENTRIES);
        let mut names: Vec<String> = Vec::new();
        if count > 0 {
            let entry_keys: Vec<String> = (1..=count)
                .map(|n| keys::category_entry(category, n))
                .collect();
            for name in self.store.get_many(&entry_keys)?.into_iter().flatten() {
                let name = String::from_utf8_lossy(&name).into_owned();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let member_keys: Vec<String> = names
            .iter()
            .map(|n| keys::category_member(category, n))
            .collect();
        let present = if member_keys.is_empty() {
            Vec::new()
        } else {
            self.store.get_many(&member_keys)?
        };
        let members: Vec<String> = names
            .into_iter()
            .zip(present)
            .filter_map(|(name, p)| p.map(|_| name))
            .collect();
        let listed = self.tracker().latest_of(members)?;
        Ok(Response::json(
            200,
            &body::Category {
                category,
                members: summaries(listed),
            },
        ))
    }

    fn category_member(
        &self,
        request: &Request,
        category: &str,
        name: &str,
    ) -> Result<Response, Error> {
        validate_category(category)?;
        validate_repository(name).map_err(|e| Error::InvalidName(e.0))?;
        auth::authorize_write(self.config, request.authorization.as_deref())?;
        let member = keys::category_member(category, name);
        if request.method == Method::Delete {
            self.store.delete_many(&[member])?;
            return Ok(Response::json(
                200,
                &body::Membership {
                    category,
                    member: false,
                    name,
                },
            ));
        }
        let count = keys::category_count(category);
        let [present, used] = self.get_array([member.clone(), count.clone()])?;
        if present.is_none() {
            let full = || {
                Error::Conflict(format!(
                    "category {category} has used its {MAX_CATEGORY_ENTRIES} entries; use another category"
                ))
            };
            // Refuse before taking an entry, so a 409 writes nothing.
            let used = match used {
                Some(u) => parse_counter(&u)?.unwrap_or(0),
                None => 0,
            };
            if used >= MAX_CATEGORY_ENTRIES {
                return Err(full());
            }
            // The entry log is append-only (no compare-and-swap); membership keys decide.
            let n = self.store.increment(&count, 1)?;
            if n > MAX_CATEGORY_ENTRIES {
                // A concurrent addition took the last entry.
                return Err(full());
            }
            self.store.set_many(&[
                (keys::category_entry(category, n), name.as_bytes().to_vec()),
                (member, b"1".to_vec()),
            ])?;
        }
        Ok(Response::json(
            200,
            &body::Membership {
                category,
                member: true,
                name,
            },
        ))
    }

    fn get_array<const N: usize>(&self, keys: [String; N]) -> Result<[Option<Vec<u8>>; N], Error> {
        self.tracker_with(self.config.selection)
            .get_array(keys)
            .map_err(Error::from)
    }
}

fn json_bytes(request: &Request) -> Result<&[u8], Error> {
    let body = match &request.body {
        Body::Complete(b) => b,
        Body::TooLarge => return Err(Error::PayloadTooLarge),
        Body::TimedOut => return Err(Error::RequestTimeout),
    };
    let is_json = request.content_type.as_deref().is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    });
    if is_json {
        Ok(body)
    } else {
        Err(Error::UnsupportedMediaType)
    }
}

fn host_matches(lookup: &Lookup, found: &str, latest: &Latest) -> bool {
    // Found under the name after a host: the record must come from that host.
    match (&lookup.host, &latest.current) {
        (Some(host), Some(c)) if lookup.candidates.first().is_some_and(|f| f == found) => {
            c.record.host == *host
        }
        _ => true,
    }
}

fn validate_category(category: &str) -> Result<(), Error> {
    if category.contains('/') || validate_repository(category).is_err() {
        return Err(Error::InvalidName(
            "category must be one lowercase name component (a-z 0-9 and single . _ -)".into(),
        ));
    }
    Ok(())
}

fn query_number(query: &str, key: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| {
            v.parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    Error::InvalidName(format!("{key} must be a number from {min} to {max}"))
                })
        })
        .transpose()
}

fn summaries(listed: Vec<Listed>) -> Vec<body::Summary> {
    listed
        .into_iter()
        .map(|l| {
            let record = l
                .latest
                .as_ref()
                .and_then(|latest| RefRecord::of(&l.name, latest));
            let (reference, pinned) = record.map(|r| (r.reference, r.pinned)).unzip();
            body::Summary {
                name: l.name,
                pinned,
                reference,
            }
        })
        .collect()
}

fn history_item(e: &LogEntry) -> body::HistoryItem<'_> {
    body::HistoryItem {
        action: e.event.action,
        digest: e.event.digest.as_deref(),
        host: e.event.host.as_deref(),
        id: &e.event.id,
        outcome: &e.outcome,
        recorded_at: e.recorded_at.to_string(),
        repository: &e.event.repository,
        seq: e.seq,
        tag: e.event.tag.as_deref(),
        timestamp: e.event.timestamp.unwrap_or(e.order.at).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_keep_control_characters_apart() {
        assert_eq!(shown_path("/a\r\nb\u{0}c"), "/a\u{fffd}\u{fffd}b\u{fffd}c");
        assert_eq!(shown_path(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn routes() {
        let cases = [
            ("/", Route::Index),
            ("/healthz", Route::Health),
            ("/api/azurehook", Route::AzureWebhook),
            ("/api/reference", Route::SetReference),
            ("/api/refs", Route::Refs),
            ("/api/refs/team/app", Route::Ref("team/app".into())),
            ("/api/history/wash", Route::History("wash".into())),
            ("/api/categories/tools", Route::Category("tools".into())),
            (
                "/api/categories/tools/team/app",
                Route::CategoryMember("tools".into(), "team/app".into()),
            ),
            ("/api/unknown", Route::NotFound),
            ("/api/refs/", Route::Ref(String::new())),
            ("/api", Route::NotFound),
            ("/favicon.ico", Route::NotFound),
            ("/wash", Route::Badge("wash".into())),
            ("/team/app", Route::Badge("team/app".into())),
            (
                "/myregistry.azurecr.io/wash",
                Route::Badge("myregistry.azurecr.io/wash".into()),
            ),
        ];
        for (path, route) in cases {
            assert_eq!(Route::parse(path), route, "{path}");
        }
    }

    #[test]
    fn the_index_lists_endpoints_in_key_order() {
        // `body::Endpoints` writes them as given; the first release's `json!` sorted them.
        assert!(ENDPOINTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn lookups() {
        let l = lookup("myregistry.azurecr.io/wash").unwrap();
        // Dots are legal in repository names too: the host reading comes first.
        assert_eq!(l.host.as_deref(), Some("myregistry.azurecr.io"));
        assert_eq!(l.candidates, ["wash", "myregistry.azurecr.io/wash"]);
        let l = lookup("my.app/x").unwrap();
        assert_eq!(l.candidates, ["x", "my.app/x"]);
        let l = lookup("localhost:5000/team/app").unwrap();
        assert_eq!(l.candidates, ["team/app"]);
        assert_eq!(lookup("team/app").unwrap().candidates, ["team/app"]);
        for bad in ["", "Wash", "a/../b", "a%2Fb", "wash/", "h.io/", "a:b"] {
            assert!(lookup(bad).is_err(), "{bad}");
        }
    }
}
