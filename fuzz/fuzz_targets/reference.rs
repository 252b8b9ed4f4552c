//! `reference::Reference::parse`, the `validate_*` functions and the policy's tag readers on
//! arbitrary strings: never panic; what is accepted obeys the grammar and round-trips through
//! `Display`; what is refused says so in a short, printable message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::reference::{
    looks_like_host, validate_digest, validate_host, validate_repository, validate_tag,
    InvalidReference, Reference,
};
use ociref::tracking::policy::{is_signature_artifact, version_of};

fn check_message(e: &InvalidReference) {
    assert!(e.0.len() <= 400, "a {} byte message", e.0.len());
    assert!(!e.0.chars().any(char::is_control), "{:?}", e.0);
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s = &*s;
    match Reference::parse(s) {
        Ok(r) => {
            assert_eq!(
                Reference::parse(&r.pinned()).as_ref(),
                Ok(&r),
                "pinned of {s:?}"
            );
            let shown = Reference::parse(&r.to_string()).expect("Display parses");
            assert_eq!(
                (&shown.host, &shown.repository, &shown.tag),
                (&r.host, &r.repository, &r.tag)
            );
            assert!(validate_host(&r.host).is_ok() && validate_repository(&r.repository).is_ok());
        }
        Err(e) => check_message(&e),
    }
    match validate_repository(s) {
        Ok(()) => {
            assert!(!s.is_empty() && s.len() <= 255);
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b)));
            assert!(!s.contains("..") && !s.contains("//") && !s.contains(':'));
            assert!(!s.starts_with('/') && !s.ends_with('/'));
            // A repository is never an API path or a key separator.
            assert!(!s.contains('%') && !s.contains('?'));
        }
        Err(e) => check_message(&e),
    }
    match validate_tag(s) {
        Ok(()) => {
            assert!(!s.is_empty() && s.len() <= 128 && !s.starts_with(['.', '-']));
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        }
        Err(e) => check_message(&e),
    }
    match validate_digest(s) {
        Ok(()) => {
            assert!(s.len() <= 256 && s.is_ascii() && s.contains(':'));
            assert!(!s.contains(['/', '@', '?', ' ']));
        }
        Err(e) => check_message(&e),
    }
    match validate_host(s) {
        Ok(()) => {
            assert!(!s.is_empty() && s.len() <= 253 && s.is_ascii());
            assert!(!s.contains(['/', '@', '?', ' ', '%']));
        }
        Err(e) => check_message(&e),
    }
    let _ = looks_like_host(s);
    let _ = version_of(s);
    let _ = is_signature_artifact(s);
});
