//! The trace as a person reads it: per message the path, the checks, a
//! table per recipient address (or the refusal when no recipient was
//! logged), then per-host search statistics, the files passed over and the
//! files whose lines are later than their mtime. Everything fits the width
//! it is given.

use std::fmt::Write;

use comfy_table::{Cell, Color};

use super::layout::{self, wrapped};
use super::sender_text;
use super::trace_recipients::{recipients, refusal};
use super::verdict::verdict_text;
use crate::analyze::{CheckStatus, MessageAnalysis};
use crate::collect::FileState;
use crate::report::{HostSummary, TraceRun};
use crate::trace::MessageTrace;

/// Renders a trace run as text `width` columns wide; `colour` paints
/// verdicts and check states.
pub fn trace_text(run: &TraceRun, colour: bool, width: usize) -> String {
    let width = layout::usable(width);
    let mut out = String::new();
    window(&mut out, &super::window_line(&run.query.window), width);
    if run.trace.messages.is_empty() {
        let _ = writeln!(out);
        let text = format!(
            "No matching mail found on {} in this window ({}): try a wider --range, another --host (inbound mail enters at the MX cluster, outbound at the submission cluster), or check --tz.",
            run.query.hosts.join(", "),
            run.query.window.zone
        );
        wrapped(&mut out, 0, 0, &text, width);
    }
    for (i, m) in run.trace.messages.iter().enumerate() {
        message(&mut out, m, run.analysis.get(i), colour, width);
    }
    if run.trace.messages.len() > 1 {
        let _ = writeln!(out);
        verdict(
            &mut out,
            0,
            "Overall: ",
            &verdict_text(&run.verdict),
            colour,
            width,
        );
    }
    hosts(&mut out, run, width);
    out
}

/// The window line, broken before its UTC half when it is too long.
fn window(out: &mut String, line: &str, width: usize) {
    match line.split_once("  =  ") {
        Some((zone, utc)) if line.chars().count() > width => {
            wrapped(out, 0, 2, zone, width);
            wrapped(out, 8, 2, &format!("= {utc}"), width);
        }
        _ => wrapped(out, 0, 2, line, width),
    }
}

/// `label` and the verdict, wrapped, the verdict painted line by line.
fn verdict(
    out: &mut String,
    indent: usize,
    label: &str,
    verdict: &str,
    colour: bool,
    width: usize,
) {
    let mut plain = String::new();
    wrapped(&mut plain, indent, 2, &format!("{label}{verdict}"), width);
    if !colour {
        out.push_str(&plain);
        return;
    }
    let code = if verdict == "CORRECT" { "32" } else { "31" };
    for (i, line) in plain.lines().enumerate() {
        let skip = if i == 0 { indent + label.len() } else { 0 };
        let (head, body) = line.split_at_checked(skip).unwrap_or((line, ""));
        let lead = body.len() - body.trim_start().len();
        let (pad, text) = body.split_at(lead);
        let _ = writeln!(out, "{head}{pad}\x1b[1;{code}m{text}\x1b[0m");
    }
}

fn checks(out: &mut String, analysis: &MessageAnalysis, colour: bool, width: usize) {
    let inner = width - 4;
    let mut table = layout::table(inner, vec!["check", "result", "notes"]);
    if colour {
        table.enforce_styling();
    }
    for c in &analysis.checks {
        let mut mark = Cell::new(c.status.as_str());
        if colour {
            mark = mark.fg(match c.status {
                CheckStatus::Pass => Color::Green,
                CheckStatus::Warn => Color::Yellow,
                CheckStatus::Fail => Color::Red,
            });
        }
        // about three lines of the notes column, whatever the list
        let note = layout::summarise_list(&c.note, inner.saturating_sub(30) * 3);
        table.add_row(vec![Cell::new(c.name), mark, Cell::new(note)]);
    }
    wrapped(
        out,
        2,
        2,
        &format!("direction: {}", analysis.direction.as_str()),
        width,
    );
    layout::push_table(out, 4, &table);
    verdict(
        out,
        2,
        "verdict: ",
        &verdict_text(&analysis.verdict),
        colour,
        width,
    );
}

fn message(
    out: &mut String,
    m: &MessageTrace,
    analysis: Option<&MessageAnalysis>,
    colour: bool,
    width: usize,
) {
    let _ = writeln!(out);
    wrapped(out, 0, 2, &title(m), width);
    let sender = match m.sender.as_deref() {
        Some("") => "<> (null sender)".to_string(),
        other => sender_text(other),
    };
    wrapped(out, 2, 8, &format!("from:   {sender}"), width);
    if let Some(origin) = &m.origin {
        let mut o = origin.client.clone().unwrap_or_else(|| "unknown".into());
        if let Some(user) = &origin.sasl_username {
            let _ = write!(o, ", SASL user {user}");
        }
        wrapped(out, 2, 8, &format!("origin: {o}"), width);
    }
    if let Some(first) = &m.first_seen {
        let _ = writeln!(out, "  first:  {}", first.format("%Y-%m-%d %H:%M:%S %:z"));
    }
    let hops = if m.hop_count == 1 { "hop" } else { "hops" };
    let path = format!("path:   {}   ({} {hops})", m.nodes.join(" → "), m.hop_count);
    wrapped(out, 2, 8, &path, width);
    if let Some(a) = analysis {
        checks(out, a, colour, width);
    }
    recipients(out, m, width);
    if let Some(f) = &m.refused {
        refusal(out, f, width);
    }
    if let Some(a) = analysis.filter(|a| !a.diagnosis.is_empty()) {
        let _ = writeln!(out, "\n  diagnosis:");
        for d in &a.diagnosis {
            wrapped(out, 4, 2, &format!("- {}", d.cause), width);
            wrapped(out, 6, 6, &format!("next: {}", d.next_step), width);
        }
    }
}

/// What the message is: its Message-ID, or what became of it when none was logged.
fn title(m: &MessageTrace) -> String {
    match (&m.message_id, &m.notification_of, m.instances.first()) {
        (Some(mid), Some(of), _) => format!("Notification {mid} (about {of})"),
        (Some(mid), None, _) => format!("Message {mid}"),
        (None, Some(of), _) => format!("Notification (about {of}), no Message-ID logged"),
        (None, None, Some(i)) => {
            format!("Message {} on {}, no Message-ID logged", i.mail_id, i.host)
        }
        (None, None, None) => {
            let state = m
                .refused
                .as_ref()
                .map(|f| f.state)
                .or(m.recipients.first().map(|r| r.state))
                .unwrap_or(crate::trace::State::Rejected);
            let mut word = state.as_str().to_string();
            if let Some(c) = word.get_mut(0..1) {
                c.make_ascii_uppercase();
            }
            format!("{word} before queueing")
        }
    }
}

fn hosts(out: &mut String, run: &TraceRun, width: usize) {
    let _ = writeln!(
        out,
        "\nSearch: {} round(s), {} ms",
        run.stats.rounds, run.stats.elapsed_ms
    );
    if run.stats.cut {
        let text = "stopped at the round limit: the trace may be incomplete";
        wrapped(out, 2, 2, text, width);
    }
    let mut table = layout::table(
        width - 2,
        vec!["host", "files", "skipped", "bytes", "lines", "ms", "error"],
    );
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
    layout::push_table(out, 2, &table);
    passed_over(out, &run.hosts, width);
    for w in &run.warnings {
        let text = format!(
            "warning: {} {}: lines up to {} but the file's mtime is {}: a copied file, or a wrong clock or zone; files pruned by mtime and the year of syslog lines may be wrong",
            w.host,
            w.file,
            w.latest_line.format("%Y-%m-%d %H:%M:%S %:z"),
            w.mtime
                .with_timezone(w.latest_line.offset())
                .format("%Y-%m-%d %H:%M:%S %:z"),
        );
        wrapped(out, 2, 4, &text, width);
    }
    unparsed(out, run, width);
}

/// Names the files hosts listed but never read, one line for the hosts
/// that passed over the same files in the same way.
fn passed_over(out: &mut String, hosts: &[HostSummary], width: usize) {
    // pruning by mtime is routine (a note); a file that cannot be
    // decompressed is mail not searched (a warning)
    let why = [
        (
            FileState::Skipped,
            "note:",
            "not read, modified before the window began",
        ),
        (
            FileState::NoTool,
            "warning:",
            "not read (no tool on the host to decompress)",
        ),
    ];
    for (state, label, why) in why {
        let mut groups: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
        for h in hosts.iter().filter(|h| h.searched) {
            let files: Vec<&str> = h
                .log_files
                .iter()
                .filter(|f| f.state == state)
                .map(|f| f.path.as_str())
                .collect();
            if files.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(f, _)| *f == files) {
                Some((_, names)) => names.push(&h.name),
                None => groups.push((files, vec![&h.name])),
            }
        }
        for (files, names) in groups {
            let text = format!("{label} {} {why}: {}", names.join(", "), files.join(", "));
            wrapped(out, 2, 4, &text, width);
        }
    }
}

fn unparsed(out: &mut String, run: &TraceRun, width: usize) {
    if run.stats.unparsed_lines == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "  {} line(s) could not be parsed, e.g.:",
        run.stats.unparsed_lines
    );
    for e in &run.stats.unparsed_examples {
        let _ = writeln!(out, "    {}", layout::cut(e, width - 4));
    }
}

#[cfg(test)]
mod tests;
