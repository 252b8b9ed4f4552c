//! The pages through `api::handle`: who gets HTML and who keeps the JSON byte for byte, the
//! catalog's grouping, filter and paging over many repositories, the repository page's
//! snippets, and escaping of everything a client or a registry controls.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use ociref::api::handle;
use ociref::http::{Method, Request, Response};
use ociref::store::MemoryStore;

const CHROMIUM: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const IMG: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

fn send(store: &MemoryStore, request: &Request) -> Response {
    handle(request, store, &context(config()))
}

fn browse(store: &MemoryStore, path: &str) -> (u16, String, Response) {
    let r = send(
        store,
        &get(path)
            .with_header("accept", CHROMIUM)
            .with_header("host", "ociref.example.com")
            .with_header("x-forwarded-proto", "https"),
    );
    let html = String::from_utf8(r.body.clone()).unwrap();
    (r.status, html, r)
}

fn push_to(store: &MemoryStore, host: &str, repository: &str, tag: &str, d: u64) {
    let mut event: serde_json::Value = serde_json::from_slice(&push_json(
        &format!("{host}/{repository}:{tag}"),
        repository,
        tag,
        d,
        d,
    ))
    .unwrap();
    event["request"]["host"] = host.into();
    let (status, body) = call(store, &webhook(serde_json::to_vec(&event).unwrap()));
    assert_eq!(status, 200, "{body}");
}

fn assert_page(r: &Response) {
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("vary"), Some("Accept"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .starts_with("default-src 'none'"));
}

/// Rows of the catalog, as `host/repository` (the `data-name` of each row).
fn rows(html: &str) -> Vec<String> {
    html.split("<tr data-name=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

fn next_link(html: &str) -> Option<String> {
    let before = html.split("\" rel=\"next\"").next()?;
    if before.len() == html.len() {
        return None;
    }
    let href = before.rsplit("href=\"").next()?;
    Some(href.replace("&amp;", "&"))
}

#[test]
fn json_clients_keep_todays_answers_byte_for_byte() {
    let store = MemoryStore::new();
    call(&store, &webhook(fixture("push.json")));
    let today: [(&str, &[u8]); 3] = [
        (
            "/hello-world",
            br#"{"schemaVersion":1,"label":"oci","message":"myregistry.azurecr.io/hello-world:v1","color":"blue","cacheSeconds":300}"#,
        ),
        (
            "/nothing-here",
            br#"{"schemaVersion":1,"label":"oci","message":"not published","color":"lightgrey","isError":true,"cacheSeconds":300}"#,
        ),
        ("/", b""),
    ];
    let index = send(&store, &get("/")).body;
    for (path, expected) in today {
        let expected = if expected.is_empty() {
            &index[..]
        } else {
            expected
        };
        for accept in [
            None,
            Some("*/*"),
            Some("application/json"),
            Some(IMG),
            Some("text/html;q=0.5, application/json"),
        ] {
            let mut request = get(path);
            if let Some(a) = accept {
                request = request.with_header("accept", a);
            }
            let r = send(&store, &request);
            assert_eq!(r.status, 200, "{path} {accept:?}");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("vary"), Some("Accept"), "{path}");
            assert_eq!(r.body, expected, "{path} {accept:?}");
        }
    }
    // Badges stay 200 for names that are invalid or ambiguous, whatever Accept says.
    let r = send(
        &store,
        &get("/UtaiteBOX/server").with_header("accept", "*/*"),
    );
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("invalid name"));
}

#[test]
fn a_browser_gets_the_catalog_grouped_by_host() {
    let store = MemoryStore::new();
    push_to(&store, "ghcr.io", "acme/wash", "v0.18.1", 1);
    push_to(&store, "myregistry.azurecr.io", "hello-world", "v1", 2);
    push_to(&store, "ghcr.io", "acme/api", "1.2.3", 3);
    let mut delete: serde_json::Value =
        serde_json::from_slice(&delete_json("gone", "hello-world", 2, 90)).unwrap();
    delete["request"]["host"] = "myregistry.azurecr.io".into();
    call(&store, &webhook(serde_json::to_vec(&delete).unwrap()));
    let (status, html, r) = browse(&store, "/");
    assert_eq!(status, 200);
    assert_page(&r);
    // Grouped by host, sorted within a page.
    assert_eq!(
        rows(&html),
        [
            "ghcr.io/acme/api",
            "ghcr.io/acme/wash",
            "myregistry.azurecr.io/hello-world"
        ]
    );
    let ghcr = html.find("<h2 id=\"host-0\">ghcr.io</h2>").unwrap();
    let acr = html
        .find("<h2 id=\"host-1\">myregistry.azurecr.io</h2>")
        .unwrap();
    assert!(ghcr < acr);
    assert!(html.contains("<a href=\"/ghcr.io/acme/wash\">acme/wash</a>"));
    assert!(html.contains("<code>ghcr.io/acme/wash:v0.18.1</code>"));
    assert!(html.contains("<td data-label=\"Tag\">v0.18.1</td>"));
    assert!(html.contains(&format!(
        "title=\"{}\">sha256:{}</code>",
        digest(1),
        &digest(1)[7..19]
    )));
    assert!(html
        .contains("<time datetime=\"2023-11-17T16:00:01.000000001Z\">2023-11-17 16:00 UTC</time>"));
    assert!(html.contains(">withdrawn</td>"), "{html}");
    assert!(html.contains("<th scope=\"col\">Repository</th>"));
    assert!(html.contains("<label for=\"q\">Filter by name</label>"));
    assert!(next_link(&html).is_none());

    let (_, filtered, _) = browse(&store, "/?q=ACME%2Fw");
    assert_eq!(rows(&filtered), ["ghcr.io/acme/wash"]);
    assert!(filtered.contains("value=\"ACME/w\""));
    let (_, none, _) = browse(&store, "/?q=zzz");
    assert!(rows(&none).is_empty());
    assert!(none.contains("No repository here matches."));

    let (status, empty, _) = browse(&MemoryStore::new(), "/");
    assert_eq!(status, 200);
    assert!(empty.contains("Nothing is tracked yet"));
}

#[test]
fn paging_walks_every_repository_once_in_a_few_round_trips() {
    let store = MemoryStore::new();
    let total = 1_234;
    for n in 0..total {
        let host = ["ghcr.io", "quay.io", "registry.example.com"][n % 3];
        push_to(
            &store,
            host,
            &format!("team/app-{n:04}"),
            "1.0.0",
            n as u64 + 1,
        );
    }
    for (start, filter, expected) in [
        ("/?limit=200", "", total),
        // Names ending in 7: spread over the whole index, fewer than a page per span.
        (
            "/?q=7&limit=50",
            "7",
            (0..total)
                .filter(|n| format!("{n:04}").contains('7'))
                .count(),
        ),
        ("/?q=quay.io%2Fteam%2Fapp-12", "quay.io/team/app-12", 11),
    ] {
        let mut seen = Vec::new();
        let mut path = Some(start.to_owned());
        let mut pages = 0;
        while let Some(p) = path {
            let before = store.calls().len();
            let (status, html, _) = browse(&store, &p);
            assert_eq!(status, 200, "{p}");
            assert!(
                store.calls().len() - before <= 3,
                "{p}: {} store calls",
                store.calls().len() - before
            );
            let page = rows(&html);
            assert!(page.len() <= 200, "{p}");
            assert!(page.iter().all(|r| r.contains(filter)), "{p}");
            seen.extend(page);
            path = next_link(&html);
            pages += 1;
            assert!(pages < 100, "paging does not end");
        }
        let count = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!((seen.len(), count), (expected, expected), "{start}");
    }
    // The limit is clamped, a bad cursor is a page saying so.
    let (_, html, _) = browse(&store, "/?limit=100000");
    assert_eq!(rows(&html).len(), 500);
    let (status, html, r) = browse(&store, "/?cursor=x");
    assert_eq!(status, 400);
    assert_page(&r);
    assert!(html.contains("cursor must be a number"));
}

#[test]
fn the_repository_page_has_what_to_copy() {
    let store = MemoryStore::new();
    call(&store, &webhook(fixture("push.json")));
    let (status, html, r) = browse(&store, "/hello-world");
    assert_eq!(status, 200);
    assert_page(&r);
    let pinned = "myregistry.azurecr.io/hello-world:v1@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
    let url = "https://ociref.example.com/myregistry.azurecr.io/hello-world";
    for expected in [
        "<h1><span class=\"host\">myregistry.azurecr.io/</span><wbr>hello-world</h1>".to_owned(),
        "<img src=\"/myregistry.azurecr.io/hello-world.svg\"".to_owned(),
        format!("<dt>Pinned</dt><dd><code>{pinned}</code></dd>"),
        ">docker pull myregistry.azurecr.io/hello-world:v1</pre>".to_owned(),
        format!(">docker pull {pinned}</pre>"),
        format!(">oras pull {pinned}</pre>"),
        format!(">[![myregistry.azurecr.io/hello-world]({url}.svg)]({url})</pre>"),
        format!(">[![myregistry.azurecr.io/hello-world](https://img.shields.io/endpoint?url={url})]({url})</pre>"),
        format!(">&lt;a href=&quot;{url}&quot;&gt;&lt;img src=&quot;{url}.svg&quot; alt=&quot;myregistry.azurecr.io/hello-world&quot;&gt;&lt;/a&gt;</pre>"),
        "<code>semver</code>: the highest semantic version".to_owned(),
        "not yet checked against the registry".to_owned(),
        "<td data-label=\"Outcome\">recorded</td>".to_owned(),
        "href=\"/myregistry.azurecr.io/hello-world.atom\"".to_owned(),
    ] {
        assert!(html.contains(&expected), "missing {expected}\n{html}");
    }
    // The full name finds the same page; the URL follows the Host the client used.
    let r = send(
        &store,
        &get("/myregistry.azurecr.io/hello-world")
            .with_header("accept", "text/html")
            .with_header("host", "127.0.0.1:8000"),
    );
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("http://127.0.0.1:8000/myregistry.azurecr.io/hello-world.svg"));
}

#[test]
fn unknown_invalid_and_ambiguous_names_get_pages_that_say_so() {
    let store = MemoryStore::new();
    push_to(&store, "ghcr.io", "app", "1.0.0", 1);
    push_to(&store, "quay.io", "app", "1.0.0", 2);
    let (status, html, r) = browse(&store, "/nothing-here");
    assert_eq!(status, 404);
    assert_page(&r);
    assert!(html.contains("nothing-here is not tracked"));
    let (status, html, _) = browse(&store, "/Bad..Name");
    assert_eq!(status, 400);
    assert!(html.contains("<h1>Not a repository name</h1>"));
    let (status, html, _) = browse(&store, "/app");
    assert_eq!(status, 409);
    assert!(html.contains("<a href=\"/ghcr.io/app\">ghcr.io/app</a>"));
    assert!(html.contains("<a href=\"/quay.io/app\">quay.io/app</a>"));
    // An outage is a page saying so, never "not published"; the badge still answers 200.
    store.set_unavailable(true);
    let (status, html, r) = browse(&store, "/ghcr.io/app");
    assert_eq!(status, 503);
    assert!(html.contains("unavailable"));
    assert!(r.log.is_some());
    assert_eq!(browse(&store, "/").0, 503);
    assert_eq!(send(&store, &get("/ghcr.io/app")).status, 200);
}

#[test]
fn what_clients_and_registries_control_is_escaped() {
    let store = MemoryStore::new();
    let mut event: serde_json::Value =
        serde_json::from_slice(&push_json("<script>id</script>", "web", "1.0.0", 7, 7)).unwrap();
    event["target"]["mediaType"] = "\"><img src=x onerror=alert(1)>".into();
    call(&store, &webhook(serde_json::to_vec(&event).unwrap()));
    let r = send(
        &store,
        &get("/web")
            .with_header("accept", "text/html")
            .with_header("host", "\"><script>alert(1)</script>")
            .with_header("x-forwarded-proto", "javascript:"),
    );
    let html = String::from_utf8(r.body).unwrap();
    assert_eq!(r.status, 200);
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("alert(1)</script>"));
    assert!(html.contains("http://localhost/wasmcloud.azurecr.io/web.svg"));
    let (_, html, _) = browse(&store, "/?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
    // No markup but ours: one script element, the external one.
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn static_files_are_served_under_a_path_no_name_can_have() {
    let store = MemoryStore::new();
    for (path, content_type) in [
        ("/-/style.css", "text/css; charset=utf-8"),
        ("/-/page.js", "text/javascript; charset=utf-8"),
    ] {
        let r = send(&store, &get(path));
        assert_eq!(
            (r.status, r.header("content-type")),
            (200, Some(content_type))
        );
        let etag = r.header("etag").unwrap().to_owned();
        let again = send(&store, &get(path).with_header("if-none-match", &etag));
        assert_eq!(again.status, 304);
        assert!(store.calls().is_empty(), "a static file reads no store");
    }
    let (status, body) = call(&store, &get("/-/nope.css"));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
    let (status, _) = call(&store, &Request::new(Method::Post, "/-/style.css"));
    assert_eq!(status, 405);
    // The page links the versioned files it is served with.
    let (_, html, _) = browse(&store, "/");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/-/style.css?v="));
    assert!(html.contains("<script src=\"/-/page.js?v="));
}
