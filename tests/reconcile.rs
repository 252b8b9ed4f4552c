//! Reconciliation (issue 12) through `api::serve` with the in-memory store and a scripted fake
//! registry: corrections as events, paging within a budget, the authentication flows, failures
//! that change nothing, only configured hosts, and verify-on-read at most once per interval.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod fake_registry;

use common::*;
use fake_registry::{Auth, FakeRegistry, AUTHORITY, TOKEN as ISSUED_TOKEN, TOKEN_AUTHORITY};
use ociref::api::{run_deferred, serve, Context, Deferred};
use ociref::config::Config;
use ociref::http::{Method, Request};
use ociref::store::MemoryStore;
use ociref::timestamp::Timestamp;
use serde_json::Value;

const REPO: &str = "team/app";
const PASSWORD: &str = "s3cret-password";

fn config_with(extra: &[(&str, &str)]) -> Config {
    let url = format!("http://{AUTHORITY}");
    let mut pairs = vec![
        ("webhook_token".to_owned(), TOKEN.to_owned()),
        (format!("registry.{HOST}.url"), url),
        (
            format!("registry.{HOST}.token_realm_hosts"),
            TOKEN_AUTHORITY.to_owned(),
        ),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Config::from_pairs(pairs).unwrap()
}

fn credentials() -> Vec<(String, String)> {
    vec![
        (format!("registry.{HOST}.username"), "ci".into()),
        (format!("registry.{HOST}.password"), PASSWORD.into()),
    ]
}

fn config_with_credentials(extra: &[(&str, &str)]) -> Config {
    let creds = credentials();
    let mut all: Vec<(&str, &str)> = creds
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.extend_from_slice(extra);
    config_with(&all)
}

fn at(context: &Context, seconds: i64) -> Context {
    Context {
        config: context.config.clone(),
        now: Timestamp(context.now.0 + seconds * Timestamp::NANOS_PER_SECOND),
    }
}

/// Serves one request and returns status, JSON body and what it deferred.
fn send(
    store: &MemoryStore,
    registry: &FakeRegistry,
    context: &Context,
    request: &Request,
) -> (u16, Value, Vec<Deferred>) {
    let (response, deferred) = serve(request, store, registry, context);
    let text = String::from_utf8(response.body.clone()).unwrap();
    assert!(
        !text.contains(PASSWORD) && !text.contains(ISSUED_TOKEN),
        "{text}"
    );
    if let Some(log) = &response.log {
        assert!(
            !log.contains(PASSWORD) && !log.contains(ISSUED_TOKEN),
            "{log}"
        );
    }
    (
        response.status,
        serde_json::from_str(&text).unwrap(),
        deferred,
    )
}

fn reconcile_one(store: &MemoryStore, registry: &FakeRegistry, context: &Context) -> (u16, Value) {
    let request = Request::new(Method::Post, &format!("/api/reconcile/{HOST}/{REPO}"))
        .with_authorization(&format!("Bearer {TOKEN}"));
    let (status, body, _) = send(store, registry, context, &request);
    (status, body)
}

fn hook(store: &MemoryStore, context: &Context, body: Vec<u8>) {
    let (status, body) = call_with(store, &webhook(body), context);
    assert_eq!(status, 200, "{body}");
}

fn shown(store: &MemoryStore, context: &Context) -> String {
    let (_, badge) = call_with(store, &get(&format!("/{HOST}/{REPO}")), context);
    badge["message"].as_str().unwrap().to_owned()
}

fn changes(answer: &Value) -> Vec<(String, String)> {
    answer["repositories"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_owned(),
                c["tag"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn history_outcomes(store: &MemoryStore, context: &Context) -> Vec<(String, String, String)> {
    let (_, h) = call_with(store, &get(&format!("/api/history/{HOST}/{REPO}")), context);
    h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["tag"].as_str().unwrap_or_default().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn lost_push_lost_delete_and_missing_digest_are_corrected_as_events() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    hook(&store, &context, push_json("e1", REPO, "1.0.0", 1, 1));
    hook(&store, &context, push_json("e2", REPO, "2.0.0", 2, 2));
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:2.0.0"));
    // The registry: 2.0.0 was deleted (that webhook was lost), 1.5.0 pushed (lost too).
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1).tag(REPO, "1.5.0", 5);
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["repositories"][0]["status"], "corrected");
    assert_eq!(
        changes(&answer),
        [
            ("withdrawn".to_owned(), "2.0.0".to_owned()),
            ("added".to_owned(), "1.5.0".to_owned())
        ]
    );
    assert_eq!(
        answer["repositories"][0]["latest"]["digest"],
        fake_registry::digest(5)
    );
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:1.5.0"));
    let history = history_outcomes(&store, &context);
    assert_eq!(
        history[..2],
        [
            (
                "reconcile".to_owned(),
                "1.5.0".to_owned(),
                "reconciled".to_owned()
            ),
            (
                "untag".to_owned(),
                "2.0.0".to_owned(),
                "reconciled".to_owned()
            ),
        ]
    );
    let (_, record) = call_with(&store, &get(&format!("/api/refs/{HOST}/{REPO}")), &context);
    assert_eq!(record["verified_at"], "2023-11-14T22:13:20Z", "{record}");
    // The badge JSON may carry no extra key (shields refuses it): a header says it, on the
    // JSON and on the image.
    for path in [format!("/{HOST}/{REPO}"), format!("/{HOST}/{REPO}.svg")] {
        let (badge, _) = serve(&get(&path), &store, &registry, &context);
        let verified = badge
            .headers
            .iter()
            .find(|(n, _)| *n == "x-ociref-verified-at");
        assert_eq!(
            verified.map(|(_, v)| v.as_str()),
            Some("2023-11-14T22:13:20Z"),
            "{path}"
        );
    }

    // Again: nothing to correct.
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(
        (status, &answer["repositories"][0]["status"]),
        (200, &Value::from("verified"))
    );
    assert!(changes(&answer).is_empty());

    // A late webhook of the old 2.0.0 push cannot bring it back: the untag is newer.
    hook(&store, &context, push_json("e2", REPO, "2.0.0", 2, 2));
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:1.5.0"));
    // A real new push of 2.0.0 (after the untag) shows again.
    let later = at(&context, 60);
    let mut p: Value = serde_json::from_slice(&push_json("e9", REPO, "2.0.0", 9, 9)).unwrap();
    p["timestamp"] = "2023-11-17T17:00:00Z".into();
    hook(&store, &later, serde_json::to_vec(&p).unwrap());
    assert_eq!(shown(&store, &later), format!("{HOST}/{REPO}:2.0.0"));
}

#[test]
fn a_missing_or_wrong_digest_is_filled_in() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    let set = Request::new(Method::Post, "/api/reference")
        .with_json(format!(r#"{{"url":"{HOST}/{REPO}:3.0.0"}}"#))
        .with_authorization(&format!("Bearer {TOKEN}"));
    assert_eq!(call_with(&store, &set, &context).0, 200);
    let registry = FakeRegistry::new();
    registry.tag(REPO, "3.0.0", 7);
    let (_, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(
        changes(&answer),
        [("digest".to_owned(), "3.0.0".to_owned())]
    );
    let (_, record) = call_with(&store, &get(&format!("/api/refs/{HOST}/{REPO}")), &context);
    assert_eq!(record["digest"], fake_registry::digest(7));
}

#[test]
fn a_repository_not_yet_tracked_is_added() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    let registry = FakeRegistry::new();
    registry
        .tag(REPO, "0.9.0", 1)
        .tag(REPO, "1.0.0", 2)
        .tag(REPO, "latest", 2)
        .tag(REPO, &format!("sha256-{}.sig", "a".repeat(64)), 3);
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(changes(&answer), [("added".to_owned(), "1.0.0".to_owned())]);
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:1.0.0"));
    // Unknown repositories: not found, nothing recorded.
    let other = Request::new(Method::Post, &format!("/api/reconcile/{HOST}/nope"))
        .with_authorization(&format!("Bearer {TOKEN}"));
    let (status, body, _) = send(&store, &registry, &context, &other);
    assert_eq!(
        (status, &body["repositories"][0]["status"]),
        (200, &Value::from("not-found"))
    );
}

#[test]
fn ten_thousand_tags_page_within_the_budget_and_resume() {
    let store = MemoryStore::new();
    let context = context(config_with(&[("reconcile_budget", "4")]));
    let registry = FakeRegistry::new();
    for i in 0..10_000 {
        registry.tag(REPO, &format!("0.{}.{}", i / 100, i % 100), 1 + i);
    }
    let mut calls = 0;
    let answer = loop {
        calls += 1;
        let (status, answer) = reconcile_one(&store, &registry, &context);
        assert!(
            answer["registry_requests"].as_u64().unwrap() <= 4,
            "{answer}"
        );
        if status != 202 {
            assert_eq!(status, 200, "{answer}");
            break answer;
        }
        assert_eq!(answer["repositories"][0]["status"], "in-progress");
        assert!(calls < 10, "never finishes");
    };
    // 10 pages of 1000 and one HEAD, four requests per call.
    assert_eq!(calls, 3);
    assert_eq!(registry.request_count(), 11);
    assert_eq!(
        changes(&answer),
        [("added".to_owned(), "0.99.99".to_owned())]
    );
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:0.99.99"));
    // Without Link headers the client pages with `last`.
    let plain = FakeRegistry::new();
    plain.page_size(1000, false);
    for i in 0..2500 {
        plain.tag(REPO, &format!("1.{}.{}", i / 100, i % 100), 1 + i);
    }
    let store = MemoryStore::new();
    let context = at(&context, 1);
    let big = Context {
        config: Ok(config_with(&[])),
        ..context
    };
    let (status, answer) = reconcile_one(&store, &plain, &big);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        changes(&answer),
        [("added".to_owned(), "1.24.99".to_owned())]
    );
}

#[test]
fn bearer_challenge_with_credentials() {
    let store = MemoryStore::new();
    let context = context(config_with_credentials(&[]));
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1).auth(Auth::Bearer {
        credentials: Some(("ci".into(), PASSWORD.into())),
        realm: format!("http://{TOKEN_AUTHORITY}/token"),
    });
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 200, "{answer}");
    let requests = registry.requests();
    let token_request = requests
        .iter()
        .find(|r| r.url.authority == TOKEN_AUTHORITY)
        .unwrap();
    assert!(token_request
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    assert!(token_request
        .url
        .path_and_query
        .contains("scope=repository%3Ateam%2Fapp%3Apull"));
    // Once authorized, the HEAD reuses the token: 401, token, list, HEAD.
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[3].header("authorization"),
        Some(format!("Bearer {ISSUED_TOKEN}").as_str())
    );
    // No Debug output of a request shows a secret.
    assert!(requests
        .iter()
        .all(|r| !format!("{r:?}").contains(ISSUED_TOKEN)));
}

#[test]
fn bearer_challenge_anonymous() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1).auth(Auth::Bearer {
        credentials: None,
        realm: format!("http://{TOKEN_AUTHORITY}/token"),
    });
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 200, "{answer}");
    let token_request = registry
        .requests()
        .into_iter()
        .find(|r| r.url.authority == TOKEN_AUTHORITY)
        .unwrap();
    assert_eq!(token_request.header("authorization"), None);
}

#[test]
fn a_token_realm_on_another_host_is_never_asked() {
    let store = MemoryStore::new();
    let context = context(config_with_credentials(&[]));
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1).auth(Auth::Bearer {
        credentials: None,
        realm: "https://evil.test/token".into(),
    });
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 502, "{answer}");
    let error = &answer["repositories"][0]["error"];
    assert_eq!(error["code"], "registry-refused");
    assert!(error["message"].as_str().unwrap().contains("evil.test"));
    assert!(registry
        .requests()
        .iter()
        .all(|r| r.url.authority == AUTHORITY));
}

#[test]
fn basic_challenge() {
    let store = MemoryStore::new();
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1).auth(Auth::Basic {
        user: "ci".into(),
        password: PASSWORD.into(),
    });
    let (status, answer) = reconcile_one(&store, &registry, &context(config_with_credentials(&[])));
    assert_eq!(status, 200, "{answer}");
    // Without credentials: a clear error, nothing recorded.
    let store = MemoryStore::new();
    let (status, answer) = reconcile_one(&store, &registry, &context(config_with(&[])));
    assert_eq!(status, 502, "{answer}");
    assert_eq!(
        answer["repositories"][0]["error"]["code"],
        "registry-unauthorized"
    );
    assert!(
        store.dump().keys().all(|k| k.contains(":reconcile:")),
        "{:?}",
        store.dump().keys()
    );
}

#[test]
fn wrong_credentials_are_a_clear_error_and_change_nothing_shown() {
    let store = MemoryStore::new();
    let context = context(config_with(&[
        (&format!("registry.{HOST}.username"), "ci"),
        (&format!("registry.{HOST}.password"), "wrong-password"),
    ]));
    hook(&store, &context, push_json("e1", REPO, "1.0.0", 1, 1));
    let before = (shown(&store, &context), history_outcomes(&store, &context));
    for auth in [
        Auth::Basic {
            user: "ci".into(),
            password: PASSWORD.into(),
        },
        Auth::Bearer {
            credentials: Some(("ci".into(), PASSWORD.into())),
            realm: format!("http://{TOKEN_AUTHORITY}/token"),
        },
    ] {
        let registry = FakeRegistry::new();
        registry.tag(REPO, "2.0.0", 2).auth(auth);
        let (status, answer) = reconcile_one(&store, &registry, &context);
        assert_eq!(status, 502, "{answer}");
        let error = &answer["repositories"][0]["error"];
        assert_eq!(error["code"], "registry-unauthorized");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(HOST) && message.contains("401"),
            "{message}"
        );
        assert!(!message.contains("wrong-password"));
        // The deferred path logs the same, without the secret.
        let work = [Deferred::Verify {
            host: HOST.into(),
            repository: REPO.into(),
        }];
        let log = run_deferred(&work, &store, &registry, &context);
        assert!(
            log[0].contains("failed: registry") && log[0].contains("401"),
            "{log:?}"
        );
        assert!(!log[0].contains("wrong-password") && !log[0].contains(ISSUED_TOKEN));
        assert_eq!(
            (shown(&store, &context), history_outcomes(&store, &context)),
            before
        );
    }
    let (_, record) = call_with(&store, &get(&format!("/api/refs/{HOST}/{REPO}")), &context);
    assert_eq!(record["verification_failures"], 4, "{record}");
}

#[test]
fn a_registry_down_mid_reconcile_leaves_everything_as_it_was() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    hook(&store, &context, push_json("e1", REPO, "1.0.0", 1, 1));
    hook(&store, &context, push_json("e2", REPO, "9.0.0", 2, 2));
    let registry = FakeRegistry::new();
    registry.page_size(2, true);
    for (i, tag) in ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
        .iter()
        .enumerate()
    {
        registry.tag(REPO, tag, 10 + i as u64);
    }
    registry.fail_after(2); // two pages, then the registry stops
    let before = (shown(&store, &context), history_outcomes(&store, &context));
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 502, "{answer}");
    assert_eq!(
        answer["repositories"][0]["error"]["code"],
        "registry-unavailable"
    );
    assert_eq!(
        (shown(&store, &context), history_outcomes(&store, &context)),
        before
    );
    // Back up: the next trigger continues and corrects.
    registry.down(false);
    let (status, answer) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(shown(&store, &context), format!("{HOST}/{REPO}:1.4.0"));
    // A registry that is down at the HEAD changes nothing either.
    registry.untag(REPO, "1.4.0").fail_after(2); // both pages, then the HEAD fails
    let before = (shown(&store, &context), history_outcomes(&store, &context));
    let (status, _) = reconcile_one(&store, &registry, &context);
    assert_eq!(status, 502);
    assert_eq!(
        (shown(&store, &context), history_outcomes(&store, &context)),
        before
    );
}

#[test]
fn only_configured_hosts_are_ever_contacted() {
    let store = MemoryStore::new();
    let context = context(config_with(&[]));
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1);
    let unconfigured = Request::new(Method::Post, "/api/reconcile/other.example/team/app")
        .with_authorization(&format!("Bearer {TOKEN}"));
    let (status, body, deferred) = send(&store, &registry, &context, &unconfigured);
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &Value::from("registry-not-configured"))
    );
    assert!(deferred.is_empty());
    // A Docker Hub push (no digest) for docker.io, which is not configured: nothing deferred.
    let hub = Request::new(Method::Post, &format!("/api/hooks/dockerhub/{TOKEN}")).with_json(
        std::fs::read(format!(
            "{}/tests/fixtures/dockerhub/push.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    );
    let (status, _, deferred) = send(&store, &registry, &context, &hub);
    assert_eq!((status, deferred), (200, Vec::new()));
    // Reads of repositories of unconfigured registries verify nothing.
    let (_, _, deferred) = send(
        &store,
        &registry,
        &context,
        &get("/docker.io/acmecorp/web-api"),
    );
    assert!(run_deferred(&deferred, &store, &registry, &context).is_empty());
    assert_eq!(registry.request_count(), 0);
    // Configured: the same push is verified after the answer.
    let hub_context = Context {
        config: Ok(config_with(&[(
            "registry.docker.io.url",
            &format!("http://{AUTHORITY}"),
        )])),
        ..context.clone()
    };
    registry.tag("acmecorp/web-api", "1.4.2", 4);
    let (_, _, deferred) = send(&store, &registry, &hub_context, &hub);
    assert_eq!(
        deferred,
        [Deferred::Verify {
            host: "docker.io".into(),
            repository: "acmecorp/web-api".into()
        }]
    );
    let log = run_deferred(&deferred, &store, &registry, &hub_context);
    assert!(
        log[0].starts_with("reconcile docker.io/acmecorp/web-api: corrected"),
        "{log:?}"
    );
    let (_, record) = call_with(
        &store,
        &get("/api/refs/docker.io/acmecorp/web-api"),
        &hub_context,
    );
    assert_eq!(record["digest"], fake_registry::digest(4));
}

#[test]
fn verify_on_read_runs_at_most_once_per_interval() {
    let store = MemoryStore::new();
    let context = context(config_with(&[("verify_interval", "600")]));
    hook(&store, &context, push_json("e1", REPO, "1.0.0", 1, 1));
    hook(&store, &context, push_json("e2", REPO, "2.0.0", 2, 2));
    let registry = FakeRegistry::new();
    registry.tag(REPO, "1.0.0", 1);
    let badge = get(&format!("/{HOST}/{REPO}"));
    let read = |ctx: &Context| {
        let (response, deferred) = serve(&badge, &store, &registry, ctx);
        assert_eq!(response.status, 200);
        (String::from_utf8(response.body).unwrap(), deferred)
    };
    // Many readers: each answer is the stored one; only the first claimant verifies.
    let mut pending = Vec::new();
    for _ in 0..5 {
        let (body, deferred) = read(&context);
        assert!(
            body.contains("2.0.0"),
            "the read itself never waits for the registry"
        );
        pending.push(deferred);
    }
    let logs: Vec<Vec<String>> = pending
        .iter()
        .map(|d| run_deferred(d, &store, &registry, &context))
        .collect();
    assert_eq!(logs.iter().filter(|l| !l.is_empty()).count(), 1, "{logs:?}");
    assert_eq!(registry.request_count(), 2, "one listing, one HEAD");
    assert!(
        read(&context).0.contains("1.0.0"),
        "the lost delete is corrected"
    );
    // Within the interval: nothing more.
    let (_, deferred) = read(&at(&context, 300));
    assert!(run_deferred(&deferred, &store, &registry, &at(&context, 300)).is_empty());
    assert_eq!(registry.request_count(), 2);
    // After it: verified again, once.
    registry.untag(REPO, "1.0.0");
    let later = at(&context, 700);
    for _ in 0..3 {
        let (_, deferred) = read(&later);
        run_deferred(&deferred, &store, &registry, &later);
    }
    assert_eq!(
        registry.request_count(),
        3,
        "the listing found no tags: no HEAD"
    );
    assert_eq!(shown(&store, &later), "withdrawn");
    // Claims of past intervals are cleaned up: one key per repository at most.
    let claims = store
        .dump()
        .keys()
        .filter(|k| k.contains(":claim:"))
        .count();
    assert_eq!(claims, 1);
    // verify_interval=0 turns it off.
    let off = Context {
        config: Ok(config_with(&[("verify_interval", "0")])),
        ..at(&context, 5000)
    };
    let (_, _, deferred) = send(&store, &registry, &off, &badge);
    assert!(deferred.is_empty());
}

#[test]
fn reconcile_all_walks_every_tracked_repository_and_resumes() {
    let store = MemoryStore::new();
    let context = context(config_with(&[("reconcile_budget", "3")]));
    let registry = FakeRegistry::new();
    for (i, repo) in ["a", "b", "c", "d"].iter().enumerate() {
        hook(
            &store,
            &context,
            push_json(&format!("e{i}"), repo, "1.0.0", 1, 1),
        );
        registry.tag(repo, "1.0.0", 1).tag(repo, "1.1.0", 2);
    }
    let all =
        Request::new(Method::Post, "/api/reconcile").with_authorization(&format!("Bearer {TOKEN}"));
    let mut done = Vec::new();
    for _ in 0..10 {
        let (status, answer, _) = send(&store, &registry, &context, &all);
        assert_eq!(status, 200, "{answer}");
        for r in answer["repositories"].as_array().unwrap() {
            if r["status"] == "corrected" {
                done.push(r["name"].as_str().unwrap().to_owned());
            }
        }
        if answer["complete"] == true {
            break;
        }
    }
    done.sort();
    assert_eq!(done, ["a", "b", "c", "d"].map(|r| format!("{HOST}/{r}")));
    for repo in ["a", "b", "c", "d"] {
        let (_, badge) = call_with(&store, &get(&format!("/{HOST}/{repo}")), &context);
        assert_eq!(badge["message"], format!("{HOST}/{repo}:1.1.0"));
    }
    // Authenticated like every write; a reconcile_token works too.
    let (status, _, _) = send(
        &store,
        &registry,
        &context,
        &Request::new(Method::Post, "/api/reconcile"),
    );
    assert_eq!(status, 401);
    let own = Context {
        config: Ok(config_with(&[("reconcile_token", "rt-0123")])),
        ..context.clone()
    };
    let with_own =
        Request::new(Method::Post, "/api/reconcile").with_authorization("Bearer rt-0123");
    assert_eq!(send(&store, &registry, &own, &with_own).0, 200);
}
