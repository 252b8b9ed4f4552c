//! The Redis backend: one multiplexed connection shared by every request, through the `redis`
//! crate's `ConnectionManager`, which reconnects in the background after Redis restarts.
//!
//! Timeouts are short on purpose: a request whose Redis is gone should get a store error
//! (and the component a 503) within about a second, not hang until the client gives up.
//!
//! The connection lives on a runtime thread of its own. Guest code runs on the server's
//! worker threads without yielding; under a burst of requests it would starve the task that
//! reads Redis' answers, and the response timeout would report a healthy Redis as down
//! (measured: 503s at 100 concurrent pushes). In wasmCloud the provider is its own process,
//! so this keeps the same separation.

use super::{KeyPage, KeyValue, KvError};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisError};
use std::time::Duration;

/// Keys per `SCAN` page, as a hint to Redis (it may return more or fewer).
const SCAN_PAGE: usize = 1000;

pub struct RedisStore {
    connection: ConnectionManager,
    io: tokio::runtime::Handle,
    /// Owned so it lives as long as the store; shut down without blocking on drop.
    runtime: Option<tokio::runtime::Runtime>,
}

fn other(e: RedisError) -> KvError {
    KvError(format!("redis: {e}"))
}

impl RedisStore {
    /// Prepares the connection without waiting for it: the first call (or [`KeyValue::ping`])
    /// connects, and every call after a lost connection tries again.
    pub fn connect(url: &str) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("redis-io")
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("could not start the Redis I/O thread: {e}"))?;
        // The connection manager spawns its tasks on the runtime it is created in.
        let _entered = runtime.enter();
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("invalid Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            // One quick retry absorbs a blip; more would only delay the error the guest needs.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("could not prepare the Redis connection: {e}"))?;
        Ok(Self {
            connection,
            io: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    /// Runs one command on the Redis I/O thread. Cloning the manager shares its one
    /// multiplexed connection; it is how the crate wants it used.
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, KvError>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = Result<T, RedisError>> + Send + 'static,
    {
        self.io
            .spawn(command(self.connection.clone()))
            .await
            .map_err(|e| KvError(format!("redis: the I/O task failed: {e}")))?
            .map_err(other)
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // The store may be dropped inside async code, where a blocking shutdown panics.
            runtime.shutdown_background();
        }
    }
}

#[async_trait]
impl KeyValue for RedisStore {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.run(|mut c| async move { c.get(key).await }).await
    }

    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.run(|mut c| async move { c.set(key, value).await })
            .await
    }

    async fn delete(&self, key: String) -> Result<(), KvError> {
        self.run(|mut c| async move { c.del(key).await }).await
    }

    async fn exists(&self, key: String) -> Result<bool, KvError> {
        self.run(|mut c| async move { c.exists(key).await }).await
    }

    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError> {
        let (next, keys): (u64, Vec<String>) = self
            .run(move |mut c| async move {
                redis::cmd("SCAN")
                    .arg(cursor.unwrap_or(0))
                    .arg("COUNT")
                    .arg(SCAN_PAGE)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        // SCAN's cursor 0 means "done"; wasi:keyvalue says that with `none`.
        Ok((keys, (next != 0).then_some(next)))
    }

    async fn increment(&self, key: String, delta: u64) -> Result<u64, KvError> {
        let delta = i64::try_from(delta)
            .map_err(|_| KvError(format!("increment delta {delta} is out of Redis' range")))?;
        self.run(move |mut c| async move { c.incr(key, delta).await })
            .await
    }

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Through `cmd` rather than `mget`, so a single key still answers with a list.
        self.run(|mut c| async move { redis::cmd("MGET").arg(&keys).query_async(&mut c).await })
            .await
    }

    async fn set_many(&self, entries: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.run(|mut c| async move { c.mset(&entries).await })
            .await
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.run(|mut c| async move { c.del(keys).await }).await
    }

    async fn ping(&self) -> Result<(), KvError> {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(drop)
    }
}
