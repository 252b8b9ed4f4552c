//! Checks an object against a CRD's structural `openAPIV3Schema` the way the API server does
//! for the parts a manifest can get wrong: types, unknown fields (the server prunes or, with
//! `kubectl apply --validate=strict`, rejects them), `required`, `enum`, lengths, item counts
//! and minimums.
//!
//! What it cannot evaluate it refuses instead of passing: a schema keyword it does not know,
//! a `pattern` without a checker in [`PATTERNS`], and an `x-kubernetes-validations` (CEL)
//! rule whose message the caller has not declared as checked elsewhere.

use serde_json::{Map, Value};

/// A hand-written equivalent of one regular expression.
pub type PatternCheck = fn(&str) -> bool;

/// Regular expressions of the CRD that a value in a manifest may have to match, each with an
/// equivalent check (the crate has no regex engine).
pub const PATTERNS: &[(&str, PatternCheck)] = &[
    // HostInterface.name
    ("^[a-z0-9][a-z0-9-]*$", |s| {
        s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }),
];

/// Keywords that only document or only matter to the server's storage, not to validity.
const INERT: &[&str] = &[
    "description",
    "default",
    "x-kubernetes-map-type",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "example",
    "title",
];

pub struct Validator<'a> {
    /// Messages of the CEL rules the caller checks itself.
    pub checked_rules: &'a [&'a str],
    pub errors: Vec<String>,
}

impl<'a> Validator<'a> {
    pub fn new(checked_rules: &'a [&'a str]) -> Self {
        Self {
            checked_rules,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, path: &str, why: impl std::fmt::Display) {
        self.errors.push(format!(
            "{}: {why}",
            if path.is_empty() { "(root)" } else { path }
        ));
    }

    /// Validates a whole resource: `metadata` as ObjectMeta (the CRD only says `type: object`
    /// there), everything else against `schema`.
    pub fn resource(&mut self, value: &Value, schema: &Value) {
        let Some(object) = value.as_object() else {
            return self.fail("", "a resource must be an object");
        };
        let mut rest = object.clone();
        match rest.remove("metadata") {
            Some(metadata) => self.object_meta(&metadata),
            None => self.fail("metadata", "required (metadata.name)"),
        }
        let mut schema = schema.clone();
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            properties.remove("metadata");
        }
        self.value(&Value::Object(rest), &schema, "");
    }

    fn object_meta(&mut self, metadata: &Value) {
        let Some(meta) = metadata.as_object() else {
            return self.fail("metadata", "must be an object");
        };
        for (key, value) in meta {
            let path = format!("metadata.{key}");
            match key.as_str() {
                "name" | "namespace" | "generateName" => match value.as_str() {
                    Some(name) if is_dns_subdomain(name) => {}
                    _ => self.fail(&path, "must be a DNS subdomain (RFC 1123)"),
                },
                "labels" | "annotations" => {
                    if !value
                        .as_object()
                        .is_some_and(|m| m.values().all(Value::is_string))
                    {
                        self.fail(&path, "must map strings to strings");
                    }
                }
                _ => self.fail(&path, "not an ObjectMeta field a manifest sets"),
            }
        }
        if !meta.contains_key("name") && !meta.contains_key("generateName") {
            self.fail("metadata.name", "required");
        }
    }

    pub fn value(&mut self, value: &Value, schema: &Value, path: &str) {
        let Some(schema) = schema.as_object() else {
            return self.fail(path, "schema is not an object");
        };
        for keyword in schema.keys() {
            let known = INERT.contains(&keyword.as_str())
                || matches!(
                    keyword.as_str(),
                    "type"
                        | "properties"
                        | "additionalProperties"
                        | "items"
                        | "required"
                        | "enum"
                        | "format"
                        | "minItems"
                        | "maxItems"
                        | "minLength"
                        | "maxLength"
                        | "minimum"
                        | "maximum"
                        | "pattern"
                        | "nullable"
                        | "x-kubernetes-validations"
                        | "x-kubernetes-preserve-unknown-fields"
                        | "x-kubernetes-int-or-string"
                );
            if !known {
                self.fail(
                    path,
                    format!("schema keyword {keyword:?} is not understood by this validator"),
                );
            }
        }
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
            if !(value.is_i64() || value.is_u64() || value.is_string()) {
                self.fail(path, "must be an integer or a string");
            }
        } else {
            let Some(kind) = schema.get("type").and_then(Value::as_str) else {
                return self.fail(path, "schema without a type");
            };
            let matches = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                other => {
                    return self.fail(path, format!("unknown schema type {other:?}"));
                }
            };
            if !matches {
                return self.fail(path, format!("must be of type {kind}, found {value}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                self.fail(path, format!("{value} is not one of {allowed:?}"));
            }
        }
        if let Some(rules) = schema
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            for rule in rules {
                let message = rule.get("message").and_then(Value::as_str).unwrap_or("");
                if !self.checked_rules.contains(&message) {
                    self.fail(path, format!("CEL rule not checked by this suite: {rule}"));
                }
            }
        }
        match value {
            Value::Object(object) => self.object(object, schema, path),
            Value::Array(items) => {
                self.bounds(path, items.len(), schema, "minItems", "maxItems", "items");
                match schema.get("items") {
                    Some(item_schema) => {
                        for (i, item) in items.iter().enumerate() {
                            self.value(item, item_schema, &format!("{path}[{i}]"));
                        }
                    }
                    None => self.fail(path, "array schema without items"),
                }
            }
            Value::String(s) => {
                self.bounds(
                    path,
                    s.chars().count(),
                    schema,
                    "minLength",
                    "maxLength",
                    "characters",
                );
                if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                    match PATTERNS.iter().find(|(p, _)| *p == pattern) {
                        Some((_, check)) if check(s) => {}
                        Some(_) => self.fail(path, format!("{s:?} does not match {pattern}")),
                        None => self.fail(path, format!("no checker for pattern {pattern}")),
                    }
                }
                if let Some(format) = schema.get("format").and_then(Value::as_str) {
                    if format != "date-time" || !s.contains('T') {
                        self.fail(path, format!("{s:?} is not checked as format {format}"));
                    }
                }
            }
            Value::Number(n) => {
                let as_f64 = n.as_f64().unwrap_or(f64::NAN);
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                    if as_f64 < min {
                        self.fail(path, format!("{n} is below the minimum {min}"));
                    }
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                    if as_f64 > max {
                        self.fail(path, format!("{n} is above the maximum {max}"));
                    }
                }
                let range = match schema.get("format").and_then(Value::as_str) {
                    Some("int32") => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
                    Some("int64") | None => None,
                    Some(other) => {
                        self.fail(path, format!("number format {other} is not checked"));
                        None
                    }
                };
                if let Some((lo, hi)) = range {
                    if !(lo..=hi).contains(&as_f64) {
                        self.fail(path, format!("{n} does not fit int32"));
                    }
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn bounds(
        &mut self,
        path: &str,
        n: usize,
        schema: &Map<String, Value>,
        min: &str,
        max: &str,
        what: &str,
    ) {
        if let Some(lo) = schema.get(min).and_then(Value::as_u64) {
            if (n as u64) < lo {
                self.fail(path, format!("{n} {what}, {min} is {lo}"));
            }
        }
        if let Some(hi) = schema.get(max).and_then(Value::as_u64) {
            if (n as u64) > hi {
                self.fail(path, format!("{n} {what}, {max} is {hi}"));
            }
        }
    }

    fn object(&mut self, object: &Map<String, Value>, schema: &Map<String, Value>, path: &str) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                self.fail(&join(key), "required by the CRD but missing");
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let preserve =
            schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        for (key, value) in object {
            if let Some(property) = properties.and_then(|p| p.get(key)) {
                self.value(value, property, &join(key));
            } else if let Some(additional) = additional.filter(|a| a.is_object()) {
                self.value(value, additional, &join(key));
            } else if !preserve {
                self.fail(&join(key), "unknown field (not in the CRD schema)");
            }
        }
    }
}

/// RFC 1123 subdomain, as Kubernetes object names and HTTP host names use it.
pub fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
