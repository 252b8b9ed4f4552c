//! The wasmCloud HTTP server provider (`wasmcloud-provider-http-server` 0.27.1, a library on
//! the crates registry); `wash par create` packs this binary into a provider archive.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wasmcloud_provider_http_server::run().await
}
