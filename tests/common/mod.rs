//! Helpers shared by the native test suites: requests, fixtures and payload builders.
#![allow(dead_code)]

use ociref::api::{handle, Context};
use ociref::config::Config;
use ociref::http::{Method, Request, Response};
use ociref::store::Store;
use ociref::timestamp::Timestamp;
use serde_json::Value;

pub const TOKEN: &str = "test-token-0123456789";
pub const HOST: &str = "wasmcloud.azurecr.io";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/acr/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn config() -> Config {
    Config::from_pairs([("webhook_token", TOKEN)]).unwrap()
}

pub fn context(config: Config) -> Context {
    Context {
        config: Ok(config),
        now: Timestamp(1_700_000_000 * Timestamp::NANOS_PER_SECOND),
    }
}

pub fn digest(n: u64) -> String {
    format!("sha256:{n:064x}")
}

/// An ACR push payload for `repository:tag` with digest number `d`, event id `id`, at second `at`.
pub fn push_json(id: &str, repository: &str, tag: &str, d: u64, at: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "timestamp": format!("2023-11-17T16:{:02}:{:02}.{:09}Z", at / 60 % 60, at % 60, at),
        "action": "push",
        "target": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "size": 524,
            "digest": digest(d),
            "repository": repository,
            "tag": tag
        },
        "request": { "id": "r", "host": HOST, "method": "PUT", "useragent": "test" }
    }))
    .unwrap()
}

pub fn delete_json(id: &str, repository: &str, d: u64, at: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "timestamp": format!("2023-11-17T16:{:02}:{:02}.{:09}Z", at / 60 % 60, at % 60, at),
        "action": "delete",
        "target": { "digest": digest(d), "repository": repository },
        "request": { "id": "r", "host": HOST, "method": "DELETE" }
    }))
    .unwrap()
}

pub fn webhook(body: Vec<u8>) -> Request {
    Request::new(Method::Post, "/api/azurehook")
        .with_json(body)
        .with_authorization(&format!("Bearer {TOKEN}"))
}

pub fn get(path: &str) -> Request {
    Request::new(Method::Get, path)
}

pub fn call(store: &impl Store, request: &Request) -> (u16, Value) {
    call_with(store, request, &context(config()))
}

pub fn call_with(store: &impl Store, request: &Request, context: &Context) -> (u16, Value) {
    let response: Response = handle(request, store, context);
    let body = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "{} body is not JSON ({e}): {:?}",
            response.status, response.body
        )
    });
    (response.status, body)
}

/// The badge message of `/<name>`, asserting the answer is a schema-valid badge.
pub fn badge_message(store: &impl Store, name: &str) -> String {
    let (status, badge) = call(store, &get(&format!("/{name}")));
    assert_eq!(status, 200, "{badge}");
    assert_schema_valid(&badge);
    badge["message"].as_str().unwrap().to_owned()
}

/// Only shields.io endpoint keys, with the right types and a non-empty message.
pub fn assert_schema_valid(badge: &Value) {
    let object = badge.as_object().expect("badge is an object");
    for (key, value) in object {
        let ok = match key.as_str() {
            "schemaVersion" => value == 1,
            "label" | "color" | "namedLogo" | "labelColor" | "logoColor" | "style" => {
                value.is_string()
            }
            "message" => value.as_str().is_some_and(|m| !m.is_empty()),
            "isError" => value.is_boolean(),
            "cacheSeconds" => value.as_u64().is_some_and(|s| s >= 300),
            _ => false,
        };
        assert!(ok, "badge key {key} = {value} is not schema-valid: {badge}");
    }
    for required in ["schemaVersion", "label", "message"] {
        assert!(
            object.contains_key(required),
            "badge lacks {required}: {badge}"
        );
    }
}
