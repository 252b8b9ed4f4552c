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
    Refs,
    Ref(String),
    History(String),
    Category(String),
    CategoryMember(String, String),
    /// `/<name>`: a repository, `host/repository`, or nested `team/app`.
    Badge(String),
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
            ["api", "refs"] => Self::Refs,
            ["api", "refs", _, ..] => Self::Ref(after(2)),
            ["api", "history", _, ..] => Self::History(after(2)),
            ["api", "categories", category] => Self::Category((*category).to_owned()),
            ["api", "categories", category, _, ..] => {
                Self::CategoryMember((*category).to_owned(), after(3))
            }
            // `/api/...` is never a repository, and neither are the files browsers ask for.
            ["api", ..] | ["favicon.ico"] | ["robots.txt"] => Self::NotFound,
            _ => Self::Badge(path.to_owned()),
        }
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
            ("/wash", Route::Badge("wash".into())),
            ("/team/app", Route::Badge("team/app".into())),
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
