//! What every fuzz target checks about a response, and the plain-text request format the
//! `handler` target reads (so its seeds are readable files built from the ACR fixtures).
//!
//! A failed assertion here is a finding: libFuzzer records the input under `artifacts/`.

use ociref::api::{handle, Context};
use ociref::config::Config;
use ociref::http::{Body, Method, Request, Response};
use ociref::store::MemoryStore;
use ociref::timestamp::Timestamp;
use serde_json::{json, Value};

pub const TOKEN: &str = "fuzz-token-0123456789";
pub const HOST: &str = "wasmcloud.azurecr.io";

/// The statuses the API documents, besides 503 (store failure) and 500 (misconfiguration).
pub const CLIENT_STATUSES: [u16; 8] = [200, 400, 401, 404, 405, 409, 413, 415];

/// An error message longer than this is echoing input back.
pub const MAX_MESSAGE_BYTES: usize = 600;

pub fn config() -> Config {
    Config::from_pairs([("webhook_token", TOKEN)]).expect("the fuzz configuration is valid")
}

pub fn context(config: Config) -> Context {
    Context {
        config: Ok(config),
        now: Timestamp(1_700_000_000 * Timestamp::NANOS_PER_SECOND),
    }
}

/// Names the targets aim at: tracked in the seeded store, nested, host-qualified, unknown.
pub const NAMES: [&str; 6] = [
    "wash",
    "team/app",
    "hello-world",
    "wasmcloud.azurecr.io/wash",
    "myregistry.azurecr.io/hello-world",
    "unknown",
];
pub const TAGS: [&str; 8] = [
    "0.18.1",
    "v0.17.5",
    "1.0.0-rc.1",
    "latest",
    "main",
    "v1",
    "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig",
    "1",
];

pub fn digest(n: u64) -> String {
    format!("sha256:{n:064x}")
}

/// A store holding two tracked repositories and a category, as the API wrote them.
pub fn seeded_store() -> MemoryStore {
    let store = MemoryStore::new();
    let context = context(config());
    for body in [
        event_json("push", "e1", "wash", Some("0.18.1"), 1, Some(1)),
        event_json("push", "e2", "team/app", Some("v1"), 2, Some(2)),
    ] {
        let response = handle(
            &write(Method::Post, "/api/azurehook", body),
            &store,
            &context,
        );
        assert_eq!(response.status, 200);
    }
    let put = write(Method::Put, "/api/categories/tools/wash", Vec::new());
    assert_eq!(handle(&put, &store, &context).status, 200);
    store
}

fn write(method: Method, path: &str, body: Vec<u8>) -> Request {
    Request::new(method, path)
        .with_json(body)
        .with_authorization(&format!("Bearer {TOKEN}"))
}

/// An ACR-shaped event; `at` in seconds after 2023-11-17T16:00:00Z.
pub fn event_json(
    action: &str,
    id: &str,
    repository: &str,
    tag: Option<&str>,
    digest_number: u64,
    at: Option<u64>,
) -> Vec<u8> {
    let mut body = json!({
        "id": id,
        "action": action,
        "target": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(digest_number),
            "repository": repository,
        },
        "request": { "host": HOST },
    });
    if let Some(t) = tag {
        body["target"]["tag"] = t.into();
    }
    if let Some(at) = at {
        body["timestamp"] = format!("2023-11-17T16:{:02}:{:02}Z", at / 60 % 60, at % 60).into();
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

pub fn json_of(response: &Response) -> Value {
    assert_eq!(response.header("content-type"), Some("application/json"));
    serde_json::from_slice(&response.body).expect("every response body is JSON")
}

/// `{"error":{"code","message"}}` and nothing else, with a short message.
pub fn assert_error_shape(response: &Response) {
    let body = json_of(response);
    let object = body.as_object().expect("error body is an object");
    assert_eq!(object.len(), 1, "{body}");
    let error = body["error"].as_object().expect("error is an object");
    assert_eq!(error.len(), 2, "{body}");
    let code = error["code"].as_str().expect("code is a string");
    let message = error["message"].as_str().expect("message is a string");
    assert!(!code.is_empty() && !message.is_empty(), "{body}");
    assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "a {} byte error message echoes input",
        message.len()
    );
    if response.status == 405 {
        assert!(response.header("allow").is_some());
    }
}

/// Only shields.io endpoint keys, with the right types and a non-empty message.
pub fn assert_badge(response: &Response) {
    assert_eq!(response.status, 200);
    let badge = json_of(response);
    let object = badge.as_object().expect("badge is an object");
    for (key, value) in object {
        let ok = match key.as_str() {
            "schemaVersion" => value == 1,
            "label" | "color" | "namedLogo" => value.is_string(),
            "message" => value.as_str().is_some_and(|m| !m.is_empty()),
            "isError" => value.is_boolean(),
            "cacheSeconds" => value.as_u64().is_some_and(|s| s >= 300),
            _ => false,
        };
        assert!(ok, "badge key {key} = {value}: {badge}");
    }
    for required in ["schemaVersion", "label", "message", "color"] {
        assert!(object.contains_key(required), "badge lacks {required}");
    }
}

/// No header carries CR or LF, and no response carries the token unless the client put it
/// in the path, query or body itself (an error may quote those; never the Authorization).
pub fn assert_clean(request: &Request, response: &Response) {
    for (name, value) in &response.headers {
        assert!(!value.contains(['\r', '\n']), "header {name}: {value:?}");
    }
    let needle = TOKEN.as_bytes();
    let contains = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let body = match &request.body {
        Body::Complete(b) => b.as_slice(),
        Body::TooLarge | Body::TimedOut => &[],
    };
    if contains(request.path.as_bytes()) || contains(request.query.as_bytes()) || contains(body) {
        return;
    }
    assert!(!contains(&response.body), "the response shows the token");
    assert!(!response.log.as_deref().unwrap_or_default().contains(TOKEN));
}

// --- the handler target's input format ----------------------------------------------------

/// One step of a handler run.
#[derive(Debug)]
pub enum Step {
    Request(Request),
    /// Fail the nth store call of the next request.
    Fail(usize),
    /// The store is down for the next request.
    Down,
}

/// Reads requests separated by `\n---\n`. Each is a request line `METHOD /path?query`, header
/// lines up to an empty line, then the body:
///
/// - `auth: token` (the right bearer token), `auth: bare` (the bare token), `auth: <value>`;
/// - `type: <content type>` (none when absent), `big` (a body over the size cap);
/// - a step `!fail N` or `!down` on the request line itself applies to the next request;
/// - a body `@ACTION R T D S I` is an ACR event built from small numbers: repository `R`
///   and tag `T` index `NAMES` and `TAGS` (`-` for none), digest `D`, second `S` (`-`: no
///   timestamp), id `I`; any other body is sent as it is.
pub fn parse_steps(data: &[u8]) -> Vec<Step> {
    split(data, b"\n---\n")
        .into_iter()
        .take(48)
        .filter_map(parse_step)
        .collect()
}

fn split<'a>(data: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(separator.len()).position(|w| w == separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len()..];
    }
    parts.push(rest);
    parts
}

fn parse_step(part: &[u8]) -> Option<Step> {
    let (head, body) = match part.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&part[..at], &part[at + 2..]),
        None => (part, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let request_line = lines.next()?;
    if let Some(n) = request_line.strip_prefix("!fail ") {
        return Some(Step::Fail(n.trim().parse::<usize>().ok()? % 16));
    }
    if request_line.trim() == "!down" {
        return Some(Step::Down);
    }
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        _ => Method::Other,
    };
    let mut request = Request::new(method, target);
    let mut too_large = false;
    for line in lines {
        if let Some(value) = line.strip_prefix("auth: ") {
            let value = match value {
                "token" => format!("Bearer {TOKEN}"),
                "bare" => TOKEN.to_owned(),
                other => other.to_owned(),
            };
            request = request.with_header("authorization", &value);
        } else if let Some(value) = line.strip_prefix("type: ") {
            request = request.with_header("content-type", value);
        } else if line == "big" {
            too_large = true;
        }
    }
    request.body = if too_large {
        Body::TooLarge
    } else {
        Body::Complete(generated_event(body).unwrap_or_else(|| body.to_vec()))
    };
    Some(Step::Request(request))
}

fn generated_event(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body.strip_prefix(b"@")?).ok()?;
    let mut words = text.split_whitespace();
    let action = words.next()?;
    let mut number = || words.next().and_then(|w| w.parse::<usize>().ok());
    let repository = NAMES[number()? % 3];
    let tag = number().map(|t| TAGS[t % TAGS.len()]);
    let digest_number = number().unwrap_or(1) as u64 % 8;
    let at = number().map(|s| s as u64);
    let id = number().map_or_else(|| "generated".to_owned(), |i| format!("g{i}"));
    Some(event_json(action, &id, repository, tag, digest_number, at))
}
