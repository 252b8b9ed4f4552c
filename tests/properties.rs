//! Property tests: what a repository shows depends only on the set of events it was sent, never
//! on their order or on redeliveries, and equals a reference model written here from the
//! product rules (not from `state.rs`); and a badge is schema-valid whatever the store holds
//! and whatever the query string says.
//!
//! Everything goes through `api::handle` with the in-memory store, as the host module calls it.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{assert_schema_valid, context, digest, webhook, TOKEN};
use ociref::api::{handle, Context};
use ociref::config::Config;
use ociref::http::{Method, Request, Response};
use ociref::store::{keys, MemoryStore, Store};
use ociref::timestamp::Timestamp;
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{json, Value};
use std::collections::HashSet;

const REPO: &str = "team/app";
/// ociref 0.1 merged the pushes of two hosts into one repository; 0.2 keys by
/// `host/repository`, so two hosts are two repositories (tests/registries.rs). The model here
/// is one repository: both indices name its host.
const HOSTS: [&str; 2] = ["a.azurecr.io", "a.azurecr.io"];
/// 2024-05-01T12:00:00Z, after the test context's `now` (2023-11-14), in nanoseconds.
const BASE_NANOS: i64 = 1_714_564_800 * Timestamp::NANOS_PER_SECOND;

/// A small alphabet so that pushes collide: equal versions (`1.0.0`, `v1.0.0`), releases,
/// pre-releases, non-versions, cosign artifacts and a look-alike that is an ordinary tag.
fn tags() -> Vec<String> {
    let hex = "0123456789abcdef".repeat(4);
    vec![
        "1.0.0".into(),
        "v1.0.0".into(),
        "1.2.0".into(),
        "v1.10.0".into(),
        "2.0.0-rc.1".into(),
        "2.0.0-rc.10".into(),
        "0.1.0-alpha".into(),
        "latest".into(),
        "main".into(),
        "01.2.3".into(),
        "sha256-abc.sig".into(),
        format!("sha256-{hex}.sig"),
        format!("sha256-{hex}.att"),
        format!("sha256-{hex}.sbom"),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Push { tag: usize, host: usize },
    Delete,
    Quarantine,
}

#[derive(Debug, Clone)]
struct Ev {
    id: String,
    kind: Kind,
    digest: u64,
    /// Half-seconds after `BASE_NANOS`; `None`: the payload has no timestamp.
    at: Option<u8>,
}

impl Ev {
    /// The instant the service orders this event by: the registry's timestamp, or the time
    /// ociref received it (the test context's `now`).
    fn nanos(&self) -> i64 {
        match self.at {
            Some(n) => BASE_NANOS + i64::from(n) * Timestamp::NANOS_PER_SECOND / 2,
            None => context(Config::default()).now.0,
        }
    }

    /// Delivery order is `(timestamp, id)`; ids are distinct, so this is a total order.
    fn key(&self) -> (i64, &str) {
        (self.nanos(), &self.id)
    }

    fn payload(&self) -> Vec<u8> {
        let (action, tag, host) = match self.kind {
            Kind::Push { tag, host } => ("push", Some(tags()[tag].clone()), HOSTS[host]),
            Kind::Delete => ("delete", None, HOSTS[0]),
            // ACR's quarantine events carry the tag that is waiting.
            Kind::Quarantine => ("quarantine", Some("1.0.0".to_owned()), HOSTS[0]),
        };
        let mut body = json!({
            "id": self.id,
            "action": action,
            "target": {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest(self.digest),
                "repository": REPO,
            },
            "request": { "id": "r", "host": host, "method": "PUT" },
        });
        if let Some(tag) = tag {
            body["target"]["tag"] = tag.into();
        }
        if let Some(n) = self.at {
            body["timestamp"] = format!(
                "2024-05-01T12:00:{:02}.{}Z",
                n / 2,
                if n % 2 == 1 { "5000000" } else { "0" }
            )
            .into();
        }
        serde_json::to_vec(&body).unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    Semver { include_prereleases: bool },
    LastPush,
}

impl Policy {
    fn config(self) -> Config {
        let (policy, pre) = match self {
            Self::Semver {
                include_prereleases,
            } => ("semver", include_prereleases),
            Self::LastPush => ("last-push", false),
        };
        Config::from_pairs([
            ("webhook_token", TOKEN),
            ("policy", policy),
            ("include_prereleases", if pre { "true" } else { "false" }),
        ])
        .unwrap()
    }
}

// --- the reference model ----------------------------------------------------------------

/// What the repository should show.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    Tag {
        tag: String,
        host: &'static str,
        digest: u64,
        id: String,
        nanos: i64,
    },
    /// No eligible live tag; the badge message says why.
    Empty(&'static str),
}

/// Cosign's `sha256-<64 lowercase hex>.sig|.att|.sbom` tags are never a release.
fn is_cosign(tag: &str) -> bool {
    let Some((hex, suffix)) = tag.strip_prefix("sha256-").and_then(|r| r.split_once('.')) else {
        return false;
    };
    hex.len() == 64
        && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(suffix, "sig" | "att" | "sbom")
}

fn version(tag: &str) -> Option<semver::Version> {
    semver::Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

type Candidate<'a> = (&'a str, &'a Ev);

fn newest_push<'a>(candidates: &[Candidate<'a>]) -> Option<Candidate<'a>> {
    candidates
        .iter()
        .max_by(|a, b| a.1.key().cmp(&b.1.key()))
        .copied()
}

fn highest_version<'a>(candidates: &[Candidate<'a>], prereleases: bool) -> Option<Candidate<'a>> {
    candidates
        .iter()
        .filter_map(|&(tag, e)| version(tag).map(|v| (v, tag, e)))
        .filter(|(v, _, _)| prereleases || v.pre.is_empty())
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.key().cmp(&b.2.key())))
        .map(|(_, tag, e)| (tag, e))
}

/// The rules of issue 2, computed directly from the set of events:
/// - a tag shows its newest push (by timestamp, then id);
/// - it is withdrawn when a delete of its digest is newer than that push;
/// - `semver`: the highest release; with none, the highest pre-release; with no version at
///   all, the most recently pushed tag (`include_prereleases` lets pre-releases compete with
///   releases); equal versions (`1.0.0`, `v1.0.0`): the newer push; `last-push`: the newest;
/// - cosign artifacts never show;
/// - nothing to show: "pending release" while a quarantined digest has had no push and no
///   later delete, else "withdrawn" when some showable tag was pushed, else "no tags".
fn model(events: &[Ev], policy: Policy) -> Shown {
    let tags = tags();
    let mut newest: Vec<Candidate<'_>> = Vec::new();
    for e in events {
        if let Kind::Push { tag, .. } = e.kind {
            match newest.iter_mut().find(|(t, _)| *t == tags[tag]) {
                Some((_, current)) if current.key() >= e.key() => {}
                Some((_, current)) => *current = e,
                None => newest.push((&tags[tag], e)),
            }
        }
    }
    let deleted_after = |digest: u64, key: (i64, &str)| {
        events
            .iter()
            .any(|d| d.kind == Kind::Delete && d.digest == digest && d.key() > key)
    };
    let live: Vec<Candidate<'_>> = newest
        .iter()
        .copied()
        .filter(|(tag, push)| !is_cosign(tag) && !deleted_after(push.digest, push.key()))
        .collect();
    let winner = match policy {
        Policy::LastPush => newest_push(&live),
        Policy::Semver {
            include_prereleases,
        } => highest_version(&live, include_prereleases)
            .or_else(|| highest_version(&live, true))
            .or_else(|| newest_push(&live)),
    };
    if let Some((tag, e)) = winner {
        let Kind::Push { host, .. } = e.kind else {
            unreachable!()
        };
        return Shown::Tag {
            tag: tag.to_owned(),
            host: HOSTS[host],
            digest: e.digest,
            id: e.id.clone(),
            nanos: e.nanos(),
        };
    }
    let pending = events.iter().any(|q| {
        q.kind == Kind::Quarantine
            && !events
                .iter()
                .any(|p| matches!(p.kind, Kind::Push { .. }) && p.digest == q.digest)
            && !deleted_after(q.digest, q.key())
    });
    if pending {
        Shown::Empty("pending release")
    } else if newest.iter().any(|(tag, _)| !is_cosign(tag)) {
        Shown::Empty("withdrawn")
    } else {
        Shown::Empty("no tags")
    }
}

// --- what the service shows --------------------------------------------------------------

fn respond(store: &MemoryStore, request: &Request, context: &Context) -> (Response, Value) {
    let response = handle(request, store, context);
    let body = serde_json::from_slice(&response.body).unwrap();
    (response, body)
}

/// Checks the badge and `/api/refs` record against the model; returns both bodies.
fn assert_shows(store: &MemoryStore, context: &Context, expected: &Shown) -> (Vec<u8>, Vec<u8>) {
    let (badge, message) = respond(store, &Request::new(Method::Get, "/team/app"), context);
    assert_eq!(badge.status, 200);
    assert_schema_valid(&message);
    let (record, body) = respond(
        store,
        &Request::new(Method::Get, "/api/refs/team/app"),
        context,
    );
    match expected {
        Shown::Tag {
            tag,
            host,
            digest: d,
            id,
            nanos,
        } => {
            let reference = format!("{host}/{REPO}:{tag}");
            assert_eq!(message["message"], reference.as_str(), "badge");
            assert_eq!(record.status, 200, "{body}");
            assert_eq!(body["tag"], tag.as_str());
            assert_eq!(body["registry"], *host);
            assert_eq!(body["digest"], digest(*d));
            assert_eq!(body["reference"], reference.as_str());
            assert_eq!(body["pinned"], format!("{reference}@{}", digest(*d)));
            assert_eq!(body["event_id"], id.as_str());
            let pushed_at = Timestamp::parse_rfc3339(body["pushed_at"].as_str().unwrap());
            assert_eq!(pushed_at, Some(Timestamp(*nanos)), "{body}");
        }
        Shown::Empty(why) => {
            assert_eq!(message["message"], *why, "badge");
            assert_eq!(message["isError"], true);
            assert_eq!(record.status, 404, "{body}");
        }
    }
    (badge.body, record.body)
}

fn deliver(store: &MemoryStore, context: &Context, event: &Ev) -> String {
    let (response, body) = respond(store, &webhook(event.payload()), context);
    assert_eq!(response.status, 200, "{event:?}: {body}");
    body["outcome"].as_str().unwrap().to_owned()
}

// --- strategies --------------------------------------------------------------------------

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        6 => (0..tags().len(), 0..HOSTS.len()).prop_map(|(tag, host)| Kind::Push { tag, host }),
        2 => Just(Kind::Delete),
        1 => Just(Kind::Quarantine),
    ]
}

/// 1 to 12 events over 3 digests and 6 seconds, with distinct ids in no particular order.
fn events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (
            kind(),
            1..=3u64,
            prop::option::weighted(0.9, 0..12u8),
            0..16u8,
        ),
        1..=12,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (kind, digest, at, prefix))| Ev {
                id: format!("{prefix:x}-{i}"),
                kind,
                digest,
                at,
            })
            .collect()
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        2 => Just(Policy::Semver { include_prereleases: false }),
        1 => Just(Policy::Semver { include_prereleases: true }),
        1 => Just(Policy::LastPush),
    ]
}

/// Events, a policy, a delivery order with some redeliveries mixed in, and a second order.
fn scenario() -> impl Strategy<Value = (Vec<Ev>, Policy, Vec<usize>, Vec<usize>)> {
    (events(), policy()).prop_flat_map(|(events, policy)| {
        let all: Vec<usize> = (0..events.len()).collect();
        let n = all.len();
        let with_redeliveries = subsequence(all.clone(), 0..=n).prop_flat_map({
            let all = all.clone();
            move |again| {
                let mut order = all.clone();
                order.extend(again);
                Just(order).prop_shuffle()
            }
        });
        (
            Just(events),
            Just(policy),
            with_redeliveries,
            Just(all).prop_shuffle(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any order, any redeliveries: the same badge and record as the model; a redelivery is
    /// reported as a duplicate and changes no byte of the store.
    #[test]
    fn what_a_repository_shows_is_the_model_whatever_the_order(
        (events, policy, order, other_order) in scenario()
    ) {
        let context = context(policy.config());
        let expected = model(&events, policy);

        let store = MemoryStore::new();
        let mut delivered = HashSet::new();
        for &i in &order {
            let outcome = deliver(&store, &context, &events[i]);
            if !delivered.insert(i) {
                prop_assert_eq!(outcome, "duplicate", "redelivery of {:?}", events[i]);
            }
        }
        let shown = assert_shows(&store, &context, &expected);

        // Everything again, in another order: nothing changes, not even a byte.
        let before = store.dump();
        for &i in &other_order {
            prop_assert_eq!(deliver(&store, &context, &events[i]), "duplicate");
        }
        prop_assert!(store.dump() == before, "a redelivery changed the store");

        // History holds every event exactly once.
        let (_, history) = respond(&store, &Request::new(Method::Get, "/api/history/team/app?limit=100"), &context);
        let mut ids: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        let mut sent: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        sent.sort_unstable();
        prop_assert_eq!(ids, sent);

        // A second store fed in the other order answers byte for byte the same.
        let second = MemoryStore::new();
        for &i in &other_order {
            deliver(&second, &context, &events[i]);
        }
        prop_assert!(assert_shows(&second, &context, &expected) == shown, "bodies differ between orders");
    }
}

// --- a badge is always schema-valid -------------------------------------------------------

/// A query string as a hostile client or a confused README could send it.
fn query() -> impl Strategy<Value = String> {
    let encoded = |bytes: Vec<u8>| {
        bytes
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()
    };
    let value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80).prop_map(encoded),
        any::<String>(),
        prop::sample::select(vec![
            "ref",
            "tag",
            "pinned",
            "",
            "blue",
            "%23ff0000",
            "rgb(1,2,3)",
            "docker",
            "a%20b",
            "%00",
            "%0D%0A",
            "%FF%FE",
            "x%",
            "%zz",
            "%F0%9F%A6%80",
        ])
        .prop_map(str::to_owned),
    ];
    let key = prop::sample::select(vec!["format", "label", "color", "logo", "other", ""]);
    let pairs = prop::collection::vec((key, value), 0..5).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    prop_oneof![
        pairs,
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        prop::collection::vec(any::<u8>(), 0..120).prop_map(encoded),
    ]
}

/// A key of the repository overwritten with arbitrary bytes or small numbers, as a
/// half-migrated or hand-edited store could hold.
fn corruption() -> impl Strategy<Value = Option<(usize, Vec<u8>)>> {
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        (0..2000u64).prop_map(|n| n.to_string().into_bytes()),
        prop::sample::select(vec![
            b"{}".to_vec(),
            b"null".to_vec(),
            b"[]".to_vec(),
            br#"{"stamp":1,"selection":{"policy":"semver","include_prereleases":false},"current":null}"#.to_vec(),
        ]),
    ];
    prop::option::weighted(0.5, (0..5usize, bytes))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whatever the store holds and whatever the query: 200, only shields keys, a message.
    #[test]
    fn a_badge_is_always_schema_valid(
        events in events(),
        corruption in corruption(),
        query in query(),
        name in prop::sample::select(vec!["team/app", "a.azurecr.io/team/app", "b.azurecr.io/team/app", "unknown"]),
        head in any::<bool>(),
        misconfigured in prop::bool::weighted(0.1),
        down in prop::bool::weighted(0.1),
    ) {
        let store = MemoryStore::new();
        let ok = context(Policy::Semver { include_prereleases: false }.config());
        for e in &events {
            deliver(&store, &ok, e);
        }
        if let Some((which, bytes)) = corruption {
            let repo = keys::RepoKeys::tracked(HOSTS[0], REPO);
            let key = [
                repo.latest(),
                repo.sequence(),
                repo.state(),
                repo.event(1),
                repo.event(events.len() as u64),
            ][which].clone();
            store.set_many(&[(key, bytes)]).unwrap();
        }
        store.set_unavailable(down);
        let context = if misconfigured {
            Context { config: Err("policy".into()), now: ok.now }
        } else {
            ok
        };
        let method = if head { Method::Head } else { Method::Get };
        let mut request = Request::new(method, &format!("/{name}"));
        request.query = query.clone();
        let response = handle(&request, &store, &context);
        prop_assert_eq!(response.status, 200, "{}?{}", name, query);
        prop_assert_eq!(response.header("content-type"), Some("application/json"));
        let badge: Value = serde_json::from_slice(&response.body).unwrap();
        assert_schema_valid(&badge);
        let label = badge["label"].as_str().unwrap();
        prop_assert!(!label.chars().any(char::is_control), "{}", label);
    }
}
