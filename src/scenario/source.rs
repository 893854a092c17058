//! Scenario sources: reading files, resolving `extends`, applying `--set` overrides, and
//! remembering which file and line defined every key.
//!
//! Owns the deep-merge rules and key locations ([`Origins`]). Must not: interpret values
//! (that is `raw` via serde) or check ranges (that is `validate`).
//!
//! Merge rules: tables merge key by key (the child wins, recursively); arrays and scalars
//! replace; a *tagged* table (one that has a `kind` or `method` key, e.g. `curve` or
//! `initial_margin`) replaces the parent's table as a whole, since its keys depend on the tag.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::{ScenarioError, ScenarioErrors};

/// File label used for keys set by `--set` overrides.
pub const OVERRIDE_LABEL: &str = "--set";

/// Maximum depth of an `extends` chain (a guard; cycles are detected explicitly).
const MAX_EXTENDS_DEPTH: usize = 32;

/// Where every key of the merged document was defined: dotted key path → (file, 1-based line).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    map: HashMap<String, (String, Option<usize>)>,
    /// File blamed for keys that no file defined (defaults): the top-level file.
    top_file: String,
}

impl Origins {
    /// File and line of `key`, falling back to the closest parent defined in a file, then to
    /// the top-level file without a line.
    pub fn locate(&self, key: &str) -> (String, Option<usize>) {
        let mut path = key;
        loop {
            if let Some((file, line)) = self.map.get(path) {
                return (file.clone(), *line);
            }
            match parent_path(path) {
                Some(p) => path = p,
                None => return (self.top_file.clone(), None),
            }
        }
    }

    /// An error at `key` with its location filled in.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        let (file, line) = self.locate(key);
        ScenarioError {
            file,
            line,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// Records the keys `entries` of one file, which replace deeper keys of earlier files
    /// wherever the entry is not a mergeable table.
    fn absorb(&mut self, file: &str, text: &str, entries: &[SpanEntry]) {
        for e in entries.iter().filter(|e| e.replaces) {
            let dot = format!("{}.", e.path);
            let bracket = format!("{}[", e.path);
            self.map
                .retain(|k, _| !(k.starts_with(&dot) || k.starts_with(&bracket)));
        }
        for e in entries {
            let line = e.range.as_ref().map(|r| line_of(text, r.start));
            self.map.insert(e.path.clone(), (file.to_owned(), line));
        }
    }

    /// Records an override of `path` (replacing everything below it).
    fn set_override(&mut self, path: &str) {
        let dot = format!("{path}.");
        let bracket = format!("{path}[");
        self.map
            .retain(|k, _| !(k.starts_with(&dot) || k.starts_with(&bracket)));
        self.map
            .insert(path.to_owned(), (OVERRIDE_LABEL.to_owned(), None));
    }
}

/// The merged document of a scenario and its provenance.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged TOML table (without `extends`), overrides applied.
    pub table: toml::Table,
    pub origins: Origins,
    /// Every file read, the including file first.
    pub files: Vec<PathBuf>,
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The dotted path one level up (`a.b[2].c` → `a.b[2]` → `a.b` → `a`), `None` at the top.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// One key (or array element) of a parsed document with its byte range (key start to value
/// end) and whether it replaces what an ancestor file had below it.
#[derive(Debug, Clone)]
pub struct SpanEntry {
    pub path: String,
    pub range: Option<Range<usize>>,
    pub replaces: bool,
}

fn is_tagged_edit(item: &toml_edit::Item) -> bool {
    match item {
        toml_edit::Item::Table(t) => t.contains_key("kind") || t.contains_key("method"),
        toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
            t.contains_key("kind") || t.contains_key("method")
        }
        _ => false,
    }
}

fn union(a: Option<Range<usize>>, b: Option<Range<usize>>) -> Option<Range<usize>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.start.min(b.start)..a.end.max(b.end)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Every key path of a toml_edit document with its span (key start to value end).
pub fn span_entries(doc: &toml_edit::ImDocument<String>) -> Vec<SpanEntry> {
    let mut out = Vec::new();
    walk_table(doc.as_table(), "", false, &mut out);
    out
}

/// Walks a table's entries; returns the union of their ranges.
fn walk_table(
    table: &toml_edit::Table,
    path: &str,
    inside_replaced: bool,
    out: &mut Vec<SpanEntry>,
) -> Option<Range<usize>> {
    let mut all = None;
    for (k, _) in table.iter() {
        if let Some((key, item)) = table.get_key_value(k) {
            let r = walk_entry(key, item, &child_path(path, k), inside_replaced, out);
            all = union(all, r);
        }
    }
    all
}

fn walk_entry(
    key: &toml_edit::Key,
    item: &toml_edit::Item,
    path: &str,
    inside_replaced: bool,
    out: &mut Vec<SpanEntry>,
) -> Option<Range<usize>> {
    let index = out.len();
    let replaces = !inside_replaced
        && (is_tagged_edit(item)
            || !matches!(
                item,
                toml_edit::Item::Table(_)
                    | toml_edit::Item::Value(toml_edit::Value::InlineTable(_))
            ));
    out.push(SpanEntry {
        path: path.to_owned(),
        range: None,
        replaces,
    });
    let below = inside_replaced || replaces;
    let inner = walk_item(item, path, below, out);
    let range = union(union(key.span(), item.span()), inner);
    out[index].range = range.clone();
    range
}

fn walk_item(
    item: &toml_edit::Item,
    path: &str,
    inside_replaced: bool,
    out: &mut Vec<SpanEntry>,
) -> Option<Range<usize>> {
    match item {
        toml_edit::Item::Table(t) => union(t.span(), walk_table(t, path, inside_replaced, out)),
        toml_edit::Item::ArrayOfTables(a) => {
            let mut all = a.span();
            for (i, t) in a.iter().enumerate() {
                let r = array_element(path, i, out, |p, out| {
                    union(t.span(), walk_table(t, p, true, out))
                });
                all = union(all, r);
            }
            all
        }
        toml_edit::Item::Value(v) => walk_value(v, path, inside_replaced, out),
        toml_edit::Item::None => None,
    }
}

/// Record element `i` of the array at `path`: its entry comes before its children's, and its
/// range is what `walk` returns for it (the union of its own span and its children's).
fn array_element(
    path: &str,
    i: usize,
    out: &mut Vec<SpanEntry>,
    walk: impl FnOnce(&str, &mut Vec<SpanEntry>) -> Option<Range<usize>>,
) -> Option<Range<usize>> {
    let p = format!("{path}[{i}]");
    let index = out.len();
    out.push(SpanEntry {
        path: p.clone(),
        range: None,
        replaces: false,
    });
    let r = walk(&p, out);
    out[index].range = r.clone();
    r
}

fn walk_value(
    value: &toml_edit::Value,
    path: &str,
    inside_replaced: bool,
    out: &mut Vec<SpanEntry>,
) -> Option<Range<usize>> {
    match value {
        toml_edit::Value::InlineTable(t) => {
            let mut all = t.span();
            for (k, _) in t.iter() {
                if let Some((key, item)) = t.get_key_value(k) {
                    let r = walk_entry(key, item, &child_path(path, k), inside_replaced, out);
                    all = union(all, r);
                }
            }
            all
        }
        toml_edit::Value::Array(a) => {
            let mut all = a.span();
            for (i, v) in a.iter().enumerate() {
                let r = array_element(path, i, out, |p, out| {
                    union(v.span(), walk_value(v, p, true, out))
                });
                all = union(all, r);
            }
            all
        }
        other => other.span(),
    }
}

/// The key path an error span of a document points at: the deepest entry whose range
/// contains the whole span; else the shallowest entry inside the span; else empty.
pub fn path_at(entries: &[SpanEntry], span: Range<usize>) -> String {
    let depth = |p: &str| p.matches(['.', '[']).count();
    let containing = entries
        .iter()
        .filter(|e| {
            e.range
                .as_ref()
                .is_some_and(|r| r.start <= span.start && span.end <= r.end.max(r.start + 1))
        })
        .max_by_key(|e| depth(&e.path));
    if let Some(e) = containing {
        return e.path.clone();
    }
    entries
        .iter()
        .filter(|e| {
            e.range
                .as_ref()
                .is_some_and(|r| span.start <= r.start && r.end <= span.end)
        })
        .min_by_key(|e| depth(&e.path))
        .map(|e| e.path.clone())
        .unwrap_or_default()
}

/// A TOML syntax error as a located [`ScenarioError`].
fn syntax_error(file: &str, text: &str, e: &toml_edit::TomlError) -> ScenarioError {
    let line = e.span().map(|r| line_of(text, r.start));
    let message = e
        .message()
        .trim()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .to_owned();
    ScenarioError {
        file: file.to_owned(),
        line,
        key: String::new(),
        message: format!("TOML syntax error: {message}"),
    }
}

/// One parsed file of an `extends` chain.
struct Layer {
    label: String,
    text: String,
    table: toml::Table,
    entries: Vec<SpanEntry>,
}

/// Parses one source text into its value table and span entries.
fn parse_layer(label: &str, text: String) -> Result<Layer, ScenarioError> {
    let doc =
        toml_edit::ImDocument::parse(text.clone()).map_err(|e| syntax_error(label, &text, &e))?;
    let entries = span_entries(&doc);
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            return Err(ScenarioError {
                file: label.to_owned(),
                line: e.span().map(|r| line_of(&text, r.start)),
                key: String::new(),
                message: format!("TOML syntax error: {}", e.message()),
            })
        }
    };
    Ok(Layer {
        label: label.to_owned(),
        text,
        table,
        entries,
    })
}

/// The error at key `extends` of `layer`.
fn extends_error(layer: &Layer, message: String) -> ScenarioError {
    let line = layer
        .entries
        .iter()
        .find(|e| e.path == "extends")
        .and_then(|e| e.range.as_ref())
        .map(|r| line_of(&layer.text, r.start));
    ScenarioError {
        file: layer.label.clone(),
        line,
        key: "extends".to_owned(),
        message,
    }
}

/// Reads `src` (labelled `label`, its `extends` resolved against `base_dir`), follows the
/// `extends` chain, deep-merges it and applies `overrides`.
pub fn merge_sources(
    src: &str,
    label: &str,
    own_path: Option<&Path>,
    base_dir: Option<&Path>,
    overrides: &[(String, String)],
) -> Result<Merged, ScenarioErrors> {
    let mut layers = vec![parse_layer(label, src.to_owned())?];
    let mut files: Vec<PathBuf> = own_path.map(Path::to_path_buf).into_iter().collect();
    let mut chain: Vec<PathBuf> = own_path.map(canonical).into_iter().collect();
    let mut dir = base_dir.map(Path::to_path_buf);
    while let Some(layer) = layers.last() {
        let target = match layer.table.get("extends") {
            None => break,
            Some(toml::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(extends_error(
                    layer,
                    format!("must be a file path string, got {}", other.type_str()),
                )
                .into())
            }
        };
        let path = match &dir {
            Some(d) => d.join(&target),
            None => PathBuf::from(&target),
        };
        let canon = canonical(&path);
        if let Some(pos) = chain.iter().position(|p| *p == canon) {
            let mut names: Vec<String> = chain[pos..]
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            names.push(canon.display().to_string());
            return Err(
                extends_error(layer, format!("cyclic extends: {}", names.join(" -> "))).into(),
            );
        }
        if layers.len() > MAX_EXTENDS_DEPTH {
            return Err(extends_error(layer, "extends chain too deep".to_owned()).into());
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                return Err(extends_error(
                    layer,
                    format!("cannot read extended file {}: {e}", path.display()),
                )
                .into())
            }
        };
        let next = parse_layer(&path.display().to_string(), text)?;
        dir = path.parent().map(Path::to_path_buf);
        files.push(path);
        chain.push(canon);
        layers.push(next);
    }

    let mut table = toml::Table::new();
    let mut origins = Origins {
        map: HashMap::new(),
        top_file: label.to_owned(),
    };
    for layer in layers.into_iter().rev() {
        let mut t = layer.table;
        t.remove("extends");
        deep_merge(&mut table, t);
        let entries: Vec<SpanEntry> = layer
            .entries
            .into_iter()
            .filter(|e| e.path != "extends")
            .collect();
        origins.absorb(&layer.label, &layer.text, &entries);
    }

    let mut errors = Vec::new();
    for (key, value) in overrides {
        match apply_override(&mut table, key, value) {
            Ok(path) => origins.set_override(&path),
            Err(message) => errors.push(ScenarioError {
                file: OVERRIDE_LABEL.to_owned(),
                line: None,
                key: key.clone(),
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ScenarioErrors(errors));
    }
    Ok(Merged {
        table,
        origins,
        files,
    })
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn is_tagged(t: &toml::Table) -> bool {
    t.contains_key("kind") || t.contains_key("method")
}

/// Deep-merges `child` into `parent` (child wins; tables merge unless tagged; arrays replace).
pub fn deep_merge(parent: &mut toml::Table, child: toml::Table) {
    for (k, v) in child {
        match (parent.get_mut(&k), v) {
            (Some(toml::Value::Table(p)), toml::Value::Table(c)) if !is_tagged(&c) => {
                deep_merge(p, c)
            }
            (_, v) => {
                parent.insert(k, v);
            }
        }
    }
}

/// One segment of an override key: a table key, or an array index.
enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into segments; `None` when malformed.
fn split_key(key: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return None;
        }
        out.push(Segment::Key(name.to_owned()));
        let mut rest = rest;
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index = rest.get(1..close)?.parse().ok()?;
            out.push(Segment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(out)
}

/// Parses an override value as a TOML value, falling back to a bare string.
pub fn parse_override_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

/// Sets `key` (dotted, with optional `[i]` indices) to `value`; the parent must exist.
/// Returns the normalized key path.
fn apply_override(table: &mut toml::Table, key: &str, value: &str) -> Result<String, String> {
    set_path(table, key, parse_override_value(value))
}

/// Sets `key` (dotted, with optional `[i]` indices) to `new_value`; the parent must exist.
/// Returns the normalized key path.
pub fn set_path(
    table: &mut toml::Table,
    key: &str,
    new_value: toml::Value,
) -> Result<String, String> {
    let segments = split_key(key.trim())
        .ok_or_else(|| format!("malformed key `{key}` (expected a.b.c or a.b[0].c)"))?;
    let (first, rest) = match segments.split_first() {
        Some((Segment::Key(k), rest)) => (k, rest),
        _ => return Err("a key must start with a name".to_owned()),
    };
    let Some((last, middle)) = rest.split_last() else {
        table.insert(first.clone(), new_value);
        return Ok(first.clone());
    };
    let mut path = first.clone();
    let mut current = table
        .get_mut(first)
        .ok_or_else(|| format!("no such key `{path}` in the scenario"))?;
    for seg in middle {
        let next = match (current, seg) {
            (toml::Value::Table(t), Segment::Key(k)) => {
                path = child_path(&path, k);
                t.get_mut(k)
            }
            (toml::Value::Array(a), Segment::Index(i)) => {
                path = format!("{path}[{i}]");
                a.get_mut(*i)
            }
            (_, _) => return Err(format!("`{path}` is not a table or array")),
        };
        current = next.ok_or_else(|| format!("no such key `{path}` in the scenario"))?;
    }
    match (current, last) {
        (toml::Value::Table(t), Segment::Key(k)) => {
            t.insert(k.clone(), new_value);
            Ok(child_path(&path, k))
        }
        (toml::Value::Array(a), Segment::Index(i)) => {
            let len = a.len();
            let slot = a
                .get_mut(*i)
                .ok_or_else(|| format!("index {i} out of range for `{path}` ({len} entries)"))?;
            *slot = new_value;
            Ok(format!("{path}[{i}]"))
        }
        (_, _) => Err(format!("`{path}` is not a table or array")),
    }
}

/// The value at `path` (`a.b[2].c`), if any.
pub fn get_path<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let segments = split_key(path)?;
    let (first, rest) = match segments.split_first() {
        Some((Segment::Key(k), rest)) => (k, rest),
        _ => return None,
    };
    let mut current = table.get(first)?;
    for seg in rest {
        current = match (current, seg) {
            (toml::Value::Table(t), Segment::Key(k)) => t.get(k)?,
            (toml::Value::Array(a), Segment::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Removes the value at `path` (`a.b[2].c`); returns whether something was removed.
pub fn remove_path(table: &mut toml::Table, path: &str) -> bool {
    let Some(segments) = split_key(path) else {
        return false;
    };
    let (first, rest) = match segments.split_first() {
        Some((Segment::Key(k), rest)) => (k, rest),
        _ => return false,
    };
    let Some((last, middle)) = rest.split_last() else {
        return table.remove(first).is_some();
    };
    let Some(mut current) = table.get_mut(first) else {
        return false;
    };
    for seg in middle {
        let next = match (current, seg) {
            (toml::Value::Table(t), Segment::Key(k)) => t.get_mut(k),
            (toml::Value::Array(a), Segment::Index(i)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return false,
        }
    }
    match (current, last) {
        (toml::Value::Table(t), Segment::Key(k)) => t.remove(k).is_some(),
        (toml::Value::Array(a), Segment::Index(i)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_paths() {
        assert_eq!(parent_path("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }

    #[test]
    fn spans_give_lines() {
        let text = "a = 1\n[b]\nc = { kind = \"x\", d = 2 }\n[[e]]\nf = 3\n".to_owned();
        let doc = toml_edit::ImDocument::parse(text.clone()).expect("valid TOML");
        let entries = span_entries(&doc);
        let line = |p: &str| {
            entries
                .iter()
                .find(|e| e.path == p)
                .and_then(|e| e.range.clone())
                .map(|r| line_of(&text, r.start))
        };
        assert_eq!(line("a"), Some(1));
        assert_eq!(line("b.c.d"), Some(3));
        assert_eq!(line("e[0].f"), Some(5));
    }

    #[test]
    fn override_values_and_paths() {
        let mut t: toml::Table = toml::from_str("[x]\ny = 1\nz = [1, 2]").unwrap_or_default();
        assert!(apply_override(&mut t, "x.y", "0.5").is_ok());
        assert_eq!(t["x"]["y"], toml::Value::Float(0.5));
        assert!(apply_override(&mut t, "x.w", "par").is_ok());
        assert_eq!(t["x"]["w"], toml::Value::String("par".into()));
        assert!(apply_override(&mut t, "x.z[1]", "7").is_ok());
        assert_eq!(t["x"]["z"][1], toml::Value::Integer(7));
        assert!(apply_override(&mut t, "nope.y", "1").is_err());
    }
}
