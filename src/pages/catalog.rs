//! `GET /` for a browser: the tracked repositories of one page of the index, grouped by
//! registry host, with a filter form that works without JavaScript (`?q=`, filtered on the
//! server) and links to the next page (`?cursor=`, as `/api/refs` pages).

use super::{esc, full_name, page, short_digest, time};
use crate::html::query;
use crate::http::Response;
use crate::reference::Reference;
use crate::tracking::{Listed, NoTag};
use std::fmt::Write;

/// Rows per page unless `?limit=` says otherwise; a filtered page reads up to
/// [`SEARCH_SPAN`] index positions to fill it.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 500;
pub const SEARCH_SPAN: u64 = 5000;

/// One page of the catalog, as `api::pages` read it.
pub struct Catalog<'a> {
    /// What matched, in index order.
    pub listed: &'a [Listed],
    /// The filter as typed (empty: none).
    pub filter: &'a str,
    /// The first index position this page covers.
    pub from: u64,
    /// The last position read (a filtered page reads more than it shows).
    pub to: u64,
    pub next: Option<u64>,
    /// Positions in the index.
    pub total: u64,
    pub limit: u64,
}

pub fn render(c: &Catalog<'_>) -> Response {
    let mut main = String::with_capacity(256 * c.listed.len() + 2048);
    let _ = write!(
        main,
        "<h1>Published repositories</h1>\
         <form class=\"filter\" method=\"get\" action=\"/\" role=\"search\">\
         <label for=\"q\">Filter by name</label>\
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" placeholder=\"host/repository\" \
         autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"filter-status\">\
         <button type=\"submit\">Filter</button>",
        esc(c.filter)
    );
    if !c.filter.is_empty() {
        main.push_str("<a href=\"/\">Clear</a>");
    }
    let _ = write!(
        main,
        "</form><p id=\"filter-status\" role=\"status\">{}</p>",
        esc(&summary(c))
    );

    // Sorted by insertion: a page is at most 500 rows, and a sort function costs kilobytes.
    let mut rows: Vec<&Listed> = Vec::with_capacity(c.listed.len());
    for l in c.listed {
        let at = rows.partition_point(|r| (&r.host, &r.repository) <= (&l.host, &l.repository));
        rows.insert(at, l);
    }
    for (i, group) in rows.chunk_by(|a, b| a.host == b.host).enumerate() {
        let host = group.first().map(|l| l.host.as_str()).unwrap_or_default();
        let shown = if host.is_empty() {
            "(registry unknown)"
        } else {
            host
        };
        let _ = write!(
            main,
            "<section aria-labelledby=\"host-{i}\" data-host><h2 id=\"host-{i}\">{}</h2>\
             <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Repository</th>\
             <th scope=\"col\">Reference</th><th scope=\"col\">Tag</th>\
             <th scope=\"col\">Digest</th><th scope=\"col\">Pushed</th></tr></thead><tbody>",
            esc(shown)
        );
        for listed in group {
            row(&mut main, listed);
        }
        main.push_str("</tbody></table></div></section>");
    }
    if c.listed.is_empty() {
        main.push_str(if c.total == 0 {
            "<p class=\"empty\">Nothing is tracked yet. Point a registry's webhook at \
             <code>/api/hooks/&lt;registry&gt;</code> and push.</p>"
        } else {
            "<p class=\"empty\">No repository here matches.</p>"
        });
    }
    pager(&mut main, c);
    page(200, "Published repositories", "", &main)
}

fn summary(c: &Catalog<'_>) -> String {
    let noun = |n: u64| if n == 1 { "repository" } else { "repositories" };
    let read = if c.total == 0 {
        String::new()
    } else {
        format!(" (index positions {} to {})", c.from, c.to)
    };
    if c.filter.is_empty() {
        format!(
            "{} tracked; this page shows {}{read}.",
            c.total,
            c.listed.len()
        )
    } else {
        format!(
            "{} {} matching “{}” among {} tracked{read}.",
            c.listed.len(),
            noun(c.listed.len() as u64),
            c.filter,
            c.total
        )
    }
}

fn row(out: &mut String, l: &Listed) {
    let name = full_name(&l.host, &l.repository);
    let _ = write!(
        out,
        "<tr data-name=\"{}\"><th scope=\"row\"><a href=\"/{}\">{}</a></th>",
        esc(&name.to_ascii_lowercase()),
        esc(&name),
        esc(&l.repository)
    );
    let current = l.latest.as_ref().and_then(|p| p.current.as_ref());
    match current {
        Some(c) => {
            let reference = Reference {
                host: l.host.clone(),
                repository: l.repository.clone(),
                tag: c.tag.clone(),
                digest: None,
            };
            let digest = match &c.record.digest {
                Some(d) => format!("<code title=\"{}\">{}</code>", esc(d), esc(short_digest(d))),
                None => "unknown".to_owned(),
            };
            let _ = write!(
                out,
                "<td data-label=\"Reference\"><code>{}</code></td><td data-label=\"Tag\">{}</td>\
                 <td data-label=\"Digest\">{digest}</td><td data-label=\"Pushed\">{}</td></tr>",
                esc(&reference.to_string()),
                esc(&c.tag),
                time(c.record.pushed.at)
            );
        }
        None => {
            let why = match l.latest.as_ref().and_then(|p| p.empty) {
                Some(NoTag::Withdrawn) => "withdrawn",
                Some(NoTag::Pending) => "pending release",
                Some(NoTag::Untagged) => "no tags",
                None => "not published",
            };
            let _ = write!(
                out,
                "<td data-label=\"Reference\" colspan=\"4\" class=\"none\">{why}</td></tr>"
            );
        }
    }
}

fn pager(out: &mut String, c: &Catalog<'_>) {
    let link = |cursor: u64, text: &str, rel: &str| {
        let mut href = format!("/?cursor={cursor}");
        if !c.filter.is_empty() {
            href = format!("{href}&amp;q={}", query(c.filter));
        }
        if c.limit != DEFAULT_LIMIT {
            href = format!("{href}&amp;limit={}", c.limit);
        }
        format!("<a href=\"{href}\" rel=\"{rel}\">{text}</a>")
    };
    let mut links = Vec::new();
    if c.from > 1 {
        links.push(link(1, "First page", "first"));
        if c.filter.is_empty() {
            links.push(link(
                c.from.saturating_sub(c.limit).max(1),
                "Previous page",
                "prev",
            ));
        }
    }
    if let Some(next) = c.next {
        let text = if c.filter.is_empty() {
            "Next page"
        } else {
            "Search further"
        };
        links.push(link(next, text, "next"));
    }
    if !links.is_empty() {
        let _ = write!(
            out,
            "<nav class=\"pager\" aria-label=\"Pages\">{}</nav>",
            links.join(" ")
        );
    }
}
