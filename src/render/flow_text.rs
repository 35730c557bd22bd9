//! `check-flow` as text: counts, then every problematic flow with its diagnosis.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};

use crate::report::FlowRun;

pub fn flow_text(run: &FlowRun) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", super::window_line(&run.window));
    let s = &run.summary;
    let _ = writeln!(
        out,
        "Flows that entered {} from outside: {}",
        s.cluster, s.total
    );
    for (class, n) in &s.counts {
        let _ = writeln!(out, "  {class:<12} {n}");
    }
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(vec![
        "recipient",
        "sender",
        "entered",
        "outcome",
        "at",
        "diagnosis",
    ]);
    for f in &s.flows {
        table.add_row(vec![
            super::address_text(&f.recipient),
            f.sender.clone(),
            f.entered_at.clone(),
            if f.problem {
                format!("{} (problem)", f.class)
            } else {
                f.class.clone()
            },
            f.at.clone(),
            f.diagnosis.clone().unwrap_or_default(),
        ]);
    }
    for line in table.to_string().lines() {
        let _ = writeln!(out, "  {line}");
    }
    if !run.later_than_window.is_empty() {
        let _ = writeln!(
            out,
            "Finished after the window: {}",
            run.later_than_window.join(", ")
        );
    }
    for h in run.hosts.iter().filter(|h| h.error.is_some()) {
        let _ = writeln!(out, "  {}: {}", h.name, h.error.as_deref().unwrap_or(""));
    }
    let _ = writeln!(
        out,
        "{}",
        if s.problems == 0 {
            "No problematic flow.".to_string()
        } else {
            format!("{} problematic flow(s).", s.problems)
        }
    );
    out
}
