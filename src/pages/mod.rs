//! The pages people open in a browser: the catalog (`/`) and a repository (`/<name>`), plain
//! server-rendered HTML with one stylesheet and one small script under `/-/` (a path no OCI
//! name can have: names start with `[a-z0-9]`). Pure: renderers take what `api::pages` read
//! and return a [`Response`]; every value goes through [`crate::html`].

mod accept;
pub mod catalog;
pub mod repository;

pub use accept::prefers_html;

use crate::html::esc;
use crate::http::Response;
use crate::timestamp::Timestamp;
use std::fmt::Write;

/// No inline script or style, nothing from another origin: a private network renders it all.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A static file, versioned in its URL by a hash of its content, so it can be cached for good.
pub struct Asset {
    pub name: &'static str,
    content_type: &'static str,
    body: &'static str,
    hash: u64,
}

pub const STYLE: Asset = Asset::new("style.css", "text/css", include_str!("style.css"));
pub const SCRIPT: Asset = Asset::new("page.js", "text/javascript", include_str!("page.js"));
pub const ICON: Asset = Asset::new("icon.svg", "image/svg+xml", include_str!("icon.svg"));

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, body: &'static str) -> Self {
        // FNV-1a at compile time: a version, not a security check.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut rest = body.as_bytes();
        while let [byte, tail @ ..] = rest {
            hash = (hash ^ *byte as u64).wrapping_mul(0x0100_0000_01b3);
            rest = tail;
        }
        Self {
            name,
            content_type,
            body,
            hash,
        }
    }

    /// Where pages link it: the hash in the query changes the URL whenever the file does.
    pub fn url(&self) -> String {
        format!("/-/{}?v={:016x}", self.name, self.hash)
    }
}

/// `GET /-/<name>`: the file, cacheable for good (its URL changes with it); `None` for no such
/// file. `api` adds the validator.
pub fn asset(name: &str) -> Option<Response> {
    let asset = [STYLE, SCRIPT, ICON].into_iter().find(|a| a.name == name)?;
    let content_type = format!("{}; charset=utf-8", asset.content_type);
    let mut response = Response::with_body(200, &content_type, asset.body.as_bytes().to_vec());
    response.headers.extend([
        (
            "cache-control",
            "public, max-age=31536000, immutable".to_owned(),
        ),
        ("x-content-type-options", "nosniff".to_owned()),
    ]);
    Some(response)
}

/// A whole page: the shared head, header and footer around `main`.
pub fn page(status: u16, title: &str, head: &str, main: &str) -> Response {
    let mut html = String::with_capacity(main.len() + 1024);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{} · ociref</title><link rel=\"stylesheet\" href=\"{}\"><link rel=\"icon\" href=\"{}\">\
         <script src=\"{}\" defer></script>{head}</head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header class=\"top\"><nav aria-label=\"Site\"><a href=\"/\" class=\"brand\">ociref</a>\
         <a href=\"/\">Catalog</a><a href=\"/.atom\">Feed</a><a href=\"/api/refs\">JSON</a></nav></header>\
         <main id=\"main\">{main}</main>\
         <footer><p>Served by ociref: the current reference of every repository its registries report.</p></footer>\
         </body></html>",
        esc(title),
        STYLE.url(),
        ICON.url(),
        SCRIPT.url(),
    );
    let mut response = Response::with_body(status, "text/html; charset=utf-8", html.into_bytes());
    response.headers.extend([
        ("content-security-policy", CSP.to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "same-origin".to_owned()),
        ("cache-control", "no-cache".to_owned()),
    ]);
    response
}

/// A page that only says something: an unknown name, a store outage.
pub fn message(status: u16, title: &str, text: &str) -> Response {
    let main = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">See every published repository</a></p>",
        esc(title),
        esc(text)
    );
    page(status, title, "", &main)
}

/// Where this ociref is, as the client reached it, for copy-ready URLs only (never trusted for
/// anything else): `Host` when it is a plausible authority, `X-Forwarded-Proto` for the scheme.
pub fn origin(host: Option<&str>, forwarded_proto: Option<&str>) -> String {
    let host = host
        .map(str::trim)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let https = forwarded_proto
        .and_then(|p| p.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// `sha256:` and the first 12 hex digits, as `docker images` shows a digest.
fn short_digest(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

/// `<time>` with the exact instant, showing minutes in UTC.
fn time(at: Timestamp) -> String {
    let full = at.to_string();
    let shown = full.get(..16).unwrap_or(&full).replacen('T', " ", 1);
    format!(
        "<time datetime=\"{}\">{} UTC</time>",
        esc(&full),
        esc(&shown)
    )
}

/// `host/repository`, or the repository alone where the host is unknown (ociref 0.1 records).
fn full_name(host: &str, repository: &str) -> String {
    if host.is_empty() {
        repository.to_owned()
    } else {
        format!("{host}/{repository}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_versioned_and_cached_for_good() {
        for a in [STYLE, SCRIPT, ICON] {
            let r = asset(a.name).unwrap();
            assert_eq!(r.status, 200);
            assert!(r
                .header("content-type")
                .unwrap()
                .starts_with(a.content_type));
            assert!(r.header("cache-control").unwrap().contains("immutable"));
            assert!(a.url().starts_with(&format!("/-/{}?v=", a.name)));
        }
        assert!(asset("secret.txt").is_none());
        assert_ne!(STYLE.hash, SCRIPT.hash);
    }

    #[test]
    fn pages_carry_a_strict_policy_and_escape_their_title() {
        let r = message(404, "<b>x</b>", "it's \"gone\"");
        let html = String::from_utf8(r.body.clone()).unwrap();
        assert_eq!(r.status, 404);
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "{html}");
        assert!(html.contains("it&#39;s &quot;gone&quot;"), "{html}");
        assert!(!html.contains("<b>"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"));
        assert!(!csp.contains("unsafe"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        // No inline script or style for the policy to refuse.
        assert!(!html.contains("<script>") && !html.contains("style="));
    }

    #[test]
    fn the_origin_is_what_the_client_used_or_a_safe_default() {
        assert_eq!(
            origin(Some("ociref.example.com"), Some("https")),
            "https://ociref.example.com"
        );
        assert_eq!(
            origin(Some("127.0.0.1:8000"), None),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            origin(Some("[::1]:80"), Some("https, http")),
            "https://[::1]:80"
        );
        for hostile in ["a\"><script>", "evil.com/path", "a b", "", "x@y"] {
            assert_eq!(origin(Some(hostile), None), "http://localhost", "{hostile}");
        }
        assert_eq!(origin(None, Some("javascript")), "http://localhost");
    }

    #[test]
    fn digests_and_times_are_shortened_for_people() {
        assert_eq!(
            short_digest("sha256:6c3c624b58dbbcd3c0dd82b4"),
            "sha256:6c3c624b58db"
        );
        assert_eq!(short_digest("short"), "short");
        assert_eq!(
            time(Timestamp::parse_rfc3339("2026-01-02T03:04:05.5Z").unwrap()),
            "<time datetime=\"2026-01-02T03:04:05.5Z\">2026-01-02 03:04 UTC</time>"
        );
    }
}
