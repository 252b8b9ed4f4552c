//! The `wasi:http` / `wasi:keyvalue` / `wasi:config` / `wasi:logging` host interface: the
//! only code that touches the generated bindings.

use crate::{api, config, http, routes, store, timestamp};

mod bindings {
    #![allow(unsafe_code, clippy::all)]
    // wit/world.wit: `ociref` for wasmCloud 1.x, `ociref-v2` for 2.x; they differ only in the
    // version of wasi:config, whose module is named by version since wit/deps holds both.
    #[cfg(not(feature = "wasmcloud-v2"))]
    wit_bindgen::generate!({ path: "wit", world: "ociref", generate_all });
    #[cfg(not(feature = "wasmcloud-v2"))]
    pub use wasi::config0_2_0_draft as config;
    #[cfg(feature = "wasmcloud-v2")]
    wit_bindgen::generate!({ path: "wit", world: "ociref-v2", generate_all });
    #[cfg(feature = "wasmcloud-v2")]
    pub use wasi::config0_2_0_rc_1 as config;

    use super::Component;
    export!(Component);
}

use bindings::exports::wasi::http::incoming_handler::Guest;
use bindings::wasi::clocks::monotonic_clock;
use bindings::wasi::http::types::{
    Fields, IncomingRequest, Method as WasiMethod, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use bindings::wasi::io::poll::poll;
use bindings::wasi::keyvalue::{atomics, batch, store as kv};
use bindings::wasi::logging::logging::{log, Level};
use std::cell::Cell;
use store::{Store, StoreError};

mod outgoing;

use outgoing::WasiTransport;

const LOG_CONTEXT: &str = "ociref";

struct Component;

impl Guest for Component {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let plain = read_request(&request);
        let is_head = plain.method == http::Method::Head;
        let store = WasiStore::open();
        let context = api::Context {
            config: read_config(),
            now: wall_clock_now(),
        };
        let (response, deferred) = api::serve(&plain, &store, &WasiTransport, &context);
        let level = match response.status {
            500.. => Level::Error,
            400.. => Level::Warn,
            _ => Level::Debug,
        };
        // Hook paths may end in a token: logs never see it.
        let path: String = routes::redacted(&plain.path).chars().take(200).collect();
        let detail = response
            .log
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        log(
            level,
            LOG_CONTEXT,
            &format!(
                "{:?} {path} -> {} ({} store calls){detail}",
                plain.method,
                response.status,
                store.calls.get()
            ),
        );
        write_response(response_out, response, is_head);
        // The response is written and finished: the client has it. Verifications a read or a
        // webhook asked for run now, and no reader waits for a registry.
        for line in api::run_deferred(&deferred, &store, &WasiTransport, &context) {
            log(Level::Info, LOG_CONTEXT, &line);
        }
    }
}

fn read_request(request: &IncomingRequest) -> http::Request {
    let method = match request.method() {
        WasiMethod::Get => http::Method::Get,
        WasiMethod::Head => http::Method::Head,
        WasiMethod::Post => http::Method::Post,
        WasiMethod::Put => http::Method::Put,
        WasiMethod::Delete => http::Method::Delete,
        _ => http::Method::Other,
    };
    let mut plain = http::Request::new(method, &request.path_with_query().unwrap_or_default());
    plain.headers = plain_headers(&request.headers());
    // wasi:http hands the authority apart from the headers (wasmtime drops `Host`); the pages
    // show it in copy-ready URLs.
    if let (None, Some(authority)) = (plain.header("host"), request.authority()) {
        plain.headers.push(("host".into(), authority));
    }
    let declared = plain
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    plain.body = match declared {
        _ if !plain.method.carries_body() => http::Body::Complete(Vec::new()),
        Some(n) if n > http::MAX_BODY_BYTES as u64 => http::Body::TooLarge,
        _ => read_body(request),
    };
    plain
}

/// A `wasi:http` header list as plain pairs, names in lower case (as `http::Request` and the
/// registry client look them up).
fn plain_headers(fields: &Fields) -> Vec<(String, String)> {
    fields
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect()
}

/// Reads at most `MAX_BODY_BYTES` (+1 to notice more), never buffering an oversized body
/// whole, and waits for it until `BODY_DEADLINE_SECONDS` have passed (see there why).
fn read_body(request: &IncomingRequest) -> http::Body {
    let Ok(body) = request.consume() else {
        return http::Body::Complete(Vec::new());
    };
    let Ok(stream) = body.stream() else {
        return http::Body::Complete(Vec::new());
    };
    let deadline =
        monotonic_clock::now().saturating_add(http::BODY_DEADLINE_SECONDS * 1_000_000_000);
    let ready = stream.subscribe();
    let mut bytes = Vec::new();
    loop {
        let room = http::MAX_BODY_BYTES + 1 - bytes.len();
        match stream.read(room.min(16 * 1024) as u64) {
            Ok(chunk) if chunk.is_empty() => {
                let timer = monotonic_clock::subscribe_instant(deadline);
                if !poll(&[&ready, &timer]).contains(&0) {
                    return http::Body::TimedOut;
                }
            }
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            // Closed is the normal end; a failed read leaves a truncated body that will not parse.
            Err(_) => break,
        }
        if bytes.len() > http::MAX_BODY_BYTES {
            return http::Body::TooLarge;
        }
    }
    http::Body::Complete(bytes)
}

fn write_response(out: ResponseOutparam, response: http::Response, is_head: bool) {
    let mut entries: Vec<(String, Vec<u8>)> = response
        .headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone().into_bytes()))
        .collect();
    // A 304 has no body, and a length it states must be the full answer's (RFC 9110 8.6):
    // it states none.
    if response.status != 304 {
        entries.push((
            "content-length".into(),
            response.body.len().to_string().into_bytes(),
        ));
    }
    let headers = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    if !is_head {
        if let Ok(stream) = body.write() {
            // `blocking-write-and-flush` takes at most 4096 bytes per call.
            for chunk in response.body.chunks(4096) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    break;
                }
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}

fn read_config() -> Result<config::Config, String> {
    let pairs = bindings::config::store::get_all()
        .map_err(|_| "the host could not provide the component configuration".to_owned())?;
    config::Config::from_pairs(pairs)
}

fn wall_clock_now() -> timestamp::Timestamp {
    let t = bindings::wasi::clocks::wall_clock::now();
    timestamp::Timestamp(
        i64::try_from(t.seconds)
            .unwrap_or(i64::MAX / timestamp::Timestamp::NANOS_PER_SECOND)
            .saturating_mul(timestamp::Timestamp::NANOS_PER_SECOND)
            .saturating_add(i64::from(t.nanoseconds)),
    )
}

/// `wasi:keyvalue` as a [`Store`]: one bucket per request, each call one round trip.
struct WasiStore {
    bucket: Result<kv::Bucket, StoreError>,
    calls: Cell<u32>,
}

impl WasiStore {
    fn open() -> Self {
        // The wasmCloud Redis provider ignores bucket names and warns about non-empty ones.
        Self {
            bucket: kv::open("").map_err(kv_error),
            calls: Cell::new(0),
        }
    }

    fn bucket(&self) -> Result<&kv::Bucket, StoreError> {
        self.calls.set(self.calls.get() + 1);
        self.bucket.as_ref().map_err(Clone::clone)
    }
}

fn kv_error(e: kv::Error) -> StoreError {
    StoreError(match e {
        kv::Error::NoSuchStore => "no such store".into(),
        kv::Error::AccessDenied => "access denied".into(),
        kv::Error::Other(m) => m,
    })
}

impl Store for WasiStore {
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let values = batch::get_many(self.bucket()?, keys).map_err(kv_error)?;
        if values.len() != keys.len() {
            return Err(StoreError(
                "get-many returned the wrong number of values".into(),
            ));
        }
        Ok(values
            .into_iter()
            .map(|v| v.map(|(_, value)| value))
            .collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        batch::set_many(self.bucket()?, entries).map_err(kv_error)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        batch::delete_many(self.bucket()?, keys).map_err(kv_error)
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        atomics::increment(self.bucket()?, key, delta).map_err(kv_error)
    }
}
