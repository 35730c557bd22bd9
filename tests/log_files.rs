//! What a trace says about the log files it read and passed over, on a
//! two-host site read locally (`address: local`) from a temporary
//! directory: a rotated file skipped because its mtime ends before the
//! window, a live file whose lines are later than its mtime (a copied log),
//! and bytes counted once per file however many rounds and passes read it.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use mailtrace::collect::FileState;
use mailtrace::engine::{HostSummary, TraceRequest, TraceRun};
use mailtrace::inventory::Inventory;
use mailtrace::time::parse_duration;

const INVENTORY: &str = r#"defaults:
  timezone: "+08:00"
  ssh_config: /dev/null
local_domains: [example.edu]
hosts:
  h1:
    address: local
    aliases: [h1.example.edu, 10.0.0.1]
    logs: ["logs/h1/maillog*"]
  h2:
    address: local
    aliases: [h2.example.edu, 10.0.0.2]
    logs: ["logs/h2/maillog*"]
clusters:
  c1: [h1]
"#;

const H1_LIVE: &str = "\
Nov 28 22:00:01 h1 postfix/smtpd[100]: connect from client.example.org[192.0.2.10]
Nov 28 22:00:01 h1 postfix/smtpd[100]: 4A1B2C3D4E5: client=client.example.org[192.0.2.10]
Nov 28 22:00:01 h1 postfix/cleanup[101]: 4A1B2C3D4E5: message-id=<copied1@example.org>
Nov 28 22:00:01 h1 postfix/qmgr[102]: 4A1B2C3D4E5: from=<alice@example.org>, size=1234, nrcpt=1 (queue active)
Nov 28 22:00:02 h1 postfix/smtp[103]: 4A1B2C3D4E5: to=<bob@example.edu>, relay=h2.example.edu[10.0.0.2]:25, delay=0.5, delays=0.1/0.1/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5B2C3D4E5F6)
Nov 28 22:00:02 h1 postfix/qmgr[102]: 4A1B2C3D4E5: removed
";

const H1_ROTATED: &str = "\
Nov 26 09:00:01 h1 postfix/smtpd[90]: connect from client.example.org[192.0.2.10]
Nov 26 09:00:01 h1 postfix/smtpd[90]: disconnect from client.example.org[192.0.2.10]
";

const H2_LIVE: &str = "\
Nov 28 22:00:02 h2 postfix/smtpd[200]: 5B2C3D4E5F6: client=h1.example.edu[10.0.0.1]
Nov 28 22:00:02 h2 postfix/cleanup[201]: 5B2C3D4E5F6: message-id=<copied1@example.org>
Nov 28 22:00:02 h2 postfix/qmgr[202]: 5B2C3D4E5F6: from=<alice@example.org>, size=1400, nrcpt=1 (queue active)
Nov 28 22:00:02 h2 postfix/local[203]: 5B2C3D4E5F6: to=<bob@example.edu>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)
Nov 28 22:00:02 h2 postfix/qmgr[202]: 5B2C3D4E5F6: removed
";

/// Writes a log file with its modification time.
fn log(dir: &Path, path: &str, text: &str, mtime: &str) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(mtime).unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64))
        .unwrap();
}

/// The site: h1's live log was copied at 21:40, after the fact, so its
/// lines (22:00) are later than its mtime; its rotated log ends two days
/// before the window. h2's log is stamped as syslog left it.
async fn traced() -> (tempfile::TempDir, TraceRun) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("inventory.yaml"), INVENTORY).unwrap();
    log(
        dir.path(),
        "logs/h1/maillog",
        H1_LIVE,
        "2026-11-28T21:40:00+08:00",
    );
    log(
        dir.path(),
        "logs/h1/maillog.1",
        H1_ROTATED,
        "2026-11-26T09:30:00+08:00",
    );
    log(
        dir.path(),
        "logs/h2/maillog",
        H2_LIVE,
        "2026-11-28T22:05:00+08:00",
    );
    let inventory = Inventory::load(&dir.path().join("inventory.yaml")).unwrap();
    let request = TraceRequest::by_keywords(
        common::hosts(&inventory, "c1"),
        vec!["alice@example.org".into()],
        common::window(&inventory, "2026-11-28 22:00:00", "1h"),
        parse_duration("5d").unwrap(),
    );
    let run = common::trace_request(&inventory, &request).await;
    assert!(run.failed_hosts().is_empty(), "{:?}", run.hosts);
    assert_eq!(run.trace.messages.len(), 1);
    (dir, run)
}

fn host<'a>(run: &'a TraceRun, name: &str) -> &'a HostSummary {
    run.hosts.iter().find(|h| h.name == name).unwrap()
}

#[tokio::test]
async fn bytes_count_each_file_once_over_rounds_and_passes() {
    let (dir, run) = traced().await;
    // h1 is read in the keyword pass and the queue ID pass of round 1, and
    // again when round 2 asks every host for the Message-ID
    assert!(run.stats.rounds >= 2, "rounds: {}", run.stats.rounds);
    let size = |p: &str| fs::metadata(dir.path().join(p)).unwrap().len();
    let h1 = host(&run, "h1");
    assert_eq!(h1.bytes_searched, size("logs/h1/maillog"), "{h1:?}");
    assert_eq!((h1.files, h1.files_skipped), (1, 1));
    let h2 = host(&run, "h2");
    assert_eq!(h2.bytes_searched, size("logs/h2/maillog"), "{h2:?}");
}

#[tokio::test]
async fn skipped_files_and_lines_later_than_the_mtime_are_reported() {
    let (_dir, run) = traced().await;
    let h1 = host(&run, "h1");
    let states: Vec<(&str, FileState)> = h1
        .log_files
        .iter()
        .map(|f| (f.path.rsplit('/').next().unwrap_or(""), f.state))
        .collect();
    assert_eq!(
        states,
        [
            ("maillog.1", FileState::Skipped),
            ("maillog", FileState::Searched)
        ]
    );
    // one warning for h1's live file, however many of its lines are late
    assert_eq!(run.warnings.len(), 1, "{:?}", run.warnings);
    let w = &run.warnings[0];
    assert_eq!(w.host, "h1");
    assert!(w.file.ends_with("logs/h1/maillog"), "{}", w.file);
    assert_eq!(w.latest_line.to_rfc3339(), "2026-11-28T22:00:02+08:00");

    let json = serde_json::to_value(&run).unwrap();
    let files = &json["hosts"][0]["log_files"];
    assert_eq!(files[0]["state"], "skipped", "{files}");
    assert_eq!(files[1]["state"], "searched", "{files}");
    assert_eq!(json["warnings"][0]["host"], "h1");
    assert_eq!(json["warnings"][0]["file"], w.file.as_str());

    let text = mailtrace::render::trace_text(&run, false, 400);
    let skipped = format!(
        "  note: h1 not read, modified before the window began: {}\n",
        h1.log_files[0].path
    );
    assert!(text.contains(&skipped), "{text}");
    let late = format!(
        "  warning: h1 {}: lines up to 2026-11-28 22:00:02 +08:00 but the file's mtime is 2026-11-28 21:40:00 +08:00",
        w.file
    );
    assert!(text.contains(&late), "{text}");
}
