//! Both builds of this checkout (`build.rs` makes them: `ociref.wasm` for wasmCloud 1.x and
//! `ociref-wasmcloud2.wasm`, feature `wasmcloud-v2`) import only what their host serves, at a
//! version it serves, and differ in nothing but the version of `wasi:config`. The imports are
//! read from the `.wasm` files themselves, so whatever reaches a host is what is checked.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use wit_component::DecodedWasm;

/// How a host matches the version of an import.
#[derive(Clone, Copy, Debug)]
enum Version {
    /// Exactly this one: a pre-release (`-draft`, `-rc.1`) matches no other version.
    Exact(&'static str),
    /// Any `0.2.x`: the host's wasmtime links semver-compatible WASI 0.2 imports.
    Wasi02,
}

/// `(package, interfaces, version)` a host serves.
type Table = &'static [(&'static str, &'static [&'static str], Version)];

/// What every host gets from wasmtime-wasi (the imports Rust's std makes, and clocks).
const WASI_BASE: &[(&str, &[&str], Version)] = &[
    (
        "wasi:cli",
        &[
            "environment",
            "exit",
            "stderr",
            "stdin",
            "stdout",
            "terminal-input",
            "terminal-output",
            "terminal-stderr",
            "terminal-stdin",
            "terminal-stdout",
        ],
        Version::Wasi02,
    ),
    (
        "wasi:clocks",
        &["monotonic-clock", "wall-clock"],
        Version::Wasi02,
    ),
    ("wasi:filesystem", &["preopens", "types"], Version::Wasi02),
    ("wasi:io", &["error", "poll", "streams"], Version::Wasi02),
    (
        "wasi:random",
        &["insecure-seed", "insecure", "random"],
        Version::Wasi02,
    ),
    (
        "wasi:sockets",
        &[
            "instance-network",
            "ip-name-lookup",
            "network",
            "tcp-create-socket",
            "tcp",
            "udp-create-socket",
            "udp",
        ],
        Version::Wasi02,
    ),
];

/// wasmCloud 1.9.2, `crates/runtime/src/component/mod.rs` (`Component::new`): the host's own
/// instances (keyvalue, config and logging are then served by the linked providers / host).
/// Anything else would be linked as a wRPC call to a provider, so it is not accepted here.
const WASMCLOUD_1: Table = &[
    (
        "wasi:keyvalue",
        &["atomics", "batch", "store"],
        Version::Exact("0.2.0-draft"),
    ),
    (
        "wasi:config",
        &["runtime", "store"],
        Version::Exact("0.2.0-draft"),
    ),
    ("wasi:logging", &["logging"], Version::Exact("0.1.0-draft")),
    (
        "wasi:http",
        &["incoming-handler", "outgoing-handler", "types"],
        Version::Wasi02,
    ),
];

/// wasmCloud 2.7.0 (commit 9561cb59759f), `crates/wash-runtime`: `plugin/wasi_keyvalue/`
/// (nats.rs, redis.rs: world `keyvalue` of `wit/world.wit`), `plugin/wasi_config/mod.rs`
/// (`wasi:config/store@0.2.0-rc.1`), `plugin/wasi_logging/mod.rs`, and `engine/mod.rs`
/// (`add_only_http_to_linker_async`: wasi:http 0.2 types and outgoing-handler).
const WASMCLOUD_2: Table = &[
    (
        "wasi:keyvalue",
        &["atomics", "batch", "store"],
        Version::Exact("0.2.0-draft"),
    ),
    ("wasi:config", &["store"], Version::Exact("0.2.0-rc.1")),
    ("wasi:logging", &["logging"], Version::Exact("0.1.0-draft")),
    ("wasi:http", &["outgoing-handler", "types"], Version::Wasi02),
];

/// `package/interface@version` of every import and export of a component.
fn world(path: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let DecodedWasm::Component(resolve, world) = wit_component::decode(&bytes).unwrap() else {
        panic!("{path} is not a component");
    };
    // `package/interface@version`, or the bare label of a named import (which no table has).
    let world = &resolve.worlds[world];
    (
        world
            .imports
            .keys()
            .map(|k| resolve.name_world_key(k))
            .collect(),
        world
            .exports
            .keys()
            .map(|k| resolve.name_world_key(k))
            .collect(),
    )
}

fn split(import: &str) -> (&str, &str, &str) {
    let (package, rest) = import.split_once('/').unwrap_or((import, ""));
    let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
    (package, interface, version)
}

/// The imports of `path` that `host` does not serve, with why.
fn unserved(path: &str, host: Table) -> Vec<String> {
    let (imports, _) = world(path);
    imports
        .iter()
        .filter_map(|import| {
            let (package, interface, version) = split(import);
            let Some((_, _, served)) = WASI_BASE
                .iter()
                .chain(host.iter())
                .find(|(p, i, _)| *p == package && i.contains(&interface))
            else {
                return Some(format!("{import}: no such interface"));
            };
            let ok = match served {
                Version::Exact(v) => version == *v,
                Version::Wasi02 => version.starts_with("0.2."),
            };
            (!ok).then(|| format!("{import}: served as {served:?}"))
        })
        .collect()
}

fn exports_the_http_handler(path: &str) {
    let (_, exports) = world(path);
    let handlers: Vec<&String> = exports.iter().collect();
    assert_eq!(handlers.len(), 1, "{path}: {exports:?}");
    let (package, interface, version) = split(handlers[0]);
    assert_eq!((package, interface), ("wasi:http", "incoming-handler"));
    assert!(version.starts_with("0.2."), "{path}: {version}");
}

#[test]
fn the_wasmcloud_1_build_imports_only_what_wasmcloud_1_serves() {
    let path = devhost::DEFAULT_WASM;
    assert_eq!(unserved(path, WASMCLOUD_1), Vec::<String>::new(), "{path}");
    exports_the_http_handler(path);
    // And a 2.x host would refuse it: that is why there are two builds.
    assert_eq!(
        unserved(path, WASMCLOUD_2),
        ["wasi:config/store@0.2.0-draft: served as Exact(\"0.2.0-rc.1\")"]
    );
}

#[test]
fn the_wasmcloud_2_build_imports_only_what_wasmcloud_2_serves() {
    let path = devhost::V2_WASM;
    assert_eq!(unserved(path, WASMCLOUD_2), Vec::<String>::new(), "{path}");
    exports_the_http_handler(path);
    assert_eq!(
        unserved(path, WASMCLOUD_1),
        ["wasi:config/store@0.2.0-rc.1: served as Exact(\"0.2.0-draft\")"]
    );
}

#[test]
fn the_two_builds_differ_only_in_the_config_version() {
    let (v1_imports, v1_exports) = world(devhost::DEFAULT_WASM);
    let (v2_imports, v2_exports) = world(devhost::V2_WASM);
    assert_eq!(v1_exports, v2_exports);
    let only_v1: Vec<&String> = v1_imports.difference(&v2_imports).collect();
    let only_v2: Vec<&String> = v2_imports.difference(&v1_imports).collect();
    assert_eq!(only_v1, ["wasi:config/store@0.2.0-draft"]);
    assert_eq!(only_v2, ["wasi:config/store@0.2.0-rc.1"]);
}
