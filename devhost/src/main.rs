//! `ociref-devhost`: serve ociref on one machine, with an embedded store by default or Redis.
//!
//! ```text
//! cargo run -p ociref-devhost -- --config webhook_token=change-me
//! cargo run -p ociref-devhost -- --store redis://127.0.0.1:6379 --config-file ociref.toml
//! ```

use anyhow::Context as _;
use clap::Parser;
use devhost::{Host, HostOptions, LogLevel, ServeOptions, StoreSpec};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Serves the ociref WebAssembly component over HTTP, with its key-value store in an embedded
/// file (default) or in Redis.
#[derive(Parser, Debug)]
#[command(name = "ociref-devhost", version)]
struct Args {
    /// The component to serve (default: the one built from this checkout).
    #[arg(long, value_name = "PATH", default_value = devhost::DEFAULT_WASM)]
    wasm: PathBuf,

    /// Address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,

    /// `redb:PATH` for the embedded store, or `redis://HOST:PORT` for Redis.
    #[arg(long, value_name = "STORE", default_value = "redb:./ociref.redb")]
    store: StoreSpec,

    /// Component configuration `key=value` (repeatable); beats OCIREF_<KEY> variables and
    /// the config file. Keys: webhook_token, allow_unauthenticated, policy,
    /// include_prereleases, badge_label, badge_color, badge_logo, history_retention.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,

    /// A TOML file of component configuration (flat `key = value` table).
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,

    /// Start even if Redis is unreachable; store calls fail (503) until it is up.
    #[arg(long)]
    degraded_start: bool,

    /// Allocate every instance on demand instead of from the pooling allocator.
    #[arg(long)]
    no_pooling: bool,

    /// Keep compiled code in DIR, so the next start with the same .wasm skips compiling.
    #[arg(long, value_name = "DIR")]
    compile_cache: Option<PathBuf>,

    /// Least severe log level printed: trace, debug, info, warn, error, critical, off.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: LogLevel,

    /// Seconds the component's outgoing requests (to registries) may wait to connect, for
    /// the first response byte, and between body bytes, each.
    #[arg(long, value_name = "SECONDS", default_value_t = devhost::DEFAULT_OUTGOING_TIMEOUT.as_secs_f64())]
    outgoing_timeout: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(args));
    // Do not wait for a compile still running on the blocking pool after a startup error.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config =
        devhost::config::load(args.config_file.as_deref(), std::env::vars(), &args.config)?;
    // Only the names: values may be secret.
    let keys = config.keys().cloned().collect::<Vec<_>>().join(", ");
    let has_token = config.contains_key("webhook_token");
    let open_writes = config
        .get("allow_unauthenticated")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let running = Host::start(HostOptions {
        wasm: args.wasm.clone(),
        pooling: !args.no_pooling,
        compile_cache: args.compile_cache.clone(),
        serve: ServeOptions {
            listen: args.listen,
            store: args.store.clone(),
            config,
            degraded_start: args.degraded_start,
            log_level: args.log_level,
            outgoing_timeout: std::time::Duration::try_from_secs_f64(args.outgoing_timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .context("--outgoing-timeout must be a positive number of seconds")?,
        },
    })
    .await?;

    let url = format!("http://{}", running.addr());
    println!("ociref-devhost serving {} on {url}", args.wasm.display());
    println!(
        "  store: {}; pooling allocator: {}; config keys: {}",
        args.store,
        if running.pooling() { "on" } else { "off" },
        if keys.is_empty() { "(none)" } else { &keys }
    );
    if !has_token && !open_writes {
        println!(
            "  no webhook_token configured: webhooks get 401. Pass --config webhook_token=... \
             (or OCIREF_WEBHOOK_TOKEN), or --config allow_unauthenticated=true for a local trial."
        );
    }
    let auth = if has_token {
        " -H 'Authorization: Bearer <webhook_token>'"
    } else {
        ""
    };
    println!("try:");
    println!("  curl -i {url}/healthz");
    println!(
        "  curl -i{auth} -H 'Content-Type: application/json' --data @../shared/fixtures/acr/push.json {url}/api/azurehook"
    );
    println!("  curl -i {url}/api/refs");
    println!("  curl -i {url}/hello-world");

    shutdown_signal().await;
    eprintln!("shutting down (ctrl-c again to force)");
    tokio::select! {
        _ = running.shutdown() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager or `kill`.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
