//! What an audit run hands on: the window's aggregates, flows, hosts and
//! the problems found.

use serde::Serialize;

use super::{HostSummary, WindowView};
use crate::analyze::{AuditReport, FlowSummary};

#[derive(Debug, Clone, Serialize)]
pub struct AuditRun {
    pub window: WindowView,
    pub generated: String,
    #[serde(flatten)]
    pub report: AuditReport,
    pub flows: Vec<FlowSummary>,
    pub hosts: Vec<HostSummary>,
    pub unparsed_lines: u64,
    pub unparsed_examples: Vec<String>,
    pub rounds: usize,
    /// Most queue stays held at once while correlating.
    pub peak_instances: usize,
    /// Stuck mail past the threshold, path anomalies, or failed hosts.
    pub problems: Vec<String>,
}
