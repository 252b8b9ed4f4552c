//! Conditional GETs for what a cache or a feed reader polls: an `ETag` (a hash of the body)
//! checked against `If-None-Match`, and `Last-Modified` checked against `If-Modified-Since`
//! (only when there is no `If-None-Match`, as RFC 9110 says); a match answers 304 without the
//! body.

use crate::http::{Request, Response};
use crate::timestamp::Timestamp;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A strong validator: the body's 64-bit FNV-1a. A cache only needs the bodies of one URL to
/// get different tags, and nothing here is secret; SHA-256 (software-only in WebAssembly) cost
/// the SVG badge a quarter of its throughput in the component (bench section 10).
pub fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

/// Adds `ETag` (and `Last-Modified` when `modified` is known) to a 200, and turns it into a
/// 304 when the client's copy is current.
pub fn validated(
    request: &Request,
    mut response: Response,
    modified: Option<Timestamp>,
) -> Response {
    let tag = etag(&response.body);
    let current = match (
        request.header("if-none-match"),
        request.header("if-modified-since"),
    ) {
        (Some(tags), _) => tags.split(',').map(str::trim).any(|t| {
            // Weak comparison: a `W/` copy of our tag is as good for a GET.
            t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag
        }),
        (None, Some(since)) => modified
            .zip(parse_http_date(since))
            .is_some_and(|(m, since)| {
                m.0.div_euclid(Timestamp::NANOS_PER_SECOND) <= since.0 / Timestamp::NANOS_PER_SECOND
            }),
        (None, None) => false,
    };
    response.headers.push(("etag", tag));
    if let Some(m) = modified {
        response.headers.push(("last-modified", http_date(m)));
    }
    if current {
        response.status = 304;
        response.body.clear();
    }
    response
}

/// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, the only date format HTTP senders may use.
pub fn http_date(at: Timestamp) -> String {
    let rfc3339 = at.to_string();
    let field = |range: std::ops::Range<usize>| rfc3339.get(range).unwrap_or("00");
    let days =
        at.0.div_euclid(Timestamp::NANOS_PER_SECOND)
            .div_euclid(86_400);
    let day_name = usize::try_from(days.rem_euclid(7))
        .ok()
        .and_then(|d| DAYS.get(d))
        .unwrap_or(&"Thu");
    let month = field(5..7)
        .parse::<usize>()
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
        .unwrap_or(&"Jan");
    format!(
        "{day_name}, {} {month} {} {} GMT",
        field(8..10),
        field(0..4),
        rfc3339.get(11..19).unwrap_or("00:00:00")
    )
}

/// Reads an IMF-fixdate; `None` for anything else (the obsolete formats too: a date that
/// cannot be read makes the request unconditional, which only costs a full answer).
fn parse_http_date(value: &str) -> Option<Timestamp> {
    let mut parts = value.split_ascii_whitespace().skip(1);
    let (day, month, year, time) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next() != Some("GMT") || parts.next().is_some() {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    Timestamp::parse_rfc3339(&format!("{year}-{month:02}-{day}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    #[test]
    fn http_dates_both_ways() {
        // RFC 9110's example.
        let at = Timestamp::parse_rfc3339("1994-11-06T08:49:37.5Z").unwrap();
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Timestamp::parse_rfc3339("1994-11-06T08:49:37Z")
        );
        assert_eq!(http_date(Timestamp(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn etags_are_fnv1a_64() {
        // The published FNV-1a test vectors.
        assert_eq!(etag(b""), "\"cbf29ce484222325\"");
        assert_eq!(etag(b"a"), "\"af63dc4c8601ec8c\"");
        assert_eq!(etag(b"foobar"), "\"85944171f73967e8\"");
    }

    #[test]
    fn matching_validators_answer_304() {
        let ok = || Response::with_body(200, "text/plain", b"body".to_vec());
        let tag = etag(b"body");
        let at = Timestamp::parse_rfc3339("2026-01-01T00:00:00.9Z").unwrap();
        let request = |name: &str, value: &str| {
            crate::http::Request::new(Method::Get, "/x").with_header(name, value)
        };
        let status = |r: Request| validated(&r, ok(), Some(at)).status;
        assert_eq!(status(request("if-none-match", &tag)), 304);
        assert_eq!(
            status(request("if-none-match", &format!("\"x\", W/{tag}"))),
            304
        );
        assert_eq!(status(request("if-none-match", "\"other\"")), 200);
        let since = "Thu, 01 Jan 2026 00:00:00 GMT";
        assert_eq!(status(request("if-modified-since", since)), 304);
        assert_eq!(
            status(request(
                "if-modified-since",
                "Wed, 31 Dec 2025 23:59:59 GMT"
            )),
            200
        );
        // If-None-Match wins over If-Modified-Since.
        let both = request("if-modified-since", since).with_header("if-none-match", "\"other\"");
        assert_eq!(status(both), 200);
        let answer = validated(&request("if-none-match", &tag), ok(), Some(at));
        assert!(answer.body.is_empty());
        assert_eq!(answer.header("etag"), Some(tag.as_str()));
        assert_eq!(answer.header("last-modified"), Some(since));
    }
}
