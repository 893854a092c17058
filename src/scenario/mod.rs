//! Scenario files: TOML → [`raw::RawScenario`] → validated [`model::Scenario`].
//!
//! Owns the loading pipeline: read the file, follow `extends` and deep-merge (`source`), apply
//! `--set` overrides, deserialize with serde (`raw`), validate (`validate`), and report every
//! problem at once as `file:line: key.path: message` (`error`). Must not: simulate, or let any
//! user input panic.
//!
//! ```no_run
//! let loaded = tenancy::scenario::load_file(
//!     std::path::Path::new("scenarios/base.toml"),
//!     &[("swap.strike_utilization".to_owned(), "0.5".to_owned())],
//! );
//! ```

pub mod error;
pub mod model;
pub mod presets;
pub mod raw;
pub mod source;
pub mod validate;

use std::path::{Path, PathBuf};

pub use error::{ScenarioError, ScenarioErrors};
pub use model::*;

use raw::RawScenario;
use source::{path_at, span_entries, Origins};

/// A loaded, validated scenario and its provenance.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    /// The merged document (after `extends` and overrides), pretty-printed TOML.
    pub source_toml: String,
    /// Every file read: the scenario file first, then the files it extends, in chain order
    /// (`load_str` / `load_embedded_base` list only the extended files, if any).
    pub files: Vec<PathBuf>,
}

/// The base scenario shipped with the binary.
pub const BASE_TOML: &str = include_str!("../../scenarios/base.toml");

/// Label used for [`BASE_TOML`] in error messages.
pub const BASE_LABEL: &str = "scenarios/base.toml";

/// Loads a scenario file (relative `extends` paths resolve against its folder), applies
/// `overrides` (dotted key, TOML value or bare string) and validates it.
pub fn load_file(path: &Path, overrides: &[(String, String)]) -> Result<Loaded, ScenarioErrors> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: label.clone(),
        line: None,
        key: String::new(),
        message: format!("cannot read scenario file: {e}"),
    })?;
    load_impl(&text, &label, Some(path), path.parent(), overrides)
}

/// Loads the embedded base scenario with `overrides`.
pub fn load_embedded_base(overrides: &[(String, String)]) -> Result<Loaded, ScenarioErrors> {
    load_str(BASE_TOML, BASE_LABEL, None, overrides)
}

/// Loads a scenario from text; `file_label` names it in errors, `base_dir` resolves relative
/// `extends` paths (the current directory when `None`).
pub fn load_str(
    src: &str,
    file_label: &str,
    base_dir: Option<&Path>,
    overrides: &[(String, String)],
) -> Result<Loaded, ScenarioErrors> {
    load_impl(src, file_label, None, base_dir, overrides)
}

/// Splits a CLI `--set key=value` argument at its first `=` (both sides trimmed); the value is
/// parsed later as a TOML value, falling back to a bare string.
pub fn parse_override(arg: &str) -> Result<(String, String), ScenarioError> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(ScenarioError {
            file: source::OVERRIDE_LABEL.to_owned(),
            line: None,
            key: arg.to_owned(),
            message: "expected key=value, e.g. swap.strike_utilization=0.5".to_owned(),
        }),
    }
}

/// Pretty JSON Schema of the scenario file format ([`RawScenario`]).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawScenario);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

fn load_impl(
    src: &str,
    label: &str,
    own_path: Option<&Path>,
    base_dir: Option<&Path>,
    overrides: &[(String, String)],
) -> Result<Loaded, ScenarioErrors> {
    let merged = source::merge_sources(src, label, own_path, base_dir, overrides)?;
    let source_toml = toml::to_string_pretty(&merged.table).unwrap_or_default();
    let Deserialized {
        raw,
        mut errors,
        patched,
    } = deserialize(merged.table, &merged.origins);
    if let Some(raw) = raw {
        match validate::validate(&raw) {
            Ok(scenario) if errors.is_empty() => {
                return Ok(Loaded {
                    scenario,
                    source_toml,
                    files: merged.files,
                })
            }
            Ok(_) => {}
            Err(problems) => errors.extend(
                problems
                    .into_iter()
                    .filter(|(key, _)| !patched.iter().any(|p| is_under(key, p)))
                    .map(|(key, message)| merged.origins.error(&key, message)),
            ),
        }
    }
    if errors.is_empty() {
        // Unreachable by construction (every failed step records a problem); kept so the error
        // list is never empty.
        errors.push(merged.origins.error("", "scenario could not be read"));
    }
    errors.sort_by(|a, b| {
        (a.file.as_str(), a.line.unwrap_or(usize::MAX))
            .cmp(&(b.file.as_str(), b.line.unwrap_or(usize::MAX)))
    });
    Err(ScenarioErrors(errors))
}

/// Maximum number of serde errors collected (each costs a re-parse of the merged document).
const MAX_SERDE_ERRORS: usize = 32;

/// True when `path` is `prefix` or lies below it.
fn is_under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The tagged table (`kind` / `method` key) that `key` belongs to, if any: type errors inside
/// it are patched as a whole, since its other keys depend on the tag.
fn tagged_parent(table: &toml::Table, key: &str) -> Option<String> {
    let parent = source::parent_path(key)?;
    let last = key[parent.len()..].trim_start_matches('.');
    let tagged = match source::get_path(table, parent) {
        Some(toml::Value::Table(t)) => t.contains_key("kind") || t.contains_key("method"),
        _ => false,
    };
    (tagged || last == "kind" || last == "method").then(|| parent.to_owned())
}

/// Serde problems of the merged document and the key paths patched to get past them.
struct Deserialized {
    raw: Option<RawScenario>,
    errors: Vec<ScenarioError>,
    /// Keys whose value was replaced (by the base scenario's) or removed after an error;
    /// validation problems below them are not reported again.
    patched: Vec<String>,
}

/// Deserializes the merged table, collecting serde errors (unknown key, wrong type, missing
/// key) one by one: each offending key is reported, then removed (unknown keys) or replaced by
/// the embedded base scenario's value (removed when the base has none), and deserialization
/// retried, so that all such problems, and the range problems of the rest, come out together.
fn deserialize(mut table: toml::Table, origins: &Origins) -> Deserialized {
    let fallback: toml::Table = toml::from_str(BASE_TOML).unwrap_or_default();
    let mut out = Deserialized {
        raw: None,
        errors: Vec::new(),
        patched: Vec::new(),
    };
    let mut removed_unknown: Vec<String> = Vec::new();
    for _ in 0..MAX_SERDE_ERRORS {
        let text = match toml::to_string(&table) {
            Ok(t) => t,
            Err(e) => {
                out.errors
                    .push(origins.error("", format!("cannot serialize merged document: {e}")));
                return out;
            }
        };
        let e = match toml::from_str::<RawScenario>(&text) {
            Ok(raw) => {
                out.raw = Some(raw);
                return out;
            }
            Err(e) => e,
        };
        let path = match (e.span(), toml_edit::ImDocument::parse(text.clone())) {
            (Some(span), Ok(doc)) if !(span.start == 0 && span.end + 1 >= text.len()) => {
                path_at(&span_entries(&doc), span)
            }
            _ => String::new(),
        };
        let join = |field: &str| {
            if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            }
        };
        let message = e.message().trim().to_owned();
        if let Some(field) = unknown_field(&message) {
            let key = if path.ends_with(field) {
                path.clone()
            } else {
                join(field)
            };
            if removed_unknown.contains(&key) {
                return out;
            }
            out.errors.push(origins.error(&key, message));
            if !source::remove_path(&mut table, &key) {
                return out;
            }
            removed_unknown.push(key);
            continue;
        }
        let key = match missing_field(&message) {
            Some(field) => {
                // The span may point into the table's first key: climb to the table itself.
                let mut table_path = path.as_str();
                while !table_path.is_empty()
                    && !matches!(
                        source::get_path(&table, table_path),
                        Some(toml::Value::Table(_))
                    )
                {
                    table_path = source::parent_path(table_path).unwrap_or("");
                }
                let key = if table_path.is_empty() {
                    field.to_owned()
                } else {
                    format!("{table_path}.{field}")
                };
                out.errors
                    .push(origins.error(&key, format!("missing required key `{field}`")));
                key
            }
            None => {
                out.errors.push(origins.error(&path, message));
                path.clone()
            }
        };
        let target = tagged_parent(&table, &key).unwrap_or(key);
        if target.is_empty() || out.patched.iter().any(|p| is_under(&target, p)) {
            return out;
        }
        let fixed = match source::get_path(&fallback, &target) {
            Some(v) => source::set_path(&mut table, &target, v.clone()).is_ok(),
            None => source::remove_path(&mut table, &target),
        };
        if !fixed {
            return out;
        }
        out.patched.push(target);
    }
    out
}

/// The field named by a serde "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    backticked(message.strip_prefix("missing field ")?)
}

/// The field named by a serde "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    backticked(message.strip_prefix("unknown field ")?)
}

fn backticked(s: &str) -> Option<&str> {
    let s = s.strip_prefix('`')?;
    Some(&s[..s.find('`')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_loads_and_matches_its_numbers() {
        let loaded = load_embedded_base(&[]);
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => panic!("base.toml must load:\n{e}"),
        };
        let s = &loaded.scenario;
        assert_eq!(s.name, "base");
        assert_eq!(s.cluster.gpus, 512);
        assert_eq!(s.swap.fixed_price, FixedPrice::Usd(1.90));
        assert_eq!(s.market.correlation.matrix[0][1], 0.5);
        assert!(s.market.correlation.repair.is_none());
    }

    #[test]
    fn override_arguments_split_at_the_first_equals() {
        assert_eq!(
            parse_override(" swap.fixed_price_usd_per_gpu_hour = par "),
            Ok(("swap.fixed_price_usd_per_gpu_hour".into(), "par".into()))
        );
        assert_eq!(
            parse_override("name=\"a=b\""),
            Ok(("name".into(), "\"a=b\"".into()))
        );
        assert!(parse_override("no_equals").is_err());
        assert!(parse_override("=1").is_err());
    }

    #[test]
    fn message_fields() {
        assert_eq!(missing_field("missing field `swap`"), Some("swap"));
        assert_eq!(
            unknown_field("unknown field `foo`, expected one of `a`"),
            Some("foo")
        );
    }
}
