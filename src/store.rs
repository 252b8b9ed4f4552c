//! The key-value store as ociref uses it: four operations that map one-to-one onto
//! `wasi:keyvalue` batch/atomics calls (one call = one round trip), every key name, and an
//! in-memory store with a call log and fault injection for tests.
//!
//! `wasi:keyvalue@0.2.0-draft` has no compare-and-swap; `increment` is the only atomic
//! read-modify-write, and the tracker is designed around that (see `tracker`).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// What the store said when it failed. Logged, never shown to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

pub trait Store {
    /// Values of `keys`, in order; `None` for a missing key.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    /// Writes all entries (Redis: one `MSET`, atomic).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError>;
    /// Adds `delta` to the decimal integer at `key` (missing = 0) and returns the new value.
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError>;
}

/// Every key ociref writes, in one flat keyspace under a versioned prefix (the wasmCloud Redis
/// provider ignores bucket names). Names are validated before they get here and never contain
/// `:`, so no name can reach another name's keys.
///
/// `ociref:v2` keys a repository by `host/repository`. `ociref:v1` (ociref 0.1) keyed it by the
/// repository alone; such a store is read and written where it is (see `tracking::legacy`),
/// never copied, so an upgrade needs no migration step and loses no concurrent write.
pub mod keys {
    const V1: &str = "ociref:v1";
    const V2: &str = "ociref:v2";

    /// Where one repository's records live.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RepoKeys {
        prefix: &'static str,
        /// `host/repository` under v2, the bare repository under v1.
        name: String,
    }

    impl RepoKeys {
        pub fn tracked(host: &str, repository: &str) -> Self {
            Self {
                prefix: V2,
                name: format!("{host}/{repository}"),
            }
        }

        /// A repository an ociref 0.1 store holds.
        pub fn legacy(repository: &str) -> Self {
            Self {
                prefix: V1,
                name: repository.to_owned(),
            }
        }

        pub fn is_legacy(&self) -> bool {
            self.prefix == V1
        }

        /// Small record the badge reads: the current reference and the sequence it is valid for.
        pub fn latest(&self) -> String {
            format!("{}:latest:{}", self.prefix, self.name)
        }
        /// Everything needed to recompute `latest`: tags, deletions, quarantines, recent ids.
        pub fn state(&self) -> String {
            format!("{}:state:{}", self.prefix, self.name)
        }
        /// Counter handing out the repository's event sequence numbers.
        pub fn sequence(&self) -> String {
            format!("{}:seq:{}", self.prefix, self.name)
        }
        /// The immutable event with sequence number `seq`.
        pub fn event(&self, seq: u64) -> String {
            format!("{}:event:{}:{seq}", self.prefix, self.name)
        }
        /// Where an unfinished registry listing continues (reconciliation).
        pub fn reconcile_cursor(&self) -> String {
            format!("{V2}:reconcile:{}", self.name)
        }
        /// Counter whose first incrementer verifies the repository in time slot `slot`.
        pub fn verify_claim(&self, slot: u64) -> String {
            format!("{V2}:claim:{}:{slot}", self.name)
        }
    }

    /// Whether `key` is an entry of some repository's event log (the benchmark counts the
    /// entries a write folds).
    pub fn is_event(key: &str) -> bool {
        key.split(':').nth(2) == Some("event")
    }

    /// The index position where `POST /api/reconcile` continues.
    pub fn reconcile_position() -> String {
        format!("{V2}:reconcile-position")
    }
    /// Counter of the append-only index of tracked `host/repository` names.
    pub fn repositories_count() -> String {
        format!("{V2}:repos:count")
    }
    pub fn repository_entry(n: u64) -> String {
        format!("{V2}:repos:{n}")
    }
    /// The index of repositories an ociref 0.1 store tracked (bare names; no longer grows).
    pub fn legacy_repositories_count() -> String {
        format!("{V1}:repos:count")
    }
    pub fn legacy_repository_entry(n: u64) -> String {
        format!("{V1}:repos:{n}")
    }
    /// Counter of the append-only list of registry hosts that track a repository name, so that
    /// `/<repository>` finds its host (or says that several have it).
    pub fn hosts_count(repository: &str) -> String {
        format!("{V2}:hosts:{repository}:count")
    }
    pub fn host_entry(repository: &str, n: u64) -> String {
        format!("{V2}:hosts:{repository}:{n}")
    }
    // Categories hold names as users wrote them, which the upgrade does not change.
    pub fn category_count(category: &str) -> String {
        format!("{V1}:category:{category}:count")
    }
    pub fn category_entry(category: &str, n: u64) -> String {
        format!("{V1}:category:{category}:{n}")
    }
    pub fn category_member(category: &str, name: &str) -> String {
        format!("{V1}:category:{category}:member:{name}")
    }
}

/// One store call, as the in-memory store logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: &'static str,
    pub keys: Vec<String>,
}

/// An in-memory store that records every call and can be told to fail.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    data: BTreeMap<String, Vec<u8>>,
    calls: Vec<Call>,
    /// Fail every call whose index (from 0, counting all calls ever) is at least this.
    fail_from: Option<usize>,
    /// Fail exactly the call with this index.
    fail_at: Option<usize>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        // A test that panicked while holding the lock leaves plain data behind: keep using it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every call made so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// A copy of every key and value, to compare before and after a request.
    pub fn dump(&self) -> BTreeMap<String, Vec<u8>> {
        self.lock().data.clone()
    }

    /// Simulates an outage: every call from now on fails (`false` ends it).
    pub fn set_unavailable(&self, down: bool) {
        let mut m = self.lock();
        m.fail_from = down.then_some(m.calls.len());
    }

    /// Makes the `n`th call from now (0 = the next one) fail, and only that one.
    pub fn fail_nth_call(&self, n: usize) {
        let mut m = self.lock();
        m.fail_at = Some(m.calls.len() + n);
    }

    pub fn clear_faults(&self) {
        let mut m = self.lock();
        m.fail_at = None;
        m.fail_from = None;
    }

    fn call<T>(
        &self,
        op: &'static str,
        keys: Vec<String>,
        f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut m = self.lock();
        let index = m.calls.len();
        m.calls.push(Call { op, keys });
        if m.fail_from.is_some_and(|from| index >= from) || m.fail_at == Some(index) {
            return Err(StoreError(format!(
                "injected failure of call {index} ({op})"
            )));
        }
        f(&mut m.data)
    }
}

impl Store for MemoryStore {
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.call("get_many", keys.to_vec(), |d| {
            Ok(keys.iter().map(|k| d.get(k).cloned()).collect())
        })
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let keys = entries.iter().map(|(k, _)| k.clone()).collect();
        self.call("set_many", keys, |d| {
            d.extend(entries.iter().cloned());
            Ok(())
        })
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.call("delete_many", keys.to_vec(), |d| {
            for k in keys {
                d.remove(k);
            }
            Ok(())
        })
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.call("increment", vec![key.to_owned()], |d| {
            let current = match d.get(key) {
                Some(v) => parse_counter(v)?.unwrap_or(0),
                None => 0,
            };
            let next = current
                .checked_add(delta)
                .ok_or_else(|| StoreError(format!("increment overflows {key}")))?;
            d.insert(key.to_owned(), next.to_string().into_bytes());
            Ok(next)
        })
    }
}

/// Reads a counter as `increment` stores it (decimal ASCII, as Redis `INCRBY` does).
pub fn parse_counter(value: &[u8]) -> Result<Option<u64>, StoreError> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| StoreError("counter holds a non-integer value".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip_and_log() {
        let s = MemoryStore::new();
        assert_eq!(s.increment("c", 2).unwrap(), 2);
        assert_eq!(s.increment("c", 3).unwrap(), 5);
        s.set_many(&[("a".into(), b"1".to_vec())]).unwrap();
        assert_eq!(
            s.get_many(&["a".into(), "b".into(), "c".into()]).unwrap(),
            vec![Some(b"1".to_vec()), None, Some(b"5".to_vec())]
        );
        s.delete_many(&["a".into()]).unwrap();
        assert_eq!(s.get_many(&["a".into()]).unwrap(), vec![None]);
        let ops: Vec<_> = s.calls().iter().map(|c| c.op).collect();
        assert_eq!(
            ops,
            [
                "increment",
                "increment",
                "set_many",
                "get_many",
                "delete_many",
                "get_many"
            ]
        );
    }

    #[test]
    fn injected_faults() {
        let s = MemoryStore::new();
        s.fail_nth_call(1);
        assert!(s.increment("c", 1).is_ok());
        assert!(s.increment("c", 1).is_err());
        assert!(s.increment("c", 1).is_ok());
        s.set_unavailable(true);
        assert!(s.get_many(&["c".into()]).is_err());
        s.set_unavailable(false);
        assert_eq!(
            s.get_many(&["c".into()]).unwrap(),
            vec![Some(b"2".to_vec())]
        );
    }

    #[test]
    fn keys_are_namespaced_and_versioned() {
        let repo = keys::RepoKeys::tracked("r.io", "team/app");
        assert_eq!(repo.latest(), "ociref:v2:latest:r.io/team/app");
        assert_eq!(repo.event(7), "ociref:v2:event:r.io/team/app:7");
        assert_eq!(keys::RepoKeys::legacy("a").event(7), "ociref:v1:event:a:7");
        assert_ne!(keys::category_entry("c", 1), keys::category_count("c"));
    }
}
