//! `config::Config::from_pairs` on arbitrary `key=value` lines: never panics; an accepted
//! configuration is within its documented bounds, never shows the token in `Debug`, and
//! serves schema-valid badges; a refused one names the key and never echoes a value, and
//! every answer given under it says "misconfigured" without the reason's value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ociref::api::{handle, Context};
use ociref::badge::{checked_color, checked_label, checked_logo};
use ociref::config::Config;
use ociref::http::{Method, Request};
use ociref_fuzz::{assert_badge, assert_error_shape, context, seeded_store};

/// Every message `from_pairs` may return: a fixed set, so no value can be in one.
const MESSAGES: [&str; 8] = [
    "config key webhook_token must not contain spaces or control characters",
    "config key allow_unauthenticated must be true or false",
    "config key include_prereleases must be true or false",
    "config key policy must be semver or last-push",
    "config key badge_label: label must be at most 64 characters without control characters",
    "config key badge_color: color must be a shields color name, hex or rgb() value",
    "config key badge_logo: logo must be a simple-icons name such as docker",
    "config key history_retention must be a number from 10 to 100000",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, &str)> = text
        .split('\n')
        .take(32)
        .map(|line| line.split_once('=').unwrap_or((line, "")))
        .collect();
    let parsed = Config::from_pairs(pairs.iter().copied());
    let store = seeded_store();
    let badge = Request::new(Method::Get, "/wash");
    let write = Request::new(Method::Post, "/api/azurehook").with_json(b"{}".to_vec());
    match parsed {
        Ok(config) => {
            if let Some(token) = &config.webhook_token {
                assert!(!token.is_empty() && !token.chars().any(|c| c.is_control() || c == ' '));
                let mut without = config.clone();
                without.webhook_token = None;
                assert_eq!(
                    format!("{config:?}").replace("Some(\"<redacted>\")", "None"),
                    format!("{without:?}"),
                    "Debug shows the token"
                );
            }
            assert!((10..=100_000).contains(&config.history_retention));
            assert!(checked_label(&config.badge.label).is_ok());
            assert!(checked_color(&config.badge.color).is_ok());
            assert!(config
                .badge
                .logo
                .as_deref()
                .is_none_or(|l| checked_logo(l).is_ok()));
            let response = handle(&badge, &store, &context(config));
            assert_badge(&response);
        }
        Err(why) => {
            assert!(
                MESSAGES.contains(&why.as_str()),
                "unexpected message {why:?}"
            );
            let context = Context {
                config: Err(why.clone()),
                now: context(Config::default()).now,
            };
            assert_badge(&handle(&badge, &store, &context));
            let response = handle(&write, &store, &context);
            assert_eq!(response.status, 500);
            assert_error_shape(&response);
        }
    }
});
