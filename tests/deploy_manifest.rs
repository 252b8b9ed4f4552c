//! `wadm.yaml` checked with the types and validators wadm itself uses (`wadm-types`), and
//! against the component's WIT world: every link target exists, linked interfaces are what
//! the component imports or exports, every referenced config is defined here or documented
//! as created with `wash config put`, and the image is the file `wash build` writes.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use wadm_types::validation::{validate_manifest_bytes, ValidationOutput};
use wadm_types::{Manifest, Properties, TraitProperty};

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// wadm's validators are `async` but never wait on anything: one poll completes them.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("validation unexpectedly waited"),
    }
}

fn manifest() -> Manifest {
    let (manifest, failures) = now(validate_manifest_bytes(file("wadm.yaml"))).unwrap();
    assert!(failures.valid(), "wadm rejects wadm.yaml: {failures:?}");
    assert!(
        failures.is_empty(),
        "wadm warns about wadm.yaml: {failures:?}"
    );
    manifest
}

/// `(namespace:package, interface)` of every `import`/`export` line of wit/world.wit.
fn world(direction: &str) -> BTreeSet<(String, String)> {
    file("wit/world.wit")
        .lines()
        .filter_map(|line| line.trim().strip_prefix(direction)?.strip_prefix(' '))
        .map(|item| {
            let item = item.trim_end_matches(';');
            let (package, rest) = item.split_once('/').unwrap();
            let interface = rest.split('@').next().unwrap();
            (package.to_owned(), interface.to_owned())
        })
        .collect()
}

#[test]
fn wadm_accepts_the_manifest() {
    let m = manifest();
    assert_eq!(m.metadata.name, "ociref");
}

#[test]
fn links_target_existing_components_and_match_the_wit_world() {
    let m = manifest();
    let names: BTreeSet<&str> = m.components().map(|c| c.name.as_str()).collect();
    let (imports, exports) = (world("import"), world("export"));
    let mut linked_imports = BTreeSet::new();
    for component in m.components() {
        for t in component.traits.iter().flatten() {
            let TraitProperty::Link(link) = &t.properties else {
                continue;
            };
            assert!(
                names.contains(link.target.name.as_str()),
                "link to missing {}",
                link.target.name
            );
            let package = format!("{}:{}", link.namespace, link.package);
            for interface in &link.interfaces {
                let item = (package.clone(), interface.clone());
                if component.name == "ociref" {
                    assert!(
                        imports.contains(&item),
                        "ociref links {item:?} but does not import it"
                    );
                    linked_imports.insert(item);
                } else {
                    assert_eq!(link.target.name, "ociref");
                    assert!(
                        exports.contains(&item),
                        "{} calls {item:?}, which ociref does not export",
                        component.name
                    );
                }
            }
        }
    }
    for interface in ["store", "atomics", "batch"] {
        assert!(
            linked_imports.contains(&("wasi:keyvalue".to_owned(), interface.to_owned())),
            "wasi:keyvalue/{interface} is not linked"
        );
    }
    assert!(
        linked_imports.contains(&("wasi:http".to_owned(), "outgoing-handler".to_owned())),
        "wasi:http/outgoing-handler is not linked (reconciliation needs the HTTP client)"
    );
    assert!(exports.contains(&("wasi:http".to_owned(), "incoming-handler".to_owned())));
}

#[test]
fn every_config_is_defined_or_documented() {
    let m = manifest();
    let yaml = file("wadm.yaml");
    let mut configs = Vec::new();
    for component in m.components() {
        if let Properties::Component { properties } = &component.properties {
            configs.extend(properties.config.iter());
        }
        for t in component.traits.iter().flatten() {
            if let TraitProperty::Link(link) = &t.properties {
                configs.extend(link.target.config.iter());
                configs.extend(link.source.iter().flat_map(|s| s.config.iter()));
            }
        }
    }
    assert!(!configs.is_empty());
    for config in configs {
        if config.properties.is_none() {
            let how = format!("wash config put {}", config.name);
            assert!(
                yaml.contains(&how) && file("README.md").contains(&how),
                "config {} is neither defined nor documented",
                config.name
            );
        }
    }
    let redis = m
        .components()
        .flat_map(|c| c.traits.iter().flatten())
        .find_map(|t| match &t.properties {
            TraitProperty::Link(l) if l.package == "keyvalue" => l.target.config.first().cloned(),
            _ => None,
        });
    assert!(
        redis.unwrap().properties.unwrap().contains_key("url"),
        "the Redis link needs a url"
    );
}

#[test]
fn the_image_is_what_wash_build_writes() {
    let m = manifest();
    let toml = file("wasmcloud.toml");
    let name = toml
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .map(|v| v.trim_matches('"'))
        .unwrap();
    assert!(
        toml.contains(r#"type = "component""#) && toml.contains(r#"wasm_target = "wasm32-wasip2""#)
    );
    let component = m.wasm_components().next().unwrap();
    let Properties::Component { properties } = &component.properties else {
        panic!()
    };
    // wash build signs the component into build/<name>_s.wasm.
    assert_eq!(
        properties.image.as_deref(),
        Some(format!("file://./build/{name}_s.wasm").as_str())
    );
    let scaled = component
        .traits
        .iter()
        .flatten()
        .find_map(|t| match &t.properties {
            TraitProperty::SpreadScaler(s) => Some(s.instances),
            _ => None,
        });
    assert!(
        scaled.unwrap() > 1,
        "one instance serialises every request (README, Running under load)"
    );
}
