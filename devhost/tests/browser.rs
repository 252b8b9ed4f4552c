//! As a person would see it: the release component in the dev host with a few repositories
//! pushed by webhook, opened in real headless Chromium (Debian's `chromium`, driven through
//! `chromedriver` over WebDriver, plus a few DevTools commands it relays). Checks the catalog's
//! rows, its filter with and without JavaScript, the repository page's copy snippets and
//! badge image, that nothing reaches the console or trips the Content-Security-Policy, and
//! that axe-core (npm, installed by scripts/setup into tools/axe) finds no serious or critical
//! accessibility violation, in light and dark.
//!
//! `OCIREF_SCREENSHOTS=docs/screenshots cargo test -p ociref-devhost --test browser` also
//! saves screenshots (relative paths are from the workspace root). Without Chromium the test
//! skips with a message, unless `CI` is set: then it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use base64::Engine;
use devhost::StoreSpec;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const ENTER: &str = "\u{e007}";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A Chromium session through its own `chromedriver`, both ended on drop.
struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (the test skips) when Chromium is not installed and `CI` is not set.
    async fn start() -> Option<Self> {
        let missing = !Path::new(CHROMIUM).exists()
            || Command::new("chromedriver")
                .arg("--version")
                .output()
                .is_err();
        if missing {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromium and chromedriver are required in CI: scripts/setup installs them"
            );
            eprintln!("skipped: chromium/chromedriver not installed (scripts/setup installs them)");
            return None;
        }
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut browser = Self {
            driver,
            addr,
            session: String::new(),
            _profile: profile,
        };
        let created = browser
            .call(
                "POST",
                "/session",
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
                    "goog:loggingPrefs": {"browser": "ALL"},
                }}}),
            )
            .await;
        browser.session = created["sessionId"].as_str().unwrap().to_owned();
        Some(browser)
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if method == "GET" || method == "DELETE" {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        let reply = request(
            self.addr,
            method,
            path,
            &[("content-type", "application/json")],
            body,
        )
        .await;
        let value = reply.json();
        assert_eq!(reply.status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }

    async fn session(&self, method: &str, path: &str, body: Value) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    async fn goto(&self, url: &str) {
        self.session("POST", "/url", json!({ "url": url })).await;
    }

    async fn url(&self) -> String {
        self.session("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn run(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn run_async(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// A DevTools command on the current page.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.session(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .session(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.session(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.session("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let value = self.run(script).await;
            if value != Value::Null && value != Value::Bool(false) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The catalog rows a person can see.
    async fn visible_rows(&self) -> Vec<String> {
        serde_json::from_value(
            self.run(
                "return Array.from(document.querySelectorAll('tr[data-name]'))\
                 .filter(r => r.offsetParent !== null).map(r => r.dataset.name)",
            )
            .await,
        )
        .unwrap()
    }

    /// Console messages at warning level or above, and CSP violations, since the last call.
    async fn problems(&self) -> Vec<String> {
        let logs = self
            .session("POST", "/se/log", json!({"type": "browser"}))
            .await;
        let mut problems: Vec<String> = logs
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["level"] != "INFO" && l["level"] != "DEBUG")
            .map(|l| format!("console {}: {}", l["level"], l["message"]))
            .collect();
        let violations = self.run("return window.__csp || []").await;
        problems.extend(
            violations
                .as_array()
                .unwrap()
                .iter()
                .map(|v| format!("CSP violation: {v}")),
        );
        problems
    }

    /// axe-core's violations of impact serious or critical on the current page.
    async fn serious_accessibility_violations(&self, axe: &str) -> Vec<String> {
        self.run(&format!("{axe}\n;return true;")).await;
        let found = self
            .run_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']}).then(\
                 r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.map(n => n.target.join(' '))}))), e => done([{id: 'axe', impact: 'critical', help: String(e)}]));",
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
            .map(Value::to_string)
            .collect()
    }

    async fn color_scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
    }

    /// The whole page as PNG, into `$OCIREF_SCREENSHOTS/<name>.png` when that is set.
    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("OCIREF_SCREENSHOTS") else {
            return;
        };
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true, "clip": {
                    "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        let dir = workspace().join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session quits Chromium; killing only the driver would orphan it.
        if !self.session.is_empty() {
            use std::io::{Read, Write};
            if let Ok(mut stream) = std::net::TcpStream::connect(self.addr) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = write!(
                    stream,
                    "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    self.session, self.addr
                );
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's browser bundle, installed by scripts/setup (`npm ci --prefix tools/axe`).
fn axe_source() -> String {
    let path = workspace().join("tools/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/setup (npm ci --prefix tools/axe)",
            path.display()
        )
    })
}

async fn push_all(addr: SocketAddr) {
    let pushes = [
        ("wasmcloud.azurecr.io", "wash", "0.17.5"),
        ("wasmcloud.azurecr.io", "wash", "0.18.1"),
        ("wasmcloud.azurecr.io", "wadm", "0.20.2"),
        ("ghcr.io", "acme/api", "1.2.3"),
        ("ghcr.io", "acme/web", "2.0.0"),
        ("quay.io", "team/worker", "v0.9.0"),
    ];
    for (n, (host, repository, tag)) in pushes.into_iter().enumerate() {
        let mut event = push(
            &format!("e{n}"),
            host,
            repository,
            tag,
            &realistic_digest(tag),
        );
        event["timestamp"] = json!(format!("2026-01-0{}T1{n}:2{n}:05Z", n + 1));
        assert_eq!(hook(addr, &event).await.status, 200);
    }
}

/// A digest that looks like one (for the screenshots), distinct for each tag.
fn realistic_digest(tag: &str) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(tag.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_browses_the_catalog_and_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let host = serve(StoreSpec::Redb(dir.path().join("ociref.redb"))).await;
    let addr = host.addr();
    push_all(addr).await;
    // Through the real component: shields and scripts keep the badge JSON at the same URL.
    let badge = get(addr, "/wasmcloud.azurecr.io/wash").await;
    assert_eq!(
        badge.body,
        r#"{"schemaVersion":1,"label":"oci","message":"wasmcloud.azurecr.io/wash:0.18.1","color":"blue","cacheSeconds":300}"#
    );
    let page = request(
        addr,
        "GET",
        "/wasmcloud.azurecr.io/wash",
        &[("accept", "text/html")],
        Vec::new(),
    )
    .await;
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );

    let Some(browser) = Browser::start().await else {
        host.shutdown().await;
        return;
    };
    let axe = axe_source();
    let base = format!("http://{addr}");
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__csp = []; document.addEventListener('securitypolicyviolation', \
                   e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"}),
        )
        .await;

    // The catalog: every repository, grouped by host (hosts and names sorted on the page).
    let all = [
        "ghcr.io/acme/api",
        "ghcr.io/acme/web",
        "quay.io/team/worker",
        "wasmcloud.azurecr.io/wadm",
        "wasmcloud.azurecr.io/wash",
    ];
    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.visible_rows().await, all);
    let headings = browser
        .run("return Array.from(document.querySelectorAll('main h2')).map(h => h.textContent)")
        .await;
    assert_eq!(
        headings,
        json!(["ghcr.io", "quay.io", "wasmcloud.azurecr.io"])
    );
    let wash = browser
        .run("return document.querySelector('tr[data-name=\"wasmcloud.azurecr.io/wash\"]').innerText")
        .await;
    let wash = wash.as_str().unwrap();
    assert!(wash.contains("wasmcloud.azurecr.io/wash:0.18.1"), "{wash}");
    assert!(wash.contains(&realistic_digest("0.18.1")[..19]), "{wash}");
    assert_eq!(browser.problems().await, Vec::<String>::new());
    assert_eq!(
        browser.serious_accessibility_violations(&axe).await,
        Vec::<String>::new()
    );
    browser.screenshot("catalog-light").await;
    browser.color_scheme("dark").await;
    let background = browser
        .run("return getComputedStyle(document.body).backgroundColor")
        .await;
    assert_eq!(
        background, "rgb(15, 20, 25)",
        "dark mode follows the system"
    );
    assert_eq!(
        browser.serious_accessibility_violations(&axe).await,
        Vec::<String>::new()
    );
    browser.screenshot("catalog-dark").await;
    browser.color_scheme("light").await;

    // The filter narrows this page while typing, and Enter searches on the server.
    browser.type_into("#q", "acme").await;
    assert_eq!(
        browser.visible_rows().await,
        ["ghcr.io/acme/api", "ghcr.io/acme/web"]
    );
    let status = browser
        .run("return document.getElementById('filter-status').textContent")
        .await;
    assert!(
        status
            .as_str()
            .unwrap()
            .starts_with("2 of 5 on this page match"),
        "{status}"
    );
    browser.type_into("#q", ENTER).await;
    browser
        .wait_for("the filtered page", "return location.search === '?q=acme'")
        .await;
    assert_eq!(
        browser.visible_rows().await,
        ["ghcr.io/acme/api", "ghcr.io/acme/web"]
    );

    // Without JavaScript the form still filters, on the server.
    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": true}),
        )
        .await;
    browser.goto(&format!("{base}/")).await;
    browser.type_into("#q", "wa").await;
    browser.type_into("#q", ENTER).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.url().await.ends_with("/?q=wa") {
        assert!(Instant::now() < deadline, "the form was not submitted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
        .cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({"value": false}),
        )
        .await;
    assert_eq!(
        browser.visible_rows().await,
        ["wasmcloud.azurecr.io/wadm", "wasmcloud.azurecr.io/wash"]
    );
    assert_eq!(browser.problems().await, Vec::<String>::new());

    // A repository: what to copy, the badge, the history.
    let page = format!("{base}/wasmcloud.azurecr.io/wash");
    browser.goto(&page).await;
    let reference = "wasmcloud.azurecr.io/wash:0.18.1";
    let pinned = format!("{reference}@{}", realistic_digest("0.18.1"));
    let snippets = browser
        .run(
            "return Object.fromEntries(Array.from(document.querySelectorAll('pre[id]'))\
             .map(p => [p.id, p.textContent]))",
        )
        .await;
    assert_eq!(
        snippets,
        json!({
            "pull-docker": format!("docker pull {reference}"),
            "pull-pinned": format!("docker pull {pinned}"),
            "pull-oras": format!("oras pull {pinned}"),
            "md-svg": format!("[![wasmcloud.azurecr.io/wash]({page}.svg)]({page})"),
            "html-svg": format!("<a href=\"{page}\"><img src=\"{page}.svg\" alt=\"wasmcloud.azurecr.io/wash\"></a>"),
            "md-shields": format!("[![wasmcloud.azurecr.io/wash](https://img.shields.io/endpoint?url={page})]({page})"),
            "html-shields": format!("<a href=\"{page}\"><img src=\"https://img.shields.io/endpoint?url={page}\" alt=\"wasmcloud.azurecr.io/wash\"></a>"),
        })
    );
    // The script shows the copy buttons, and a click puts the snippet on the clipboard.
    browser
        .cdp(
            "Browser.grantPermissions",
            json!({"origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}),
        )
        .await;
    browser.click("button[data-copy=\"pull-pinned\"]").await;
    let copied = browser
        .run_async(
            "const done = arguments[arguments.length - 1];\
             navigator.clipboard.readText().then(done, e => done('error: ' + e));",
        )
        .await;
    assert_eq!(copied, json!(format!("docker pull {pinned}")));
    let facts = browser
        .run("return document.querySelector('dl.facts').innerText")
        .await;
    let facts = facts.as_str().unwrap();
    assert!(facts.contains(&pinned), "{facts}");
    assert!(facts.contains("semver"), "{facts}");
    let history = browser
        .run("return document.querySelectorAll('#history ~ div tbody tr').length")
        .await;
    assert_eq!(history, 2, "both pushes of wash are in its history");
    let badge = browser
        .wait_for(
            "the badge image",
            "const i = document.querySelector('p.badge img'); return i.complete && [i.naturalWidth, i.naturalHeight]",
        )
        .await;
    assert!(
        badge[0].as_u64().unwrap() > 0,
        "the badge image loads: {badge}"
    );
    assert_eq!(browser.problems().await, Vec::<String>::new());
    assert_eq!(
        browser.serious_accessibility_violations(&axe).await,
        Vec::<String>::new()
    );
    browser.screenshot("repository-light").await;
    browser.color_scheme("dark").await;
    assert_eq!(
        browser.serious_accessibility_violations(&axe).await,
        Vec::<String>::new()
    );
    browser.screenshot("repository-dark").await;
    browser.color_scheme("light").await;

    // On a phone: nothing wider than the screen.
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
    browser.goto(&page).await;
    let overflow = browser
        .run("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow, 0, "the repository page fits a phone");
    browser.screenshot("repository-phone").await;
    browser.goto(&format!("{base}/")).await;
    let overflow = browser
        .run("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow, 0, "the catalog fits a phone");
    browser.screenshot("catalog-phone").await;

    // Unknown names: a page that says so, and still no console error but the 404 itself.
    browser.goto(&format!("{base}/nothing-here")).await;
    let title = browser
        .run("return document.querySelector('h1').textContent")
        .await;
    assert_eq!(title, "Not published");
    drop(browser);
    host.shutdown().await;
}
