//! Every host interface the component imports, implemented on the per-request state in one
//! place: `wasi:keyvalue` over the configured backend, `wasi:config` from the configuration
//! map, `wasi:logging` to stderr. The modules it draws on (`kv`, `config`, `logging`) know
//! nothing of the request state, so nothing imports back into here.

use crate::bindings::config::store as config_store;
use crate::bindings::config_v2::store as config_store_v2;
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::bindings::wasi::logging::logging::{self, Level};
use crate::kv::{Bucket, KvError};
use crate::logging::log;
use crate::state::RequestState;
use wasmtime::component::Resource;

type GuestResult<T> = wasmtime::Result<Result<T, store::Error>>;

fn to_guest(e: KvError) -> store::Error {
    store::Error::Other(e.0)
}

/// Checks that the guest passed a bucket it opened (and did not drop); the bucket itself
/// carries no state.
fn check_bucket(state: &mut RequestState, bucket: &Resource<Bucket>) -> wasmtime::Result<()> {
    state.kv().0.get(bucket)?;
    Ok(())
}

impl store::Host for RequestState {
    async fn open(&mut self, _identifier: String) -> GuestResult<Resource<Bucket>> {
        let bucket = self.kv().0.push(Bucket)?;
        Ok(Ok(bucket))
    }
}

impl store::HostBucket for RequestState {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> GuestResult<Option<Vec<u8>>> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().get(key).await.map_err(to_guest))
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> GuestResult<()> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().set(key, value).await.map_err(to_guest))
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> GuestResult<()> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().delete(key).await.map_err(to_guest))
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> GuestResult<bool> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().exists(key).await.map_err(to_guest))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> GuestResult<store::KeyResponse> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store
            .backend()
            .list_keys(cursor)
            .await
            .map(|(keys, cursor)| store::KeyResponse { keys, cursor })
            .map_err(to_guest))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.kv().0.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for RequestState {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: u64,
    ) -> GuestResult<u64> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store
            .backend()
            .increment(key, delta)
            .await
            .map_err(to_guest))
    }
}

impl batch::Host for RequestState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> GuestResult<Vec<Option<(String, Vec<u8>)>>> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        let values = match store.backend().get_many(keys.clone()).await {
            Ok(values) => values,
            Err(e) => return Ok(Err(to_guest(e))),
        };
        if values.len() != keys.len() {
            return Ok(Err(store::Error::Other(
                "the store returned the wrong number of values".into(),
            )));
        }
        Ok(Ok(keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| value.map(|v| (key, v)))
            .collect()))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        entries: Vec<(String, Vec<u8>)>,
    ) -> GuestResult<()> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().set_many(entries).await.map_err(to_guest))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> GuestResult<()> {
        check_bucket(self, &bucket)?;
        let store = self.kv().1.clone();
        Ok(store.backend().delete_many(keys).await.map_err(to_guest))
    }
}

impl config_store::Host for RequestState {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config_store::Error>> {
        Ok(Ok(self.config().get(&key).cloned()))
    }

    async fn get_all(
        &mut self,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, config_store::Error>> {
        Ok(Ok(self
            .config()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

// The same configuration through the version wasmCloud 2.x serves.
impl config_store_v2::Host for RequestState {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, config_store_v2::Error>> {
        Ok(Ok(self.config().get(&key).cloned()))
    }

    async fn get_all(
        &mut self,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, config_store_v2::Error>> {
        Ok(Ok(self
            .config()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()))
    }
}

impl logging::Host for RequestState {
    async fn log(
        &mut self,
        level: Level,
        context: String,
        message: String,
    ) -> wasmtime::Result<()> {
        log(self.log_level(), level.into(), &context, &message);
        Ok(())
    }
}
