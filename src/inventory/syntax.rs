//! Turns errors of the YAML reader (bad syntax, wrong types, unknown or
//! repeated keys) into problems with a position and the place they are in.

use serde_saphyr::{Error, MessageFormatter, UserMessageFormatter};

use super::error::{Located, Problem};
use super::position::{self, Pos};

/// A key only a host entry has, to tell a host entry's key list apart.
const HOST_ONLY_KEY: &str = "aliases";

/// The problem a YAML reading error stands for, with its position.
pub fn located(err: &Error, text: &str) -> Located {
    let pos = err
        .location()
        .and_then(|l| Pos::of_location(&l))
        .unwrap_or(Pos::START);
    let keys = position::enclosing_keys(text, pos);
    let problem = match err.without_snippet() {
        Error::SerdeUnknownField {
            field, expected, ..
        } => {
            let mut section = section(&keys);
            // A merge key (`<<: *x`) reports the key where `x` is defined.
            if expected.contains(&HOST_ONLY_KEY)
                && keys.first().map(String::as_str) != Some("hosts")
            {
                section.push_str(", merged into a host entry");
            }
            Problem::UnknownKey {
                key: field.clone(),
                section,
                expected: expected.iter().map(|k| k.to_string()).collect(),
            }
        }
        Error::DuplicateMappingKey { key, .. } => Problem::DuplicateKey {
            key: key.clone().unwrap_or_default(),
            section: section(&keys),
        },
        inner => {
            let message = UserMessageFormatter.format_message(inner);
            if keys.is_empty() {
                Problem::Syntax(message.into_owned())
            } else {
                Problem::Syntax(format!("{message} (in `{}`)", keys.join(".")))
            }
        }
    };
    Located::new(pos, problem)
}

/// How a message names the mapping at `keys`.
fn section(keys: &[String]) -> String {
    if keys.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{}`", keys.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::schema::RawInventory;

    fn problem(text: &str) -> Located {
        let err = serde_saphyr::from_str::<RawInventory>(text).unwrap_err();
        located(&err, text)
    }

    #[test]
    fn wrong_types_name_the_key_path() {
        let located = problem("hosts:\n  a:\n    port: 70000\n");
        assert_eq!(
            located.pos,
            Pos {
                line: 3,
                column: 11
            }
        );
        assert!(
            matches!(located.problem, Problem::Syntax(ref m) if m.ends_with("(in `hosts.a.port`)")),
            "{located:?}"
        );
    }

    #[test]
    fn repeated_keys_are_named() {
        let located = problem("hosts:\n  a:\n  a:\n");
        assert_eq!(located.pos, Pos { line: 3, column: 3 });
        assert_eq!(
            located.problem,
            Problem::DuplicateKey {
                key: "a".into(),
                section: "`hosts`".into()
            }
        );
    }

    #[test]
    fn unknown_keys_from_a_merge_say_so() {
        let located = problem("defaults: &d\n  concurrency: 3\nhosts:\n  b:\n    <<: *d\n");
        assert_eq!(located.pos, Pos { line: 2, column: 3 });
        assert!(
            matches!(located.problem, Problem::UnknownKey { ref section, .. } if section == "`defaults`, merged into a host entry"),
            "{located:?}"
        );
    }

    #[test]
    fn plain_syntax_errors_keep_the_reader_message() {
        let located = problem("hosts:\n  a:\n\tport: 2\n");
        assert_eq!(located.pos.line, 3);
        assert!(
            matches!(located.problem, Problem::Syntax(ref m) if m.contains("tab")),
            "{located:?}"
        );
    }
}
