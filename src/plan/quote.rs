//! Shell quoting: the only way user or inventory text enters a remote command.

/// Quotes `text` as one POSIX shell word: `'...'`, with every `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Quotes a file glob so that only `*` and `?` stay active for the shell;
/// every other character, `[` and `$` included, is literal.
pub fn quote_glob(glob: &str) -> String {
    let mut out = String::new();
    let mut literal = String::new();
    for c in glob.chars() {
        if c == '*' || c == '?' {
            if !literal.is_empty() {
                out.push_str(&shell_quote(&literal));
                literal.clear();
            }
            out.push(c);
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        out.push_str(&shell_quote(&literal));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn globs_keep_only_wildcards_active() {
        assert_eq!(quote_glob("/var/log/maillog*"), "'/var/log/maillog'*");
        assert_eq!(quote_glob("/l/a?b*"), "'/l/a'?'b'*");
        assert_eq!(quote_glob("/x/$(id)[1]*"), "'/x/$(id)[1]'*");
        assert_eq!(quote_glob("*"), "*");
    }
}
