//! Against a real registry: Debian's `docker-registry` (CNCF Distribution 2.8) sends its own
//! notifications to the release `ociref.wasm` in this host while `skopeo` pushes, deletes and
//! pulls real images. Nothing here builds a notification by hand.
//!
//! The registry and skopeo are system packages (`scripts/setup` installs them). Without them
//! the test says so and passes, unless `CI` is set: then it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use devhost::StoreSpec;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::registry::{sha256, skopeo, write_layout, Deliveries, Registry, Tools};
use support::*;

/// How long the registry may take to deliver what a command caused, and a badge to follow.
const DELIVERY: Duration = Duration::from_secs(30);

/// The repository pushed in the registry.
const REPOSITORY: &str = "team/app";

/// Polls the badge at `path` until its message is `expected`, for at most [`DELIVERY`].
async fn wait_for_badge(addr: SocketAddr, path: &str, expected: &str, registry: &Registry) {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let badge = assert_badge(&get(addr, path).await);
        if badge["message"] == expected {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "after {DELIVERY:?} the badge {path} says {badge}, not {expected:?}.\n\
                 The registry's deliveries to ociref: {}\n{}",
                registry.deliveries().await,
                registry.delivery_errors()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Everything ociref shows about one repository: badge, record and history.
async fn state(addr: SocketAddr, name: &str) -> Value {
    let badge = assert_badge(&get(addr, &format!("/{name}")).await);
    let record = get(addr, &format!("/api/refs/{name}")).await;
    assert_eq!(record.status, 200, "{record:?}");
    let history = get(addr, &format!("/api/history/{name}?limit=100")).await;
    assert_eq!(history.status, 200, "{history:?}");
    serde_json::json!({
        "badge": badge,
        "record": record.json(),
        "history": history.json(),
    })
}

/// The digest the registry serves for a tag: the sha256 of the manifest's bytes.
async fn manifest_digest(registry: &Registry, tag: &str) -> String {
    let reply = request(
        registry.addr(),
        "GET",
        &format!("/v2/{REPOSITORY}/manifests/{tag}"),
        &[("accept", "application/vnd.oci.image.manifest.v1+json")],
        Vec::new(),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    sha256(&reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_distribution_registry_drives_the_badge() {
    let Some(tools) = Tools::or_skip("a_real_distribution_registry_drives_the_badge") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let host = serve(StoreSpec::Redb(data.path().join("ociref.redb"))).await;
    let addr = host.addr();
    let registry = Registry::start(
        &tools,
        &format!("http://{addr}/api/hooks/distribution"),
        TOKEN,
    )
    .await;
    let name = format!("{}/{REPOSITORY}", registry.host());
    let badge_path = format!("/{name}");
    let reference = |tag: &str| format!("{name}:{tag}");
    let remote = |tag: &str| format!("docker://{name}:{tag}");

    // Three pushes, the highest version in the middle: semver keeps it over the last push.
    let tags = ["1.0.0", "1.2.0", "1.1.0"];
    for tag in tags {
        let layout = data.path().join(format!("layout-{tag}"));
        write_layout(&layout, tag);
        let source = format!("oci:{}:{tag}", layout.display());
        skopeo(
            &tools,
            &["copy", "--dest-tls-verify=false", &source, &remote(tag)],
        )
        .await;
    }
    // Each push is two blob events and one manifest event, one request each.
    let attempted = registry.wait_attempted(1, DELIVERY).await;
    eprintln!("notifications reach the host: {attempted}");

    wait_for_badge(addr, &badge_path, &reference("1.2.0"), &registry).await;
    let delivered = registry.wait_delivered(tags.len() as u64, DELIVERY).await;
    eprintln!("after the pushes: {delivered}");
    wait_for_badge(addr, &badge_path, &reference("1.2.0"), &registry).await;
    let record = get(addr, &format!("/api/refs/{name}")).await;
    assert_eq!(record.status, 200, "{record:?}");
    let record = record.json();
    assert_eq!(record["tag"], "1.2.0", "{record}");
    assert_eq!(
        record["digest"],
        manifest_digest(&registry, "1.2.0").await,
        "{record}"
    );

    // skopeo resolves the tag and deletes the manifest by digest; the registry then also
    // reports the tag as deleted.
    skopeo(&tools, &["delete", "--tls-verify=false", &remote("1.2.0")]).await;
    wait_for_badge(addr, &badge_path, &reference("1.1.0"), &registry).await;
    let before_pulls = registry
        .wait_delivered(delivered.events + 2, DELIVERY)
        .await;
    eprintln!("after the delete: {before_pulls}");
    let state_before = state(addr, &name).await;
    assert_eq!(state_before["badge"]["message"], reference("1.1.0"));

    // Pulls: the registry reports every manifest and blob fetched, tags included.
    let pulled = data.path().join("pulled");
    skopeo(&tools, &["inspect", "--tls-verify=false", &remote("1.1.0")]).await;
    let destination = format!("oci:{}:1.1.0", pulled.display());
    skopeo(
        &tools,
        &[
            "copy",
            "--src-tls-verify=false",
            &remote("1.1.0"),
            &destination,
        ],
    )
    .await;
    // Two manifest pulls at least; every one accepted (a refused one would block the queue).
    let after_pulls = registry
        .wait_delivered(before_pulls.events + 2, DELIVERY)
        .await;
    eprintln!("after the pulls: {after_pulls}");
    assert_eq!(
        state(addr, &name).await,
        state_before,
        "pulls changed what ociref shows ({} pull events delivered)",
        after_pulls.events - before_pulls.events
    );

    // Every notification of the run was accepted at its first attempt.
    let Deliveries {
        events,
        successes,
        failures,
        errors,
        ..
    } = &after_pulls;
    assert!(
        *failures == 0 && *errors == 0 && successes == events,
        "ociref refused or missed deliveries: {after_pulls}\n{}",
        registry.delivery_errors()
    );
    assert!(
        after_pulls.statuses.keys().all(|s| s.starts_with('2')),
        "{after_pulls}"
    );

    drop(registry);
    host.shutdown().await;
}
