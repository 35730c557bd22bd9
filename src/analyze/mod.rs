//! Analyze: judge each traced message against the site's declared
//! architecture (checks and a verdict) and explain failures (diagnosis).
//! Pure: it reads a [`Trace`] and a [`Site`], a plain description of the
//! inventory's routes and limits that the engine builds.

mod audit;
mod checks;
mod diagnosis;
mod flow;
mod route;
#[cfg(test)]
mod testing;

pub use audit::{
    audit, percentiles, Anomaly, AuditAccumulator, AuditReport, FailureClass, FailureExample,
    Percentiles, Stuck, Totals,
};
pub use checks::{check_message, path_of, reached_path, Check, CheckStatus};
pub use diagnosis::{diagnose, Diagnosis, CATALOGUE};
pub use flow::{flows, Flow, FlowAccumulator, FlowSummary};
pub use route::{match_route, RouteMatch};

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::trace::{MessageTrace, Trace};

/// How analysis and audit print an envelope sender: the null sender of
/// bounces and notices as `<>`, a sender no line logged as `unknown`.
pub fn sender_text(sender: Option<&str>) -> String {
    match sender {
        None => "unknown".to_string(),
        Some("") => "<>".to_string(),
        Some(s) => s.to_string(),
    }
}

/// Which way mail flows, from the sender's and recipient's domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
    /// Neither side is local (relaying for others), or a notification.
    Other,
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
            Direction::Other => "other",
        }
    }
}

/// One route step: any of `names` (cluster, host, or `external`), maybe absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSpec {
    pub names: Vec<String>,
    pub optional: bool,
}

impl StepSpec {
    pub fn describe(&self) -> String {
        let mut text = self.names.join(" | ");
        if self.optional {
            text.push('?');
        }
        text
    }
}

/// What analysis needs to know about the site.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub local_domains: Vec<String>,
    pub routes: BTreeMap<Direction, Vec<StepSpec>>,
    pub max_hops: usize,
    pub slow_hop: Duration,
    pub slow_total: Duration,
    /// Cluster name → member hosts.
    pub clusters: BTreeMap<String, Vec<String>>,
    /// Every inventory host name.
    pub hosts: Vec<String>,
    /// Inventory host → the IP addresses among its aliases.
    pub addresses: BTreeMap<String, Vec<String>>,
}

impl Site {
    /// Whether `node` fits a step name: a cluster holding it, the host itself,
    /// or `external` for a node outside the inventory.
    pub fn name_matches(&self, name: &str, node: &str) -> bool {
        if name == "external" {
            return !self.hosts.iter().any(|h| h == node);
        }
        name == node
            || self
                .clusters
                .get(name)
                .is_some_and(|m| m.iter().any(|h| h == node))
    }

    pub fn step_matches(&self, step: &StepSpec, node: &str) -> bool {
        step.names.iter().any(|n| self.name_matches(n, node))
    }

    pub fn is_local(&self, address: &str) -> bool {
        let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        let domain = domain.to_ascii_lowercase();
        self.local_domains
            .iter()
            .any(|d| domain == d.to_ascii_lowercase())
    }

    /// The direction of mail from `sender` to `recipient`.
    pub fn direction(&self, sender: Option<&str>, recipient: &str) -> Direction {
        let Some(sender) = sender.filter(|s| !s.is_empty()) else {
            return Direction::Other;
        };
        match (self.is_local(sender), self.is_local(recipient)) {
            (false, true) => Direction::Inbound,
            (true, false) => Direction::Outbound,
            (true, true) => Direction::Internal,
            (false, false) => Direction::Other,
        }
    }
}

/// The judgement of a message, or of a whole trace (render words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed.
    Correct,
    /// A check failed: the first failing one, by name, with its note.
    Problem { check: &'static str, note: String },
    /// The trace found no message to judge.
    NothingFound,
}

/// The judgement of one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageAnalysis {
    pub direction: Direction,
    pub checks: Vec<Check>,
    /// Correct, or the first failing check.
    pub verdict: Verdict,
    pub diagnosis: Vec<Diagnosis>,
}

impl MessageAnalysis {
    pub fn ok(&self) -> bool {
        self.verdict == Verdict::Correct
    }
}

/// Analyses one message.
pub fn analyze_message(message: &MessageTrace, site: &Site) -> MessageAnalysis {
    let (direction, checks) = check_message(message, site);
    let verdict = match checks.iter().find(|c| c.status == CheckStatus::Fail) {
        None => Verdict::Correct,
        Some(c) => Verdict::Problem {
            check: c.name,
            note: c.note.clone(),
        },
    };
    MessageAnalysis {
        direction,
        checks,
        verdict,
        diagnosis: diagnose(message, site),
    }
}

/// The overall verdict of a trace: CORRECT when every message is.
pub fn overall(analyses: &[MessageAnalysis]) -> Verdict {
    match analyses.iter().find(|a| !a.ok()) {
        None if analyses.is_empty() => Verdict::NothingFound,
        None => Verdict::Correct,
        Some(a) => a.verdict.clone(),
    }
}

/// Analyses every message of a trace, in order.
pub fn analyze(trace: &Trace, site: &Site) -> Vec<MessageAnalysis> {
    trace
        .messages
        .iter()
        .map(|m| analyze_message(m, site))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_null_sender_prints_as_angle_brackets_and_a_missing_one_as_unknown() {
        assert_eq!(sender_text(Some("")), "<>");
        assert_eq!(sender_text(None), "unknown");
        assert_eq!(sender_text(Some("a@example.edu")), "a@example.edu");
    }
}
