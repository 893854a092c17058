//! Reading `summary.json` values by dotted key and formatting them for people.
//!
//! Owns number formatting shared by the HTML page and chart legends (percent, USD, plain).
//! Must not: compute estimates; a missing or non-numeric key shows as "n/a".

use serde_json::Value;

/// Shown for a key the run did not produce.
pub const NOT_AVAILABLE: &str = "n/a";

/// The value at a dotted key path (`"loan.hedged.pd"`), if present.
pub fn lookup<'a>(summary: &'a Value, dotted_key: &str) -> Option<&'a Value> {
    dotted_key
        .split('.')
        .try_fold(summary, |node, part| node.as_object()?.get(part))
}

/// The finite number at a dotted key path, if present.
pub fn number(summary: &Value, dotted_key: &str) -> Option<f64> {
    lookup(summary, dotted_key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// The numbers of an array at a dotted key path (non-numbers skipped), if present.
pub fn numbers(summary: &Value, dotted_key: &str) -> Option<Vec<f64>> {
    let array = lookup(summary, dotted_key)?.as_array()?;
    Some(array.iter().filter_map(Value::as_f64).collect())
}

/// How a quantity is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A probability or rate shown as a percentage, two decimals: `12.34 %`.
    Percent,
    /// US dollars with thousands separators, no cents: `$1,234,567`.
    Usd,
    /// US dollars compact for axes: `$1.2m`, `$350k`.
    UsdCompact,
    /// $/GPU-hour, three decimals: `$2.153`.
    UsdPerGpuHour,
    /// A plain ratio (DSCR), three decimals: `1.253`.
    Ratio,
    /// A count or average count, two decimals.
    Count,
    /// A whole count with thousands separators: `16,384`.
    Integer,
}

/// Formats one value in this unit.
pub fn format(value: f64, unit: Unit) -> String {
    if !value.is_finite() {
        return NOT_AVAILABLE.to_string();
    }
    match unit {
        Unit::Percent => format!("{:.2} %", value * 100.0),
        Unit::Usd => format_usd(value),
        Unit::UsdCompact => format_usd_compact(value),
        Unit::UsdPerGpuHour => format!("${value:.3}"),
        Unit::Ratio => format!("{value:.3}"),
        Unit::Count => format!("{value:.2}"),
        Unit::Integer => group_thousands(value),
    }
}

/// The value at a key in this unit, or "n/a".
pub fn format_key(summary: &Value, dotted_key: &str, unit: Unit) -> String {
    number(summary, dotted_key).map_or_else(|| NOT_AVAILABLE.to_string(), |v| format(v, unit))
}

/// `value ± se` for a key and its `_se` sibling (the ± part only when the SE exists).
pub fn format_with_se(summary: &Value, dotted_key: &str, unit: Unit) -> String {
    let Some(value) = number(summary, dotted_key) else {
        return NOT_AVAILABLE.to_string();
    };
    match number(summary, &format!("{dotted_key}_se")) {
        Some(se) => format!("{} ± {}", format(value, unit), format(se, unit)),
        None => format(value, unit),
    }
}

fn format_usd(value: f64) -> String {
    let grouped = group_thousands(value);
    match grouped.strip_prefix('-') {
        Some(abs) => format!("-${abs}"),
        None => format!("${grouped}"),
    }
}

/// `value` rounded to a whole number, with comma thousands separators.
fn group_thousands(value: f64) -> String {
    let rounded = value.round();
    let sign = if rounded < 0.0 { "-" } else { "" };
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}")
}

fn format_usd_compact(value: f64) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let a = value.abs();
    let body = if a >= 1e9 {
        format!("{:.1}bn", a / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}m", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    format!("{sign}${body}")
}

/// Every numeric or string leaf of a JSON object as (dotted key, text), in document order.
pub fn leaves(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_leaves(value, String::new(), &mut out);
    out
}

fn collect_leaves(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                collect_leaves(v, key, out);
            }
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let parts: Vec<String> = items.iter().map(scalar_text).collect();
            out.push((prefix, format!("[{}]", parts.join(", "))));
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_leaves(v, format!("{prefix}[{i}]"), out);
            }
        }
        other => out.push((prefix, scalar_text(other))),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.6}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
            _ => n.to_string(),
        },
        Value::Null => NOT_AVAILABLE.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_follows_dotted_keys() {
        let s = json!({"loan": {"hedged": {"pd": 0.1, "pd_se": 0.002}}});
        assert_eq!(number(&s, "loan.hedged.pd"), Some(0.1));
        assert_eq!(number(&s, "loan.unhedged.pd"), None);
        assert_eq!(
            format_with_se(&s, "loan.hedged.pd", Unit::Percent),
            "10.00 % ± 0.20 %"
        );
        assert_eq!(format_key(&s, "loan.x", Unit::Usd), "n/a");
    }

    #[test]
    fn usd_formats_group_thousands() {
        assert_eq!(format(1_234_567.4, Unit::Usd), "$1,234,567");
        assert_eq!(format(-999.6, Unit::Usd), "-$1,000");
        assert_eq!(format(12.0, Unit::Usd), "$12");
        assert_eq!(format(16_384.0, Unit::Integer), "16,384");
        assert_eq!(format(-1_000.4, Unit::Integer), "-1,000");
        assert_eq!(format(2_500_000.0, Unit::UsdCompact), "$2.5m");
        assert_eq!(format(-35_000.0, Unit::UsdCompact), "-$35k");
        assert_eq!(format(f64::NAN, Unit::Ratio), "n/a");
    }

    #[test]
    fn leaves_flatten_in_order() {
        let s = json!({"b": {"y": 1, "x": [0.5, 0.25]}, "a": "s"});
        let l = leaves(&s);
        // serde_json without preserve_order sorts keys: a, b.x, b.y
        let keys: Vec<&str> = l.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b.x", "b.y"]);
        assert_eq!(l[1].1, "[0.5, 0.25]");
    }
}
