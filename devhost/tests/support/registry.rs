//! A real CNCF Distribution registry (Debian's `docker-registry`, Distribution 2.8) spawned on
//! free loopback ports and killed on drop, `skopeo` runs with a deadline, and tiny OCI image
//! layouts written here, so a test can push, pull and delete real images and watch the
//! registry's own notifications reach ociref.
//!
//! How the registry was seen to behave (one event per request, retries that block the queue,
//! what a delete sends) is written down with the captures in
//! `tests/fixtures/distribution/registry-2.8/README.md`.

use super::{free_port, get};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `docker-registry` package installs the registry.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// The name the registry reports its notification endpoint's metrics under.
const ENDPOINT: &str = "ociref";

/// How long one skopeo run may take (pushes of a few hundred bytes take well under a second).
const SKOPEO_DEADLINE: Duration = Duration::from_secs(120);

/// The two programs, found on this machine.
#[derive(Debug, Clone)]
pub struct Tools {
    pub registry: PathBuf,
    pub skopeo: PathBuf,
}

impl Tools {
    /// Both programs, or the names of those missing.
    pub fn find() -> Result<Self, String> {
        let registry = Path::new(REGISTRY_BIN);
        let registry = registry.is_file().then(|| registry.to_path_buf());
        let skopeo = on_path("skopeo");
        match (registry, skopeo) {
            (Some(registry), Some(skopeo)) => Ok(Self { registry, skopeo }),
            (registry, skopeo) => {
                let mut missing = Vec::new();
                if registry.is_none() {
                    missing.push(REGISTRY_BIN);
                }
                if skopeo.is_none() {
                    missing.push("skopeo (on PATH)");
                }
                Err(missing.join(" and "))
            }
        }
    }

    /// The tools, or `None` after saying why the test is skipped. Skipping is only for a
    /// developer's machine: with `CI` set, a missing tool fails the test.
    pub fn or_skip(test: &str) -> Option<Self> {
        match Self::find() {
            Ok(tools) => Some(tools),
            Err(missing) if in_ci() => panic!(
                "{test}: {missing} not found and CI is set, so this is a failure, not a skip. \
                 scripts/setup installs them (apt-get install docker-registry skopeo)"
            ),
            Err(missing) => {
                // Straight to stderr: libtest captures print macros, and a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {missing} not found (apt-get install docker-registry \
                     skopeo, or scripts/setup). With CI set this fails instead."
                );
                None
            }
        }
    }
}

/// `CI` set to anything but empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

// ---------------------------------------------------------------------------------------------
// The registry

/// `docker-registry serve` with a configuration of our own: filesystem storage in a temporary
/// directory, deletes enabled, the debug server (for its notification metrics) on a second
/// port, and one notification endpoint.
pub struct Registry {
    pub port: u16,
    debug_port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// How a registry started by [`Registry::start_with`] is set up.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Notifications to `(url, token)`, sent with `Authorization: Bearer <token>`.
    pub notify: Option<(String, String)>,
    /// The `auth:` section (indented YAML, see [`htpasswd_auth`] and [`token_auth`]); none
    /// means anonymous access.
    pub auth: Option<String>,
}

impl Registry {
    /// Starts the registry with notifications to `url`, sent with `Authorization: Bearer
    /// <token>`, and waits (at most 10 s) until it answers `/v2/`.
    pub async fn start(tools: &Tools, url: &str, token: &str) -> Self {
        Self::start_with(
            tools,
            Setup {
                notify: Some((url.to_owned(), token.to_owned())),
                auth: None,
            },
        )
        .await
    }

    /// Starts the registry as `setup` says and waits (at most 10 s) until it answers `/v2/`
    /// (with any status: 401 when it requires authentication).
    pub async fn start_with(tools: &Tools, setup: Setup) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let debug_port = free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            config_yaml_with(&dir.path().join("storage"), port, debug_port, &setup),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(&tools.registry)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", tools.registry.display()));
        let mut registry = Self {
            port,
            debug_port,
            dir,
            child: Some(child),
        };
        registry.wait_ready(setup.auth.is_some()).await;
        registry
    }

    /// Kills the registry: from now on its port refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A directory that lives as long as the registry, for files its configuration names.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What clients (and so the notifications' `request.host`) call this registry.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn debug_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.debug_port))
    }

    async fn wait_ready(&mut self, authenticated: bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let ready = if authenticated { 401 } else { 200 };
        loop {
            if listening(self.addr()).await && listening(self.debug_addr()).await {
                let reply = get(self.addr(), "/v2/").await;
                if reply.status == ready {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "docker-registry exited ({status}) before answering:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry on port {} did not answer /v2/ within 10 s:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The registry's own count of notifications to ociref (`/debug/vars`).
    pub async fn deliveries(&self) -> Deliveries {
        let vars = get(self.debug_addr(), "/debug/vars").await.json();
        let endpoint = vars["registry"]["notifications"]["endpoints"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["name"] == ENDPOINT))
            .unwrap_or_else(|| panic!("no endpoint {ENDPOINT} in /debug/vars: {vars}"));
        Deliveries::from_metrics(&endpoint["Metrics"])
    }

    /// Waits until the registry has tried to deliver at least `attempts` notifications (the
    /// answer does not matter): proof that they reach the host.
    pub async fn wait_attempted(&self, attempts: u64, within: Duration) -> Deliveries {
        let what = format!("tried at least {attempts} deliveries");
        self.wait_deliveries(within, &what, |d| d.successes + d.failures >= attempts)
            .await
    }

    /// Waits until the registry has queued at least `events` events and has none left to
    /// send: everything it wanted to say has been accepted. A delivery the endpoint refuses is
    /// retried for ever and blocks the queue, so this times out if ociref refuses one.
    pub async fn wait_delivered(&self, events: u64, within: Duration) -> Deliveries {
        self.wait_deliveries(within, "delivered everything", |d| {
            d.events >= events && d.pending == 0
        })
        .await
    }

    async fn wait_deliveries(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&Deliveries) -> bool,
    ) -> Deliveries {
        let deadline = Instant::now() + within;
        loop {
            let deliveries = self.deliveries().await;
            if done(&deliveries) {
                return deliveries;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the registry has not {what} after {within:?}: {deliveries}\n{}",
                    self.delivery_errors()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The registry's whole log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The last few lines where the registry says a delivery failed, for failure messages.
    pub fn delivery_errors(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("retryingsink") || l.contains("level=error"))
            .collect();
        if lines.is_empty() {
            return "registry log: no failed delivery".into();
        }
        let tail = &lines[lines.len().saturating_sub(5)..];
        format!(
            "registry log, last failed deliveries ({} in all):\n{}",
            lines.len(),
            tail.join("\n")
        )
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The registry's configuration (Distribution 2.8 `config.yml`) with notifications to `url`.
pub fn config_yaml(storage: &Path, port: u16, debug_port: u16, url: &str, token: &str) -> String {
    let setup = Setup {
        notify: Some((url.to_owned(), token.to_owned())),
        auth: None,
    };
    config_yaml_with(storage, port, debug_port, &setup)
}

/// The registry's configuration (Distribution 2.8 `config.yml`) as `setup` says.
pub fn config_yaml_with(storage: &Path, port: u16, debug_port: u16, setup: &Setup) -> String {
    let mut yaml = format!(
        "version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: ociref-real-registry-test
  debug:
    addr: 127.0.0.1:{debug_port}
",
        storage = storage.display()
    );
    if let Some((url, token)) = &setup.notify {
        yaml.push_str(&format!(
            "notifications:
  endpoints:
    - name: {ENDPOINT}
      url: {url}
      headers:
        Authorization: [Bearer {token}]
      timeout: 5s
      threshold: 3
      backoff: 1s
"
        ));
    }
    if let Some(auth) = &setup.auth {
        yaml.push_str("auth:\n");
        yaml.push_str(auth);
    }
    yaml
}

/// The `auth:` section for Basic authentication against an htpasswd file (Distribution only
/// reads bcrypt entries).
pub fn htpasswd_auth(file: &Path) -> String {
    format!(
        "  htpasswd:
    realm: ociref-test
    path: {}
",
        file.display()
    )
}

/// Writes an htpasswd file with one bcrypt entry.
pub fn write_htpasswd(file: &Path, username: &str, password: &str) {
    // Cost 5 (the minimum Distribution accepts is 4): every request is checked, keep it cheap.
    let hash = bcrypt::hash(password, 5).unwrap();
    std::fs::write(file, format!("{username}:{hash}\n")).unwrap();
}

/// The `auth:` section for token authentication: clients fetch a JWT from `realm`, which
/// the registry checks against the certificates in `bundle`.
pub fn token_auth(realm: &str, service: &str, issuer: &str, bundle: &Path) -> String {
    format!(
        "  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {}
",
        bundle.display()
    )
}

async fn listening(addr: SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_ok()
}

/// The registry's metrics for one notification endpoint: `events` queued so far, `pending`
/// not yet accepted, and the answers to every attempt (a refused delivery is retried, so one
/// event can count several `failures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliveries {
    pub events: u64,
    pub pending: u64,
    pub successes: u64,
    pub failures: u64,
    /// Attempts that got no answer (connection refused, timeout).
    pub errors: u64,
    /// Attempts by status line, e.g. `"200 OK": 12`.
    pub statuses: BTreeMap<String, u64>,
}

impl Deliveries {
    fn from_metrics(metrics: &Value) -> Self {
        let count = |key: &str| {
            metrics[key]
                .as_u64()
                .unwrap_or_else(|| panic!("no {key} in the registry's metrics: {metrics}"))
        };
        let statuses = metrics["Statuses"]
            .as_object()
            .map(|all| {
                all.iter()
                    .map(|(status, n)| (status.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            events: count("Events"),
            pending: count("Pending"),
            successes: count("Successes"),
            failures: count("Failures"),
            errors: count("Errors"),
            statuses,
        }
    }
}

impl std::fmt::Display for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} events queued, {} pending; attempts: {} accepted, {} refused, {} unanswered; \
             answers {:?}",
            self.events, self.pending, self.successes, self.failures, self.errors, self.statuses
        )
    }
}

// ---------------------------------------------------------------------------------------------
// skopeo

/// Runs `skopeo --insecure-policy <args>` (no `/etc/containers/policy.json` needed) off the
/// async workers, killing it after [`SKOPEO_DEADLINE`]; panics with its output if it fails.
/// Returns its stdout.
pub async fn skopeo(tools: &Tools, args: &[&str]) -> String {
    let program = tools.skopeo.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run_bounded(&program, &args, SKOPEO_DEADLINE))
        .await
        .unwrap()
}

fn run_bounded(program: &Path, args: &[String], deadline: Duration) -> String {
    let out = tempfile::tempdir().unwrap();
    let stdout = out.path().join("stdout");
    let stderr = out.path().join("stderr");
    let mut child = Command::new(program)
        .arg("--insecure-policy")
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
    let command = format!("{} {}", program.display(), args.join(" "));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{command}` did not finish within {deadline:?}:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&stdout).unwrap_or_default();
    assert!(
        status.success(),
        "`{command}` failed ({status}):\n{stdout}\n{}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    stdout
}

// ---------------------------------------------------------------------------------------------
// OCI image layouts

pub fn sha256(data: &[u8]) -> String {
    let hex: String = Sha256::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Writes an OCI image layout in `dir` holding one image tagged `tag`: a single uncompressed
/// tar layer with `version.txt` (`version <tag>`) and a config labelled `version=<tag>`, so
/// every tag is a different manifest. Returns the manifest's digest in the layout (skopeo
/// compresses the layer when it pushes, so the registry's digest differs).
pub fn write_layout(dir: &Path, tag: &str) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = |data: &[u8]| -> Value {
        let digest = sha256(data);
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(blobs.join(hex), data).unwrap();
        json!({ "digest": digest, "size": data.len() })
    };
    let with_type = |media_type: &str, descriptor: Value| -> Value {
        let mut descriptor = descriptor;
        descriptor["mediaType"] = json!(media_type);
        descriptor
    };

    let layer = tar_one_file("version.txt", format!("version {tag}\n").as_bytes());
    let layer = blob(&layer);
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Labels": { "version": tag } },
        "rootfs": { "type": "layers", "diff_ids": [layer["digest"]] },
    });
    let config = blob(&serde_json::to_vec(&config).unwrap());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": with_type("application/vnd.oci.image.config.v1+json", config),
        "layers": [with_type("application/vnd.oci.image.layer.v1.tar", layer)],
    });
    let manifest = blob(&serde_json::to_vec(&manifest).unwrap());
    let digest = manifest["digest"].as_str().unwrap().to_owned();
    let mut entry = with_type("application/vnd.oci.image.manifest.v1+json", manifest);
    entry["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
    let index = json!({ "schemaVersion": 2, "manifests": [entry] });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    digest
}

/// A ustar archive holding one regular file (mode 0644, owner 0, mtime 0).
pub fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 512;
    assert!(name.len() < 100, "ustar names are at most 99 bytes here");
    let mut header = [0u8; BLOCK];
    let mut put = |at: usize, field: &[u8]| header[at..at + field.len()].copy_from_slice(field);
    put(0, name.as_bytes());
    put(100, b"0000644\0"); // mode
    put(108, b"0000000\0"); // uid
    put(116, b"0000000\0"); // gid
    put(124, format!("{:011o}\0", content.len()).as_bytes()); // size
    put(136, b"00000000000\0"); // mtime
    put(148, b"        "); // the checksum counts its own field as spaces
    put(156, b"0"); // a regular file
    put(257, b"ustar\0");
    put(263, b"00");
    let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{checksum:06o}\0 ").as_bytes());

    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().next_multiple_of(BLOCK), 0);
    // The end of the archive: two zero blocks.
    tar.resize(tar.len() + 2 * BLOCK, 0);
    tar
}
