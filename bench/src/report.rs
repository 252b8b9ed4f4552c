//! The one table a run prints, the targets it is read against, and the machine it ran on.

use crate::wrk::Sample;
use std::fmt::Write as _;
use std::process::Command;

pub struct Row {
    pub section: &'static str,
    pub what: String,
    pub figure: String,
    pub sample: Option<Sample>,
}

#[derive(Default)]
pub struct Table {
    pub rows: Vec<Row>,
    pub targets: Vec<(String, String, bool)>,
}

impl Table {
    pub fn load(&mut self, section: &'static str, what: String, sample: Sample) {
        self.rows.push(Row {
            section,
            what,
            figure: format!("{:.0} req/s", sample.rps),
            sample: Some(sample),
        });
    }

    pub fn figure(&mut self, section: &'static str, what: String, figure: String) {
        self.rows.push(Row {
            section,
            what,
            figure,
            sample: None,
        });
    }

    pub fn target(&mut self, target: &str, measured: String, met: bool) {
        self.targets.push((target.to_owned(), measured, met));
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| # | measurement | figure | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            let (p50, p99, errors) = match row.sample {
                Some(s) => (
                    format!("{:.3}", s.p50_ms),
                    format!("{:.3}", s.p99_ms),
                    s.errors.to_string(),
                ),
                None => (String::new(), String::new(), String::new()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {p50} | {p99} | {errors} |",
                row.section, row.what, row.figure
            );
        }
        out.push_str("\n| target | measured | met |\n|---|---|---|\n");
        for (target, measured, met) in &self.targets {
            let _ = writeln!(
                out,
                "| {target} | {measured} | {} |",
                if *met { "yes" } else { "**no**" }
            );
        }
        out
    }
}

/// What the figures were measured on.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let version = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .ok()
            .map(|o| {
                let text = if o.stdout.is_empty() {
                    o.stderr
                } else {
                    o.stdout
                };
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_else(|| format!("{cmd}: not found"))
    };
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {memory}; {}; {}; {}; {}; commit {head}",
        version("uname", "-sr"),
        version("rustc", "-V"),
        version("redis-server", "--version"),
        version("wrk", "-v"),
    )
}
