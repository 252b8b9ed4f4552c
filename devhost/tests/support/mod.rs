//! The end-to-end harness: the release component in the real host, a real `redis-server`
//! spawned and killed here, an HTTP client on a real socket, and ACR payloads made from the
//! shared fixtures.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod gate;
pub mod registry;
pub mod token_issuer;

use bytes::Bytes;
use devhost::{Host, LogLevel, RunningHost, ServeOptions, StoreSpec};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use wasmtime_wasi_http::io::TokioIo;

pub const TOKEN: &str = "e2e-webhook-token";

/// The component, compiled once per test binary (compiling is the slow part of a start).
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::load(Path::new(devhost::DEFAULT_WASM), true).unwrap())
}

/// `OCIREF_TEST_LOG=debug cargo test ...` shows the component's and the host's log lines.
fn log_level() -> LogLevel {
    std::env::var("OCIREF_TEST_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(LogLevel::Off)
}

pub fn options(store: StoreSpec) -> ServeOptions {
    let mut options = ServeOptions::new(store);
    options.config.insert("webhook_token".into(), TOKEN.into());
    options.log_level = log_level();
    options
}

pub async fn serve(store: StoreSpec) -> RunningHost {
    host().serve(options(store)).await.unwrap()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/acr")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Payloads

/// A well-formed digest, distinct for each seed.
pub fn digest(seed: u64) -> String {
    let mix = |n: u64| n.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x5bd1_e995;
    format!(
        "sha256:{:016x}{:016x}{:016x}{:016x}",
        seed,
        mix(seed),
        mix(seed ^ 1),
        mix(seed ^ 2)
    )
}

/// `push.json` with its identifying fields replaced.
pub fn push(id: &str, host: &str, repository: &str, tag: &str, digest: &str) -> Value {
    let mut event: Value = serde_json::from_slice(&fixture("push.json")).unwrap();
    event["id"] = json!(id);
    event["timestamp"] = json!("2026-01-02T03:04:05.123456789Z");
    event["target"]["repository"] = json!(repository);
    event["target"]["tag"] = json!(tag);
    event["target"]["digest"] = json!(digest);
    event["request"]["host"] = json!(host);
    event
}

/// `delete.json` for a digest of a repository, timestamped after every [`push`].
pub fn delete(id: &str, host: &str, repository: &str, digest: &str) -> Value {
    let mut event: Value = serde_json::from_slice(&fixture("delete.json")).unwrap();
    event["id"] = json!(id);
    event["timestamp"] = json!("2026-01-02T03:05:00Z");
    event["target"]["repository"] = json!(repository);
    event["target"]["digest"] = json!(digest);
    event["request"]["host"] = json!(host);
    event
}

// ---------------------------------------------------------------------------------------------
// HTTP

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

/// One request on its own connection, like ACR's deliveries and shields' fetches.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = sender
        .send_request(builder.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body,
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], Vec::new()).await
}

/// A webhook delivery as ACR sends it, with the token.
pub async fn hook(addr: SocketAddr, event: &Value) -> Reply {
    hook_bytes(addr, serde_json::to_vec(event).unwrap()).await
}

pub async fn hook_bytes(addr: SocketAddr, body: Vec<u8>) -> Reply {
    let auth = format!("Bearer {TOKEN}");
    request(
        addr,
        "POST",
        "/api/azurehook",
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

/// Asserts a shields.io endpoint badge: HTTP 200, JSON, schema keys only.
pub fn assert_badge(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "a badge is always 200: {reply:?}");
    let badge = reply.json();
    let allowed = [
        "schemaVersion",
        "label",
        "message",
        "color",
        "labelColor",
        "isError",
        "namedLogo",
        "logoSvg",
        "logoColor",
        "logoWidth",
        "style",
        "cacheSeconds",
    ];
    let object = badge.as_object().expect("a badge is a JSON object");
    for key in object.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "shields rejects key {key}: {badge}"
        );
    }
    assert_eq!(badge["schemaVersion"], 1, "{badge}");
    assert!(badge["label"].is_string(), "{badge}");
    assert!(
        badge["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{badge}"
    );
    badge
}

// ---------------------------------------------------------------------------------------------
// Redis

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` of our own on a free port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    dir: tempfile::TempDir,
    persistent: bool,
    child: Option<Child>,
}

impl RedisServer {
    /// Memory only: nothing written to disk.
    pub fn start() -> Self {
        Self::launch(false)
    }

    /// With an append-only file synced on every write, so a killed server restarts with all
    /// its data (the outage scenario).
    pub fn start_persistent() -> Self {
        Self::launch(true)
    }

    fn launch(persistent: bool) -> Self {
        let mut server = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            persistent,
            child: None,
        };
        server.spawn();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn spec(&self) -> StoreSpec {
        StoreSpec::Redis(self.url())
    }

    fn spawn(&mut self) {
        let port = self.port.to_string();
        let dir = self.dir.path().to_str().unwrap().to_owned();
        let mut args = vec![
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir,
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            "",
        ];
        if self.persistent {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            args.extend(["--appendonly", "no"]);
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start redis-server ({e}). The end-to-end tests need a real Redis: \
                     apt-get install redis-server"
                )
            });
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(client) = redis::Client::open(self.url()) {
                if let Ok(mut conn) = client.get_connection() {
                    if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                        return;
                    }
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server on port {} exited: {status}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the outage is abrupt, as a crash or an OOM kill would be.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port with the same data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Every key with its `DUMP` serialization: equal dumps mean byte-identical data.
    pub fn dump(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
        keys.into_iter()
            .map(|key| {
                let value: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut conn).unwrap();
                (key, value)
            })
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
