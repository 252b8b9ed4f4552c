//! # ociref-devhost
//!
//! A small wasmtime 36 LTS host (wasmCloud 1.9.2 runs wasmtime 38) that serves the release
//! `ociref.wasm` over HTTP/1.1 and provides its imports:
//!
//! | import | provided by |
//! |---|---|
//! | `wasi:http/incoming-handler` (export) | [`server`]: hyper, one fresh instance per request |
//! | `wasi:keyvalue/{store,atomics,batch}` | [`kv`]: Redis (`redis://`) or an embedded redb file |
//! | `wasi:config/store` | [`config`]: TOML file, `OCIREF_*` environment, `--config` flags |
//! | `wasi:logging/logging` | [`logging`]: stderr, `LEVEL context: message` |
//! | `wasi:http/outgoing-handler` | `outgoing`: hyper + rustls (system CAs), timeouts capped |
//! | `wasi:clocks`, `wasi:io`, `wasi:cli`, ... | `wasmtime-wasi` |
//!
//! For tests and benchmarks, start it in-process:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use devhost::{Host, ServeOptions, StoreSpec};
//! let host = Host::load(devhost::DEFAULT_WASM.as_ref(), true)?;
//! let running = host.serve(ServeOptions::new(StoreSpec::Redb("/tmp/o.redb".into()))).await?;
//! println!("http://{}/healthz, {} store calls so far", running.addr(), running.store_calls());
//! running.shutdown().await;
//! # Ok(()) }
//! ```

mod bindings;
mod cache;
pub mod config;
mod direct;
mod imports;
pub mod kv;
pub mod logging;
mod outgoing;
mod runtime;
mod server;
mod state;

pub use direct::Direct;
pub use kv::{KeyValue, KvError, StoreSpec};
pub use logging::LogLevel;
pub use runtime::{Host, BUILD_HINT};

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The component `build.rs` built from this checkout (or `OCIREF_WASM` at build time).
pub const DEFAULT_WASM: &str = env!("OCIREF_WASM");
/// The wasmCloud 2.x build of the same checkout (feature `wasmcloud-v2`), which this host
/// serves too (it links both versions of wasi:config).
pub const V2_WASM: &str = env!("OCIREF_V2_WASM");

/// Where and with what a loaded component is served.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Port 0 picks a free port; [`RunningHost::addr`] tells which.
    pub listen: SocketAddr,
    pub store: StoreSpec,
    /// Component configuration (wasi:config). May hold secrets: never logged.
    pub config: BTreeMap<String, String>,
    /// Serve even if Redis is unreachable at start (store calls fail until it is up).
    pub degraded_start: bool,
    pub log_level: LogLevel,
    /// The longest the component's outgoing requests (wasi:http/outgoing-handler) may wait to
    /// connect, for the first response byte, and between body bytes: each bound separately.
    pub outgoing_timeout: std::time::Duration,
}

/// [`ServeOptions::outgoing_timeout`] unless told otherwise.
pub const DEFAULT_OUTGOING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl ServeOptions {
    /// Loopback, a free port, no configuration, warnings and errors logged.
    pub fn new(store: StoreSpec) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store,
            config: BTreeMap::new(),
            degraded_start: false,
            log_level: LogLevel::Warn,
            outgoing_timeout: DEFAULT_OUTGOING_TIMEOUT,
        }
    }
}

/// Everything needed to compile and serve in one call ([`Host::start`]).
#[derive(Debug, Clone)]
pub struct HostOptions {
    pub wasm: PathBuf,
    /// Use the pooling allocator when the machine allows it.
    pub pooling: bool,
    /// A directory for compiled code, so a restart skips compiling (see [`Host::load_cached`]).
    pub compile_cache: Option<PathBuf>,
    pub serve: ServeOptions,
}

/// A host serving on [`addr`](Self::addr) until [`shutdown`](Self::shutdown) (or drop).
pub struct RunningHost {
    addr: SocketAddr,
    pooling: bool,
    store_calls: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Host {
    /// Compiles `options.wasm` and serves it. The store and the address are opened while the
    /// component compiles, so a dead Redis or a busy port is reported at once.
    pub async fn start(options: HostOptions) -> anyhow::Result<RunningHost> {
        runtime::require_file(&options.wasm)?;
        let HostOptions {
            wasm,
            pooling,
            compile_cache,
            serve,
        } = options;
        // Compiling takes seconds of CPU: keep it off the async workers.
        let compile = tokio::task::spawn_blocking(move || {
            Host::load_cached(&wasm, pooling, compile_cache.as_deref())
        });
        let endpoint = Endpoint::open(serve).await?;
        let host = compile.await??;
        Ok(host.launch(endpoint))
    }

    /// Opens the store, binds the address and starts serving this component in the background.
    pub async fn serve(&self, options: ServeOptions) -> anyhow::Result<RunningHost> {
        Ok(self.launch(Endpoint::open(options).await?))
    }

    fn launch(&self, endpoint: Endpoint) -> RunningHost {
        let Endpoint {
            listener,
            addr,
            shared,
        } = endpoint;
        let store_calls = shared.store.call_counter();
        let (stop, stopped) = watch::channel(false);
        let server = server::Server::new(self.clone(), shared);
        let task = tokio::spawn(server.run(listener, stopped));
        RunningHost {
            addr,
            pooling: self.pooling(),
            store_calls,
            stop,
            task: Some(task),
        }
    }
}

/// What a server needs besides the component: an open store and a bound socket.
struct Endpoint {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    shared: state::Shared,
}

impl Endpoint {
    async fn open(options: ServeOptions) -> anyhow::Result<Self> {
        let listener = bind(options.listen)?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            shared: state::Shared::open(options).await?,
        })
    }
}

/// Binds like `wasmtime serve` does (`SO_REUSEADDR`, so a restarted host can take its port
/// back from connections in TIME_WAIT), with an error that says what to do.
fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "{addr} is already in use (another ociref-devhost?); stop it or pick another \
             address with --listen, e.g. --listen 127.0.0.1:0 for any free port"
        ),
        _ => anyhow::Error::new(e).context(format!("could not listen on {addr}")),
    })?;
    socket
        .listen(1024)
        .with_context(|| format!("could not listen on {addr}"))
}

impl RunningHost {
    /// The bound address (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// `wasi:keyvalue` calls made by the component since start: one per host function call,
    /// which is one round trip to Redis (or one redb transaction).
    pub fn store_calls(&self) -> u64 {
        self.store_calls.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets requests in flight finish, and releases the store.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        // Dropped without `shutdown`: still stop serving, just without waiting.
        let _ = self.stop.send(true);
    }
}
