//! Named lists of repositories (`/api/categories/<category>[/<name>]`). A member is kept as
//! the name it was added under and read as a badge URL would be (see `lookup`).

use super::lookup::{self, Found};
use super::{body, App};
use crate::auth;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::reference::validate_repository;
use crate::store::{keys, parse_counter, Store};
use crate::tracking::Listed;

/// Entries a category keeps over its lifetime (additions, re-additions included).
const MAX_CATEGORY_ENTRIES: u64 = 1024;

fn validate_category(category: &str) -> Result<(), Error> {
    if category.contains('/') || validate_repository(category).is_err() {
        return Err(Error::InvalidName(
            "category must be one lowercase name component (a-z 0-9 and single . _ -)".into(),
        ));
    }
    Ok(())
}

fn count(value: Option<Vec<u8>>) -> Result<u64, Error> {
    Ok(match value {
        Some(c) => parse_counter(&c)?.unwrap_or(0),
        None => 0,
    })
}

impl<S: Store> App<'_, S> {
    pub(super) fn category(&self, category: &str) -> Result<Response, Error> {
        validate_category(category)?;
        let tracker = self.tracker();
        let [used] = tracker.get_array([keys::category_count(category)])?;
        let used = count(used)?.min(MAX_CATEGORY_ENTRIES);
        let mut names: Vec<String> = Vec::new();
        if used > 0 {
            let entry_keys: Vec<String> = (1..=used)
                .map(|n| keys::category_entry(category, n))
                .collect();
            for name in self.store.get_many(&entry_keys)?.into_iter().flatten() {
                let name = String::from_utf8_lossy(&name).into_owned();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let member_keys: Vec<String> = names
            .iter()
            .map(|n| keys::category_member(category, n))
            .collect();
        let present = if member_keys.is_empty() {
            Vec::new()
        } else {
            self.store.get_many(&member_keys)?
        };
        let mut members = Vec::new();
        for (name, present) in names.into_iter().zip(present) {
            if present.is_none() {
                continue;
            }
            members.push(match lookup::find(&tracker, &name)? {
                Found::Tracked {
                    host,
                    repository,
                    latest,
                } => Listed {
                    host,
                    repository,
                    latest: Some(latest),
                },
                Found::NotTracked | Found::Ambiguous(_) => match name.split_once('/') {
                    Some((host, repository)) if crate::reference::looks_like_host(host) => Listed {
                        host: host.into(),
                        repository: repository.into(),
                        latest: None,
                    },
                    _ => Listed {
                        host: String::new(),
                        repository: name,
                        latest: None,
                    },
                },
            });
        }
        Ok(Response::json(
            200,
            &body::Category {
                category,
                members: body::summaries(members),
            },
        ))
    }

    pub(super) fn category_member(
        &self,
        request: &Request,
        category: &str,
        name: &str,
    ) -> Result<Response, Error> {
        validate_category(category)?;
        lookup::validate(name)?;
        auth::authorize_write(self.config, request.header("authorization"))?;
        let member = keys::category_member(category, name);
        if request.method == Method::Delete {
            self.store.delete_many(&[member])?;
            return Ok(Response::json(
                200,
                &body::Membership {
                    category,
                    member: false,
                    name,
                },
            ));
        }
        let counter = keys::category_count(category);
        let [present, used] = self
            .tracker()
            .get_array([member.clone(), counter.clone()])?;
        if present.is_none() {
            let full = || {
                Error::Conflict(format!(
                    "category {category} has used its {MAX_CATEGORY_ENTRIES} entries; use another category"
                ))
            };
            // Refuse before taking an entry, so a 409 writes nothing.
            if count(used)? >= MAX_CATEGORY_ENTRIES {
                return Err(full());
            }
            // The entry log is append-only (no compare-and-swap); membership keys decide.
            let n = self.store.increment(&counter, 1)?;
            if n > MAX_CATEGORY_ENTRIES {
                // A concurrent addition took the last entry.
                return Err(full());
            }
            self.store.set_many(&[
                (keys::category_entry(category, n), name.as_bytes().to_vec()),
                (member, b"1".to_vec()),
            ])?;
        }
        Ok(Response::json(
            200,
            &body::Membership {
                category,
                member: true,
                name,
            },
        ))
    }
}
