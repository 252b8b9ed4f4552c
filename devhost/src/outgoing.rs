//! `wasi:http/outgoing-handler`: how the component's requests to registries leave the host.
//!
//! One HTTP/1.1 connection per request (a reconciliation sends a handful), plain TCP for
//! `http://` and rustls for `https://`, trusting the system's CA certificates (Debian's
//! `ca-certificates`, via rustls-native-certs). Every wait is bounded: connecting (TCP and the
//! TLS handshake), the response head, and each gap between body chunks, each by the smaller of
//! what the guest asked for and the host's cap (`--outgoing-timeout`). A wait that runs out
//! fails the guest's request with a wasi:http error code; it never hangs the guest.
//!
//! wasmtime-wasi-http has a sender of its own (feature `default-send-request`), but it brings
//! rustls 0.22, whose rustls-webpki has open advisories, and CDLA-licensed roots.

use crate::logging::{log, LogLevel};
use anyhow::Context as _;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;
use wasmtime_wasi_http::bindings::http::types::{DnsErrorPayload, ErrorCode};
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::types::{
    HostFutureIncomingResponse, IncomingResponse, OutgoingRequestConfig,
};

/// What every outgoing request of one host shares: the TLS configuration and the timeout cap.
#[derive(Clone)]
pub struct Client {
    tls: Arc<rustls::ClientConfig>,
    cap: Duration,
}

impl Client {
    /// Loads the system's CA certificates once. Without any, https requests fail their
    /// handshake (said once here, at startup); http requests still work.
    pub fn new(cap: Duration, log_level: LogLevel) -> anyhow::Result<Self> {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = rustls::RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            log(
                log_level,
                LogLevel::Warn,
                "devhost",
                "no CA certificates found (install ca-certificates): https requests to \
                 registries will fail",
            );
        }
        Self::with_roots(cap, roots)
    }

    /// A client trusting exactly `roots`.
    fn with_roots(cap: Duration, roots: rustls::RootCertStore) -> anyhow::Result<Self> {
        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS setup for outgoing requests")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            tls: Arc::new(tls),
            cap,
        })
    }

    /// Starts sending `request` on its own task; the guest polls the returned future.
    pub fn send(
        &self,
        request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HostFutureIncomingResponse {
        let limits = Limits {
            connect: config.connect_timeout.min(self.cap),
            first_byte: config.first_byte_timeout.min(self.cap),
            between_bytes: config.between_bytes_timeout.min(self.cap),
        };
        let tls = config.use_tls.then(|| Arc::clone(&self.tls));
        let task =
            wasmtime_wasi::runtime::spawn(async move { Ok(send(request, tls, limits).await) });
        HostFutureIncomingResponse::pending(task)
    }
}

/// The provider is named, not taken from the process default, which is ambiguous (and
/// panics) when another crate also enables aws-lc-rs. ring, not aws-lc-rs: no C/cmake build of
/// minutes, and post-quantum key exchange (why rustls now deprecates ring's provider) does not
/// matter for reading tag lists.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Clone, Copy)]
struct Limits {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

async fn send(
    mut request: hyper::Request<HyperOutgoingBody>,
    tls: Option<Arc<rustls::ClientConfig>>,
    limits: Limits,
) -> Result<IncomingResponse, ErrorCode> {
    let uri = request.uri();
    // `[::1]` in a URI, `::1` for the resolver and for TLS.
    let host = uri
        .host()
        .ok_or(ErrorCode::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if tls.is_some() { 443 } else { 80 });
    // On the wire the request line carries the path only (origin form); the authority is
    // already in the Host header.
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = target
        .parse()
        .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;

    let tcp = timeout(limits.connect, connect(&host, port))
        .await
        .map_err(|_| ErrorCode::ConnectionTimeout)??;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => exchange(TokioIo::new(tcp), request, limits).await,
        Some(tls) => {
            let name = rustls::pki_types::ServerName::try_from(host)
                .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
            let stream = timeout(
                limits.connect,
                tokio_rustls::TlsConnector::from(tls).connect(name, tcp),
            )
            .await
            .map_err(|_| ErrorCode::ConnectionTimeout)?
            .map_err(|e| match e.get_ref().and_then(|e| e.downcast_ref()) {
                Some(rustls::Error::InvalidCertificate(_)) => ErrorCode::TlsCertificateError,
                _ => ErrorCode::TlsProtocolError,
            })?;
            exchange(TokioIo::new(stream), request, limits).await
        }
    }
}

/// Resolves `host` and connects to the first address that accepts.
async fn connect(host: &str, port: u16) -> Result<TcpStream, ErrorCode> {
    let addresses = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| dns_error(&e.to_string()))?;
    let mut refused = dns_error("no address");
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                refused = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => ErrorCode::ConnectionRefused,
                    _ => ErrorCode::DestinationUnavailable,
                }
            }
        }
    }
    Err(refused)
}

fn dns_error(message: &str) -> ErrorCode {
    ErrorCode::DnsError(DnsErrorPayload {
        rcode: Some(message.to_owned()),
        info_code: None,
    })
}

/// One request on a fresh HTTP/1.1 connection; the connection is driven by its own task until
/// the guest has read (or dropped) the response.
async fn exchange<S>(
    io: TokioIo<S>,
    request: hyper::Request<HyperOutgoingBody>,
    limits: Limits,
) -> Result<IncomingResponse, ErrorCode>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) =
        timeout(limits.connect, hyper::client::conn::http1::handshake(io))
            .await
            .map_err(|_| ErrorCode::ConnectionTimeout)?
            .map_err(wasmtime_wasi_http::hyper_request_error)?;
    let worker = wasmtime_wasi::runtime::spawn(async move {
        // A broken connection shows up as an error of the response body the guest reads.
        let _ = connection.await;
    });
    let response = timeout(limits.first_byte, sender.send_request(request))
        .await
        .map_err(|_| ErrorCode::ConnectionReadTimeout)?
        .map_err(wasmtime_wasi_http::hyper_request_error)?;
    Ok(IncomingResponse {
        resp: response.map(|body| {
            body.map_err(wasmtime_wasi_http::hyper_request_error)
                .boxed()
        }),
        worker: Some(worker),
        // wasmtime-wasi-http enforces this one on every chunk the guest reads.
        between_bytes_timeout: limits.between_bytes,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{Empty, Full};
    use std::convert::Infallible;

    /// A TLS server for `localhost` on a free port answering every request with `ok` (or
    /// never answering with `stall`); its certificate is self-signed.
    async fn tls_server(stall: bool) -> (u16, rustls::pki_types::CertificateDer<'static>) {
        let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = key.cert.der().clone();
        let private = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], private)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |_request| async move {
                        if stall {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("ok"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        (port, cert)
    }

    fn get(port: u16) -> hyper::Request<HyperOutgoingBody> {
        hyper::Request::get(format!("https://localhost:{port}/v2/"))
            .header(hyper::header::HOST, format!("localhost:{port}"))
            .body(
                Empty::new()
                    .map_err(|never: Infallible| match never {})
                    .boxed(),
            )
            .unwrap()
    }

    fn tls_for(client: &Client) -> Option<Arc<rustls::ClientConfig>> {
        Some(Arc::clone(&client.tls))
    }

    const LIMITS: Limits = Limits {
        connect: Duration::from_secs(5),
        first_byte: Duration::from_millis(300),
        between_bytes: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn https_to_a_trusted_server_works() {
        let (port, cert) = tls_server(false).await;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = Client::with_roots(Duration::from_secs(5), roots).unwrap();
        let response = send(get(port), tls_for(&client), LIMITS).await.unwrap();
        assert_eq!(response.resp.status(), 200);
        let body = response
            .resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body, "ok");
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_a_certificate_error() {
        let (port, _) = tls_server(false).await;
        let client =
            Client::with_roots(Duration::from_secs(5), rustls::RootCertStore::empty()).unwrap();
        let error = send(get(port), tls_for(&client), LIMITS).await.err();
        assert!(
            matches!(error, Some(ErrorCode::TlsCertificateError)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let (port, cert) = tls_server(true).await;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = Client::with_roots(Duration::from_secs(5), roots).unwrap();
        let started = std::time::Instant::now();
        let error = send(get(port), tls_for(&client), LIMITS).await.err();
        assert!(
            matches!(error, Some(ErrorCode::ConnectionReadTimeout)),
            "{error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn the_host_cap_bounds_what_the_guest_asks_for() {
        // Accepts and then says nothing, for ever.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.push(tcp);
            }
        });
        let client =
            Client::with_roots(Duration::from_millis(200), rustls::RootCertStore::empty()).unwrap();
        // The guest asks for wasi:http's defaults (600 s); the cap wins.
        let future = client.send(
            get(port),
            OutgoingRequestConfig {
                use_tls: false,
                connect_timeout: Duration::from_secs(600),
                first_byte_timeout: Duration::from_secs(600),
                between_bytes_timeout: Duration::from_secs(600),
            },
        );
        let HostFutureIncomingResponse::Pending(task) = future else {
            panic!("not pending");
        };
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(3), task)
            .await
            .expect("the cap did not apply")
            .unwrap();
        assert!(
            matches!(result, Err(ErrorCode::ConnectionReadTimeout)),
            "{:?}",
            result.map(|r| r.resp.status())
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
