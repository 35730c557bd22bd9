//! The text trace on hand-made runs: widths.

use chrono::{DateTime, FixedOffset};

use super::trace_text;
use crate::analyze::{analyze_message, Site};
use crate::collect::FileState;
use crate::engine::{HostSummary, LogFile, QueryEcho, Stats, TraceRun, WindowView};
use crate::trace::{Edge, MessageTrace, RecipientOutcome, State, Trace};

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
        graph_dot: String::new(),
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
        verdict: "CORRECT".into(),
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
    }
}
