//! The trace as a person reads it: per message the path, then a table per
//! recipient, then per-host search statistics and errors.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};

use crate::analyze::{CheckStatus, MessageAnalysis};
use crate::engine::TraceRun;
use crate::trace::{MessageTrace, RecipientOutcome};

/// Renders a trace run as text; `colour` paints verdicts and check states.
pub fn trace_text(run: &TraceRun, colour: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", super::window_line(&run.query.window));
    if run.trace.messages.is_empty() {
        let _ = writeln!(
            out,
            "\nNo matching mail found on {} in this window ({}): try a wider --range, another --host (inbound mail enters at the MX cluster, outbound at the submission cluster), or check --tz.",
            run.query.hosts.join(", "),
            run.query.window.zone
        );
    }
    for (i, m) in run.trace.messages.iter().enumerate() {
        message(&mut out, m, run.analysis.get(i), colour);
    }
    if run.trace.messages.len() > 1 {
        let _ = writeln!(out, "\nOverall: {}", paint(&run.verdict, colour));
    }
    hosts(&mut out, run);
    out
}

fn paint(verdict: &str, colour: bool) -> String {
    if !colour {
        return verdict.to_string();
    }
    let code = if verdict == "CORRECT" { "32" } else { "31" };
    format!("\x1b[1;{code}m{verdict}\x1b[0m")
}

fn checks(out: &mut String, analysis: &MessageAnalysis, colour: bool) {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(vec!["check", "result", "notes"]);
    for c in &analysis.checks {
        let mark = match (c.status, colour) {
            (CheckStatus::Pass, true) => "\x1b[32mpass\x1b[0m".to_string(),
            (CheckStatus::Warn, true) => "\x1b[33mwarn\x1b[0m".to_string(),
            (CheckStatus::Fail, true) => "\x1b[31mfail\x1b[0m".to_string(),
            (status, false) => status.as_str().to_string(),
        };
        table.add_row(vec![c.name.to_string(), mark, c.note.clone()]);
    }
    let _ = writeln!(out, "  direction: {}", analysis.direction.as_str());
    for line in table.to_string().lines() {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(out, "  verdict: {}", paint(&analysis.verdict, colour));
}

fn message(out: &mut String, m: &MessageTrace, analysis: Option<&MessageAnalysis>, colour: bool) {
    let _ = writeln!(out);
    let title = match (&m.message_id, &m.notification_of) {
        (Some(mid), Some(of)) => format!("Notification {mid} (about {of})"),
        (Some(mid), None) => format!("Message {mid}"),
        (None, _) => "Rejected before queueing".to_string(),
    };
    let _ = writeln!(out, "{title}");
    if let Some(sender) = &m.sender {
        let sender = if sender.is_empty() {
            "<> (null sender)"
        } else {
            sender
        };
        let _ = writeln!(out, "  from:   {sender}");
    }
    if let Some(origin) = &m.origin {
        let mut o = origin.client.clone().unwrap_or_default();
        if let Some(user) = &origin.sasl_username {
            let _ = write!(o, ", SASL user {user}");
        }
        let _ = writeln!(out, "  origin: {o}");
    }
    if let Some(first) = &m.first_seen {
        let _ = writeln!(out, "  first:  {}", first.format("%Y-%m-%d %H:%M:%S %:z"));
    }
    let hops = if m.hop_count == 1 { "hop" } else { "hops" };
    let _ = writeln!(
        out,
        "  path:   {}   ({} {hops})",
        m.nodes.join(" → "),
        m.hop_count
    );
    if let Some(a) = analysis {
        checks(out, a, colour);
    }
    for r in &m.recipients {
        recipient(out, m, r);
    }
    if let Some(a) = analysis.filter(|a| !a.diagnosis.is_empty()) {
        let _ = writeln!(out, "\n  diagnosis:");
        for d in &a.diagnosis {
            let _ = writeln!(out, "    - {}", d.cause);
            let _ = writeln!(out, "      next: {}", d.next_step);
        }
    }
}

fn recipient(out: &mut String, m: &MessageTrace, r: &RecipientOutcome) {
    let name = match &r.original {
        Some(o) => format!("{} (for {o})", r.address),
        None => r.address.clone(),
    };
    let _ = writeln!(out, "\n  {name}: {}", r.state.as_str().to_uppercase());
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(vec!["time", "host", "queue ID", "status", "dsn", "reply"]);
    for e in m.edges.iter().filter(|e| {
        e.recipients.contains(&r.address)
            || r.original
                .as_ref()
                .is_some_and(|o| e.recipients.contains(o))
    }) {
        let status = if e.retries > 0 {
            format!("{} → {} (after {} retries)", e.status, e.to, e.retries)
        } else {
            format!("{} → {}", e.status, e.to)
        };
        table.add_row(vec![
            e.time.format("%m-%d %H:%M:%S").to_string(),
            e.from.clone(),
            e.mail_id.clone(),
            status,
            e.dsn.clone().unwrap_or_default(),
            shorten(&e.reply, 70),
        ]);
    }
    // the final state gets its own row unless an edge above already shows it
    let shown = m.edges.iter().any(|e| {
        Some(&e.mail_id) == r.mail_id.as_ref()
            && Some(e.time) == r.time
            && (e.recipients.contains(&r.address))
    });
    if !shown {
        table.add_row(vec![
            r.time
                .map(|t| t.format("%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            r.host.clone(),
            r.mail_id.clone().unwrap_or_else(|| "NOQUEUE".into()),
            r.state.as_str().to_string(),
            r.dsn.clone().unwrap_or_default(),
            shorten(r.reply.as_deref().unwrap_or(""), 70),
        ]);
    }
    for line in table.to_string().lines() {
        let _ = writeln!(out, "    {line}");
    }
    if let Some(note) = &r.note {
        let _ = writeln!(out, "    note: {note}");
    }
}

fn hosts(out: &mut String, run: &TraceRun) {
    let _ = writeln!(
        out,
        "\nSearch: {} round(s), {} ms",
        run.stats.rounds, run.stats.elapsed_ms
    );
    if run.stats.cut {
        let _ = writeln!(
            out,
            "  stopped at the round limit: the trace may be incomplete"
        );
    }
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(vec![
        "host", "files", "skipped", "bytes", "lines", "ms", "error",
    ]);
    for h in run.hosts.iter().filter(|h| h.searched) {
        table.add_row(vec![
            h.name.clone(),
            h.files.to_string(),
            h.files_skipped.to_string(),
            h.bytes_searched.to_string(),
            h.lines.to_string(),
            h.elapsed_ms.to_string(),
            h.error.clone().unwrap_or_default(),
        ]);
    }
    for line in table.to_string().lines() {
        let _ = writeln!(out, "  {line}");
    }
    if run.stats.unparsed_lines > 0 {
        let _ = writeln!(
            out,
            "  {} line(s) could not be parsed, e.g.:",
            run.stats.unparsed_lines
        );
        for e in &run.stats.unparsed_examples {
            let _ = writeln!(out, "    {e}");
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}
