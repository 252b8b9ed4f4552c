//! Releases: the moments a repository's badge changed to show another reference, derived from
//! the event log (nothing extra is stored on a push). The retained events are replayed, oldest
//! first, over what the state knew before them, and every change of the shown tag or digest is
//! a release. Pure apart from [`Tracker::releases`], which reads the log and the state.

use super::legacy;
use super::policy::Selection;
use super::state::{RepoState, TagRecord};
use super::tracker::{decode, decode_state};
use super::{LogEntry, Tracker};
use crate::store::keys::RepoKeys;
use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;

/// One change of what a repository shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The event that made it latest: a push, or a delete that uncovered an older tag.
    pub seq: u64,
    pub tag: String,
    pub record: TagRecord,
    /// When that happened: the event's time (the registry's, else ociref's receipt).
    pub at: Timestamp,
}

/// The releases in `log` (newest first, each event once, as [`Tracker::history`] gives it),
/// newest first, at most `limit`.
/// `state` is the repository's current state: its tags and deletions that no event of `log`
/// wrote are what was known before the log's oldest event (quarantines never decide what
/// shows), so a high version pushed before the retained log still outranks what came after.
pub fn releases(
    state: &RepoState,
    log: &[LogEntry],
    selection: &Selection,
    limit: usize,
) -> Vec<Release> {
    let logged = |id: &str| log.iter().any(|e| e.event.id == id);
    // Inserted one by one (collecting or cloning a map would each add kilobytes of map code
    // to the component; `insert` is already there).
    let mut replay = RepoState::default();
    for (tag, t) in state.tags.iter().filter(|(_, t)| !logged(&t.pushed.id)) {
        replay.tags.insert(tag.clone(), t.clone());
    }
    for (digest, at) in state.deleted.iter().filter(|(_, at)| !logged(&at.id)) {
        replay.deleted.insert(digest.clone(), at.clone());
    }
    let shown = |s: &RepoState| {
        s.latest(selection)
            .map(|(tag, record)| (tag.to_owned(), record.clone()))
    };
    let same = |a: &Option<(String, TagRecord)>, b: &Option<(String, TagRecord)>| {
        a.as_ref().map(|(t, r)| (t, &r.digest)) == b.as_ref().map(|(t, r)| (t, &r.digest))
    };
    let mut previous = shown(&replay);
    let mut found = Vec::new();
    for entry in log.iter().rev() {
        replay.apply(&entry.event, &entry.order);
        let now = shown(&replay);
        if !same(&now, &previous) {
            if let Some((tag, record)) = &now {
                found.push(Release {
                    seq: entry.seq,
                    tag: tag.clone(),
                    record: record.clone(),
                    at: entry.order.at,
                });
            }
            previous = now;
        }
    }
    found.reverse();
    found.truncate(limit);
    found
}

impl<S: Store> Tracker<'_, S> {
    /// The newest `limit` releases of `host/repository` among its newest `window` events
    /// (three round trips: the counter, the events, the state); `None` when it has no log.
    pub fn releases(
        &self,
        host: &str,
        repository: &str,
        window: u64,
        limit: usize,
    ) -> Result<Option<Vec<Release>>, StoreError> {
        let Some(log) = self.history(host, repository, window)? else {
            return Ok(None);
        };
        let tracked = RepoKeys::tracked(host, repository);
        let old = RepoKeys::legacy(repository);
        let [state, legacy_state, legacy_latest] =
            self.get_array([tracked.state(), old.state(), old.latest()])?;
        // The log `history` read is the ociref 0.1 one exactly when no v2 state exists and
        // the 0.1 record shows this host.
        let legacy_latest: Option<super::Published> = decode("badge", legacy_latest)?;
        let state = match state {
            Some(s) => Some(s),
            None if legacy::shows(legacy_latest.as_ref(), host) => legacy_state,
            None => None,
        };
        let state: RepoState = decode_state(state)?.unwrap_or_default();
        Ok(Some(releases(&state, &log, &self.selection, limit)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Action, Event};
    use crate::tracking::policy::Order;

    fn entry(seq: u64, action: Action, tag: &str, digest: char, at: i64) -> LogEntry {
        let event = Event {
            id: format!("e{seq}"),
            action,
            occurred_at: Some(Timestamp(at)),
            host: Some("r.io".into()),
            repository: "app".into(),
            tag: (!tag.is_empty()).then(|| tag.to_owned()),
            digest: Some(format!("sha256:{}", digest.to_string().repeat(64))),
            media_type: None,
            source: None,
        };
        LogEntry {
            seq,
            order: Order {
                at: Timestamp(at),
                id: event.id.clone(),
            },
            event,
            recorded_at: Timestamp(at),
            outcome: String::new(),
        }
    }

    fn fold(log: &[LogEntry]) -> RepoState {
        let mut state = RepoState::default();
        for e in log {
            state.apply(&e.event, &e.order);
        }
        state
    }

    fn newest_first(log: &[LogEntry]) -> Vec<LogEntry> {
        log.iter().rev().cloned().collect()
    }

    fn tags(found: &[Release]) -> Vec<(u64, &str)> {
        found.iter().map(|r| (r.seq, r.tag.as_str())).collect()
    }

    #[test]
    fn each_change_of_latest_is_a_release_newest_first() {
        let log = [
            entry(1, Action::Push, "1.0.0", 'a', 10),
            entry(2, Action::Push, "0.9.0", 'b', 20), // a lower version: no change
            entry(3, Action::Push, "1.1.0", 'c', 30),
            entry(4, Action::Delete, "", 'c', 40), // 1.1.0 withdrawn: 1.0.0 shows again
            entry(5, Action::Push, "1.0.0", 'a', 50), // the same digest again: no change
            entry(6, Action::Push, "1.0.0", 'd', 60), // the same tag, a new digest
        ];
        let log = newest_first(&log);
        let found = releases(&fold(&log), &log, &Selection::default(), 10);
        assert_eq!(
            tags(&found),
            [(6, "1.0.0"), (4, "1.0.0"), (3, "1.1.0"), (1, "1.0.0")]
        );
        assert_eq!(found[0].at, Timestamp(60));
        assert_eq!(
            tags(&releases(&fold(&log), &log, &Selection::default(), 2)).len(),
            2
        );
    }

    #[test]
    fn what_retention_dropped_still_outranks_what_came_after() {
        let all = [
            entry(1, Action::Push, "2.0.0", 'a', 10),
            entry(2, Action::Push, "main", 'b', 20),
            entry(3, Action::Push, "1.5.0", 'c', 30),
        ];
        // Only events 2 and 3 are retained; 2.0.0 still shows, so nothing was released.
        let retained = newest_first(&all[1..]);
        let found = releases(&fold(&all), &retained, &Selection::default(), 10);
        assert_eq!(tags(&found), []);
        // Without the state it would have looked like two releases.
        let naive = releases(&RepoState::default(), &retained, &Selection::default(), 10);
        assert_eq!(tags(&naive), [(3, "1.5.0"), (2, "main")]);
    }
}
