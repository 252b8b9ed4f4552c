//! From the name in a URL to a tracked repository. `/<host>/<repository>` is exact;
//! `/<repository>` answers when one registry has that name and says so when several do. OCI
//! names are lower case; a name with capitals (a GitHub owner as written) is looked up in lower
//! case, and accepted so only from registries that are case-insensitive themselves.

use crate::error::Error;
use crate::reference::{looks_like_host, validate_host, validate_repository};
use crate::store::Store;
use crate::tracking::{Published, Tracker};

/// Registries that fold repository names to lower case.
const CASE_INSENSITIVE_HOSTS: &[&str] = &["ghcr.io", "docker.io"];

// One per request, on the stack: boxing the record would cost an allocation for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Found {
    Tracked {
        host: String,
        repository: String,
        latest: Published,
    },
    NotTracked,
    /// Several registries track this repository name: the caller must name the host.
    Ambiguous(Vec<String>),
}

/// One way to read the name: a host and a repository, or a repository on whichever host.
struct Reading {
    host: Option<String>,
    repository: String,
}

/// The readings of a name, most specific first; `my.app/x` may be a host and a repository, or
/// one repository.
fn readings(raw: &str) -> Result<Vec<Reading>, Error> {
    let whole = validate_repository(raw);
    let mut out = Vec::new();
    if let Some((first, rest)) = raw.split_once('/').filter(|(f, _)| looks_like_host(f)) {
        match validate_host(first).and(validate_repository(rest)) {
            Ok(()) => out.push(Reading {
                host: Some(first.to_owned()),
                repository: rest.to_owned(),
            }),
            Err(e) if whole.is_err() => return Err(Error::InvalidName(e.0)),
            Err(_) => {}
        }
    }
    match whole {
        Ok(()) => out.push(Reading {
            host: None,
            repository: raw.to_owned(),
        }),
        Err(e) if out.is_empty() => return Err(Error::InvalidName(e.0)),
        Err(_) => {}
    }
    Ok(out)
}

/// Checks a name's syntax without reading the store.
pub fn validate(raw: &str) -> Result<(), Error> {
    readings(raw).map(|_| ())
}

pub fn find(tracker: &Tracker<'_, impl Store>, raw: &str) -> Result<Found, Error> {
    match readings(raw) {
        Ok(readings) => find_exact(tracker, readings),
        Err(e) => {
            let lower = raw.to_ascii_lowercase();
            let Ok(readings) = readings(&lower) else {
                return Err(e);
            };
            match find_exact(tracker, readings)? {
                found @ Found::Tracked { .. } if found.is_case_insensitive() => Ok(found),
                _ => Err(Error::InvalidName(format!(
                    "OCI repository names are lower case: {}",
                    crate::api::shown_path(&lower)
                ))),
            }
        }
    }
}

impl Found {
    fn is_case_insensitive(&self) -> bool {
        matches!(self, Self::Tracked { host, .. } if CASE_INSENSITIVE_HOSTS.contains(&host.as_str()))
    }
}

fn find_exact(tracker: &Tracker<'_, impl Store>, readings: Vec<Reading>) -> Result<Found, Error> {
    for reading in readings {
        let hosts = match reading.host {
            Some(host) => vec![host],
            None => tracker.hosts(&reading.repository)?,
        };
        match hosts.as_slice() {
            [] => continue,
            [host] => {
                if let Some(latest) = tracker.current(host, &reading.repository)? {
                    return Ok(Found::Tracked {
                        host: host.clone(),
                        repository: reading.repository,
                        latest,
                    });
                }
            }
            _ => return Ok(Found::Ambiguous(hosts)),
        }
    }
    Ok(Found::NotTracked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(raw: &str) -> Vec<(Option<String>, String)> {
        readings(raw)
            .unwrap()
            .into_iter()
            .map(|r| (r.host, r.repository))
            .collect()
    }

    #[test]
    fn readings_most_specific_first() {
        // Dots are legal in repository names too: the host reading comes first.
        assert_eq!(
            shapes("myregistry.azurecr.io/wash"),
            [
                (Some("myregistry.azurecr.io".into()), "wash".into()),
                (None, "myregistry.azurecr.io/wash".into())
            ]
        );
        assert_eq!(
            shapes("localhost:5000/team/app"),
            [(Some("localhost:5000".into()), "team/app".into())]
        );
        assert_eq!(shapes("team/app"), [(None, "team/app".into())]);
        for bad in ["", "Wash", "a/../b", "a%2Fb", "wash/", "h.io/", "a:b"] {
            assert!(readings(bad).is_err(), "{bad}");
        }
    }
}
