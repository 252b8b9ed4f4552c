//! # ociref
//!
//! A wasmCloud component that receives container-registry webhooks, keeps the current OCI
//! reference of every repository in `wasi:keyvalue`, and serves it as shields.io badge JSON.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/<repository>` or `/<host>/<repository>` | shields.io endpoint badge, always 200 |
//! | POST | `/api/azurehook` | Azure Container Registry webhook (token required) |
//! | POST | `/api/reference` | set a reference by hand (token required) |
//! | GET | `/api/refs`, `/api/refs/<repository>` | tracked repositories, one record |
//! | GET | `/api/history/<repository>?limit=N` | recent events, newest first |
//! | GET, PUT, DELETE | `/api/categories/<category>[/<repository>]` | named lists |
//! | GET | `/healthz` | 200 when the store answers |
//!
//! `glue` is the only door to the host: it turns a `wasi:http` request into a plain
//! [`http::Request`] (reading the body with a size cap), calls [`app::handle`] with a store over
//! `wasi:keyvalue`, writes the response and logs it. It is compiled for `wasm32` only (its
//! export names are not valid native symbols); everything else is plain Rust, tested natively.

pub mod app;
pub mod auth;
pub mod badge;
pub mod config;
pub mod error;
pub mod http;
mod json_object;
pub mod policy;
pub mod reference;
pub mod state;
pub mod store;
pub mod timestamp;
pub mod tracker;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod glue;
