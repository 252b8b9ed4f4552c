//! What one request's wasmtime `Store` holds: WASI and wasi:http contexts, the resource table
//! they share with the key-value buckets, and handles to the host's store, configuration and
//! log level. A fresh one per request, so no guest state survives a request.

use crate::config::ConfigMap;
use crate::kv::CountedStore;
use crate::logging::LogLevel;
use crate::outgoing::Client;
use crate::ServeOptions;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::types::{HostFutureIncomingResponse, OutgoingRequestConfig};
use wasmtime_wasi_http::{HttpResult, WasiHttpCtx, WasiHttpView};

/// The parts of the host every request shares.
#[derive(Clone)]
pub struct Shared {
    pub store: CountedStore,
    pub config: ConfigMap,
    pub log_level: LogLevel,
    pub outgoing: Client,
}

impl Shared {
    /// Opens the store `options` names (the address is not used here).
    pub async fn open(options: ServeOptions) -> anyhow::Result<Self> {
        let backend = crate::kv::open(&options.store, options.degraded_start).await?;
        Ok(Self {
            store: CountedStore::new(backend),
            config: std::sync::Arc::new(options.config),
            log_level: options.log_level,
            outgoing: Client::new(options.outgoing_timeout, options.log_level)?,
        })
    }
}

pub struct RequestState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    shared: Shared,
}

impl RequestState {
    pub fn new(shared: &Shared) -> Self {
        Self {
            table: ResourceTable::new(),
            // No environment, arguments or preopened directories: the component gets its
            // configuration through wasi:config only. Its stdout/stderr (a panic message, say)
            // go to the host's.
            wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            shared: shared.clone(),
        }
    }

    /// For the wasi:keyvalue functions: buckets live in the table, data in the store.
    pub fn kv(&mut self) -> (&mut ResourceTable, &CountedStore) {
        (&mut self.table, &self.shared.store)
    }

    pub fn config(&self) -> &ConfigMap {
        &self.shared.config
    }

    pub fn log_level(&self) -> LogLevel {
        self.shared.log_level
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn ctx(&mut self) -> &mut WasiHttpCtx {
        &mut self.http
    }

    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// To any address the component names: which registries it may contact is the
    /// component's rule (only configured ones), as on wasmCloud, where the HTTP client
    /// provider does not filter either. Timeouts are capped by `--outgoing-timeout`.
    fn send_request(
        &mut self,
        request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        Ok(self.shared.outgoing.send(request, config))
    }
}
