//! Tracking: how events become the reference a repository shows. `state` merges events
//! (idempotent, order-independent), `policy` picks the tag, `tracker` keeps the event log and
//! its projections in the store under concurrency, `packed` is the stored form of a state,
//! `legacy` reads stores of ociref 0.1, `releases` replays the log into the changes of what a
//! repository showed (its feed).
//! Nothing here knows a registry or HTTP.

mod legacy;
mod packed;
pub mod policy;
mod releases;
pub mod state;
mod tracker;

pub use releases::{releases, Release};

pub use tracker::{
    IndexPage, Indexed, Listed, LogEntry, NoTag, Published, Recorded, ShownTag, Tracker,
};
