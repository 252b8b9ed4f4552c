//! The wasmCloud 2.x build (`ociref-wasmcloud2.wasm`, world `ociref-v2`) served by the dev host,
//! which links `wasi:config/store` in both versions: the token it reads through `@0.2.0-rc.1`
//! guards writes, and a push becomes a badge, as with the 1.x build (tests/e2e.rs).

mod support;

use devhost::{Host, StoreSpec};
use std::path::Path;
use support::{assert_badge, fixture, get, hook_bytes, options, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasmcloud_2_build_reads_its_config_and_serves_a_badge() {
    let host = Host::load(Path::new(devhost::V2_WASM), true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let running = host
        .serve(options(StoreSpec::Redb(dir.path().join("v2.redb"))))
        .await
        .unwrap();
    let addr = running.addr();

    let anonymous = request(
        addr,
        "POST",
        "/api/azurehook",
        &[("content-type", "application/json")],
        fixture("push.json"),
    )
    .await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");

    let push = hook_bytes(addr, fixture("push.json")).await;
    assert_eq!(push.status, 200, "{push:?}");
    assert_eq!(push.json()["outcome"], "recorded", "{push:?}");

    let badge = assert_badge(&get(addr, "/myregistry.azurecr.io/hello-world").await);
    assert_eq!(badge["message"], "myregistry.azurecr.io/hello-world:v1");
}
