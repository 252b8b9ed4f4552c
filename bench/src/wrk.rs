//! Load from Debian's `wrk` (one thread, keep-alive connections), parsed from its report.

use anyhow::{bail, Context as _};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

/// One run's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers plus socket errors and timeouts.
    pub errors: u64,
}

/// What to send: a badge GET, or webhook pushes with distinct tags.
#[derive(Debug, Clone, Copy)]
pub enum Load<'a> {
    Get(&'a str),
    /// A GET as a browser asks: `Accept: text/html` (the pages).
    Page(&'a str),
    /// Every push into one repository (writers contend), or each into a new one.
    Pushes {
        one_repository: bool,
    },
    /// The soak's traffic: badge GETs of `repositories` repositories, `push_percent` of the
    /// requests pushes to one of them (a random one each time).
    Mixed {
        repositories: u32,
        push_percent: u32,
    },
}

pub const TOKEN: &str = "bench-token";

pub fn run(
    addr: SocketAddr,
    load: Load<'_>,
    connections: u32,
    duration: Duration,
) -> anyhow::Result<Sample> {
    let dir = tempfile::tempdir()?;
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{}s", duration.as_secs().max(1)),
        "--latency",
        "--timeout",
        "5s",
    ]);
    let url = match load {
        Load::Get(path) => format!("http://{addr}{path}"),
        Load::Page(path) => {
            command.args(["-H", "Accept: text/html"]);
            format!("http://{addr}{path}")
        }
        Load::Pushes { one_repository } => {
            let repository = if one_repository {
                r#""bench-one""#.to_owned()
            } else {
                format!(r#""bench-{:08x}-" .. n"#, run_id())
            };
            let script = format!(
                "{}request = function()\n  n = n + 1\n  return push(n, {repository})\nend\n",
                push_function()
            );
            script_arg(&mut command, dir.path(), &script)?;
            format!("http://{addr}/api/azurehook")
        }
        Load::Mixed {
            repositories,
            push_percent,
        } => {
            let script = format!(
                r#"{}math.randomseed({})
request = function()
  n = n + 1
  local repository = "soak-" .. math.random({repositories})
  if math.random(100) <= {push_percent} then
    return push(n, repository)
  end
  return wrk.format("GET", "/" .. repository)
end
"#,
                push_function(),
                run_id()
            );
            script_arg(&mut command, dir.path(), &script)?;
            format!("http://{addr}/")
        }
    };
    let output = command.arg(&url).output().context(
        "could not run wrk (the load generator): apt-get install wrk, or run scripts/bench",
    )?;
    let report = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            report,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse(&report).with_context(|| format!("unexpected wrk report:\n{report}"))
}

fn script_arg(command: &mut Command, dir: &std::path::Path, script: &str) -> anyhow::Result<()> {
    let path = dir.join("load.lua");
    std::fs::write(&path, script)?;
    command.arg("-s").arg(&path);
    Ok(())
}

/// Distinguishes runs against the same store: event ids stay distinct.
fn run_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 & 0xffff_ffff)
        .unwrap_or(0)
}

/// A Lua `push(n, repository)`: an ACR push payload (the fixture's shape) with its own id,
/// tag `1.<n>.0` and digest, and a counter `n` for the caller. Digests begin with a hash of
/// `n`, as real ones differ from their first hex digit: digests that share a long prefix make
/// every comparison of them scan it.
fn push_function() -> String {
    let run = run_id();
    format!(
        r#"local n = 0
push = function(n, repository)
  local hash = (n * 2654435761) % 4294967296
  local body = string.format('{{"id":"{run:08x}-%d","timestamp":"2026-01-02T03:04:05Z","action":"push","target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":524,"digest":"sha256:%08x{run:08x}%048x","length":524,"repository":"%s","tag":"1.%d.0"}},"request":{{"id":"bench","host":"bench.azurecr.io","method":"PUT","useragent":"wrk"}}}}', n, hash, n, repository, n)
  return wrk.format("POST", "/api/azurehook", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {TOKEN}"}}, body)
end
"#
    )
}

fn parse(report: &str) -> Option<Sample> {
    let mut sample = Sample::default();
    for line in report.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(v)) => sample.rps = v.parse().ok()?,
            (Some("50%"), Some(v)) => sample.p50_ms = millis(v)?,
            (Some("99%"), Some(v)) => sample.p99_ms = millis(v)?,
            (Some("Non-2xx"), _) => {
                sample.errors += line.rsplit(' ').next()?.parse::<u64>().ok()?
            }
            (Some("Socket"), Some("errors:")) => {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                for part in line.split(',') {
                    sample.errors += part.rsplit(' ').next()?.parse::<u64>().ok()?;
                }
            }
            _ => {}
        }
    }
    (sample.rps > 0.0).then_some(sample)
}

fn millis(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_report() {
        let report = "Running 2s test @ http://127.0.0.1:1/x
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   561.42us  120.00us   3.20ms   90.00%
  Latency Distribution
     50%  537.00us
     75%  600.00us
     90%  700.00us
     99%    1.50ms
  56000 requests in 2.00s, 10.00MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  28000.50
Transfer/sec:      5.00MB
";
        let s = parse(report).unwrap();
        assert_eq!(s.rps, 28000.5);
        assert!((s.p50_ms - 0.537).abs() < 1e-9);
        assert_eq!(s.p99_ms, 1.5);
        assert_eq!(s.errors, 6);
    }
}
