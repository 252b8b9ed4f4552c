//! Which tag is "latest": the configurable policy that picks one tag among a repository's live
//! tags. Pure; the candidates come from `state`.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// The highest semantic version wins; see [`Selection`] for what competes.
    Semver,
    /// The most recently pushed tag wins (what ocireffer did).
    LastPush,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "semver" => Some(Self::Semver),
            "last-push" => Some(Self::LastPush),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Semver => "semver",
            Self::LastPush => "last-push",
        }
    }
}

/// When a push happened, with the event id breaking ties so every replica orders alike.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Order {
    pub at: Timestamp,
    pub id: String,
}

/// The policy with its options: everything that decides the winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub policy: Policy,
    pub include_prereleases: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            policy: Policy::Semver,
            include_prereleases: false,
        }
    }
}

/// Cosign's signature, attestation and SBOM tags (`sha256-<hex>.sig`) are never "the" release.
pub fn is_signature_artifact(tag: &str) -> bool {
    tag.strip_prefix("sha256-").is_some_and(|rest| {
        let hex = rest.split('.').next().unwrap_or_default();
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A tag read as a semantic version, with an optional leading `v`.
pub fn version_of(tag: &str) -> Option<semver::Version> {
    let bare = tag
        .strip_prefix('v')
        .or_else(|| tag.strip_prefix('V'))
        .unwrap_or(tag);
    semver::Version::parse(bare).ok()
}

/// How strongly a tag competes under `semver`; a higher tier always wins.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    NotAVersion,
    /// Only when the repository has no release: its pre-releases are all there is to show.
    PrereleaseFallback(semver::Version),
    Version(semver::Version),
}

impl Selection {
    fn tier(&self, tag: &str) -> Tier {
        match version_of(tag) {
            Some(v) if v.pre.is_empty() || self.include_prereleases => Tier::Version(v),
            Some(v) => Tier::PrereleaseFallback(v),
            None => Tier::NotAVersion,
        }
    }

    /// What the policy ranks a tag by; under `last-push` every tag ranks the same.
    fn rank(&self, tag: &str) -> Tier {
        match self.policy {
            Policy::LastPush => Tier::NotAVersion,
            Policy::Semver => self.tier(tag),
        }
    }

    /// Compares two live candidates; `Greater` means `a` should be shown rather than `b`.
    pub fn compare(&self, (a_tag, a): (&str, &Order), (b_tag, b): (&str, &Order)) -> Ordering {
        (self.rank(a_tag), a, a_tag).cmp(&(self.rank(b_tag), b, b_tag))
    }

    /// The winner among `(tag, order)` candidates; signature artifacts never compete. Each
    /// tag is parsed once, not at every comparison: a repository holds up to 500 tags.
    pub fn select<'a, T: 'a>(
        &self,
        candidates: impl Iterator<Item = (&'a str, &'a Order, T)>,
    ) -> Option<(&'a str, T)> {
        candidates
            .filter(|(tag, _, _)| !is_signature_artifact(tag))
            .map(|(tag, order, t)| ((self.rank(tag), order, tag), t))
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|((_, _, tag), t)| (tag, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn winner(selection: Selection, tags: &[&str]) -> Option<String> {
        // Pushed in the order given: later = more recent.
        let orders: Vec<(String, Order)> = tags
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    (*t).to_owned(),
                    Order {
                        at: Timestamp(i as i64),
                        id: format!("e{i}"),
                    },
                )
            })
            .collect();
        selection
            .select(orders.iter().map(|(t, o)| (t.as_str(), o, ())))
            .map(|(t, ())| t.to_owned())
    }

    const SEMVER: Selection = Selection {
        policy: Policy::Semver,
        include_prereleases: false,
    };
    const WITH_PRE: Selection = Selection {
        policy: Policy::Semver,
        include_prereleases: true,
    };
    const LAST: Selection = Selection {
        policy: Policy::LastPush,
        include_prereleases: false,
    };

    #[test]
    fn a_late_older_version_does_not_win() {
        assert_eq!(
            winner(SEMVER, &["0.18.1", "0.17.5"]).as_deref(),
            Some("0.18.1")
        );
        assert_eq!(
            winner(LAST, &["0.18.1", "0.17.5"]).as_deref(),
            Some("0.17.5")
        );
    }

    #[test]
    fn versions_compare_numerically_with_optional_v() {
        assert_eq!(
            winner(SEMVER, &["v0.10.0", "0.9.0", "v0.2.0"]).as_deref(),
            Some("v0.10.0")
        );
    }

    #[test]
    fn non_versions_never_beat_a_version() {
        let tags = [
            "1.0.0",
            "latest",
            "main",
            "sha-abc123",
            &format!("sha256-{}.sig", "a".repeat(64)),
        ];
        assert_eq!(winner(SEMVER, &tags).as_deref(), Some("1.0.0"));
    }

    #[test]
    fn prereleases_only_win_when_included_or_alone() {
        assert_eq!(
            winner(SEMVER, &["1.0.0", "2.0.0-rc.1"]).as_deref(),
            Some("1.0.0")
        );
        assert_eq!(
            winner(WITH_PRE, &["1.0.0", "2.0.0-rc.1"]).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(
            winner(WITH_PRE, &["2.0.0", "2.0.0-rc.1"]).as_deref(),
            Some("2.0.0")
        );
        // Documented choice: a repository with only pre-releases shows its highest one,
        // rather than a non-version tag or nothing.
        assert_eq!(
            winner(SEMVER, &["0.1.0-alpha.2", "0.1.0-alpha.10", "latest"]).as_deref(),
            Some("0.1.0-alpha.10")
        );
    }

    #[test]
    fn without_versions_the_most_recent_tag_wins_but_never_a_signature() {
        let sig = format!("sha256-{}.att", "b".repeat(64));
        assert_eq!(
            winner(SEMVER, &["main", "latest", &sig]).as_deref(),
            Some("latest")
        );
        assert_eq!(winner(LAST, &["main", &sig]).as_deref(), Some("main"));
        assert_eq!(winner(SEMVER, &[&sig]), None);
    }

    #[test]
    fn policy_names() {
        for p in [Policy::Semver, Policy::LastPush] {
            assert_eq!(Policy::parse(p.as_str()), Some(p));
        }
        assert_eq!(Policy::parse("newest"), None);
    }
}
