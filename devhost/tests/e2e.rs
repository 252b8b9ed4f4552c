//! End to end: the release `ociref.wasm` (built by build.rs) in this host, on a real socket,
//! against a real `redis-server` (spawned here) and against the embedded redb store.
//!
//! Each scenario runs once per backend, except what only Redis can show (an outage, and
//! byte-identical data checked with a Redis client). Every test has its own store and host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use devhost::StoreSpec;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// A store for one test: a redb file in a temporary directory, or a Redis server of its own.
enum Backend {
    Redb(tempfile::TempDir),
    Redis(RedisServer),
}

impl Backend {
    fn redb() -> Self {
        Self::Redb(tempfile::tempdir().unwrap())
    }

    fn redis() -> Self {
        Self::Redis(RedisServer::start())
    }

    fn spec(&self) -> StoreSpec {
        match self {
            Self::Redb(dir) => StoreSpec::Redb(dir.path().join("ociref.redb")),
            Self::Redis(server) => server.spec(),
        }
    }

    /// What a rejected request must not change: everything the API shows, and for Redis
    /// every key's exact bytes.
    async fn snapshot(&self, addr: SocketAddr) -> (Value, Option<BTreeMap<Vec<u8>, Vec<u8>>>) {
        let refs = get(addr, "/api/refs").await;
        assert_eq!(refs.status, 200);
        let refs = refs.json();
        let mut seen = vec![refs.clone()];
        for repo in refs["repositories"].as_array().unwrap() {
            let name = repo["name"].as_str().unwrap();
            seen.push(
                get(addr, &format!("/api/history/{name}?limit=100"))
                    .await
                    .json(),
            );
        }
        let dump = match self {
            Self::Redb(_) => None,
            Self::Redis(server) => Some(server.dump()),
        };
        (Value::Array(seen), dump)
    }
}

async fn run_on_both<F, Fut>(scenario: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    scenario(Backend::redb()).await;
    scenario(Backend::redis()).await;
}

// ---------------------------------------------------------------------------------------------
// Every fixture, with the expected status and body.

async fn fixtures_scenario(backend: Backend) {
    let host = serve(backend.spec()).await;
    let addr = host.addr();
    let push: Value = serde_json::from_slice(&fixture("push.json")).unwrap();
    let digest = push["target"]["digest"].as_str().unwrap();
    let reference = "myregistry.azurecr.io/hello-world:v1";

    let reply = hook_bytes(addr, fixture("push.json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(body["outcome"], "recorded", "{body}");
    assert_eq!(body["action"], "push", "{body}");
    assert_eq!(body["repository"], "hello-world", "{body}");
    let latest = &body["latest"];
    let expected = json!({
        "name": "myregistry.azurecr.io/hello-world",
        "registry": "myregistry.azurecr.io",
        "repository": "hello-world",
        "tag": "v1",
        "digest": digest,
        "media_type": "application/vnd.docker.distribution.manifest.v2+json",
        "reference": reference,
        "pinned": format!("{reference}@{digest}"),
        "pushed_at": push["timestamp"],
        "event_id": push["id"],
        "policy": "semver",
    });
    assert_eq!(latest, &expected, "{body}");
    assert_eq!(get(addr, "/api/refs/hello-world").await.json(), expected);
    let badge = assert_badge(&get(addr, "/hello-world").await);
    assert_eq!(badge["message"], reference, "{badge}");
    assert!(badge.get("isError").is_none(), "{badge}");

    // The same delivery again is recorded once.
    let reply = hook_bytes(addr, fixture("push.json")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["outcome"], "duplicate", "{reply:?}");

    // delete: the only tag on that digest is withdrawn, and the badge says so.
    let reply = hook_bytes(addr, fixture("delete.json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(body["outcome"], "withdrawn", "{body}");
    assert_eq!(body["action"], "delete", "{body}");
    assert!(body["latest"].is_null(), "{body}");
    let badge = assert_badge(&get(addr, "/hello-world").await);
    assert_eq!(badge["isError"], true, "{badge}");
    assert!(
        badge["message"].as_str().unwrap().contains("withdrawn"),
        "{badge}"
    );
    assert_eq!(get(addr, "/api/refs/hello-world").await.status, 404);

    let history = get(addr, "/api/history/hello-world?limit=10").await;
    assert_eq!(history.status, 200, "{history:?}");
    let history = history.json();
    assert_eq!(history["name"], "myregistry.azurecr.io/hello-world");
    let events = history["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["delete", "push"],
        "newest first, duplicate not repeated: {history}"
    );
    for field in [
        "seq",
        "id",
        "host",
        "action",
        "timestamp",
        "repository",
        "digest",
        "outcome",
    ] {
        assert!(
            events[1].get(field).is_some(),
            "history events carry {field}: {history}"
        );
    }
    assert_eq!(events[1]["tag"], "v1", "{history}");
    assert_eq!(events[1]["id"], push["id"], "{history}");

    // quarantine: pending, never latest until the push for it.
    let reply = hook_bytes(addr, fixture("quarantine.json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["outcome"], "pending", "{reply:?}");
    assert_eq!(get(addr, "/api/refs/helloworld").await.status, 404);
    let badge = assert_badge(&get(addr, "/helloworld").await);
    assert_eq!(badge["isError"], true, "{badge}");

    // Legacy Helm chart events: answered, ignored (they name no host).
    for name in ["chart_push.json", "chart_delete.json"] {
        let reply = hook_bytes(addr, fixture(name)).await;
        assert_eq!(reply.status, 200, "{name}: {reply:?}");
        let body = reply.json();
        assert_eq!(body["outcome"], "ignored", "{name}: {body}");
        assert!(
            body["reason"].is_string(),
            "{name}: ignored says why: {body}"
        );
    }

    // ping: touches nothing, says whether the token was right.
    let reply = hook_bytes(addr, fixture("ping.json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["authenticated"], true, "{reply:?}");
    let reply = request(
        addr,
        "POST",
        "/api/azurehook",
        &[("content-type", "application/json")],
        fixture("ping.json"),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["authenticated"], false, "{reply:?}");

    // An action ACR may add later: 200, ignored, with the reason.
    let mut unknown = push.clone();
    unknown["id"] = json!("unknown-action-1");
    unknown["action"] = json!("image_scan");
    let body = hook(addr, &unknown).await.json();
    assert_eq!(body["outcome"], "ignored", "{body}");
    assert!(body["reason"].is_string(), "{body}");

    assert_eq!(get(addr, "/healthz").await.status, 200);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_its_answer() {
    run_on_both(fixtures_scenario).await;
}

// ---------------------------------------------------------------------------------------------
// The seed project's own example.

async fn seed_example_scenario(backend: Backend) {
    let host = serve(backend.spec()).await;
    let addr = host.addr();
    let wash = "wasmcloud.azurecr.io/wash:0.18.1";
    let d = digest(181);

    let reply = hook(
        addr,
        &push("wash-1", "wasmcloud.azurecr.io", "wash", "0.18.1", &d),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["outcome"], "recorded", "{reply:?}");

    for path in ["/wash", "/wasmcloud.azurecr.io/wash"] {
        let reply = get(addr, path).await;
        assert_eq!(
            reply.content_type.as_deref(),
            Some("application/json"),
            "{path}"
        );
        let badge = assert_badge(&reply);
        assert_eq!(badge["message"], wash, "{path}: {badge}");
        assert_eq!(badge["cacheSeconds"], 300, "{badge}");
        assert!(badge.get("isError").is_none(), "{badge}");
    }
    let tag = assert_badge(&get(addr, "/wash?format=tag").await);
    assert_eq!(tag["message"], "0.18.1", "{tag}");
    let pinned = assert_badge(&get(addr, "/wash?format=pinned").await);
    assert_eq!(pinned["message"], format!("{wash}@{d}"), "{pinned}");
    let styled = assert_badge(&get(addr, "/wash?label=wash&color=green&logo=docker").await);
    assert_eq!(
        (&styled["label"], &styled["color"], &styled["namedLogo"]),
        (&json!("wash"), &json!("green"), &json!("docker")),
        "{styled}"
    );

    // A late push of an older version does not move latest.
    let reply = hook(
        addr,
        &push(
            "wash-2",
            "wasmcloud.azurecr.io",
            "wash",
            "0.17.5",
            &digest(175),
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["latest"]["tag"], "0.18.1", "{reply:?}");
    assert_eq!(assert_badge(&get(addr, "/wash").await)["message"], wash);

    let record = get(addr, "/api/refs/wash").await;
    assert_eq!(record.status, 200);
    let record = record.json();
    assert_eq!(record["reference"], wash, "{record}");
    assert_eq!(record["pinned"], format!("{wash}@{d}"), "{record}");
    assert_eq!(record["registry"], "wasmcloud.azurecr.io", "{record}");

    // Nested repository names are normal.
    hook(
        addr,
        &push(
            "team-1",
            "wasmcloud.azurecr.io",
            "team/app",
            "1.2.3",
            &digest(123),
        ),
    )
    .await;
    assert_eq!(
        assert_badge(&get(addr, "/team/app").await)["message"],
        "wasmcloud.azurecr.io/team/app:1.2.3"
    );

    let refs = get(addr, "/api/refs").await.json();
    let listed: BTreeMap<&str, &str> = refs["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["reference"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed.get("wasmcloud.azurecr.io/wash"),
        Some(&wash),
        "{refs}"
    );
    assert_eq!(
        listed.get("wasmcloud.azurecr.io/team/app"),
        Some(&"wasmcloud.azurecr.io/team/app:1.2.3"),
        "{refs}"
    );

    let unknown = assert_badge(&get(addr, "/never-pushed").await);
    assert_eq!(unknown["isError"], true, "{unknown}");
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("not published"),
        "{unknown}"
    );
    assert_eq!(get(addr, "/api/refs/never-pushed").await.status, 404);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_example_badge() {
    run_on_both(seed_example_scenario).await;
}

// ---------------------------------------------------------------------------------------------
// Concurrent deliveries: nothing lost, latest never regresses.

async fn push_all(addr: SocketAddr, events: Vec<Value>) -> Vec<Value> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|event| tokio::spawn(async move { hook(addr, &event).await }))
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, 200, "{reply:?}");
        bodies.push(reply.json());
    }
    bodies
}

async fn history_ids(addr: SocketAddr, name: &str) -> BTreeSet<String> {
    let reply = get(addr, &format!("/api/history/{name}?limit=100")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn concurrency_scenario(backend: Backend) {
    let host = serve(backend.spec()).await;
    let addr = host.addr();
    let registry = "demo.azurecr.io";

    // The ACR demo: ten tags of one repository at once.
    let events: Vec<Value> = (1..=10)
        .map(|i| {
            push(
                &format!("demo-{i}"),
                registry,
                "acr-demo",
                &format!("0.{i}.0"),
                &digest(i),
            )
        })
        .collect();
    for body in push_all(addr, events).await {
        assert_eq!(body["outcome"], "recorded", "{body}");
    }
    let expected: BTreeSet<String> = (1..=10).map(|i| format!("demo-{i}")).collect();
    assert_eq!(history_ids(addr, "acr-demo").await, expected);
    let badge = assert_badge(&get(addr, "/acr-demo").await);
    assert_eq!(
        badge["message"],
        format!("{registry}/acr-demo:0.10.0"),
        "{badge}"
    );

    // 100 distinct versions at once, 20 times, into one repository (so retention runs too).
    let started = Instant::now();
    for round in 1..=20u64 {
        // Delivered in a scrambled order so the maximum is not always the last to arrive.
        let events: Vec<Value> = (0..100u64)
            .map(|i| (i * 37) % 100)
            .map(|i| {
                push(
                    &format!("burst-{round}-{i}"),
                    registry,
                    "burst",
                    &format!("{round}.{i}.0"),
                    &digest(round * 1000 + i),
                )
            })
            .collect();
        for body in push_all(addr, events).await {
            assert_eq!(body["outcome"], "recorded", "round {round}: {body}");
        }
        let expected: BTreeSet<String> = (0..100).map(|i| format!("burst-{round}-{i}")).collect();
        assert_eq!(
            history_ids(addr, "burst").await,
            expected,
            "round {round}: events lost"
        );
        let record = get(addr, "/api/refs/burst").await.json();
        assert_eq!(
            record["tag"],
            format!("{round}.99.0"),
            "round {round}: {record}"
        );
    }
    eprintln!(
        "{}: 2000 concurrent pushes in {:.1?}, {} store calls in all",
        backend.spec(),
        started.elapsed(),
        host.store_calls()
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_lose_nothing_redb() {
    concurrency_scenario(Backend::redb()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_lose_nothing_redis() {
    concurrency_scenario(Backend::redis()).await;
}

// ---------------------------------------------------------------------------------------------
// Delete by digest.

async fn delete_scenario(backend: Backend) {
    let host = serve(backend.spec()).await;
    let addr = host.addr();
    let registry = "contoso.azurecr.io";
    let (old, new) = (digest(100), digest(110));
    hook(addr, &push("app-1", registry, "app", "1.0.0", &old)).await;
    hook(addr, &push("app-2", registry, "app", "1.1.0", &new)).await;
    hook(addr, &push("app-3", registry, "app", "latest", &new)).await;
    assert_eq!(
        assert_badge(&get(addr, "/app").await)["message"],
        format!("{registry}/app:1.1.0")
    );

    let reply = hook(addr, &delete("app-del-1", registry, "app", &new)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(body["outcome"], "withdrawn", "{body}");
    assert_eq!(body["latest"]["tag"], "1.0.0", "falls back: {body}");
    assert_eq!(
        assert_badge(&get(addr, "/app").await)["message"],
        format!("{registry}/app:1.0.0")
    );
    // Both tags on the deleted digest are gone: `latest` must not come back either.
    assert_eq!(
        get(addr, "/api/refs/app").await.json()["digest"],
        old.as_str()
    );

    let body = hook(addr, &delete("app-del-2", registry, "app", &old))
        .await
        .json();
    assert_eq!(body["outcome"], "withdrawn", "{body}");
    let badge = assert_badge(&get(addr, "/app").await);
    assert_eq!(badge["isError"], true, "nothing remains: {badge}");
    assert_eq!(get(addr, "/api/refs/app").await.status, 404);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_withdraws_tags_and_badge_falls_back() {
    run_on_both(delete_scenario).await;
}

// ---------------------------------------------------------------------------------------------
// Rejected writes change nothing.

/// A write that must be refused: path, headers, body, expected status and error code.
type RefusedCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    u16,
    &'static str,
);

async fn rejected_writes_scenario(backend: Backend) {
    let host = serve(backend.spec()).await;
    let addr = host.addr();
    hook(
        addr,
        &push("keep-1", "contoso.azurecr.io", "keep", "1.0.0", &digest(1)),
    )
    .await;
    let before = backend.snapshot(addr).await;
    assert!(before.1.as_ref().is_none_or(|dump| !dump.is_empty()));

    let event = serde_json::to_vec(&push(
        "evil-1",
        "contoso.azurecr.io",
        "keep",
        "9.9.9",
        &digest(9),
    ))
    .unwrap();
    let json_type = ("content-type", "application/json");
    let cases: Vec<RefusedCase> = vec![
        (
            "no token",
            vec![json_type],
            event.clone(),
            401,
            "unauthorized",
        ),
        (
            "wrong token",
            vec![json_type, ("authorization", "Bearer not-the-token")],
            event.clone(),
            401,
            "unauthorized",
        ),
        // Deep nesting on the component's 128 KiB stack (.cargo/config.toml): skipped by a
        // loop, never recursion.
        (
            "10 000 nested objects in an unknown field",
            vec![json_type, ("authorization", "Bearer e2e-webhook-token")],
            format!(
                r#"{{"action":"push","extra":{}1{}}}"#,
                r#"{"a":"#.repeat(10_000),
                "}".repeat(10_000)
            )
            .into_bytes(),
            400,
            "invalid-payload",
        ),
        (
            "30 000 nested arrays",
            vec![json_type, ("authorization", "Bearer e2e-webhook-token")],
            format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)).into_bytes(),
            400,
            "invalid-json",
        ),
        (
            "malformed JSON",
            vec![json_type, ("authorization", "Bearer e2e-webhook-token")],
            b"{\"id\": \"x\", \"action\": ".to_vec(),
            400,
            "invalid-json",
        ),
        (
            "body over 64 KiB",
            vec![json_type, ("authorization", "Bearer e2e-webhook-token")],
            {
                let mut big = push("big-1", "contoso.azurecr.io", "keep", "9.9.9", &digest(9));
                big["padding"] = json!("x".repeat(65 * 1024));
                serde_json::to_vec(&big).unwrap()
            },
            413,
            "payload-too-large",
        ),
        (
            "not JSON",
            vec![
                ("content-type", "text/plain"),
                ("authorization", "Bearer e2e-webhook-token"),
            ],
            event.clone(),
            415,
            "unsupported-media-type",
        ),
    ];
    for (what, headers, body, status, code) in cases {
        let reply = request(addr, "POST", "/api/azurehook", &headers, body).await;
        assert_eq!(reply.status, status, "{what}: {reply:?}");
        assert_eq!(reply.error_code(), code, "{what}: {reply:?}");
        assert_eq!(
            backend.snapshot(addr).await,
            before,
            "{what} changed the store"
        );
    }
    // The bare token (no "Bearer ") is accepted.
    let reply = request(
        addr,
        "POST",
        "/api/azurehook",
        &[json_type, ("authorization", TOKEN)],
        event,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_writes_leave_the_store_unchanged() {
    run_on_both(rejected_writes_scenario).await;
}

// ---------------------------------------------------------------------------------------------
// A restarted host finds everything where it was.

async fn restart_scenario(backend: Backend) {
    let first = serve(backend.spec()).await;
    let addr = first.addr();
    hook(
        addr,
        &push(
            "r-1",
            "contoso.azurecr.io",
            "durable",
            "3.1.4",
            &digest(314),
        ),
    )
    .await;
    hook(
        addr,
        &push(
            "r-2",
            "contoso.azurecr.io",
            "durable",
            "2.7.1",
            &digest(271),
        ),
    )
    .await;
    let before = backend.snapshot(addr).await;
    let badge_before = assert_badge(&get(addr, "/durable").await);
    first.shutdown().await;

    let second = serve(backend.spec()).await;
    let addr = second.addr();
    assert_eq!(backend.snapshot(addr).await, before);
    assert_eq!(assert_badge(&get(addr, "/durable").await), badge_before);
    assert_eq!(badge_before["message"], "contoso.azurecr.io/durable:3.1.4");
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_host_keeps_everything() {
    run_on_both(restart_scenario).await;
}

// ---------------------------------------------------------------------------------------------
// Redis only: an outage, and recovery without restarting the host.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_degrades_and_recovers() {
    let mut redis = RedisServer::start_persistent();
    let host = serve(redis.spec()).await;
    let addr = host.addr();
    let wash = "wasmcloud.azurecr.io/wash:0.18.1";
    let reply = hook(
        addr,
        &push("o-1", "wasmcloud.azurecr.io", "wash", "0.18.1", &digest(1)),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");

    redis.kill();
    let started = Instant::now();
    let badge = assert_badge(&get(addr, "/wash").await);
    assert_eq!(badge["isError"], true, "{badge}");
    assert!(
        badge["message"].as_str().unwrap().contains("unavailable"),
        "an outage is not 'not published': {badge}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let reply = hook(
        addr,
        &push("o-2", "wasmcloud.azurecr.io", "wash", "0.19.0", &digest(2)),
    )
    .await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.error_code(), "store-unavailable", "{reply:?}");
    assert_eq!(get(addr, "/healthz").await.status, 503);
    assert_eq!(get(addr, "/api/refs/wash").await.status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    redis.restart();
    // The connection comes back on its own; allow it a moment, never a host restart.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = get(addr, "/healthz").await;
        if reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still failing after Redis came back: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(assert_badge(&get(addr, "/wash").await)["message"], wash);
    let reply = hook(
        addr,
        &push("o-3", "wasmcloud.azurecr.io", "wash", "0.19.0", &digest(3)),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        assert_badge(&get(addr, "/wash").await)["message"],
        "wasmcloud.azurecr.io/wash:0.19.0"
    );
    host.shutdown().await;
}

/// What a reader sees of every repository: its `/api/refs` summary and its badge.
async fn visible_state(addr: SocketAddr) -> Value {
    let refs = get(addr, "/api/refs?limit=1000").await;
    assert_eq!(refs.status, 200, "{refs:?}");
    // Keyed by name: the listing's order is the order of first pushes, which deliveries decide.
    let mut state = BTreeMap::new();
    for repo in refs.json()["repositories"].as_array().unwrap() {
        let name = repo["name"].as_str().unwrap();
        let badge = assert_badge(&get(addr, &format!("/{name}")).await);
        state.insert(name.to_owned(), json!({ "summary": repo, "badge": badge }));
    }
    json!(state)
}

/// A fresh host and store given exactly `events`, one after another.
async fn clean_run(events: &[&Value]) -> Value {
    let redis = RedisServer::start();
    let host = serve(redis.spec()).await;
    for event in events {
        let reply = hook(host.addr(), event).await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let state = visible_state(host.addr()).await;
    host.shutdown().await;
    state
}

/// Redis killed in the middle of a burst of pushes and started again: every accepted push is
/// kept, nothing half-written shows, and the state is what a clean run of the stored events
/// gives. Then the rejected pushes are redelivered (as ACR retries) and the state is what a
/// clean run of all of them gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_during_a_burst_keeps_every_accepted_push() {
    const PUSHES: u64 = 240;
    const IN_FLIGHT: usize = 16;
    const KILL_AFTER: usize = 80;
    let mut redis = RedisServer::start_persistent();
    let host = serve(redis.spec()).await;
    let addr = host.addr();
    // Four repositories, 60 pushes each (within one history page), versions out of order.
    let events: Vec<Value> = (0..PUSHES)
        .map(|i| {
            push(
                &format!("burst-{i}"),
                "burst.azurecr.io",
                &format!("repo-{}", i % 4),
                &format!("{}.{}.0", (i * 7) % 13, i),
                &digest(i),
            )
        })
        .collect();

    let done = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let tasks: Vec<_> = events
        .iter()
        .cloned()
        .map(|event| {
            let (done, gate) = (done.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                let reply = hook(addr, &event).await;
                done.fetch_add(1, Ordering::SeqCst);
                reply
            })
        })
        .collect();
    while done.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    redis.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.restart();

    let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
    for (event, task) in events.iter().zip(tasks) {
        let reply = task.await.unwrap();
        match reply.status {
            200 => {
                assert_eq!(reply.json()["outcome"], "recorded", "{reply:?}");
                accepted.push(event);
            }
            503 => {
                assert_eq!(reply.error_code(), "store-unavailable", "{reply:?}");
                rejected.push(event);
            }
            _ => panic!("neither accepted nor unavailable: {reply:?}"),
        }
    }
    assert!(!rejected.is_empty(), "the outage hit no push");
    assert!(
        accepted.len() > KILL_AFTER / 2,
        "{} accepted",
        accepted.len()
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while get(addr, "/healthz").await.status != 200 {
        assert!(Instant::now() < deadline, "no recovery after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every accepted push is kept. A rejected one may have landed too (Redis applied the write,
    // the reply was lost): it counts, since ACR will redeliver it anyway.
    let mut stored = BTreeSet::new();
    for repo in 0..4 {
        stored.extend(history_ids(addr, &format!("repo-{repo}")).await);
    }
    let id = |e: &&Value| e["id"].as_str().unwrap().to_owned();
    for event in &accepted {
        assert!(stored.contains(&id(event)), "accepted push lost: {event}");
    }
    let landed: Vec<&Value> = events.iter().filter(|e| stored.contains(&id(e))).collect();
    eprintln!(
        "burst across a Redis restart: {} accepted, {} rejected ({} of them stored)",
        accepted.len(),
        rejected.len(),
        landed.len() - accepted.len()
    );
    assert_eq!(visible_state(addr).await, clean_run(&landed).await);

    for event in &rejected {
        let reply = hook(addr, event).await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let all: Vec<&Value> = events.iter().collect();
    assert_eq!(visible_state(addr).await, clean_run(&all).await);
    host.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Start-up errors the command line turns into messages.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_refuses_dead_redis_unless_degraded_and_busy_ports() {
    let port = free_port();
    let dead = StoreSpec::Redis(format!("redis://127.0.0.1:{port}"));
    let error = host().serve(options(dead.clone())).await.err().unwrap();
    assert!(format!("{error:#}").contains("unreachable"), "{error:#}");

    // Degraded: serves anyway, and the badge says "unavailable".
    let mut degraded = options(dead);
    degraded.degraded_start = true;
    let running = host().serve(degraded).await.unwrap();
    let badge = assert_badge(&get(running.addr(), "/wash").await);
    assert!(
        badge["message"].as_str().unwrap().contains("unavailable"),
        "{badge}"
    );
    running.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let first = serve(StoreSpec::Redb(dir.path().join("a.redb"))).await;
    let mut busy = options(StoreSpec::Redb(dir.path().join("b.redb")));
    busy.listen = first.addr();
    let error = host().serve(busy).await.err().unwrap();
    assert!(format!("{error:#}").contains("already in use"), "{error:#}");
    first.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The compiled-code cache: filled on the first start, used on the next, rebuilt when damaged.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_cache_is_filled_reused_and_repaired() {
    let cache = tempfile::tempdir().unwrap();
    let wasm = std::path::Path::new(devhost::DEFAULT_WASM);
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let answers = |host: devhost::Host| async move {
        let dir = tempfile::tempdir().unwrap();
        let options = options(StoreSpec::Redb(dir.path().join("c.redb")));
        let direct = host.direct(options).await.unwrap();
        let (status, body) = direct
            .request("GET", "/healthz", &[], Default::default())
            .await
            .unwrap();
        assert_eq!(status, 200, "{body:?}");
    };

    answers(devhost::Host::load_cached(wasm, false, Some(cache.path())).unwrap()).await;
    let files = entries();
    assert_eq!(files.len(), 1, "{files:?}");
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();

    answers(devhost::Host::load_cached(wasm, false, Some(cache.path())).unwrap()).await;
    assert_eq!(entries(), files, "a second start adds nothing");
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written,
        "a second start reuses the entry"
    );

    std::fs::write(&files[0], b"not machine code").unwrap();
    answers(devhost::Host::load_cached(wasm, false, Some(cache.path())).unwrap()).await;
    assert!(std::fs::read(&files[0]).unwrap().len() > 1000, "repaired");
}

/// Sends `head` and `sent` body bytes on a raw connection, keeps it open, and returns the
/// first read of the answer (status line, headers, body) with how long it took.
async fn answer_to_partial_request(
    addr: SocketAddr,
    head: &str,
    sent: &[u8],
) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(sent).await.unwrap();
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(60), socket.read(&mut answer))
        .await
        .expect("no answer within 60 s")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]).into_owned();
    (text, started.elapsed())
}

/// A client that stalls or goes away mid-body never holds an instance longer than the body
/// deadline (on wasmCloud nothing else would end the wait), and a GET never waits for a body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_are_cut_off_and_gets_never_wait_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let host = serve(StoreSpec::Redb(dir.path().join("s.redb"))).await;
    let addr = host.addr();

    let get_head = "GET /wash HTTP/1.1\r\nHost: ociref\r\nContent-Length: 1000\r\n\r\n";
    let (answer, took) = answer_to_partial_request(addr, get_head, b"").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took < Duration::from_secs(5),
        "a GET waited {took:?} for a body"
    );

    let post_head = format!(
        "POST /api/azurehook HTTP/1.1\r\nHost: ociref\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    let (answer, took) = answer_to_partial_request(addr, &post_head, b"{\"action\":").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request-timeout\""), "{answer}");
    let deadline = Duration::from_secs(ociref::http::BODY_DEADLINE_SECONDS);
    assert!(
        took >= deadline && took < deadline * 3,
        "answered after {took:?}"
    );
    let refs = get(addr, "/api/refs").await.json();
    assert_eq!(refs["repositories"], json!([]), "{refs}");
}

// ---------------------------------------------------------------------------------------------
// What people see besides the JSON: the SVG badge and the Atom feeds, from the real component.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svg_badge_is_the_image_with_a_validator() {
    let dir = tempfile::tempdir().unwrap();
    let host = serve(StoreSpec::Redb(dir.path().join("s.redb"))).await;
    let addr = host.addr();
    let registry = "contoso.azurecr.io";
    hook(addr, &push("svg-1", registry, "app", "1.0.0", &digest(1))).await;
    let path = "/app.svg?style=flat-square";
    let reply = get(addr, path).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("image/svg+xml"));
    // The same bytes the crate draws natively (tests/svg_badge.rs: as shields.io draws them).
    let badge = ociref::badge::Badge {
        label: "oci".into(),
        message: format!("{registry}/app:1.0.0"),
        color: "blue".into(),
        logo: None,
        is_error: false,
    };
    let expected = ociref::badge::svg::render(&badge, ociref::badge::svg::Style::FlatSquare);
    assert_eq!(String::from_utf8_lossy(&reply.body), expected);
    // Its ETag is the body's 64-bit FNV-1a: a cache revalidates to a 304.
    let hash = reply.body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let etag = format!("\"{hash:016x}\"");
    let again = request(
        addr,
        "GET",
        path,
        &[("if-none-match", etag.as_str())],
        Vec::new(),
    )
    .await;
    assert_eq!((again.status, again.body.len()), (304, 0), "{again:?}");
    // A name no registry could hold is still an image.
    let reply = get(addr, "/Not/Valid.svg").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("image/svg+xml"));
    assert!(String::from_utf8_lossy(&reply.body).contains("invalid name"));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_feeds_list_releases() {
    let dir = tempfile::tempdir().unwrap();
    let host = serve(StoreSpec::Redb(dir.path().join("s.redb"))).await;
    let addr = host.addr();
    let registry = "contoso.azurecr.io";
    hook(addr, &push("feed-1", registry, "app", "1.0.0", &digest(1))).await;
    hook(addr, &push("feed-2", registry, "app", "1.1.0", &digest(2))).await;
    let reply = get(addr, "/app.atom").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/atom+xml"));
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{body}"
    );
    let titles: Vec<&str> = body
        .split("<entry>")
        .skip(1)
        .filter_map(|e| e.split("<title>").nth(1)?.split("</title>").next())
        .collect();
    assert_eq!(
        titles,
        [
            format!("{registry}/app:1.1.0"),
            format!("{registry}/app:1.0.0")
        ]
    );
    let all = String::from_utf8_lossy(&get(addr, "/.atom").await.body).into_owned();
    assert!(
        all.contains(&format!("<title>{registry}/app:1.1.0</title>")),
        "{all}"
    );
    assert_eq!(get(addr, "/nothing.atom").await.error_code(), "not-found");
    host.shutdown().await;
}
