//! Requests handed to the component in this process, without a socket or an HTTP parser:
//! what a request costs the host (a fresh instance, the handler, the store calls), for the
//! benchmarks.

use crate::runtime::Host;
use crate::state::Shared;
use crate::ServeOptions;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;

/// A loaded component and an open store, answering [`Direct::request`]s.
pub struct Direct {
    host: Host,
    shared: Shared,
}

impl Host {
    /// Opens the store of `options` for in-process requests (`listen` is not used).
    pub async fn direct(&self, options: ServeOptions) -> anyhow::Result<Direct> {
        Ok(Direct {
            host: self.clone(),
            shared: Shared::open(options).await?,
        })
    }
}

impl Direct {
    /// One request on a fresh instance: status and body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = Full::new(body).map_err(|never: Infallible| -> hyper::Error { match never {} });
        let (run, receiver) = self.host.invocation(&self.shared, builder.body(body)?)?;
        let answer = async {
            let response = receiver.await??;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        // The guest writes the body while the reader drains it.
        let (ran, answer) = tokio::join!(run, answer);
        ran?;
        answer
    }

    /// `wasi:keyvalue` calls made so far (see [`crate::RunningHost::store_calls`]).
    pub fn store_calls(&self) -> u64 {
        self.shared
            .store
            .call_counter()
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}
