//! The audit report as text (for a cron mail), Markdown, or one
//! self-contained HTML page with an inline SVG chart. The sections are built
//! once as plain tables and then laid out three ways.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};

use crate::analyze::Totals;
use crate::engine::AuditRun;

/// One titled table.
struct Section {
    title: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    empty: &'static str,
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

fn sections(run: &AuditRun) -> Vec<Section> {
    let r = &run.report;
    let mut out = Vec::new();
    out.push(Section {
        title: "Totals per cluster".into(),
        headers: TOTALS.to_vec(),
        rows: r
            .per_cluster
            .iter()
            .map(|(n, t)| totals_row(n, t))
            .collect(),
        empty: "no clusters",
    });
    out.push(Section {
        title: "Totals per host".into(),
        headers: TOTALS.to_vec(),
        rows: r.per_host.iter().map(|(n, t)| totals_row(n, t)).collect(),
        empty: "no mail",
    });
    out.push(Section {
        title: "Messages per direction".into(),
        headers: vec!["direction", "messages"],
        rows: r
            .per_direction
            .iter()
            .map(|(d, n)| vec![d.clone(), n.to_string()])
            .collect(),
        empty: "no mail",
    });
    out.push(Section {
        title: "Stuck mail".into(),
        headers: vec!["recipient", "host", "queue ID", "next hop", "age", "reply"],
        rows: r
            .stuck
            .iter()
            .map(|s| {
                vec![
                    s.recipient.clone(),
                    s.host.clone(),
                    s.mail_id.clone().unwrap_or_default(),
                    s.next_hop.clone().unwrap_or_default(),
                    crate::time::format_duration(std::time::Duration::from_secs(
                        s.age_secs.max(0) as u64
                    )),
                    s.reply.clone(),
                ]
            })
            .collect(),
        empty: "nothing stuck",
    });
    out.push(Section {
        title: "Bounces and rejections by cause".into(),
        headers: vec!["count", "state", "dsn", "cause", "examples"],
        rows: r
            .failures
            .iter()
            .map(|f| {
                vec![
                    f.count.to_string(),
                    f.state.clone(),
                    f.dsn.clone(),
                    f.cause.clone(),
                    f.examples.join(", "),
                ]
            })
            .collect(),
        empty: "none",
    });
    out.push(Section {
        title: "Path anomalies".into(),
        headers: vec!["message", "check", "note"],
        rows: r
            .anomalies
            .iter()
            .map(|a| {
                vec![
                    a.message_id.clone().unwrap_or_default(),
                    a.check.clone(),
                    a.note.clone(),
                ]
            })
            .collect(),
        empty: "none",
    });
    out.push(Section {
        title: "Flow conservation".into(),
        headers: vec!["cluster", "flows", "outcomes", "problems"],
        rows: run
            .flows
            .iter()
            .map(|f| {
                let outcomes: Vec<String> =
                    f.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                vec![
                    f.cluster.clone(),
                    f.total.to_string(),
                    outcomes.join(", "),
                    f.problems.to_string(),
                ]
            })
            .collect(),
        empty: "no clusters",
    });
    let p = |x: &crate::analyze::Percentiles| {
        vec![
            x.count.to_string(),
            format!("{:.1}", x.p50),
            format!("{:.1}", x.p95),
            format!("{:.1}", x.max),
        ]
    };
    out.push(Section {
        title: "Delays (seconds)".into(),
        headers: vec!["", "count", "p50", "p95", "max"],
        rows: vec![
            [vec!["per hop".to_string()], p(&r.hop_delay)].concat(),
            [vec!["end to end".to_string()], p(&r.total_delay)].concat(),
        ],
        empty: "",
    });
    out.push(Section {
        title: "Slowest messages".into(),
        headers: vec!["message", "seconds"],
        rows: r
            .slowest
            .iter()
            .map(|(m, s)| vec![m.clone(), format!("{s:.1}")])
            .collect(),
        empty: "none",
    });
    out.push(Section {
        title: "Collection health".into(),
        headers: vec!["host", "searched", "files", "skipped", "bytes", "error"],
        rows: run
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
            .collect(),
        empty: "no hosts",
    });
    out
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
