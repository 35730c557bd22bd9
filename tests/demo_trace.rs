//! Traces of the bundled demo site, read over real SSH from the embedded
//! servers: the inbound path and its queue IDs, the bounce, round counts,
//! per-host timings, the retried hop in text, and a JSON snapshot of the
//! whole answer.

mod common;

use common::{site, trace_keyword};
use mailtrace::demo::SiteOptions;
use mailtrace::trace::State;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_path_has_every_queue_id_in_few_rounds() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    assert!(run.failed_hosts().is_empty(), "{:?}", run.hosts);
    assert_eq!(run.trace.messages.len(), 1);
    let m = &run.trace.messages[0];
    assert_eq!(m.nodes, ["csmx1", "maillist1", "mailer4", "maildirect1"]);
    let hops: Vec<(&str, &str, &str, Option<&str>)> = m
        .edges
        .iter()
        .map(|e| {
            (
                e.from.as_str(),
                e.to.as_str(),
                e.mail_id.as_str(),
                e.next_mail_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        hops,
        [
            ("csmx1", "maillist1", "260601E0209", Some("357AB360271")),
            ("maillist1", "mailer4", "357AB360271", Some("4A6B12DF677")),
            ("mailer4", "maildirect1", "4A6B12DF677", Some("5B8AC3DFA90")),
        ]
    );
    assert_eq!(m.hop_count, 3);
    for r in &m.recipients {
        assert_eq!(r.state, State::Delivered, "{r:?}");
        assert_eq!(r.host, "maildirect1");
        assert_eq!(r.mail_id.as_deref(), Some("5B8AC3DFA90"));
    }
    let addresses: Vec<&str> = m.recipients.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, ["bob@cs.example.edu", "carol@cs.example.edu"]);
    // a four-hop trace with Message-IDs needs at most 3 rounds, each in parallel
    assert!(run.stats.rounds <= 3, "rounds: {}", run.stats.rounds);
    let second = &run.stats.per_round[1];
    assert!(
        second.hosts.len() >= 4,
        "round 2 searched {:?}",
        second.hosts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_is_bounced_and_the_notice_is_traced() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let run = trace_keyword(
        &inventory,
        "smtp-cluster",
        "nosuchuser@cs.example.edu",
        "2026-11-28 22:15:00",
        "30m",
    )
    .await;
    let bounced: Vec<_> = run
        .trace
        .recipients
        .iter()
        .filter(|r| r.address == "nosuchuser@cs.example.edu")
        .collect();
    assert_eq!(bounced.len(), 1);
    assert_eq!(bounced[0].state, State::Bounced);
    assert_eq!(bounced[0].dsn.as_deref(), Some("5.1.1"));
    assert_eq!(bounced[0].smtp_code, Some(550));
    assert_eq!(bounced[0].host, "mailer4");
    let notice = run
        .trace
        .messages
        .iter()
        .find(|m| m.notification_of.is_some())
        .expect("the non-delivery notification is its own message");
    assert_eq!(notice.notification_of.as_deref(), Some("190622B77AA"));
    assert_eq!(notice.recipients[0].address, "heidi@cs.example.edu");
    assert_eq!(notice.recipients[0].state, State::Delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferral_then_success_keeps_one_queue_id() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "frank@example.com",
        "2026-11-28 22:10:00",
        "30m",
    )
    .await;
    let m = &run.trace.messages[0];
    let hop = m.edges.iter().find(|e| e.from == "maillist1").unwrap();
    assert_eq!(hop.mail_id, "3D0E33600A8");
    assert_eq!(hop.status, "sent");
    assert_eq!(hop.retries, 2);
    assert_eq!(m.recipients[0].state, State::Delivered);
    // the NOQUEUE rejections on mailer4 explain the retries; they are not separate messages
    assert_eq!(run.trace.messages.len(), 1);

    // the text shows each failed attempt of the retried hop; wide enough
    // that no row wraps: one line per row
    let text = mailtrace::render::trace_text(&run, false, 400);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("3D0E33600A8") && l.contains("→ mailer4"))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    for (row, time) in rows[..2].iter().zip(["11-28 22:10:03", "11-28 22:20:03"]) {
        assert!(row.contains(time), "{row}");
        assert!(row.contains("deferred → mailer4"), "{row}");
        assert!(
            row.contains("4.7.1") && row.contains("said: 454 4.7.1"),
            "{row}"
        );
        assert!(row.contains("Relay access denied"), "{row}");
    }
    // the rows above show the retries: no count beside the hop
    assert!(rows[2].contains("sent → mailer4 "), "{}", rows[2]);
    assert!(!rows[2].contains("retries"), "{}", rows[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_across_a_gz_rotation_is_whole() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let run = trace_keyword(
        &inventory,
        "csmail1",
        "ivan@cs.example.edu",
        "2026-11-27 04:00:00",
        "30m",
    )
    .await;
    let m = &run.trace.messages[0];
    assert_eq!(m.nodes, ["csmail1", "mailer4", "mxlog.example.net"]);
    let entry = &m.instances[0];
    assert_eq!(entry.mail_id, "577F12C123D");
    assert_eq!(entry.first.to_rfc3339(), "2026-11-27T03:59:57+08:00");
    assert!(
        entry.client.is_some(),
        "the client= line is in maillog.2.gz"
    );
    assert_eq!(m.recipients[0].state, State::Relayed);
    assert_eq!(m.recipients[0].host, "mxlog.example.net");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_answer_matches_the_snapshot() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let mut run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    // timings vary from run to run, and so does the site's directory
    run.stats.elapsed_ms = 0;
    for r in &mut run.stats.per_round {
        r.elapsed_ms = 0;
        for v in r.hosts.values_mut() {
            *v = 0;
        }
    }
    for h in &mut run.hosts {
        h.elapsed_ms = 0;
    }
    let mut json: serde_json::Value = serde_json::to_value(&run).unwrap();
    if let Some(hosts) = json["hosts"].as_array_mut() {
        hosts.iter_mut().for_each(common::steady_log_paths);
    }
    for key in [
        "query",
        "messages",
        "nodes",
        "edges",
        "hop_count",
        "graph_dot",
        "recipients",
        "hosts",
        "warnings",
        "stats",
    ] {
        assert!(json.get(key).is_some(), "missing top-level {key}");
    }
    insta::assert_json_snapshot!("demo_inbound_trace", json);
}
