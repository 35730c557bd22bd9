//! The JSON shape of a trace run (`trace --format json` and the MCP trace
//! tool): the trace's union fields at the top, each message with its
//! analysis, and the DOT graphs drawn here, at render time.

use serde::Serialize;

use super::dot::to_dot;
use crate::analyze::{MessageAnalysis, Verdict};
use crate::report::{FileWarning, HostSummary, QueryEcho, Stats, TraceRun};
use crate::trace::{Edge, InstanceView, MessageTrace, Origin, RecipientOutcome, Refusal};

/// The DOT graph of the whole run (`trace --format dot`, without the final newline).
pub fn trace_dot(run: &TraceRun) -> String {
    to_dot(&run.trace.nodes, &run.trace.edges, &run.clusters)
}

/// A message with its checks, verdict and diagnosis, as serialized.
#[derive(Serialize)]
struct MessageView<'a> {
    message_id: &'a Option<String>,
    sender: &'a Option<String>,
    origin: &'a Option<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_of: &'a Option<String>,
    first_seen: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
    nodes: &'a [String],
    edges: &'a [Edge],
    hop_count: usize,
    recipients: &'a [RecipientOutcome],
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: &'a Option<Refusal>,
    graph_dot: String,
    instances: &'a [InstanceView],
    #[serde(flatten)]
    analysis: Option<&'a MessageAnalysis>,
}

impl<'a> MessageView<'a> {
    fn new(run: &'a TraceRun, m: &'a MessageTrace, analysis: Option<&'a MessageAnalysis>) -> Self {
        MessageView {
            message_id: &m.message_id,
            sender: &m.sender,
            origin: &m.origin,
            notification_of: &m.notification_of,
            first_seen: &m.first_seen,
            nodes: &m.nodes,
            edges: &m.edges,
            hop_count: m.hop_count,
            recipients: &m.recipients,
            refused: &m.refused,
            graph_dot: to_dot(&m.nodes, &m.edges, &run.clusters),
            instances: &m.instances,
            analysis,
        }
    }
}

/// The JSON shape: the trace's union fields at the top, messages with their analysis.
#[derive(Serialize)]
struct RunView<'a> {
    query: &'a QueryEcho,
    verdict: &'a Verdict,
    messages: Vec<MessageView<'a>>,
    nodes: &'a [String],
    edges: &'a [Edge],
    hop_count: usize,
    graph_dot: String,
    recipients: &'a [RecipientOutcome],
    hosts: &'a [HostSummary],
    warnings: &'a [FileWarning],
    stats: &'a Stats,
}

impl Serialize for TraceRun {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RunView {
            query: &self.query,
            verdict: &self.verdict,
            messages: self
                .trace
                .messages
                .iter()
                .enumerate()
                .map(|(i, m)| MessageView::new(self, m, self.analysis.get(i)))
                .collect(),
            nodes: &self.trace.nodes,
            edges: &self.trace.edges,
            hop_count: self.trace.hop_count,
            graph_dot: trace_dot(self),
            recipients: &self.trace.recipients,
            hosts: &self.hosts,
            warnings: &self.warnings,
            stats: &self.stats,
        }
        .serialize(serializer)
    }
}
