//! A badge request's options: the configured defaults, overridden by the query string. Pure
//! parsing; what the badge then says is `badge`'s business.

const MAX_LABEL_CHARS: usize = 64;

/// Defaults for badges; each can be overridden per badge with a query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeDefaults {
    pub label: String,
    pub color: String,
    pub logo: Option<String>,
}

/// What the message shows of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `host/repository:tag`
    #[default]
    Ref,
    Tag,
    /// `host/repository:tag@sha256:...`
    Pinned,
}

/// A badge request's options: the configured defaults, overridden by the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    pub label: String,
    pub color: String,
    pub logo: Option<String>,
}

pub fn checked_label(s: &str) -> Result<&str, String> {
    if s.chars().count() <= MAX_LABEL_CHARS && !s.chars().any(char::is_control) {
        Ok(s)
    } else {
        Err(format!(
            "label must be at most {MAX_LABEL_CHARS} characters without control characters"
        ))
    }
}

/// Named colors (`blue`), hex (`#4c1`, `00ff00`) and CSS functions (`rgb(0,0,255)`).
pub fn checked_color(s: &str) -> Result<&str, String> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"#(),.% ".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err("color must be a shields color name, hex or rgb() value".into())
    }
}

/// A simple-icons slug such as `docker` or `azure-devops`.
pub fn checked_logo(s: &str) -> Result<&str, String> {
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
    if ok {
        Ok(s)
    } else {
        Err("logo must be a simple-icons name such as docker".into())
    }
}

impl Options {
    /// Applies `format`, `label`, `color` and `logo` from a query string; others are ignored.
    pub fn from_query(defaults: &BadgeDefaults, query: &str) -> Result<Self, String> {
        let mut o = Self {
            format: Format::Ref,
            label: defaults.label.clone(),
            color: defaults.color.clone(),
            logo: defaults.logo.clone(),
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "format" => {
                    o.format = match value.as_ref() {
                        "ref" => Format::Ref,
                        "tag" => Format::Tag,
                        "pinned" => Format::Pinned,
                        _ => return Err("format must be ref, tag or pinned".into()),
                    }
                }
                "label" => o.label = checked_label(&value)?.to_owned(),
                "color" => o.color = checked_color(&value)?.to_owned(),
                "logo" => o.logo = Some(checked_logo(&value)?.to_owned()),
                _ => {}
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn query_options() {
        let d = Config::default().badge;
        let o = Options::from_query(
            &d,
            "format=tag&label=my%20label&color=%23ff0000&logo=docker&utm=1",
        )
        .unwrap();
        assert_eq!(
            (
                o.format,
                o.label.as_str(),
                o.color.as_str(),
                o.logo.as_deref()
            ),
            (Format::Tag, "my label", "#ff0000", Some("docker"))
        );
        for bad in [
            "format=sha",
            "color=<script>",
            "logo=Docker!",
            &format!("label={}", "x".repeat(65)),
            "label=%0a",
        ] {
            assert!(Options::from_query(&d, bad).is_err(), "{bad}");
        }
    }
}
