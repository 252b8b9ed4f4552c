//! The HTTP API through `api::handle` with the in-memory store: one test per fixture, the
//! badge and record endpoints, authentication, bad input (store unchanged), outages and faults.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use ociref::config::Config;
use ociref::http::{Body, Method, Request};
use ociref::store::{keys, MemoryStore};
use serde_json::Value;

fn push(store: &MemoryStore, id: &str, repository: &str, tag: &str, d: u64, at: u64) -> Value {
    let (status, body) = call(store, &webhook(push_json(id, repository, tag, d, at)));
    assert_eq!(status, 200, "{body}");
    body
}

// --- one test per fixture -------------------------------------------------------------

#[test]
fn fixture_push_records_the_reference() {
    let store = MemoryStore::new();
    let (status, body) = call(&store, &webhook(fixture("push.json")));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "recorded");
    assert_eq!(body["stored"]["tag"], "v1");
    assert_eq!(
        body["latest"]["reference"],
        "myregistry.azurecr.io/hello-world:v1"
    );
    assert_eq!(
        body["latest"]["pinned"],
        "myregistry.azurecr.io/hello-world:v1@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
    );
    assert_eq!(
        badge_message(&store, "hello-world"),
        "myregistry.azurecr.io/hello-world:v1"
    );
}

#[test]
fn fixture_delete_withdraws_the_pushed_tag() {
    let store = MemoryStore::new();
    call(&store, &webhook(fixture("push.json")));
    let (status, body) = call(&store, &webhook(fixture("delete.json")));
    assert_eq!(
        (status, &body["outcome"], &body["withdrawn_tags"]),
        (200, &Value::from("withdrawn"), &Value::from(1))
    );
    assert_eq!(body["latest"], Value::Null);
    assert_eq!(badge_message(&store, "hello-world"), "withdrawn");
    assert_eq!(call(&store, &get("/api/refs/hello-world")).0, 404);
}

#[test]
fn fixture_quarantine_is_pending_until_the_push() {
    let store = MemoryStore::new();
    let (status, body) = call(&store, &webhook(fixture("quarantine.json")));
    assert_eq!((status, body["outcome"].as_str()), (200, Some("pending")));
    assert_eq!(badge_message(&store, "helloworld"), "pending release");
    let mut released: Value = serde_json::from_slice(&fixture("quarantine.json")).unwrap();
    released["action"] = "push".into();
    released["id"] = "released".into();
    released["timestamp"] = "2018-02-28T00:50:00Z".into();
    let (_, body) = call(&store, &webhook(serde_json::to_vec(&released).unwrap()));
    assert_eq!(
        body["latest"]["reference"],
        "myregistry.azurecr.io/helloworld:1"
    );
}

#[test]
fn fixture_chart_events_are_answered_and_ignored() {
    let store = MemoryStore::new();
    for name in ["chart_push.json", "chart_delete.json"] {
        let (status, body) = call(&store, &webhook(fixture(name)));
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some("ignored")),
            "{name}: {body}"
        );
        assert!(body["reason"].as_str().unwrap().contains("Helm"));
    }
    // Legacy Helm repositories name no host: nothing is stored.
    assert!(store.dump().is_empty());
    assert_eq!(badge_message(&store, "repo"), "not published");
}

#[test]
fn fixture_ping_touches_nothing_and_reports_authentication() {
    let store = MemoryStore::new();
    let (status, body) = call(&store, &webhook(fixture("ping.json")));
    assert_eq!((status, &body["authenticated"]), (200, &Value::Bool(true)));
    let anonymous = Request::new(Method::Post, "/api/azurehook").with_json(fixture("ping.json"));
    let (status, body) = call(&store, &anonymous);
    assert_eq!((status, &body["authenticated"]), (200, &Value::Bool(false)));
    assert!(store.dump().is_empty());
}

// --- behaviour ------------------------------------------------------------------------

#[test]
fn the_seed_example_and_a_late_older_push() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.18.1", 1, 1);
    push(&store, "e2", "wash", "0.17.5", 2, 2);
    assert_eq!(
        badge_message(&store, "wash"),
        "wasmcloud.azurecr.io/wash:0.18.1"
    );
    assert_eq!(
        badge_message(&store, "wasmcloud.azurecr.io/wash"),
        "wasmcloud.azurecr.io/wash:0.18.1"
    );
    assert_eq!(
        badge_message(&store, "other.azurecr.io/wash"),
        "not published"
    );
    let (_, tag) = call(
        &store,
        &get("/wash?format=tag&label=wash&logo=docker&color=green"),
    );
    assert_eq!(
        (
            tag["message"].as_str(),
            tag["label"].as_str(),
            tag["namedLogo"].as_str(),
            tag["color"].as_str()
        ),
        (Some("0.18.1"), Some("wash"), Some("docker"), Some("green"))
    );
    let (_, pinned) = call(&store, &get("/wash?format=pinned"));
    assert_eq!(
        pinned["message"],
        format!("wasmcloud.azurecr.io/wash:0.18.1@{}", digest(1))
    );
}

#[test]
fn badges_are_always_200_and_schema_valid() {
    let store = MemoryStore::new();
    push(&store, "e1", "team/app", "v2.0.0", 1, 1);
    for path in [
        "/team/app",
        "/nothing",
        "/team/app?format=bogus",
        "/team/app?label=%00",
        "/x?color=%3Cscript%3E",
    ] {
        let (status, badge) = call(&store, &get(path));
        assert_eq!(status, 200, "{path}");
        assert_schema_valid(&badge);
    }
    assert_eq!(
        badge_message(&store, "team/app"),
        "wasmcloud.azurecr.io/team/app:v2.0.0"
    );
    assert_eq!(badge_message(&store, "nothing"), "not published");
    let head = ociref::api::handle(
        &Request::new(Method::Head, "/team/app"),
        &store,
        &context(config()),
    );
    assert_eq!(head.status, 200);
}

#[test]
fn record_history_listing_and_health() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.18.1", 1, 1);
    push(&store, "e2", "wash", "latest", 1, 2);
    push(&store, "e3", "team/app", "1.0.0", 3, 3);
    let (status, record) = call(&store, &get("/api/refs/wash"));
    assert_eq!(status, 200);
    for key in [
        "name",
        "registry",
        "repository",
        "tag",
        "digest",
        "reference",
        "pinned",
        "pushed_at",
        "event_id",
        "policy",
    ] {
        assert!(!record[key].is_null(), "{key} missing: {record}");
    }
    assert_eq!(
        (
            record["tag"].as_str(),
            record["policy"].as_str(),
            record["event_id"].as_str()
        ),
        (Some("0.18.1"), Some("semver"), Some("e1"))
    );
    let (_, history) = call(&store, &get("/api/history/wash?limit=1"));
    assert_eq!(history["events"][0]["id"], "e2");
    assert_eq!(history["events"].as_array().unwrap().len(), 1);
    let (_, list) = call(&store, &get("/api/refs"));
    let names: Vec<_> = list["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [format!("{HOST}/wash"), format!("{HOST}/team/app")]);
    let (_, page) = call(&store, &get("/api/refs?limit=1"));
    assert_eq!(
        (
            page["repositories"].as_array().unwrap().len(),
            page["next_cursor"].as_u64()
        ),
        (1, Some(2))
    );
    assert_eq!(call(&store, &get("/healthz")).0, 200);
    assert_eq!(call(&store, &get("/api/refs/unknown")).0, 404);
    assert_eq!(call(&store, &get("/api/history/unknown")).0, 404);
}

#[test]
fn digest_only_push_is_history_only_and_redelivery_is_a_duplicate() {
    let store = MemoryStore::new();
    let mut body: Value = serde_json::from_slice(&fixture("push.json")).unwrap();
    body["target"]["tag"] = "".into();
    body["id"] = "digest-only".into();
    let (_, r) = call(&store, &webhook(serde_json::to_vec(&body).unwrap()));
    assert_eq!(r["outcome"], "ignored");
    assert_eq!(badge_message(&store, "hello-world"), "no tags");
    call(&store, &webhook(fixture("push.json")));
    let (_, again) = call(&store, &webhook(fixture("push.json")));
    assert_eq!(again["outcome"], "duplicate");
    let (_, history) = call(&store, &get("/api/history/hello-world"));
    assert_eq!(history["events"].as_array().unwrap().len(), 2);
}

#[test]
fn unknown_action_is_ignored_with_a_reason() {
    let store = MemoryStore::new();
    let (status, body) = call(
        &store,
        &webhook(br#"{"action":"image_scan","target":{}}"#.to_vec()),
    );
    assert_eq!((status, body["outcome"].as_str()), (200, Some("ignored")));
    assert!(body["reason"].as_str().unwrap().contains("push"));
    assert!(store.dump().is_empty());
}

#[test]
fn manual_reference_and_categories() {
    let store = MemoryStore::new();
    let set = |url: &str| {
        Request::new(Method::Post, "/api/reference")
            .with_json(
                serde_json::to_vec(&serde_json::json!({ "name": "wash", "url": url })).unwrap(),
            )
            .with_authorization(TOKEN)
    };
    let (status, body) = call(&store, &set("wasmcloud.azurecr.io/wash:0.18.1"));
    assert_eq!(
        (status, body["latest"]["reference"].as_str()),
        (200, Some("wasmcloud.azurecr.io/wash:0.18.1"))
    );
    assert_eq!(call(&store, &set("wasmcloud.azurecr.io/other:1")).0, 400);
    let put = Request::new(Method::Put, "/api/categories/tools/wash").with_authorization(TOKEN);
    assert_eq!(call(&store, &put).0, 200);
    assert_eq!(call(&store, &put).0, 200, "adding twice is harmless");
    let (_, list) = call(&store, &get("/api/categories/tools"));
    assert_eq!(
        list["members"],
        serde_json::json!([{ "name": "wasmcloud.azurecr.io/wash", "reference": "wasmcloud.azurecr.io/wash:0.18.1", "pinned": "wasmcloud.azurecr.io/wash:0.18.1" }])
    );
    let delete =
        Request::new(Method::Delete, "/api/categories/tools/wash").with_authorization(TOKEN);
    assert_eq!(call(&store, &delete).0, 200);
    let (_, list) = call(&store, &get("/api/categories/tools"));
    assert_eq!(list["members"], serde_json::json!([]));
    let anonymous = Request::new(Method::Put, "/api/categories/tools/wash");
    assert_eq!(call(&store, &anonymous).0, 401);
}

#[test]
fn policy_last_push_reproduces_ocireffer() {
    let store = MemoryStore::new();
    let cfg = Config::from_pairs([("webhook_token", TOKEN), ("policy", "last-push")]).unwrap();
    for (id, tag, at) in [("a", "0.18.1", 1), ("b", "0.17.5", 2)] {
        call_with(
            &store,
            &webhook(push_json(id, "wash", tag, 1, at)),
            &context(cfg.clone()),
        );
    }
    let (_, badge) = call_with(&store, &get("/wash?format=tag"), &context(cfg));
    assert_eq!(badge["message"], "0.17.5");
}

// --- security and bad input -----------------------------------------------------------

/// Each request must get `status` with a JSON error `code`, and leave the store as it was.
fn assert_refused(store: &MemoryStore, request: &Request, status: u16, code: &str) {
    let before = store.dump();
    let (got, body) = call(store, request);
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{request:?} -> {body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(store.dump(), before, "{request:?} changed the store");
}

#[test]
fn writes_need_the_token() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.18.1", 1, 1);
    let body = push_json("e2", "wash", "9.9.9", 2, 2);
    let no_token = Request::new(Method::Post, "/api/azurehook").with_json(body.clone());
    assert_refused(&store, &no_token, 401, "unauthorized");
    let last_byte = format!("Bearer {}X", &TOKEN[..TOKEN.len() - 1]);
    assert_refused(
        &store,
        &no_token.clone().with_authorization(&last_byte),
        401,
        "unauthorized",
    );
    let unconfigured = context(Config::default());
    let before = store.dump();
    let (status, error) = call_with(&store, &webhook(body), &unconfigured);
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (401, Some("token-not-configured"))
    );
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("webhook_token"));
    assert_eq!(store.dump(), before);
}

#[test]
fn the_token_never_appears_in_a_response() {
    let store = MemoryStore::new();
    let requests = [
        webhook(fixture("push.json")),
        webhook(b"{".to_vec()),
        Request::new(Method::Post, "/api/azurehook")
            .with_json(fixture("push.json"))
            .with_authorization("Bearer wrong"),
        get("/hello-world"),
        get("/api/refs/hello-world"),
        get("/"),
    ];
    for r in &requests {
        let response = ociref::api::handle(r, &store, &context(config()));
        let text = String::from_utf8_lossy(&response.body);
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!response.log.unwrap_or_default().contains(TOKEN));
    }
}

#[test]
fn client_errors_are_json_and_change_nothing() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.18.1", 1, 1);
    let mut oversized = webhook(Vec::new());
    oversized.body = Body::TooLarge;
    let mut stalled = webhook(Vec::new());
    stalled.body = Body::TimedOut;
    let form = Request::new(Method::Post, "/api/azurehook").with_authorization(TOKEN);
    let mut form = form.with_json(fixture("push.json"));
    form.headers.retain(|(n, _)| n != "content-type");
    form = form.with_header("content-type", "application/x-www-form-urlencoded");
    let cases: Vec<(Request, u16, &str)> = vec![
        (webhook(b"{\"action\":".to_vec()), 400, "invalid-json"),
        (webhook(b"[]".to_vec()), 400, "invalid-json"),
        (webhook(br#"{"action":"push","target":{"repository":"UP","digest":"sha256:x"},"request":{"host":"h.io"}}"#.to_vec()), 400, "invalid-payload"),
        (oversized, 413, "payload-too-large"),
        (stalled, 408, "request-timeout"),
        (form, 415, "unsupported-media-type"),
        (get("/api/nothing"), 404, "not-found"),
        (get("/favicon.ico"), 404, "not-found"),
        (get("/api/refs/wash/../etc/passwd"), 400, "invalid-name"),
        (get("/api/refs/wash%2Fx"), 400, "invalid-name"),
        (get("/api/history/wash?limit=0"), 400, "invalid-query"),
        (Request::new(Method::Delete, "/wash"), 405, "method-not-allowed"),
        (Request::new(Method::Get, "/api/azurehook"), 405, "method-not-allowed"),
    ];
    for (request, status, code) in &cases {
        assert_refused(&store, request, *status, code);
    }
    let response = ociref::api::handle(&get("/api/azurehook"), &store, &context(config()));
    assert_eq!(response.header("allow"), Some("POST"));
    assert_eq!(response.header("content-type"), Some("application/json"));
}

// --- outages and faults ---------------------------------------------------------------

#[test]
fn an_outage_is_unavailable_never_not_published() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.18.1", 1, 1);
    store.set_unavailable(true);
    let (status, badge) = call(&store, &get("/wash"));
    assert_eq!(
        (status, badge["message"].as_str(), &badge["isError"]),
        (200, Some("unavailable"), &Value::Bool(true))
    );
    let response = ociref::api::handle(
        &webhook(push_json("e2", "wash", "1.0.0", 2, 2)),
        &store,
        &context(config()),
    );
    assert_eq!(response.status, 503);
    let body = String::from_utf8_lossy(&response.body);
    assert!(
        body.contains("store-unavailable") && !body.contains("injected"),
        "{body}"
    );
    assert!(
        response.log.unwrap().contains("injected"),
        "the detail goes to the log"
    );
    assert_eq!(call(&store, &get("/healthz")).0, 503);
    assert_eq!(call(&store, &get("/api/refs/wash")).0, 503);
    store.set_unavailable(false);
    assert_eq!(
        badge_message(&store, "wash"),
        "wasmcloud.azurecr.io/wash:0.18.1"
    );
}

#[test]
fn a_store_failure_at_any_operation_never_shows_a_wrong_latest() {
    // For every N: fail the Nth store call of a push, then check that what readers see is the
    // state of a clean run with or without that push (it answered 503, so either is honest),
    // and that a redelivery afterwards converges to the clean run with it.
    let mut failed = 0;
    for n in 0..8 {
        let store = MemoryStore::new();
        push(&store, "e1", "wash", "1.0.0", 1, 1);
        push(&store, "e2", "wash", "1.1.0", 2, 2);
        store.fail_nth_call(n);
        let (status, _) = call(&store, &webhook(push_json("e3", "wash", "1.2.0", 3, 3)));
        store.clear_faults();
        failed += usize::from(status == 503);
        let shown = badge_message(&store, "wash?format=tag");
        assert!(
            shown == "1.1.0" || shown == "1.2.0",
            "n={n} status={status} shows {shown}"
        );
        if status == 200 {
            assert_eq!(shown, "1.2.0", "n={n}: accepted but not shown");
        }
        push(&store, "e3", "wash", "1.2.0", 3, 3);
        push(&store, "e4", "wash", "1.0.1", 4, 4);
        assert_eq!(badge_message(&store, "wash?format=tag"), "1.2.0", "n={n}");
    }
    assert_eq!(
        failed, 3,
        "a push to a tracked repository makes three store calls"
    );
}

#[test]
fn reads_cost_one_store_round_trip_and_pushes_at_most_four() {
    let store = MemoryStore::new();
    push(&store, "e1", "wash", "0.1.0", 1, 1);
    for i in 2..50 {
        let before = store.calls().len();
        push(&store, &format!("e{i}"), "wash", &format!("0.{i}.0"), i, i);
        assert!(
            store.calls().len() - before <= 4,
            "push {i}: {:?}",
            &store.calls()[before..]
        );
    }
    // Host and repository: one round trip. The repository alone first finds its host.
    let before = store.calls().len();
    badge_message(&store, &format!("{HOST}/wash"));
    assert_eq!(store.calls().len() - before, 1);
    let before = store.calls().len();
    badge_message(&store, "wash");
    assert_eq!(store.calls().len() - before, 2);
    assert!(store.dump().keys().all(|k| k.starts_with("ociref:v2:")));
    assert!(store
        .dump()
        .contains_key(&keys::RepoKeys::tracked(HOST, "wash").latest()));
}
