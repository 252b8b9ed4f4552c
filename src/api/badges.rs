//! `GET /<name>`: the badge. Always 200 with a schema-valid badge, whatever the name, the
//! query or the store did: a broken image is the worst thing a README can show.

use super::lookup::{self, Found};
use super::App;
use crate::badge::{self, shields, Badge, Options};
use crate::http::Response;
use crate::store::Store;

pub fn response(badge: &Badge) -> Response {
    let mut response = Response::with_body(200, "application/json", shields::render(badge));
    response
        .headers
        .push(("cache-control", format!("max-age={}", badge::CACHE_SECONDS)));
    response
}

impl<S: Store> App<'_, S> {
    pub(super) fn badge(&self, raw: &str, query: &str) -> Response {
        let defaults = &self.config.badge;
        let options = match Options::from_query(defaults, query) {
            Ok(o) => o,
            Err(why) => return response(&badge::invalid(defaults, &why)),
        };
        match lookup::find(&self.tracker(), raw) {
            Ok(Found::Tracked {
                host,
                repository,
                latest,
            }) => response(&badge::for_latest(&options, &host, &repository, &latest)),
            Ok(Found::NotTracked) => response(&badge::not_published(&options)),
            Ok(Found::Ambiguous(hosts)) => response(&badge::ambiguous(&options, &hosts)),
            Err(crate::error::Error::Store(e)) => {
                let mut r = response(&badge::unavailable(&options));
                r.log = Some(format!("store error: {}", e.0));
                r
            }
            Err(e) => response(&badge::invalid_name(defaults, &e.message())),
        }
    }
}
