//! `check-flow`: trace every message that entered a cluster in the window
//! and account for each one from the cluster's point of view.

use std::sync::Arc;
use std::time::Duration;

use super::trace::{run_trace, TraceRequest};
use crate::analyze::flows;
use crate::collect::Collector;
use crate::report::FlowRun;
use crate::time::Window;

/// Lines every message that arrives over SMTP leaves: smtpd's `client=`
/// for queued mail and `NOQUEUE:` for mail refused before queueing.
pub(crate) const ARRIVALS: [&str; 2] = ["client=", "NOQUEUE: "];

#[derive(Debug, Clone)]
pub struct FlowRequest {
    pub cluster: String,
    pub hosts: Vec<String>,
    pub window: Window,
    pub keywords: Vec<String>,
    pub follow: Duration,
}

pub async fn run_flow(collector: &Arc<Collector>, request: &FlowRequest) -> FlowRun {
    let keywords = if request.keywords.is_empty() {
        ARRIVALS.iter().map(|k| k.to_string()).collect()
    } else {
        request.keywords.clone()
    };
    let trace_request = TraceRequest::by_keywords(
        request.hosts.clone(),
        keywords,
        request.window,
        request.follow,
    );
    let run = run_trace(collector, &trace_request, &|_| {}).await;
    let site = super::site_of(collector.inventory());
    let summary = flows(&request.cluster, &request.hosts, &run.trace.messages, &site);
    let later_than_window = run
        .trace
        .messages
        .iter()
        .filter(|m| {
            m.recipients
                .iter()
                .filter_map(|r| r.time)
                .any(|t| t.to_utc() > request.window.to)
        })
        .map(|m| {
            m.message_id
                .clone()
                .unwrap_or_else(|| "(no Message-ID)".into())
        })
        .collect();
    FlowRun {
        window: run.query.window.clone(),
        summary,
        later_than_window,
        hosts: run.hosts.clone(),
        rounds: run.stats.rounds,
    }
}
