//! Throughput of the hot paths on a generated log, printed as figures:
//! lines/s parsed on one core, and MB/s searched by the local source
//! (the same matching and queue ID expansion as the remote script).
//!
//! `cargo bench --bench throughput [-- LINES]` (default 1,000,000 lines).

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use mailtrace::parse::{parse_line, LineContext};
use mailtrace::time::{Window, Zone};

/// Realistic lines, cycled with fresh queue IDs.
const SHAPES: [&str; 8] = [
    "Nov 28 21:58:03 mailer4 postfix/smtpd[12345]: QID: client=maillist1.test.cs.example.edu[10.2.9.74]",
    "Nov 28 21:58:03 mailer4 postfix/cleanup[12346]: QID: message-id=<QID.1700000000@client.example.org>",
    "Nov 28 21:58:03 mailer4 postfix/qmgr[1021]: QID: from=<alice@example.org>, size=2345, nrcpt=1 (queue active)",
    "Nov 28 21:58:03 mailer4 postfix/smtp[12347]: QID: to=<bob@cs.example.edu>, relay=maildirect1.test.cs.example.edu[10.2.9.81]:25, delay=0.09, delays=0.02/0.01/0.03/0.03, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5B8AC3DFA90)",
    "Nov 28 21:58:03 mailer4 postfix/qmgr[1021]: QID: removed",
    "Nov 28 21:58:04 mailer4 postfix/smtpd[12345]: disconnect from maillist1.test.cs.example.edu[10.2.9.74] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
    "Nov 28 21:58:05 mailer4 postfix/smtpd[12350]: NOQUEUE: reject: RCPT from maillist1.test.cs.example.edu[10.2.9.74]: 454 4.7.1 <grace@cs.example.edu>: Relay access denied; from=<frank@example.com> to=<grace@cs.example.edu> proto=ESMTP helo=<maillist1.test.cs.example.edu>",
    "Nov 28 21:58:06 mailer4 postfix/smtp[12351]: QID: to=<x@example.net>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.net[203.0.113.9]:25: Connection timed out)",
];

fn main() {
    let lines: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut log = String::with_capacity(lines * 150);
    for i in 0..lines {
        let qid = format!("{:011X}", 0x1000_0000_u64 + (i / SHAPES.len()) as u64);
        log.push_str(&SHAPES[i % SHAPES.len()].replace("QID", &qid));
        log.push('\n');
    }
    let megabytes = log.len() as f64 / 1e6;

    let ctx = LineContext {
        zone: Zone::parse("+08:00").expect("zone"),
        reference: Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap(),
    };
    let started = Instant::now();
    let mut parsed = 0usize;
    for line in log.lines() {
        if parse_line(line, &ctx).is_ok() {
            parsed += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "parse:  {parsed} of {lines} lines in {secs:.3}s = {:.2} M lines/s, {:.0} MB/s (one core)",
        lines as f64 / secs / 1e6,
        megabytes / secs
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("maillog");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(log.as_bytes()))
        .expect("write log");
    let request = mailtrace::plan::SearchRequest {
        patterns: vec!["grace@cs.example.edu".into()],
        ignore_case: true,
        window: Window {
            from: Utc.timestamp_opt(0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
        },
        expand: None,
    };
    let host: Arc<str> = Arc::from("bench");
    let started = Instant::now();
    let mut found = 0usize;
    let report = mailtrace::collect::search_local(
        &host,
        &[path.display().to_string()],
        &request,
        &mut |_| found += 1,
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "search: {found} matching lines of {} bytes in {secs:.3}s = {:.0} MB/s (local source)",
        report.bytes_searched,
        megabytes / secs
    );
}
