//! The driver: runs search rounds through the collector, parses what comes
//! back, asks the correlator what to look for next, and stops when nothing
//! new appears. The CLI and the MCP server call only this.

mod audit;
mod directory;
mod doctor;
mod flow;
mod ingest;
mod query;
mod site;
mod trace;

pub use audit::{run_audit, AuditRequest, AuditRun};
pub use directory::InventoryDirectory;
pub use doctor::{judge, run_doctor, Finding, Health, HostHealth};
pub use flow::{run_flow, FlowRequest, FlowRun};
pub use ingest::Parsed;
pub use query::{run_query, MailLines, QueryHost, QueryRequest, QueryRun};
pub use site::site_of;
pub use trace::{
    run_trace, FileWarning, HostSummary, LogFile, QueryEcho, RoundStat, Stats, TraceRequest,
    TraceRun, MAX_ROUNDS,
};

use serde::Serialize;

use crate::time::Window;

/// A window as shown to users: RFC 3339 in the inventory's zone.
#[derive(Debug, Clone, Serialize)]
pub struct WindowView {
    pub from: String,
    pub to: String,
    pub zone: String,
}

impl WindowView {
    pub fn new(window: &Window, zone: &crate::time::Zone) -> Self {
        WindowView {
            from: zone.display(window.from).to_rfc3339(),
            to: zone.display(window.to).to_rfc3339(),
            zone: zone.to_string(),
        }
    }
}

/// Something to show while a run is in progress (only on a terminal).
#[derive(Debug, Clone)]
pub enum Progress {
    Round {
        round: usize,
        hosts: Vec<String>,
    },
    HostDone {
        host: String,
        lines: u64,
        error: Option<String>,
    },
}
