//! The servers the component is measured against, on the same tokio runtime as the dev host:
//! - [`Native`]: the same `ociref` crate compiled for this machine behind a minimal hyper
//!   server, over the same store backends (the dev host's Redis and redb code), so the only
//!   difference from the dev host is WebAssembly;
//! - [`serve_static`]: one fixed badge, no store: the HTTP floor.

use crate::counted::CountedStore;
use bytes::Bytes;
use devhost::KeyValue;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use ociref::api::{self, Context};
use ociref::config::Config;
use ociref::http::{Body, Method, Request, MAX_BODY_BYTES};
use ociref::timestamp::Timestamp;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A server running until dropped.
pub struct Running {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn serve<F, Fut>(respond: F) -> anyhow::Result<Running>
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let respond = respond.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let respond = respond.clone();
                    async move { Ok::<_, Infallible>(respond(request).await) }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Running { addr, task })
}

/// The HTTP floor: a constant badge.
pub async fn serve_static() -> anyhow::Result<Running> {
    const BADGE: &[u8] = br#"{"schemaVersion":1,"label":"oci","message":"bench.azurecr.io/app:1.0.0","color":"blue","cacheSeconds":300}"#;
    serve(|_| async {
        let mut response = hyper::Response::new(Full::new(Bytes::from_static(BADGE)));
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        response
    })
    .await
}

/// ociref compiled natively: what the component does per request, without WebAssembly.
#[derive(Clone)]
pub struct Native {
    store: CountedStore,
    config: Arc<Vec<(String, String)>>,
}

impl Native {
    pub fn new(backend: Arc<dyn KeyValue>, config: &[(&str, &str)]) -> Self {
        Self {
            store: CountedStore::new(backend),
            config: Arc::new(
                config
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        }
    }

    pub fn store_calls(&self) -> u64 {
        self.store.calls()
    }

    /// Event-log entries read and written so far (see [`CountedStore::events`]).
    pub fn events(&self) -> (u64, u64) {
        self.store.events()
    }

    pub async fn serve(&self) -> anyhow::Result<Running> {
        let native = self.clone();
        serve(move |request| {
            let native = native.clone();
            async move { native.respond(request).await }
        })
        .await
    }

    async fn respond(self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let plain = read_request(request).await;
        // The handler and the store interface are synchronous (as `wasi:keyvalue` is to the
        // guest): run them where blocking is allowed, as the component runs on its own fiber.
        let response = tokio::task::spawn_blocking(move || self.handle(&plain))
            .await
            .unwrap_or_else(|_| ociref::http::Response {
                status: 500,
                headers: Vec::new(),
                body: br#"{"error":{"code":"internal","message":"the handler failed"}}"#.to_vec(),
                log: None,
            });
        let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
        *out.status_mut() =
            hyper::StatusCode::from_u16(response.status).unwrap_or(hyper::StatusCode::OK);
        for (name, value) in response.headers {
            if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
                out.headers_mut().insert(name, value);
            }
        }
        out
    }

    /// What the host module does per request: read the configuration, ask the clock, handle.
    pub fn handle(&self, request: &Request) -> ociref::http::Response {
        let context = Context {
            config: Config::from_pairs(self.config.iter().cloned()),
            now: now(),
        };
        api::handle(request, &self.store, &context)
    }
}

fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
}

async fn read_request(request: hyper::Request<Incoming>) -> Request {
    let (parts, body) = request.into_parts();
    let method = match parts.method {
        hyper::Method::GET => Method::Get,
        hyper::Method::HEAD => Method::Head,
        hyper::Method::POST => Method::Post,
        hyper::Method::PUT => Method::Put,
        hyper::Method::DELETE => Method::Delete,
        _ => Method::Other,
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut plain = Request::new(method, target);
    plain.headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    plain.body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Body::Complete(collected.to_bytes().to_vec()),
        Err(_) => Body::TooLarge,
    };
    plain
}
