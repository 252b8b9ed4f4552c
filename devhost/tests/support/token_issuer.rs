//! A token issuer for Distribution's token authentication, on a free loopback port: checks
//! Basic credentials and answers `{"token": JWT}` for the scopes asked, so that a real
//! `docker-registry` configured with `auth: token:` can be driven by skopeo and by ociref.
//!
//! What Distribution 2.8 checks (registry/auth/token/token.go, accesscontroller.go): `iss`
//! is the configured issuer, `aud` (one string) the configured service, `exp`/`nbf` within
//! 60 s of leeway, and the signature with the key of the `x5c` leaf certificate, which must
//! chain to the `rootcertbundle` (here the leaf is the self-signed root itself). `access`
//! lists `{type, name, actions}`; the registry wants `pull` for reads, `push` for writes and
//! `delete` for deletes (skopeo asks for `*` when deleting).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use wasmtime_wasi_http::io::TokioIo;

pub const ISSUER: &str = "ociref-test-issuer";
pub const SERVICE: &str = "ociref-test-registry";

struct Keys {
    pkcs8: Vec<u8>,
    cert_der: Vec<u8>,
    username: String,
    password: String,
    /// Token requests answered, with a token or a refusal.
    requests: AtomicU64,
}

/// The issuer, serving until dropped.
pub struct TokenIssuer {
    pub addr: SocketAddr,
    keys: Arc<Keys>,
    cert_pem: String,
    task: tokio::task::JoinHandle<()>,
}

impl TokenIssuer {
    /// A fresh P-256 key and its self-signed certificate; tokens only for `username`/`password`.
    pub async fn start(username: &str, password: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let key = rcgen::KeyPair::try_from(pkcs8.as_slice()).unwrap();
        let cert = rcgen::CertificateParams::new(vec![ISSUER.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let keys = Arc::new(Keys {
            pkcs8,
            cert_der: cert.der().to_vec(),
            username: username.to_owned(),
            password: password.to_owned(),
            requests: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::clone(&keys);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let keys = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let keys = Arc::clone(&keys);
                        async move { Ok::<_, Infallible>(answer(&keys, &request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            keys,
            cert_pem: cert.pem(),
            task,
        }
    }

    /// The realm the registry sends clients to.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Writes the certificate bundle the registry trusts.
    pub fn write_bundle(&self, file: &Path) {
        std::fs::write(file, &self.cert_pem).unwrap();
    }

    /// How many token requests it has answered.
    pub fn requests(&self) -> u64 {
        self.keys.requests.load(Ordering::SeqCst)
    }

    /// A token for `scope` (`repository:<name>:<actions>`), without an HTTP round trip: for
    /// the test's own requests to the registry.
    pub fn token(&self, scope: &str) -> String {
        sign(&self.keys, &[scope.to_owned()])
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(
    keys: &Keys,
    request: &hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    keys.requests.fetch_add(1, Ordering::SeqCst);
    let reply = |status: u16, body: Value| {
        let mut response = hyper::Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        response
    };
    if request.method() != hyper::Method::GET || request.uri().path() != "/token" {
        return reply(404, json!({"errors": [{"code": "NOT_FOUND"}]}));
    }
    let expected = STANDARD.encode(format!("{}:{}", keys.username, keys.password));
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|v| v.trim() == expected);
    if !authorized {
        return reply(401, json!({"errors": [{"code": "UNAUTHORIZED"}]}));
    }
    let query = request.uri().query().unwrap_or("");
    let mut service_ok = false;
    let mut scopes = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "service" => service_ok = value == SERVICE,
            "scope" => scopes.extend(value.split(' ').map(str::to_owned)),
            _ => {}
        }
    }
    if !service_ok {
        return reply(
            400,
            json!({"errors": [{"code": "UNSUPPORTED", "service": SERVICE}]}),
        );
    }
    let token = sign(keys, &scopes);
    reply(
        200,
        json!({"token": token, "access_token": token, "expires_in": 300}),
    )
}

/// A JWT granting every action asked for on every `repository:` scope (the credentials
/// were right; this issuer knows no finer policy). `*` also grants pull, push and delete.
fn sign(keys: &Keys, scopes: &[String]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<Value> = scopes
        .iter()
        .filter_map(|scope| {
            let (kind, rest) = scope.split_once(':')?;
            let (name, actions) = rest.rsplit_once(':')?;
            let mut actions: Vec<&str> = actions.split(',').filter(|a| !a.is_empty()).collect();
            if actions.contains(&"*") {
                actions.extend(["pull", "push", "delete"]);
            }
            Some(json!({"type": kind, "name": name, "actions": actions}))
        })
        .collect();
    let header = json!({
        "typ": "JWT",
        "alg": "ES256",
        "x5c": [STANDARD.encode(&keys.cert_der)],
    });
    let claims = json!({
        "iss": ISSUER,
        "sub": keys.username,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now.saturating_sub(10),
        "iat": now,
        "jti": format!("{now}-{}", keys.requests.load(Ordering::SeqCst)),
        "access": access,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let rng = SystemRandom::new();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &keys.pkcs8, &rng).unwrap();
    // FIXED: r || s, 64 bytes, which is what JWS ES256 (and Distribution's libtrust) expects.
    let signature = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
