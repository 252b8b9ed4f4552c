//! `/` and `/<name>` for a browser: a client whose `Accept` ranks HTML above JSON gets the
//! catalog or the repository page, everyone else the JSON those URLs always answered, byte for
//! byte; both carry `Vary: Accept`. Failures become pages too (a person reads them).

use super::lookup::{self, Found};
use super::{body, query_number, shown_path, App};
use crate::error::Error;
use crate::http::{Request, Response};
use crate::pages::catalog::{self, Catalog, DEFAULT_LIMIT, MAX_LIMIT, SEARCH_SPAN};
use crate::pages::repository::{self, Repository, HISTORY};
use crate::pages::{self, prefers_html};
use crate::store::Store;

/// The longest filter read from `?q=`.
const MAX_FILTER_CHARS: usize = 200;

fn wants_html(request: &Request) -> bool {
    prefers_html(request.header("accept"))
}

fn vary(mut response: Response) -> Response {
    response.headers.push(("vary", "Accept".to_owned()));
    response
}

/// A failure as a page: the client-safe message, the detail of a 5xx for the log only.
fn error_page(e: Error) -> Response {
    let status = e.status();
    let title = match status {
        400 => "Not a repository name",
        404 => "Not published",
        409 => "Several registries have this name",
        _ => "Unavailable",
    };
    let mut response = pages::message(status, title, &e.message());
    if status >= 500 {
        response.log = Some(e.log_detail());
    }
    response
}

/// `GET /-/<file>`, revalidated by `ETag` like the badges and feeds.
pub(super) fn asset(request: &Request, file: &str) -> Result<Response, Error> {
    let response = pages::asset(file)
        .ok_or_else(|| Error::NotFound(format!("no file {}", shown_path(file))))?;
    Ok(super::conditional::validated(request, response, None))
}

impl<S: Store> App<'_, S> {
    pub(super) fn index_or_catalog(&self, request: &Request) -> Response {
        vary(if wants_html(request) {
            self.catalog(&request.query).unwrap_or_else(error_page)
        } else {
            body::index()
        })
    }

    pub(super) fn badge_or_page(&self, request: &Request, name: &str) -> Response {
        vary(if wants_html(request) {
            self.repository_page(request, name)
                .unwrap_or_else(error_page)
        } else {
            self.badge(name, &request.query)
        })
    }

    /// One page of the index. Unfiltered it reads `limit` positions; filtered by name it reads
    /// up to `SEARCH_SPAN` names in one round trip and the records of the first `limit` that
    /// match, so any page costs at most three round trips however large the index is.
    fn catalog(&self, query: &str) -> Result<Response, Error> {
        let filter: String = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.trim().chars().take(MAX_FILTER_CHARS).collect())
            .unwrap_or_default();
        let from = query_number(query, "cursor", 0, u64::MAX)?
            .unwrap_or(1)
            .max(1);
        let limit = query_number(query, "limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        // OCI names are ASCII; Unicode case tables would cost the component 18 KB.
        let needle = filter.to_ascii_lowercase();
        let span = if needle.is_empty() {
            limit
        } else {
            SEARCH_SPAN
        };
        let tracker = self.tracker();
        let index = tracker.index(from, span)?;
        let mut to = index.total.min(from.saturating_add(span - 1));
        let mut next = index.next;
        let mut taken = Vec::new();
        for entry in index.entries {
            if taken.len() as u64 == limit {
                to = entry.position.saturating_sub(1);
                next = Some(entry.position);
                break;
            }
            let name = match &entry.host {
                Some(host) => format!("{host}/{}", entry.repository),
                None => entry.repository.clone(),
            };
            if name.contains(&needle) {
                taken.push(entry);
            }
        }
        let listed = tracker.listed(taken)?;
        Ok(catalog::render(&Catalog {
            listed: &listed,
            filter: &filter,
            from,
            to,
            next,
            total: index.total,
            limit,
        }))
    }

    fn repository_page(&self, request: &Request, raw: &str) -> Result<Response, Error> {
        let tracker = self.tracker();
        let (host, repository, latest) = match lookup::find(&tracker, raw)? {
            Found::Tracked {
                host,
                repository,
                latest,
            } => (host, repository, latest),
            Found::NotTracked => {
                return Err(Error::NotFound(format!(
                    "{} is not tracked: no registry has reported a push to it.",
                    shown_path(raw)
                )))
            }
            Found::Ambiguous(hosts) => return Ok(repository::ambiguous(raw, &hosts)),
        };
        let history = tracker
            .history(&host, &repository, HISTORY)?
            .unwrap_or_default();
        let origin = pages::origin(request.header("host"), request.header("x-forwarded-proto"));
        Ok(repository::render(&Repository {
            host: &host,
            repository: &repository,
            latest: &latest,
            history: &history,
            origin: &origin,
        }))
    }
}
