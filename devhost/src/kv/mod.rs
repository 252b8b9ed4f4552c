//! `wasi:keyvalue@0.2.0-draft` (store, atomics, batch) over one of two backends, with the
//! semantics of wasmCloud's Redis provider: the bucket identifier is ignored (every name opens
//! the same flat keyspace), `increment` is `INCRBY` on a decimal integer value, `get-many` is
//! `MGET` (in order, `None` for a missing key), `set-many` is an atomic `MSET`.
//!
//! A backend failure reaches the guest as `error::other(message)`, never as a trap, so the
//! component can answer 503 and keep serving.

mod redb;
mod redis;

use async_trait::async_trait;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use self::redb::RedbStore;
pub use self::redis::RedisStore;

/// A backend failure, as a message safe to hand to the guest (no credentials, no internals
/// beyond what the backend itself says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError(pub String);

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KvError {}

/// One page of `list-keys`: the keys and the cursor of the next page, if any.
pub type KeyPage = (Vec<String>, Option<u64>);

/// What a backend must do; one method per `wasi:keyvalue` function, each one round trip.
#[async_trait]
pub trait KeyValue: Send + Sync {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, KvError>;
    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), KvError>;
    async fn delete(&self, key: String) -> Result<(), KvError>;
    async fn exists(&self, key: String) -> Result<bool, KvError>;
    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError>;
    async fn increment(&self, key: String, delta: u64) -> Result<u64, KvError>;
    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, KvError>;
    async fn set_many(&self, entries: Vec<(String, Vec<u8>)>) -> Result<(), KvError>;
    async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError>;
    /// A cheap check that the backend answers (startup, not exposed to the guest).
    async fn ping(&self) -> Result<(), KvError>;
}

/// Which backend to use, as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// `redb:PATH`: an embedded, file-backed database; nothing else to install.
    Redb(PathBuf),
    /// `redis://HOST:PORT[/DB]`: a Redis server, as wasmCloud's Redis provider uses it.
    Redis(String),
}

impl std::str::FromStr for StoreSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("redb:") {
            if path.is_empty() {
                return Err("redb: needs a file path, e.g. redb:./ociref.redb".into());
            }
            Ok(Self::Redb(PathBuf::from(path)))
        } else if s.starts_with("redis://") {
            Ok(Self::Redis(s.to_owned()))
        } else {
            Err(format!(
                "unknown store {s:?}: use redb:PATH (embedded) or redis://HOST:PORT"
            ))
        }
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redb(path) => write!(f, "redb:{}", path.display()),
            Self::Redis(url) => f.write_str(&redacted_url(url)),
        }
    }
}

/// A Redis URL may carry a password (`redis://:secret@host`); never print it.
fn redacted_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens the backend. With `degraded_start`, an unreachable Redis is reported but not fatal:
/// the connection is retried on every call, so the host recovers once Redis is up.
pub async fn open(spec: &StoreSpec, degraded_start: bool) -> anyhow::Result<Arc<dyn KeyValue>> {
    match spec {
        StoreSpec::Redb(path) => Ok(Arc::new(RedbStore::open(path)?)),
        StoreSpec::Redis(url) => {
            let store = RedisStore::connect(url)?;
            if let Err(e) = store.ping().await {
                let message = format!("Redis at {} is unreachable: {e}", redacted_url(url));
                if !degraded_start {
                    anyhow::bail!(
                        "{message}\nStart Redis (e.g. `redis-server --port 6379`), point --store \
                         at a running one, or pass --degraded-start to serve anyway."
                    );
                }
                eprintln!(
                    "warning: {message}; starting degraded (store calls fail until it is up)"
                );
            }
            Ok(Arc::new(store))
        }
    }
}

/// The guest's handle for an opened bucket. It holds nothing: like the wasmCloud Redis
/// provider, every identifier opens the same flat keyspace.
pub struct Bucket;

/// The store every request's instance talks to, counting calls so benchmarks can report
/// round trips per request.
#[derive(Clone)]
pub struct CountedStore {
    backend: Arc<dyn KeyValue>,
    calls: Arc<AtomicU64>,
}

impl CountedStore {
    pub fn new(backend: Arc<dyn KeyValue>) -> Self {
        Self {
            backend,
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The counter of store calls (one per `wasi:keyvalue` function call, `open` excluded).
    pub fn call_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.calls)
    }

    pub(crate) fn backend(&self) -> &dyn KeyValue {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.backend.as_ref()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn store_spec_parses_both_backends() {
        assert_eq!(
            "redb:./x.redb".parse::<StoreSpec>(),
            Ok(StoreSpec::Redb(PathBuf::from("./x.redb")))
        );
        assert_eq!(
            "redis://127.0.0.1:6379".parse::<StoreSpec>(),
            Ok(StoreSpec::Redis("redis://127.0.0.1:6379".into()))
        );
        assert!("redb:".parse::<StoreSpec>().is_err());
        assert!("memory".parse::<StoreSpec>().is_err());
    }

    #[test]
    fn redis_passwords_are_not_displayed() {
        let spec: StoreSpec = "redis://:hunter2@db:6379/0".parse().unwrap();
        assert_eq!(spec.to_string(), "redis://***@db:6379/0");
    }
}
