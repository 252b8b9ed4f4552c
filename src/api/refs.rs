//! What is tracked: one record (`/api/refs/<name>`), the listing (`/api/refs`), a repository's
//! history, and setting a reference by hand.

use super::lookup::{self, Found};
use super::{body, json_bytes, query_number, shown_path, App};
use crate::auth;
use crate::error::Error;
use crate::event::{Action, Event};
use crate::http::{Request, Response};
use crate::reference::Reference;
use crate::store::Store;
use crate::tracking::NoTag;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetReference {
    name: Option<String>,
    url: String,
}

impl<S: Store> App<'_, S> {
    pub(super) fn set_reference(&self, request: &Request) -> Result<Response, Error> {
        let body: SetReference =
            serde_json::from_slice(json_bytes(request)?).map_err(Error::invalid_json)?;
        let reference = Reference::parse(&body.url)?;
        let full = format!("{}/{}", reference.host, reference.repository);
        if body
            .name
            .as_ref()
            .is_some_and(|n| *n != reference.repository && *n != full)
        {
            return Err(Error::InvalidPayload(
                "name must equal the repository in url (ociref tracks repositories)".into(),
            ));
        }
        auth::authorize_write(self.config, request.header("authorization"))?;
        let answer = self.record(Event {
            id: format!("manual:{}", self.now.0),
            action: Action::Manual,
            occurred_at: Some(self.now),
            host: Some(reference.host),
            repository: reference.repository,
            tag: Some(reference.tag),
            digest: reference.digest,
            media_type: None,
            source: Some("api".into()),
        })?;
        Ok(Response::json(200, &answer))
    }

    pub(super) fn reference(&self, raw: &str) -> Result<Response, Error> {
        match lookup::find(&self.tracker(), raw)? {
            Found::Tracked {
                host,
                repository,
                latest,
            } => {
                self.note_read(&host, &repository, &latest);
                match body::RefRecord::of(&host, &repository, &latest) {
                    Some(record) => Ok(Response::json(200, &record)),
                    None => Err(Error::NotFound(format!(
                        "{} is tracked but has no live tag ({})",
                        body::display_name(&host, &repository),
                        latest.empty.map(NoTag::as_str).unwrap_or_default()
                    ))),
                }
            }
            Found::Ambiguous(hosts) => Err(ambiguous(raw, &hosts)),
            Found::NotTracked => Err(Error::NotFound(format!(
                "{} is not published",
                shown_path(raw)
            ))),
        }
    }

    pub(super) fn refs(&self, query: &str) -> Result<Response, Error> {
        let cursor = query_number(query, "cursor", 0, u64::MAX)?.unwrap_or(0);
        let limit = query_number(query, "limit", 1, 1000)?.unwrap_or(100);
        let (listed, next) = self.tracker().repositories(cursor, limit)?;
        Ok(Response::json(
            200,
            &body::Listing {
                next_cursor: next,
                repositories: body::summaries(listed),
            },
        ))
    }

    pub(super) fn history(&self, raw: &str, query: &str) -> Result<Response, Error> {
        let limit = query_number(query, "limit", 1, 100)?.unwrap_or(20);
        let (host, repository) = match lookup::find(&self.tracker(), raw)? {
            Found::Tracked {
                host, repository, ..
            } => (host, repository),
            Found::Ambiguous(hosts) => return Err(ambiguous(raw, &hosts)),
            Found::NotTracked => {
                return Err(Error::NotFound(format!(
                    "{} has no history",
                    shown_path(raw)
                )))
            }
        };
        let entries = self
            .tracker()
            .history(&host, &repository, limit)?
            .ok_or_else(|| Error::NotFound(format!("{} has no history", shown_path(raw))))?;
        let name = body::display_name(&host, &repository);
        Ok(Response::json(
            200,
            &body::History {
                events: entries.iter().map(body::history_item).collect(),
                name: &name,
            },
        ))
    }
}

fn ambiguous(raw: &str, hosts: &[String]) -> Error {
    Error::Conflict(format!(
        "{} is tracked on {} registries ({}): name the host, /<host>/<repository>",
        shown_path(raw),
        hosts.len(),
        hosts.join(", ")
    ))
}
