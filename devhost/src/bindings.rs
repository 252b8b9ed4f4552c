//! Host-side bindings for the imports of ociref's world that wasmtime does not provide itself:
//! `wasi:keyvalue`, `wasi:logging` and `wasi:config`, generated from the component's own
//! vendored WIT so host and guest cannot disagree about a signature.
//!
//! `wasi:http`, `wasi:clocks`, `wasi:io` and `wasi:cli` come from `wasmtime-wasi(-http)`, whose
//! newer 0.2.x interfaces satisfy the component's 0.2.2 imports (wasmtime links semver-compatible
//! versions).
//!
//! Every function is `async` (Redis and redb calls are I/O) and `trappable` (a host-side bug,
//! such as an unknown resource handle, traps instead of being passed to the guest as data).

#![allow(missing_docs, clippy::all)]

wasmtime::component::bindgen!({
    path: "../wit",
    interfaces: "
        import wasi:keyvalue/store@0.2.0-draft;
        import wasi:keyvalue/atomics@0.2.0-draft;
        import wasi:keyvalue/batch@0.2.0-draft;
        import wasi:logging/logging@0.1.0-draft;
        import wasi:config/store@0.2.0-draft;
        import wasi:config/store@0.2.0-rc.1;
    ",
    imports: { default: async | trappable },
    with: {
        "wasi:keyvalue/store/bucket": crate::kv::Bucket,
    },
});

// wasi:config in the version wasmCloud 1.x serves (world `ociref`) and the one 2.x serves
// (world `ociref-v2`): the same interface, so the dev host runs either build.
pub use wasi::config0_2_0_draft as config;
pub use wasi::config0_2_0_rc_1 as config_v2;
