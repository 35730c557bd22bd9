//! `audit`: every message of a window on every tracked host (or the chosen
//! clusters), traced and judged, then aggregated for a report.
//!
//! One search per host returns the window's mail lines (see
//! [`crate::parse::CORRELATED_MARKERS`]); they are correlated as they
//! stream in, and each message is judged and counted as soon as it has
//! settled, then dropped: memory follows the mail in flight, not the logs.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use super::ingest::{Destination, ParseSink, Parsed};
use super::WindowView;
use crate::analyze::{
    analyze_message, AuditAccumulator, AuditReport, FlowAccumulator, FlowSummary, Site,
};
use crate::collect::Collector;
use crate::parse::CORRELATED_MARKERS;
use crate::plan::SearchRequest;
use crate::report::{AuditRun, HostSummary};
use crate::time::Window;
use crate::trace::{MessageTrace, StreamCorrelator};

/// Problem flows an audit lists per cluster (all are counted).
const FLOW_EXAMPLES: usize = 50;

#[derive(Debug, Clone)]
pub struct AuditRequest {
    /// Clusters to report on; every cluster when empty.
    pub clusters: Vec<String>,
    pub window: Window,
    pub follow: Duration,
}

/// What the audit keeps while lines stream in.
struct Aggregate {
    correlator: StreamCorrelator,
    site: Site,
    report: AuditAccumulator,
    flows: Vec<FlowAccumulator>,
}

impl Aggregate {
    fn with_emit(&mut self, f: impl FnOnce(&mut StreamCorrelator, &mut dyn FnMut(MessageTrace))) {
        let Aggregate {
            correlator,
            site,
            report,
            flows,
        } = self;
        let mut count = |m: MessageTrace| {
            let analysis = analyze_message(&m, site);
            report.add(&m, Some(&analysis));
            for flow in flows.iter_mut() {
                flow.add(&m, site);
            }
        };
        f(correlator, &mut count);
    }

    /// Hands out what is left and returns the report, the flows, the most
    /// stays held at once and the lines that came out of time order.
    fn finish(&mut self) -> (AuditReport, Vec<FlowSummary>, usize, BTreeMap<String, u64>) {
        let mut peak = 0;
        self.with_emit(|c, emit| peak = c.finish(emit));
        (
            self.report.finish(),
            self.flows.iter_mut().map(FlowAccumulator::finish).collect(),
            peak,
            std::mem::take(&mut self.correlator.late_lines),
        )
    }
}

/// Feeds parsed lines to the correlator; refusals count when they are on
/// a chosen host inside the window.
struct AuditDestination {
    aggregate: Mutex<Aggregate>,
    chosen: Vec<String>,
    window: Window,
}

impl AuditDestination {
    fn lock(&self) -> std::sync::MutexGuard<'_, Aggregate> {
        self.aggregate.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Destination for AuditDestination {
    fn take(&self, p: Parsed) {
        let seed = self.chosen.contains(&p.host) && self.window.contains(p.event.time.to_utc());
        self.lock()
            .with_emit(|c, emit| c.push(&p.host, &p.event, p.position, seed, emit));
    }

    fn host_done(&self, host: &str) {
        self.lock().with_emit(|c, emit| c.host_done(host, emit));
    }
}

pub async fn run_audit(collector: &Arc<Collector>, request: &AuditRequest) -> AuditRun {
    let inventory = collector.inventory();
    let clusters: Vec<&crate::inventory::Cluster> = inventory
        .clusters
        .iter()
        .filter(|c| request.clusters.is_empty() || request.clusters.contains(&c.name))
        .collect();
    let tracked: Vec<String> = inventory.tracked_hosts().map(|h| h.name.clone()).collect();
    let chosen: Vec<String> = tracked
        .iter()
        .filter(|h| request.clusters.is_empty() || clusters.iter().any(|c| c.hosts.contains(h)))
        .cloned()
        .collect();
    let site = super::site_of(inventory);
    let window = request.window;
    let seed_hosts = chosen.clone();
    let correlator = StreamCorrelator::new(
        collector.inventory_shared(),
        &tracked,
        Box::new(move |inst| {
            seed_hosts.contains(&inst.host)
                && inst.arrived.is_some_and(|t| window.contains(t.to_utc()))
        }),
    );
    let aggregate = Aggregate {
        correlator,
        report: AuditAccumulator::new(site.clone(), Utc::now(), inventory.audit.stuck_after),
        flows: clusters
            .iter()
            .map(|c| FlowAccumulator::new(&c.name, &c.hosts, Some(FLOW_EXAMPLES)))
            .collect(),
        site,
    };
    let destination = AuditDestination {
        aggregate: Mutex::new(aggregate),
        chosen,
        window,
    };
    let sink = Arc::new(ParseSink::with(inventory, 1, destination));
    // all tracked hosts, so paths through hosts outside the chosen clusters
    // are whole; later hops of the window's mail may fall in the follow time
    let search = SearchRequest {
        patterns: CORRELATED_MARKERS.iter().map(|m| m.to_string()).collect(),
        ignore_case: false,
        window: window.extended(request.follow),
        expand: None,
    };
    let jobs = tracked
        .iter()
        .map(|h| (h.clone(), search.clone()))
        .collect();
    let reports = collector.search(jobs, sink.clone()).await;

    let mut summaries = std::collections::BTreeMap::new();
    super::trace::merge(&mut summaries, &reports);
    let (report, flows, peak_instances, late_lines) = sink.destination.lock().finish();
    let unparsed_examples = sink
        .examples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
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
    let hosts: Vec<HostSummary> = inventory
        .hosts
        .iter()
        .map(|h| {
            summaries
                .remove(&h.name)
                .unwrap_or_else(|| HostSummary::new(&h.name))
        })
        .collect();
    for h in hosts.iter().filter(|h| h.error.is_some()) {
        problems.push(format!("{} could not be searched", h.name));
    }
    for (host, n) in &late_lines {
        problems.push(format!(
            "{n} line(s) of {host} came after the messages they belong to were counted: \
             its log files are not in time order (check its `logs` globs), so some of its \
             messages may be counted in parts"
        ));
    }
    AuditRun {
        window: WindowView::new(&request.window, &inventory.zone),
        generated: Utc::now().to_rfc3339(),
        report,
        flows,
        hosts,
        unparsed_lines: sink.unparsed.load(Ordering::Relaxed),
        unparsed_examples,
        rounds: 1,
        peak_instances,
        problems,
    }
}
