//! The compiled component and everything needed to instantiate it quickly: the engine (with
//! the pooling allocator where the machine allows it), the linker with every import of
//! ociref's world, and the pre-instantiated `ProxyPre`.

use crate::bindings::wasi::{keyvalue, logging};
use crate::bindings::{config, config_v2};
use crate::cache;
use crate::state::{RequestState, Shared};
use anyhow::{bail, Context as _};
use bytes::Bytes;
use std::future::Future;
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi_http::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::bindings::ProxyPre;
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

/// Where the guest's response arrives: the head as soon as it is set, the body streaming.
pub(crate) type ResponseReceiver =
    oneshot::Receiver<Result<hyper::Response<HyperOutgoingBody>, ErrorCode>>;

/// How to build the component when it is missing; printed with every "not found".
pub const BUILD_HINT: &str =
    "build it with:  cargo build --release --target wasm32-wasip2 -p ociref\n\
     (first time: rustup target add wasm32-wasip2, apt-get install binaryen), or pass --wasm PATH";

/// A compiled ociref component, ready to serve. Cheap to clone; tests share one so the
/// component is compiled once per test binary.
#[derive(Clone)]
pub struct Host {
    pub(crate) pre: ProxyPre<RequestState>,
    wasm: PathBuf,
    pooling: bool,
}

impl Host {
    /// Compiles the component at `wasm` and links it against this host's imports. With
    /// `pooling`, uses the pooling allocator if the machine has the address space for it.
    pub fn load(wasm: &Path, pooling: bool) -> anyhow::Result<Self> {
        Self::load_cached(wasm, pooling, None)
    }

    /// [`Host::load`], reusing the machine code compiled earlier into `cache` (a directory)
    /// for these exact bytes and this exact engine, and storing it there otherwise.
    pub fn load_cached(wasm: &Path, pooling: bool, cache: Option<&Path>) -> anyhow::Result<Self> {
        require_file(wasm)?;
        let pooling = pooling && pooling_fits();
        let engine = Engine::new(&engine_config(pooling))?;
        let bytes =
            std::fs::read(wasm).with_context(|| format!("could not read {}", wasm.display()))?;
        let component = match cache {
            Some(dir) => cache::load(&engine, &bytes, dir),
            None => Component::new(&engine, &bytes),
        }
        .with_context(|| format!("could not compile {}", wasm.display()))?;
        let linker = linker(&engine)?;
        let pre = linker
            .instantiate_pre(&component)
            .context("the component imports something this host does not provide")?;
        let pre = ProxyPre::new(pre)
            .context("the component does not export wasi:http/incoming-handler")?;
        Ok(Self {
            pre,
            wasm: wasm.to_path_buf(),
            pooling,
        })
    }

    /// The file this component was compiled from.
    pub fn wasm(&self) -> &Path {
        &self.wasm
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }
}

impl Host {
    /// One request on a fresh instance in its own `Store`: the future instantiates the
    /// component and runs its handler; the response arrives on the receiver.
    pub(crate) fn invocation<B>(
        &self,
        shared: &Shared,
        request: hyper::Request<B>,
    ) -> anyhow::Result<(
        impl Future<Output = anyhow::Result<()>> + Send + 'static,
        ResponseReceiver,
    )>
    where
        B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
    {
        let pre = self.pre.clone();
        let mut store = Store::new(pre.engine(), RequestState::new(shared));
        let (sender, receiver) = oneshot::channel();
        let request = store
            .data_mut()
            .new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().new_response_outparam(sender)?;
        let run = async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, request, outparam)
                .await
        };
        Ok((run, receiver))
    }
}

/// Fails with the build command when the component is missing.
pub(crate) fn require_file(wasm: &Path) -> anyhow::Result<()> {
    if wasm.is_file() {
        Ok(())
    } else {
        bail!(
            "the ociref component was not found at {}\n{BUILD_HINT}",
            wasm.display()
        )
    }
}

fn engine_config(pooling: bool) -> Config {
    let mut config = Config::new();
    config.async_support(true);
    config.wasm_component_model(true);
    // For `perf record`: /tmp/perf-<pid>.map names the compiled guest functions (build the
    // component with `CARGO_PROFILE_RELEASE_STRIP=false` to keep its names).
    if std::env::var_os("OCIREF_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if pooling {
        // `wasmtime serve`'s defaults (up to 1000 concurrent instances, memory reserved up
        // front), except how a slot is reset for the next request. By default the memory is
        // a copy-on-write mapping of the module's image and is reset with `madvise`; each
        // request then pays page faults to map its pages back in and a TLB shootdown to
        // drop them, which on a small VM costs more than ociref's own work (scripts/bench,
        // section 6). Copying the ~30 KB of data segments instead and zeroing the first
        // MiB with `memset` (all a request touches: the 128 KiB stack, data and heap) keeps
        // those pages resident between requests.
        let mut pool = PoolingAllocationConfig::default();
        pool.linear_memory_keep_resident(1 << 20);
        pool.table_keep_resident(64 << 10);
        config.memory_init_cow(false);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// The pooling allocator reserves its memories up front (terabytes of address space with
/// the defaults). Like `wasmtime serve`, try a reservation of that size first and fall back
/// to on-demand allocation where the address space is smaller.
fn pooling_fits() -> bool {
    const BITS: u32 = 42;
    let mut config = Config::new();
    config.wasm_memory64(true);
    config.memory_reservation(1 << BITS);
    let Ok(engine) = Engine::new(&config) else {
        return false;
    };
    let mut store = wasmtime::Store::new(&engine, ());
    let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS - 16)));
    wasmtime::Memory::new(&mut store, ty).is_ok()
}

fn linker(engine: &Engine) -> anyhow::Result<Linker<RequestState>> {
    let mut linker = Linker::new(engine);
    // Everything Rust's std for wasm32-wasip2 may import (cli, clocks, io, random, ...).
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::add_only_http_to_linker_async(&mut linker)?;
    type Own = HasSelf<RequestState>;
    keyvalue::store::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    keyvalue::atomics::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    keyvalue::batch::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    logging::logging::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    config::store::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    config_v2::store::add_to_linker::<_, Own>(&mut linker, |s| s)?;
    Ok(linker)
}
