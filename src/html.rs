//! HTML escaping, the one way a value reaches a page: `write!(out, "<td>{}</td>", esc(v))`.
//! [`esc`] makes text safe in element content and in double- or single-quoted attribute
//! values; [`query`] makes it safe inside a URL's query; [`xml`] is the XML flavour the SVG
//! badge and the feeds write. Markup itself is only ever static text
//! in the renderers, so anything not static went through one of these.

use std::fmt;

/// Text escaped for HTML content and quoted attributes.
pub struct Escaped<'a>(&'a str);

pub fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'', '\0']) {
            let (plain, tail) = rest.split_at(at);
            f.write_str(plain)?;
            let mut chars = tail.chars();
            f.write_str(match chars.next() {
                Some('&') => "&amp;",
                Some('<') => "&lt;",
                Some('>') => "&gt;",
                Some('"') => "&quot;",
                Some('\'') => "&#39;",
                // NUL is a parse error in HTML; show what a browser would.
                _ => "\u{fffd}",
            })?;
            rest = chars.as_str();
        }
        f.write_str(rest)
    }
}

/// A value percent-encoded for a query string (`application/x-www-form-urlencoded`); the
/// result is plain ASCII without `&`, `<`, `"` or `'`, so it needs no further escaping.
pub fn query(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Text for XML content and quoted attributes (the SVG badge, the Atom feeds), with the
/// entities shields writes, so our SVG matches its byte for byte.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_cannot_leave_their_context() {
        let cases = [
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("\" onmouseover=\"x", "&quot; onmouseover=&quot;x"),
            ("' autofocus onfocus='x", "&#39; autofocus onfocus=&#39;x"),
            ("a&amp;b", "a&amp;amp;b"),
            ("</title><img src=x>", "&lt;/title&gt;&lt;img src=x&gt;"),
            ("nul\0byte", "nul\u{fffd}byte"),
            ("ünïcödé ✓", "ünïcödé ✓"),
            ("", ""),
        ];
        for (hostile, escaped) in cases {
            assert_eq!(esc(hostile).to_string(), escaped, "{hostile}");
        }
        for hostile in ["<>&\"'", "&#x3C;", "\u{2028}<"] {
            let out = esc(hostile).to_string();
            assert!(!out.contains(['<', '>', '"', '\'']), "{out}");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query("a b&c=<d>\"'#"), "a+b%26c%3D%3Cd%3E%22%27%23");
        assert_eq!(query("team/app"), "team%2Fapp");
    }
}
