//! A store written by ociref 0.1 (keys by repository alone) serves the same badges, records
//! and histories after the upgrade, with no migration step: tests/fixtures/legacy holds such a
//! store, dumped by 0.1 itself, and what 0.1 answered from it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use ociref::store::{MemoryStore, Store};
use serde_json::Value;

fn legacy() -> (MemoryStore, Value) {
    let path = format!(
        "{}/tests/fixtures/legacy/ociref-0.1-store.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let store = MemoryStore::new();
    let entries: Vec<(String, Vec<u8>)> = fixture["store"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().as_bytes().to_vec()))
        .collect();
    store.set_many(&entries).unwrap();
    (store, fixture["answers"].clone())
}

/// 0.2 names a repository `host/repository` where 0.1 named it by its repository.
fn renamed(mut body: Value) -> Value {
    if let (Some(host), Some(repo)) = (body["registry"].as_str(), body["repository"].as_str()) {
        body["name"] = format!("{host}/{repo}").into();
    }
    for list in ["repositories", "members"] {
        let items = body.get_mut(list).and_then(Value::as_array_mut);
        for item in items.into_iter().flatten() {
            if let Some(reference) = item["reference"].as_str() {
                item["name"] = reference.rsplit_once(':').unwrap().0.into();
            }
        }
    }
    body
}

#[test]
fn badges_records_and_histories_of_a_0_1_store_are_served_as_they_were() {
    let (store, answers) = legacy();
    for (path, then) in answers.as_object().unwrap() {
        let (status, body) = call(&store, &get(path));
        let mut expected = renamed(then["body"].clone());
        if path.starts_with("/api/history/") {
            // The history names the repository as the badge URL does now.
            let (_, record) = call(
                &store,
                &get(&path
                    .replace("/api/history/", "/api/refs/")
                    .replace("?limit=100", "")),
            );
            if let Some(name) = record["name"].as_str() {
                expected["name"] = name.into();
            }
        }
        assert_eq!(
            status,
            then["status"].as_u64().unwrap() as u16,
            "{path}: {body}"
        );
        assert_eq!(body, expected, "{path}");
    }
}

#[test]
fn writes_to_a_0_1_repository_land_beside_its_history_and_new_ones_in_0_2_keys() {
    let (store, _) = legacy();
    assert_eq!(
        call(&store, &webhook(push_json("w4", "wash", "0.19.0", 9, 9))).0,
        200
    );
    assert_eq!(badge_message(&store, "wash"), format!("{HOST}/wash:0.19.0"));
    let (_, history) = call(&store, &get(&format!("/api/history/{HOST}/wash?limit=100")));
    let ids: Vec<_> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["w4", "w3", "w2", "w1"]);
    assert!(store
        .dump()
        .keys()
        .all(|k| !k.starts_with("ociref:v2:latest:")));
    // Its state stays JSON, as 0.1 reads it (0.2 keys hold packed states).
    let state = &store.dump()["ociref:v1:state:wash"];
    assert!(serde_json::from_slice::<Value>(state).is_ok());
    // Another registry's `wash` is another repository: the 0.1 one keeps its badge.
    let other = String::from_utf8(push_json("o1", "wash", "9.9.9", 10, 10))
        .unwrap()
        .replace(HOST, "other.example.com");
    assert_eq!(call(&store, &webhook(other.into_bytes())).0, 200);
    assert_eq!(
        badge_message(&store, &format!("{HOST}/wash")),
        format!("{HOST}/wash:0.19.0")
    );
    assert_eq!(
        badge_message(&store, "other.example.com/wash"),
        "other.example.com/wash:9.9.9"
    );
    assert!(badge_message(&store, "wash").contains("2 registries have this name"));
    // A repository 0.1 never saw goes to 0.2 keys and the listing shows both kinds.
    assert_eq!(
        call(&store, &webhook(push_json("n1", "newapp", "1.0.0", 11, 11))).0,
        200
    );
    let (_, listing) = call(&store, &get("/api/refs?limit=1000"));
    let names: Vec<_> = listing["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&format!("{HOST}/wash")) && names.contains(&format!("{HOST}/newapp")),
        "{names:?}"
    );
    assert!(
        names.contains(&"other.example.com/wash".to_owned()),
        "{names:?}"
    );
}
