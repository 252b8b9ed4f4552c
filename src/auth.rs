//! Who may write. Every write presents a secret from configuration, compared in constant
//! time: a token in `Authorization: Bearer <token>` (or bare), a token as the last path segment
//! for senders that cannot set a header, or GitHub's HMAC-SHA256 signature of the raw body.
//! No message here ever contains what was presented.

use crate::config::Config;
use crate::error::Error;
use crate::http::Request;
use crate::webhook::{Proof, Sender};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// The token a request presents, if any.
fn presented(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

fn same(expected: &str, given: &str) -> bool {
    // `ct_eq` on slices of different length returns early: only the length can leak.
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// True when a token is configured and the request presents exactly it.
pub fn is_authenticated(config: &Config, authorization: Option<&str>) -> bool {
    match (&config.webhook_token, presented(authorization)) {
        (Some(expected), Some(given)) => same(expected, given),
        _ => false,
    }
}

/// No secret configured: writes pass only when the operator opted in.
fn unconfigured(config: &Config) -> Result<(), Error> {
    if config.allow_unauthenticated {
        Ok(())
    } else {
        Err(Error::TokenNotConfigured)
    }
}

fn check_header(expected: &str, authorization: Option<&str>) -> Result<(), Error> {
    match presented(authorization) {
        Some(given) if same(expected, given) => Ok(()),
        Some(_) => Err(Error::Unauthorized("invalid token")),
        None => Err(Error::Unauthorized(
            "missing token: send the webhook token as `Authorization: Bearer <token>`",
        )),
    }
}

/// Lets a write through the API's own endpoints (`/api/reference`, categories), or says why not.
pub fn authorize_write(config: &Config, authorization: Option<&str>) -> Result<(), Error> {
    match &config.webhook_token {
        Some(expected) => check_header(expected, authorization),
        None => unconfigured(config),
    }
}

/// Checks that a delivery comes from whoever holds the sender's secret: its own
/// `<sender>_token` (for GitHub `github_secret`), else `webhook_token`.
pub fn verify(
    config: &Config,
    sender: &Sender,
    request: &Request,
    path_token: Option<&str>,
) -> Result<(), Error> {
    let own = config.sender_tokens.get(sender.name);
    let secret = match sender.proof {
        Proof::GithubSignature => config.github_secret.as_ref().or(own),
        _ => own,
    }
    .or(config.webhook_token.as_ref());
    let Some(secret) = secret else {
        return unconfigured(config);
    };
    match sender.proof {
        Proof::TokenHeader => check_header(secret, request.header("authorization")),
        Proof::TokenInPath => match path_token {
            Some(given) if same(secret, given) => Ok(()),
            Some(_) => Err(Error::Unauthorized("invalid token")),
            None => Err(Error::Unauthorized(
                "missing token: this sender cannot set a header, so the webhook URL ends in /<token>",
            )),
        },
        Proof::GithubSignature => check_signature(secret, request),
    }
}

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
fn check_signature(secret: &str, request: &Request) -> Result<(), Error> {
    let signature = request
        .header("x-hub-signature-256")
        .ok_or(Error::Unauthorized(
            "missing signature: set the webhook's secret to github_secret (X-Hub-Signature-256)",
        ))?;
    let bad = || Error::Unauthorized("invalid signature");
    let hex_mac = signature.trim().strip_prefix("sha256=").ok_or_else(bad)?;
    let expected = hex::decode(hex_mac).map_err(|_| bad())?;
    let crate::http::Body::Complete(body) = &request.body else {
        return Err(bad());
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| bad())?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::webhook;

    fn with_token() -> Config {
        Config::from_pairs([("webhook_token", "s3cret-token")]).unwrap()
    }

    #[test]
    fn bearer_and_bare_tokens() {
        let c = with_token();
        for ok in [
            "Bearer s3cret-token",
            "bearer  s3cret-token ",
            "s3cret-token",
        ] {
            assert!(authorize_write(&c, Some(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "Bearer s3cret-tokeN",
            "Bearer s3cret-toke",
            "Basic s3cret-token",
            "Bearer",
            "",
        ] {
            let e = authorize_write(&c, Some(bad)).unwrap_err();
            assert_eq!(e.status(), 401, "{bad}");
            assert!(!e.message().contains("s3cret"));
        }
        assert_eq!(
            authorize_write(&c, None).unwrap_err().code(),
            "unauthorized"
        );
    }

    #[test]
    fn without_a_token_writes_need_an_explicit_opt_in() {
        let e = authorize_write(&Config::default(), Some("anything")).unwrap_err();
        assert_eq!(e.code(), "token-not-configured");
        assert!(e.message().contains("webhook_token"));
        let open = Config::from_pairs([("allow_unauthenticated", "true")]).unwrap();
        assert!(authorize_write(&open, None).is_ok());
        assert!(!is_authenticated(&open, Some("x")));
    }

    #[test]
    fn a_sender_token_replaces_the_webhook_token_for_that_sender_only() {
        let c = Config::from_pairs([("webhook_token", "general"), ("quay_token", "own")]).unwrap();
        let post = Request::new(Method::Post, "/");
        let quay = webhook::sender("quay").unwrap();
        let hub = webhook::sender("dockerhub").unwrap();
        assert!(verify(&c, quay, &post, Some("own")).is_ok());
        assert!(verify(&c, quay, &post, Some("general")).is_err());
        assert!(verify(&c, hub, &post, Some("general")).is_ok());
        assert_eq!(
            verify(&c, hub, &post, None).unwrap_err().code(),
            "unauthorized"
        );
    }

    #[test]
    fn github_signatures() {
        // The example of GitHub's "Validating webhook deliveries" documentation.
        let c = Config::from_pairs([("github_secret", "It's a Secret to Everybody")]).unwrap();
        let signed = |sig: &str| {
            Request::new(Method::Post, "/api/hooks/ghcr")
                .with_json("Hello, World!")
                .with_header("x-hub-signature-256", sig)
        };
        let ghcr = webhook::sender("ghcr").unwrap();
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(verify(&c, ghcr, &signed(good), None).is_ok());
        for bad in [
            "sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha256=zz",
            "",
        ] {
            assert_eq!(
                verify(&c, ghcr, &signed(bad), None).unwrap_err().status(),
                401,
                "{bad}"
            );
        }
        let unsigned = Request::new(Method::Post, "/").with_json("Hello, World!");
        assert!(verify(&c, ghcr, &unsigned, None).is_err());
    }
}
