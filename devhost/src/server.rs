//! HTTP/1.1 on a TCP listener: every connection on its own task, every request on a fresh
//! instance of the component (from the `ProxyPre`), in its own `Store`.
//!
//! Shutdown stops accepting, asks open connections to finish their current request, and
//! waits for every request task, so that a stopped host has released its store (redb's file
//! lock) by the time `RunningHost::shutdown` returns.

use crate::logging::{log, LogLevel};
use crate::runtime::Host;
use crate::state::Shared;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::io::TokioIo;

/// How long shutdown waits for requests in flight before giving up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Server {
    host: Host,
    shared: Shared,
    tasks: TaskTracker,
}

impl Server {
    pub(crate) fn new(host: Host, shared: Shared) -> Arc<Self> {
        Arc::new(Self {
            host,
            shared,
            tasks: TaskTracker::new(),
        })
    }

    fn log(&self, level: LogLevel, message: &str) {
        log(self.shared.log_level, level, "devhost", message);
    }

    /// Accepts connections until `stop` turns true, then drains.
    pub(crate) async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let accepted = tokio::select! {
                _ = stopped(&mut stop) => break,
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: say so, breathe, keep serving.
                    self.log(LogLevel::Error, &format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Responses are small and written at once; Nagle would only add latency.
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&self);
            let stop = stop.clone();
            self.tasks
                .spawn(server.serve_connection(TokioIo::new(stream), stop));
        }
        drop(listener);
        self.tasks.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, self.tasks.wait())
            .await
            .is_err()
        {
            self.log(
                LogLevel::Warn,
                "requests still running after shutdown; abandoning them",
            );
        }
    }

    async fn serve_connection(
        self: Arc<Self>,
        io: TokioIo<tokio::net::TcpStream>,
        mut stop: watch::Receiver<bool>,
    ) {
        let server = Arc::clone(&self);
        let service = hyper::service::service_fn(move |request| {
            let server = Arc::clone(&server);
            async move { Ok::<_, Infallible>(server.respond(request).await) }
        });
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, service);
        tokio::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            _ = stopped(&mut stop) => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = result {
            // Clients hanging up mid-request are normal; only say it at debug level.
            self.log(LogLevel::Debug, &format!("connection ended: {e}"));
        }
    }

    /// Always answers: a failure of the host or a trap in the component becomes a 500 with
    /// a generic JSON body (the details go to the log, not to the client).
    async fn respond(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
    ) -> hyper::Response<HyperOutgoingBody> {
        let target = format!("{} {}", request.method(), request.uri().path());
        // wasi:http requires an authority; without one the request cannot be handed over.
        if request.uri().authority().is_none()
            && !request.headers().contains_key(hyper::header::HOST)
        {
            return json_error(
                hyper::StatusCode::BAD_REQUEST,
                r#"{"error":{"code":"missing-host","message":"HTTP/1.1 requests need a Host header"}}"#,
            );
        }
        match self.call_component(request).await {
            Ok(response) => response,
            Err(e) => {
                self.log(LogLevel::Error, &format!("{target}: {e:#}"));
                json_error(
                    hyper::StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"error":{"code":"internal","message":"the component failed; see the host log"}}"#,
                )
            }
        }
    }

    async fn call_component(
        &self,
        request: hyper::Request<Incoming>,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let (run, receiver) = self.host.invocation(&self.shared, request)?;
        // The guest runs on its own task: it may keep writing the body after the response
        // head has been handed to hyper below.
        let shared = self.shared.clone();
        let guest = self.tasks.spawn(async move {
            let result = run.await;
            if let Err(e) = &result {
                log(
                    shared.log_level,
                    LogLevel::Error,
                    "devhost",
                    &format!("component failed: {e:#}"),
                );
            }
            result.is_ok()
        });

        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => anyhow::bail!("the component answered with an error code: {code:?}"),
            // The sender was dropped with the store: the guest returned or trapped without
            // setting a response.
            Err(_) => match guest.await {
                Ok(true) => anyhow::bail!("the component returned without setting a response"),
                Ok(false) => anyhow::bail!("the component trapped before responding"),
                Err(e) => anyhow::bail!("the request task failed: {e}"),
            },
        }
    }
}

fn json_error(status: hyper::StatusCode, body: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let mut response = hyper::Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Resolves once shutdown is requested (or the host is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
