//! Positions in the inventory text: turning parser locations into line and
//! column, and finding by reading the text what the parser cannot tell (where
//! a top-level key is, which mapping a key sits in).

use serde_saphyr::{Location, Spanned};

/// A 1-based line and column in the inventory file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl Pos {
    /// The start of the file, for problems that belong to no key.
    pub const START: Pos = Pos { line: 1, column: 1 };

    /// The position of a parser location, or `None` when it is unknown.
    pub fn of_location(location: &Location) -> Option<Pos> {
        (location.line() > 0).then(|| Pos {
            line: location.line(),
            column: location.column().max(1),
        })
    }

    /// Where a value is used (for an alias or a merge key: the place that
    /// pulls it in), falling back to where it is defined.
    pub fn of<T>(spanned: &Spanned<T>) -> Pos {
        Pos::of_location(&spanned.referenced)
            .or_else(|| Pos::of_location(&spanned.defined))
            .unwrap_or(Pos::START)
    }
}

/// The position `offset` bytes into the text of a scalar whose value is
/// `value` and which starts at `at`. Exact when the scalar is written on one
/// line as read (plain, or quoted without escapes); otherwise `at` itself.
pub fn within(text: &str, at: Pos, value: &str, offset: usize) -> Pos {
    let exact = || {
        let line = text
            .lines()
            .nth(usize::try_from(at.line).ok()?.checked_sub(1)?)?;
        let start = usize::try_from(at.column).ok()?.checked_sub(1)?;
        let from = line.char_indices().nth(start).map(|(i, _)| i)?;
        let rest = &line[from..];
        let quote = usize::from(rest.starts_with(['"', '\'']));
        if !rest[quote..].starts_with(value) {
            return None;
        }
        let before = value.get(..offset)?.chars().count() + quote;
        Some(Pos {
            line: at.line,
            column: at.column + u64::try_from(before).ok()?,
        })
    };
    exact().unwrap_or(at)
}

/// Finds `key:` written at the start of a line (a top-level key).
pub fn top_level_key(text: &str, key: &str) -> Option<Pos> {
    text.lines().enumerate().find_map(|(index, line)| {
        (key_of(line).as_deref() == Some(key) && !line.starts_with([' ', '\t'])).then_some(Pos {
            line: index as u64 + 1,
            column: 1,
        })
    })
}

/// The chain of block-mapping keys enclosing `pos`, outermost first, such as
/// `["hosts", "csmx1"]`. Read from indentation, so it is a best effort for
/// flow-style mappings.
pub fn enclosing_keys(text: &str, pos: Pos) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(last) = usize::try_from(pos.line)
        .ok()
        .and_then(|l| l.checked_sub(1))
    else {
        return Vec::new();
    };
    let mut depth = usize::try_from(pos.column.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut keys = Vec::new();
    for line in lines.iter().take(last + 1).rev() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent >= depth {
            continue;
        }
        if let Some(key) = key_of(line) {
            keys.push(key);
        }
        depth = indent;
        if depth == 0 {
            break;
        }
    }
    keys.reverse();
    keys
}

/// The key of a `key: ...` line (a leading `- ` and quotes removed).
fn key_of(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed).trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let colon = trimmed
        .char_indices()
        .find(|&(i, c)| {
            c == ':'
                && trimmed[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map(|(i, _)| i)?;
    let key = trimmed[..colon].trim();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    (!key.is_empty()).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# inventory
defaults:
  user: ops
hosts:
  csmx1:
    port: 22
    bogus: 1
  csmx2: {bogus: 1}
clusters:
  mx: [csmx1]
";

    #[test]
    fn finds_top_level_keys() {
        assert_eq!(
            top_level_key(TEXT, "hosts"),
            Some(Pos { line: 4, column: 1 })
        );
        assert_eq!(
            top_level_key(TEXT, "clusters"),
            Some(Pos { line: 9, column: 1 })
        );
        assert_eq!(top_level_key(TEXT, "user"), None);
        assert_eq!(top_level_key(TEXT, "local_domains"), None);
    }

    #[test]
    fn names_the_enclosing_mappings() {
        assert_eq!(
            enclosing_keys(TEXT, Pos { line: 7, column: 5 }),
            vec!["hosts", "csmx1"]
        );
        assert_eq!(
            enclosing_keys(TEXT, Pos { line: 3, column: 3 }),
            vec!["defaults"]
        );
        assert_eq!(
            enclosing_keys(
                TEXT,
                Pos {
                    line: 8,
                    column: 11
                }
            ),
            vec!["hosts", "csmx2"]
        );
        assert!(enclosing_keys(TEXT, Pos { line: 2, column: 1 }).is_empty());
        assert!(enclosing_keys(TEXT, Pos { line: 0, column: 0 }).is_empty());
    }

    #[test]
    fn finds_places_inside_a_scalar() {
        let text = "routes:\n  inbound: [a, b | c?, \"x|y\", 'é|z']\n";
        let at = |column| Pos { line: 2, column };
        assert_eq!(within(text, at(16), "b | c?", 4), at(20));
        assert_eq!(within(text, at(16), "b | c?", 0), at(16));
        assert_eq!(within(text, at(24), "x|y", 2), at(27));
        assert_eq!(within(text, at(31), "é|z", 3), at(34));
        // Not found as written (an alias, an escape, a folded scalar): the start.
        assert_eq!(within(text, at(13), "zzz", 1), at(13));
        assert_eq!(within(text, Pos { line: 9, column: 1 }, "a", 0).line, 9);
        assert_eq!(within(text, at(16), "b | c?", 99), at(16));
    }

    #[test]
    fn reads_keys_of_lines() {
        assert_eq!(key_of("  \"csmx1\": {}").as_deref(), Some("csmx1"));
        assert_eq!(key_of("- name: x").as_deref(), Some("name"));
        assert_eq!(key_of("  url: http://x").as_deref(), Some("url"));
        assert_eq!(key_of("  - /var/log/maillog*"), None);
        assert_eq!(key_of("# c: d"), None);
    }
}
