//! Section 9 (issue 12): what a badge read that triggers a verification costs the readers.
//!
//! A stand-in registry on 127.0.0.1 (anonymous, one tag) answers the verification's tag list
//! and manifest HEAD; the same badge load runs with `verify_interval=0` (never verify) and
//! with `verify_interval=1` (a verification after the answer of the first read of every
//! second, claimed once however many readers). The registry counts what it was asked, so the
//! table shows the verifications really ran under the load.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::baseline::{serve, Running};

/// The repository the seeded badge is for, as the webhook reported it.
pub const REGISTRY_HOST: &str = "bench.azurecr.io";
const TAGS: &[u8] = br#"{"name":"bench-app","tags":["1.0.0"]}"#;
const DIGEST: &str = "sha256:4b1d0c6f1d3e0b2c8a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291";

/// The stand-in registry, and how many requests it has answered.
pub struct Registry {
    pub running: Running,
    requests: Arc<AtomicU64>,
}

impl Registry {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

pub async fn serve_registry() -> anyhow::Result<Registry> {
    let requests = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&requests);
    let running = serve(move |request: hyper::Request<Incoming>| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            answer(request.method(), request.uri().path())
        }
    })
    .await?;
    Ok(Registry { running, requests })
}

fn answer(method: &hyper::Method, path: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::new()));
    let headers = response.headers_mut();
    match path {
        "/v2/" => {}
        "/v2/bench-app/tags/list" => {
            headers.insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            *response.body_mut() = Full::new(Bytes::from_static(TAGS));
        }
        "/v2/bench-app/manifests/1.0.0" if method == hyper::Method::HEAD => {
            headers.insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(
                    "application/vnd.oci.image.manifest.v1+json",
                ),
            );
            headers.insert(
                "docker-content-digest",
                hyper::header::HeaderValue::from_static(DIGEST),
            );
        }
        _ => *response.status_mut() = hyper::StatusCode::NOT_FOUND,
    }
    response
}
