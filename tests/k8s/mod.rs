//! Checking Kubernetes manifests against a CRD's OpenAPI schema without a JSON-schema
//! dependency (tests/workload_manifest.rs).
#![allow(dead_code)]

pub mod schema;
