//! Who may write: the webhook token from configuration, sent as ACR's custom header
//! `Authorization: Bearer <token>` (or the bare token), compared in constant time.

use crate::config::Config;
use crate::error::Error;
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

/// True when a token is configured and the request presents exactly it.
pub fn is_authenticated(config: &Config, authorization: Option<&str>) -> bool {
    match (&config.webhook_token, presented(authorization)) {
        // `ct_eq` on slices of different length returns early: only the length can leak.
        (Some(expected), Some(given)) => bool::from(expected.as_bytes().ct_eq(given.as_bytes())),
        _ => false,
    }
}

/// Lets a write through, or says why not.
pub fn authorize_write(config: &Config, authorization: Option<&str>) -> Result<(), Error> {
    if config.webhook_token.is_none() {
        return if config.allow_unauthenticated {
            Ok(())
        } else {
            Err(Error::TokenNotConfigured)
        };
    }
    if is_authenticated(config, authorization) {
        Ok(())
    } else if presented(authorization).is_none() {
        Err(Error::Unauthorized(
            "missing token: send the webhook token as `Authorization: Bearer <token>`",
        ))
    } else {
        Err(Error::Unauthorized("invalid token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
