//! Every sender's fixtures through its parser (what each becomes), and the senders through
//! the API: who may write, what a delivery changes, two registries with one repository name.
//! Fixtures and where each came from: tests/fixtures/<sender>/README.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use hmac::{Hmac, Mac};
use ociref::api::handle;
use ociref::config::Config;
use ociref::http::{Method, Request};
use ociref::store::MemoryStore;
use ociref::webhook::{self, Parsed, Payload};

fn read(sender: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{sender}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(
    sender: &str,
    body: &[u8],
    headers: &[(String, String)],
) -> Result<Parsed, ociref::error::Error> {
    let s = webhook::sender(sender).unwrap();
    (s.parse)(Payload { body, headers }).map_err(Into::into)
}

fn github(event: &str) -> Vec<(String, String)> {
    vec![
        ("x-github-event".into(), event.into()),
        (
            "x-github-delivery".into(),
            "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
        ),
    ]
}

/// What a fixture must become: `(action, host, repository, tag)` per event, or the words a
/// ping or an "ignored" answer is recognised by.
enum Expect {
    Events(
        &'static [(
            &'static str,
            &'static str,
            &'static str,
            Option<&'static str>,
        )],
    ),
    Ignored(&'static str),
    Ping,
}

#[test]
fn every_fixture_becomes_what_its_registry_meant() {
    use Expect::*;
    const REG: &str = "registry.example.com";
    const LOCAL: &str = "127.0.0.1:5055";
    const HARBOR: &str = "harbor.example.com";
    let cases: &[(&str, &str, &str, Expect)] = &[
        (
            "acr",
            "push.json",
            "",
            Events(&[("push", "myregistry.azurecr.io", "hello-world", Some("v1"))]),
        ),
        (
            "acr",
            "delete.json",
            "",
            Events(&[("delete", "myregistry.azurecr.io", "hello-world", None)]),
        ),
        (
            "acr",
            "quarantine.json",
            "",
            Events(&[(
                "quarantine",
                "myregistry.azurecr.io",
                "helloworld",
                Some("1"),
            )]),
        ),
        ("acr", "chart_push.json", "", Ignored("Helm")),
        ("acr", "chart_delete.json", "", Ignored("Helm")),
        ("acr", "ping.json", "", Ping),
        (
            "distribution",
            "manifest_push.json",
            "",
            Events(&[("push", REG, "team/app", Some("1.4.2"))]),
        ),
        ("distribution", "blob_push.json", "", Ignored("blobs")),
        ("distribution", "pull.json", "", Ignored("pulls")),
        ("distribution", "mount.json", "", Ignored("mounts")),
        (
            "distribution",
            "manifest_delete.json",
            "",
            Events(&[("delete", REG, "team/app", None)]),
        ),
        (
            "distribution",
            "manifest_delete_v2.json",
            "",
            Events(&[("delete", REG, "team/app", None)]),
        ),
        ("distribution", "tag_delete.json", "", Ignored("manifest")),
        (
            "distribution",
            "tag_delete_v2.json",
            "",
            Ignored("manifest"),
        ),
        (
            "distribution",
            "mixed_envelope.json",
            "",
            Events(&[("push", REG, "team/app", Some("1.4.2"))]),
        ),
        (
            "distribution",
            "gitlab_push.json",
            "",
            Events(&[(
                "push",
                "registry.gitlab.example.com",
                "platform/backend/api",
                Some("v2.7.0"),
            )]),
        ),
        (
            "distribution",
            "registry-2.8/push-manifest.json",
            "",
            Events(&[("push", LOCAL, "team/app", Some("1.0.0"))]),
        ),
        (
            "distribution",
            "registry-2.8/push-manifest-existing-digest.json",
            "",
            Events(&[("push", LOCAL, "team/app", Some("stable"))]),
        ),
        (
            "distribution",
            "registry-2.8/push-manifest-by-digest.json",
            "",
            Events(&[("push", LOCAL, "team/app", None)]),
        ),
        (
            "distribution",
            "registry-2.8/push-layer-blob.json",
            "",
            Ignored("blobs"),
        ),
        (
            "distribution",
            "registry-2.8/push-config-blob.json",
            "",
            Ignored("blobs"),
        ),
        (
            "distribution",
            "registry-2.8/pull-manifest.json",
            "",
            Ignored("pulls"),
        ),
        (
            "distribution",
            "registry-2.8/pull-blob.json",
            "",
            Ignored("pulls"),
        ),
        (
            "distribution",
            "registry-2.8/pull-blob-head.json",
            "",
            Ignored("pulls"),
        ),
        (
            "distribution",
            "registry-2.8/delete-resolve-pull.json",
            "",
            Ignored("pulls"),
        ),
        (
            "distribution",
            "registry-2.8/delete-manifest.json",
            "",
            Events(&[("delete", LOCAL, "team/app", None)]),
        ),
        (
            "distribution",
            "registry-2.8/delete-tag.json",
            "",
            Ignored("manifest"),
        ),
        (
            "distribution",
            "registry-2.8/delete-tag-second.json",
            "",
            Ignored("manifest"),
        ),
        (
            "harbor",
            "push_default.json",
            "",
            Events(&[("push", HARBOR, "library/app", Some("1.0.0"))]),
        ),
        (
            "harbor",
            "push_cloudevents.json",
            "",
            Events(&[("push", HARBOR, "library/app", Some("1.0.0"))]),
        ),
        (
            "harbor",
            "delete_default.json",
            "",
            Events(&[("delete", HARBOR, "library/app", Some("0.9.0"))]),
        ),
        (
            "harbor",
            "delete_cloudevents.json",
            "",
            Events(&[("delete", HARBOR, "library/app", Some("0.9.0"))]),
        ),
        (
            "harbor",
            "push_digest_as_tag.json",
            "",
            Events(&[("push", HARBOR, "library/app", None)]),
        ),
        (
            "ghcr",
            "package_published.json",
            "package",
            Events(&[("push", "ghcr.io", "acmecorp/web-api", Some("1.4.2"))]),
        ),
        (
            "ghcr",
            "package_updated.json",
            "package",
            Events(&[("push", "ghcr.io", "acmecorp/web-api", Some("latest"))]),
        ),
        (
            "ghcr",
            "registry_package_published.json",
            "registry_package",
            Events(&[("push", "ghcr.io", "janedoe-dev/log-shipper", Some("0.8.0"))]),
        ),
        (
            "ghcr",
            "registry_package_untagged.json",
            "registry_package",
            Ignored("untagged"),
        ),
        ("ghcr", "ping.json", "ping", Ping),
        (
            "dockerhub",
            "push.json",
            "",
            Events(&[("push", "docker.io", "acmecorp/web-api", Some("1.4.2"))]),
        ),
        (
            "quay",
            "repo_push.json",
            "",
            Events(&[("push", "quay.io", "acmecorp/web-api", Some("1.4.2"))]),
        ),
        (
            "gar",
            "insert.json",
            "",
            Events(&[(
                "push",
                "us-east1-docker.pkg.dev",
                "acme-prod-4821/containers/web-api",
                Some("1.0.0"),
            )]),
        ),
        (
            "gar",
            "insert_untagged.json",
            "",
            Events(&[(
                "push",
                "us-east1-docker.pkg.dev",
                "acme-prod-4821/containers/web-api",
                None,
            )]),
        ),
        (
            "gar",
            "delete.json",
            "",
            Events(&[(
                "delete",
                "us-east1-docker.pkg.dev",
                "acme-prod-4821/containers/web-api",
                None,
            )]),
        ),
        (
            "ecr",
            "push.json",
            "",
            Events(&[(
                "push",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "team/web-api",
                Some("1.4.2"),
            )]),
        ),
        (
            "ecr",
            "delete.json",
            "",
            Events(&[(
                "delete",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "team/web-api",
                Some("1.3.0"),
            )]),
        ),
        ("ecr", "push_failed.json", "", Ignored("succeed")),
    ];
    let mut wrong = Vec::new();
    for (sender, file, event, expect) in cases {
        let headers = if event.is_empty() {
            Vec::new()
        } else {
            github(event)
        };
        let parsed = parse(sender, &read(sender, file), &headers)
            .unwrap_or_else(|e| panic!("{sender}/{file}: {}", e.message()));
        let what = format!("{sender}/{file}: {parsed:?}");
        match (expect, parsed) {
            (Ping, Parsed::Ping) => {}
            (Ignored(words), Parsed::Ignored(reason)) => assert!(reason.contains(words), "{what}"),
            (Events(expected), Parsed::Events(events)) => {
                let got: Vec<_> = events
                    .iter()
                    .map(|e| {
                        (
                            e.action.as_str(),
                            e.host.as_deref().unwrap(),
                            e.repository.as_str(),
                            e.tag.as_deref(),
                        )
                    })
                    .collect();
                if got != *expected {
                    wrong.push(format!("{what}\n  got {got:?}"));
                    continue;
                }
                for e in &events {
                    assert_eq!(e.source.as_deref(), Some(*sender));
                    let has_digest = e.digest.is_some();
                    // Docker Hub and Quay never send a digest; every other sender does.
                    assert_eq!(
                        has_digest,
                        !matches!(*sender, "dockerhub" | "quay"),
                        "{what}"
                    );
                    assert!(!e.id.is_empty());
                }
            }
            _ => wrong.push(what),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_sender_refuses_what_is_not_its_payload() {
    let huge_envelope = format!(
        r#"{{"events":[{}]}}"#,
        vec![r#"{"action":"pull","target":{}}"#; 101].join(",")
    );
    let bad: &[(&str, &[u8], &str)] = &[
        ("distribution", b"{}", "invalid-json"),
        ("distribution", br#"{"events":{}}"#, "invalid-json"),
        ("distribution", huge_envelope.as_bytes(), "invalid-payload"),
        ("distribution", br#"{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"a","digest":"sha256:x"},"request":{"host":"r.io"}}]}"#, "invalid-payload"),
        ("distribution", br#"{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"a","digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"}}]}"#, "invalid-payload"),
        ("harbor", br#"{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b","tag":"1","resource_url":"noslash"}]}}"#, "invalid-payload"),
        ("harbor", br#"{"type":5}"#, "invalid-json"),
        ("dockerhub", br#"{"push_data":{"tag":"1"},"repository":{}}"#, "invalid-payload"),
        ("dockerhub", br#"{"push_data":{"tag":"Bad Tag"},"repository":{"repo_name":"a/b"}}"#, "invalid-payload"),
        ("quay", br#"{"docker_url":"quay.io/UPPER","updated_tags":["1"]}"#, "invalid-payload"),
        ("gar", br#"{"message":{"data":"not base64!"}}"#, "invalid-payload"),
        ("gar", br#"{"message":{"data":"e30="}}"#, "invalid-json"),
        ("ecr", br#"{"detail-type":"ECR Image Action","account":"1","region":"x","detail":{"result":"SUCCESS","action-type":"PUSH"}}"#, "invalid-payload"),
        ("acr", br#"{"action":"push","target":{"repository":"a","digest":"sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"}}"#, "invalid-payload"),
    ];
    for (sender, body, code) in bad {
        let e = match parse(sender, body, &[]) {
            Err(e) => e,
            Ok(p) => panic!("{sender}: {} -> {p:?}", String::from_utf8_lossy(body)),
        };
        assert_eq!(e.code(), *code, "{sender}: {}", e.message());
    }
    // GitHub says which event it sends; a body without the header is not a package.
    assert!(matches!(
        parse("ghcr", b"{}", &github("star")).unwrap(),
        Parsed::Ignored(_)
    ));
    assert_eq!(
        parse("ghcr", b"[]", &github("package")).unwrap_err().code(),
        "invalid-json"
    );
}

fn hook(path: &str, body: Vec<u8>) -> Request {
    Request::new(Method::Post, path).with_json(body)
}

fn signed(body: Vec<u8>, secret: &str, event: &str) -> Request {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut r = hook("/api/hooks/ghcr", body).with_header("x-hub-signature-256", &signature);
    for (name, value) in github(event) {
        r = r.with_header(&name, &value);
    }
    r
}

#[test]
fn each_sender_proves_itself_its_own_way_and_a_refusal_writes_nothing() {
    let store = MemoryStore::new();
    let cfg =
        Config::from_pairs([("webhook_token", TOKEN), ("github_secret", "gh secret")]).unwrap();
    let ctx = context(cfg);
    let bearer = format!("Bearer {TOKEN}");
    let refused = [
        hook(
            "/api/hooks/distribution",
            read("distribution", "manifest_push.json"),
        ),
        hook(
            "/api/hooks/distribution",
            read("distribution", "manifest_push.json"),
        )
        .with_authorization("Bearer nope"),
        hook("/api/hooks/dockerhub", read("dockerhub", "push.json")),
        hook("/api/hooks/dockerhub/nope", read("dockerhub", "push.json")),
        // A header token is not a path token, and the path token is not a header token.
        hook("/api/hooks/quay", read("quay", "repo_push.json")).with_authorization(&bearer),
        hook(&format!("/api/hooks/ecr/{TOKEN}"), read("ecr", "push.json")),
        signed(
            read("ghcr", "package_published.json"),
            "other secret",
            "package",
        ),
        hook("/api/hooks/ghcr", read("ghcr", "package_published.json")).with_authorization(&bearer),
        // A signature over other bytes.
        {
            let mut r = signed(b"{}".to_vec(), "gh secret", "package");
            r.body = ociref::http::Body::Complete(read("ghcr", "package_published.json"));
            r
        },
    ];
    for request in &refused {
        let response = handle(request, &store, &ctx);
        let body = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(response.status, 401, "{} {body}", request.path);
        assert!(
            !body.contains(TOKEN) && !body.contains("gh secret") && !body.contains("nope"),
            "{body}"
        );
        assert!(store.dump().is_empty(), "{}", request.path);
    }
    let accepted = [
        hook(
            "/api/hooks/distribution",
            read("distribution", "manifest_push.json"),
        )
        .with_authorization(&bearer),
        hook(
            &format!("/api/hooks/dockerhub/{TOKEN}"),
            read("dockerhub", "push.json"),
        ),
        hook(
            &format!("/api/hooks/quay/{TOKEN}"),
            read("quay", "repo_push.json"),
        ),
        hook(
            &format!("/api/hooks/gar/{TOKEN}"),
            read("gar", "insert.json"),
        ),
        hook("/api/hooks/ecr", read("ecr", "push.json")).with_authorization(TOKEN),
        hook("/api/hooks/harbor", read("harbor", "push_default.json")).with_authorization(&bearer),
        signed(
            read("ghcr", "package_published.json"),
            "gh secret",
            "package",
        ),
    ];
    for request in &accepted {
        let (status, body) = call_with(&store, request, &ctx);
        assert_eq!(status, 200, "{} {body}", request.path);
        assert_eq!(
            body["events"][0]["outcome"], "recorded",
            "{} {body}",
            request.path
        );
    }
    for (name, shown) in [
        (
            "registry.example.com/team/app",
            "registry.example.com/team/app:1.4.2",
        ),
        (
            "docker.io/acmecorp/web-api",
            "docker.io/acmecorp/web-api:1.4.2",
        ),
        ("quay.io/acmecorp/web-api", "quay.io/acmecorp/web-api:1.4.2"),
        ("ghcr.io/acmecorp/web-api", "ghcr.io/acmecorp/web-api:1.4.2"),
        // GitHub owners are written with capitals in URLs people copy.
        ("ghcr.io/AcmeCorp/web-api", "ghcr.io/acmecorp/web-api:1.4.2"),
        (
            "harbor.example.com/library/app",
            "harbor.example.com/library/app:1.0.0",
        ),
    ] {
        assert_eq!(badge_message(&store, name), shown, "{name}");
    }
    // Four registries have acmecorp/web-api: the bare name names none of them.
    assert!(badge_message(&store, "acmecorp/web-api").contains("registries have this name"));
    let (status, body) = call(&store, &get("/api/refs/acmecorp/web-api"));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    // One registry has team/app: the bare name finds it.
    assert_eq!(
        badge_message(&store, "team/app"),
        "registry.example.com/team/app:1.4.2"
    );
    // A case-sensitive registry's name with capitals is not folded onto another.
    assert!(badge_message(&store, "registry.example.com/Team/app").starts_with("invalid name"));
}

#[test]
fn a_github_ping_answers_whether_the_secret_is_right_and_writes_nothing() {
    let store = MemoryStore::new();
    let ctx = context(Config::from_pairs([("github_secret", "gh secret")]).unwrap());
    let (status, body) = call_with(
        &store,
        &signed(read("ghcr", "ping.json"), "gh secret", "ping"),
        &ctx,
    );
    assert_eq!((status, &body["authenticated"]), (200, &true.into()));
    let (_, body) = call_with(
        &store,
        &signed(read("ghcr", "ping.json"), "wrong", "ping"),
        &ctx,
    );
    assert_eq!(body["authenticated"], false);
    assert!(store.dump().is_empty());
}

#[test]
fn a_distribution_push_then_delete_falls_back_and_pulls_change_nothing() {
    let store = MemoryStore::new();
    let bearer = format!("Bearer {TOKEN}");
    let send = |file: &str| {
        let (status, body) = call(
            &store,
            &hook("/api/hooks/distribution", read("distribution", file))
                .with_authorization(&bearer),
        );
        assert_eq!(status, 200, "{file}: {body}");
        body
    };
    send("registry-2.8/push-manifest.json");
    let before = store.dump();
    for pull in [
        "registry-2.8/pull-manifest.json",
        "registry-2.8/pull-blob.json",
        "registry-2.8/push-layer-blob.json",
    ] {
        assert_eq!(send(pull)["outcome"], "ignored");
    }
    assert_eq!(store.dump(), before, "pulls and blobs wrote something");
    assert_eq!(
        badge_message(&store, "127.0.0.1:5055/team/app"),
        "127.0.0.1:5055/team/app:1.0.0"
    );
    // The captured delete is of another manifest (1.1.0's): its push, then its delete.
    let pushed = String::from_utf8(read("distribution", "registry-2.8/push-manifest.json"))
        .unwrap()
        .replace(
            "9188530b476e2597bcef5404b93351b3c4152e1fb79bb0e25f2cdfd8f65d7127",
            "953563d5015eb1e08fdd6f9bd7a85a3f1b7b91292724490ffd131d1217a583ef",
        )
        .replace("\"1.0.0\"", "\"1.1.0\"")
        .replace("12:11:03", "12:11:04");
    let pushed = pushed.replace("\"id\": \"", "\"id\": \"x").into_bytes();
    let request = hook("/api/hooks/distribution", pushed).with_authorization(&bearer);
    assert_eq!(call(&store, &request).0, 200);
    assert_eq!(
        badge_message(&store, "127.0.0.1:5055/team/app"),
        "127.0.0.1:5055/team/app:1.1.0"
    );
    send("registry-2.8/delete-manifest.json");
    send("registry-2.8/delete-tag.json");
    assert_eq!(
        badge_message(&store, "127.0.0.1:5055/team/app"),
        "127.0.0.1:5055/team/app:1.0.0"
    );
    let (_, history) = call(&store, &get("/api/history/127.0.0.1:5055/team/app"));
    let actions: Vec<_> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "push", "push"]);
}
