//! Every sender's parser on arbitrary bytes (the first byte picks the sender and, for GitHub,
//! the event header): never panics; an error is a 400 with a short message; an accepted event
//! obeys the OCI grammar and survives being stored as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::event::{Action, Event};
use ociref::reference::{validate_digest, validate_host, validate_repository, validate_tag};
use ociref::webhook::{Parsed, Payload, SENDERS};
use ociref_fuzz::MAX_MESSAGE_BYTES;

fn printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

const GITHUB_EVENTS: [&str; 3] = ["package", "registry_package", "ping"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let sender = &SENDERS[usize::from(pick) % SENDERS.len()];
    let headers = vec![
        (
            "x-github-event".to_owned(),
            GITHUB_EVENTS[usize::from(pick / 16) % GITHUB_EVENTS.len()].to_owned(),
        ),
        ("x-github-delivery".to_owned(), "d1".to_owned()),
    ];
    match (sender.parse)(Payload {
        body,
        headers: &headers,
    }) {
        Ok(Parsed::Events(events)) => {
            assert!(!events.is_empty() && events.len() <= ociref::webhook::MAX_EVENTS);
            for event in events {
                check(&event);
            }
        }
        Ok(Parsed::Ignored(reason)) => assert!(reason.len() <= 512 && printable(&reason)),
        Ok(Parsed::Ping) => {}
        Err(e) => {
            let e = ociref::error::Error::from(e);
            assert_eq!(e.status(), 400);
            assert!(matches!(e.code(), "invalid-json" | "invalid-payload"));
            assert!(
                e.message().len() <= MAX_MESSAGE_BYTES,
                "a {} byte message echoes the payload",
                e.message().len()
            );
        }
    }
});

fn check(event: &Event) {
    assert!(validate_repository(&event.repository).is_ok());
    assert!(event
        .host
        .as_deref()
        .is_some_and(|h| validate_host(h).is_ok()));
    if let Some(d) = &event.digest {
        assert!(validate_digest(d).is_ok());
    }
    if let Some(t) = &event.tag {
        assert!(validate_tag(t).is_ok());
    }
    assert!(!event.id.is_empty() && printable(&event.id));
    assert!(event.media_type.as_deref().is_none_or(printable));
    if matches!(event.action, Action::Delete | Action::Quarantine) {
        assert!(event.digest.is_some());
    }
    // Stored as JSON in the event log: it must come back as it went in.
    let stored = serde_json::to_vec(event).expect("an event serializes");
    let back: Event = serde_json::from_slice(&stored).expect("an event deserializes");
    assert_eq!(&back, event);
}
