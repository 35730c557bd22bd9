//! The text trace on hand-made runs: widths, retried hops, repeated
//! addresses, refusals without recipients and files passed over.

use chrono::{DateTime, FixedOffset};

use super::trace_text;
use crate::analyze::{analyze_message, Site};
use crate::collect::FileState;
use crate::report::{FileWarning, HostSummary, LogFile, QueryEcho, Stats, TraceRun, WindowView};
use crate::trace::{
    AttemptView, Edge, InstanceView, MessageTrace, RecipientOutcome, Refusal, State, Trace,
};

fn at(time: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("2026-11-28T{time}+08:00")).unwrap()
}

fn message(recipients: Vec<RecipientOutcome>) -> MessageTrace {
    MessageTrace {
        message_id: Some("<m1@example.org>".into()),
        sender: Some("alice@example.org".into()),
        origin: None,
        notification_of: None,
        first_seen: Some(at("22:00:00")),
        nodes: vec!["h1".into(), "h2".into()],
        edges: Vec::new(),
        hop_count: 1,
        recipients,
        refused: None,
        instances: Vec::new(),
    }
}

fn outcome(address: &str, host: &str, mail_id: &str, time: &str) -> RecipientOutcome {
    RecipientOutcome {
        address: address.into(),
        original: None,
        state: State::Delivered,
        host: host.into(),
        mail_id: Some(mail_id.into()),
        dsn: Some("2.0.0".into()),
        smtp_code: None,
        reply: Some("delivered to maildir".into()),
        time: Some(at(time)),
        hops: 1,
        path: vec!["h1".into(), host.into()],
        failed_hop: None,
        note: None,
        refused_at: None,
    }
}

fn edge(recipients: &[String], time: &str, retries: usize) -> Edge {
    Edge {
        from: "h1".into(),
        to: "h2".into(),
        mail_id: "AAA111".into(),
        next_mail_id: Some("BBB222".into()),
        recipients: recipients.to_vec(),
        time: at(time),
        status: "sent".into(),
        dsn: Some("2.0.0".into()),
        smtp_code: Some(250),
        reply: "250 2.0.0 Ok: queued as BBB222".into(),
        retries,
    }
}

fn attempt(to: &str, time: &str, status: &str, reply: &str) -> AttemptView {
    AttemptView {
        time: at(time),
        to: to.into(),
        relay: "h2.example.edu[10.0.0.2]:25".into(),
        status: status.into(),
        dsn: reply.split(' ').nth(1).map(str::to_string),
        reply: reply.into(),
        smtp_code: reply.get(..3).and_then(|c| c.parse().ok()),
        delay: None,
        delays: None,
    }
}

fn run(messages: Vec<MessageTrace>) -> TraceRun {
    let site = Site::default();
    let analysis = messages.iter().map(|m| analyze_message(m, &site)).collect();
    TraceRun {
        query: QueryEcho {
            hosts: vec!["h1".into()],
            keywords: vec!["alice@example.org".into()],
            mail_id: None,
            message_id: None,
            window: WindowView {
                from: "2026-11-28T21:00:00+08:00".into(),
                to: "2026-11-28T23:00:00+08:00".into(),
                zone: "+08:00".into(),
            },
        },
        trace: Trace {
            messages,
            ..Trace::default()
        },
        analysis,
        verdict: crate::analyze::Verdict::Correct,
        hosts: Vec::new(),
        warnings: Vec::new(),
        stats: Stats {
            rounds: 1,
            connections_opened: 0,
            elapsed_ms: 0,
            cut: false,
            unparsed_lines: 0,
            unparsed_examples: Vec::new(),
            per_round: Vec::new(),
        },
        clusters: Default::default(),
    }
}

fn longest_line(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn forty_recipients_fit_the_width() {
    let addresses: Vec<String> = (0..40)
        .map(|i| format!("recipient-number-{i:02}@physics.example.edu"))
        .collect();
    let mut m = message(
        addresses
            .iter()
            .map(|a| outcome(a, "h2", "BBB222", "22:00:02"))
            .collect(),
    );
    m.edges = vec![edge(&addresses, "22:00:01", 1)];
    let long = "451 4.3.0 <recipient-number-00@physics.example.edu>: Temporary lookup failure, see https://support.example.edu/mail/errors/lookup-failure-while-resolving-aliases";
    m.instances = vec![InstanceView {
        host: "h1".into(),
        mail_id: "AAA111".into(),
        first: at("21:59:00"),
        last: at("22:00:01"),
        client: None,
        sasl_username: None,
        attempts: vec![
            attempt(&addresses[0], "21:59:30", "deferred", long),
            attempt(&addresses[0], "22:00:01", "sent", "250 2.0.0 Ok"),
        ],
    }];
    m.recipients[1].note = Some(format!("{long} {long}"));
    let mut run = run(vec![m]);
    let mut h1 = HostSummary::new("h1-with-a-rather-long-inventory-name.example.edu");
    h1.searched = true;
    h1.error = Some(format!(
        "grep failed on /var/log/{} (status 2)",
        "x".repeat(120)
    ));
    h1.log_files = vec![LogFile {
        path: format!("/srv/copied-logs/{}/maillog.1", "y".repeat(90)),
        mtime: at("20:00:00").to_utc(),
        size: 1,
        state: FileState::Skipped,
    }];
    run.hosts.push(h1);
    for width in [100, 80, 60] {
        let text = trace_text(&run, false, width);
        assert!(
            longest_line(&text) <= width,
            "a line is longer than {width}:\n{text}"
        );
        assert!(text.contains("and 3"), "the list is summarised:\n{text}");
        if width >= 80 {
            assert!(text.contains("deferred → h2"), "{text}");
        }
    }
}

#[test]
fn a_retried_hop_shows_every_failed_attempt() {
    let bob = "bob@example.edu".to_string();
    let mut m = message(vec![outcome(&bob, "h2", "BBB222", "22:20:02")]);
    m.edges = vec![edge(std::slice::from_ref(&bob), "22:20:01", 2)];
    let denied = "454 4.7.1 <bob@example.edu>: Relay access denied";
    m.instances = vec![InstanceView {
        host: "h1".into(),
        mail_id: "AAA111".into(),
        first: at("21:59:59"),
        last: at("22:20:01"),
        client: None,
        sasl_username: None,
        attempts: vec![
            attempt(&bob, "22:00:01", "deferred", denied),
            attempt(&bob, "22:10:01", "deferred", denied),
            attempt(&bob, "22:20:01", "sent", "250 2.0.0 Ok: queued as BBB222"),
        ],
    }];
    let mut unlisted = m.clone();
    unlisted.instances.clear();
    let text = trace_text(&run(vec![m]), false, 160);
    assert_eq!(text.matches("deferred → h2").count(), 2, "{text}");
    assert_eq!(text.matches("454 4.7.1").count(), 2, "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("AAA111")).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows[0].contains("11-28 22:00:01") && rows[0].contains("4.7.1"));
    assert!(rows[1].contains("11-28 22:10:01"));
    // the rows above show the retries: no count beside the hop
    assert!(rows[2].contains("sent → h2 "), "{}", rows[2]);
    assert!(!rows[2].contains("retries"), "{}", rows[2]);
    // without the attempts at hand, the count stands in for them
    let text = trace_text(&run(vec![unlisted]), false, 160);
    assert!(text.contains("sent → h2 (after 2 retries)"), "{text}");
}

#[test]
fn an_address_named_twice_gets_one_block() {
    let carol = "carol@example.edu".to_string();
    let mut first = outcome(&carol, "h2", "BBB222", "22:00:02");
    first.original = Some("team@example.edu".into());
    let second = outcome(&carol, "h2", "CCC333", "22:00:05");
    let mut m = message(vec![first.clone(), second, first]);
    m.edges = vec![edge(&["team@example.edu".to_string()], "22:00:01", 0)];
    let text = trace_text(&run(vec![m]), false, 120);
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  carol@example.edu"))
        .collect();
    assert_eq!(
        headings,
        ["  carol@example.edu (for team@example.edu): DELIVERED (2 outcomes)"],
        "{text}"
    );
    let rows = |id: &str, status: &str| {
        text.lines()
            .filter(|l| l.contains(id) && l.contains(status))
            .count()
    };
    assert_eq!(rows("BBB222", "delivered"), 1, "{text}");
    assert_eq!(rows("CCC333", "delivered"), 1, "{text}");
    assert_eq!(rows("AAA111", "sent → h2"), 1, "{text}");
}

#[test]
fn a_refusal_without_recipients_says_what_was_refused() {
    let mut m = message(Vec::new());
    m.message_id = None;
    m.sender = Some(String::new());
    m.nodes = vec!["mx1".into()];
    m.refused = Some(Refusal {
        state: State::Rejected,
        host: "mx1".into(),
        mail_id: None,
        action: "reject".into(),
        stage: "CONNECT".into(),
        dsn: Some("5.7.1".into()),
        smtp_code: Some(554),
        reply: "554 5.7.1 <unknown[203.0.113.66]>: Client host rejected: Access denied".into(),
        time: at("22:31:09"),
    });
    let mut unknown = m.clone();
    unknown.sender = None;
    let text = trace_text(&run(vec![m]), false, 100);
    for part in [
        "Rejected before queueing",
        "from:   <> (null sender)",
        "no recipient was logged: REJECTED",
        "time    2026-11-28 22:31:09 +08:00",
        "host    mx1, before queueing (NOQUEUE)",
        "action  reject at CONNECT",
        "dsn     5.7.1",
        "reply   554 5.7.1 <unknown[203.0.113.66]>: Client host rejected: Access denied",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
    let text = trace_text(&run(vec![unknown]), false, 100);
    assert!(text.contains("from:   unknown"), "{text}");
}

#[test]
fn files_passed_over_and_late_files_are_named() {
    let log = |path: &str, state| LogFile {
        path: path.into(),
        mtime: at("21:00:00").to_utc(),
        size: 10,
        state,
    };
    let mut run = run(Vec::new());
    for name in ["h1", "h2"] {
        let mut h = HostSummary::new(name);
        h.searched = true;
        h.log_files = vec![
            log("/var/log/maillog", FileState::Searched),
            log("/var/log/maillog.1", FileState::Skipped),
            log("/var/log/maillog.2.xz", FileState::NoTool),
        ];
        run.hosts.push(h);
    }
    run.warnings.push(FileWarning {
        host: "h1".into(),
        file: "/var/log/maillog".into(),
        mtime: at("21:00:00").to_utc(),
        latest_line: at("22:15:00"),
    });
    let text = trace_text(&run, false, 200);
    for part in [
        "note: h1, h2 not read, modified before the window began: /var/log/maillog.1\n",
        "warning: h1, h2 not read (no tool on the host to decompress): /var/log/maillog.2.xz\n",
        "warning: h1 /var/log/maillog: lines up to 2026-11-28 22:15:00 +08:00 but the file's mtime is 2026-11-28 21:00:00 +08:00",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
}
