//! Points in time as nanoseconds since the Unix epoch (an i64 spans 1677 to 2262): ACR's RFC 3339 timestamps carry 7 to 9
//! fractional digits, so they must be parsed, not compared as strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const NANOS_PER_SECOND: i64 = 1_000_000_000;

    /// Parses RFC 3339 (`2023-11-17T16:52:01.343145347Z`); `None` when it is not one.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .and_then(|t| i64::try_from(t.unix_timestamp_nanos()).ok())
            .map(Self)
    }

    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0) / Self::NANOS_PER_SECOND
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
        {
            Some(s) => f.write_str(&s),
            None => write!(f, "@{}ns", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acr_precision_and_orders_numerically() {
        let a = Timestamp::parse_rfc3339("2023-11-17T16:52:01.3Z").unwrap();
        let b = Timestamp::parse_rfc3339("2023-11-17T16:52:01.34Z").unwrap();
        let c = Timestamp::parse_rfc3339("2023-03-06T00:10:48.1270754Z").unwrap();
        assert!(a < b, "string order would say otherwise");
        assert!(c < a);
        assert_eq!(c.to_string(), "2023-03-06T00:10:48.1270754Z");
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
        assert_eq!(b.seconds_since(a), 0);
    }
}
