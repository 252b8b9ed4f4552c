//! Content negotiation between the page and the JSON at the same URL (RFC 9110 §12.5.1).
//! JSON stays the default: only a client that ranks `text/html` strictly above
//! `application/json` gets the page, so shields, curl (`*/*`), scripts and `<img>` requests
//! (`image/*, */*;q=0.8`) keep today's answer.

/// Whether `Accept` prefers HTML to JSON.
pub fn prefers_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| quality(a, "text", "html") > quality(a, "application", "json"))
}

/// The weight (0 to 1000) `accept` gives `kind/sub`: that of the most specific range that
/// matches it, 0 when none does. A range with a malformed weight is ignored.
fn quality(accept: &str, kind: &str, sub: &str) -> u16 {
    let mut best: Option<(u8, u16)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let Some((k, s)) = parts.next().and_then(|t| t.trim().split_once('/')) else {
            continue;
        };
        let specificity = match (k.trim(), s.trim()) {
            ("*", "*") => 0,
            (k, "*") if k.eq_ignore_ascii_case(kind) => 1,
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub) => 2,
            _ => continue,
        };
        let weight = parts
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1000), |(_, value)| weight(value.trim()));
        let Some(weight) = weight else { continue };
        if best.is_none_or(|(b, _)| specificity > b) {
            best = Some((specificity, weight));
        }
    }
    best.map_or(0, |(_, weight)| weight)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_the_page_everyone_else_json() {
        let html = [
            // Chromium, Firefox and Safari navigating.
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
            "TEXT/HTML",
            "application/json;q=0.5, text/html",
            "text/*, application/json;q=0.9",
        ];
        for accept in html {
            assert!(prefers_html(Some(accept)), "{accept}");
        }
        let json = [
            "",
            "*/*",
            "application/json",
            "application/json, text/html",
            "text/html;q=0.5, application/json",
            // An <img> asks for images first; it must keep getting the badge JSON.
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            "text/html;q=0, */*",
            "text/html;q=2",
            "text/html;q=0.1234, application/json;q=0.1",
            "text/plain",
            "garbage",
        ];
        for accept in json {
            assert!(!prefers_html(Some(accept)), "{accept}");
        }
        assert!(!prefers_html(None));
    }

    #[test]
    fn the_most_specific_range_decides() {
        assert_eq!(
            quality("text/*;q=0.3, text/html;q=0.7, */*;q=0.5", "text", "html"),
            700
        );
        assert_eq!(quality("text/*;q=0.3, */*;q=0.5", "text", "html"), 300);
        assert_eq!(quality("*/*;q=0.5", "application", "json"), 500);
        assert_eq!(quality("text/html", "application", "json"), 0);
    }

    #[test]
    fn weights_follow_the_grammar() {
        assert_eq!(weight("1"), Some(1000));
        assert_eq!(weight("1.000"), Some(1000));
        assert_eq!(weight("0.8"), Some(800));
        assert_eq!(weight("0.05"), Some(50));
        assert_eq!(weight("0"), Some(0));
        for bad in ["1.5", "2", "0.1234", "-1", "0.a", "", "."] {
            assert_eq!(weight(bad), None, "{bad}");
        }
    }
}
