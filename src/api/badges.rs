//! `GET /<name>` and `GET /<name>.svg`: the badge, as shields.io endpoint JSON or as the image.
//! Always 200 with a valid badge, whatever the name, the query or the store did: a broken
//! image is the worst thing a README can show.

use super::lookup::{self, Found};
use super::{conditional, App};
use crate::badge::svg::{self, Style};
use crate::badge::{self, shields, Badge, Options};
use crate::http::{Request, Response};
use crate::store::Store;
use crate::timestamp::Timestamp;

pub fn response(badge: &Badge) -> Response {
    cached(Response::with_body(
        200,
        "application/json",
        shields::render(badge),
    ))
}

/// The badge as SVG, with an `ETag` so a cache can revalidate it.
pub fn svg_response(request: &Request, badge: &Badge, style: Style) -> Response {
    let body = svg::render(badge, style).into_bytes();
    let response = cached(Response::with_body(200, "image/svg+xml", body));
    conditional::validated(request, response, None)
}

fn cached(mut response: Response) -> Response {
    response
        .headers
        .push(("cache-control", format!("max-age={}", badge::CACHE_SECONDS)));
    response
}

impl<S: Store> App<'_, S> {
    pub(super) fn badge(&self, raw: &str, query: &str) -> Response {
        let decided = self.decide(raw, query);
        let drawn = response(&decided.badge);
        decided.annotate(drawn)
    }

    pub(super) fn svg_badge(&self, raw: &str, request: &Request) -> Response {
        let (decided, style) = match Style::from_query(&request.query) {
            Ok(style) => (self.decide(raw, &request.query), style),
            Err(why) => (
                Decided::plain(badge::invalid(&self.config.badge, &why)),
                Style::Flat,
            ),
        };
        let drawn = svg_response(request, &decided.badge, style);
        decided.annotate(drawn)
    }

    /// What the badge of `raw` says under `query`, and what the log should know.
    fn decide(&self, raw: &str, query: &str) -> Decided {
        let defaults = &self.config.badge;
        let options = match Options::from_query(defaults, query) {
            Ok(o) => o,
            Err(why) => return Decided::plain(badge::invalid(defaults, &why)),
        };
        let mut verified_at = None;
        let badge = match lookup::find(&self.tracker(), raw) {
            Ok(Found::Tracked {
                host,
                repository,
                latest,
            }) => {
                self.note_read(&host, &repository, &latest);
                verified_at = latest.verification.as_ref().and_then(|v| v.verified_at);
                badge::for_latest(&options, &host, &repository, &latest)
            }
            Ok(Found::NotTracked) => badge::not_published(&options),
            Ok(Found::Ambiguous(hosts)) => badge::ambiguous(&options, &hosts),
            Err(crate::error::Error::Store(e)) => {
                return Decided {
                    log: Some(format!("store error: {}", e.0)),
                    ..Decided::plain(badge::unavailable(&options))
                }
            }
            Err(e) => badge::invalid_name(defaults, &e.message()),
        };
        Decided {
            verified_at,
            ..Decided::plain(badge)
        }
    }
}

/// A badge, what the log should know, and when the registry last confirmed what it shows.
struct Decided {
    badge: Badge,
    log: Option<String>,
    verified_at: Option<Timestamp>,
}

impl Decided {
    fn plain(badge: Badge) -> Self {
        Self {
            badge,
            log: None,
            verified_at: None,
        }
    }

    /// The badge JSON may carry no key shields does not know, so when the reference was last
    /// verified travels as a header.
    fn annotate(self, mut response: Response) -> Response {
        if let Some(at) = self.verified_at {
            response
                .headers
                .push(("x-ociref-verified-at", at.to_string()));
        }
        response.log = self.log;
        response
    }
}
