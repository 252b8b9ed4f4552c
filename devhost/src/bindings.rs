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
    ",
    imports: { default: async | trappable },
    with: {
        "wasi:keyvalue/store/bucket": crate::kv::Bucket,
    },
});
