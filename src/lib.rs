//! # ociref
//!
//! A wasmCloud component that receives container-registry webhooks, keeps the current OCI
//! reference of every repository in `wasi:keyvalue`, and serves it as shields.io badge JSON.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/<host>/<repository>`, `/<repository>` | shields.io endpoint badge, always 200 |
//! | GET | `/<name>.svg` | the badge as an SVG image, always 200 |
//! | GET | `/<name>.atom`, `/.atom` | Atom feed of a repository's releases, of every repository's |
//! | POST | `/api/hooks/<registry>[/<token>]` | a registry's webhook (acr, distribution, harbor, ghcr, dockerhub, quay, gar, ecr) |
//! | POST | `/api/azurehook` | Azure Container Registry webhook, as `/api/hooks/acr` |
//! | POST | `/api/reference` | set a reference by hand (token required) |
//! | POST | `/api/reconcile`, `/api/reconcile/<host>/<repository>` | check against the registry itself and correct (token required) |
//! | GET | `/api/refs`, `/api/refs/<name>` | tracked repositories, one record |
//! | GET | `/api/history/<name>?limit=N` | recent events, newest first |
//! | GET, PUT, DELETE | `/api/categories/<category>[/<name>]` | named lists |
//! | GET | `/healthz` | 200 when the store answers |
//! | GET | `/`, `/<name>` with `Accept: text/html` | the catalog page, a repository's page (`pages`) |
//! | GET | `/-/<file>` | the pages' stylesheet and script |
//!
//! Data flows one way: bytes in, parsed by a `webhook` sender into registry-neutral `event`s,
//! folded by `tracking` into what each repository shows, stored through `store`, answered by
//! `api`. `reconcile` checks what is shown against the registry itself, through the sans-IO
//! OCI Distribution client in `registry`, and records corrections as events. `host` is the only
//! door to the host: it turns a `wasi:http` request into a plain [`http::Request`] (reading the
//! body with a size cap), calls [`api::serve`] with a store over `wasi:keyvalue` and a registry
//! transport over `wasi:http/outgoing-handler`, writes the response and logs it, then runs the
//! work the request deferred (verifications). It is compiled for `wasm32` only (its export
//! names are not valid native symbols); everything else is plain Rust, tested natively.

pub mod api;
pub mod auth;
pub mod badge;
pub mod config;
pub mod error;
pub mod event;
pub mod html;
pub mod http;
mod json_object;
pub mod pages;
pub mod reconcile;
pub mod reference;
pub mod registry;
pub mod routes;
pub mod store;
pub mod timestamp;
pub mod tracking;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod host;
