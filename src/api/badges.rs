//! `GET /<name>` and `GET /<name>.svg`: the badge, as shields.io endpoint JSON or as the image.
//! Always 200 with a valid badge, whatever the name, the query or the store did: a broken
//! image is the worst thing a README can show.

use super::lookup::{self, Found};
use super::{conditional, App};
use crate::badge::svg::{self, Style};
use crate::badge::{self, shields, Badge, Options};
use crate::http::{Request, Response};
use crate::store::Store;

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
        let (badge, log) = self.decide(raw, query);
        let mut r = response(&badge);
        r.log = log;
        r
    }

    pub(super) fn svg_badge(&self, raw: &str, request: &Request) -> Response {
        let (badge, style, log) = match Style::from_query(&request.query) {
            Ok(style) => {
                let (badge, log) = self.decide(raw, &request.query);
                (badge, style, log)
            }
            Err(why) => (badge::invalid(&self.config.badge, &why), Style::Flat, None),
        };
        let mut r = svg_response(request, &badge, style);
        r.log = log;
        r
    }

    /// What the badge of `raw` says under `query`, and what the log should know.
    fn decide(&self, raw: &str, query: &str) -> (Badge, Option<String>) {
        let defaults = &self.config.badge;
        let options = match Options::from_query(defaults, query) {
            Ok(o) => o,
            Err(why) => return (badge::invalid(defaults, &why), None),
        };
        let badge = match lookup::find(&self.tracker(), raw) {
            Ok(Found::Tracked {
                host,
                repository,
                latest,
            }) => {
                self.note_read(&host, &repository, &latest);
                badge::for_latest(&options, &host, &repository, &latest)
            }
            Ok(Found::NotTracked) => badge::not_published(&options),
            Ok(Found::Ambiguous(hosts)) => badge::ambiguous(&options, &hosts),
            Err(crate::error::Error::Store(e)) => {
                return (
                    badge::unavailable(&options),
                    Some(format!("store error: {}", e.0)),
                )
            }
            Err(e) => badge::invalid_name(defaults, &e.message()),
        };
        (badge, None)
    }
}
