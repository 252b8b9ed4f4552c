//! OCI references: the distribution-spec grammar for hosts, repositories, tags and digests,
//! validated without regexes (the component stays small), and the `host/repository:tag@digest`
//! value the badge shows. Pure: no store, no HTTP.

use std::fmt;

/// The longest repository name the distribution spec lets a registry accept.
pub const MAX_REPOSITORY_LEN: usize = 255;
const MAX_HOST_LEN: usize = 253;
const MAX_TAG_LEN: usize = 128;
const MAX_DIGEST_LEN: usize = 256;

/// Why a part of a reference was refused; the message names the part and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReference(pub String);

impl fmt::Display for InvalidReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid(what: &str, value: &str, rule: &str) -> InvalidReference {
    // Echo at most a short, printable prefix: the value is user input.
    let shown: String = value
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let ellipsis = if value.chars().count() > 64 {
        "..."
    } else {
        ""
    };
    InvalidReference(format!("{what} {shown:?}{ellipsis} {rule}"))
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// One path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if !is_lower_alnum(first) || !is_lower_alnum(last) {
        return false;
    }
    // Separators sit between alphanumerics: one '.', one or two '_', or any run of '-'.
    let mut run: Option<(u8, usize)> = None;
    for &ch in b {
        if is_lower_alnum(ch) {
            if let Some((sep, n)) = run.take() {
                let ok = match sep {
                    b'.' => n == 1,
                    b'_' => n <= 2,
                    _ => true,
                };
                if !ok {
                    return false;
                }
            }
        } else if matches!(ch, b'.' | b'_' | b'-') {
            run = match run {
                None => Some((ch, 1)),
                Some((sep, n)) if sep == ch => Some((sep, n + 1)),
                Some(_) => return false,
            };
        } else {
            return false;
        }
    }
    true
}

/// A repository path such as `wash` or `team/app`.
pub fn validate_repository(repo: &str) -> Result<(), InvalidReference> {
    if repo.is_empty() {
        return Err(InvalidReference("repository is empty".into()));
    }
    if repo.len() > MAX_REPOSITORY_LEN {
        return Err(invalid("repository", repo, "is longer than 255 characters"));
    }
    if !repo.split('/').all(is_path_component) {
        return Err(invalid(
            "repository",
            repo,
            "is not a valid OCI repository name (lowercase letters, digits and single separators . _ __ - between them, components joined by /)",
        ));
    }
    Ok(())
}

/// A tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<(), InvalidReference> {
    let b = tag.as_bytes();
    let ok = match b.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_alphanumeric() || first == b'_')
                && b.len() <= MAX_TAG_LEN
                && rest
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "tag",
            tag,
            "is not a valid OCI tag (1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)",
        ))
    }
}

/// A digest: `algorithm:encoded`; sha256 and sha512 must be lowercase hex of their length.
pub fn validate_digest(digest: &str) -> Result<(), InvalidReference> {
    let rule = "is not a valid digest (algorithm:hex, e.g. sha256: and 64 lowercase hex digits)";
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(invalid("digest", digest, rule));
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .split(['+', '.', '_', '-'])
            .all(|c| !c.is_empty() && c.bytes().all(is_lower_alnum));
    let hex_len = match algorithm {
        "sha256" => Some(64),
        "sha512" => Some(128),
        _ => None,
    };
    let encoded_ok = match hex_len {
        Some(n) => {
            encoded.len() == n
                && encoded
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        }
        None => {
            !encoded.is_empty()
                && encoded
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'))
        }
    };
    if algorithm_ok && encoded_ok && digest.len() <= MAX_DIGEST_LEN {
        Ok(())
    } else {
        Err(invalid("digest", digest, rule))
    }
}

/// A registry host: DNS labels joined by dots, or a bracketed IPv6 address, with an optional port.
pub fn validate_host(host: &str) -> Result<(), InvalidReference> {
    let rule = "is not a valid registry host (a DNS name or [IPv6], optional :port)";
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return Err(invalid("host", host, rule));
        };
        if addr.is_empty() || !addr.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return Err(invalid("host", host, rule));
        }
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(invalid("host", host, rule)),
            },
        };
        (None, port)
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(e)) => {
                f.is_ascii_alphanumeric()
                    && e.is_ascii_alphanumeric()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            }
            _ => false,
        }
    };
    let name_ok = name.is_none_or(|n| n.split('.').all(label_ok));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    if host.len() <= MAX_HOST_LEN && name_ok && port_ok {
        Ok(())
    } else {
        Err(invalid("host", host, rule))
    }
}

/// Docker's rule for telling `host/repo` from `repo/sub`: a first component with a dot or a
/// port, or `localhost`, is a registry host.
pub fn looks_like_host(first_component: &str) -> bool {
    first_component.contains(['.', ':']) || first_component == "localhost"
}

/// A fully qualified, validated reference: `host/repository:tag[@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub host: String,
    pub repository: String,
    pub tag: String,
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `host/repository:tag[@digest]`, the form `POST /api/reference` takes.
    pub fn parse(s: &str) -> Result<Self, InvalidReference> {
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        let Some((host, repo_tag)) = name_tag.split_once('/') else {
            return Err(invalid(
                "reference",
                s,
                "must be host/repository:tag[@digest]",
            ));
        };
        // The tag follows the last ':' after the last '/': the host may carry a port.
        let Some((repository, tag)) = repo_tag.rsplit_once(':') else {
            return Err(invalid("reference", s, "has no :tag"));
        };
        validate_host(host)?;
        validate_repository(repository)?;
        validate_tag(tag)?;
        if let Some(d) = digest {
            validate_digest(d)?;
        }
        Ok(Self {
            host: host.to_owned(),
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            digest: digest.map(str::to_owned),
        })
    }

    /// `host/repository:tag@digest` when the digest is known.
    pub fn pinned(&self) -> String {
        match &self.digest {
            Some(d) => format!("{self}@{d}"),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.host, self.repository, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    #[test]
    fn repositories() {
        for ok in [
            "wash",
            "team/app",
            "a.b/c_d/e__f",
            "x--y",
            "hello-world",
            "a1/b2/c3",
        ] {
            assert_eq!(validate_repository(ok), Ok(()), "{ok}");
        }
        let long = "a".repeat(256);
        for bad in [
            "", "Wash", "a..b", "a/", "/a", "a//b", "-a", "a-", "a___b", "a._b", "a:b", "../x",
            "a%2Fb", "a b", "a\0b", &long,
        ] {
            assert!(validate_repository(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags() {
        for ok in ["v1", "0.18.1", "_x", "A-b.c_d", &"t".repeat(128)] {
            assert_eq!(validate_tag(ok), Ok(()), "{ok}");
        }
        for bad in ["", ".x", "-x", "a:b", "a/b", "é", &"t".repeat(129)] {
            assert!(validate_tag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests() {
        assert_eq!(validate_digest(DIGEST), Ok(()));
        assert_eq!(
            validate_digest(&format!("sha512:{}", "a".repeat(128))),
            Ok(())
        );
        assert_eq!(
            validate_digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
            Ok(())
        );
        for bad in [
            "sha256:abc",
            "sha256:6C3C624B58DBBCD3C0DD82B4C53F04194D1247C6EEDAAB7C610CF7D66709B3B",
            "sha256",
            ":abc",
            "SHA256:abc",
            "sha256:",
        ] {
            assert!(validate_digest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts() {
        for ok in [
            "myregistry.azurecr.io",
            "localhost:5000",
            "[::1]:5000",
            "[fe80::1]",
            "r",
        ] {
            assert_eq!(validate_host(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a..b",
            "-a.b",
            "a.b:",
            "a.b:99999",
            "a_b.io",
            "[::1",
            "a/b",
        ] {
            assert!(validate_host(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_and_display() {
        let r = Reference::parse("wasmcloud.azurecr.io/wash:0.18.1").unwrap();
        assert_eq!(r.to_string(), "wasmcloud.azurecr.io/wash:0.18.1");
        assert_eq!(r.pinned(), "wasmcloud.azurecr.io/wash:0.18.1");
        let r = Reference::parse(&format!("localhost:5000/team/app:v2@{DIGEST}")).unwrap();
        assert_eq!(
            (r.host.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("localhost:5000", "team/app", "v2")
        );
        assert_eq!(r.pinned(), format!("localhost:5000/team/app:v2@{DIGEST}"));
        for bad in [
            "wash:1",
            "h.io/wash",
            "h.io/Wash:1",
            "h.io/wash:1@sha256:x",
            "h.io/:1",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_messages_do_not_echo_control_characters_or_huge_values() {
        let e = validate_repository(&format!("a\u{1b}[31m{}", "x".repeat(400))).unwrap_err();
        assert!(!e.0.contains('\u{1b}'));
        assert!(e.0.len() < 300);
    }

    #[test]
    fn host_detection() {
        assert!(looks_like_host("myregistry.azurecr.io"));
        assert!(looks_like_host("localhost"));
        assert!(looks_like_host("r:5000"));
        assert!(!looks_like_host("team"));
    }
}
