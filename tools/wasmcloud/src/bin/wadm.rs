//! wadm 0.21.1 (the `wadm` library with its `cli` feature) for `wash up`, which reuses a `wadm`
//! in `WASH_DOWNLOADS_DIR` when `wadm --version` says exactly `wadm 0.21.1`.

use std::io::IsTerminal as _;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = wadm::config::WadmConfig::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let mut tasks = wadm::start_wadm(config).await?;
    tokio::select! {
        finished = tasks.join_next() => match finished {
            Some(result) => result?,
            None => Ok(()),
        },
        signal = tokio::signal::ctrl_c() => Ok(signal?),
    }
}
