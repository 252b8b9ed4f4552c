//! `webhook::acr::parse` on arbitrary bytes: never panics; an error is a 400 with a short
//! message; an accepted event obeys the OCI grammar and survives being stored as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::reference::{validate_digest, validate_host, validate_repository, validate_tag};
use ociref::webhook::{acr, Action, Delivery, Event};
use ociref_fuzz::MAX_MESSAGE_BYTES;

fn printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

fuzz_target!(|data: &[u8]| {
    match acr::parse(data) {
        Ok(Delivery::Event(event)) => {
            assert!(validate_repository(&event.repository).is_ok());
            if let Some(d) = &event.digest {
                assert!(validate_digest(d).is_ok());
            }
            if let Some(h) = &event.host {
                assert!(validate_host(h).is_ok());
            }
            if let Some(t) = &event.tag {
                assert!(t.len() <= 256 && printable(t));
                if !matches!(event.action, Action::ChartPush | Action::ChartDelete) {
                    assert!(validate_tag(t).is_ok());
                }
            }
            assert!(!event.id.is_empty() && printable(&event.id));
            assert!(event.media_type.as_deref().is_none_or(printable));
            match event.action {
                Action::Push => assert!(event.host.is_some() && event.digest.is_some()),
                Action::Delete | Action::Quarantine => assert!(event.digest.is_some()),
                _ => {}
            }
            // Stored as JSON in the event log: it must come back as it went in.
            let stored = serde_json::to_vec(&event).expect("an event serializes");
            let back: Event = serde_json::from_slice(&stored).expect("an event deserializes");
            assert_eq!(back, event);
        }
        Ok(Delivery::Unsupported { action, .. }) => {
            assert!(action.len() <= 256 && printable(&action));
        }
        Ok(Delivery::Ping) => {}
        Err(e) => {
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
