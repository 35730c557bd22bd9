//! The remote search script: POSIX `sh`, `stat`, `grep -F` and the
//! decompressors of [`super::protocol::DECOMPRESSORS`] only. Every piece of
//! text that did not come from this file or the protocol module is quoted
//! with [`shell_quote`] or [`quote_glob`]; times are integers. What it prints
//! is defined in [`super::protocol`].

use super::protocol::{sh_isqid, sh_mark, sh_mark_file, sh_readers, FileMark};
use super::quote::{quote_glob, shell_quote};
use super::{PlanError, SearchRequest, PRUNE_MARGIN_SECS};
use crate::time::Window;

/// `keep` mirrors [`super::keep_file`]; `oldest_first` orders the files by
/// mtime so each host's lines arrive in time order.
const ORDER: &str = r#"keep() { [ "$1" -lt "$2" ] && return 1; o=0
while read -r om os on; do [ -n "$on" ] || continue; [ "$om" -lt "$1" ] && [ "$om" -gt "$o" ] && o=$om; done <<EOF
$L
EOF
[ "$o" -le "$3" ]; }
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
"#;

/// `ids` collects the queue IDs of matched lines into `$Q`.
const IDS: &str = r#"ids() { while IFS= read -r l; do r=${l#*]: }; q=${r%%:*}
isqid "$q" || continue
case " $Q " in *" $q "*) ;; *) Q="$Q $q";; esac; done <<EOF
$1
EOF
}
"#;

/// Shell functions shared by every search: `scan PASS FROM TO CAPTURE
/// GREP-ARGS...` lists, prunes and searches the files of `$L`.
fn functions() -> String {
    let mut text = String::from("LC_ALL=C; export LC_ALL\n");
    for part in [sh_mark(), sh_readers(), sh_isqid()] {
        text.push_str(&part);
    }
    text.push_str(ORDER);
    text.push_str(IDS);
    text.push_str(&format!(
        r#"scan() {{ p=$1; lo=$2; hi=$3; cap=$4; shift 4
while read -r m s n; do [ -n "$n" ] || continue
if ! keep "$m" "$lo" "$hi"; then {skip}; continue; fi
if ! tool "$n"; then {notool}; continue; fi
{search}
if [ "$cap" = 1 ]; then out=$(rd "$n" "$@"); rc=$?; if [ -n "$out" ]; then printf '%s\n' "$out"; ids "$out"; fi
else rd "$n" "$@"; rc=$?; fi
mark end "$rc"
done <<EOF
$L
EOF
}}
"#,
        skip = sh_mark_file(FileMark::Skip),
        notool = sh_mark_file(FileMark::NoTool),
        search = sh_mark_file(FileMark::Search),
    ));
    text
}

/// Builds the command that runs one search on a host whose logs match
/// `globs`. With `sudo`, the script runs under `sudo -n` (never prompting).
pub fn remote_command(
    globs: &[String],
    request: &SearchRequest,
    sudo: bool,
) -> Result<String, PlanError> {
    let script = search_script(globs, request)?;
    let mut command = String::new();
    if sudo {
        command.push_str("sudo -n ");
    }
    command.push_str("sh -c ");
    command.push_str(&shell_quote(&script));
    Ok(command)
}

/// The search script itself, for `sh -c` (over SSH through
/// [`remote_command`], or on this machine for a local host).
pub fn search_script(globs: &[String], request: &SearchRequest) -> Result<String, PlanError> {
    request.validate()?;
    if globs.is_empty() {
        return Err(PlanError::NoGlobs);
    }
    let mut script = functions();
    script.push_str("set --\nfor f in");
    for glob in globs {
        script.push(' ');
        script.push_str(&quote_glob(glob));
    }
    script.push_str("; do [ -f \"$f\" ] && set -- \"$@\" \"$f\"; done\n");
    script.push_str("[ $# -gt 0 ] || { mark nofiles; exit 0; }\n");
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
    script.push_str("mark done\n");
    Ok(script)
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
