//! A repository's state: its tags, deletions and quarantines, merged so that applying the same
//! events in any order, any number of times, gives the same state. That is what lets
//! concurrent requests fold the event log independently without losing anything.

use crate::event::{Action, Event};
use crate::json_object::{object, object_values, optional_object};
use crate::timestamp::Timestamp;
use crate::tracking::policy::{version_of, Order, Selection};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Bounds on one state record, so no key grows without limit (documented in the README).
pub const MAX_TAGS: usize = 500;
pub const MAX_DIGEST_MARKS: usize = 256;
pub const MAX_RECENT_IDS: usize = 256;
/// How far below a bound eviction goes once the bound is passed.
const EVICTION_BATCH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRecord {
    pub host: String,
    /// Absent only for references set by hand without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(deserialize_with = "object")]
    pub pushed: Order,
    /// The registry no longer has this tag (an `untag` as of `pushed`): kept, not removed, so
    /// that a push older than the untag arriving late cannot bring it back.
    #[serde(default, skip_serializing_if = "is_false")]
    pub removed: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoState {
    /// Every event with a sequence number up to this one is folded in (or was given up as lost).
    pub stamp: u64,
    /// Events up to this sequence number have been deleted by retention.
    #[serde(default)]
    pub compacted_through: u64,
    #[serde(default, deserialize_with = "object_values")]
    pub tags: BTreeMap<String, TagRecord>,
    /// Digest -> the newest delete of it; a tag pushed before that is withdrawn.
    #[serde(default, deserialize_with = "object_values")]
    pub deleted: BTreeMap<String, Order>,
    /// Digest -> its quarantine; pending until some push carries that digest, or a later
    /// delete removes it.
    #[serde(default, deserialize_with = "object_values")]
    pub quarantined: BTreeMap<String, Order>,
    /// Digest -> the newest push that carried it. A quarantine is released by any push of its
    /// digest, even one whose tag has since moved to another digest.
    #[serde(default, deserialize_with = "object_values")]
    pub released: BTreeMap<String, Order>,
    /// Ids of the newest events, so a redelivery is recognised.
    #[serde(default)]
    pub recent_ids: VecDeque<String>,
    /// When the registry last confirmed what this state shows. Not an event: a concurrent
    /// writer may drop it, which costs one extra verification, never a wrong badge.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub verification: Option<Verification>,
}

/// What reconciliation last found out about a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The last time the registry's tags were compared and corrections recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Timestamp>,
    /// Verifications that failed since the last success (registry down, credentials refused).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<Timestamp>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What an event did to the state, as history and the webhook answer report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Tracked,
    Withdrew(usize),
    Pending,
    Ignored(&'static str),
    /// A correction from the registry (`reconcile`, `untag`).
    Reconciled,
}

impl Outcome {
    /// How history records it.
    pub fn summary(&self) -> String {
        match self {
            Self::Tracked => "recorded".into(),
            Self::Withdrew(n) => format!("withdrew {n} tag(s)"),
            Self::Pending => "pending".into(),
            Self::Ignored(why) => format!("ignored: {why}"),
            Self::Reconciled => "reconciled".into(),
        }
    }
}

impl RepoState {
    pub fn is_live(&self, tag: &TagRecord) -> bool {
        !tag.removed
            && tag
                .digest
                .as_ref()
                .and_then(|d| self.deleted.get(d))
                .is_none_or(|deleted| tag.pushed > *deleted)
    }

    /// A scan of up to 256 ids for every event applied. Comparing the last byte first spares
    /// most whole compares (a call into a byte loop in WebAssembly): ids that share a prefix
    /// (counters) differ at their end, random ones (UUIDs) anywhere.
    pub fn has_seen(&self, id: &str) -> bool {
        let last = id.as_bytes().last();
        self.recent_ids
            .iter()
            .any(|i| i.as_bytes().last() == last && i == id)
    }

    /// Quarantined digests that no push has released and no later delete has removed.
    pub fn pending(&self) -> impl Iterator<Item = &str> {
        self.quarantined
            .iter()
            .filter(|(d, quarantine)| {
                !self.released.contains_key(*d)
                    // States stored before `released` existed know releases from tags only.
                    && !self.tags.values().any(|t| t.digest.as_ref() == Some(*d))
                    && self.deleted.get(*d).is_none_or(|delete| delete < *quarantine)
            })
            .map(|(d, _)| d.as_str())
    }

    /// The tag the badge shows, among live tags.
    pub fn latest(&self, selection: &Selection) -> Option<(&str, &TagRecord)> {
        selection.select(
            self.tags
                .iter()
                .filter(|(_, t)| self.is_live(t))
                .map(|(tag, t)| (tag.as_str(), &t.pushed, t)),
        )
    }

    /// Merges one event. Idempotent and order-independent (within the bounds above).
    pub fn apply(&mut self, event: &Event, order: &Order) -> Outcome {
        if let (true, Some(digest)) = (event.action.publishes(), &event.digest) {
            merge_mark(&mut self.released, digest, order);
        }
        let outcome = match (&event.action, &event.tag, &event.digest, &event.host) {
            (Action::Push | Action::Manual | Action::Reconcile, Some(tag), digest, Some(host)) => {
                self.merge_tag(
                    tag,
                    TagRecord {
                        host: host.clone(),
                        digest: digest.clone(),
                        media_type: event.media_type.clone(),
                        pushed: order.clone(),
                        removed: false,
                    },
                );
                match event.action {
                    Action::Reconcile => Outcome::Reconciled,
                    _ => Outcome::Tracked,
                }
            }
            (Action::Push | Action::Manual | Action::Reconcile, _, _, _) => {
                Outcome::Ignored("a push without a tag never becomes latest")
            }
            (Action::Untag, Some(tag), _, Some(host)) => {
                self.merge_tag(
                    tag,
                    TagRecord {
                        host: host.clone(),
                        digest: None,
                        media_type: None,
                        pushed: order.clone(),
                        removed: true,
                    },
                );
                Outcome::Reconciled
            }
            (Action::Untag, _, _, _) => Outcome::Ignored("an untag needs a tag and a host"),
            (Action::Delete, _, Some(digest), _) => {
                merge_mark(&mut self.deleted, digest, order);
                let withdrawn = self
                    .tags
                    .values()
                    .filter(|t| t.digest.as_ref() == Some(digest) && t.pushed < *order)
                    .count();
                Outcome::Withdrew(withdrawn)
            }
            (Action::Quarantine, _, Some(digest), _) => {
                merge_mark(&mut self.quarantined, digest, order);
                Outcome::Pending
            }
            (Action::Untracked(_), _, _, _) => Outcome::Ignored("this action is not tracked"),
            (Action::Delete | Action::Quarantine, _, None, _) => Outcome::Ignored("no digest"),
        };
        self.enforce_bounds();
        outcome
    }

    /// The newest record of a tag wins, whatever order they arrive in.
    fn merge_tag(&mut self, tag: &str, record: TagRecord) {
        if self.tags.get(tag).is_none_or(|t| record.pushed > t.pushed) {
            self.tags.insert(tag.to_owned(), record);
        }
    }

    pub fn remember(&mut self, id: &str) {
        if !self.has_seen(id) {
            self.recent_ids.push_back(id.to_owned());
        }
        while self.recent_ids.len() > MAX_RECENT_IDS {
            self.recent_ids.pop_front();
        }
    }

    /// Past a bound, evicts a batch at once (down to the bound less `EVICTION_BATCH`): finding
    /// victims scans every entry, and doing that for each event made a full repository's
    /// writes cost O(tags) each (scripts/bench, section 4).
    fn enforce_bounds(&mut self) {
        if self.tags.len() > MAX_TAGS {
            // The oldest untags first; then the oldest pushes that are neither the highest live
            // version nor the newest live push, so neither policy loses its winner.
            let live = || self.tags.iter().filter(|(_, t)| !t.removed);
            let highest = live()
                .filter_map(|(tag, _)| version_of(tag).map(|v| (v, tag)))
                .max()
                .map(|(_, tag)| tag);
            let newest = live()
                .max_by(|a, b| a.1.pushed.cmp(&b.1.pushed))
                .map(|(tag, _)| tag);
            // The map's own keys, so the same key is the same address (no string compares).
            let spared = |tag: &String| {
                [highest, newest]
                    .into_iter()
                    .flatten()
                    .any(|k| std::ptr::eq(k, tag))
            };
            let candidates = self
                .tags
                .iter()
                .filter(|(tag, _)| !spared(tag))
                .map(|(tag, t)| (!t.removed, &t.pushed, tag));
            let doomed = first(candidates, self.tags.len() - (MAX_TAGS - EVICTION_BATCH));
            remove_all(&mut self.tags, doomed);
        }
        for marks in [&mut self.deleted, &mut self.quarantined, &mut self.released] {
            if marks.len() > MAX_DIGEST_MARKS {
                let candidates = marks.iter().map(|(d, order)| (false, order, d));
                let doomed = first(
                    candidates,
                    marks.len() - (MAX_DIGEST_MARKS - EVICTION_BATCH),
                );
                remove_all(marks, doomed);
            }
        }
    }
}

/// The keys of the `count` smallest `(rank, order, key)` entries.
fn first<'a>(
    entries: impl Iterator<Item = (bool, &'a Order, &'a String)>,
    count: usize,
) -> Vec<String> {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_unstable();
    entries
        .into_iter()
        .take(count)
        .map(|(_, _, key)| key.clone())
        .collect()
}

/// Removes `doomed` by rebuilding the map from its sorted run: `BTreeMap::remove` brings
/// about 5 KB of rebalancing code per map type into the component, and inserting entry by
/// entry would search the tree for each. `doomed` is sorted to be searched in halves.
fn remove_all<V>(map: &mut BTreeMap<String, V>, mut doomed: Vec<String>) {
    doomed.sort_unstable();
    *map = std::mem::take(map)
        .into_iter()
        .filter(|(k, _)| doomed.binary_search(k).is_err())
        .collect();
}

fn merge_mark(marks: &mut BTreeMap<String, Order>, digest: &str, order: &Order) {
    match marks.get_mut(digest) {
        Some(existing) if *existing >= *order => {}
        Some(existing) => *existing = order.clone(),
        None => {
            marks.insert(digest.to_owned(), order.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    pub(crate) fn digest(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn ev(id: &str, action: Action, tag: Option<&str>, d: u8) -> (Event, Order) {
        let at = id
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or(0);
        (
            Event {
                id: id.into(),
                action,
                occurred_at: Some(Timestamp(at)),
                host: Some("r.io".into()),
                repository: "app".into(),
                tag: tag.map(Into::into),
                digest: Some(digest(d)),
                media_type: None,
                source: None,
            },
            Order {
                at: Timestamp(at),
                id: id.into(),
            },
        )
    }

    fn latest_tag(s: &RepoState) -> Option<String> {
        s.latest(&Selection::default()).map(|(t, _)| t.to_owned())
    }

    #[test]
    fn delete_withdraws_every_tag_on_the_digest_and_repush_restores() {
        let events = [
            ev("e1", Action::Push, Some("1.0.0"), 1),
            ev("e2", Action::Push, Some("1.1.0"), 2),
            ev("e3", Action::Push, Some("latest"), 2),
            ev("e4", Action::Delete, None, 2),
        ];
        let mut s = RepoState::default();
        for (e, o) in &events {
            s.apply(e, o);
        }
        assert_eq!(latest_tag(&s).as_deref(), Some("1.0.0"));
        let (e, o) = ev("e5", Action::Push, Some("1.1.0"), 2);
        s.apply(&e, &o);
        assert_eq!(latest_tag(&s).as_deref(), Some("1.1.0"));
    }

    /// The state of `events` folded in order, and folded in reverse followed by every event
    /// again (out of order, each delivered twice): the fold must not tell them apart.
    fn both_ways(events: &[(Event, Order)]) -> (RepoState, RepoState) {
        let mut forward = RepoState::default();
        for (e, o) in events {
            forward.apply(e, o);
        }
        let mut backward = RepoState::default();
        for (e, o) in events.iter().rev().chain(events) {
            backward.apply(e, o);
        }
        (forward, backward)
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let events = [
            ev("e1", Action::Quarantine, None, 3),
            ev("e2", Action::Push, Some("2.0.0"), 3),
            ev("e3", Action::Push, Some("1.0.0"), 1),
            ev("e4", Action::Delete, None, 3),
            ev("e5", Action::Push, Some("1.0.0"), 4),
        ];
        let (forward, backward) = both_ways(&events);
        assert_eq!(forward.tags, backward.tags);
        assert_eq!(forward.deleted, backward.deleted);
        assert_eq!(latest_tag(&forward).as_deref(), Some("1.0.0"));
        assert_eq!(forward.tags["1.0.0"].digest, Some(digest(4)));
    }

    #[test]
    fn quarantine_is_pending_until_a_push_of_its_digest() {
        let mut s = RepoState::default();
        let (e, o) = ev("e1", Action::Quarantine, Some("1"), 7);
        assert_eq!(s.apply(&e, &o), Outcome::Pending);
        assert_eq!(s.pending().collect::<Vec<_>>(), [digest(7)]);
        assert_eq!(latest_tag(&s), None);
        let (e, o) = ev("e2", Action::Push, Some("1.0.0"), 7);
        s.apply(&e, &o);
        assert_eq!(s.pending().count(), 0);
        assert_eq!(latest_tag(&s).as_deref(), Some("1.0.0"));
    }

    #[test]
    fn a_quarantine_ends_with_its_release_or_its_delete() {
        // Found by tests/properties.rs: both of these showed "pending release" for ever.
        let mut released = RepoState::default();
        for (e, o) in [
            ev("e1", Action::Quarantine, Some("1"), 7),
            ev("e2", Action::Push, Some("1"), 7),
            ev("e3", Action::Push, Some("1"), 8),
            ev("e4", Action::Delete, None, 8),
        ] {
            released.apply(&e, &o);
        }
        assert_eq!(
            released.pending().count(),
            0,
            "released, then the tag moved on"
        );
        let mut rejected = RepoState::default();
        for (e, o) in [
            ev("e1", Action::Quarantine, Some("1"), 7),
            ev("e2", Action::Delete, None, 7),
        ] {
            rejected.apply(&e, &o);
        }
        assert_eq!(rejected.pending().count(), 0, "deleted after quarantine");
        let (e, o) = ev("e3", Action::Quarantine, Some("1"), 7);
        rejected.apply(&e, &o);
        assert_eq!(
            rejected.pending().count(),
            1,
            "quarantined again after the delete"
        );
    }

    #[test]
    fn an_untag_withdraws_one_tag_in_any_order_until_a_newer_push() {
        // A lost delete corrected by the registry: `1.1.0` is gone, `latest` (same digest) stays.
        let untag = |id: &str, tag: &str| {
            let (mut e, o) = ev(id, Action::Untag, Some(tag), 0);
            e.digest = None;
            (e, o)
        };
        let events = [
            ev("e1", Action::Push, Some("1.0.0"), 1),
            ev("e2", Action::Push, Some("1.1.0"), 2),
            ev("e3", Action::Push, Some("latest"), 2),
            untag("e4", "1.1.0"),
        ];
        let (mut forward, backward) = both_ways(&events);
        assert_eq!(forward.tags, backward.tags);
        assert_eq!(latest_tag(&forward).as_deref(), Some("1.0.0"));
        assert!(forward.is_live(&forward.tags["latest"]));
        let (e, o) = untag("e5", "9.9.9");
        assert_eq!(forward.apply(&e, &o), Outcome::Reconciled);
        assert_eq!(latest_tag(&forward).as_deref(), Some("1.0.0"));
        // Only a push newer than the untag brings the tag back.
        let (e, o) = ev("e6", Action::Reconcile, Some("1.1.0"), 3);
        assert_eq!(forward.apply(&e, &o), Outcome::Reconciled);
        assert_eq!(latest_tag(&forward).as_deref(), Some("1.1.0"));
        // Everything untagged: withdrawn, not untagged.
        for (i, tag) in ["1.0.0", "1.1.0", "latest"].iter().enumerate() {
            let (e, o) = untag(&format!("e{}", 7 + i), tag);
            forward.apply(&e, &o);
        }
        assert_eq!(latest_tag(&forward), None);
        assert!(forward.tags.values().all(|t| t.removed));
    }

    #[test]
    fn past_a_bound_the_oldest_go_in_one_batch() {
        let mut s = RepoState::default();
        for i in 0..=MAX_DIGEST_MARKS as i64 {
            let (mut e, o) = ev(&format!("e{i}"), Action::Push, Some(&format!("1.{i}.0")), 1);
            e.digest = Some(format!("sha256:{i:064x}"));
            s.apply(&e, &o);
        }
        // 257 marks: down to the bound less a batch, the oldest 33 gone.
        assert_eq!(s.released.len(), MAX_DIGEST_MARKS - EVICTION_BATCH);
        assert!(!s
            .released
            .contains_key(&format!("sha256:{EVICTION_BATCH:064x}")));
        assert!(s
            .released
            .contains_key(&format!("sha256:{:064x}", EVICTION_BATCH + 1)));
    }

    #[test]
    fn bounded_without_losing_the_winners() {
        let mut s = RepoState::default();
        for i in 0..(MAX_TAGS as i64 + 50) {
            let (e, o) = ev(&format!("e{i}"), Action::Push, Some(&format!("sha-{i}")), 1);
            s.apply(&e, &o);
            s.remember(&e.id);
        }
        let (e, o) = ev("e0", Action::Push, Some("9.9.9"), 2);
        s.apply(&e, &o);
        for i in 1000..1100 {
            let (e, o) = ev(
                &format!("e{i}"),
                Action::Push,
                Some(&format!("main-{i}")),
                1,
            );
            s.apply(&e, &o);
        }
        assert!(s.tags.len() <= MAX_TAGS);
        assert!(s.recent_ids.len() <= MAX_RECENT_IDS);
        assert_eq!(latest_tag(&s).as_deref(), Some("9.9.9"));
    }
}
