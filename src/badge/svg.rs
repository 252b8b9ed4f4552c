//! The badge as an SVG image, drawn as shields.io draws it (badge-maker's geometry and
//! rounding, anafanafo's text widths), so a README that swaps the shields URL for ours shows
//! the same picture. What the badge says is `badge`'s business; this only draws it.
//!
//! Not drawn: a logo. The JSON badge names a simple-icons logo and shields embeds its image;
//! embedding the icon set would be megabytes, so the SVG badge is drawn without it.

use super::widths::{HELVETICA_11_BOLD, VERDANA_10, VERDANA_10_BOLD, VERDANA_11};
use super::Badge;
use crate::html::xml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Flat,
    FlatSquare,
    Plastic,
    Social,
    ForTheBadge,
}

impl Style {
    /// `style` from a query string; other keys are the badge options' business.
    pub fn from_query(query: &str) -> Result<Self, String> {
        let mut style = Self::Flat;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "style" {
                style = match value.as_ref() {
                    "flat" => Self::Flat,
                    "flat-square" => Self::FlatSquare,
                    "plastic" => Self::Plastic,
                    "social" => Self::Social,
                    "for-the-badge" => Self::ForTheBadge,
                    _ => {
                        return Err(
                            "style must be flat, flat-square, plastic, social or for-the-badge"
                                .into(),
                        )
                    }
                };
            }
        }
        Ok(style)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Font {
    Verdana11,
    Verdana10,
    Verdana10Bold,
    Helvetica11Bold,
}

impl Font {
    /// The width of `text` as anafanafo measures it: the sum of each character's width, in
    /// order, in floating point (so the rounding below lands where shields' does). Control
    /// characters are 0 wide; characters outside printable ASCII are taken as wide as `m`
    /// (anafanafo's guess for what it has no width of; it does know most non-ASCII letters,
    /// so text in other scripts may come out a few pixels off).
    pub fn width(self, text: &str) -> f64 {
        let table = match self {
            Self::Verdana11 => &VERDANA_11,
            Self::Verdana10 => &VERDANA_10,
            Self::Verdana10Bold => &VERDANA_10_BOLD,
            Self::Helvetica11Bold => &HELVETICA_11_BOLD,
        };
        let width = |c: u32| {
            let entry = usize::try_from(c).ok().and_then(|c| c.checked_sub(32));
            table.get(entry.unwrap_or(usize::MAX)).copied()
        };
        let em = width(u32::from('m')).unwrap_or(0);
        text.chars()
            .map(|c| match u32::from(c) {
                0..=31 | 127 => 0.0,
                c => f64::from(width(c).unwrap_or(em)) / 100.0,
            })
            .sum()
    }

    /// badge-maker's `preferredWidthOf`: whole pixels, rounded up to odd "to increase chances
    /// of pixel grid alignment".
    fn preferred(self, text: &str) -> u64 {
        let whole = self.width(text) as u64;
        whole | 1
    }
}

/// A colour as shields writes it into `fill`, and whether text on it is dark (`#333`) rather
/// than white: shields' named colours and aliases become their hex value, hex gets its `#`,
/// anything else (`rgb(...)`, CSS names) is written as given in lower case, under white text.
fn fill(color: &str, default: &str) -> (String, bool) {
    let lower = color.trim().to_ascii_lowercase();
    let named = match lower.as_str() {
        "" => default,
        "brightgreen" | "success" => "#4c1",
        "green" => "#97ca00",
        "yellow" => "#dfb317",
        "yellowgreen" => "#a4a61d",
        "orange" | "important" => "#fe7d37",
        "red" | "critical" => "#e05d44",
        "blue" | "informational" => "#007ec6",
        "grey" | "gray" => "#555",
        "lightgrey" | "lightgray" | "inactive" => "#9f9f9f",
        _ => "",
    };
    let hex = lower.trim_start_matches('#');
    let rgb = |h: &str| -> Option<[u8; 3]> {
        let digit = |i: usize| h.get(i..=i).and_then(|d| u8::from_str_radix(d, 16).ok());
        match h.len() {
            3 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
            6 => Some([
                digit(0)? * 16 + digit(1)?,
                digit(2)? * 16 + digit(3)?,
                digit(4)? * 16 + digit(5)?,
            ]),
            _ => None,
        }
    };
    let (value, rgb) = if !named.is_empty() {
        (named.to_owned(), rgb(named.trim_start_matches('#')))
    } else if let Some(rgb) = rgb(hex) {
        let value = if lower.starts_with('#') {
            lower.clone()
        } else {
            format!("#{lower}")
        };
        (value, Some(rgb))
    } else {
        (lower.clone(), None)
    };
    // badge-maker's `colorsForBackground`: the W3C brightness, in single precision as shields
    // computes it, above 0.69 takes dark text.
    let dark = rgb.is_some_and(|[r, g, b]| {
        (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0 > 0.69
    });
    (value, dark)
}

const FONT_FAMILY: &str = "Verdana,Geneva,DejaVu Sans,sans-serif";
const LABEL_COLOR: &str = "#555";

/// The badge as an SVG document.
pub fn render(badge: &Badge, style: Style) -> String {
    match style {
        Style::Social => social(badge),
        Style::ForTheBadge => for_the_badge(badge),
        _ => flat(badge, style),
    }
}

/// The root element with the accessible name (`label: message`) as `aria-label` and `<title>`.
fn open(width: &str, height: u32, label: &str, message: &str) -> String {
    let name = if label.is_empty() {
        xml(message)
    } else {
        format!("{}: {}", xml(label), xml(message))
    };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{name}"><title>{name}</title>"#
    )
}

/// Flat, flat-square and plastic share one geometry; they differ in height and chrome.
fn flat(badge: &Badge, style: Style) -> String {
    let (label, message) = (badge.label.as_str(), badge.message.as_str());
    let (message_fill, message_dark) = fill(&badge.color, "#007ec6");
    let (label_fill, label_dark) = if label.is_empty() {
        (message_fill.clone(), message_dark)
    } else {
        fill(LABEL_COLOR, LABEL_COLOR)
    };
    let label_width = if label.is_empty() {
        0
    } else {
        Font::Verdana11.preferred(label)
    };
    let left = if label.is_empty() {
        0
    } else {
        label_width + 10
    };
    let message_width = Font::Verdana11.preferred(message);
    let right = message_width + 10;
    let width = left + right;
    // Text is laid out at ten times the size and scaled down, so these are whole numbers.
    let message_margin = left + u64::from(label.is_empty()) - u64::from(!message.is_empty());
    let label_x = 60 + 5 * label_width;
    let message_x = 10 * message_margin + 5 * message_width + 50;
    let height = if style == Style::Plastic { 18 } else { 20 };

    let mut svg = open(&width.to_string(), height, label, message);
    let rects = format!(
        r#"<rect width="{left}" height="{height}" fill="{label_fill}"/><rect x="{left}" width="{right}" height="{height}" fill="{message_fill}"/>"#,
        label_fill = xml(&label_fill),
        message_fill = xml(&message_fill),
    );
    if style == Style::FlatSquare {
        svg.push_str(&format!(r#"<g shape-rendering="crispEdges">{rects}</g>"#));
    } else {
        let (stops, radius) = if style == Style::Plastic {
            (
                r##"<stop offset="0" stop-color="#fff" stop-opacity=".7"/><stop offset=".1" stop-color="#aaa" stop-opacity=".1"/><stop offset=".9" stop-color="#000" stop-opacity=".3"/><stop offset="1" stop-color="#000" stop-opacity=".5"/>"##,
                4,
            )
        } else {
            (
                r##"<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>"##,
                3,
            )
        };
        svg.push_str(&format!(
            r#"<filter id="blur"><feGaussianBlur stdDeviation="16"/></filter><linearGradient id="s" x2="0" y2="100%">{stops}</linearGradient><clipPath id="r"><rect width="{width}" height="{height}" rx="{radius}"/></clipPath><g clip-path="url(#r)">{rects}<rect width="{width}" height="{height}" fill="url(#s)"/></g>"#
        ));
    }
    svg.push_str(&format!(
        r##"<g fill="#fff" text-anchor="middle" font-family="{FONT_FAMILY}" text-rendering="geometricPrecision" font-size="110">"##
    ));
    for (text, x, length, dark) in [
        (label, label_x, 10 * label_width, label_dark),
        (message, message_x, 10 * message_width, message_dark),
    ] {
        if text.is_empty() {
            continue;
        }
        let text = xml(text);
        let dark_fill = if dark { r##" fill="#333""## } else { "" };
        if style == Style::FlatSquare {
            svg.push_str(&format!(
                r#"<text x="{x}" y="140" textLength="{length}" transform="scale(.1)"{dark_fill}>{text}</text>"#
            ));
            continue;
        }
        // Plastic sits one pixel higher on its 18 px body.
        let y = if style == Style::Plastic { 130 } else { 140 };
        let shadow_y = y + 10;
        let shadow = if dark { "#ccc" } else { "#010101" };
        svg.push_str(&format!(
            r#"<g transform="scale(.1)"><g aria-hidden="true" fill="{shadow}"><text x="{x}" y="{shadow_y}" fill-opacity=".8" filter="url(#blur)" textLength="{length}">{text}</text><text x="{x}" y="{shadow_y}" fill-opacity=".3" textLength="{length}">{text}</text></g><text x="{x}" y="{y}" textLength="{length}"{dark_fill}>{text}</text></g>"#
        ));
    }
    svg.push_str("</g></svg>");
    svg
}

/// GitHub's look: a capitalised label (ASCII, as for-the-badge) and the message in a speech
/// bubble; no colours.
fn social(badge: &Badge) -> String {
    let mut chars = badge.label.chars();
    let label: String = chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default();
    let message = badge.message.as_str();
    let label_text_width = Font::Helvetica11Bold.preferred(&label);
    let label_width = label_text_width + 10;
    let message_text_width = Font::Helvetica11Bold.preferred(message);
    let message_width = message_text_width + 8;
    let bubble = label_width + 6;
    let width = label_width
        + 1
        + if message.is_empty() {
            0
        } else {
            6 + message_width
        };

    let mut svg = open(&width.to_string(), 20, &label, message);
    svg.push_str(&format!(
        r##"<style>a:hover #llink{{fill:url(#b);stroke:#ccc}}a:hover #rlink{{fill:#4183c4}}</style><linearGradient id="a" x2="0" y2="100%"><stop offset="0" stop-color="#fcfcfc" stop-opacity="0"/><stop offset="1" stop-opacity=".1"/></linearGradient><linearGradient id="b" x2="0" y2="100%"><stop offset="0" stop-color="#ccc" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><g stroke="#d5d5d5"><rect stroke="none" fill="#fcfcfc" x=".5" y=".5" width="{label_width}" height="19" rx="2"/>"##
    ));
    if !message.is_empty() {
        svg.push_str(&format!(
            r##"<rect x="{bubble}.5" y=".5" width="{message_width}" height="19" rx="2" fill="#fafafa"/><rect x="{bubble}" y="7.5" width=".5" height="5" stroke="#fafafa"/><path d="M{bubble}.5 6.5 l-3 3v1 l3 3" fill="#fafafa"/>"##
        ));
    }
    svg.push_str(&format!(
        r##"</g><g aria-hidden="true" fill="#333" text-anchor="middle" font-family="Helvetica Neue,Helvetica,Arial,sans-serif" text-rendering="geometricPrecision" font-weight="700" font-size="110px" line-height="14px"><rect id="llink" stroke="#d5d5d5" fill="url(#a)" x=".5" y=".5" width="{label_width}" height="19" rx="2"/>"##
    ));
    let halves = [
        (
            label.as_str(),
            "",
            5 * label_text_width + 50,
            label_text_width,
        ),
        (
            message,
            r#"id="rlink" "#,
            10 * bubble + 5 * message_width,
            message_text_width,
        ),
    ];
    for (i, (text, id, x, text_width)) in halves.into_iter().enumerate() {
        if i == 1 && text.is_empty() {
            continue;
        }
        let (text, length) = (xml(text), 10 * text_width);
        svg.push_str(&format!(
            r##"<text aria-hidden="true" x="{x}" y="150" fill="#fff" transform="scale(.1)" textLength="{length}">{text}</text><text {id}x="{x}" y="140" transform="scale(.1)" textLength="{length}">{text}</text>"##
        ));
    }
    svg.push_str("</g></svg>");
    svg
}

/// A length in eighths of a pixel, written as JavaScript writes the number (`46.75`, `238`):
/// for-the-badge's lengths are whole pixels plus 1.25 px per character, halved at most once.
struct Eighths(u64);

impl std::fmt::Display for Eighths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fraction = match self.0 % 8 {
            0 => "",
            1 => ".125",
            2 => ".25",
            3 => ".375",
            4 => ".5",
            5 => ".625",
            6 => ".75",
            _ => ".875",
        };
        write!(f, "{}{fraction}", self.0 / 8)
    }
}

/// Capitals, letter-spaced, 28 px high; the message in bold. Case is changed for ASCII only
/// (Unicode's case tables would add kilobytes; other scripts are measured by guess anyway).
fn for_the_badge(badge: &Badge) -> String {
    let label = badge.label.to_ascii_uppercase();
    let message = badge.message.to_ascii_uppercase();
    // badge-maker truncates the measured width and adds 1.25 px per UTF-16 unit.
    let spaced = |text: &str, font: Font| {
        if text.is_empty() {
            return 0;
        }
        let units: u64 = text.chars().map(|c| c.len_utf16() as u64).sum();
        8 * (font.width(text) as u64) + 10 * units
    };
    let label_text = spaced(&label, Font::Verdana10);
    let message_text = spaced(&message, Font::Verdana10Bold);
    let label_width = if label.is_empty() {
        0
    } else {
        label_text + 8 * 24
    };
    let message_width = message_text + 8 * 24;
    let (label_fill, label_dark) = fill(LABEL_COLOR, LABEL_COLOR);
    let (message_fill, message_dark) = fill(&badge.color, "#007ec6");

    let width = Eighths(label_width + message_width).to_string();
    let mut svg = open(&width, 28, &label, &message);
    svg.push_str(r#"<g shape-rendering="crispEdges">"#);
    if !label.is_empty() {
        svg.push_str(&format!(
            r#"<rect width="{0}" height="28" fill="{label_fill}"/><rect x="{0}" "#,
            Eighths(label_width)
        ));
    } else {
        svg.push_str("<rect ");
    }
    svg.push_str(&format!(
        r##"width="{}" height="28" fill="{}"/></g><g fill="#fff" text-anchor="middle" font-family="{FONT_FAMILY}" text-rendering="geometricPrecision" font-size="100">"##,
        Eighths(message_width),
        xml(&message_fill)
    ));
    let dark_fill = |dark: bool| if dark { r##" fill="#333""## } else { "" };
    // Text is laid out at ten times the size: the centre of each text, and its length.
    if !label.is_empty() {
        svg.push_str(&format!(
            r#"<text transform="scale(.1)" x="{}" y="175" textLength="{}"{}>{}</text>"#,
            Eighths(10 * (8 * 12) + 5 * label_text),
            Eighths(10 * label_text),
            dark_fill(label_dark),
            xml(&label)
        ));
    }
    svg.push_str(&format!(
        r#"<text transform="scale(.1)" x="{}" y="175" textLength="{}" font-weight="bold"{}>{}</text></g></svg>"#,
        Eighths(10 * (label_width + 8 * 12) + 5 * message_text),
        Eighths(10 * message_text),
        dark_fill(message_dark),
        xml(&message)
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_as_shields_names_them() {
        assert_eq!(fill("blue", ""), ("#007ec6".into(), false));
        assert_eq!(fill("LightGray", ""), ("#9f9f9f".into(), false));
        assert_eq!(fill("ABC", ""), ("#abc".into(), true));
        assert_eq!(fill("#FFFFFF", ""), ("#ffffff".into(), true));
        assert_eq!(fill("rgb(0,0,255)", ""), ("rgb(0,0,255)".into(), false));
        assert_eq!(fill(" ", "#555"), ("#555".into(), false));
    }

    #[test]
    fn styles_from_the_query() {
        assert_eq!(Style::from_query("label=x"), Ok(Style::Flat));
        assert_eq!(
            Style::from_query("style=for-the-badge"),
            Ok(Style::ForTheBadge)
        );
        assert!(Style::from_query("style=round").is_err());
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let badge = Badge {
            label: "a\"b".into(),
            message: "<x> & 'y'".into(),
            color: "\"red".into(),
            logo: None,
            is_error: false,
        };
        for style in [
            Style::Flat,
            Style::FlatSquare,
            Style::Plastic,
            Style::Social,
            Style::ForTheBadge,
        ] {
            let svg = render(&badge, style);
            assert!(!svg.contains("<x>") && !svg.contains("a\"b") && !svg.contains("\"\"red"));
        }
    }
}
