//! `query` results as text: per host, per queue ID, every line in time order.

use std::fmt::Write;

use crate::report::QueryRun;

pub fn query_text(run: &QueryRun) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", super::window_line(&run.window));
    let _ = writeln!(out, "Keywords: {}", run.keywords.join(", "));
    for host in &run.hosts {
        let _ = writeln!(
            out,
            "\n== {} ({} file(s) searched)",
            host.name, host.files_searched
        );
        if let Some(e) = &host.error {
            let _ = writeln!(out, "   error: {e}");
        }
        if host.mails.is_empty() && host.error.is_none() {
            let _ = writeln!(out, "   nothing found");
        }
        for mail in &host.mails {
            let _ = writeln!(out, "-- {}", mail.mail_id.as_deref().unwrap_or("NOQUEUE"));
            for line in &mail.lines {
                let _ = writeln!(out, "   {line}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} queue ID(s), {} line(s), {} ms",
        run.mail_ids.len(),
        run.line_count(),
        run.elapsed_ms
    );
    out
}
