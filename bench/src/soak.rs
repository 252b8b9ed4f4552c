//! `ociref-bench --soak MINUTES`: mixed traffic (95% badge reads, 5% pushes to 1,000
//! repositories) against the component in the dev host with Redis, one `wrk` minute after
//! another, sampling after each minute what could grow: this process's resident memory (the
//! dev host runs in it), Redis' memory and key count, and the minute's p99. Run by hand, not in
//! CI; the figures go to bench/results.

use crate::redis::RedisServer;
use crate::wrk::{self, Load};
use anyhow::Context as _;
use devhost::{Host, StoreSpec};
use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

const REPOSITORIES: u32 = 1000;
const PUSH_PERCENT: u32 = 5;
const CONNECTIONS: u32 = 16;
/// Kept low so that every repository's history reaches it early in the run: from then on a
/// store that still grows is a leak, not retention filling up.
const HISTORY_RETENTION: &str = "50";

pub async fn run(host: &Host, redis: &RedisServer, minutes: u32) -> anyhow::Result<String> {
    let config = [
        ("webhook_token", wrk::TOKEN),
        ("history_retention", HISTORY_RETENTION),
    ];
    let server = host
        .serve(crate::options(StoreSpec::Redis(redis.url(5)), &config))
        .await?;
    let addr = server.addr();
    let mut table = format!(
        "Soak: {minutes} min of `wrk` at c={CONNECTIONS}, {}% badge GETs and {PUSH_PERCENT}% \
         pushes, {REPOSITORIES} repositories, history_retention {HISTORY_RETENTION}; sampled \
         after each minute.\n\n\
         | minute | req/s | p50 ms | p99 ms | errors | host RSS MiB | Redis used MiB | Redis keys |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        100 - PUSH_PERCENT
    );
    for minute in 1..=minutes {
        let load = Load::Mixed {
            repositories: REPOSITORIES,
            push_percent: PUSH_PERCENT,
        };
        let sample = tokio::task::spawn_blocking(move || {
            wrk::run(addr, load, CONNECTIONS, Duration::from_secs(60))
        })
        .await??;
        let row = format!(
            "| {minute} | {:.0} | {:.3} | {:.3} | {} | {:.1} | {:.1} | {} |",
            sample.rps,
            sample.p50_ms,
            sample.p99_ms,
            sample.errors,
            resident_mib()?,
            redis_info(redis, "used_memory:")? / 1_048_576.0,
            redis_keys(redis)?,
        );
        eprintln!("{row}");
        let _ = writeln!(table, "{row}");
    }
    server.shutdown().await;
    Ok(table)
}

/// This process's resident set (`VmRSS`), in MiB.
fn resident_mib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/self/status")?;
    Ok(kib / 1024.0)
}

fn redis_cli(redis: &RedisServer, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "-n", "5"])
        .args(args)
        .output()
        .context("could not run redis-cli (package redis-tools)")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A numeric field of `INFO memory`.
fn redis_info(redis: &RedisServer, field: &str) -> anyhow::Result<f64> {
    redis_cli(redis, &["info", "memory"])?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no {field} in Redis INFO"))
}

fn redis_keys(redis: &RedisServer) -> anyhow::Result<u64> {
    redis_cli(redis, &["dbsize"])?
        .trim()
        .parse()
        .context("unexpected DBSIZE answer")
}
