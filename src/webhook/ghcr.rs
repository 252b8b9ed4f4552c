//! GitHub Container Registry, through GitHub's `package` and `registry_package` webhook events
//! (`published`, `updated`). GitHub signs each delivery (`X-Hub-Signature-256`), names it
//! (`X-GitHub-Delivery`, our idempotency key) and says what it is (`X-GitHub-Event`). Image names
//! are `ghcr.io/<owner>/<package>` in lower case, whatever case the owner's login has. A
//! multi-platform push also publishes each platform's manifest, untagged: those are ignored.

use super::fields::{bounded, derived_id, digest, json, repository, required, shown, tag};
use super::{Parsed, Payload, Proof, Sender, WebhookError};
use crate::event::{Action, Event};
use serde::Deserialize;

pub const SENDER: Sender = Sender {
    name: "ghcr",
    proof: Proof::GithubSignature,
    parse,
    batches: true,
};

pub const HOST: &str = "ghcr.io";

#[derive(Deserialize)]
struct Body {
    action: Option<String>,
    package: Option<Package>,
    registry_package: Option<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    package_type: Option<String>,
    owner: Owner,
    package_version: Option<Version>,
}

#[derive(Deserialize)]
struct Owner {
    login: String,
}

#[derive(Deserialize)]
struct Version {
    /// For containers, the manifest digest.
    version: Option<String>,
    container_metadata: Option<ContainerMetadata>,
}

#[derive(Deserialize)]
struct ContainerMetadata {
    tag: Option<TagInfo>,
}

#[derive(Deserialize)]
struct TagInfo {
    name: Option<String>,
    digest: Option<String>,
}

pub fn parse(payload: Payload<'_>) -> Result<Parsed, WebhookError> {
    let kind = payload.header("x-github-event").unwrap_or_default();
    match kind {
        "ping" => return Ok(Parsed::Ping),
        "package" | "registry_package" => {}
        other => {
            return Ok(Parsed::Ignored(format!(
                "ociref reads package and registry_package events, not {}",
                shown(other)
            )))
        }
    }
    let body: Body = json(payload.body)?;
    let action = body.action.unwrap_or_default();
    if action != "published" && action != "updated" {
        return Ok(Parsed::Ignored(format!(
            "ociref reads published and updated packages, not {}",
            shown(&action)
        )));
    }
    let what = format!("a {kind} event");
    let package = required(kind, &what, body.package.or(body.registry_package))?;
    if !package
        .package_type
        .as_deref()
        .unwrap_or("container")
        .eq_ignore_ascii_case("container")
    {
        return Ok(Parsed::Ignored("not a container package".into()));
    }
    let version = required("package_version", &what, package.package_version)?;
    let tag_info = version.container_metadata.and_then(|m| m.tag);
    let (tag_name, tag_digest) = tag_info.map(|t| (t.name, t.digest)).unwrap_or_default();
    let Some(tag) = tag(tag_name)? else {
        return Ok(Parsed::Ignored(
            "an untagged manifest (one platform of a multi-platform image) never becomes latest"
                .into(),
        ));
    };
    let digest = required(
        "package_version.container_metadata.tag.digest",
        &what,
        digest(tag_digest.or(version.version))?,
    )?;
    let repository =
        repository(format!("{}/{}", package.owner.login, package.name).to_ascii_lowercase())?;
    let id = match bounded(
        "X-GitHub-Delivery",
        payload.header("x-github-delivery").map(str::to_owned),
    )? {
        Some(id) => id,
        None => derived_id(&[kind, &repository, &tag, &digest]),
    };
    // No time: GitHub's version times are 0001-01-01 for containers, so receipt orders them.
    Ok(Parsed::Events(vec![Event {
        tag: Some(tag),
        digest: Some(digest),
        ..SENDER.event(id, Action::Push, HOST.into(), repository)
    }]))
}
