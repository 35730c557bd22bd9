//! The audit report as text (for a cron mail), Markdown, or one
//! self-contained HTML page with an inline SVG chart. The sections are built
//! once as plain tables and then laid out three ways.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};

use crate::analyze::{AuditReport, FailureClass, FailureExample, Totals};
use crate::report::AuditRun;

/// One titled table.
struct Section {
    title: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    empty: &'static str,
    /// When set, the text layout of the rows: one block per row group
    /// instead of a table too wide for a mail.
    lines: Vec<String>,
}

fn totals_row(name: &str, t: &Totals) -> Vec<String> {
    [name.to_string()]
        .into_iter()
        .chain(
            [
                t.received,
                t.delivered,
                t.relayed_out,
                t.deferred,
                t.bounced,
                t.expired,
                t.rejected,
                t.held_or_discarded,
            ]
            .iter()
            .map(|n| n.to_string()),
        )
        .collect()
}

const TOTALS: [&str; 9] = [
    "",
    "received",
    "delivered",
    "relayed out",
    "deferred",
    "bounced",
    "expired",
    "rejected",
    "held/discarded",
];

const FAILURES: [&str; 10] = [
    "count",
    "state",
    "dsn",
    "cause",
    "where",
    "message",
    "sender",
    "recipient",
    "client",
    "reply",
];

/// One row per example of a class; the class's count, state, DSN and cause
/// on its first row only.
fn failure_rows(f: &FailureClass) -> Vec<Vec<String>> {
    f.examples
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let class = if i == 0 {
                vec![
                    f.count.to_string(),
                    f.state.clone(),
                    f.dsn.clone(),
                    f.cause.clone(),
                ]
            } else {
                vec![String::new(); 4]
            };
            let example = [
                place(e),
                e.message_id.clone().unwrap_or_default(),
                e.sender.clone(),
                e.recipient.clone().unwrap_or_else(|| "(none)".to_string()),
                client(e),
                e.reply.clone(),
            ];
            class.into_iter().chain(example).collect()
        })
        .collect()
}

/// A class as text: its count, state, DSN and cause, then each example
/// (where, sender, recipient, client) over its reply.
fn failure_lines(f: &FailureClass) -> Vec<String> {
    let dsn = if f.dsn.is_empty() { "no DSN" } else { &f.dsn };
    let mut lines = vec![format!("{} {}, {dsn}: {}", f.count, f.state, f.cause)];
    for e in &f.examples {
        let to = e.recipient.as_deref().unwrap_or("(no recipient)");
        let message = e
            .message_id
            .as_deref()
            .map(|m| format!(" {m}"))
            .unwrap_or_default();
        lines.push(format!(
            "  - {}{message}: from {} to {to}, client {}",
            place(e),
            e.sender,
            client(e)
        ));
        lines.push(format!("    {}", e.reply));
    }
    lines
}

/// `HOST QUEUEID`, or `HOST NOQUEUE` for a refusal before queueing.
fn place(e: &FailureExample) -> String {
    format!("{} {}", e.host, e.mail_id.as_deref().unwrap_or("NOQUEUE"))
}

/// `NAME[IP]` as logged, or `(none)` for locally submitted mail.
fn client(e: &FailureExample) -> String {
    match (&e.client_name, &e.client_ip) {
        (Some(name), Some(ip)) => format!("{name}[{ip}]"),
        (Some(name), None) => name.clone(),
        (None, _) => "(none)".to_string(),
    }
}

impl Section {
    /// A section laid out as a table in every format.
    fn table(
        title: &str,
        headers: Vec<&'static str>,
        rows: Vec<Vec<String>>,
        empty: &'static str,
    ) -> Section {
        Section {
            title: title.to_string(),
            headers,
            rows,
            empty,
            lines: Vec::new(),
        }
    }
}

fn sections(run: &AuditRun) -> Vec<Section> {
    let r = &run.report;
    let mut out = totals_sections(r);
    out.extend(problem_sections(run));
    out.extend(delay_sections(r));
    out.push(health_section(run));
    out
}

fn totals_sections(r: &AuditReport) -> Vec<Section> {
    let directions = r
        .per_direction
        .iter()
        .map(|(d, n)| vec![d.clone(), n.to_string()])
        .collect();
    vec![
        Section::table(
            "Totals per cluster",
            TOTALS.to_vec(),
            r.per_cluster
                .iter()
                .map(|(n, t)| totals_row(n, t))
                .collect(),
            "no clusters",
        ),
        Section::table(
            "Totals per host",
            TOTALS.to_vec(),
            r.per_host.iter().map(|(n, t)| totals_row(n, t)).collect(),
            "no mail",
        ),
        Section::table(
            "Messages per direction",
            vec!["direction", "messages"],
            directions,
            "no mail",
        ),
    ]
}

/// Stuck mail, failures by cause, path anomalies and flow conservation.
fn problem_sections(run: &AuditRun) -> Vec<Section> {
    let r = &run.report;
    let stuck = r
        .stuck
        .iter()
        .map(|s| {
            let age = std::time::Duration::from_secs(s.age_secs.max(0) as u64);
            vec![
                s.recipient.clone(),
                s.host.clone(),
                s.mail_id.clone().unwrap_or_default(),
                s.next_hop.clone().unwrap_or_default(),
                crate::time::format_duration(age),
                s.reply.clone(),
            ]
        })
        .collect();
    let anomalies = r
        .anomalies
        .iter()
        .map(|a| {
            let id = a.message_id.clone().unwrap_or_default();
            vec![id, a.check.clone(), a.note.clone()]
        })
        .collect();
    let flows = run
        .flows
        .iter()
        .map(|f| {
            let outcomes: Vec<String> = f.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            vec![
                f.cluster.clone(),
                f.total.to_string(),
                outcomes.join(", "),
                f.problems.to_string(),
            ]
        })
        .collect();
    vec![
        Section::table(
            "Stuck mail",
            vec!["recipient", "host", "queue ID", "next hop", "age", "reply"],
            stuck,
            "nothing stuck",
        ),
        Section {
            lines: r.failures.iter().flat_map(failure_lines).collect(),
            ..Section::table(
                "Bounces and rejections by cause",
                FAILURES.to_vec(),
                r.failures.iter().flat_map(failure_rows).collect(),
                "none",
            )
        },
        Section::table(
            "Path anomalies",
            vec!["message", "check", "note"],
            anomalies,
            "none",
        ),
        Section::table(
            "Flow conservation",
            vec!["cluster", "flows", "outcomes", "problems"],
            flows,
            "no clusters",
        ),
    ]
}

fn delay_sections(r: &AuditReport) -> Vec<Section> {
    let p = |name: &str, x: &crate::analyze::Percentiles| {
        vec![
            name.to_string(),
            x.count.to_string(),
            format!("{:.1}", x.p50),
            format!("{:.1}", x.p95),
            format!("{:.1}", x.max),
        ]
    };
    let slowest = r
        .slowest
        .iter()
        .map(|(m, s)| vec![m.clone(), format!("{s:.1}")])
        .collect();
    vec![
        Section::table(
            "Delays (seconds)",
            vec!["", "count", "p50", "p95", "max"],
            vec![p("per hop", &r.hop_delay), p("end to end", &r.total_delay)],
            "",
        ),
        Section::table(
            "Slowest messages",
            vec!["message", "seconds"],
            slowest,
            "none",
        ),
    ]
}

fn health_section(run: &AuditRun) -> Section {
    let rows = run
        .hosts
        .iter()
        .map(|h| {
            vec![
                h.name.clone(),
                h.searched.to_string(),
                h.files.to_string(),
                h.files_skipped.to_string(),
                h.bytes_searched.to_string(),
                h.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Section::table(
        "Collection health",
        vec!["host", "searched", "files", "skipped", "bytes", "error"],
        rows,
        "no hosts",
    )
}

fn header(run: &AuditRun) -> Vec<String> {
    let mut lines = vec![
        super::window_line(&run.window),
        format!(
            "{} message(s) in {} search round(s); generated {}",
            run.report.messages, run.rounds, run.generated
        ),
    ];
    if run.unparsed_lines > 0 {
        lines.push(format!(
            "{} line(s) could not be parsed, e.g. {}",
            run.unparsed_lines,
            run.unparsed_examples.join(" | ")
        ));
    }
    lines.push(if run.problems.is_empty() {
        "Status: OK".to_string()
    } else {
        format!("Status: PROBLEMS: {}", run.problems.join("; "))
    });
    lines
}

pub fn audit_text(run: &AuditRun) -> String {
    let mut out = String::new();
    for l in header(run) {
        let _ = writeln!(out, "{l}");
    }
    for s in sections(run) {
        let _ = writeln!(out, "\n{}", s.title);
        if s.rows.is_empty() {
            let _ = writeln!(out, "  {}", s.empty);
            continue;
        }
        if !s.lines.is_empty() {
            for l in &s.lines {
                let _ = writeln!(out, "  {l}");
            }
            continue;
        }
        let mut table = Table::new();
        table.load_preset(UTF8_BORDERS_ONLY);
        table.set_header(s.headers.clone());
        for row in &s.rows {
            table.add_row(row.clone());
        }
        for line in table.to_string().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn audit_markdown(run: &AuditRun) -> String {
    let mut out = String::from("# Mail audit\n\n");
    for l in header(run) {
        let _ = writeln!(out, "- {}", md_cell(&l));
    }
    for s in sections(run) {
        let _ = writeln!(out, "\n## {}\n", s.title);
        if s.rows.is_empty() {
            let _ = writeln!(out, "_{}_", s.empty);
            continue;
        }
        let _ = writeln!(
            out,
            "| {} |",
            s.headers
                .iter()
                .map(|h| md_cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(out, "|{}", "---|".repeat(s.headers.len()));
        for row in &s.rows {
            let _ = writeln!(
                out,
                "| {} |",
                row.iter()
                    .map(|c| md_cell(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart of messages per hour, stacked by entry host, as inline SVG.
fn volume_svg(run: &AuditRun) -> String {
    let volume = &run.report.volume;
    let hosts: Vec<String> = {
        let mut h: Vec<String> = volume.values().flat_map(|m| m.keys().cloned()).collect();
        h.sort();
        h.dedup();
        h
    };
    let max = volume
        .values()
        .map(|m| m.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (bar, gap, height) = (28usize, 8usize, 160usize);
    let width = (volume.len().max(1)) * (bar + gap) + 40;
    let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
        "#9c755f", "#bab0ac",
    ];
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"messages per hour\">", height + 60);
    for (i, (hour, counts)) in volume.iter().enumerate() {
        let x = 30 + i * (bar + gap);
        let mut y = height;
        for (h, host) in hosts.iter().enumerate() {
            let n = counts.get(host).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let hgt = n * height / max;
            y -= hgt;
            let _ = write!(svg, "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{hgt}\" fill=\"{}\"><title>{} {}: {n}</title></rect>", palette[h % palette.len()], esc(hour), esc(host));
        }
        let label = hour.get(11..13).unwrap_or(hour);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}h</text>",
            x + bar / 2,
            height + 14,
            esc(label)
        );
    }
    for (h, host) in hosts.iter().enumerate() {
        let _ = write!(svg, "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>", 30 + h * 110, height + 30, palette[h % palette.len()], 44 + h * 110, height + 39, esc(host));
    }
    svg.push_str("</svg>");
    svg
}

pub fn audit_html(run: &AuditRun) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mail audit</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}th{background:#eee}.bad{color:#b00}</style></head><body>\n<h1>Mail audit</h1>\n<ul>");
    for l in header(run) {
        let class = if l.starts_with("Status: PROBLEMS") {
            " class=\"bad\""
        } else {
            ""
        };
        let _ = write!(out, "<li{class}>{}</li>", esc(&l));
    }
    out.push_str("</ul>\n<h2>Messages per hour and entry host (UTC)</h2>\n");
    out.push_str(&volume_svg(run));
    for s in sections(run) {
        let _ = write!(out, "\n<h2>{}</h2>\n", esc(&s.title));
        if s.rows.is_empty() {
            let _ = write!(out, "<p>{}</p>", esc(s.empty));
            continue;
        }
        out.push_str("<table><tr>");
        for h in &s.headers {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr>");
        for row in &s.rows {
            out.push_str("<tr>");
            for c in row {
                let _ = write!(out, "<td>{}</td>", esc(c));
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    out.push_str("\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(
        sender: &str,
        recipient: Option<&str>,
        client: Option<(&str, &str)>,
    ) -> FailureExample {
        FailureExample {
            host: "mx2".into(),
            mail_id: None,
            message_id: None,
            time: None,
            sender: sender.into(),
            recipient: recipient.map(str::to_string),
            client_name: client.map(|(n, _)| n.to_string()),
            client_ip: client.map(|(_, ip)| ip.to_string()),
            reply: "554 5.7.1 Access denied".into(),
            dsn: Some("5.7.1".into()),
        }
    }

    fn class() -> FailureClass {
        FailureClass {
            state: "rejected".into(),
            dsn: "5.7.1".into(),
            rule: "rejected_before_queue".into(),
            cause: "mx2 refused it".into(),
            count: 2,
            examples: vec![
                example(
                    "<>",
                    Some("ines@example.edu"),
                    Some(("mail.example.net", "198.51.100.120")),
                ),
                example("unknown", None, Some(("unknown", "203.0.113.66"))),
            ],
            pattern: String::new(),
        }
    }

    #[test]
    fn each_example_is_a_row_and_the_class_heads_the_first() {
        let rows = failure_rows(&class());
        assert_eq!(
            rows[0],
            [
                "2",
                "rejected",
                "5.7.1",
                "mx2 refused it",
                "mx2 NOQUEUE",
                "",
                "<>",
                "ines@example.edu",
                "mail.example.net[198.51.100.120]",
                "554 5.7.1 Access denied"
            ]
        );
        assert_eq!(rows[1][..4], ["", "", "", ""]);
        assert_eq!(
            rows[1][6..9],
            ["unknown", "(none)", "unknown[203.0.113.66]"]
        );
    }

    #[test]
    fn as_text_a_class_is_a_block_with_who_over_each_reply() {
        assert_eq!(
            failure_lines(&class()),
            [
                "2 rejected, 5.7.1: mx2 refused it",
                "  - mx2 NOQUEUE: from <> to ines@example.edu, client mail.example.net[198.51.100.120]",
                "    554 5.7.1 Access denied",
                "  - mx2 NOQUEUE: from unknown to (no recipient), client unknown[203.0.113.66]",
                "    554 5.7.1 Access denied",
            ]
        );
    }
}
