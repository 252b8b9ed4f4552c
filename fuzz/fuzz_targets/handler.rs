//! Sequences of arbitrary requests (see `parse_steps` for the format) through `api::handle`
//! with the in-memory store, with store faults injected between them. After every request:
//! no panic, a documented status (503 only under an injected fault), JSON bodies, every 4xx
//! leaves the store byte-identical, a badge route answers a schema-valid 200 or a 4xx, and at
//! the end the badge and the record of every repository agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::api::handle;
use ociref::http::{Method, Request};
use ociref::routes::Route;
use ociref::store::MemoryStore;
use ociref_fuzz::{
    assert_badge, assert_clean, assert_error_shape, config, context, json_of, parse_steps,
    seeded_store, Step, CLIENT_STATUSES, NAMES,
};

fuzz_target!(|data: &[u8]| {
    let store = seeded_store();
    let context = context(config());
    let mut fault = false;
    for step in parse_steps(data) {
        let request = match step {
            Step::Fail(n) => {
                store.fail_nth_call(n);
                fault = true;
                continue;
            }
            Step::Down => {
                store.set_unavailable(true);
                fault = true;
                continue;
            }
            Step::Request(r) => r,
        };
        let before = store.dump();
        let response = handle(&request, &store, &context);
        store.clear_faults();
        let status = response.status;
        assert!(
            CLIENT_STATUSES.contains(&status) || (fault && status == 503),
            "{status} for {request:?}"
        );
        assert_clean(&request, &response);
        let is_badge = matches!(Route::parse(&request.path), Route::Badge(_));
        if is_badge && matches!(request.method, Method::Get | Method::Head) {
            if status == 200 {
                assert_badge(&response);
            } else {
                assert!((400..500).contains(&status), "badge answered {status}");
            }
        } else if status >= 400 {
            assert_error_shape(&response);
        } else {
            json_of(&response);
        }
        if (400..500).contains(&status) {
            assert!(
                store.dump() == before,
                "{status} changed the store: {request:?}"
            );
        }
        fault = false;
    }
    store.clear_faults(); // a fault armed by the last step has no request to fail
    assert_reads_agree(&store);
});

/// The badge and `/api/refs/<name>` are two reads of one record: they must tell one story.
fn assert_reads_agree(store: &MemoryStore) {
    let context = context(config());
    for name in NAMES {
        let badge = handle(
            &Request::new(Method::Get, &format!("/{name}")),
            store,
            &context,
        );
        assert_badge(&badge);
        let message = json_of(&badge)["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let record = handle(
            &Request::new(Method::Get, &format!("/api/refs/{name}")),
            store,
            &context,
        );
        match record.status {
            200 => assert_eq!(
                json_of(&record)["reference"].as_str(),
                Some(message.as_str())
            ),
            404 => assert!(
                ["not published", "withdrawn", "pending release", "no tags"]
                    .contains(&message.as_str()),
                "{name}: no record, but the badge says {message}"
            ),
            other => panic!("{name}: record answered {other}"),
        }
    }
}
