//! The remote search script: POSIX `sh`, `stat`, `grep -F` and `gzip -dc`
//! only. Every piece of text that did not come from this file is quoted with
//! [`shell_quote`] or [`quote_glob`]; times are integers.
//!
//! Output protocol, one line each, before and between the matching lines:
//! `##mailtrace file PASS STATE MTIME SIZE PATH` (STATE: search, skip, notool),
//! Matching lines come as `N:LINE` (grep -n: the line's number in the file,
//! decompressed); `##mailtrace end RC` after a searched file (grep's status: 0 found, 1 none),
//! `##mailtrace nofiles` when no glob matched, `##mailtrace done` at the end.

use super::quote::{quote_glob, shell_quote};
use super::{PlanError, SearchRequest, PRUNE_MARGIN_SECS};
use crate::time::Window;

/// Prefix of the control lines the script prints.
pub const MARK: &str = "##mailtrace ";

/// Reads `MTIME SIZE PATH` as `stat -c '%Y %s %n'` prints it (the path may
/// hold spaces); missing or bad numbers read as 0.
pub fn read_stat(text: &str) -> (i64, u64, String) {
    let mut words = text.splitn(3, ' ');
    let mtime = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let size = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    (mtime, size, words.next().unwrap_or("").to_string())
}

/// Shell functions shared by every search. `keep` mirrors
/// [`super::keep_file`]; `oldest_first` orders the files by mtime so each
/// host's lines arrive in time order; `ids` collects the queue IDs of matched lines.
const FUNCTIONS: &str = r#"LC_ALL=C; export LC_ALL
keep() { [ "$1" -lt "$2" ] && return 1; o=0
while read -r om os on; do [ -n "$on" ] || continue; [ "$om" -lt "$1" ] && [ "$om" -gt "$o" ] && o=$om; done <<EOF
$L
EOF
[ "$o" -le "$3" ]; }
tool() { case $1 in *.xz) command -v xz;; *.bz2) command -v bzip2;; *.zst) command -v zstd;; *) true;; esac >/dev/null 2>&1; }
rd() { f=$1; shift; case $f in
*.gz) gzip -dc -- "$f" | grep -F -n "$@";;
*.xz) xz -dc -- "$f" | grep -F -n "$@";;
*.bz2) bzip2 -dc -- "$f" | grep -F -n "$@";;
*.zst) zstd -dcq -- "$f" | grep -F -n "$@";;
*) grep -F -n "$@" -- "$f";;
esac; }
ids() { while IFS= read -r l; do r=${l#*]: }; q=${r%%:*}
case $q in NOQUEUE|*[!0-9A-Za-z]*|'') continue;; *[0-9A-Z]*) ;; *) continue;; esac
case " $Q " in *" $q "*) ;; *) Q="$Q $q";; esac; done <<EOF
$1
EOF
}
oldest_first() { O=; R=$L
while [ -n "$R" ]; do b=; bm=
while read -r m s n; do [ -n "$n" ] || continue
if [ -z "$bm" ] || [ "$m" -lt "$bm" ]; then bm=$m; b="$m $s $n"; fi; done <<EOF
$R
EOF
[ -n "$b" ] || break
O="$O$b
"; N=$(printf '%s\n' "$R" | grep -v -F -x -e "$b")
if [ "$N" = "$R" ]; then O="$O$R
"; break; fi; R=$N
done; L=$O; }
scan() { p=$1; lo=$2; hi=$3; cap=$4; shift 4
while read -r m s n; do [ -n "$n" ] || continue
if ! keep "$m" "$lo" "$hi"; then printf '##mailtrace file %s skip %s %s %s\n' "$p" "$m" "$s" "$n"; continue; fi
if ! tool "$n"; then printf '##mailtrace file %s notool %s %s %s\n' "$p" "$m" "$s" "$n"; continue; fi
printf '##mailtrace file %s search %s %s %s\n' "$p" "$m" "$s" "$n"
if [ "$cap" = 1 ]; then out=$(rd "$n" "$@"); rc=$?; if [ -n "$out" ]; then printf '%s\n' "$out"; ids "$out"; fi
else rd "$n" "$@"; rc=$?; fi
printf '##mailtrace end %s\n' "$rc"
done <<EOF
$L
EOF
}
"#;

/// Builds the command that runs one search on a host whose logs match
/// `globs`. With `sudo`, the script runs under `sudo -n` (never prompting).
pub fn remote_command(
    globs: &[String],
    request: &SearchRequest,
    sudo: bool,
) -> Result<String, PlanError> {
    request.validate()?;
    if globs.is_empty() {
        return Err(PlanError::NoGlobs);
    }
    let mut script = String::from(FUNCTIONS);
    script.push_str("set --\nfor f in");
    for glob in globs {
        script.push(' ');
        script.push_str(&quote_glob(glob));
    }
    script.push_str("; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done\n");
    script.push_str("[ $# -gt 0 ] || { echo '##mailtrace nofiles'; exit 0; }\n");
    script.push_str("L=$(stat -c '%Y %s %n' -- \"$@\")\noldest_first\nQ=\n");

    let (from1, to1) = bounds(&request.window);
    let capture = u8::from(request.expand.is_some());
    script.push_str(&format!("scan 1 {from1} {to1} {capture}"));
    if request.ignore_case {
        script.push_str(" -i");
    }
    for pattern in &request.patterns {
        script.push_str(" -e ");
        script.push_str(&shell_quote(pattern));
    }
    script.push('\n');
    if let Some(expand) = &request.expand {
        let (from2, to2) = bounds(expand);
        script.push_str(&format!(
            "if [ -n \"$Q\" ]; then set --; for q in $Q; do set -- \"$@\" -e \"$q\"; done; scan 2 {from2} {to2} 0 \"$@\"; fi\n"
        ));
    }
    script.push_str("echo '##mailtrace done'\n");

    let mut command = String::new();
    if sudo {
        command.push_str("sudo -n ");
    }
    command.push_str("sh -c ");
    command.push_str(&shell_quote(&script));
    Ok(command)
}

fn bounds(window: &Window) -> (i64, i64) {
    (
        window.from.timestamp() - PRUNE_MARGIN_SECS,
        window.to.timestamp() + PRUNE_MARGIN_SECS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn request(patterns: &[&str]) -> SearchRequest {
        SearchRequest {
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
            ignore_case: true,
            window: Window {
                from: Utc.timestamp_opt(1_000_000, 0).unwrap(),
                to: Utc.timestamp_opt(2_000_000, 0).unwrap(),
            },
            expand: None,
        }
    }

    /// Undoes [`shell_quote`] for one word, to read the script back.
    fn unquote(word: &str) -> String {
        word.trim_start_matches('\'')
            .trim_end_matches('\'')
            .replace(r"'\''", "'")
    }

    #[test]
    fn patterns_are_quoted_words() {
        let cmd = remote_command(
            &["/var/log/maillog*".into()],
            &request(&["a'b", "-x"]),
            false,
        )
        .unwrap();
        assert!(cmd.starts_with("sh -c '"));
        let script = unquote(&cmd["sh -c ".len()..]);
        assert!(script.contains(r"scan 1 999400 2000600 0 -i -e 'a'\''b' -e '-x'"));
        assert!(script.contains("for f in '/var/log/maillog'*;"));
    }

    #[test]
    fn sudo_never_prompts() {
        let cmd = remote_command(&["/l/m*".into()], &request(&["x"]), true).unwrap();
        assert!(cmd.starts_with("sudo -n sh -c '"));
    }

    #[test]
    fn refuses_what_no_log_line_holds() {
        let globs = vec!["/l/m*".to_string()];
        assert_eq!(
            remote_command(&globs, &request(&["a\nb"]), false),
            Err(PlanError::ControlCharacter("a\nb".into()))
        );
        assert_eq!(
            remote_command(&globs, &request(&[]), false),
            Err(PlanError::NoPatterns)
        );
        assert_eq!(
            remote_command(&globs, &request(&[""]), false),
            Err(PlanError::EmptyPattern)
        );
        assert_eq!(
            remote_command(&[], &request(&["x"]), false),
            Err(PlanError::NoGlobs)
        );
    }

    #[test]
    fn expansion_adds_a_second_pass() {
        let mut r = request(&["alice@example.org"]);
        r.expand = Some(r.window.extended(std::time::Duration::from_secs(100)));
        let cmd = remote_command(&["/l/m*".into()], &r, false).unwrap();
        let script = unquote(&cmd["sh -c ".len()..]);
        assert!(script.contains("scan 1 999400 2000600 1 -i -e 'alice@example.org'"));
        assert!(script.contains("scan 2 999400 2000700 0 \"$@\""));
    }
}
