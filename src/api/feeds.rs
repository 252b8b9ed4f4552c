//! `GET /<name>.atom` and `GET /.atom`: Atom feeds (RFC 4287) to follow releases.
//!
//! A repository's feed has one entry per change of what its badge shows (`tracking::releases`,
//! from its newest events). The feed of every repository has one entry per repository, for
//! what it shows now, newest first: there is no index of pushes across repositories, so it
//! reads the index and every repository's badge record (3 to 4 round trips per 1000
//! repositories) up to [`MAX_SCANNED`] of them, the first in the index.

use super::body::display_name;
use super::lookup::{self, Found};
use super::{conditional, shown_path, App};
use crate::error::Error;
use crate::html;
use crate::http::{Request, Response};
use crate::reference::Reference;
use crate::store::Store;
use crate::timestamp::Timestamp;
use crate::tracking::state::TagRecord;

/// Entries in a repository's feed, found among its newest [`WINDOW`] events.
const ENTRIES: usize = 20;
const WINDOW: u64 = 100;
/// Entries in the feed of every repository.
const ALL_ENTRIES: usize = 50;
/// Repositories the feed of every repository reads, in index order (first pushed first).
pub const MAX_SCANNED: u64 = 10_000;
const PAGE: u64 = 1000;

struct Entry {
    id: String,
    host: String,
    repository: String,
    tag: String,
    record: TagRecord,
    at: Timestamp,
}

impl<S: Store> App<'_, S> {
    pub(super) fn feed(&self, raw: &str, request: &Request) -> Result<Response, Error> {
        if raw.is_empty() {
            return self.feed_of_all(request);
        }
        let (host, repository) = match lookup::find(&self.tracker(), raw)? {
            Found::Tracked {
                host, repository, ..
            } => (host, repository),
            Found::Ambiguous(hosts) => {
                return Err(Error::Conflict(format!(
                    "{} is tracked on {} registries: name the host, /<host>/<repository>.atom",
                    shown_path(raw),
                    hosts.len()
                )))
            }
            Found::NotTracked => {
                return Err(Error::NotFound(format!(
                    "{} is not published",
                    shown_path(raw)
                )))
            }
        };
        let name = display_name(&host, &repository);
        let entries = self
            .tracker()
            .releases(&host, &repository, WINDOW, ENTRIES)?
            .unwrap_or_default()
            .into_iter()
            .map(|r| Entry {
                id: format!("urn:ociref:{name}:{}", r.seq),
                host: host.clone(),
                repository: repository.clone(),
                tag: r.tag,
                record: r.record,
                at: r.at,
            })
            .collect();
        Ok(self.atom(request, &name, &format!("{name} releases"), entries))
    }

    fn feed_of_all(&self, request: &Request) -> Result<Response, Error> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut cursor = Some(1);
        while let Some(from) = cursor.filter(|c| *c <= MAX_SCANNED) {
            let limit = PAGE.min(MAX_SCANNED + 1 - from);
            let (listed, next) = self.tracker().repositories(from, limit)?;
            for l in listed {
                let Some(shown) = l.latest.and_then(|p| p.current) else {
                    continue;
                };
                // Kept newest first by insertion, at most ALL_ENTRIES (a sort instance would
                // cost kilobytes in the component).
                let position = entries.partition_point(|e| e.at >= shown.record.pushed.at);
                if position >= ALL_ENTRIES {
                    continue;
                }
                let name = display_name(&l.host, &l.repository);
                let digest = shown.record.digest.as_deref().unwrap_or("-");
                let entry = Entry {
                    id: format!("urn:ociref:{name}:{}@{digest}", shown.tag),
                    at: shown.record.pushed.at,
                    host: l.host,
                    repository: l.repository,
                    tag: shown.tag,
                    record: shown.record,
                };
                entries.insert(position, entry);
                entries.truncate(ALL_ENTRIES);
            }
            cursor = next;
        }
        Ok(self.atom(request, "", "ociref releases", entries))
    }

    fn atom(&self, request: &Request, name: &str, title: &str, entries: Vec<Entry>) -> Response {
        let updated = entries.iter().map(|e| e.at).max().unwrap_or(Timestamp(0));
        let mut response = Response::with_body(
            200,
            "application/atom+xml",
            render(name, title, updated, &entries),
        );
        response.headers.push((
            "cache-control",
            format!("max-age={}", crate::badge::CACHE_SECONDS),
        ));
        conditional::validated(request, response, Some(updated))
    }
}

/// The feed document. Links are relative to the feed's own URL (ociref does not know the
/// address it is reached at behind a proxy); Atom resolves them against it.
fn render(name: &str, title: &str, updated: Timestamp, entries: &[Entry]) -> Vec<u8> {
    let id = if name.is_empty() {
        "urn:ociref:all".to_owned()
    } else {
        format!("urn:ociref:{name}")
    };
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>{}</id><title>{}</title><updated>{updated}</updated><author><name>ociref</name></author><link rel="self" href="/{}.atom"/><link rel="alternate" href="/{}"/><generator>ociref</generator>"#,
        html::xml(&id),
        html::xml(title),
        html::xml(name),
        html::xml(name)
    );
    for e in entries {
        let name = display_name(&e.host, &e.repository);
        let reference = Reference {
            host: e.host.clone(),
            repository: e.repository.clone(),
            tag: e.tag.clone(),
            digest: e.record.digest.clone(),
        };
        let content = format!(
            "{} is the latest release of {}.\ndigest: {}\npinned: {}\npushed: {}",
            reference,
            name,
            e.record.digest.as_deref().unwrap_or("unknown"),
            reference.pinned(),
            e.record.pushed.at
        );
        xml.push_str(&format!(
            r#"<entry><id>{}</id><title>{}</title><updated>{}</updated><link rel="alternate" href="/{}"/><content type="text">{}</content></entry>"#,
            html::xml(&e.id),
            html::xml(&reference.to_string()),
            e.at,
            html::xml(&name),
            html::xml(&content)
        ));
    }
    xml.push_str("</feed>\n");
    xml.into_bytes()
}
