//! The embedded backend: one `redb` file, one table of string keys and byte values, so ociref
//! runs and keeps its data with nothing else installed.
//!
//! redb allows one write transaction at a time, which gives the atomicity Redis gives:
//! `increment` reads and writes inside one write transaction, `set-many` commits all or
//! nothing. Every commit is durable (fsync) before the call returns, as a store that says
//! "written" must be. Writes block (fsync, the writer lock), so they run on tokio's blocking
//! pool. Point reads do not wait for writers (redb readers see a snapshot) and take
//! microseconds, less than the two thread hand-offs of the blocking pool: they run where they
//! are called (scripts/bench, section 6).

use super::{KeyPage, KeyValue, KvError};
use anyhow::Context as _;
use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");

/// Keys per `list-keys` page; the cursor is the number of keys already returned.
const LIST_PAGE: usize = 1000;

pub struct RedbStore {
    db: Arc<Database>,
}

fn other(e: impl std::fmt::Display) -> KvError {
    KvError(format!("redb: {e}"))
}

impl RedbStore {
    /// Opens the file, creating it (and the table) if needed.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        let db = Database::create(path).with_context(|| {
            format!(
                "could not open the store {} (is another ociref-devhost using it?)",
                path.display()
            )
        })?;
        // Creating the table up front lets readers assume it exists.
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs `f` on the blocking pool: writes block on fsync and on the writer lock.
    async fn blocking<R, F>(&self, f: F) -> Result<R, KvError>
    where
        R: Send + 'static,
        F: FnOnce(&Database) -> Result<R, KvError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(other)?
    }

    /// Runs a short read where it is called; see the module comment.
    fn inline<R>(&self, f: impl FnOnce(&Database) -> Result<R, KvError>) -> Result<R, KvError> {
        f(&self.db)
    }
}

fn read<R>(
    db: &Database,
    f: impl FnOnce(&redb::ReadOnlyTable<&'static str, &'static [u8]>) -> Result<R, redb::StorageError>,
) -> Result<R, KvError> {
    let txn = db.begin_read().map_err(other)?;
    let table = txn.open_table(TABLE).map_err(other)?;
    f(&table).map_err(other)
}

fn write<R>(
    db: &Database,
    f: impl FnOnce(&mut redb::Table<&'static str, &'static [u8]>) -> Result<R, KvError>,
) -> Result<R, KvError> {
    let txn = db.begin_write().map_err(other)?;
    let result = {
        let mut table = txn.open_table(TABLE).map_err(other)?;
        f(&mut table)?
    };
    // Dropping an uncommitted transaction (the `?` above) aborts it: all or nothing.
    txn.commit().map_err(other)?;
    Ok(result)
}

/// Redis' `INCRBY` rules: the value must be a decimal 64-bit signed integer, a missing key
/// counts as 0, overflow is an error; wasi:keyvalue's result is unsigned.
fn incremented(current: Option<&[u8]>, delta: u64) -> Result<u64, KvError> {
    let not_integer = || KvError("value is not an integer or out of range".into());
    let current: i64 = match current {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(not_integer)?,
    };
    let delta = i64::try_from(delta).map_err(|_| not_integer())?;
    let next = current
        .checked_add(delta)
        .ok_or_else(|| KvError("increment or decrement would overflow".into()))?;
    u64::try_from(next).map_err(|_| not_integer())
}

#[async_trait]
impl KeyValue for RedbStore {
    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.inline(|db| read(db, |t| Ok(t.get(key.as_str())?.map(|v| v.value().to_vec()))))
    }

    async fn set(&self, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.blocking(move |db| {
            write(db, |t| {
                t.insert(key.as_str(), value.as_slice()).map_err(other)?;
                Ok(())
            })
        })
        .await
    }

    async fn delete(&self, key: String) -> Result<(), KvError> {
        self.blocking(move |db| {
            write(db, |t| {
                t.remove(key.as_str()).map_err(other)?;
                Ok(())
            })
        })
        .await
    }

    async fn exists(&self, key: String) -> Result<bool, KvError> {
        self.inline(|db| read(db, |t| Ok(t.get(key.as_str())?.is_some())))
    }

    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError> {
        let skip = usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX);
        self.blocking(move |db| {
            read(db, |t| {
                let mut keys = Vec::new();
                let mut more = false;
                for entry in t.iter()?.skip(skip) {
                    if keys.len() == LIST_PAGE {
                        more = true;
                        break;
                    }
                    keys.push(entry?.0.value().to_owned());
                }
                let next = more.then(|| (skip + keys.len()) as u64);
                Ok((keys, next))
            })
        })
        .await
    }

    async fn increment(&self, key: String, delta: u64) -> Result<u64, KvError> {
        self.blocking(move |db| {
            write(db, |t| {
                let current = t
                    .get(key.as_str())
                    .map_err(other)?
                    .map(|v| v.value().to_vec());
                let next = incremented(current.as_deref(), delta)?;
                t.insert(key.as_str(), next.to_string().as_bytes())
                    .map_err(other)?;
                Ok(next)
            })
        })
        .await
    }

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        // One read transaction: the values are one consistent snapshot, as MGET's are.
        self.inline(|db| {
            read(db, |t| {
                keys.iter()
                    .map(|k| Ok(t.get(k.as_str())?.map(|v| v.value().to_vec())))
                    .collect()
            })
        })
    }

    async fn set_many(&self, entries: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        self.blocking(move |db| {
            write(db, |t| {
                for (key, value) in &entries {
                    t.insert(key.as_str(), value.as_slice()).map_err(other)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        self.blocking(move |db| {
            write(db, |t| {
                for key in &keys {
                    t.remove(key.as_str()).map_err(other)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn ping(&self) -> Result<(), KvError> {
        self.inline(|db| read(db, |_| Ok(())))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn increment_follows_redis_rules() {
        assert_eq!(incremented(None, 1), Ok(1));
        assert_eq!(incremented(Some(b"41"), 1), Ok(42));
        assert!(incremented(Some(b"forty"), 1).is_err());
        assert!(incremented(Some(b"9223372036854775807"), 1).is_err());
    }

    #[tokio::test]
    async fn operations_round_trip_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        {
            let store = RedbStore::open(&path).unwrap();
            store.set("a".into(), b"1".to_vec()).await.unwrap();
            store
                .set_many(vec![
                    ("b".into(), b"2".to_vec()),
                    ("c".into(), b"3".to_vec()),
                ])
                .await
                .unwrap();
            assert_eq!(store.increment("n".into(), 5).await.unwrap(), 5);
            assert_eq!(store.increment("n".into(), 2).await.unwrap(), 7);
            store.delete_many(vec!["c".into()]).await.unwrap();
            assert!(store.exists("a".into()).await.unwrap());
            assert!(!store.exists("c".into()).await.unwrap());
        }
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(
            store
                .get_many(vec!["a".into(), "c".into(), "b".into()])
                .await
                .unwrap(),
            vec![Some(b"1".to_vec()), None, Some(b"2".to_vec())]
        );
        assert_eq!(store.get("n".into()).await.unwrap(), Some(b"7".to_vec()));
        let (keys, cursor) = store.list_keys(None).await.unwrap();
        assert_eq!(keys, vec!["a", "b", "n"]);
        assert_eq!(cursor, None);
    }
}
