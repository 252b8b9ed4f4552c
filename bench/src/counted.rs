//! ociref's synchronous [`Store`] over the dev host's asynchronous backends, counting calls:
//! each call is one round trip, as each `wasi:keyvalue` call is for the component.

use devhost::{KeyValue, KvError};
use ociref::store::keys::is_event;
use ociref::store::{Store, StoreError};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

#[derive(Clone)]
pub struct CountedStore {
    backend: Arc<dyn KeyValue>,
    calls: Arc<AtomicU64>,
    /// Event-log entries read and written: their ratio is the fold length per write.
    events_read: Arc<AtomicU64>,
    events_written: Arc<AtomicU64>,
    runtime: Handle,
}

impl CountedStore {
    /// Must be created inside the tokio runtime; used from blocking threads only.
    pub fn new(backend: Arc<dyn KeyValue>) -> Self {
        Self {
            backend,
            calls: Arc::new(AtomicU64::new(0)),
            events_read: Arc::new(AtomicU64::new(0)),
            events_written: Arc::new(AtomicU64::new(0)),
            runtime: Handle::current(),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Event-log entries read and written so far.
    pub fn events(&self) -> (u64, u64) {
        (
            self.events_read.load(Ordering::Relaxed),
            self.events_written.load(Ordering::Relaxed),
        )
    }

    fn run<T>(&self, call: impl Future<Output = Result<T, KvError>>) -> Result<T, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.runtime.block_on(call).map_err(|e| StoreError(e.0))
    }
}

impl Store for CountedStore {
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let events = keys.iter().filter(|k| is_event(k)).count() as u64;
        self.events_read.fetch_add(events, Ordering::Relaxed);
        self.run(self.backend.get_many(keys.to_vec()))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let events = entries.iter().filter(|(k, _)| is_event(k)).count() as u64;
        self.events_written.fetch_add(events, Ordering::Relaxed);
        self.run(self.backend.set_many(entries.to_vec()))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.run(self.backend.delete_many(keys.to_vec()))
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.run(self.backend.increment(key.to_owned(), delta))
    }
}
