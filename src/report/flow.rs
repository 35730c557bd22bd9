//! What a flow check hands on: every message that entered a cluster,
//! accounted for from the cluster's point of view.

use serde::Serialize;

use super::{HostSummary, WindowView};
use crate::analyze::FlowSummary;

#[derive(Debug, Clone, Serialize)]
pub struct FlowRun {
    pub window: WindowView,
    #[serde(flatten)]
    pub summary: FlowSummary,
    /// Messages whose later hops happened after the window.
    pub later_than_window: Vec<String>,
    pub hosts: Vec<HostSummary>,
    pub rounds: usize,
}
