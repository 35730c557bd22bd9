//! What a trace run hands on: the trace with its analysis and verdict, the
//! request echoed back, each host's summary, late-file warnings and the
//! run's statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::WindowView;
use crate::analyze::{MessageAnalysis, Verdict};
use crate::collect::FileState;
use crate::trace::Trace;

/// The request as echoed in the result.
#[derive(Debug, Clone, Serialize)]
pub struct QueryEcho {
    pub hosts: Vec<String>,
    pub keywords: Vec<String>,
    pub mail_id: Option<String>,
    pub message_id: Option<String>,
    pub window: WindowView,
}

/// One host over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub name: String,
    pub searched: bool,
    /// Files searched in at least one round.
    pub files: usize,
    /// Files listed but never searched (see `log_files` for which).
    pub files_skipped: usize,
    /// Bytes of the files searched, each file counted once however many
    /// rounds and passes read it.
    pub bytes_searched: u64,
    pub lines: u64,
    pub elapsed_ms: u64,
    pub error: Option<String>,
    /// Every log file listed, with what the run did with it.
    pub log_files: Vec<LogFile>,
}

/// One log file of a host over the whole run: searched when any round
/// searched it, else how the last round that listed it treated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogFile {
    pub path: String,
    pub mtime: DateTime<Utc>,
    pub size: u64,
    pub state: FileState,
}

/// A log file holding lines later than its modification time: a copied
/// file or a wrong clock or zone. Pruning by mtime and the year of syslog
/// lines both rely on that time, so lines in other files may have been
/// passed over or dated wrongly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWarning {
    pub host: String,
    pub file: String,
    pub mtime: DateTime<Utc>,
    /// The time of the latest line read from the file.
    pub latest_line: DateTime<FixedOffset>,
}

impl HostSummary {
    /// A host not searched (yet).
    pub fn new(name: &str) -> Self {
        HostSummary {
            name: name.to_string(),
            searched: false,
            files: 0,
            files_skipped: 0,
            bytes_searched: 0,
            lines: 0,
            elapsed_ms: 0,
            error: None,
            log_files: Vec::new(),
        }
    }
}

/// One round: which hosts, how long each took.
#[derive(Debug, Clone, Serialize)]
pub struct RoundStat {
    pub round: usize,
    pub elapsed_ms: u64,
    pub hosts: BTreeMap<String, u64>,
    pub patterns: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub rounds: usize,
    /// SSH connections this run had to open (0 when every host's connection
    /// was already open, as in a long-lived MCP server).
    pub connections_opened: u64,
    pub elapsed_ms: u64,
    /// The round limit stopped the search before it was complete.
    pub cut: bool,
    pub unparsed_lines: u64,
    pub unparsed_examples: Vec<String>,
    pub per_round: Vec<RoundStat>,
}

/// The full answer of a trace run (the JSON object of `--format json`).
#[derive(Debug, Clone)]
pub struct TraceRun {
    pub query: QueryEcho,
    pub trace: Trace,
    /// One analysis per message of `trace`, in the same order.
    pub analysis: Vec<MessageAnalysis>,
    /// CORRECT when every message is, else the first problem.
    pub verdict: Verdict,
    pub hosts: Vec<HostSummary>,
    /// Files whose lines are later than their mtime, one per file.
    pub warnings: Vec<FileWarning>,
    pub stats: Stats,
    /// The cluster of each node of the trace that belongs to one (host →
    /// cluster), for the graph's labels.
    pub clusters: BTreeMap<String, String>,
}

impl TraceRun {
    /// Hosts whose search failed.
    pub fn failed_hosts(&self) -> Vec<&HostSummary> {
        self.hosts.iter().filter(|h| h.error.is_some()).collect()
    }
}
