//! Reading an ociref 0.1 store in place. 0.1 keyed a repository by its name alone
//! (`ociref:v1:*:<repository>`), with the host inside each tag's record; 0.2 keys by
//! `host/repository`. Instead of copying (which would race with concurrent writers and need a
//! migration step), a name that has no record of its own is looked up under its 0.1 key, and
//! used when that record belongs to the same host. Writes to it stay there, so nothing moves.

use super::state::RepoState;
use super::tracker::Published;

/// Whether the 0.1 state of a repository is `host`'s: one of its tags came from there, or it
/// has no tag yet (a quarantine waiting for its push).
pub fn holds(state: &RepoState, host: &str) -> bool {
    state.tags.is_empty() || state.tags.values().any(|t| t.host == host)
}

/// Whether a 0.1 record read for `host` may answer for it: it shows a tag of that host, or no
/// tag at all (withdrawn or pending), so there is no other host it could belong to.
pub fn shows(latest: Option<&Published>, host: &str) -> bool {
    latest
        .and_then(|l| l.current.as_ref())
        .is_none_or(|c| c.record.host == host)
}

/// The host a 0.1 record shows a tag of.
pub fn host(latest: &Published) -> Option<String> {
    latest.current.as_ref().map(|c| c.record.host.clone())
}
