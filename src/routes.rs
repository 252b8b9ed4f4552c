//! The route table: every endpoint from the path alone (methods are checked at dispatch).
//! Pure, so routing is a table the tests read.

use crate::webhook::{self, Sender};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Index,
    Health,
    /// `POST /api/hooks/<sender>[/<token>]`; `/api/azurehook` is ACR's, as it always was.
    Hook {
        sender: &'static Sender,
        path_token: Option<String>,
    },
    SetReference,
    /// `POST /api/reconcile`: every tracked repository of every configured registry.
    Reconcile,
    /// `POST /api/reconcile/<host>/<repository>`.
    ReconcileOne(String),
    Refs,
    Ref(String),
    History(String),
    Category(String),
    CategoryMember(String, String),
    /// `/<name>`: a repository, `host/repository`, or nested `team/app`.
    Badge(String),
    /// `/<name>.svg`: the badge as an image.
    SvgBadge(String),
    /// `/<name>.atom`: the repository's releases; `/.atom` (an empty name): every repository's.
    Feed(String),
    /// `/-/<file>`: the pages' static files (no OCI name starts with `-`).
    Asset(String),
    NotFound,
}

impl Route {
    pub fn parse(path: &str) -> Self {
        let path = path.trim_start_matches('/');
        let segments: Vec<&str> = path.split('/').collect();
        // The rest of the path after its first `n` segments (what `..` matched, slashes kept).
        let after = |n: usize| {
            path.splitn(n + 1, '/')
                .nth(n)
                .unwrap_or_default()
                .to_owned()
        };
        match segments.as_slice() {
            [""] => Self::Index,
            ["healthz"] => Self::Health,
            ["api", "azurehook"] => Self::hook("acr", None),
            ["api", "hooks", name] => Self::hook(name, None),
            ["api", "hooks", name, token] => Self::hook(name, Some(token)),
            ["api", "reference"] => Self::SetReference,
            ["api", "reconcile"] => Self::Reconcile,
            ["api", "reconcile", _, ..] => Self::ReconcileOne(after(2)),
            ["api", "refs"] => Self::Refs,
            ["api", "refs", _, ..] => Self::Ref(after(2)),
            ["api", "history", _, ..] => Self::History(after(2)),
            ["api", "categories", category] => Self::Category((*category).to_owned()),
            ["api", "categories", category, _, ..] => {
                Self::CategoryMember((*category).to_owned(), after(3))
            }
            // `/api/...` is never a repository, and neither are the files browsers ask for.
            ["-", file] => Self::Asset((*file).to_owned()),
            ["api", ..] | ["-", ..] | ["favicon.ico"] | ["robots.txt"] => Self::NotFound,
            _ => Self::named(path),
        }
    }

    /// `/<name>` and its formats. A format suffix is stripped once, so a repository whose own
    /// name ends in `.svg` or `.atom` (OCI names may hold dots) has `/<name>.svg`,
    /// `/<name>.atom` and, for its JSON badge, `/<name>.json`; any other name's JSON badge
    /// stays at `/<name>`, `.json` included.
    fn named(path: &str) -> Self {
        if let Some(name) = path.strip_suffix(".svg") {
            return Self::SvgBadge(name.to_owned());
        }
        if let Some(name) = path.strip_suffix(".atom") {
            return Self::Feed(name.to_owned());
        }
        let name = path
            .strip_suffix(".json")
            .filter(|n| n.ends_with(".svg") || n.ends_with(".atom"))
            .unwrap_or(path);
        Self::Badge(name.to_owned())
    }

    fn hook(name: &str, token: Option<&str>) -> Self {
        match webhook::sender(name) {
            Some(sender) => Self::Hook {
                sender,
                path_token: token.map(str::to_owned),
            },
            None => Self::NotFound,
        }
    }
}

/// The path as logs and error messages may show it: a token in a hook's path is replaced, so
/// no log line or answer ever carries it.
pub fn redacted(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    let mut segments = trimmed.splitn(4, '/');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("api"), Some("hooks"), Some(name), Some(_)) => {
            format!("/api/hooks/{name}/<token>")
        }
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let sender = |name| webhook::sender(name).unwrap();
        let cases = [
            ("/", Route::Index),
            ("/healthz", Route::Health),
            (
                "/api/azurehook",
                Route::Hook {
                    sender: sender("acr"),
                    path_token: None,
                },
            ),
            (
                "/api/hooks/acr",
                Route::Hook {
                    sender: sender("acr"),
                    path_token: None,
                },
            ),
            (
                "/api/hooks/quay/s3cret",
                Route::Hook {
                    sender: sender("quay"),
                    path_token: Some("s3cret".into()),
                },
            ),
            ("/api/hooks/nope", Route::NotFound),
            ("/api/hooks/quay/a/b", Route::NotFound),
            ("/api/reference", Route::SetReference),
            ("/api/reconcile", Route::Reconcile),
            (
                "/api/reconcile/localhost:5000/team/app",
                Route::ReconcileOne("localhost:5000/team/app".into()),
            ),
            ("/api/refs", Route::Refs),
            ("/api/refs/team/app", Route::Ref("team/app".into())),
            ("/api/history/wash", Route::History("wash".into())),
            ("/api/categories/tools", Route::Category("tools".into())),
            (
                "/api/categories/tools/team/app",
                Route::CategoryMember("tools".into(), "team/app".into()),
            ),
            ("/api/unknown", Route::NotFound),
            ("/api/refs/", Route::Ref(String::new())),
            ("/api", Route::NotFound),
            ("/favicon.ico", Route::NotFound),
            ("/-/style.css", Route::Asset("style.css".into())),
            ("/-/a/b", Route::NotFound),
            ("/wash", Route::Badge("wash".into())),
            ("/team/app", Route::Badge("team/app".into())),
            ("/team/app.svg", Route::SvgBadge("team/app".into())),
            ("/team/app.atom", Route::Feed("team/app".into())),
            ("/.atom", Route::Feed(String::new())),
            // A repository named `logo.svg`: every format by its suffix.
            ("/logo.svg.svg", Route::SvgBadge("logo.svg".into())),
            ("/logo.svg.atom", Route::Feed("logo.svg".into())),
            ("/logo.svg.json", Route::Badge("logo.svg".into())),
            ("/feed.atom.json", Route::Badge("feed.atom".into())),
            ("/data.json", Route::Badge("data.json".into())),
            (
                "/myregistry.azurecr.io/wash",
                Route::Badge("myregistry.azurecr.io/wash".into()),
            ),
        ];
        for (path, route) in cases {
            assert_eq!(Route::parse(path), route, "{path}");
        }
    }

    #[test]
    fn tokens_in_paths_are_redacted() {
        assert_eq!(
            redacted("/api/hooks/quay/s3cret"),
            "/api/hooks/quay/<token>"
        );
        assert_eq!(
            redacted("/api/hooks/quay/s3cret/x"),
            "/api/hooks/quay/<token>"
        );
        assert_eq!(redacted("/api/hooks/quay"), "/api/hooks/quay");
        assert_eq!(redacted("/team/app"), "/team/app");
    }
}
