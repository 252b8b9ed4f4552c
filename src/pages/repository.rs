//! `GET /<name>` for a browser: what a repository shows now, how to pull it pinned, its badge
//! with copy-ready snippets (shields' endpoint badge and ociref's own SVG), the policy that
//! chose it and its latest events.

use super::{esc, full_name, page, short_digest, time};
use crate::http::Response;
use crate::reference::Reference;
use crate::tracking::policy::Policy;
use crate::tracking::{LogEntry, NoTag, Published};
use std::fmt::Write;

/// How many events the page lists.
pub const HISTORY: u64 = 10;

pub struct Repository<'a> {
    pub host: &'a str,
    pub repository: &'a str,
    pub latest: &'a Published,
    pub history: &'a [LogEntry],
    /// `scheme://authority` as the client reached ociref, for the snippets.
    pub origin: &'a str,
}

pub fn render(r: &Repository<'_>) -> Response {
    let name = full_name(r.host, r.repository);
    let url = format!("{}/{name}", r.origin);
    let mut main = String::with_capacity(8192);
    let _ = write!(
        main,
        "<h1><span class=\"host\">{}/</span><wbr>{}</h1>\
         <p class=\"badge\"><img src=\"/{}.svg\" alt=\"badge: {}\" height=\"20\"></p>",
        esc(r.host),
        esc(r.repository),
        esc(&name),
        esc(&status(r.latest)),
    );

    main.push_str("<section aria-labelledby=\"now\"><h2 id=\"now\">Current reference</h2><dl class=\"facts\">");
    let current = r.latest.current.as_ref().map(|c| Reference {
        host: r.host.to_owned(),
        repository: r.repository.to_owned(),
        tag: c.tag.clone(),
        digest: c.record.digest.clone(),
    });
    match (&current, &r.latest.current) {
        (Some(reference), Some(c)) => {
            fact(&mut main, "Reference", &code(&reference.to_string()));
            if let Some(d) = &reference.digest {
                fact(&mut main, "Pinned", &code(&reference.pinned()));
                fact(&mut main, "Digest", &code(d));
            } else {
                fact(&mut main, "Digest", "not reported by the registry");
            }
            fact(&mut main, "Tag", &esc(&c.tag).to_string());
            if let Some(m) = &c.record.media_type {
                fact(&mut main, "Media type", &code(m));
            }
            fact(&mut main, "Pushed", &time(c.record.pushed.at));
        }
        _ => fact(&mut main, "Reference", &esc(&status(r.latest)).to_string()),
    }
    fact(&mut main, "Chosen by", &policy(r.latest));
    fact(&mut main, "Verified", &verified(r.latest));
    main.push_str("</dl></section>");

    if let Some(reference) = &current {
        let pinned = reference.pinned();
        main.push_str(
            "<section aria-labelledby=\"pull\"><h2 id=\"pull\">Pull it</h2><dl class=\"snippets\">",
        );
        snippet(
            &mut main,
            "pull-docker",
            "docker pull (by tag)",
            &format!("docker pull {reference}"),
        );
        if reference.digest.is_some() {
            snippet(
                &mut main,
                "pull-pinned",
                "docker pull (pinned)",
                &format!("docker pull {pinned}"),
            );
        }
        snippet(
            &mut main,
            "pull-oras",
            "oras pull",
            &format!("oras pull {pinned}"),
        );
        main.push_str("</dl></section>");
    }

    let shields = format!("https://img.shields.io/endpoint?url={url}");
    let svg = format!("{url}.svg");
    main.push_str("<section aria-labelledby=\"badge\"><h2 id=\"badge\">Put the badge in a README</h2><dl class=\"snippets\">");
    snippet(
        &mut main,
        "md-svg",
        "Markdown, ociref's SVG",
        &format!("[![{name}]({svg})]({url})"),
    );
    snippet(
        &mut main,
        "html-svg",
        "HTML, ociref's SVG",
        &format!("<a href=\"{url}\"><img src=\"{svg}\" alt=\"{name}\"></a>"),
    );
    snippet(
        &mut main,
        "md-shields",
        "Markdown, shields.io endpoint",
        &format!("[![{name}]({shields})]({url})"),
    );
    snippet(
        &mut main,
        "html-shields",
        "HTML, shields.io endpoint",
        &format!("<a href=\"{url}\"><img src=\"{shields}\" alt=\"{name}\"></a>"),
    );
    main.push_str("</dl></section>");

    history(&mut main, r.history);

    let _ = write!(
        main,
        "<section aria-labelledby=\"more\"><h2 id=\"more\">Follow it</h2><ul class=\"links\">\
         <li><a href=\"/{0}.atom\">Atom feed of new releases</a></li>\
         <li><a href=\"/api/refs/{0}\">Record as JSON</a></li>\
         <li><a href=\"/api/history/{0}?limit=100\">History as JSON</a></li></ul></section>",
        esc(&name)
    );
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{0} releases\" href=\"/{0}.atom\">",
        esc(&name)
    );
    page(200, &name, &head, &main)
}

/// What the badge says when no tag shows, or the reference when one does.
fn status(latest: &Published) -> String {
    match (&latest.current, latest.empty) {
        (Some(c), _) => format!("tag {}", c.tag),
        (None, Some(NoTag::Withdrawn)) => "withdrawn: every tag was deleted".into(),
        (None, Some(NoTag::Pending)) => "pending release: waiting in quarantine".into(),
        (None, _) => "no tags: only untagged pushes so far".into(),
    }
}

/// When reconciliation last confirmed it against the registry, and failures since.
fn verified(latest: &Published) -> String {
    let v = latest.verification.as_ref();
    let mut text = match v.and_then(|v| v.verified_at) {
        Some(at) => format!("against the registry, {}", time(at)),
        None => "not yet checked against the registry".to_owned(),
    };
    if let Some(n) = v.map(|v| v.failures).filter(|n| *n > 0) {
        let _ = write!(text, " ({n} failed since)");
    }
    text
}

fn policy(latest: &Published) -> String {
    let s = latest.selection;
    let why = match (s.policy, s.include_prereleases) {
        (Policy::Semver, false) => {
            "the highest semantic version; pre-releases only when there is no release"
        }
        (Policy::Semver, true) => "the highest semantic version, pre-releases included",
        (Policy::LastPush, _) => "the most recently pushed tag",
    };
    format!("<code>{}</code>: {why}", s.policy.as_str())
}

fn fact(out: &mut String, term: &str, html: &str) {
    let _ = write!(out, "<dt>{}</dt><dd>{html}</dd>", esc(term));
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", esc(text))
}

/// A labelled, copy-ready line; the copy button appears only with the script.
fn snippet(out: &mut String, id: &str, label: &str, text: &str) {
    let _ = write!(
        out,
        "<dt id=\"{id}-label\">{}</dt><dd><pre id=\"{id}\" aria-labelledby=\"{id}-label\">{}</pre>\
         <button type=\"button\" data-copy=\"{id}\" hidden>Copy<span class=\"sr\"> {}</span></button></dd>",
        esc(label),
        esc(text),
        esc(label)
    );
}

fn history(out: &mut String, events: &[LogEntry]) {
    out.push_str("<section aria-labelledby=\"history\"><h2 id=\"history\">Latest events</h2>");
    if events.is_empty() {
        out.push_str("<p>No events kept.</p></section>");
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">When</th>\
         <th scope=\"col\">Action</th><th scope=\"col\">Tag</th><th scope=\"col\">Digest</th>\
         <th scope=\"col\">Outcome</th><th scope=\"col\">Source</th></tr></thead><tbody>",
    );
    for e in events {
        let digest = e.event.digest.as_deref().map_or_else(String::new, |d| {
            format!("<code title=\"{}\">{}</code>", esc(d), esc(short_digest(d)))
        });
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td data-label=\"Action\">{}</td>\
             <td data-label=\"Tag\">{}</td><td data-label=\"Digest\">{digest}</td>\
             <td data-label=\"Outcome\">{}</td><td data-label=\"Source\">{}</td></tr>",
            time(e.event.occurred_at.unwrap_or(e.order.at)),
            esc(e.event.action.as_str()),
            esc(e.event.tag.as_deref().unwrap_or("")),
            esc(&e.outcome),
            esc(e.event.source.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// `/<repository>` when several registries have that name: a link to each.
pub fn ambiguous(raw: &str, hosts: &[String]) -> Response {
    let mut main = format!(
        "<h1>Several registries have {}</h1><p>Choose one:</p><ul class=\"links\">",
        esc(raw)
    );
    for host in hosts {
        let name = full_name(host, raw);
        let _ = write!(main, "<li><a href=\"/{0}\">{0}</a></li>", esc(&name));
    }
    main.push_str("</ul>");
    page(409, "Several registries have this name", "", &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(json: &str) -> Published {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn verification_is_shown_when_reconciliation_recorded_it() {
        let selection = r#""selection":{"policy":"last-push","include_prereleases":false}"#;
        let never = published(&format!(r#"{{"stamp":1,{selection},"empty":"withdrawn"}}"#));
        assert_eq!(verified(&never), "not yet checked against the registry");
        let checked = published(&format!(
            r#"{{"stamp":1,{selection},"empty":"withdrawn","verification":{{"verified_at":1767323045000000000,"failures":2}}}}"#
        ));
        assert_eq!(
            verified(&checked),
            "against the registry, <time datetime=\"2026-01-02T03:04:05Z\">2026-01-02 03:04 UTC</time> (2 failed since)"
        );
        assert!(policy(&never).contains("the most recently pushed tag"));
        let page = render(&Repository {
            host: "h.io",
            repository: "a",
            latest: &checked,
            history: &[],
            origin: "http://x",
        });
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains("withdrawn: every tag was deleted"));
        assert!(!html.contains("Pull it"), "nothing to pull");
    }
}
