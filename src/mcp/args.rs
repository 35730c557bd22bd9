//! Reading tool arguments by hand, so that every malformed call becomes an
//! actionable tool error instead of a protocol error.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value};

use crate::inventory::Inventory;
use crate::time::{parse_duration, parse_local_time, Window};

/// How far past the window later rounds look.
pub const FOLLOW: Duration = Duration::from_secs(5 * 86_400);

/// A required string argument.
pub fn required_string(args: &Map<String, Value>, name: &str) -> Result<String, String> {
    match args.get(name) {
        None | Some(Value::Null) => Err(format!("missing argument `{name}`")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("`{name}` is empty")),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(other) => Err(format!("`{name}` must be a string, not {}", kind(other))),
    }
}

/// An optional string argument.
pub fn optional_string(args: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(other) => Err(format!("`{name}` must be a string, not {}", kind(other))),
    }
}

/// An array of non-empty strings, without NUL bytes or line breaks.
pub fn keywords(
    args: &Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<Vec<String>, String> {
    let items = match args.get(name) {
        None | Some(Value::Null) if !required => return Ok(Vec::new()),
        None | Some(Value::Null) => {
            return Err(format!(
                "missing argument `{name}`: give at least one keyword"
            ))
        }
        Some(Value::String(s)) => vec![Value::String(s.clone())],
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            return Err(format!(
                "`{name}` must be an array of strings, not {}",
                kind(other)
            ))
        }
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::String(s) if s.trim().is_empty() => {
                return Err(format!("`{name}` holds an empty keyword"))
            }
            Value::String(s) if s.contains(['\0', '\n', '\r']) => {
                return Err(format!(
                    "`{name}`: keyword {s:?} contains a NUL byte or a line break"
                ))
            }
            Value::String(s) => out.push(s.trim().to_string()),
            other => return Err(format!("`{name}` must hold strings, not {}", kind(&other))),
        }
    }
    if required && out.is_empty() {
        return Err(format!("`{name}` is empty: give at least one keyword"));
    }
    Ok(out)
}

/// The window from `time` and `time_range`, read in the inventory's zone.
pub fn window(args: &Map<String, Value>, inventory: &Inventory) -> Result<Window, String> {
    let time = optional_string(args, "time")?;
    let range = optional_string(args, "time_range")?;
    let zone = inventory.zone;
    let span = match &range {
        Some(r) => Some(parse_duration(r).map_err(|e| format!("time_range: {e}"))?),
        None => None,
    };
    match (time, span) {
        (Some(_), None) => Err(format!(
            "`time` needs `time_range` (the span before and after it, e.g. \"4h\"); times are read in {zone}"
        )),
        (Some(t), Some(span)) => {
            let centre = parse_local_time(&t, &zone)
                .map_err(|_| format!("time: `{t}` is not a time: use \"YYYY-MM-DD HH:MM:SS\" in {zone}, e.g. \"2026-01-27 21:58:00\""))?;
            Ok(Window::around(centre, span))
        }
        (None, span) => {
            let span = span.unwrap_or(Duration::from_secs(86_400));
            let back = chrono::Duration::from_std(span).map_err(|_| "time_range is too large".to_string())?;
            let now = Utc::now();
            Ok(Window { from: now - back, to: now })
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn malformed_arguments_are_explained() {
        assert_eq!(
            required_string(&obj(json!({})), "host"),
            Err("missing argument `host`".into())
        );
        assert!(required_string(&obj(json!({"host": 3})), "host")
            .unwrap_err()
            .contains("a number"));
        assert!(keywords(&obj(json!({"keywords": []})), "keywords", true)
            .unwrap_err()
            .contains("empty"));
        assert!(keywords(&obj(json!({"keywords": [""]})), "keywords", true)
            .unwrap_err()
            .contains("empty keyword"));
        assert!(keywords(&obj(json!({"keywords": [1]})), "keywords", true)
            .unwrap_err()
            .contains("strings"));
        assert_eq!(
            keywords(&obj(json!({"keywords": "a@b"})), "keywords", true).unwrap(),
            ["a@b"]
        );
    }
}
