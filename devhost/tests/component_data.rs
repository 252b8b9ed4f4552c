//! The shipped bytes carry their data as scripts/link-component leaves it: joined into a few
//! segments, because wasmtime initializes a fresh instance's memory segment by segment and
//! ociref gets a fresh instance for every request.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wasmparser::{Parser, Payload};

/// The number of data segments of each core module in the component at `path`.
fn data_segments(path: &str) -> Vec<u32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut counts = Vec::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        if let Payload::DataSection(section) = payload.unwrap() {
            counts.push(section.count());
        }
    }
    counts
}

#[test]
fn both_builds_initialize_their_memory_from_few_segments() {
    for path in [devhost::DEFAULT_WASM, devhost::V2_WASM] {
        let counts = data_segments(path);
        assert!(!counts.is_empty(), "{path}: no data section");
        // wasm-opt alone leaves about a hundred (binaryen's memory-packing).
        assert!(counts.iter().all(|&n| n <= 4), "{path}: {counts:?}");
    }
}
