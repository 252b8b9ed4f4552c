//! Reconciliation against a real registry (issue 12), with no webhook at all: Debian's
//! `docker-registry` (CNCF Distribution 2.8) behind Basic authentication (htpasswd, bcrypt)
//! and behind token authentication (a token issuer in this harness; the registry that checks
//! its tokens is real). `skopeo` pushes and deletes; ociref learns everything by asking the
//! registry, through the dev host's `wasi:http/outgoing-handler`.
//!
//! ociref reaches the registry through a relay ([`Gate`]) that the test can slow down or cut
//! after a number of requests: a registry that dies mid-reconciliation, deterministically.
//!
//! Without the registry or skopeo the tests say so and pass, unless `CI` is set: then they
//! fail (scripts/setup installs both).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use devhost::{RunningHost, StoreSpec};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::gate::Gate;
use support::registry::{
    htpasswd_auth, sha256, skopeo, token_auth, write_htpasswd, write_layout, Registry, Setup, Tools,
};
use support::token_issuer::{TokenIssuer, ISSUER, SERVICE};
use support::*;

const REPOSITORY: &str = "team/app";
const USERNAME: &str = "ociref-reader";
const PASSWORD: &str = "s3cret-registry-password";
const WRONG_PASSWORD: &str = "not-the-password-4711";

/// How long a badge may take to follow the registry once a read is due to verify it.
const FOLLOW: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Basic,
    Token,
}

/// A registry with one authentication mode, the relay in front of it, and what ociref needs
/// to be configured for it.
struct Fixture {
    tools: Tools,
    data: tempfile::TempDir,
    registry: Registry,
    gate: Gate,
    issuer: Option<TokenIssuer>,
}

impl Fixture {
    async fn start(tools: Tools, mode: Mode) -> Self {
        let data = tempfile::tempdir().unwrap();
        let (auth, issuer) = match mode {
            Mode::Basic => {
                let file = data.path().join("htpasswd");
                write_htpasswd(&file, USERNAME, PASSWORD);
                (htpasswd_auth(&file), None)
            }
            Mode::Token => {
                let issuer = TokenIssuer::start(USERNAME, PASSWORD).await;
                let bundle = data.path().join("issuer.pem");
                issuer.write_bundle(&bundle);
                let auth = token_auth(&issuer.realm(), SERVICE, ISSUER, &bundle);
                (auth, Some(issuer))
            }
        };
        let registry = Registry::start_with(
            &tools,
            Setup {
                notify: None,
                auth: Some(auth),
            },
        )
        .await;
        let gate = Gate::start(registry.addr()).await;
        Self {
            tools,
            data,
            registry,
            gate,
            issuer,
        }
    }

    /// `127.0.0.1:<port>/team/app`: the name references (and badges) carry.
    fn name(&self) -> String {
        format!("{}/{REPOSITORY}", self.registry.host())
    }

    fn reference(&self, tag: &str) -> String {
        format!("{}:{tag}", self.name())
    }

    /// ociref's configuration for this registry: reached through the relay, with `password`.
    fn config(&self, password: &str) -> Vec<(String, String)> {
        let host = self.registry.host();
        let mut config = vec![
            (
                format!("registry.{host}.url"),
                format!("http://{}", self.gate.addr),
            ),
            (format!("registry.{host}.username"), USERNAME.to_owned()),
            (format!("registry.{host}.password"), password.to_owned()),
            ("verify_interval".to_owned(), "1".to_owned()),
        ];
        if let Some(issuer) = &self.issuer {
            config.push((
                format!("registry.{host}.token_realm_hosts"),
                issuer.addr.to_string(),
            ));
        }
        config
    }

    /// Pushes one image tagged `tag` straight to the registry (not through the relay).
    async fn push(&self, tag: &str) {
        let layout = self.data.path().join(format!("layout-{tag}"));
        write_layout(&layout, tag);
        let source = format!("oci:{}:{tag}", layout.display());
        let destination = format!("docker://{}", self.reference(tag));
        let creds = format!("{USERNAME}:{PASSWORD}");
        skopeo(
            &self.tools,
            &[
                "copy",
                "--dest-tls-verify=false",
                "--dest-creds",
                &creds,
                &source,
                &destination,
            ],
        )
        .await;
    }

    async fn delete(&self, tag: &str) {
        let target = format!("docker://{}", self.reference(tag));
        let creds = format!("{USERNAME}:{PASSWORD}");
        skopeo(
            &self.tools,
            &["delete", "--tls-verify=false", "--creds", &creds, &target],
        )
        .await;
    }

    /// The digest the registry serves for `tag`, asked directly with the right credentials.
    async fn digest(&self, tag: &str) -> String {
        let authorization = match &self.issuer {
            None => {
                use base64::Engine as _;
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("{USERNAME}:{PASSWORD}"));
                format!("Basic {basic}")
            }
            Some(issuer) => format!(
                "Bearer {}",
                issuer.token(&format!("repository:{REPOSITORY}:pull"))
            ),
        };
        let reply = request(
            self.registry.addr(),
            "GET",
            &format!("/v2/{REPOSITORY}/manifests/{tag}"),
            &[
                ("accept", "application/vnd.oci.image.manifest.v1+json"),
                ("authorization", &authorization),
            ],
            Vec::new(),
        )
        .await;
        assert_eq!(reply.status, 200, "{reply:?}\n{}", self.registry.log());
        sha256(&reply.body)
    }
}

async fn serve_with(store: PathBuf, config: Vec<(String, String)>) -> RunningHost {
    let mut options = options(StoreSpec::Redb(store));
    options.config.extend(config);
    options.outgoing_timeout = Duration::from_secs(5);
    host().serve(options).await.unwrap()
}

/// `POST /api/reconcile/<name>` with the webhook token.
async fn reconcile(addr: SocketAddr, name: &str) -> Reply {
    let auth = format!("Bearer {TOKEN}");
    request(
        addr,
        "POST",
        &format!("/api/reconcile/{name}"),
        &[("authorization", &auth)],
        Vec::new(),
    )
    .await
}

async fn badge(addr: SocketAddr, name: &str) -> Value {
    assert_badge(&get(addr, &format!("/{name}")).await)
}

/// What ociref shows: the badge's message, the record's tag and digest, and the history.
/// (Not the record's verification fields: a failed verification counts itself there.)
async fn shown(addr: SocketAddr, name: &str) -> Value {
    let record = get(addr, &format!("/api/refs/{name}")).await;
    let record = if record.status == 200 {
        let record = record.json();
        serde_json::json!({"tag": record["tag"], "digest": record["digest"]})
    } else {
        serde_json::json!({"status": record.status})
    };
    let history = get(addr, &format!("/api/history/{name}?limit=100")).await;
    serde_json::json!({
        "badge": badge(addr, name).await["message"],
        "record": record,
        "history": if history.status == 200 { history.json() } else { Value::Null },
    })
}

/// Reads the badge every 200 ms (each read may start a verification) until it says
/// `expected`; returns how long that took.
async fn read_until(addr: SocketAddr, name: &str, expected: &str) -> Duration {
    let started = Instant::now();
    loop {
        let message = badge(addr, name).await["message"].clone();
        if message == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < FOLLOW,
            "after {FOLLOW:?} of reads the badge of {name} says {message}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_failed(reply: &Reply, code: &str, secrets: &[&str]) {
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    for secret in secrets {
        assert!(!text.contains(secret), "a credential in the answer: {text}");
    }
    assert_eq!(reply.status, 502, "{text}");
    let answer = reply.json();
    let repository = &answer["repositories"][0];
    assert_eq!(repository["status"], "failed", "{answer}");
    assert_eq!(repository["error"]["code"], code, "{answer}");
    assert!(
        repository["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{answer}"
    );
}

async fn reconciles_a_real_registry(mode: Mode) {
    let test = format!("reconciles_a_real_registry_{mode:?}");
    let Some(tools) = Tools::or_skip(&test) else {
        return;
    };
    let fixture = Fixture::start(tools, mode).await;
    let name = fixture.name();
    let store = fixture.data.path().join("ociref.redb");
    let host = serve_with(store.clone(), fixture.config(PASSWORD)).await;
    let addr = host.addr();

    // Three pushes, the highest version in the middle; no webhook tells ociref anything.
    for tag in ["1.0.0", "1.2.0", "1.1.0"] {
        fixture.push(tag).await;
    }
    assert_eq!(get(addr, &format!("/api/refs/{name}")).await.status, 404);

    let reply = reconcile(addr, &name).await;
    assert_eq!(reply.status, 200, "{reply:?}\n{}", fixture.registry.log());
    let answer = reply.json();
    let repository = &answer["repositories"][0];
    assert_eq!(repository["status"], "corrected", "{answer}");
    // ociref records the tag the badge must show (the best the registry answers for).
    let added: Vec<&str> = repository["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "added")
        .filter_map(|c| c["tag"].as_str())
        .collect();
    assert!(added.contains(&"1.2.0"), "1.2.0 not added: {answer}");
    assert_eq!(
        badge(addr, &name).await["message"],
        fixture.reference("1.2.0")
    );
    let record = get(addr, &format!("/api/refs/{name}")).await.json();
    assert_eq!(record["tag"], "1.2.0", "{record}");
    assert_eq!(record["digest"], fixture.digest("1.2.0").await, "{record}");
    assert!(record["verified_at"].is_string(), "{record}");
    let history = get(addr, &format!("/api/history/{name}?limit=100")).await;
    assert!(
        String::from_utf8_lossy(&history.body).contains("reconciled"),
        "{history:?}"
    );

    // A delete nobody reports: reads alone bring the badge back to 1.1.0 once the last
    // verification is older than verify_interval (1 s).
    fixture.delete("1.2.0").await;
    let took = read_until(addr, &name, &fixture.reference("1.1.0")).await;
    eprintln!("{mode:?}: the badge followed the delete after {took:?} of reads");
    let record = get(addr, &format!("/api/refs/{name}")).await.json();
    assert_eq!(record["digest"], fixture.digest("1.1.0").await, "{record}");

    // A push ociref has not seen yet, then a registry that dies after two requests of the
    // reconciliation (the challenge and the tag list; the manifest request is cut): nothing
    // changes, the answer says why.
    fixture.push("1.3.0").await;
    fixture.gate.allow(0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = shown(addr, &name).await;
    // Let the verification those reads may have started fail at the closed relay first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connections = fixture.gate.connections();
    fixture.gate.allow(2);
    let reply = reconcile(addr, &name).await;
    fixture.gate.allow(0);
    assert!(
        fixture.gate.connections() >= connections + 3,
        "the registry was not cut off mid-reconciliation ({} requests): {reply:?}",
        fixture.gate.connections() - connections
    );
    assert_failed(&reply, "registry-unavailable", &[PASSWORD]);
    assert_eq!(shown(addr, &name).await, before);
    host.shutdown().await;

    // Wrong credentials: a clear error, nothing changed.
    fixture.gate.open();
    let host = serve_with(store.clone(), fixture.config(WRONG_PASSWORD)).await;
    let addr = host.addr();
    let reply = reconcile(addr, &name).await;
    assert_failed(&reply, "registry-unauthorized", &[PASSWORD, WRONG_PASSWORD]);
    assert_eq!(shown(addr, &name).await, before);
    host.shutdown().await;

    // Right credentials again: the missed push is found. Then the registry stops for good:
    // the badge stays.
    let host = serve_with(store, fixture.config(PASSWORD)).await;
    let addr = host.addr();
    let reply = reconcile(addr, &name).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        badge(addr, &name).await["message"],
        fixture.reference("1.3.0")
    );
    let after = shown(addr, &name).await;
    let mut fixture = fixture;
    fixture.registry.stop();
    let reply = reconcile(addr, &name).await;
    assert_failed(&reply, "registry-unavailable", &[PASSWORD]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(shown(addr, &name).await, after);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_a_real_registry_with_basic_auth() {
    reconciles_a_real_registry(Mode::Basic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_a_real_registry_with_token_auth() {
    reconciles_a_real_registry(Mode::Token).await;
}

/// The host lets the component work after its answer: a badge read that starts a
/// verification is answered before the verification's first registry request is even let
/// through (the relay holds every connection 1.5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_that_verifies_is_answered_before_the_verification_ends() {
    let Some(tools) =
        Tools::or_skip("a_read_that_verifies_is_answered_before_the_verification_ends")
    else {
        return;
    };
    let fixture = Fixture::start(tools, Mode::Basic).await;
    let name = fixture.name();
    let host = serve_with(
        fixture.data.path().join("ociref.redb"),
        fixture.config(PASSWORD),
    )
    .await;
    let addr = host.addr();
    fixture.push("1.0.0").await;
    assert_eq!(reconcile(addr, &name).await.status, 200);
    fixture.push("2.0.0").await;

    let hold = Duration::from_millis(1500);
    fixture.gate.delay(hold);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let connections = fixture.gate.connections();
    let started = Instant::now();
    let first = badge(addr, &name).await;
    let answered = started.elapsed();
    assert_eq!(first["message"], fixture.reference("1.0.0"));
    // The verification is running: its first request reaches the relay.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fixture.gate.connections() == connections {
        assert!(
            Instant::now() < deadline,
            "the read started no verification"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = read_until(addr, &name, &fixture.reference("2.0.0")).await + answered;
    eprintln!(
        "a read that starts a verification was answered in {answered:?}; the verification \
         (each registry request held {hold:?}) showed after {took:?}"
    );
    assert!(
        answered < hold / 3,
        "the read waited for the verification: {answered:?}"
    );
    assert!(took >= hold, "{took:?}");
    host.shutdown().await;
}
