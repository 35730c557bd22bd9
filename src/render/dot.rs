//! The trace graph in Graphviz DOT: nodes labelled with host and cluster,
//! edges with queue IDs, coloured by status. The one place that writes DOT:
//! `trace --format dot` and the `graph_dot` fields of the JSON answers (CLI
//! and MCP alike) all come from [`to_dot`].

use std::collections::BTreeMap;

use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;

use crate::trace::Edge;

/// Renders nodes and edges as a DOT digraph; a node in `clusters` (host →
/// cluster) is labelled with its cluster too.
pub fn to_dot(nodes: &[String], edges: &[Edge], clusters: &BTreeMap<String, String>) -> String {
    let mut graph: DiGraph<String, &Edge> = DiGraph::new();
    let ids: Vec<_> = nodes
        .iter()
        .map(|n| {
            let label = match clusters.get(n) {
                Some(c) => format!("{n}\\n({c})"),
                None => n.clone(),
            };
            graph.add_node(label)
        })
        .collect();
    for e in edges {
        let (Some(a), Some(b)) = (
            nodes.iter().position(|n| n == &e.from),
            nodes.iter().position(|n| n == &e.to),
        ) else {
            continue;
        };
        graph.add_edge(ids[a], ids[b], e);
    }
    let dot = Dot::with_attr_getters(
        &graph,
        &[Config::EdgeNoLabel, Config::NodeNoLabel],
        &|_, edge| {
            let e = edge.weight();
            let label = match &e.next_mail_id {
                Some(next) => format!("{} → {}", e.mail_id, next),
                None => e.mail_id.clone(),
            };
            let colour = match e.status.as_str() {
                "sent" => "darkgreen",
                "deferred" => "orange",
                _ => "red",
            };
            format!(
                "label=\"{}\\n{}\" color={colour} fontcolor={colour}",
                escape(&label),
                escape(&e.status)
            )
        },
        &|_, (_, label)| {
            format!(
                "label=\"{}\" shape=box",
                escape(label).replace("\\\\n", "\\n")
            )
        },
    );
    format!("{dot:?}")
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
