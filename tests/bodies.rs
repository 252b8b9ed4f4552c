//! Response bodies byte for byte. Clients and the README transcripts see these exact bytes: keys
//! in alphabetical order, as the first release wrote them, and `null` where it wrote null.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use ociref::api::handle;
use ociref::http::{Method, Request};
use ociref::store::{keys, MemoryStore};

fn body(store: &MemoryStore, request: &Request) -> String {
    let response = handle(request, store, &context(config()));
    String::from_utf8(response.body).unwrap()
}

fn authorized(method: Method, path: &str) -> Request {
    Request::new(method, path).with_authorization(&format!("Bearer {TOKEN}"))
}

const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

#[test]
fn webhook_answers() {
    let store = MemoryStore::new();
    let recorded = format!(
        r#"{{"action":"push","latest":{{"digest":"{DIGEST}","event_id":"cb8c3971-9adc-488b-8b1d-43cbb4974ff5","media_type":"application/vnd.docker.distribution.manifest.v2+json","name":"myregistry.azurecr.io/hello-world","pinned":"myregistry.azurecr.io/hello-world:v1@{DIGEST}","policy":"semver","pushed_at":"2023-11-17T16:52:01.343145347Z","reference":"myregistry.azurecr.io/hello-world:v1","registry":"myregistry.azurecr.io","repository":"hello-world","tag":"v1"}},"outcome":"recorded","repository":"hello-world","seq":1,"stored":{{"tag":"v1"}}}}"#
    );
    assert_eq!(body(&store, &webhook(fixture("push.json"))), recorded);
    assert_eq!(
        body(&store, &webhook(fixture("delete.json"))),
        r#"{"action":"delete","latest":null,"outcome":"withdrawn","repository":"hello-world","seq":2,"withdrawn_tags":1}"#
    );
    assert_eq!(
        body(&store, &webhook(fixture("push.json"))),
        r#"{"action":"push","latest":null,"outcome":"duplicate","reason":"this event id was already recorded","repository":"hello-world","stored":{"tag":"v1"}}"#
    );
    assert_eq!(
        body(&store, &webhook(fixture("chart_push.json"))),
        r#"{"outcome":"ignored","reason":"legacy ACR Helm repositories are not tracked (Helm 3 charts pushed as OCI artifacts are)","sender":"acr"}"#
    );
    assert_eq!(
        body(&store, &webhook(fixture("ping.json"))),
        r#"{"action":"ping","authenticated":true,"outcome":"pong"}"#
    );
    assert_eq!(
        body(&store, &webhook(br#"{"action":"image_scan"}"#.to_vec())),
        r#"{"outcome":"ignored","reason":"ociref tracks push, delete, quarantine, not image_scan","sender":"acr"}"#
    );
    // What the store keeps for the badge: the current tag beside its record, flat.
    call(&store, &webhook(push_json("e1", "wash", "0.18.1", 2, 7)));
    let latest = store
        .dump()
        .remove(&keys::RepoKeys::tracked(HOST, "wash").latest())
        .unwrap();
    assert_eq!(
        String::from_utf8(latest).unwrap(),
        format!(
            r#"{{"stamp":1,"selection":{{"policy":"semver","include_prereleases":false}},"current":{{"tag":"0.18.1","host":"{HOST}","digest":"{}","media_type":"application/vnd.oci.image.manifest.v1+json","pushed":{{"at":1700236807000000007,"id":"e1"}}}}}}"#,
            digest(2)
        )
    );
}

#[test]
fn reads() {
    let store = MemoryStore::new();
    call(&store, &webhook(push_json("e1", "wash", "0.18.1", 2, 7)));
    call(&store, &webhook(fixture("quarantine.json")));
    let d = digest(2);
    assert_eq!(
        body(&store, &get("/api/refs/wash")),
        format!(
            r#"{{"name":"{HOST}/wash","registry":"{HOST}","repository":"wash","tag":"0.18.1","digest":"{d}","media_type":"application/vnd.oci.image.manifest.v1+json","reference":"{HOST}/wash:0.18.1","pinned":"{HOST}/wash:0.18.1@{d}","pushed_at":"2023-11-17T16:00:07.000000007Z","event_id":"e1","policy":"semver"}}"#
        )
    );
    assert_eq!(
        body(&store, &get("/api/refs?limit=1")),
        format!(
            r#"{{"next_cursor":2,"repositories":[{{"name":"{HOST}/wash","pinned":"{HOST}/wash:0.18.1@{d}","reference":"{HOST}/wash:0.18.1"}}]}}"#
        )
    );
    assert_eq!(
        body(&store, &get("/api/refs?cursor=2")),
        r#"{"next_cursor":null,"repositories":[{"name":"myregistry.azurecr.io/helloworld","pinned":null,"reference":null}]}"#
    );
    assert_eq!(
        body(&store, &get("/api/history/wash")),
        format!(
            r#"{{"events":[{{"action":"push","digest":"{d}","host":"{HOST}","id":"e1","outcome":"recorded","recorded_at":"2023-11-14T22:13:20Z","repository":"wash","seq":1,"source":"acr","tag":"0.18.1","timestamp":"2023-11-17T16:00:07.000000007Z"}}],"name":"{HOST}/wash"}}"#
        )
    );
    assert_eq!(
        body(
            &store,
            &authorized(Method::Put, "/api/categories/tools/wash")
        ),
        r#"{"category":"tools","member":true,"name":"wash"}"#
    );
    assert_eq!(
        body(&store, &get("/api/categories/tools")),
        format!(
            r#"{{"category":"tools","members":[{{"name":"{HOST}/wash","pinned":"{HOST}/wash:0.18.1@{d}","reference":"{HOST}/wash:0.18.1"}}]}}"#
        )
    );
    assert_eq!(
        body(
            &store,
            &authorized(Method::Delete, "/api/categories/tools/wash")
        ),
        r#"{"category":"tools","member":false,"name":"wash"}"#
    );
    assert_eq!(body(&store, &get("/healthz")), r#"{"status":"ok"}"#);
    assert_eq!(
        body(&store, &get("/")),
        r#"{"endpoints":{"GET /<host>/<repository>":"shields.io endpoint badge (query: format=ref|tag|pinned, label, color, logo); /<repository> when one registry has the name","GET /<name>.atom":"Atom feed of a repository's releases, newest first; /.atom: every repository's","GET /<name>.svg":"the badge as an SVG image, always 200 (query as the JSON badge, and style=flat|flat-square|plastic|social|for-the-badge)","GET /api/categories/<category>":"a named list with current references","GET /api/history/<name>?limit=N":"recent events, newest first (N up to 100)","GET /api/refs":"every tracked repository (?cursor, ?limit up to 1000)","GET /api/refs/<name>":"the current reference record","GET /healthz":"200 when the store answers","POST /api/azurehook":"Azure Container Registry webhook (Authorization: Bearer <token>), as /api/hooks/acr","POST /api/hooks/<registry>":"registry webhook: acr, distribution, harbor, ecr (Authorization: Bearer <token>), ghcr (X-Hub-Signature-256)","POST /api/hooks/<registry>/<token>":"registry webhook for senders that cannot set a header: dockerhub, quay, gar","POST /api/reconcile":"check every tracked repository of every configured registry against the registry and correct it (token required; resumes)","POST /api/reconcile/<host>/<repository>":"check one repository against its registry and correct it (token required)","POST /api/reference":"set a reference by hand: {\"name\", \"url\"}","PUT|DELETE /api/categories/<category>/<name>":"add to or remove from a list"},"service":"ociref"}"#
    );
}
