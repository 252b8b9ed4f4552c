//! The application: from a plain [`Request`] to a plain [`Response`], given a [`Store`]. The
//! host and the tests both drive it through [`handle`]; nothing here knows about bindings.
//! Routing is `routes`; the handlers, grouped by what they serve, stay thin over `tracking`.

mod badges;
mod body;
mod categories;
mod conditional;
mod feeds;
mod hooks;
mod lookup;
mod pages;
mod reconcile;
mod refs;

pub use reconcile::Deferred;

use crate::config::Config;
use crate::error::Error;
use crate::http::{Body, Method, Request, Response};
use crate::registry::{Offline, Transport};
use crate::routes::{redacted, Route};
use crate::store::Store;
use crate::timestamp::Timestamp;
use crate::tracking::Tracker;
use std::cell::RefCell;

/// Everything a request is handled with besides the store.
#[derive(Debug, Clone)]
pub struct Context {
    /// A configuration the host gave that cannot be used: every answer says so.
    pub config: Result<Config, String>,
    pub now: Timestamp,
}

const READ: (&[Method], &str) = (&[Method::Get, Method::Head], "GET, HEAD");
const WRITE: (&[Method], &str) = (&[Method::Post], "POST");

/// Handles one request without a way to reach registries (reconciliation answers that the
/// registry is unreachable) and drops deferred work. Never panics.
pub fn handle(request: &Request, store: &impl Store, context: &Context) -> Response {
    serve(request, store, &Offline, context).0
}

/// Handles one request: the response, and work for the host to run after it has written the
/// response (see [`run_deferred`]). Never panics; every failure is a response.
pub fn serve(
    request: &Request,
    store: &impl Store,
    transport: &dyn Transport,
    context: &Context,
) -> (Response, Vec<Deferred>) {
    let route = Route::parse(&request.path);
    let config = match &context.config {
        Ok(c) => c,
        Err(why) => return (misconfigured(request, &route, why), Vec::new()),
    };
    let app = App::new(store, config, context.now, transport);
    let response = app.route(request, &route);
    (response, app.deferred.into_inner())
}

/// Runs what [`serve`] deferred, after the response went out; returns log lines (host,
/// repository, outcome, never a credential). A failure here changes no answer already given.
pub fn run_deferred(
    deferred: &[Deferred],
    store: &impl Store,
    transport: &dyn Transport,
    context: &Context,
) -> Vec<String> {
    let Ok(config) = &context.config else {
        return Vec::new();
    };
    let app = App::new(store, config, context.now, transport);
    deferred
        .iter()
        .filter_map(|work| match app.run(work) {
            Ok(line) => line,
            Err(e) => Some(format!("deferred verification: store error: {}", e.0)),
        })
        .collect()
}

impl<S: Store> App<'_, S> {
    fn defer(&self, work: Deferred) {
        self.deferred.borrow_mut().push(work);
    }

    fn route(&self, request: &Request, route: &Route) -> Response {
        let app = self;
        let allowed = |(methods, allow): (&[Method], &'static str)| {
            if methods.contains(&request.method) {
                Ok(())
            } else {
                Err(Error::MethodNotAllowed(allow))
            }
        };
        let result = match &route {
            // A badge is an image in somebody's README: it answers 200 whatever happens.
            Route::Badge(name) => {
                return allowed(READ)
                    .map(|()| app.badge_or_page(request, name))
                    .unwrap_or_else(Error::into_response)
            }
            Route::SvgBadge(name) => {
                return allowed(READ)
                    .map(|()| app.svg_badge(name, request))
                    .unwrap_or_else(Error::into_response)
            }
            Route::Feed(name) => allowed(READ).and_then(|()| app.feed(name, request)),
            Route::Index => allowed(READ).map(|()| app.index_or_catalog(request)),
            Route::Asset(file) => allowed(READ).and_then(|()| pages::asset(request, file)),
            Route::Health => allowed(READ).and_then(|()| app.health()),
            Route::Hook { sender, path_token } => {
                allowed(WRITE).and_then(|()| app.hook(request, sender, path_token.as_deref()))
            }
            Route::SetReference => allowed(WRITE).and_then(|()| app.set_reference(request)),
            Route::Reconcile => allowed(WRITE).and_then(|()| app.reconcile_all(request)),
            Route::ReconcileOne(name) => {
                allowed(WRITE).and_then(|()| app.reconcile_one(request, name))
            }
            Route::Refs => allowed(READ).and_then(|()| app.refs(&request.query)),
            Route::Ref(name) => allowed(READ).and_then(|()| app.reference(name)),
            Route::History(name) => allowed(READ).and_then(|()| app.history(name, &request.query)),
            Route::Category(category) => allowed(READ).and_then(|()| app.category(category)),
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
}

/// A client's path as an error quotes it: tokens redacted, at most 100 characters, each
/// control character shown as U+FFFD. Replaced, not dropped: dropping would join the pieces
/// around it into text the client never sent (found by fuzz/route_and_name: a token split by
/// CR LF).
pub fn shown_path(path: &str) -> String {
    redacted(path)
        .chars()
        .take(100)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

fn misconfigured(request: &Request, route: &Route, why: &str) -> Response {
    let defaults = Config::default().badge;
    let badge = || crate::badge::invalid(&defaults, "ociref is misconfigured");
    match route {
        Route::Badge(_) => return badges::response(&badge()),
        Route::SvgBadge(_) => {
            return badges::svg_response(request, &badge(), crate::badge::svg::Style::Flat)
        }
        _ => {}
    }
    let mut response =
        Error::Misconfigured(format!("ociref is misconfigured: {why}")).into_response();
    response.log = Some(why.to_owned());
    response
}

struct App<'a, S: Store> {
    store: &'a S,
    config: &'a Config,
    now: Timestamp,
    transport: &'a dyn Transport,
    /// What the host runs after the response ([`serve`]).
    deferred: RefCell<Vec<Deferred>>,
}

impl<'a, S: Store> App<'a, S> {
    fn new(store: &'a S, config: &'a Config, now: Timestamp, transport: &'a dyn Transport) -> Self {
        Self {
            store,
            config,
            now,
            transport,
            deferred: RefCell::new(Vec::new()),
        }
    }

    fn tracker(&self) -> Tracker<'_, S> {
        Tracker {
            store: self.store,
            selection: self.config.selection,
            retention: self.config.history_retention,
            now: self.now,
        }
    }

    fn health(&self) -> Result<Response, Error> {
        self.store
            .get_many(&[crate::store::keys::repositories_count()])?;
        Ok(Response::json(200, &body::Health { status: "ok" }))
    }
}

/// The body of a write, when it is complete and declared as JSON.
fn json_bytes(request: &Request) -> Result<&[u8], Error> {
    let body = match &request.body {
        Body::Complete(b) => b,
        Body::TooLarge => return Err(Error::PayloadTooLarge),
        Body::TimedOut => return Err(Error::RequestTimeout),
    };
    let is_json = request.header("content-type").is_some_and(|ct| {
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

/// A number from the query string: refused when it is not one or below `min`, clamped to
/// `max` (as listing APIs do: asking for more than a page holds is not an error).
fn query_number(query: &str, key: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n >= min)
                .map(|n| n.min(max))
                .ok_or_else(|| {
                    Error::InvalidQuery(format!(
                        "{key} must be a number of at least {min} (at most {max} are returned)"
                    ))
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_keep_control_characters_apart() {
        assert_eq!(shown_path("/a\r\nb\u{0}c"), "/a\u{fffd}\u{fffd}b\u{fffd}c");
        assert_eq!(shown_path(&"x".repeat(300)).len(), 100);
        assert_eq!(
            shown_path("/api/hooks/quay/s3cret"),
            "/api/hooks/quay/<token>"
        );
    }

    #[test]
    fn query_numbers_are_clamped_above_and_refused_below() {
        assert_eq!(
            query_number("limit=1000", "limit", 1, 100).unwrap(),
            Some(100)
        );
        assert_eq!(query_number("", "limit", 1, 100).unwrap(), None);
        for bad in ["limit=0", "limit=x", "limit=-1"] {
            assert_eq!(
                query_number(bad, "limit", 1, 100).unwrap_err().code(),
                "invalid-query"
            );
        }
    }
}
