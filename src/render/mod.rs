//! Render: turn results into text, JSON or DOT. No decisions here, only
//! presentation.

mod audit;
mod doctor_text;
pub mod dot;
mod flow_text;
pub mod layout;
mod query_text;
mod trace_json;
mod trace_recipients;
mod trace_text;
mod verdict;

pub use audit::{audit_html, audit_markdown, audit_text};
pub use doctor_text::doctor_text;
pub use flow_text::flow_text;
pub use query_text::query_text;
pub use trace_json::trace_dot;
pub use trace_text::trace_text;
pub use verdict::verdict_text;

use serde::Serialize;

/// Pretty JSON of any result.
pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A sender as printed: `<>` for the null sender, `unknown` when no line
/// named one; never an empty string (the one rule analysis words its notes by).
pub use crate::analyze::sender_text;

/// An address as printed: `<>` for the empty (null) address.
pub fn address_text(address: &str) -> String {
    if address.is_empty() {
        "<>".to_string()
    } else {
        address.to_string()
    }
}

/// The resolved window as a header line: in the zone, then in UTC.
pub fn window_line(window: &crate::report::WindowView) -> String {
    let utc = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.to_utc().format("%Y-%m-%d %H:%M:%SZ").to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    let local = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    format!(
        "Window: {} → {} ({})  =  {} → {}",
        local(&window.from),
        local(&window.to),
        window.zone,
        utc(&window.from),
        utc(&window.to)
    )
}
