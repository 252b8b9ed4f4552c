//! The event log and its projections: how webhook events become the current reference without
//! compare-and-swap, under concurrent requests.
//!
//! Per repository:
//! - `seq` is a counter; `increment` hands every event a unique sequence number `n`.
//! - `event:n` is the immutable event, written once.
//! - `state` holds the merged tags (see `state`: merging is idempotent and order-independent)
//!   stamped with the highest `n` such that every event up to `n` is folded in.
//! - `latest` is the small record the badge reads, written in the same `set_many` as `state`.
//!
//! A writer reads `state`, takes `n`, folds in any events between the stamp and `n` that other
//! requests wrote, adds its own and writes event, state and latest in one `set_many`. Two
//! concurrent writers may overwrite each other's `state`, but each writes an honest stamp, so
//! the loser's event stays in the log above the stamp. A reader fetches `latest` and `seq`
//! together (one round trip); when the stamp is behind `seq` it folds the missing events in and
//! writes the repaired projection back. Nothing accepted is lost and latest never goes back.

use super::{legacy, packed};
use crate::event::Event;
use crate::store::keys::{self, RepoKeys};
use crate::store::{parse_counter, Store, StoreError};
use crate::timestamp::Timestamp;
use crate::tracking::policy::{is_signature_artifact, Order, Selection};
use crate::tracking::state::{Outcome, RepoState, TagRecord, Verification};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::json_object::{object, optional_object};

/// A sequence number that was handed out but whose event is still missing this long after a
/// later event was written belongs to a request that failed; it stops blocking the stamp.
const LOST_EVENT_GRACE_SECONDS: i64 = 30;
/// Events folded per `get_many` while catching up.
const FETCH_CHUNK: u64 = 256;
/// Retention deletes old events in batches of this many, so it costs a round trip rarely.
const COMPACTION_BATCH: u64 = 64;
/// Registries read for one repository name; a name on more is ambiguous anyway.
const MAX_HOSTS: u64 = 64;

/// One entry of the event log, as stored and as history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    #[serde(deserialize_with = "object")]
    pub event: Event,
    /// The merge order: the registry's timestamp, or the time ociref received it.
    #[serde(deserialize_with = "object")]
    pub order: Order,
    pub recorded_at: Timestamp,
    pub outcome: String,
}

/// The tag a repository currently shows, stored as one flat object (`tag` beside the record's
/// fields). Written out by hand rather than with `#[serde(flatten)]`, whose buffering
/// deserializer is large in the component.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "FlatShownTag<String, Order>")]
pub struct ShownTag {
    pub tag: String,
    pub record: TagRecord,
}

/// [`ShownTag`] as stored; the field order and omissions are those of [`TagRecord`].
#[derive(Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>, O: Deserialize<'de>"))]
struct FlatShownTag<T, O> {
    tag: T,
    host: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<T>,
    #[serde(deserialize_with = "object")]
    pushed: O,
}

impl From<FlatShownTag<String, Order>> for ShownTag {
    fn from(f: FlatShownTag<String, Order>) -> Self {
        Self {
            tag: f.tag,
            record: TagRecord {
                host: f.host,
                digest: f.digest,
                media_type: f.media_type,
                pushed: f.pushed,
                removed: false,
            },
        }
    }
}

impl Serialize for ShownTag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = &self.record;
        FlatShownTag {
            tag: self.tag.as_str(),
            host: r.host.as_str(),
            digest: r.digest.as_deref(),
            media_type: r.media_type.as_deref(),
            pushed: &r.pushed,
        }
        .serialize(serializer)
    }
}

/// Why a tracked repository shows no tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoTag {
    /// Every tag was deleted.
    Withdrawn,
    /// A quarantined image waits for release.
    Pending,
    /// Only digest-only pushes, charts or signature tags so far.
    Untagged,
}

impl NoTag {
    /// The serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Withdrawn => "withdrawn",
            Self::Pending => "pending",
            Self::Untagged => "untagged",
        }
    }
}

/// The badge's record: `current` as of `stamp`, under `selection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub stamp: u64,
    #[serde(deserialize_with = "object")]
    pub selection: Selection,
    #[serde(default, deserialize_with = "optional_object")]
    pub current: Option<ShownTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty: Option<NoTag>,
    /// Copied from the state: when the registry last confirmed this (reconciliation).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub verification: Option<Verification>,
}

impl Published {
    fn of(state: &RepoState, selection: Selection) -> Self {
        let current = state.latest(&selection).map(|(tag, record)| ShownTag {
            tag: tag.to_owned(),
            record: record.clone(),
        });
        let empty = match &current {
            Some(_) => None,
            None if state.pending().next().is_some() => Some(NoTag::Pending),
            // Signature tags never show, so having had only those is not "withdrawn".
            None if state.tags.keys().any(|t| !is_signature_artifact(t)) => Some(NoTag::Withdrawn),
            None => Some(NoTag::Untagged),
        };
        Self {
            stamp: state.stamp,
            selection,
            current,
            empty,
            verification: state.verification.clone(),
        }
    }
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub outcome: Option<Outcome>,
    /// `None` for a redelivery that was recognised and not stored again.
    pub seq: Option<u64>,
    pub latest: Published,
}

/// One tracked repository of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub host: String,
    pub repository: String,
    pub latest: Option<Published>,
}

/// One position of the repository index and the name it holds; an ociref 0.1 store's
/// entries name the repository alone (`host` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    pub position: u64,
    pub host: Option<String>,
    pub repository: String,
}

/// A slice of the repository index: its entries, the next position (when there is one) and
/// how many positions the index has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPage {
    pub entries: Vec<Indexed>,
    pub next: Option<u64>,
    pub total: u64,
}

pub struct Tracker<'a, S: Store> {
    pub store: &'a S,
    pub selection: Selection,
    /// How many of the newest events each repository keeps.
    pub retention: u64,
    pub now: Timestamp,
}

pub(super) fn decode<T: DeserializeOwned>(
    what: &str,
    bytes: Option<Vec<u8>>,
) -> Result<Option<T>, StoreError> {
    bytes
        .map(|b| {
            let mut de = serde_json::Deserializer::from_slice(&b);
            let value = object(&mut de)?;
            de.end().map(|()| value)
        })
        .transpose()
        .map_err(|e: serde_json::Error| StoreError(format!("undecodable {what} record: {e}")))
}

/// A stored state, packed or (written by an earlier version) JSON.
pub(super) fn decode_state(bytes: Option<Vec<u8>>) -> Result<Option<RepoState>, StoreError> {
    match bytes {
        Some(b) if packed::is_packed(&b) => packed::decode(&b)
            .map(Some)
            .map_err(|e| StoreError(format!("undecodable state record: {e}"))),
        json => decode("state", json),
    }
}

/// A state as `repo` stores it: packed, or JSON under an ociref 0.1 repository's keys, which
/// stay readable by 0.1.
fn encode_state(repo: &RepoKeys, state: &RepoState) -> Result<Vec<u8>, StoreError> {
    if repo.is_legacy() {
        encode(state)
    } else {
        Ok(packed::encode(state))
    }
}

fn encode(value: &impl Serialize) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError(format!("cannot encode record: {e}")))
}

fn counter(bytes: Option<Vec<u8>>) -> Result<u64, StoreError> {
    Ok(match bytes {
        Some(b) => parse_counter(&b)?.unwrap_or(0),
        None => 0,
    })
}

impl<S: Store> Tracker<'_, S> {
    /// Records one event: 3 round trips in the common case (read state, take a sequence
    /// number, write event + state + latest), one more when other requests wrote in between,
    /// for a repository's first event, or when retention deletes a batch.
    pub fn record(&self, event: Event) -> Result<Recorded, StoreError> {
        let host = event.host.clone().unwrap_or_default();
        let repository = event.repository.clone();
        let tracked = RepoKeys::tracked(&host, &repository);
        let legacy = RepoKeys::legacy(&repository);
        let [stored, legacy_stored] = self.get_array([tracked.state(), legacy.state()])?;
        let stored: Option<RepoState> = decode_state(stored)?;
        let legacy_stored: Option<RepoState> = decode_state(legacy_stored)?;
        let (repo, stored) = match (stored, legacy_stored) {
            (None, Some(old)) if legacy::holds(&old, &host) => (legacy, Some(old)),
            (stored, _) => (tracked, stored),
        };
        let is_new = stored.is_none();
        let mut state = stored.unwrap_or_default();
        let stored_stamp = state.stamp;
        if state.has_seen(&event.id) {
            return Ok(Recorded {
                outcome: None,
                seq: None,
                latest: Published::of(&state, self.selection),
            });
        }
        let seq = self.store.increment(&repo.sequence(), 1)?;
        self.catch_up(&repo, &mut state, seq - 1)?;
        let order = Order {
            at: event.occurred_at.unwrap_or(self.now),
            id: event.id.clone(),
        };
        let outcome = state.apply(&event, &order);
        state.remember(&event.id);
        if state.stamp + 1 == seq {
            state.stamp = seq;
        }
        // Only events the stored state already covers may go: a concurrent writer's older
        // state must stay repairable from the log.
        let compact_to = stored_stamp.min(state.stamp.saturating_sub(self.retention));
        if compact_to >= state.compacted_through + COMPACTION_BATCH {
            let doomed: Vec<String> = (state.compacted_through + 1..=compact_to)
                .map(|n| repo.event(n))
                .collect();
            self.store.delete_many(&doomed)?;
            state.compacted_through = compact_to;
        }
        let latest = Published::of(&state, self.selection);
        let entry = LogEntry {
            seq,
            event,
            order,
            recorded_at: self.now,
            outcome: outcome.summary(),
        };
        let mut writes = vec![
            (repo.event(seq), encode(&entry)?),
            (repo.state(), encode_state(&repo, &state)?),
            (repo.latest(), encode(&latest)?),
        ];
        if is_new {
            // Concurrent first events may both register the name; readers de-duplicate.
            let n = self.store.increment(&keys::repositories_count(), 1)?;
            writes.push((
                keys::repository_entry(n),
                format!("{host}/{repository}").into_bytes(),
            ));
            let h = self.store.increment(&keys::hosts_count(&repository), 1)?;
            writes.push((keys::host_entry(&repository, h), host.into_bytes()));
        }
        self.store.set_many(&writes)?;
        Ok(Recorded {
            outcome: Some(outcome),
            seq: Some(seq),
            latest,
        })
    }

    /// The current record of `host/repository`, if tracked: one round trip unless the
    /// projection is behind the log or was made under another policy.
    pub fn current(&self, host: &str, repository: &str) -> Result<Option<Published>, StoreError> {
        let listed = self.published_of(vec![(host.to_owned(), repository.to_owned())])?;
        Ok(listed.into_iter().next().and_then(|l| l.latest))
    }

    /// The registry hosts that track `repository`, in the order they first did.
    pub fn hosts(&self, repository: &str) -> Result<Vec<String>, StoreError> {
        // Most names live on one registry: the count, the first entries and the legacy record
        // come in one round trip.
        const FIRST: u64 = 4;
        let mut keys = vec![
            keys::hosts_count(repository),
            RepoKeys::legacy(repository).latest(),
        ];
        keys.extend((1..=FIRST).map(|n| keys::host_entry(repository, n)));
        let mut values = self.store.get_many(&keys)?.into_iter();
        let count = counter(values.next().flatten())?;
        let legacy: Option<Published> = decode("latest", values.next().flatten())?;
        let mut entries: Vec<Option<Vec<u8>>> = values.collect();
        if count > FIRST {
            let rest: Vec<String> = (FIRST + 1..=count.min(MAX_HOSTS))
                .map(|n| keys::host_entry(repository, n))
                .collect();
            entries.extend(self.store.get_many(&rest)?);
        }
        // An ociref 0.1 record whose tags are all gone names no host: "" stands for it.
        let mut hosts: Vec<String> = legacy
            .as_ref()
            .map(|l| legacy::host(l).unwrap_or_default())
            .into_iter()
            .collect();
        for host in entries.into_iter().flatten() {
            let host = String::from_utf8_lossy(&host).into_owned();
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        Ok(hosts)
    }

    /// The stored `latest` when its stamp covers every sequence number handed out, else the
    /// log folded onto the state: a record written by a slower concurrent writer, or stuck
    /// behind a lost number, is never shown.
    fn fresh(
        &self,
        repo: &RepoKeys,
        latest: Option<Published>,
        seq: Option<Vec<u8>>,
    ) -> Result<Published, StoreError> {
        let seq = counter(seq)?;
        match latest {
            Some(l) if l.stamp >= seq && l.selection == self.selection => Ok(l),
            _ => self.repair(repo, seq),
        }
    }

    /// Folds what the projection is missing and writes it back (best effort: the answer is
    /// right even when the write-back fails).
    fn repair(&self, repo: &RepoKeys, seq: u64) -> Result<Published, StoreError> {
        let [stored] = self.get_array([repo.state()])?;
        let mut state: RepoState = decode_state(stored)?.unwrap_or_default();
        self.catch_up(repo, &mut state, seq)?;
        let latest = Published::of(&state, self.selection);
        if let (Ok(s), Ok(l)) = (encode_state(repo, &state), encode(&latest)) {
            let _ = self
                .store
                .set_many(&[(repo.state(), s), (repo.latest(), l)]);
        }
        Ok(latest)
    }

    /// Applies the logged events after `state.stamp` up to `until`, and moves the stamp over
    /// every one that is present or given up as lost.
    fn catch_up(
        &self,
        repo: &RepoKeys,
        state: &mut RepoState,
        until: u64,
    ) -> Result<(), StoreError> {
        let mut from = state.stamp + 1;
        // Sequence numbers after the stamp whose events are not (yet) in the log.
        let mut missing: Vec<u64> = Vec::new();
        while from <= until {
            let to = until.min(from + FETCH_CHUNK - 1);
            let entries = self.events(repo, from, to)?;
            for (seq, entry) in (from..=to).zip(entries) {
                let Some(entry) = entry else {
                    missing.push(seq);
                    continue;
                };
                state.apply(&entry.event, &entry.order);
                state.remember(&entry.event.id);
                // Numbers handed out before a long-settled event had their chance: their
                // requests failed between `increment` and `set_many`.
                if self.now.seconds_since(entry.recorded_at) > LOST_EVENT_GRACE_SECONDS {
                    missing.clear();
                }
                if missing.is_empty() {
                    state.stamp = seq;
                }
            }
            from = to + 1;
        }
        Ok(())
    }

    fn events(
        &self,
        repo: &RepoKeys,
        from: u64,
        to: u64,
    ) -> Result<Vec<Option<LogEntry>>, StoreError> {
        let keys: Vec<String> = (from..=to).map(|n| repo.event(n)).collect();
        self.store
            .get_many(&keys)?
            .into_iter()
            .map(|v| decode("event", v))
            .collect()
    }

    /// The newest `limit` events of `host/repository`, newest first, each id once.
    pub fn history(
        &self,
        host: &str,
        repository: &str,
        limit: u64,
    ) -> Result<Option<Vec<LogEntry>>, StoreError> {
        let tracked = RepoKeys::tracked(host, repository);
        let legacy = RepoKeys::legacy(repository);
        let [seq, legacy_seq, legacy_latest] =
            self.get_array([tracked.sequence(), legacy.sequence(), legacy.latest()])?;
        let legacy_latest: Option<Published> = decode("latest", legacy_latest)?;
        let (repo, seq) = match (seq, legacy_seq) {
            (None, Some(old)) if legacy::shows(legacy_latest.as_ref(), host) => (legacy, old),
            (Some(seq), _) => (tracked, seq),
            (None, _) => return Ok(None),
        };
        let seq = counter(Some(seq))?;
        // Look a little further back than `limit` to make up for gaps and redeliveries.
        let from = seq.saturating_sub(limit.saturating_mul(2)) + 1;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut newest: Vec<LogEntry> = Vec::new();
        // A linear scan over at most `limit` (100) entries: a hash set would bring hashing and
        // its table into the component.
        for entry in self.events(&repo, from, seq)?.into_iter().flatten().rev() {
            if newest.len() == limit {
                break;
            }
            if !newest.iter().any(|e| e.event.id == entry.event.id) {
                newest.push(entry);
            }
        }
        Ok(Some(newest))
    }

    /// Tracked repositories from index position `cursor`, and the cursor of the next page.
    /// Positions count an ociref 0.1 store's repositories first (that index no longer
    /// grows), then every `host/repository` since.
    pub fn repositories(
        &self,
        cursor: u64,
        limit: u64,
    ) -> Result<(Vec<Listed>, Option<u64>), StoreError> {
        let page = self.index(cursor, limit)?;
        Ok((self.listed(page.entries)?, page.next))
    }

    /// The names at index positions `cursor..cursor + limit` (one round trip, no records
    /// read), so a caller can filter names before reading records.
    pub fn index(&self, cursor: u64, limit: u64) -> Result<IndexPage, StoreError> {
        let [legacy_count, count] = self.get_array([
            keys::legacy_repositories_count(),
            keys::repositories_count(),
        ])?;
        let (legacy_count, count) = (counter(legacy_count)?, counter(count)?);
        let total = legacy_count.saturating_add(count);
        let from = cursor.max(1);
        let to = total.min(from.saturating_add(limit).saturating_sub(1));
        let entry_keys: Vec<String> = (from..=to)
            .map(|n| match n.checked_sub(legacy_count) {
                Some(m) if m > 0 => keys::repository_entry(m),
                _ => keys::legacy_repository_entry(n),
            })
            .collect();
        let names = if entry_keys.is_empty() {
            Vec::new()
        } else {
            self.store.get_many(&entry_keys)?
        };
        let mut entries = Vec::new();
        for (position, name) in (from..=to).zip(names) {
            let Some(name) = name else { continue };
            let name = String::from_utf8_lossy(&name).into_owned();
            if position <= legacy_count {
                entries.push(Indexed {
                    position,
                    host: None,
                    repository: name,
                });
            } else if let Some((host, repository)) = name.split_once('/') {
                entries.push(Indexed {
                    position,
                    host: Some(host.to_owned()),
                    repository: repository.to_owned(),
                });
            }
        }
        Ok(IndexPage {
            entries,
            next: (to < total).then_some(to + 1),
            total,
        })
    }

    /// The records of indexed names, each name once (an index may hold a name twice when two
    /// first events raced): an ociref 0.1 store's names first, then the others in order.
    pub fn listed(&self, entries: Vec<Indexed>) -> Result<Vec<Listed>, StoreError> {
        let mut legacy_names: Vec<String> = Vec::new();
        let mut tracked: Vec<(String, String)> = Vec::new();
        for entry in entries {
            match entry.host {
                None if !legacy_names.contains(&entry.repository) => {
                    legacy_names.push(entry.repository)
                }
                Some(host) => {
                    let pair = (host, entry.repository);
                    if !tracked.contains(&pair) {
                        tracked.push(pair);
                    }
                }
                None => {}
            }
        }
        let mut listed = self.legacy_of(legacy_names)?;
        listed.extend(self.published_of(tracked)?);
        Ok(listed)
    }

    /// Repositories of an ociref 0.1 store, under the host their record shows ("" when it
    /// shows no tag).
    fn legacy_of(&self, names: Vec<String>) -> Result<Vec<Listed>, StoreError> {
        let repos: Vec<RepoKeys> = names.iter().map(|n| RepoKeys::legacy(n)).collect();
        let found = self.read_latest(&repos)?;
        names
            .into_iter()
            .zip(repos)
            .zip(found)
            .filter_map(|((repository, repo), found)| {
                let (latest, seq) = found?;
                let host = latest.as_ref().and_then(legacy::host).unwrap_or_default();
                Some((host, repository, repo, latest, seq))
            })
            .map(|(host, repository, repo, latest, seq)| {
                Ok(Listed {
                    latest: Some(self.fresh(&repo, latest, seq)?),
                    host,
                    repository,
                })
            })
            .collect()
    }

    /// The current `latest` of each `host/repository` (as [`Self::current`] reads it), in one
    /// round trip unless some need repair; a name an ociref 0.1 store holds is read there.
    pub fn published_of(&self, names: Vec<(String, String)>) -> Result<Vec<Listed>, StoreError> {
        let candidates: Vec<[RepoKeys; 2]> = names
            .iter()
            .map(|(h, r)| [RepoKeys::tracked(h, r), RepoKeys::legacy(r)])
            .collect();
        let flat: Vec<RepoKeys> = candidates.iter().flatten().cloned().collect();
        let mut found = self.read_latest(&flat)?.into_iter();
        names
            .into_iter()
            .zip(candidates)
            .map(|((host, repository), [tracked, legacy])| {
                let (new, old) = (found.next().flatten(), found.next().flatten());
                let latest = match (new, old) {
                    (Some((latest, seq)), _) => Some(self.fresh(&tracked, latest, seq)?),
                    (None, Some((latest, seq))) if legacy::shows(latest.as_ref(), &host) => {
                        Some(self.fresh(&legacy, latest, seq)?)
                    }
                    _ => None,
                };
                Ok(Listed {
                    host,
                    repository,
                    latest,
                })
            })
            .collect()
    }

    /// `latest` and `seq` of each repository in one round trip; `None` where neither exists.
    #[allow(clippy::type_complexity)]
    fn read_latest(
        &self,
        repos: &[RepoKeys],
    ) -> Result<Vec<Option<(Option<Published>, Option<Vec<u8>>)>>, StoreError> {
        if repos.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = repos
            .iter()
            .flat_map(|r| [r.latest(), r.sequence()])
            .collect();
        let mut values = self.store.get_many(&keys)?.into_iter();
        repos
            .iter()
            .map(|_| {
                let (latest, seq) = (values.next().flatten(), values.next().flatten());
                if latest.is_none() && seq.is_none() {
                    return Ok(None);
                }
                Ok(Some((decode("latest", latest)?, seq)))
            })
            .collect()
    }

    /// Where `host/repository` lives (its own keys, or an ociref 0.1 record that is that
    /// host's), its state with every logged event folded in, and its sequence number; `None`
    /// when it is not tracked.
    fn folded(
        &self,
        host: &str,
        repository: &str,
    ) -> Result<Option<(RepoKeys, RepoState)>, StoreError> {
        let tracked = RepoKeys::tracked(host, repository);
        let legacy = RepoKeys::legacy(repository);
        let [state, seq, legacy_state, legacy_seq] = self.get_array([
            tracked.state(),
            tracked.sequence(),
            legacy.state(),
            legacy.sequence(),
        ])?;
        let state: Option<RepoState> = decode_state(state)?;
        let legacy_state: Option<RepoState> = decode_state(legacy_state)?;
        let (repo, state, seq) = match (state, seq, legacy_state) {
            (None, None, Some(old)) if legacy::holds(&old, host) => (legacy, old, legacy_seq),
            (None, None, _) => return Ok(None),
            (state, seq, _) => (tracked, state.unwrap_or_default(), seq),
        };
        let mut state = state;
        self.catch_up(&repo, &mut state, counter(seq)?)?;
        Ok(Some((repo, state)))
    }

    /// The state of `host/repository` as of now (reconciliation compares it with the
    /// registry); `None` when it is not tracked.
    pub fn state_of(&self, host: &str, repository: &str) -> Result<Option<RepoState>, StoreError> {
        Ok(self.folded(host, repository)?.map(|(_, state)| state))
    }

    /// Updates what reconciliation found out, on the freshly folded state (its stamp stays
    /// honest, so a concurrent writer's event is never hidden). Nothing when not tracked.
    pub fn note_verification(
        &self,
        host: &str,
        repository: &str,
        update: impl FnOnce(&mut Verification),
    ) -> Result<Option<Published>, StoreError> {
        let Some((repo, mut state)) = self.folded(host, repository)? else {
            return Ok(None);
        };
        update(state.verification.get_or_insert_with(Verification::default));
        let latest = Published::of(&state, self.selection);
        self.store.set_many(&[
            (repo.state(), encode_state(&repo, &state)?),
            (repo.latest(), encode(&latest)?),
        ])?;
        Ok(Some(latest))
    }

    pub(crate) fn get_array<const N: usize>(
        &self,
        keys: [String; N],
    ) -> Result<[Option<Vec<u8>>; N], StoreError> {
        let values = self.store.get_many(&keys)?;
        values
            .try_into()
            .map_err(|_| StoreError("store returned the wrong number of values".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Action;
    use crate::store::MemoryStore;

    pub(crate) fn push(id: &str, tag: &str, at: i64) -> Event {
        Event {
            id: id.into(),
            action: Action::Push,
            occurred_at: Some(Timestamp(at)),
            host: Some("r.io".into()),
            repository: "app".into(),
            tag: Some(tag.into()),
            digest: Some(format!("sha256:{}", "a".repeat(64))),
            media_type: None,
            source: None,
        }
    }

    fn app() -> RepoKeys {
        RepoKeys::tracked("r.io", "app")
    }

    fn tracker(store: &MemoryStore) -> Tracker<'_, MemoryStore> {
        Tracker {
            store,
            selection: Selection::default(),
            retention: 100,
            now: Timestamp(1_000 * Timestamp::NANOS_PER_SECOND),
        }
    }

    fn current_tag(t: &Tracker<'_, MemoryStore>) -> Option<String> {
        t.current("r.io", "app")
            .unwrap()
            .and_then(|l| l.current)
            .map(|c| c.tag)
    }

    #[test]
    fn push_costs_three_round_trips_and_badge_one() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "1.0.0", 1)).unwrap();
        let before = store.calls().len();
        t.record(push("e2", "1.1.0", 2)).unwrap();
        assert_eq!(
            store.calls().len() - before,
            3,
            "{:?}",
            &store.calls()[before..]
        );
        let before = store.calls().len();
        assert_eq!(current_tag(&t).as_deref(), Some("1.1.0"));
        assert_eq!(store.calls().len() - before, 1);
    }

    #[test]
    fn a_repository_with_only_signature_tags_is_untagged_not_withdrawn() {
        // Found by tests/properties.rs: a lone cosign `.sig` push showed "withdrawn".
        let store = MemoryStore::new();
        let t = tracker(&store);
        let sig = format!("sha256-{}.sig", "0a".repeat(32));
        let recorded = t.record(push("e1", &sig, 1)).unwrap();
        assert_eq!(
            (recorded.latest.current, recorded.latest.empty),
            (None, Some(NoTag::Untagged))
        );
        t.record(push("e2", "main", 2)).unwrap();
        let withdrawn = t
            .record(Event {
                action: Action::Delete,
                tag: None,
                ..push("e3", "", 3)
            })
            .unwrap();
        assert_eq!(withdrawn.latest.empty, Some(NoTag::Withdrawn));
    }

    #[test]
    fn a_json_state_of_an_earlier_version_is_read_and_rewritten_packed() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "1.0.0", 1)).unwrap();
        let state = packed::decode(&store.dump()[&app().state()]).unwrap();
        let json = serde_json::to_vec(&state).unwrap();
        store.set_many(&[(app().state(), json)]).unwrap();
        assert_eq!(t.state_of("r.io", "app").unwrap(), Some(state));
        t.record(push("e2", "1.1.0", 2)).unwrap();
        assert!(packed::is_packed(&store.dump()[&app().state()]));
        assert_eq!(current_tag(&t).as_deref(), Some("1.1.0"));
        // The redelivery check reads the ids the JSON state held.
        assert_eq!(t.record(push("e1", "1.0.0", 1)).unwrap().seq, None);
    }

    #[test]
    fn redelivery_is_recorded_once() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        assert_eq!(t.record(push("e1", "1.0.0", 1)).unwrap().seq, Some(1));
        let again = t.record(push("e1", "1.0.0", 1)).unwrap();
        assert_eq!((again.seq, again.outcome), (None, None));
        assert_eq!(t.history("r.io", "app", 10).unwrap().unwrap().len(), 1);
    }

    #[test]
    fn a_stale_projection_is_repaired_on_read() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "1.0.0", 1)).unwrap();
        let old_state = store.dump();
        t.record(push("e2", "2.0.0", 2)).unwrap();
        // A slow concurrent writer puts back an older projection.
        store
            .set_many(&[
                (app().state(), old_state[&app().state()].clone()),
                (app().latest(), old_state[&app().latest()].clone()),
            ])
            .unwrap();
        // The listing reads what the badge reads (found by the Redis-restart burst test).
        let listed = t.published_of(vec![("r.io".into(), "app".into())]).unwrap();
        let listed_tag = listed[0].latest.as_ref().and_then(|l| l.current.as_ref());
        assert_eq!(listed_tag.map(|c| c.tag.as_str()), Some("2.0.0"));
        // ...and the repair was written back: the next read is one round trip again.
        let before = store.calls().len();
        assert_eq!(current_tag(&t).as_deref(), Some("2.0.0"));
        assert_eq!(store.calls().len() - before, 1);
    }

    #[test]
    fn a_lost_sequence_number_stops_blocking_after_the_grace_period() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "1.0.0", 1)).unwrap();
        store.increment(&app().sequence(), 1).unwrap(); // a writer that died after this
        t.record(push("e3", "1.2.0", 3)).unwrap();
        let state = packed::decode(&store.dump()[&app().state()]).unwrap();
        assert_eq!(state.stamp, 1, "seq 2 may still be in flight");
        assert_eq!(
            current_tag(&t).as_deref(),
            Some("1.2.0"),
            "folded even though blocked"
        );
        let later = Tracker {
            now: Timestamp(t.now.0 + 31 * Timestamp::NANOS_PER_SECOND),
            ..tracker(&store)
        };
        later.current("r.io", "app").unwrap();
        let state = packed::decode(&store.dump()[&app().state()]).unwrap();
        assert_eq!(state.stamp, 3);
    }

    #[test]
    fn empty_names_are_the_serialized_ones() {
        for e in [NoTag::Withdrawn, NoTag::Pending, NoTag::Untagged] {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn retention_bounds_the_log_and_keeps_the_state() {
        let store = MemoryStore::new();
        let t = Tracker {
            retention: 10,
            ..tracker(&store)
        };
        for i in 0..300 {
            t.record(push(&format!("e{i}"), &format!("0.{i}.0"), i))
                .unwrap();
        }
        let events = store
            .dump()
            .keys()
            .filter(|k| k.contains(":event:"))
            .count();
        assert!(
            events <= 10 + COMPACTION_BATCH as usize + 1,
            "{events} events kept"
        );
        assert_eq!(current_tag(&t).as_deref(), Some("0.299.0"));
        assert_eq!(t.history("r.io", "app", 5).unwrap().unwrap()[0].seq, 300);
    }

    #[test]
    fn policy_change_recomputes() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "2.0.0", 1)).unwrap();
        t.record(push("e2", "1.0.0", 2)).unwrap();
        assert_eq!(current_tag(&t).as_deref(), Some("2.0.0"));
        let last = Tracker {
            selection: Selection {
                policy: crate::tracking::policy::Policy::LastPush,
                include_prereleases: false,
            },
            ..tracker(&store)
        };
        assert_eq!(current_tag(&last).as_deref(), Some("1.0.0"));
    }

    #[test]
    fn listing_deduplicates_the_index() {
        let store = MemoryStore::new();
        let t = tracker(&store);
        t.record(push("e1", "1.0.0", 1)).unwrap();
        let n = store.increment(&keys::repositories_count(), 1).unwrap();
        store
            .set_many(&[(keys::repository_entry(n), b"r.io/app".to_vec())])
            .unwrap();
        let (listed, next) = t.repositories(0, 100).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(next, None);
    }
}
