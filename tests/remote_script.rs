//! Runs the generated remote search script under this machine's real `sh`,
//! `grep`, `gzip` and `stat`, the way a server would.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use mailtrace::plan::{remote_command, SearchRequest};
use mailtrace::time::Window;

const LIVE: &str = "\
Nov 28 21:58:03 h1 postfix/smtpd[1]: C80051E0059: client=a[1.2.3.4]
Nov 28 21:58:03 h1 postfix/cleanup[2]: C80051E0059: message-id=<m1@x>
Nov 28 21:58:03 h1 postfix/qmgr[3]: C80051E0059: from=<alice@example.org>, size=1, nrcpt=1 (queue active)
Nov 28 21:58:04 h1 postfix/smtp[4]: C80051E0059: to=<bob@cs.example.edu>, relay=b[1.2.3.5]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 0E5C7360063)
Nov 28 21:58:04 h1 postfix/qmgr[3]: C80051E0059: removed
Nov 28 22:00:00 h1 postfix/qmgr[3]: AAAA1111BBB: from=<other@example.org>, size=1, nrcpt=1 (queue active)
";
const OLD: &str = "\
Nov 26 10:00:00 h1 postfix/qmgr[3]: DDDD2222EEE: from=<alice@example.org>, size=1, nrcpt=1 (queue active)
";

fn epoch(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn set_mtime(path: &Path, secs: i64) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs as u64))
        .unwrap();
}

fn logs(dir: &Path) {
    fs::write(dir.join("maillog"), LIVE).unwrap();
    set_mtime(&dir.join("maillog"), epoch("2026-11-28T22:00:01+08:00"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(OLD.as_bytes()).unwrap();
    fs::write(dir.join("maillog.1.gz"), gz.finish().unwrap()).unwrap();
    set_mtime(
        &dir.join("maillog.1.gz"),
        epoch("2026-11-27T04:00:00+08:00"),
    );
}

fn run(command: &str, cwd: &Path) -> String {
    // The command is `sh -c '<script>'`, exactly what an SSH server's login shell receives.
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a search that works says nothing on stderr: what it says there is
    // shown to the user when a search fails
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn window(from: &str, to: &str) -> Window {
    Window {
        from: Utc.timestamp_opt(epoch(from), 0).unwrap(),
        to: Utc.timestamp_opt(epoch(to), 0).unwrap(),
    }
}

#[test]
fn narrow_window_prunes_the_rotated_file_and_expands_queue_ids() {
    let dir = tempfile::tempdir().unwrap();
    logs(dir.path());
    let glob = format!("{}/maillog*", dir.path().display());
    let w = window("2026-11-28T21:00:00+08:00", "2026-11-28T23:00:00+08:00");
    let request = SearchRequest {
        patterns: vec!["ALICE@example.org".into()],
        ignore_case: true,
        window: w,
        expand: Some(w),
    };
    let out = run(
        &remote_command(&[glob], &request, false).unwrap(),
        dir.path(),
    );
    let lines: Vec<&str> = out.lines().collect();
    // oldest file first, so a host's lines arrive in time order
    assert!(lines[0].starts_with("##mailtrace file 1 skip "), "{out}");
    assert!(lines[0].ends_with("maillog.1.gz"));
    assert!(lines[1].starts_with("##mailtrace file 1 search "), "{out}");
    assert!(lines[1].ends_with("/maillog"));
    // pass 1 found the qmgr line; pass 2 returned every line of its queue ID
    let pass2: Vec<&&str> = lines
        .iter()
        .skip_while(|l| !l.starts_with("##mailtrace file 2 search"))
        .filter(|l| l.contains("C80051E0059"))
        .collect();
    assert_eq!(pass2.len(), 5, "{out}");
    assert!(!out.contains("AAAA1111BBB"));
    assert!(!out.contains("DDDD2222EEE"));
    assert_eq!(lines.last(), Some(&"##mailtrace done"));
}

#[test]
fn wide_window_reads_gzip_files() {
    let dir = tempfile::tempdir().unwrap();
    logs(dir.path());
    let glob = format!("{}/maillog*", dir.path().display());
    let request = SearchRequest {
        patterns: vec!["DDDD2222EEE".into()],
        ignore_case: false,
        window: window("2026-11-25T00:00:00+08:00", "2026-11-29T00:00:00+08:00"),
        expand: None,
    };
    let out = run(
        &remote_command(&[glob], &request, false).unwrap(),
        dir.path(),
    );
    assert!(
        out.contains("DDDD2222EEE: from=<alice@example.org>"),
        "{out}"
    );
    assert!(out.contains("##mailtrace end 0"));
    assert!(
        out.contains("##mailtrace end 1"),
        "no match in the live file is status 1: {out}"
    );
}

#[test]
fn no_matching_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let glob = format!("{}/nothing*", dir.path().display());
    let request = SearchRequest {
        patterns: vec!["x".into()],
        ignore_case: false,
        window: window("2026-11-25T00:00:00+08:00", "2026-11-29T00:00:00+08:00"),
        expand: None,
    };
    let out = run(
        &remote_command(&[glob], &request, false).unwrap(),
        dir.path(),
    );
    assert_eq!(out, "##mailtrace nofiles\n");
}

#[test]
fn adversarial_keywords_only_search() {
    let dir = tempfile::tempdir().unwrap();
    logs(dir.path());
    let glob = format!("{}/maillog*", dir.path().display());
    let evil = [
        "$(touch pwned1)",
        "`touch pwned2`",
        "; touch pwned3",
        "' ; touch pwned4 ; '",
        "\" ; touch pwned5 ; \"",
        "-f/etc/passwd",
        "--help",
        "|| touch pwned6",
        "$((1+1)) ${HOME} \\ * ?",
    ];
    for keyword in evil {
        let request = SearchRequest {
            patterns: vec![keyword.to_string()],
            ignore_case: true,
            window: window("2026-11-25T00:00:00+08:00", "2026-11-29T00:00:00+08:00"),
            expand: Some(window(
                "2026-11-25T00:00:00+08:00",
                "2026-11-29T00:00:00+08:00",
            )),
        };
        let out = run(
            &remote_command(std::slice::from_ref(&glob), &request, false).unwrap(),
            dir.path(),
        );
        assert!(out.ends_with("##mailtrace done\n"), "{keyword}: {out}");
        assert!(!out.contains("root:"), "{keyword} read another file");
    }
    let entries: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.iter().all(|e| !e.starts_with("pwned")),
        "{entries:?}"
    );
}
