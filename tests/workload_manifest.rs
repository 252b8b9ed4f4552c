//! `deploy/kubernetes/ociref-workload.yaml` (wasmCloud 2, runtime-operator) checked against
//! the operator's WorkloadDeployment CRD (tests/fixtures/wasmcloud2, from wasmCloud v2.7.0):
//! every field exists in the schema and has its type, every `required` field is there, the
//! CRD's CEL rules on `hostInterfaces` hold; and against the component: the host interfaces
//! are exactly what world `ociref-v2` of wit/world.wit imports and exports (read with
//! wit-parser), at the versions a v2 host serves, and the token comes from a Secret while the
//! rest of the config is what ociref accepts.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod k8s;

use k8s::schema::{is_dns_subdomain, Validator};
use ociref::config::Config;
use ociref::tracking::policy::Policy;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const MANIFEST: &str = "deploy/kubernetes/ociref-workload.yaml";
const CRD: &str = "tests/fixtures/wasmcloud2/workloaddeployment-crd.yaml";

/// What a v2.7.0 `wash host` serves through host interfaces, by package: the version an
/// entry names (`None`: unversioned, as the operator's own samples write `wasi:http`).
/// Sources: crates/wash-runtime/src/plugin/{wasi_config,wasi_keyvalue,wasi_logging} and
/// host/http.rs, with the WIT in tests/fixtures/wasmcloud2/wit.
const V2_HOST_INTERFACES: &[(&str, Option<&str>)] = &[
    ("wasi:http", None),
    ("wasi:keyvalue", Some("0.2.0-draft")),
    ("wasi:logging", Some("0.1.0-draft")),
    ("wasi:config", Some("0.2.0-rc.1")),
];

/// Imported by every component without a host interface (wasmtime-wasi). wasi:http's `types`
/// and `outgoing-handler` need none either (engine/mod.rs links them for every component that
/// uses wasi:http; engine/workload.rs binds no plugin for wasi:http): only the export does.
const V2_BASE: &[&str] = &[
    "wasi:clocks",
    "wasi:io",
    "wasi:random",
    "wasi:cli",
    "wasi:filesystem",
    "wasi:sockets",
];

/// The CEL rules of the CRD (`x-kubernetes-validations`), by message; each is checked in
/// `host_interfaces_follow_the_crds_routing_rules`.
const CEL_RULES: &[&str] = &[
    "hostInterfaces must not contain duplicate entries with the same namespace, package, name, and version",
    "at most one unnamed hostInterface is allowed per namespace:package; set a unique name to disambiguate multiple imports of the same package",
];

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn documents() -> Vec<Value> {
    yaml_documents(&file(MANIFEST))
}

fn document(kind: &str) -> Value {
    let mut found: Vec<Value> = documents()
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "{MANIFEST} must hold one {kind}");
    found.remove(0)
}

fn workload() -> Value {
    document("WorkloadDeployment")
}

fn crd() -> Value {
    let mut documents = yaml_documents(&file(CRD));
    assert_eq!(documents.len(), 1, "{CRD}");
    documents.remove(0)
}

/// The CRD's `(group/version, schema)` of its one served version.
fn served_schema() -> (String, Value) {
    let crd = crd();
    let versions = crd["spec"]["versions"].as_array().unwrap();
    let served: Vec<&Value> = versions.iter().filter(|v| v["served"] == true).collect();
    assert_eq!(served.len(), 1, "the fixture serves one version");
    let api_version = format!(
        "{}/{}",
        crd["spec"]["group"].as_str().unwrap(),
        served[0]["name"].as_str().unwrap()
    );
    (api_version, served[0]["schema"]["openAPIV3Schema"].clone())
}

fn errors(resource: &Value) -> Vec<String> {
    let (_, schema) = served_schema();
    let mut validator = Validator::new(CEL_RULES);
    validator.resource(resource, &schema);
    validator.errors
}

fn host_interfaces(workload: &Value) -> Vec<Value> {
    workload["spec"]["template"]["spec"]["hostInterfaces"]
        .as_array()
        .unwrap()
        .clone()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `namespace:package` of a host interface entry.
fn package(entry: &Value) -> String {
    format!("{}:{}", text(&entry["namespace"]), text(&entry["package"]))
}

/// The one entry for `package`.
fn entry(workload: &Value, package_name: &str) -> Value {
    let found: Vec<Value> = host_interfaces(workload)
        .into_iter()
        .filter(|e| package(e) == package_name)
        .collect();
    assert_eq!(found.len(), 1, "one host interface for {package_name}");
    found[0].clone()
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).unwrap())
        .collect()
}

/// `(namespace:package, interface, version)` of every import (`"import"`) or export of world
/// `ociref-v2`, the wasmCloud 2.x build, with what it pulls in through `use`.
fn world(direction: &str) -> BTreeSet<(String, String, String)> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(format!("{}/wit", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let world = &resolve.worlds[resolve.select_world(&[package], Some("ociref-v2")).unwrap()];
    let items = if direction == "import" {
        &world.imports
    } else {
        &world.exports
    };
    items
        .keys()
        .map(|key| {
            let name = resolve.name_world_key(key);
            let (package, rest) = name.split_once('/').unwrap();
            let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
            (package.to_owned(), interface.to_owned(), version.to_owned())
        })
        .collect()
}

#[test]
fn the_fixture_is_the_v2_workloaddeployment_crd() {
    let crd = crd();
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    assert_eq!(crd["spec"]["names"]["kind"], "WorkloadDeployment");
    let (api_version, schema) = served_schema();
    assert_eq!(api_version, "runtime.wasmcloud.dev/v1alpha1");
    // A few facts of the Go types, to show the YAML reader reads the CRD as written.
    let spec = &schema["properties"]["spec"];
    assert_eq!(spec["required"], json!(["template"]));
    assert_eq!(spec["properties"]["replicas"]["default"], 1);
    let template_spec = &spec["properties"]["template"]["properties"]["spec"];
    let host_interface = &template_spec["properties"]["hostInterfaces"];
    assert_eq!(
        host_interface["items"]["required"],
        json!(["interfaces", "namespace", "package"])
    );
    assert_eq!(
        host_interface["items"]["properties"]["interfaces"]["minItems"],
        1
    );
    assert_eq!(host_interface["maxItems"], 64);
    let rules: Vec<&str> = host_interface["x-kubernetes-validations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| text(&r["message"]))
        .collect();
    assert_eq!(rules, CEL_RULES);
    let rule = text(&host_interface["x-kubernetes-validations"][0]["rule"]);
    assert!(
        rule.starts_with("self.all(x, self.exists_one(y, y.__namespace__ == x.__namespace__ && ")
            && rule.contains("(has(y.name) ? y.name : '') == (has(x.name) ? x.name : '')"),
        "multi-line single-quoted scalar read as {rule:?}"
    );
    assert_eq!(
        template_spec["properties"]["components"]["items"]["required"],
        json!(["image", "name"])
    );
    assert!(text(&schema["description"]).starts_with(
        "WorkloadDeployment manages the deployment and scaling of a Workload across hosts,"
    ));
}

#[test]
fn the_manifest_is_valid_against_the_crd() {
    let (api_version, _) = served_schema();
    let w = workload();
    assert_eq!(w["apiVersion"], api_version.as_str());
    assert_eq!(w["metadata"]["name"], "ociref");
    let errors = errors(&w);
    assert!(
        errors.is_empty(),
        "the CRD rejects {MANIFEST}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_validator_rejects_what_the_api_server_rejects() {
    type Edit = fn(&mut Value);
    let cases: &[(&str, Edit, &str)] = &[
        (
            "unknown field",
            |w| w["spec"]["template"]["spec"]["hostInterfaces"][0]["interface"] = json!("x"),
            "spec.template.spec.hostInterfaces[0].interface: unknown field",
        ),
        (
            "missing package",
            |w| {
                w["spec"]["template"]["spec"]["hostInterfaces"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("package");
            },
            "spec.template.spec.hostInterfaces[1].package: required",
        ),
        (
            "no interfaces",
            |w| w["spec"]["template"]["spec"]["hostInterfaces"][2]["interfaces"] = json!([]),
            "spec.template.spec.hostInterfaces[2].interfaces: 0 items, minItems is 1",
        ),
        (
            "missing image",
            |w| {
                w["spec"]["template"]["spec"]["components"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("image");
            },
            "spec.template.spec.components[0].image: required",
        ),
        (
            "wrong type",
            |w| w["spec"]["replicas"] = json!("1"),
            "spec.replicas: must be of type integer",
        ),
        (
            "config value not a string",
            |w| w["spec"]["template"]["spec"]["hostInterfaces"][3]["config"]["x"] = json!(1),
            "spec.template.spec.hostInterfaces[3].config.x: must be of type string",
        ),
        (
            "bad interface name",
            |w| w["spec"]["template"]["spec"]["hostInterfaces"][0]["name"] = json!("Web"),
            "spec.template.spec.hostInterfaces[0].name: \"Web\" does not match",
        ),
        (
            "missing template",
            |w| {
                w["spec"].as_object_mut().unwrap().remove("template");
            },
            "spec.template: required",
        ),
        (
            "unknown field in spec",
            |w| w["spec"]["template"]["spec"]["instances"] = json!(64),
            "spec.template.spec.instances: unknown field",
        ),
        (
            "bad name",
            |w| w["metadata"]["name"] = json!("Ociref"),
            "metadata.name: must be a DNS subdomain",
        ),
    ];
    for (what, edit, expected) in cases {
        let mut w = workload();
        edit(&mut w);
        let errors = errors(&w);
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{what}: expected {expected:?}, got {errors:?}"
        );
    }
}

#[test]
fn host_interfaces_follow_the_crds_routing_rules() {
    let entries = host_interfaces(&workload());
    let name = |e: &Value| text(&e["name"]).to_owned();
    let version = |e: &Value| text(&e["version"]).to_owned();
    // Rule 1: no two entries share namespace, package, name and version.
    let identities: BTreeSet<_> = entries
        .iter()
        .map(|e| (package(e), name(e), version(e)))
        .collect();
    assert_eq!(identities.len(), entries.len(), "duplicate host interfaces");
    // Rule 2: at most one unnamed entry per namespace:package.
    let mut unnamed = BTreeMap::new();
    for e in entries.iter().filter(|e| name(e).is_empty()) {
        *unnamed.entry(package(e)).or_insert(0) += 1;
    }
    assert!(
        unnamed.values().all(|&n| n == 1),
        "more than one unnamed entry for a package: {unnamed:?}"
    );
}

#[test]
fn host_interfaces_cover_the_wit_world_at_the_versions_v2_serves() {
    let w = workload();
    let (imports, exports) = (world("import"), world("export"));
    assert!(exports.contains(&(
        "wasi:http".to_owned(),
        "incoming-handler".to_owned(),
        "0.2.2".to_owned()
    )));
    let mut needed: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let imports = imports
        .iter()
        .filter(|(package, _, _)| !V2_BASE.contains(&package.as_str()) && package != "wasi:http");
    for (package, interface, version) in imports.chain(&exports) {
        let slot = needed.entry(package.clone()).or_default();
        slot.0.insert(interface.clone());
        slot.1.insert(version.clone());
    }
    assert!(needed.contains_key("wasi:keyvalue") && needed.contains_key("wasi:config"));
    let declared: BTreeSet<String> = host_interfaces(&w).iter().map(package).collect();
    assert_eq!(
        declared,
        needed.keys().cloned().collect(),
        "host interfaces must be exactly what the world imports and exports, minus what every component gets"
    );
    for (package, (interfaces, world_versions)) in &needed {
        let served = V2_HOST_INTERFACES
            .iter()
            .find(|(p, _)| *p == package.as_str())
            .unwrap_or_else(|| panic!("a v2 host serves no {package}"))
            .1;
        let e = entry(&w, package);
        let listed: BTreeSet<String> = e["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| text(i).to_owned())
            .collect();
        assert_eq!(&listed, interfaces, "{package}: interfaces");
        assert_eq!(
            e.get("version").map(text),
            served,
            "{package}: the version a v2 host serves"
        );
        let versions: Vec<&str> = world_versions.iter().map(String::as_str).collect();
        let [world_version] = versions[..] else {
            panic!("{package}: one version in wit/world.wit, found {world_versions:?}");
        };
        match served {
            // wasi:http: the host links any 0.2.x.
            None => assert!(
                world_version.starts_with("0.2."),
                "{package}@{world_version}"
            ),
            Some(v) => assert_eq!(
                v, world_version,
                "world ociref-v2 imports {package}@{world_version}, a v2 host serves {v}"
            ),
        }
    }
}

/// Interface definitions of a WIT package, by name: each a sorted list of its top-level
/// items in tokens, so formatting, comments, item order and trailing commas do not count.
fn interfaces(wit: &str) -> BTreeMap<String, Vec<String>> {
    let code: String = wit
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in code.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' || c == '%' || c == '.' || c == '@' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    // Trailing commas.
    let tokens: Vec<String> = (0..tokens.len())
        .filter(|&i| !(tokens[i] == "," && tokens.get(i + 1).is_some_and(|t| t == "}")))
        .map(|i| tokens[i].clone())
        .collect();
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] != "interface" || tokens.get(i + 2).is_none_or(|t| t != "{") {
            i += 1;
            continue;
        }
        let name = tokens[i + 1].clone();
        let (mut depth, mut items, mut item) = (1, Vec::<String>::new(), Vec::new());
        i += 3;
        while depth > 0 {
            let t = tokens[i].clone();
            i += 1;
            match t.as_str() {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if t == ";" && item.is_empty() {
                // `use p.{a, b};` ended at its `}` already.
                if let Some(last) = items.last_mut() {
                    last.push_str(" ;");
                }
                continue;
            }
            item.push(t.clone());
            if depth == 1 && (t == ";" || t == "}") {
                items.push(std::mem::take(&mut item).join(" "));
            }
        }
        assert!(item.is_empty(), "{name}: unterminated item {item:?}");
        items.sort();
        out.insert(name, items);
    }
    out
}

fn package_line(wit: &str) -> String {
    wit.lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .unwrap()
        .trim_end_matches(';')
        .to_owned()
}

#[test]
fn the_wit_v2_serves_differs_from_the_vendored_wit_only_in_version() {
    for (dir, fixture, vendored_version, v2_version) in [
        (
            "config",
            // v2.7.0's file, vendored for world `ociref-v2`.
            "wit/deps/config-0.2.0-rc.1/package.wit",
            "0.2.0-draft",
            "0.2.0-rc.1",
        ),
        (
            "keyvalue",
            "tests/fixtures/wasmcloud2/wit/wasi-keyvalue-0.2.0-draft.wit",
            "0.2.0-draft",
            "0.2.0-draft",
        ),
        (
            "logging",
            "tests/fixtures/wasmcloud2/wit/wasi-logging-0.1.0-draft.wit",
            "0.1.0-draft",
            "0.1.0-draft",
        ),
    ] {
        let v2 = file(fixture);
        let mut files: Vec<_> =
            std::fs::read_dir(format!("{}/wit/deps/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|f| f.unwrap().path())
                .collect();
        files.sort();
        let vendored: String = files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(package_line(&v2), format!("wasi:{dir}@{v2_version}"));
        assert_eq!(
            package_line(&vendored),
            format!("wasi:{dir}@{vendored_version}")
        );
        let (theirs, ours) = (interfaces(&v2), interfaces(&vendored));
        assert!(!theirs.is_empty());
        assert_eq!(
            theirs, ours,
            "wasi:{dir}: v2's interfaces differ from wit/deps/{dir}"
        );
    }
}

/// The Secret example in the manifest's leading comment.
fn commented_secret() -> Value {
    let manifest = file(MANIFEST);
    let lines: Vec<&str> = manifest.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "# or, as a manifest:")
        .expect("the commented Secret example");
    let body: Vec<&str> = lines[start + 1..]
        .iter()
        .skip_while(|l| **l == "#")
        .take_while(|l| l.starts_with("#   "))
        .map(|l| &l[4..])
        .collect();
    serde_yaml::from_str(&body.join("\n")).unwrap()
}

#[test]
fn the_token_comes_from_the_secret_and_ociref_accepts_the_config() {
    let w = workload();
    let config = entry(&w, "wasi:config");
    assert_eq!(config["secretFrom"], json!([{ "name": "ociref" }]));
    // No secret in the manifest itself: not in any config map, environment or local config.
    let manifest = file(MANIFEST);
    let outside_comments: String = manifest
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!outside_comments.contains("webhook_token") && !outside_comments.contains("_token:"));

    let secret = commented_secret();
    assert_eq!(secret["apiVersion"], "v1");
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(secret["metadata"]["name"], config["secretFrom"][0]["name"]);
    let secret_data = secret["stringData"].as_object().unwrap();
    assert_eq!(
        secret_data.keys().collect::<Vec<_>>(),
        ["webhook_token"],
        "the Secret holds the token only"
    );
    assert!(
        manifest.contains(r#"kubectl create secret generic ociref --from-literal=webhook_token="#)
    );

    // What the host hands ociref through wasi:config/store: the entry's config, then the
    // Secret's keys (runtime-operator MaterializeConfigLayer: config, configFrom, secretFrom).
    let mut pairs: BTreeMap<String, String> = config["config"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), text(v).to_owned()))
        .collect();
    assert_eq!(pairs.get("policy").map(String::as_str), Some("semver"));
    let token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for key in secret_data.keys() {
        pairs.insert(key.clone(), token.to_owned());
    }
    let parsed = Config::from_pairs(&pairs).unwrap();
    assert_eq!(parsed.webhook_token.as_deref(), Some(token));
    assert_eq!(parsed.selection.policy, Policy::Semver);
}

#[test]
fn http_is_served_on_a_host_name_through_the_service() {
    let w = workload();
    let http = entry(&w, "wasi:http");
    let host = text(&http["config"]["host"]);
    assert!(
        is_dns_subdomain(host) && host.contains('.'),
        "the host's router matches the Host header against config.host, an RFC 1123 name: {host:?}"
    );
    let service_name = &w["spec"]["template"]["spec"]["kubernetes"]["service"]["name"];
    let service = document("Service");
    assert_eq!(service["apiVersion"], "v1");
    assert_eq!(&service["metadata"]["name"], service_name);
    assert!(
        service["spec"].get("selector").is_none(),
        "the operator manages the EndpointSlice; a selector would add Kubernetes' own"
    );
    let ports = service["spec"]["ports"].as_array().unwrap();
    assert!(
        ports
            .iter()
            .any(|p| p["name"] == "http" && p["protocol"] == "TCP"),
        "the operator's EndpointSlice port is named http"
    );
    // Nothing else in the file.
    let kinds: Vec<Value> = documents().iter().map(|d| d["kind"].clone()).collect();
    assert_eq!(kinds, [json!("WorkloadDeployment"), json!("Service")]);
}

#[test]
fn one_component_with_the_image_placeholder() {
    let w = workload();
    let components = w["spec"]["template"]["spec"]["components"]
        .as_array()
        .unwrap();
    assert_eq!(components.len(), 1);
    assert_eq!(components[0]["name"], "ociref");
    let image = text(&components[0]["image"]);
    let (repository, tag) = image.rsplit_once(':').unwrap();
    assert!(
        repository.ends_with("/ociref") && !tag.is_empty(),
        "{image}"
    );
}
