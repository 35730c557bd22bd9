//! The health probe `doctor` runs on a host: its clock, its tools, its log
//! files with mtime, size and readability, and the first line of the newest
//! non-empty plain log (to judge the timestamp format and zone). Same quoting rules
//! as the search script.

use super::protocol::{probed_tools, sh_compressed_pattern, sh_mark};
use super::quote::{quote_glob, shell_quote};

/// The probe's body; `GLOBS`, `TOOLS` and `COMPRESSED` are filled in by [`probe_command`].
const PROBE: &str = r###"mark clock "$(date +%s)"
for t in TOOLS; do command -v "$t" >/dev/null 2>&1 && mark tool "$t"; done
best=; bm=0
for f in GLOBS; do [ -f "$f" ] || continue
if [ -r "$f" ]; then r=readable; else r=unreadable; fi
mark log "$r" "$(stat -c '%Y %s %n' -- "$f")"
case $f in COMPRESSED) continue;; esac
[ -r "$f" ] && [ -s "$f" ] || continue
m=$(stat -c %Y -- "$f"); if [ "$m" -gt "$bm" ]; then bm=$m; best=$f; fi
done
if [ -n "$best" ]; then IFS= read -r l < "$best"; mark firstfile "$best"; mark first "$l"; fi
mark done
"###;

/// The probe command for a host with these log globs.
pub fn probe_command(globs: &[String], sudo: bool) -> String {
    let globs: Vec<String> = globs.iter().map(|g| quote_glob(g)).collect();
    let body = PROBE
        .replace("TOOLS", &probed_tools().join(" "))
        .replace("COMPRESSED", &sh_compressed_pattern())
        .replace("GLOBS", &globs.join(" "));
    let script = format!("LC_ALL=C; export LC_ALL\n{}{body}", sh_mark());
    let mut command = String::new();
    if sudo {
        command.push_str("sudo -n ");
    }
    command.push_str("sh -c ");
    command.push_str(&shell_quote(&script));
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_quoted_and_the_script_runs_locally() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("maillog"),
            "Nov 28 21:58:03 h1 postfix/qmgr[1]: A: removed\n",
        )
        .unwrap();
        let glob = format!("{}/maillog*", dir.path().display());
        let command = probe_command(&[glob], false);
        assert!(command.contains("/maillog'\\''*"), "{command}");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("##mailtrace clock "), "{text}");
        assert!(text.contains("##mailtrace tool grep"));
        assert!(text.contains("##mailtrace log readable "));
        assert!(text.contains("##mailtrace first Nov 28 21:58:03 h1"));
        assert!(text.ends_with("##mailtrace done\n"));
    }
}
