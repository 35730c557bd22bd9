//! `doctor` as a table: one row per host, then the hint for every problem.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};

use crate::report::{Health, HostHealth};

fn word(h: Health) -> &'static str {
    match h {
        Health::Pass => "pass",
        Health::Warn => "warn",
        Health::Fail => "FAIL",
    }
}

pub fn doctor_text(rows: &[HostHealth]) -> String {
    let mut out = String::new();
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(vec!["host", "status", "login", "log files", "notes"]);
    for r in rows {
        let worst = r
            .findings
            .iter()
            .filter(|f| f.health != Health::Pass)
            .map(|f| format!("{}: {}", f.check, f.detail))
            .collect::<Vec<_>>()
            .join("; ");
        table.add_row(vec![
            r.host.clone(),
            word(r.health).to_string(),
            r.auth.clone().unwrap_or_else(|| "-".into()),
            r.files.to_string(),
            if worst.is_empty() { "ok".into() } else { worst },
        ]);
    }
    let _ = writeln!(out, "{table}");
    for r in rows {
        for f in r.findings.iter().filter(|f| f.health != Health::Pass) {
            if let Some(hint) = &f.hint {
                let _ = writeln!(
                    out,
                    "{} [{}] {}: {}\n    hint: {hint}",
                    r.host,
                    word(f.health),
                    f.check,
                    f.detail
                );
            }
        }
    }
    let failed = rows.iter().filter(|r| r.health == Health::Fail).count();
    let _ = writeln!(out, "{} host(s) checked, {} failing.", rows.len(), failed);
    out
}
