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

/// The finished values, defined with the data they present.
pub use crate::report::{
    AuditRun, FileWarning, Finding, FlowRun, Health, HostHealth, HostSummary, LogFile, MailLines,
    QueryEcho, QueryHost, QueryRun, RoundStat, Stats, TraceRun, WindowView,
};
pub use audit::{run_audit, AuditRequest};
pub use directory::InventoryDirectory;
pub use doctor::{judge, run_doctor};
pub use flow::{run_flow, FlowRequest};
pub use ingest::Parsed;
pub use query::{run_query, QueryRequest};
pub use site::site_of;
pub use trace::{run_trace, TraceRequest, MAX_ROUNDS};

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
