//! The Atom feeds through `api::handle`: `/<name>.atom` (one entry per change of what the badge
//! shows), `/.atom` (every repository), read back by a feed parser; validators and errors.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use atom_syndication::Feed;
use common::*;
use ociref::api::handle;
use ociref::http::Response;
use ociref::store::MemoryStore;

fn push(store: &MemoryStore, repository: &str, tag: &str, d: u64, at: u64) {
    let id = format!("{repository}-{tag}-{at}");
    let (status, body) = call(store, &webhook(push_json(&id, repository, tag, d, at)));
    assert_eq!(status, 200, "{body}");
}

fn fetch(store: &MemoryStore, path: &str) -> Response {
    handle(&get(path), store, &context(config()))
}

/// The feed at `path`, parsed, with what every Atom feed and entry must have.
fn feed(store: &MemoryStore, path: &str) -> Feed {
    let response = fetch(store, path);
    assert_eq!(response.status, 200, "{path}");
    assert_eq!(
        response.header("content-type"),
        Some("application/atom+xml")
    );
    let feed: Feed = std::str::from_utf8(&response.body)
        .unwrap()
        .parse()
        .unwrap();
    assert!(!feed.id().is_empty() && !feed.title().is_empty());
    assert_eq!(feed.authors()[0].name(), "ociref");
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
    for entry in feed.entries() {
        assert!(!entry.id().is_empty() && !entry.title().is_empty());
        assert!(entry.links().iter().any(|l| l.rel() == "alternate"));
        assert!(entry.content().and_then(|c| c.value()).is_some());
    }
    if let Some(newest) = feed.entries().iter().map(|e| e.updated()).max() {
        assert_eq!(feed.updated(), newest);
    }
    feed
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries()
        .iter()
        .map(|e| e.title().as_str().to_owned())
        .collect()
}

#[test]
fn one_entry_per_new_latest_newest_first() {
    let store = MemoryStore::new();
    push(&store, "wash", "1.0.0", 1, 1);
    push(&store, "wash", "0.9.0", 2, 2); // lower: the badge does not change
    push(&store, "wash", "1.1.0", 3, 3);
    let (status, _) = call(&store, &webhook(delete_json("del", "wash", 3, 4)));
    assert_eq!(status, 200);
    let feed = feed(&store, "/wash.atom");
    let name = format!("{HOST}/wash");
    assert_eq!(
        titles(&feed),
        [
            format!("{name}:1.0.0"), // shown again once 1.1.0 was deleted
            format!("{name}:1.1.0"),
            format!("{name}:1.0.0"),
        ]
    );
    let newest = &feed.entries()[0];
    assert_eq!(newest.id(), format!("urn:ociref:{name}:4"));
    assert_eq!(
        newest.updated().to_rfc3339(),
        "2023-11-17T16:00:04.000000004+00:00"
    );
    assert_eq!(newest.links()[0].href(), format!("/{name}"));
    let content = newest.content().unwrap().value().unwrap();
    assert!(
        content.contains(&format!("digest: {}", digest(1))),
        "{content}"
    );
    assert!(content.contains(&format!("pinned: {name}:1.0.0@{}", digest(1))));
    assert_eq!(feed.updated(), newest.updated());
    assert_eq!(feed.id(), format!("urn:ociref:{name}"));
    // The host form is the same feed.
    assert_eq!(
        fetch(&store, &format!("/{name}.atom")).body,
        fetch(&store, "/wash.atom").body
    );
}

#[test]
fn the_feed_of_every_repository_has_each_current_release_newest_first() {
    let store = MemoryStore::new();
    push(&store, "old", "1.0.0", 1, 1);
    push(&store, "team/app", "2.0.0", 2, 5);
    push(&store, "wash", "0.18.1", 3, 3);
    push(&store, "wash", "0.19.0", 4, 4);
    push(
        &store,
        "sigs",
        &format!("sha256-{}.sig", "0a".repeat(32)),
        5,
        6,
    ); // shows no tag
    let all = feed(&store, "/.atom");
    assert_eq!(
        titles(&all),
        [
            format!("{HOST}/team/app:2.0.0"),
            format!("{HOST}/wash:0.19.0"),
            format!("{HOST}/old:1.0.0"),
        ]
    );
    assert_eq!(all.id(), "urn:ociref:all");
    // Empty, it is still a valid feed.
    assert!(feed(&MemoryStore::new(), "/.atom").entries().is_empty());
}

#[test]
fn etag_last_modified_and_304() {
    let store = MemoryStore::new();
    push(&store, "wash", "1.0.0", 1, 1);
    let first = fetch(&store, "/wash.atom");
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();
    assert_eq!(modified, "Fri, 17 Nov 2023 16:00:01 GMT");
    assert_eq!(first.header("cache-control"), Some("max-age=300"));
    let conditional = |name: &str, value: &str| {
        handle(
            &get("/wash.atom").with_header(name, value),
            &store,
            &context(config()),
        )
    };
    let not_modified = conditional("if-none-match", &etag);
    assert_eq!((not_modified.status, not_modified.body.len()), (304, 0));
    assert_eq!(conditional("if-modified-since", &modified).status, 304);
    push(&store, "wash", "1.1.0", 2, 2);
    assert_eq!(conditional("if-none-match", &etag).status, 200);
    assert_eq!(conditional("if-modified-since", &modified).status, 200);
}

#[test]
fn errors_are_json_and_say_why() {
    let store = MemoryStore::new();
    push(&store, "wash", "1.0.0", 1, 1);
    for (path, status, code) in [
        ("/nothing-here.atom", 404, "not-found"),
        ("/UtaiteBOX/server.atom", 400, "invalid-name"),
    ] {
        let (got, body) = call(&store, &get(path));
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}"
        );
    }
    // Two registries with one name: the bare name is ambiguous, as for /api/refs.
    let other = push_json("o1", "wash", "2.0.0", 9, 9);
    let other = String::from_utf8(other)
        .unwrap()
        .replace(HOST, "other.azurecr.io");
    let (status, _) = call(&store, &webhook(other.into_bytes()));
    assert_eq!(status, 200);
    assert_eq!(call(&store, &get("/wash.atom")).0, 409);
    assert_eq!(fetch(&store, "/other.azurecr.io/wash.atom").status, 200);
    store.set_unavailable(true);
    let (status, body) = call(&store, &get(&format!("/{HOST}/wash.atom")));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("store-unavailable"))
    );
    assert_eq!(call(&store, &get("/.atom")).0, 503);
}

#[test]
fn a_repository_named_like_a_feed_keeps_its_urls() {
    let store = MemoryStore::new();
    push(&store, "news.atom", "1.0.0", 1, 1);
    let feed = feed(&store, "/news.atom.atom");
    assert_eq!(titles(&feed), [format!("{HOST}/news.atom:1.0.0")]);
    assert_eq!(
        badge_message(&store, "news.atom.json"),
        format!("{HOST}/news.atom:1.0.0")
    );
    // `/news.atom` is the feed of `news`, which is not published.
    assert_eq!(fetch(&store, "/news.atom").status, 404);
}
