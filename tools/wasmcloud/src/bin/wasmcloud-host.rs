//! A wasmCloud 1.9 host (`wasmcloud-host` 0.27.1, the library the official 1.9.2 binary wraps)
//! for `wash up --host-path`. It reads the environment `wash up` sets for the official binary;
//! only the settings a local lattice needs are wired, everything else keeps the library default.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use nkeys::KeyPair;
use url::Url;
use wasmcloud_host::{WasmbusHost, WasmbusHostConfig};

#[derive(Parser)]
#[command(version)]
struct Args {
    #[arg(long, env = "WASMCLOUD_LATTICE", default_value = "default")]
    lattice: String,
    #[arg(long, env = "WASMCLOUD_HOST_SEED")]
    host_seed: Option<String>,
    #[arg(long, env = "WASMCLOUD_CTL_HOST", default_value = "127.0.0.1")]
    ctl_host: String,
    #[arg(long, env = "WASMCLOUD_CTL_PORT", default_value_t = 4222)]
    ctl_port: u16,
    #[arg(long, env = "WASMCLOUD_RPC_HOST", default_value = "127.0.0.1")]
    rpc_host: String,
    #[arg(long, env = "WASMCLOUD_RPC_PORT", default_value_t = 4222)]
    rpc_port: u16,
    #[arg(long, env = "WASMCLOUD_RPC_TIMEOUT_MS", default_value_t = 2000)]
    rpc_timeout_ms: u64,
    #[arg(long, env = "WASMCLOUD_JS_DOMAIN")]
    js_domain: Option<String>,
    /// An invocation running longer than this is cancelled (and answers an error).
    #[arg(
        long,
        env = "WASMCLOUD_MAX_EXECUTION_TIME_MS",
        default_value_t = 600_000
    )]
    max_execution_time_ms: u64,
    #[arg(long, env = "WASMCLOUD_PROV_SHUTDOWN_DELAY_MS", default_value_t = 300)]
    provider_shutdown_delay_ms: u64,
    #[arg(long, env = "WASMCLOUD_ALLOW_FILE_LOAD", default_value_t = true, action = clap::ArgAction::Set)]
    allow_file_load: bool,
    #[arg(long, env = "WASMCLOUD_OCI_ALLOWED_INSECURE", value_delimiter = ',')]
    allowed_insecure: Vec<String>,
    /// `key=value` labels; `WASMCLOUD_LABEL_<key>` variables are read too.
    #[arg(long = "label", short = 'l')]
    labels: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,cranelift=warn,wasmtime=warn".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let mut labels: HashMap<String, String> = std::env::vars()
        .filter_map(|(key, value)| Some((key.strip_prefix("WASMCLOUD_LABEL_")?.to_owned(), value)))
        .collect();
    for label in &args.labels {
        let (key, value) = label
            .split_once('=')
            .with_context(|| format!("label `{label}` is not key=value"))?;
        labels.insert(key.to_owned(), value.to_owned());
    }
    let host_key = args
        .host_seed
        .as_deref()
        .map(KeyPair::from_seed)
        .transpose()
        .context("WASMCLOUD_HOST_SEED is not a server seed")?
        .map(Arc::new);
    let defaults = WasmbusHostConfig::default();
    let config = WasmbusHostConfig {
        ctl_nats_url: Url::parse(&format!("nats://{}:{}", args.ctl_host, args.ctl_port))?,
        rpc_nats_url: Url::parse(&format!("nats://{}:{}", args.rpc_host, args.rpc_port))?,
        rpc_timeout: Duration::from_millis(args.rpc_timeout_ms),
        lattice: Arc::from(args.lattice),
        js_domain: args.js_domain,
        labels,
        host_key,
        provider_shutdown_delay: Some(Duration::from_millis(args.provider_shutdown_delay_ms)),
        oci_opts: wasmcloud_host::OciConfig {
            allowed_insecure: args.allowed_insecure,
            ..Default::default()
        },
        allow_file_load: args.allow_file_load,
        max_execution_time: Duration::from_millis(args.max_execution_time_ms),
        ..defaults
    };

    let (host, shutdown) = Box::pin(WasmbusHost::new(config))
        .await
        .context("failed to start the host")?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal?,
        _ = terminate.recv() => {}
        stopped = host.stopped() => { stopped?; }
    }
    drop(host);
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .context("host shutdown timed out")??;
    Ok(())
}
