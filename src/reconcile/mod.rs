//! Reconciliation: compares what a repository shows with what its registry has, and records
//! each difference as an event (`reconcile` for a tag the registry has, `untag` for one it no
//! longer has), so corrections go through the same event log and fold as webhooks and no
//! concurrent write is lost. Pure over a [`Store`] and a registry [`Transport`].
//!
//! One pass: list every tag (paged; the cursor is stored when the request budget runs out, and
//! the next trigger continues), rank the registry's tags by the configured policy, ask the
//! registry for the best one's digest (`HEAD`; a tag that answers 404 is gone, try the next),
//! then record: the winner when we do not show it or show another digest, and an `untag` for
//! every live tag the listing did not have (only tags pushed before the listing started: a push
//! during a long listing is not a lost delete). A registry failure records nothing.
//!
//! A tag the registry lists carries no push time: for ranking, a tag we do not know as live
//! counts as pushed at the epoch, so under `last-push` it only wins when no live tag is known;
//! recorded, it is stamped with the time ociref found it.

use crate::event::{Action, Event};
use crate::registry::url::Url;
use crate::registry::{Budget, Client, RegistryConfig, RegistryError, Stop, Transport, PAGE_SIZE};
use crate::store::keys::RepoKeys;
use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;
use crate::tracking::policy::{is_signature_artifact, Order};
use crate::tracking::state::RepoState;
use crate::tracking::{Published, Tracker};
use serde::{Deserialize, Serialize};

/// Registry tags not known to us kept as candidates while listing (the best by policy).
const CANDIDATES: usize = 16;
/// Pages one listing may take (a million tags): a registry that never ends is cut off.
const MAX_PAGES: u32 = 1000;
/// A listing older than this starts over rather than continue.
const CURSOR_MAX_AGE_SECONDS: i64 = 3600;

/// What one change was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `added` (a tag the registry has that we did not show as live), `digest` (we had no or
    /// another digest), `withdrawn` (the registry no longer has it).
    pub change: &'static str,
    pub digest: Option<String>,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Verified,
    Corrected,
    /// The request budget ran out; the next trigger continues.
    InProgress,
    /// The registry has no such repository.
    NotFound,
    Failed(RegistryError),
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Corrected => "corrected",
            Self::InProgress => "in-progress",
            Self::NotFound => "not-found",
            Self::Failed(_) => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub host: String,
    pub repository: String,
    pub status: Status,
    pub changes: Vec<Change>,
    /// What the repository shows now; `None` when it is not tracked.
    pub latest: Option<Published>,
}

impl Report {
    /// The log line: host, repository, status and counts; never a credential.
    pub fn log_line(&self, spent: u32) -> String {
        let detail = match &self.status {
            Status::Failed(e) => format!(": {e}"),
            Status::Corrected => format!(" ({} change(s))", self.changes.len()),
            _ => String::new(),
        };
        format!(
            "reconcile {}/{}: {}{detail} ({spent} registry requests)",
            self.host,
            self.repository,
            self.status.as_str()
        )
    }
}

/// How far a listing got, stored between requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    started_at: Timestamp,
    /// The next page; `None` once the listing is complete.
    next: Option<Url>,
    pages: u32,
    /// The registry pages with `Link` headers: a page without one is the last.
    #[serde(default)]
    linked: bool,
    /// Live tags of the state when the listing started: only these can be lost deletes (a tag
    /// pushed during a listing that spans requests may be missing from pages already read).
    watched: Vec<String>,
    /// Listed tags that the state knew when they were listed.
    present: Vec<String>,
    /// The best listed tags the state did not know (at most `CANDIDATES`).
    best: Vec<String>,
}

pub struct Reconciler<'a, S: Store> {
    pub tracker: Tracker<'a, S>,
    pub transport: &'a dyn Transport,
    pub budget: &'a Budget,
}

impl<S: Store> Reconciler<'_, S> {
    fn now(&self) -> Timestamp {
        self.tracker.now
    }

    /// Reconciles one repository of a configured registry as far as the budget goes.
    pub fn repository(
        &self,
        registry: &RegistryConfig,
        repository: &str,
    ) -> Result<Report, StoreError> {
        let host = registry.host.as_str();
        let keys = RepoKeys::tracked(host, repository);
        let store = self.tracker.store;
        let mut client = Client::new(self.transport, registry, self.budget, repository);
        let known = self.tracker.state_of(host, repository)?.unwrap_or_default();
        let stored = store
            .get_many(&[keys.reconcile_cursor()])?
            .into_iter()
            .next()
            .flatten()
            .and_then(|b| serde_json::from_slice::<Cursor>(&b).ok())
            .filter(|c| self.now().seconds_since(c.started_at) <= CURSOR_MAX_AGE_SECONDS);
        let mut cursor = stored.unwrap_or_else(|| Cursor {
            started_at: self.now(),
            next: Some(client.first_page()),
            pages: 0,
            linked: false,
            watched: known
                .tags
                .iter()
                .filter(|(_, r)| known.is_live(r))
                .map(|(t, _)| t.clone())
                .collect(),
            present: Vec::new(),
            best: Vec::new(),
        });
        let report = |status, changes, latest| Report {
            host: host.to_owned(),
            repository: repository.to_owned(),
            status,
            changes,
            latest,
        };
        let save = |cursor: &Cursor| -> Result<(), StoreError> {
            let bytes = serde_json::to_vec(cursor)
                .map_err(|e| StoreError(format!("cannot encode cursor: {e}")))?;
            store.set_many(&[(keys.reconcile_cursor(), bytes)])
        };

        while let Some(page) = cursor.next.take() {
            match client.tags(&page) {
                Ok(Some(listed)) => {
                    cursor.pages += 1;
                    let full = listed.tags.len() >= PAGE_SIZE;
                    let last = listed.tags.last().cloned();
                    for tag in listed.tags {
                        self.absorb(&known, &mut cursor, tag);
                    }
                    cursor.linked |= listed.next.is_some();
                    cursor.next = match (listed.next, last) {
                        (Some(next), _) => Some(next),
                        // No `Link` ever, but a full page: ask for what follows the last tag.
                        (None, Some(last)) if full && !cursor.linked => {
                            Some(client.first_page().with_query(&[("last", &last)]))
                        }
                        _ => None,
                    };
                    if cursor.pages >= MAX_PAGES {
                        cursor.next = None;
                    }
                }
                Ok(None) => {
                    store.delete_many(&[keys.reconcile_cursor()])?;
                    return Ok(report(
                        Status::NotFound,
                        Vec::new(),
                        self.tracker.current(host, repository)?,
                    ));
                }
                Err(stop) => {
                    cursor.next = Some(page);
                    save(&cursor)?;
                    return self.stopped(stop, host, repository, report);
                }
            }
        }

        // The listing is complete: find the tag the registry says should show.
        let mut ranked: Vec<(String, Order)> = cursor
            .present
            .iter()
            .chain(&cursor.best)
            .filter(|t| !is_signature_artifact(t))
            .map(|t| (t.clone(), rank_order(&known, t)))
            .collect();
        let selection = self.tracker.selection;
        ranked.sort_by(|a, b| selection.compare((&b.0, &b.1), (&a.0, &a.1)));
        let mut gone: Vec<String> = Vec::new();
        let mut winner = None;
        for (tag, _) in &ranked {
            match client.manifest(tag) {
                Ok(Some(manifest)) => {
                    winner = Some((tag.clone(), manifest));
                    break;
                }
                Ok(None) => gone.push(tag.clone()),
                Err(stop) => {
                    save(&cursor)?;
                    return self.stopped(stop, host, repository, report);
                }
            }
        }

        let events = self.corrections(&known, host, repository, &cursor, &gone, winner);
        let mut changes = Vec::with_capacity(events.len());
        for (change, event) in events {
            changes.push(Change {
                change,
                digest: event.digest.clone(),
                tag: event.tag.clone().unwrap_or_default(),
            });
            self.tracker.record(event)?;
        }
        store.delete_many(&[keys.reconcile_cursor()])?;
        let now = self.now();
        let latest = self.tracker.note_verification(host, repository, |v| {
            v.verified_at = Some(now);
            v.failures = 0;
        })?;
        let status = if changes.is_empty() {
            Status::Verified
        } else {
            Status::Corrected
        };
        Ok(report(status, changes, latest))
    }

    /// Notes a listed tag: known ones are remembered, unknown ones kept when among the best.
    fn absorb(&self, known: &RepoState, cursor: &mut Cursor, tag: String) {
        if known.tags.contains_key(&tag) {
            if !cursor.present.contains(&tag) {
                cursor.present.push(tag);
            }
            return;
        }
        if is_signature_artifact(&tag) || cursor.best.contains(&tag) {
            return;
        }
        cursor.best.push(tag);
        if cursor.best.len() > CANDIDATES {
            let selection = self.tracker.selection;
            cursor.best.sort_by(|a, b| {
                selection.compare((b, &rank_order(known, b)), (a, &rank_order(known, a)))
            });
            cursor.best.truncate(CANDIDATES);
        }
    }

    /// The events that make the state agree with the registry.
    fn corrections(
        &self,
        known: &RepoState,
        host: &str,
        repository: &str,
        cursor: &Cursor,
        gone: &[String],
        winner: Option<(String, crate::registry::Manifest)>,
    ) -> Vec<(&'static str, Event)> {
        let now = self.now();
        let event = |action, tag: &str, at: Timestamp, digest, media_type| Event {
            id: format!("registry:{}:{}:{tag}", now.0, action_name(&action)),
            action,
            occurred_at: Some(at),
            host: Some(host.to_owned()),
            repository: repository.to_owned(),
            tag: Some(tag.to_owned()),
            digest,
            media_type,
            source: Some("registry".into()),
        };
        let mut out = Vec::new();
        for (tag, record) in &known.tags {
            if !known.is_live(record) || record.host != host {
                continue;
            }
            let lost = !cursor.present.contains(tag) && cursor.watched.contains(tag);
            if gone.contains(tag) || lost {
                let at = after(now, &record.pushed);
                out.push(("withdrawn", event(Action::Untag, tag, at, None, None)));
            }
        }
        if let Some((tag, manifest)) = winner {
            let change = match known.tags.get(&tag) {
                Some(r) if known.is_live(r) && r.digest.as_ref() == Some(&manifest.digest) => None,
                Some(r) if known.is_live(r) => Some("digest"),
                _ => Some("added"),
            };
            if let Some(change) = change {
                // Later than what it replaces (a registry's clock may run ahead of ours), so
                // the fold takes it: the tag's record, and a delete of this digest.
                let mut at = now;
                if let Some(r) = known.tags.get(&tag) {
                    at = after(at, &r.pushed);
                }
                if let Some(deleted) = known.deleted.get(&manifest.digest) {
                    at = after(at, deleted);
                }
                out.push((
                    change,
                    event(
                        Action::Reconcile,
                        &tag,
                        at,
                        Some(manifest.digest),
                        manifest.media_type,
                    ),
                ));
            }
        }
        out
    }

    /// Ends a pass that could not finish: the budget ran out (continue later) or the registry
    /// failed (counted; nothing shown changes).
    fn stopped(
        &self,
        stop: Stop,
        host: &str,
        repository: &str,
        report: impl Fn(Status, Vec<Change>, Option<Published>) -> Report,
    ) -> Result<Report, StoreError> {
        match stop {
            Stop::Budget => Ok(report(
                Status::InProgress,
                Vec::new(),
                self.tracker.current(host, repository)?,
            )),
            Stop::Failed(e) => {
                let now = self.now();
                let latest = self.tracker.note_verification(host, repository, |v| {
                    v.failures = v.failures.saturating_add(1);
                    v.failed_at = Some(now);
                })?;
                Ok(report(Status::Failed(e), Vec::new(), latest))
            }
        }
    }
}

/// `now`, or just after `order` when that is later.
fn after(now: Timestamp, order: &Order) -> Timestamp {
    now.max(Timestamp(order.at.0.saturating_add(1)))
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Untag => "untag",
        _ => "reconcile",
    }
}

/// How a listed tag ranks: a live tag by its push, any other as pushed at the epoch (the
/// registry's list carries no push time).
fn rank_order(known: &RepoState, tag: &str) -> Order {
    match known.tags.get(tag) {
        Some(record) if known.is_live(record) => record.pushed.clone(),
        _ => Order {
            at: Timestamp(0),
            id: format!("registry:{tag}"),
        },
    }
}
