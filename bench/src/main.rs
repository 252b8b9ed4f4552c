//! `ociref-bench` (run it with `scripts/bench`): what a badge costs, and what WebAssembly
//! costs, measured side by side in one run and printed as one table.
//!
//! Servers run in this process on one tokio runtime (as many workers as cores, like the dev
//! host); the load comes from `wrk`, another process. Every load figure is the median of
//! `--repeats` runs after a warm-up run.

mod baseline;
mod counted;
mod redis;
mod report;
mod soak;
mod verify;
mod wrk;

use anyhow::{bail, Context as _};
use baseline::Native;
use bytes::Bytes;
use devhost::{Direct, Host, LogLevel, ServeOptions, StoreSpec};
use redis::RedisServer;
use report::Table;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wrk::{Load, Sample};

const BADGE: &str = "/bench-app";
const CONCURRENCY: [u32; 3] = [1, 16, 64];

struct Args {
    wasm: PathBuf,
    /// The same component built with `opt-level = "z"`, to compare size and speed.
    wasm_z: Option<PathBuf>,
    /// A component that answers a constant badge: what the host costs before ociref works.
    wasm_floor: Option<PathBuf>,
    out: Option<PathBuf>,
    duration: Duration,
    repeats: usize,
    /// Sections to run (`--only 1,6`); all when empty.
    only: Vec<String>,
    /// Instead of the sections: the soak, this many minutes.
    soak: Option<u32>,
}

impl Args {
    /// Whether a section ("1, 2" runs when 1 or 2 is asked for) is wanted.
    fn runs(&self, sections: &str) -> bool {
        self.only.is_empty()
            || sections
                .split(", ")
                .any(|s| self.only.iter().any(|o| o == s))
    }
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        wasm: PathBuf::from(devhost::DEFAULT_WASM),
        wasm_z: None,
        wasm_floor: None,
        out: None,
        duration: Duration::from_secs(5),
        repeats: 3,
        only: Vec::new(),
        soak: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--wasm" => args.wasm = value()?.into(),
            "--wasm-z" => args.wasm_z = Some(value()?.into()),
            "--wasm-floor" => args.wasm_floor = Some(value()?.into()),
            "--out" => args.out = Some(value()?.into()),
            "--seconds" => args.duration = Duration::from_secs(value()?.parse()?),
            "--repeats" => args.repeats = value()?.parse()?,
            "--only" => args.only = value()?.split(',').map(str::to_owned).collect(),
            "--soak" => args.soak = Some(value()?.parse()?),
            "--quick" => {
                args.duration = Duration::from_secs(1);
                args.repeats = 1;
            }
            _ => bail!(
                "unknown argument {arg}; usage: ociref-bench [--quick] [--seconds N] \
                 [--repeats N] [--only 1,3,...] [--soak MINUTES] [--wasm PATH] [--wasm-z PATH] [--wasm-floor PATH] [--out FILE.md]"
            ),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(args))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config() -> Vec<(&'static str, &'static str)> {
    vec![("webhook_token", wrk::TOKEN)]
}

/// The native baseline: the same handler over the same store, without WebAssembly.
async fn native(spec: &StoreSpec, config: &[(&str, &str)]) -> anyhow::Result<Native> {
    Ok(Native::new(devhost::kv::open(spec, false).await?, config))
}

pub(crate) fn options(store: StoreSpec, config: &[(&str, &str)]) -> ServeOptions {
    let mut options = ServeOptions::new(store);
    options.config = config
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    options.log_level = LogLevel::Error;
    options
}

fn push_body(id: &str, repository: &str, tag: &str) -> Bytes {
    // A digest of its own per event id (not a real content hash: nothing checks it).
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    let digest = format!("sha256:{:064x}", hasher.finish());
    Bytes::from(
        serde_json::json!({
            "id": id,
            "timestamp": "2026-01-02T03:04:05Z",
            "action": "push",
            "target": {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "size": 524, "length": 524,
                "digest": digest, "repository": repository, "tag": tag,
            },
            "request": { "id": "bench", "host": "bench.azurecr.io", "method": "PUT" },
        })
        .to_string(),
    )
}

const AUTH: (&str, &str) = ("authorization", "Bearer bench-token");
const JSON: (&str, &str) = ("content-type", "application/json");

/// `wrk` after a warm-up, `repeats` times; the median of each figure.
async fn measure(
    args: &Args,
    addr: SocketAddr,
    load: Load<'static>,
    c: u32,
) -> anyhow::Result<Sample> {
    let duration = args.duration;
    let repeats = args.repeats;
    tokio::task::spawn_blocking(move || {
        wrk::run(addr, load, c, Duration::from_secs(1))?;
        let samples = (0..repeats)
            .map(|_| wrk::run(addr, load, c, duration))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Sample {
            rps: median(samples.iter().map(|s| s.rps)),
            p50_ms: median(samples.iter().map(|s| s.p50_ms)),
            p99_ms: median(samples.iter().map(|s| s.p99_ms)),
            errors: samples.iter().map(|s| s.errors).sum(),
        })
    })
    .await?
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// What every section measures with.
struct Bench {
    args: Args,
    redis: RedisServer,
    scratch: tempfile::TempDir,
    host: Host,
    table: Table,
    /// The constant-badge component's instantiate + handle in µs, once section 3 measured it.
    floor_us: Option<f64>,
}

impl Bench {
    /// `measure` at each concurrency in `cs`, each a row "`what`, c=N" of `section`.
    async fn rows(
        &mut self,
        section: &'static str,
        what: &str,
        addr: SocketAddr,
        load: Load<'static>,
        cs: &[u32],
    ) -> anyhow::Result<Vec<Sample>> {
        let mut samples = Vec::new();
        for &c in cs {
            let s = measure(&self.args, addr, load, c).await?;
            self.table.load(section, format!("{what}, c={c}"), s);
            samples.push(s);
        }
        Ok(samples)
    }

    /// 3. The floors.
    async fn floors(&mut self) -> anyhow::Result<()> {
        let floor = baseline::serve_static().await?;
        let what = "HTTP floor: static hyper badge";
        self.rows("3", what, floor.addr, Load::Get(BADGE), &CONCURRENCY)
            .await?;
        drop(floor);
        if let Some(wasm) = &self.args.wasm_floor {
            let host = Host::load(wasm, true)?;
            let store = StoreSpec::Redb(self.scratch.path().join("floor.redb"));
            let floor = host.serve(options(store.clone(), &[])).await?;
            let what = "WebAssembly floor: constant-badge component in the dev host";
            self.rows("3", what, floor.addr(), Load::Get(BADGE), &CONCURRENCY)
                .await?;
            floor.shutdown().await;
            let us = per_request_us(&host, store).await?;
            self.table.figure(
                "3",
                "WebAssembly floor: instantiate + handle in process".into(),
                format!("{us:.1} µs"),
            );
            self.floor_us = Some(us);
        }
        for c in CONCURRENCY {
            let (rps, p50, p99) = self.redis.benchmark_get(c, 100_000 * c.min(4))?;
            self.table.load(
                "3",
                format!("store floor: redis-benchmark GET, c={c}"),
                Sample {
                    rps,
                    p50_ms: p50,
                    p99_ms: p99,
                    errors: 0,
                },
            );
        }
        Ok(())
    }

    /// 1, 2. Badge GET: the component in the dev host, and the same crate natively.
    async fn badge_get(&mut self) -> anyhow::Result<()> {
        let mut ratios = Vec::new();
        for (label, spec) in [
            ("Redis", StoreSpec::Redis(self.redis.url(0))),
            (
                "redb",
                StoreSpec::Redb(self.scratch.path().join("get.redb")),
            ),
        ] {
            let wasm = self.host.serve(options(spec.clone(), &config())).await?;
            seed(wasm.addr()).await?;
            let what = format!("badge GET, wasm, {label}");
            let wasm_samples = self
                .rows("1", &what, wasm.addr(), Load::Get(BADGE), &CONCURRENCY)
                .await?;
            wasm.shutdown().await;
            let native = native(&spec, &config()).await?;
            let server = native.serve().await?;
            for (c, w) in CONCURRENCY.into_iter().zip(wasm_samples) {
                let n = measure(&self.args, server.addr, Load::Get(BADGE), c).await?;
                self.table
                    .load("2", format!("badge GET, native, {label}, c={c}"), n);
                let ratio = (w.rps / n.rps, w.p99_ms / n.p99_ms);
                self.table.figure(
                    "2",
                    format!("wasm/native, {label}, c={c}"),
                    format!("{:.2}x req/s, {:.2}x p99", ratio.0, ratio.1),
                );
                ratios.push((label, c, ratio));
            }
        }
        // Issue 15: both stores, both loaded concurrencies.
        for (label, c, (throughput, p99)) in ratios.iter().filter(|(_, c, _)| *c > 1) {
            self.table.target(
                &format!("wasm badge throughput >= 0.8x native, {label}, c={c}"),
                format!("{throughput:.2}x"),
                *throughput >= 0.8,
            );
            self.table.target(
                &format!("wasm badge p99 <= 1.5x native, {label}, c={c}"),
                format!("{p99:.2}x"),
                *p99 <= 1.5,
            );
        }
        Ok(())
    }

    /// 4. Webhook pushes with distinct tags, into one repository and into many.
    async fn webhook(&mut self) -> anyhow::Result<()> {
        for one_repository in [true, false] {
            let shape = if one_repository {
                "one repository"
            } else {
                "a new repository each"
            };
            let spec = StoreSpec::Redis(self.redis.url(1));
            let wasm = self.host.serve(options(spec.clone(), &config())).await?;
            let load = Load::Pushes { one_repository };
            let what = format!("webhook push, wasm, Redis, {shape}");
            let w = self.rows("4", &what, wasm.addr(), load, &[1, 16]).await?;
            wasm.shutdown().await;
            let native = native(&spec, &config()).await?;
            let server = native.serve().await?;
            let mut n = Vec::new();
            for c in [1, 16] {
                let (read, written) = native.events();
                let s = measure(&self.args, server.addr, load, c).await?;
                let what = format!("webhook push, native, Redis, {shape}, c={c}");
                self.table.load("4", what, s);
                n.push(s);
                if one_repository {
                    // The fold: log entries a writer reads because other writers got in first.
                    let (read_after, written_after) = native.events();
                    let per_push =
                        (read_after - read) as f64 / (written_after - written).max(1) as f64;
                    self.table.figure(
                        "4",
                        format!("events folded per push, one repository, c={c}"),
                        format!("{per_push:.2}"),
                    );
                }
            }
            if let (true, Some(w), Some(n)) = (one_repository, w.last(), n.last()) {
                let ratio = w.rps / n.rps;
                self.table.target(
                    "pushes into one repository >= 0.8x native, c=16",
                    format!("{ratio:.2}x"),
                    ratio >= 0.8,
                );
            }
        }
        Ok(())
    }

    /// 5. Store round trips, counted where the calls are made.
    async fn round_trips(&mut self) -> anyhow::Result<()> {
        let spec = StoreSpec::Redis(self.redis.url(2));
        let direct = self.host.direct(options(spec.clone(), &config())).await?;
        let native = native(&spec, &config()).await?;
        let counts = round_trips(&direct, &native).await?;
        for (what, wasm, native) in &counts {
            self.table.figure(
                "5",
                format!("store round trips per {what} (wasm / native)"),
                format!("{wasm:.2} / {native:.2}"),
            );
        }
        if let Some((_, get, _)) = counts.iter().find(|(w, ..)| w.starts_with("badge GET")) {
            self.table.target(
                "1 store round trip per badge GET",
                format!("{get:.2}"),
                *get <= 1.0,
            );
        }
        let push_max = counts
            .iter()
            .filter(|(w, ..)| w.starts_with("push"))
            .map(|(_, w, _)| *w)
            .fold(0.0, f64::max);
        self.table.target(
            "<= 4 store round trips per push",
            format!("{push_max:.2} at most"),
            push_max <= 4.0,
        );
        Ok(())
    }

    /// 6. Per-request cost in process, and cold start.
    async fn in_process(&mut self) -> anyhow::Result<()> {
        let redb = StoreSpec::Redb(self.scratch.path().join("direct.redb"));
        let mut pooled_us = 0.0;
        for pooling in [true, false] {
            let host = Host::load(&self.args.wasm, pooling)?;
            let us = per_request_us(&host, redb.clone()).await?;
            let mode = if host.pooling() {
                "pooling allocator"
            } else {
                "on-demand allocator"
            };
            self.table.figure(
                "6",
                format!("instantiate + handle a badge GET in process, {mode}, redb"),
                format!("{us:.1} µs"),
            );
            if pooling {
                pooled_us = us;
            }
        }
        let native_us = native_per_request_us(redb.clone()).await?;
        self.table.figure(
            "6",
            "handle a badge GET natively in process, redb".into(),
            format!("{native_us:.1} µs"),
        );
        let floor_us = match (self.floor_us, &self.args.wasm_floor) {
            (Some(us), _) => Some(us),
            (None, Some(floor)) => {
                let store = StoreSpec::Redb(self.scratch.path().join("floor.redb"));
                Some(per_request_us(&Host::load(floor, true)?, store).await?)
            }
            (None, None) => None,
        };
        if let Some(floor_us) = floor_us {
            self.table.target(
                "instantiate + handle <= 2x the constant-badge floor (section 3)",
                format!(
                    "{:.1}x ({pooled_us:.1} µs / {floor_us:.1} µs)",
                    pooled_us / floor_us
                ),
                pooled_us <= 2.0 * floor_us,
            );
        }
        let cache = self.scratch.path().join("compile-cache");
        let cold = cold_start_ms(&self.args.wasm, None, redb.clone()).await?;
        cold_start_ms(&self.args.wasm, Some(&cache), redb.clone()).await?;
        let warm = cold_start_ms(&self.args.wasm, Some(&cache), redb.clone()).await?;
        self.table.figure(
            "6",
            "cold start: compile the .wasm to first response".into(),
            format!("{cold:.0} ms"),
        );
        self.table.figure(
            "6",
            "cold start with the compiled-code cache filled".into(),
            format!("{warm:.0} ms"),
        );
        Ok(())
    }

    /// 7. Size of what `wash build` ships, against opt-level "z".
    ///
    /// Both go through scripts/link-component (`wasm-opt -Os`); the release profile is
    /// opt-level 2.
    async fn size(&mut self) -> anyhow::Result<()> {
        let redb = StoreSpec::Redb(self.scratch.path().join("size.redb"));
        let size = std::fs::metadata(&self.args.wasm)?.len();
        self.table.figure(
            "7",
            format!(
                "component size, release profile ({})",
                self.args.wasm.display()
            ),
            format!("{size} B"),
        );
        if let Some(z) = &self.args.wasm_z {
            let z_size = std::fs::metadata(z)?.len();
            let z_us = per_request_us(&Host::load(z, true)?, redb.clone()).await?;
            self.table.figure(
                "7",
                "component size, opt-level z".into(),
                format!("{z_size} B"),
            );
            self.table.figure(
                "7",
                "instantiate + handle, opt-level z (the release profile: section 6)".into(),
                format!("{z_us:.1} µs"),
            );
        }
        self.table.target(
            "component <= 250 KB (the release profile)",
            format!("{size} B"),
            size <= 250_000,
        );
        Ok(())
    }

    /// 8. Scale: badge latency against the number of repositories and the length of history.
    async fn scale(&mut self) -> anyhow::Result<()> {
        let mut scale = Vec::new();
        for (db, repositories) in [(3u8, 10u64), (4, 10_000), (5, 100_000)] {
            let spec = StoreSpec::Redis(self.redis.url(db));
            populate(&spec, repositories, 1).await?;
            let wasm = self.host.serve(options(spec, &config())).await?;
            let s = measure(&self.args, wasm.addr(), Load::Get("/scale-0"), 16).await?;
            self.table.load(
                "8",
                format!("badge GET, wasm, Redis, {repositories} repositories, c=16"),
                s,
            );
            scale.push(s);
            wasm.shutdown().await;
        }
        let spec = StoreSpec::Redis(self.redis.url(6));
        populate(&spec, 1, 10_000).await?;
        let wasm = self.host.serve(options(spec, &config())).await?;
        let s = measure(&self.args, wasm.addr(), Load::Get("/scale-0"), 16).await?;
        self.table.load(
            "8",
            "badge GET, wasm, Redis, one repository with 10 000 events, c=16".into(),
            s,
        );
        wasm.shutdown().await;
        if let (Some(small), Some(large)) = (scale.first(), scale.last()) {
            let ratio = large.p50_ms / small.p50_ms;
            self.table.target(
                "flat badge latency from 10 to 100 000 repositories",
                format!(
                    "p50 {ratio:.2}x, history of 10 000: p50 {:.2}x",
                    s.p50_ms / small.p50_ms
                ),
                ratio <= 1.25 && s.p50_ms / small.p50_ms <= 1.25,
            );
        }
        Ok(())
    }

    /// 10. The SVG badge next to the JSON badge, same repository, same run.
    async fn svg(&mut self) -> anyhow::Result<()> {
        let spec = StoreSpec::Redis(self.redis.url(11));
        let wasm = self.host.serve(options(spec, &config())).await?;
        seed(wasm.addr()).await?;
        let svg_path = "/bench-app.svg";
        let json = self
            .rows(
                "10",
                "badge GET, JSON, wasm, Redis",
                wasm.addr(),
                Load::Get(BADGE),
                &[16, 64],
            )
            .await?;
        let svg = self
            .rows(
                "10",
                "badge GET, SVG, wasm, Redis",
                wasm.addr(),
                Load::Get(svg_path),
                &[16, 64],
            )
            .await?;
        wasm.shutdown().await;
        for (c, (j, s)) in [16, 64].into_iter().zip(json.iter().zip(&svg)) {
            let ratio = s.rps / j.rps;
            self.table.figure(
                "10",
                format!("SVG/JSON, c={c}"),
                format!("{ratio:.2}x req/s, {:.2}x p99", s.p99_ms / j.p99_ms),
            );
            self.table.target(
                &format!("SVG badge within 10% of the JSON badge at c={c}"),
                format!("{ratio:.2}x req/s"),
                ratio >= 0.9,
            );
        }
        Ok(())
    }

    /// 11. The catalog page (`GET /` as a browser asks) over 100,000 repositories.
    async fn catalog(&mut self) -> anyhow::Result<()> {
        const REPOSITORIES: u64 = 100_000;
        let spec = StoreSpec::Redis(self.redis.url(10));
        populate(&spec, REPOSITORIES, 1).await?;
        let direct = self.host.direct(options(spec.clone(), &config())).await?;
        let html = [("accept", "text/html")];
        let (status, page) = direct.request("GET", "/", &html, Bytes::new()).await?;
        if status != 200 {
            bail!("the catalog page answered {status}");
        }
        let calls = direct.store_calls();
        direct.request("GET", "/", &html, Bytes::new()).await?;
        let per_page = direct.store_calls() - calls;
        self.table.figure(
            "11",
            format!("catalog page, {REPOSITORIES} repositories: bytes per page, store round trips"),
            format!("{} B, {per_page}", page.len()),
        );
        let wasm = self.host.serve(options(spec, &config())).await?;
        let what = format!("catalog page, wasm, Redis, {REPOSITORIES} repositories");
        self.rows("11", &what, wasm.addr(), Load::Page("/"), &[16])
            .await?;
        let what = format!("catalog page, the next page (?cursor=), {REPOSITORIES} repositories");
        let next = next_page(&page).context("the catalog page links no next page")?;
        // A load lives as long as the run (`measure` hands it to a blocking task): one small
        // string, leaked once.
        let next: &'static str = Box::leak(next.into_boxed_str());
        self.rows("11", &what, wasm.addr(), Load::Page(next), &[16])
            .await?;
        wasm.shutdown().await;
        Ok(())
    }

    /// 9. Verification on read (issue 12).
    ///
    /// Badge reads that trigger verifications against a registry, next to the same reads
    /// that never verify: the verification runs after the answer, so p99 must not move.
    async fn verification(&mut self) -> anyhow::Result<()> {
        let registry = verify::serve_registry().await?;
        let url = format!("http://{}", registry.running.addr);
        let key = format!("registry.{}.url", verify::REGISTRY_HOST);
        let mut p99 = Vec::new();
        // 3600: the per-read check runs, but after the first read nothing is due for an
        // hour: what checking costs, apart from what verifying costs.
        for (db, interval) in [(7u8, "0"), (9, "3600"), (8, "1")] {
            let mut config: Vec<(&str, &str)> = config();
            config.push((key.as_str(), url.as_str()));
            config.push(("verify_interval", interval));
            let spec = StoreSpec::Redis(self.redis.url(db));
            let wasm = self.host.serve(options(spec, &config)).await?;
            seed(wasm.addr()).await?;
            // Due from the first read on.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let before = registry.requests();
            let what = match interval {
                "0" => "badge GET, wasm, Redis, never verified (verify_interval=0)",
                "1" => "badge GET, wasm, Redis, a verification every second (verify_interval=1)",
                _ => "badge GET, wasm, Redis, verified once, then checked (verify_interval=3600)",
            };
            let samples = self
                .rows("9", what, wasm.addr(), Load::Get(BADGE), &[16, 64])
                .await?;
            wasm.shutdown().await;
            self.table.figure(
                "9",
                format!("registry requests during that load (verify_interval={interval})"),
                (registry.requests() - before).to_string(),
            );
            p99.push(samples);
        }
        if let [off, _checked, on] = p99.as_slice() {
            for (c, (off, on)) in [16, 64].into_iter().zip(off.iter().zip(on)) {
                let ratio = on.p99_ms / off.p99_ms;
                self.table.target(
                    &format!("verifying reads: p99 <= 1.2x never-verified reads, c={c}"),
                    format!("{ratio:.2}x"),
                    ratio <= 1.2,
                );
            }
        }
        Ok(())
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let machine = report::machine();
    eprintln!("ociref-bench on {machine}");
    let mut bench = Bench {
        redis: RedisServer::start()?,
        scratch: tempfile::tempdir()?,
        host: Host::load(&args.wasm, true)?,
        table: Table::default(),
        floor_us: None,
        args,
    };
    if let Some(minutes) = bench.args.soak {
        let table = soak::run(&bench.host, &bench.redis, minutes).await?;
        let text = format!(
            "# ociref soak, {}\n\nMachine: {machine}\n\nRun: `scripts/bench --soak {minutes}`, {:.0} s in all.\n\n{table}",
            today(),
            started.elapsed().as_secs_f64()
        );
        println!("{text}");
        if let Some(out) = &bench.args.out {
            std::fs::write(out, text)
                .with_context(|| format!("could not write {}", out.display()))?;
        }
        return Ok(());
    }
    if bench.args.runs("3") {
        bench.floors().await?;
    }
    if bench.args.runs("1, 2") {
        bench.badge_get().await?;
    }
    if bench.args.runs("4") {
        bench.webhook().await?;
    }
    if bench.args.runs("5") {
        bench.round_trips().await?;
    }
    if bench.args.runs("6") {
        bench.in_process().await?;
    }
    if bench.args.runs("7") {
        bench.size().await?;
    }
    if bench.args.runs("8") {
        bench.scale().await?;
    }
    if bench.args.runs("9") {
        bench.verification().await?;
    }
    if bench.args.runs("10") {
        bench.svg().await?;
    }
    if bench.args.runs("11") {
        bench.catalog().await?;
    }
    let (args, table) = (bench.args, bench.table);
    let markdown = table.markdown();
    println!("{markdown}");
    if let Some(out) = &args.out {
        let text = format!(
            "# ociref benchmark, {}\n\nMachine: {machine}\n\nRun: `scripts/bench` ({} s per run, median of {}, after a 1 s warm-up), {:.0} s in all.\n\n{markdown}",
            today(),
            args.duration.as_secs(),
            args.repeats,
            started.elapsed().as_secs_f64()
        );
        std::fs::write(out, text).with_context(|| format!("could not write {}", out.display()))?;
        eprintln!("written to {}", out.display());
    }
    Ok(())
}

fn today() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The repository every badge GET asks for.
async fn seed(addr: SocketAddr) -> anyhow::Result<()> {
    let body = push_body("seed-1", "bench-app", "1.0.0");
    let (status, answer) = tokio::task::spawn_blocking(move || post(addr, &body)).await??;
    if status != 200 {
        bail!("seeding failed: {status} {answer}");
    }
    Ok(())
}

/// The catalog page's link to its next page, as the browser would follow it.
fn next_page(page: &[u8]) -> Option<String> {
    let page = String::from_utf8_lossy(page);
    let end = page.find("\" rel=\"next\"")?;
    let start = page.get(..end)?.rfind("href=\"")? + 6;
    Some(page.get(start..end)?.replace("&amp;", "&"))
}

/// A minimal blocking HTTP/1.1 POST (the only client call outside wrk).
fn post(addr: SocketAddr, body: &[u8]) -> anyhow::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "POST /api/azurehook HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        wrk::TOKEN,
        body.len()
    )?;
    stream.write_all(body)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, answer))
}

/// The `i`th request of a kind: method, path, body.
type RequestOf = fn(u64) -> (&'static str, String, Bytes);

/// Calls per request of each kind, averaged over 20 requests, for the component and natively.
async fn round_trips(direct: &Direct, native: &Native) -> anyhow::Result<Vec<(String, f64, f64)>> {
    const N: u64 = 20;
    let kinds: [(&str, RequestOf); 4] = [
        ("push, a repository's first event", |i| {
            (
                "POST",
                "/api/azurehook".into(),
                push_body(&format!("first-{i}"), &format!("rt-{i}"), "1.0.0"),
            )
        }),
        ("push to a tracked repository", |i| {
            (
                "POST",
                "/api/azurehook".into(),
                push_body(&format!("next-{i}"), &format!("rt-{i}"), "1.1.0"),
            )
        }),
        ("badge GET of a tracked repository", |i| {
            ("GET", format!("/rt-{i}"), Bytes::new())
        }),
        ("badge GET of an unknown repository", |i| {
            ("GET", format!("/nothing-{i}"), Bytes::new())
        }),
    ];
    let mut counts = Vec::new();
    for (what, request) in kinds {
        let before = direct.store_calls();
        for i in 0..N {
            let (method, path, body) = request(i);
            let (status, answer) = direct.request(method, &path, &[AUTH, JSON], body).await?;
            if status >= 500 || (method == "POST" && status != 200) {
                bail!("{what}: {status} {answer:?}");
            }
        }
        let wasm = (direct.store_calls() - before) as f64 / N as f64;
        // Natively, against other keys of the same store.
        let native = native.clone();
        let calls = tokio::task::spawn_blocking(move || {
            let before = native.store_calls();
            for i in 0..N {
                let (method, path, body) = request(i + 1_000_000);
                let method = if method == "POST" {
                    ociref::http::Method::Post
                } else {
                    ociref::http::Method::Get
                };
                let mut plain = ociref::http::Request::new(method, &path).with_json(body.to_vec());
                plain = plain.with_authorization(AUTH.1);
                native.handle(&plain);
            }
            (native.store_calls() - before) as f64 / N as f64
        })
        .await?;
        counts.push((what.to_owned(), wasm, calls));
    }
    Ok(counts)
}

/// The median time of a badge GET handed to a fresh instance, in process.
async fn per_request_us(host: &Host, spec: StoreSpec) -> anyhow::Result<f64> {
    let direct = host.direct(options(spec, &config())).await?;
    direct
        .request(
            "POST",
            "/api/azurehook",
            &[AUTH, JSON],
            push_body("direct-1", "bench-app", "1.0.0"),
        )
        .await?;
    let mut times = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let started = Instant::now();
        let (status, _) = direct.request("GET", BADGE, &[], Bytes::new()).await?;
        times.push(started.elapsed().as_secs_f64() * 1e6);
        if status != 200 {
            bail!("badge GET answered {status}");
        }
    }
    Ok(median(times.into_iter()))
}

async fn native_per_request_us(spec: StoreSpec) -> anyhow::Result<f64> {
    let native = native(&spec, &config()).await?;
    tokio::task::spawn_blocking(move || {
        let request = ociref::http::Request::new(ociref::http::Method::Get, BADGE);
        let times = (0..2000).map(|_| {
            let started = Instant::now();
            native.handle(&request);
            started.elapsed().as_secs_f64() * 1e6
        });
        median(times.collect::<Vec<_>>().into_iter())
    })
    .await
    .map_err(Into::into)
}

/// From the `.wasm` file to the first answer, in ms (median of 3).
async fn cold_start_ms(wasm: &Path, cache: Option<&Path>, spec: StoreSpec) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (wasm, cache) = (wasm.to_path_buf(), cache.map(Path::to_path_buf));
        let host =
            tokio::task::spawn_blocking(move || Host::load_cached(&wasm, true, cache.as_deref()))
                .await??;
        let direct = host.direct(options(spec.clone(), &config())).await?;
        direct.request("GET", BADGE, &[], Bytes::new()).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(times.into_iter()))
}

/// `repositories` repositories (`scale-0`, ...) with `events` pushes each, written natively
/// through the same handler, with retention high enough to keep every event.
async fn populate(spec: &StoreSpec, repositories: u64, events: u64) -> anyhow::Result<()> {
    let config = [
        ("webhook_token", wrk::TOKEN),
        ("history_retention", "100000"),
    ];
    let native = native(spec, &config).await?;
    let workers: u64 = 8;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let native = native.clone();
            tokio::task::spawn_blocking(move || {
                for r in (w..repositories).step_by(workers as usize) {
                    for e in 0..events {
                        let body = push_body(
                            &format!("scale-{r}-{e}"),
                            &format!("scale-{r}"),
                            &format!("1.{e}.0"),
                        );
                        let request = ociref::http::Request::new(
                            ociref::http::Method::Post,
                            "/api/azurehook",
                        )
                        .with_json(body.to_vec())
                        .with_authorization(AUTH.1);
                        let response = native.handle(&request);
                        if response.status != 200 {
                            return Err(anyhow::anyhow!(
                                "populate: {}",
                                String::from_utf8_lossy(&response.body)
                            ));
                        }
                    }
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}
