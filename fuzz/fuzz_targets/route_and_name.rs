//! `routes::Route::parse` and a GET of arbitrary paths and queries through `api::handle` on a
//! store with tracked repositories: never panics, documented statuses only, a badge route
//! answers a schema-valid badge or a 4xx, an SVG badge always a 200 image, and a read never
//! writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::api::handle;
use ociref::http::{Method, Request};
use ociref::routes::Route;
use ociref_fuzz::{assert_badge, assert_clean, assert_error_shape, config, context, seeded_store};

fuzz_target!(|data: &[u8]| {
    let target = String::from_utf8_lossy(data);
    let path = target.split_once('?').map_or(&*target, |(p, _)| p);
    let route = Route::parse(path);
    if let Route::Badge(name) = &route {
        // `/api/...` is never a repository.
        assert!(name != "api" && !name.starts_with("api/"), "{name}");
    }
    let store = seeded_store();
    let before = store.dump();
    let context = context(config());
    for method in [Method::Get, Method::Head] {
        let request = Request::new(method, &target);
        let response = handle(&request, &store, &context);
        assert!(
            [200, 400, 404, 405].contains(&response.status),
            "{} for GET {target:?}",
            response.status
        );
        assert_clean(&request, &response);
        match (&route, response.status) {
            (Route::Badge(_), 200) => assert_badge(&response),
            // The image never fails: whatever the name or query, a 200 SVG.
            (Route::SvgBadge(_), status) => assert_eq!(
                (status, response.header("content-type")),
                (200, Some("image/svg+xml")),
                "GET {target:?}"
            ),
            (Route::Feed(_), 200) => assert!(response.body.starts_with(b"<?xml")),
            (_, 200) => {
                ociref_fuzz::json_of(&response);
            }
            _ => assert_error_shape(&response),
        }
    }
    assert!(store.dump() == before, "a GET wrote to the store");
});
