//! Report: the finished values a run hands to the front ends (trace, query,
//! audit, flow and doctor runs, host summaries, the window as shown). Plain
//! data that the engine fills and render presents; nothing here formats or
//! decides.

mod audit;
mod flow;
mod health;
mod query;
mod trace;

pub use audit::AuditRun;
pub use flow::FlowRun;
pub use health::{Finding, Health, HostHealth};
pub use query::{MailLines, QueryHost, QueryRun};
pub use trace::{FileWarning, HostSummary, LogFile, QueryEcho, RoundStat, Stats, TraceRun};

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
