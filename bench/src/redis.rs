//! A `redis-server` of the benchmark's own (memory only, a free port), and the store floor
//! measured on it with `redis-benchmark`.

use anyhow::{bail, Context as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    pub fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .stdout(Stdio::null())
            .spawn()
            .context("could not start redis-server: apt-get install redis-server")?;
        let server = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("redis-server did not listen on {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// Database `db` of this server, as the dev host's `--store` takes it.
    pub fn url(&self, db: u8) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }

    /// `redis-benchmark -t get`: (requests/s, p50 ms, p99 ms) at `clients` connections.
    pub fn benchmark_get(&self, clients: u32, requests: u32) -> anyhow::Result<(f64, f64, f64)> {
        let output = Command::new("redis-benchmark")
            .args(["-p", &self.port.to_string(), "-t", "get", "--csv"])
            .args(["-c", &clients.to_string(), "-n", &requests.to_string()])
            .output()
            .context("could not run redis-benchmark (package redis-tools)")?;
        let csv = String::from_utf8_lossy(&output.stdout);
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        let row = csv
            .lines()
            .find(|l| l.starts_with("\"GET\""))
            .with_context(|| format!("unexpected redis-benchmark output: {csv}"))?;
        let fields: Vec<f64> = row
            .split(',')
            .skip(1)
            .filter_map(|f| f.trim_matches('"').parse().ok())
            .collect();
        match fields.as_slice() {
            [rps, _avg, _min, p50, _p95, p99, ..] => Ok((*rps, *p50, *p99)),
            _ => bail!("unexpected redis-benchmark row: {row}"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
