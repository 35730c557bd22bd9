//! `audit`: every message of a window on every tracked host (or the chosen
//! clusters), traced and judged, then aggregated for a report.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use super::flow::ARRIVALS;
use super::trace::{run_trace, HostSummary, TraceRequest};
use super::WindowView;
use crate::analyze::{audit, flows, AuditReport, FlowSummary};
use crate::collect::Collector;
use crate::time::Window;

#[derive(Debug, Clone)]
pub struct AuditRequest {
    /// Clusters to report on; every cluster when empty.
    pub clusters: Vec<String>,
    pub window: Window,
    pub follow: Duration,
}

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
    /// Stuck mail past the threshold, path anomalies, or failed hosts.
    pub problems: Vec<String>,
}

pub async fn run_audit(collector: &Arc<Collector>, request: &AuditRequest) -> AuditRun {
    let inventory = collector.inventory();
    let clusters: Vec<&crate::inventory::Cluster> = inventory
        .clusters
        .iter()
        .filter(|c| request.clusters.is_empty() || request.clusters.contains(&c.name))
        .collect();
    let mut hosts: Vec<String> = Vec::new();
    for h in inventory.tracked_hosts() {
        let chosen =
            request.clusters.is_empty() || clusters.iter().any(|c| c.hosts.contains(&h.name));
        if chosen {
            hosts.push(h.name.clone());
        }
    }
    let mut keywords: Vec<String> = ARRIVALS.iter().map(|k| k.to_string()).collect();
    keywords.push("uid=".into());
    let trace_request = TraceRequest::by_keywords(hosts, keywords, request.window, request.follow);
    let run = run_trace(collector, &trace_request, &|_| {}).await;
    let site = super::site_of(inventory);
    let report = audit(
        &run.trace.messages,
        &run.analysis,
        &site,
        Utc::now(),
        inventory.audit.stuck_after,
    );
    let flows: Vec<FlowSummary> = clusters
        .iter()
        .map(|c| flows(&c.name, &c.hosts, &run.trace.messages, &site))
        .collect();
    let mut problems = Vec::new();
    if !report.stuck.is_empty() {
        problems.push(format!(
            "{} recipient(s) stuck for more than {}",
            report.stuck.len(),
            crate::time::format_duration(inventory.audit.stuck_after)
        ));
    }
    if !report.anomalies.is_empty() {
        problems.push(format!("{} path anomalie(s)", report.anomalies.len()));
    }
    for h in run.hosts.iter().filter(|h| h.error.is_some()) {
        problems.push(format!("{} could not be searched", h.name));
    }
    AuditRun {
        window: run.query.window.clone(),
        generated: Utc::now().to_rfc3339(),
        report,
        flows,
        hosts: run.hosts.clone(),
        unparsed_lines: run.stats.unparsed_lines,
        unparsed_examples: run.stats.unparsed_examples.clone(),
        rounds: run.stats.rounds,
        problems,
    }
}
