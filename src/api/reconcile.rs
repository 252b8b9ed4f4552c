//! `POST /api/reconcile` and `POST /api/reconcile/<host>/<repository>`: check what ociref shows
//! against the registry itself and correct it (see `crate::reconcile`), and the work a read or
//! a webhook leaves for after its answer (verify-on-read).

use super::body::RefRecord;
use super::App;
use crate::auth;
use crate::config::Config;
use crate::error::Error;
use crate::http::{Request, Response};
use crate::reconcile::{Change, Reconciler, Report, Status};
use crate::reference::{validate_host, validate_repository};
use crate::registry::Budget;
use crate::store::keys::{self, RepoKeys};
use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;
use crate::tracking::Published;
use serde::Serialize;

/// Work a request leaves for after its response is written: the host runs it with
/// [`super::run_deferred`], so no reader waits for a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deferred {
    /// A read found this repository of a configured registry not verified for
    /// `verify_interval`: the first such reader of the interval verifies it. `last` is when it
    /// was last verified or failed, so that interval's claim can be dropped.
    Stale {
        host: String,
        repository: String,
        last: Option<Timestamp>,
    },
    /// Verify this repository now (a webhook that carried no digest).
    Verify { host: String, repository: String },
}

/// Index entries read per store round trip while walking every repository.
const INDEX_PAGE: u64 = 50;

#[derive(Serialize)]
struct Answer {
    complete: bool,
    registry_requests: u32,
    repositories: Vec<RepositoryAnswer>,
}

#[derive(Serialize)]
struct RepositoryAnswer {
    changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorDetail>,
    latest: Option<RefRecord>,
    name: String,
    status: &'static str,
    verified_at: Option<String>,
}

#[derive(Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: String,
}

impl RepositoryAnswer {
    fn of(report: Report) -> Self {
        let latest = report
            .latest
            .as_ref()
            .and_then(|l| RefRecord::of(&report.host, &report.repository, l));
        let verified_at = report
            .latest
            .as_ref()
            .and_then(|l| l.verification.as_ref())
            .and_then(|v| v.verified_at)
            .map(|t| t.to_string());
        Self {
            error: match &report.status {
                Status::Failed(e) => Some(ErrorDetail {
                    code: e.kind.code(),
                    message: e.message.clone(),
                }),
                _ => None,
            },
            status: report.status.as_str(),
            name: format!("{}/{}", report.host, report.repository),
            changes: report.changes,
            latest,
            verified_at,
        }
    }
}

/// `reconcile_token` or `webhook_token`, presented as for every write.
fn authorize(config: &Config, request: &Request) -> Result<(), Error> {
    let header = request.header("authorization");
    if let Some(token) = &config.reconcile_token {
        let own = Config {
            webhook_token: Some(token.clone()),
            ..Config::default()
        };
        if auth::is_authenticated(&own, header) {
            return Ok(());
        }
        if config.webhook_token.is_none() {
            return auth::authorize_write(&own, header);
        }
    }
    auth::authorize_write(config, header)
}

impl<S: Store> App<'_, S> {
    fn reconciler<'b>(&'b self, budget: &'b Budget) -> Reconciler<'b, S> {
        Reconciler {
            tracker: self.tracker(),
            transport: self.transport,
            budget,
        }
    }

    pub(super) fn reconcile_one(&self, request: &Request, raw: &str) -> Result<Response, Error> {
        authorize(self.config, request)?;
        let (host, repository) = raw
            .split_once('/')
            .filter(|(h, r)| validate_host(h).is_ok() && validate_repository(r).is_ok())
            .ok_or_else(|| {
                Error::InvalidName(format!(
                    "{} is not <host>/<repository>",
                    super::shown_path(raw)
                ))
            })?;
        let registry = self
            .config
            .registries
            .get(host)
            .ok_or_else(|| Error::RegistryNotConfigured(host.to_owned()))?;
        let budget = Budget::new(self.config.reconcile_budget);
        let report = self.reconciler(&budget).repository(registry, repository)?;
        let log = report.log_line(budget.spent());
        let status = match report.status {
            Status::Failed(_) => 502,
            Status::InProgress => 202,
            _ => 200,
        };
        let mut response = Response::json(
            status,
            &Answer {
                complete: status != 202,
                registry_requests: budget.spent(),
                repositories: vec![RepositoryAnswer::of(report)],
            },
        );
        response.log = Some(log);
        Ok(response)
    }

    /// Every tracked repository of every configured registry, from where the last call
    /// stopped, until the budget is spent.
    pub(super) fn reconcile_all(&self, request: &Request) -> Result<Response, Error> {
        authorize(self.config, request)?;
        let budget = Budget::new(self.config.reconcile_budget);
        let tracker = self.tracker();
        let [position] = tracker.get_array([keys::reconcile_position()])?;
        let mut position = position
            .and_then(|p| crate::store::parse_counter(&p).ok().flatten())
            .unwrap_or(0);
        let mut answers = Vec::new();
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut complete = true;
        'pages: loop {
            let page = tracker.index(position, INDEX_PAGE)?;
            for entry in page.entries {
                let Some(host) = entry.host else { continue };
                let Some(registry) = self.config.registries.get(&host) else {
                    continue;
                };
                let pair = (host, entry.repository);
                if seen.contains(&pair) {
                    continue;
                }
                if budget.left() == 0 {
                    position = entry.position;
                    complete = false;
                    break 'pages;
                }
                let report = self.reconciler(&budget).repository(registry, &pair.1)?;
                let stopped = report.status == Status::InProgress;
                answers.push(RepositoryAnswer::of(report));
                if stopped {
                    position = entry.position;
                    complete = false;
                    break 'pages;
                }
                seen.push(pair);
            }
            match page.next {
                Some(next) => position = next,
                None => break,
            }
        }
        let key = keys::reconcile_position();
        if complete {
            self.store.delete_many(&[key])?;
        } else {
            self.store
                .set_many(&[(key, position.to_string().into_bytes())])?;
        }
        let mut response = Response::json(
            200,
            &Answer {
                complete,
                registry_requests: budget.spent(),
                repositories: answers,
            },
        );
        response.log = Some(format!(
            "reconcile: {} repositories, complete: {complete} ({} registry requests)",
            seen.len(),
            budget.spent()
        ));
        Ok(response)
    }

    /// Runs one piece of deferred work; the log line says what it did (nothing: `None`).
    pub(super) fn run(&self, work: &Deferred) -> Result<Option<String>, StoreError> {
        let config = self.config;
        let (host, repository) = match work {
            Deferred::Verify { host, repository } => (host.clone(), repository.clone()),
            Deferred::Stale {
                host,
                repository,
                last,
            } => {
                let interval = config.verify_interval.max(1);
                let seconds =
                    |t: Timestamp| u64::try_from(t.0 / Timestamp::NANOS_PER_SECOND).unwrap_or(0);
                // The first reader of this interval verifies; everyone else has nothing to do.
                let slot = seconds(self.now) / interval;
                let keys = RepoKeys::tracked(host, repository);
                if self.store.increment(&keys.verify_claim(slot), 1)? != 1 {
                    return Ok(None);
                }
                // Earlier slots' claims are never needed again: the previous one, and the one
                // of the last verification (reads may have skipped slots since).
                let mut stale = vec![keys.verify_claim(slot.saturating_sub(1))];
                if let Some(at) = last {
                    let old = keys.verify_claim(seconds(*at) / interval);
                    if old != keys.verify_claim(slot) && !stale.contains(&old) {
                        stale.push(old);
                    }
                }
                let _ = self.store.delete_many(&stale);
                (host.clone(), repository.clone())
            }
        };
        let Some(registry) = config.registries.get(&host) else {
            return Ok(None);
        };
        let budget = Budget::new(config.reconcile_budget);
        let report = self.reconciler(&budget).repository(registry, &repository)?;
        Ok(Some(report.log_line(budget.spent())))
    }
}

impl<S: Store> App<'_, S> {
    /// A read found `latest` for this repository: when its registry is configured and it was
    /// not verified within `verify_interval`, verify it after the answer. Decided from the
    /// record the read already has, so a fresh repository costs nothing more.
    pub(super) fn note_read(&self, host: &str, repository: &str, latest: &Published) {
        let interval = self.config.verify_interval;
        if interval == 0 || !self.config.registries.contains_key(host) {
            return;
        }
        let verification = latest.verification.as_ref();
        let fresh = verification
            .and_then(|v| v.verified_at)
            .is_some_and(|at| self.now.seconds_since(at) < interval as i64);
        if !fresh {
            self.defer(Deferred::Stale {
                host: host.to_owned(),
                repository: repository.to_owned(),
                last: verification.and_then(|v| v.verified_at.max(v.failed_at)),
            });
        }
    }
}

/// Which verification a tracker read would defer for a webhook's events: those of configured
/// registries that carried no digest.
pub(super) fn verify_after_hook(config: &Config, events: &[crate::event::Event]) -> Vec<Deferred> {
    let mut out: Vec<Deferred> = Vec::new();
    for e in events {
        let Some(host) = &e.host else { continue };
        if e.digest.is_some() || !e.action.publishes() || !config.registries.contains_key(host) {
            continue;
        }
        let work = Deferred::Verify {
            host: host.clone(),
            repository: e.repository.clone(),
        };
        if !out.contains(&work) {
            out.push(work);
        }
    }
    out
}
