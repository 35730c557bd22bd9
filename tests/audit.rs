//! `audit` over the demo site (read over SSH): the sections hold what the
//! bundled stories say (demo/STORIES.md), in every format.

mod common;

use mailtrace::demo::SiteOptions;
use mailtrace::engine::{run_audit, AuditRequest};
use mailtrace::render;
use mailtrace::time::parse_local_time;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_of_an_evening_matches_the_stories() {
    let (_site, inventory) = common::site(SiteOptions::default()).await;
    let window = mailtrace::time::Window {
        from: parse_local_time("2026-11-28 21:00:00", &inventory.zone).unwrap(),
        to: parse_local_time("2026-11-28 23:00:00", &inventory.zone).unwrap(),
    };
    let collector = common::collector(&inventory);
    let run = run_audit(
        &collector,
        &AuditRequest {
            clusters: Vec::new(),
            window,
            follow: std::time::Duration::from_secs(5 * 86_400),
        },
    )
    .await;
    collector.close().await;
    let r = &run.report;
    assert!(
        run.hosts.iter().all(|h| h.error.is_none()),
        "{:?}",
        run.hosts
    );

    // story 4: nosuchuser bounced 5.1.1 at mailer4; story 6: 450 4.1.8 at csmx1
    let bounce = r
        .failures
        .iter()
        .find(|f| f.state == "bounced")
        .expect("a bounce class");
    assert_eq!(
        (bounce.dsn.as_str(), bounce.rule.as_str(), bounce.count),
        ("5.1.1", "user_unknown", 1)
    );
    let example = &bounce.examples[0];
    assert_eq!(
        example.message_id.as_deref(),
        Some("<e2d4f6a8-1357-4b9c-8d0e-f1a2b3c4d5e6@cs.example.edu>")
    );
    assert_eq!(
        (example.sender.as_str(), example.recipient.as_deref()),
        ("heidi@cs.example.edu", Some("nosuchuser@cs.example.edu"))
    );
    let reject = r
        .failures
        .iter()
        .find(|f| f.state == "rejected")
        .expect("a reject class");
    assert_eq!(
        (reject.dsn.as_str(), reject.rule.as_str(), reject.count),
        ("4.1.8", "sender_domain_not_found", 1)
    );
    // a NOQUEUE refusal has no queue ID, but names who and what was refused
    let refused = &reject.examples[0];
    assert_eq!(
        (
            refused.host.as_str(),
            refused.mail_id.as_deref(),
            refused.sender.as_str(),
            refused.recipient.as_deref()
        ),
        (
            "csmx1",
            None,
            "spam@nonexistent.invalid",
            Some("bob@cs.example.edu")
        )
    );
    assert_eq!(
        (refused.client_name.as_deref(), refused.client_ip.as_deref()),
        (Some("unknown"), Some("198.51.100.7"))
    );
    assert!(refused
        .reply
        .starts_with("450 4.1.8 <spam@nonexistent.invalid>"));
    assert_eq!(refused.dsn.as_deref(), Some("4.1.8"));
    assert_eq!(r.per_host["mailer4"].bounced, 1);
    assert_eq!(r.per_host["csmx1"].rejected, 1);
    // story 3 recovered from its deferrals: nothing is stuck at the end
    assert!(r.stuck.is_empty(), "{:?}", r.stuck);
    assert_eq!(r.per_host["maillist1"].deferred, 0);
    // stories 1 and 3 are inbound, 2 outbound, 4 internal
    assert!(
        r.per_direction["inbound"] >= 2
            && r.per_direction["outbound"] >= 1
            && r.per_direction["internal"] >= 1
    );
    // story 3 waited 30 minutes at maillist1: the slowest message
    assert_eq!(
        r.slowest[0].0,
        "<20261128141001.5c9e2a7f1b3d8046@mail.example.com>"
    );
    assert!(
        r.hop_delay.max > 1800.0 && r.hop_delay.p50 < 1.0,
        "{:?}",
        r.hop_delay
    );
    // every inbound arrival at the MX ends somewhere: relayed on, or refused
    let mx = run
        .flows
        .iter()
        .find(|f| f.cluster == "mx-cluster")
        .unwrap();
    assert_eq!(mx.problems, 0);
    assert_eq!(mx.counts.get("rejected"), Some(&1));
    assert!(run.problems.is_empty(), "{:?}", run.problems);

    let text = render::audit_text(&run);
    let markdown = render::audit_markdown(&run);
    let html = render::audit_html(&run);
    let json: serde_json::Value = serde_json::from_str(&render::json(&run)).unwrap();
    for title in [
        "Totals per cluster",
        "Stuck mail",
        "Bounces and rejections by cause",
        "Path anomalies",
        "Flow conservation",
        "Delays (seconds)",
        "Collection health",
    ] {
        assert!(text.contains(title), "text lacks {title}");
        assert!(
            markdown.contains(&format!("## {title}")),
            "markdown lacks {title}"
        );
        assert!(
            html.contains(&format!("<h2>{title}</h2>")),
            "html lacks {title}"
        );
    }
    // the rejections name who in every format
    for column in ["where", "sender", "recipient", "client", "reply"] {
        assert!(
            markdown.contains(&format!(" {column} |")),
            "markdown lacks {column}"
        );
        assert!(
            html.contains(&format!("<th>{column}</th>")),
            "html lacks {column}"
        );
    }
    assert!(markdown.contains("| csmx1 NOQUEUE |  | spam@nonexistent.invalid | bob@cs.example.edu | unknown[198.51.100.7] | 450 4.1.8 "));
    assert!(html.contains("<td>csmx1 NOQUEUE</td>"));
    assert!(text.contains("- csmx1 NOQUEUE: from spam@nonexistent.invalid to bob@cs.example.edu, client unknown[198.51.100.7]"));
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("</table>").count()
    );
    assert!(html.contains("<svg") && html.contains("</svg>"));
    assert!(
        !html.contains("http://") || html.matches("http://").count() == 1,
        "no external assets"
    );
    for key in [
        "per_host",
        "per_cluster",
        "per_direction",
        "stuck",
        "failures",
        "anomalies",
        "hop_delay",
        "total_delay",
        "flows",
        "hosts",
        "problems",
    ] {
        assert!(json.get(key).is_some(), "json lacks {key}");
    }

    // whole reports, kept beside the test: only the clock and timings vary
    insta::assert_snapshot!("audit_text", steady_text(&text));
    insta::assert_json_snapshot!("audit_json", steady_json(json));
}

/// The text report without the moment it was made and the search timings.
fn steady_text(text: &str) -> String {
    let generated = regex::Regex::new(r"generated [^\n]*").unwrap();
    let text = generated.replace_all(text, "generated [time]");
    let ms = regex::Regex::new(r"(?m)^(│ \S+ +│ .*│ )\d+( +│)").unwrap();
    ms.replace_all(&text, "$1[ms]$2").into_owned()
}

/// The JSON report without the moment it was made, the search timings,
/// how many queue stays were held at once (it depends on arrival order)
/// and the demo site's temporary directory.
fn steady_json(mut json: serde_json::Value) -> serde_json::Value {
    json["generated"] = "[time]".into();
    json["peak_instances"] = "[count]".into();
    if let Some(hosts) = json["hosts"].as_array_mut() {
        for h in hosts {
            h["elapsed_ms"] = "[ms]".into();
            common::steady_log_paths(h);
        }
    }
    json
}
