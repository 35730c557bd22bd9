//! What a query run hands on: the lines of every matching queue ID, by host.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::WindowView;

/// Lines of one queue ID (or of `NOQUEUE` rejections) on one host.
#[derive(Debug, Clone, Serialize)]
pub struct MailLines {
    /// `None` for lines without a queue ID (NOQUEUE rejections and the like).
    pub mail_id: Option<String>,
    pub first: DateTime<FixedOffset>,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryHost {
    pub name: String,
    pub error: Option<String>,
    pub files_searched: usize,
    pub mails: Vec<MailLines>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryRun {
    pub keywords: Vec<String>,
    pub window: WindowView,
    /// Every queue ID found, in time order.
    pub mail_ids: Vec<String>,
    pub hosts: Vec<QueryHost>,
    pub elapsed_ms: u64,
    pub unparsed_lines: u64,
    /// SSH connections this query had to open.
    pub connections_opened: u64,
}

impl QueryRun {
    pub fn line_count(&self) -> usize {
        self.hosts
            .iter()
            .flat_map(|h| &h.mails)
            .map(|m| m.lines.len())
            .sum()
    }
}
