//! Flow conservation for one cluster: every message that entered it from
//! outside is followed to its terminal state, wherever on the site that is
//! (delivered, relayed out of the site, bounced, deferred where it waits,
//! expired, rejected) or is incomplete (no terminal evidence).

use std::collections::BTreeMap;

use serde::Serialize;

use super::checks::reached_path;
use super::diagnosis::{evidence, explain};
use super::{sender_text, Site};
use crate::trace::{MessageTrace, State};

/// What became of one recipient of one message, seen from the cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub message_id: Option<String>,
    /// The envelope sender as printed: `<>` for the null sender, `unknown` when not logged.
    pub sender: String,
    pub recipient: String,
    /// The cluster host the message entered at.
    pub entered_at: String,
    /// delivered, relayed_out, bounced, deferred, expired, rejected, discarded, held, incomplete.
    pub class: String,
    /// Where: the host that delivered, bounced or holds it, or the outside host it left to.
    pub at: String,
    pub problem: bool,
    pub diagnosis: Option<String>,
}

/// The flows of a set of messages through `cluster`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowSummary {
    pub cluster: String,
    /// Recipients that entered the cluster, one flow each.
    pub total: usize,
    pub counts: BTreeMap<String, usize>,
    /// Every flow (check-flow), or only the problem flows up to a limit (audit).
    pub flows: Vec<Flow>,
    pub problems: usize,
}

/// Classifies every recipient of every message that entered `members` from outside.
pub fn flows(
    cluster: &str,
    members: &[String],
    messages: &[MessageTrace],
    site: &Site,
) -> FlowSummary {
    let mut acc = FlowAccumulator::new(cluster, members, None);
    for m in messages {
        acc.add(m, site);
    }
    acc.finish()
}

/// The flows of one cluster built one message at a time.
pub struct FlowAccumulator {
    summary: FlowSummary,
    members: Vec<String>,
    /// Keep only this many problem flows (and no others); `None`: keep all.
    keep_problems: Option<usize>,
}

impl FlowAccumulator {
    pub fn new(cluster: &str, members: &[String], keep_problems: Option<usize>) -> Self {
        FlowAccumulator {
            summary: FlowSummary {
                cluster: cluster.to_string(),
                total: 0,
                counts: BTreeMap::new(),
                flows: Vec::new(),
                problems: 0,
            },
            members: members.to_vec(),
            keep_problems,
        }
    }

    /// Counts the recipients of `m` that entered the cluster from outside.
    pub fn add(&mut self, m: &MessageTrace, site: &Site) {
        if m.notification_of.is_some() {
            return;
        }
        let diagnoses = evidence(m);
        for r in &m.recipients {
            let inside = |h: &str| self.members.iter().any(|m| m == h);
            let path = reached_path(m, r);
            let Some(entry) = path.iter().position(|h| inside(h)) else {
                continue;
            };
            if entry > 0 && inside(&path[entry - 1]) {
                continue;
            }
            // followed to its terminal state, wherever on the site that is
            let class = match r.state {
                State::Delivered => "delivered",
                State::Relayed | State::Untracked => "relayed_out",
                State::Bounced => "bounced",
                State::Deferred => "deferred",
                State::Expired => "expired",
                State::Rejected => "rejected",
                State::Discarded => "discarded",
                State::Held => "held",
                State::Unknown => "incomplete",
            };
            let problem = matches!(class, "bounced" | "deferred" | "expired" | "incomplete");
            self.summary.total += 1;
            *self.summary.counts.entry(class.to_string()).or_insert(0) += 1;
            self.summary.problems += usize::from(problem);
            let wanted = match self.keep_problems {
                None => true,
                Some(limit) => problem && self.summary.flows.len() < limit,
            };
            if !wanted {
                continue;
            }
            let diagnosis = if problem {
                diagnoses
                    .iter()
                    .find(|e| e.address == r.address && !e.recovered)
                    .map(|e| explain(e, site).cause)
                    .or_else(|| r.note.clone())
            } else {
                None
            };
            self.summary.flows.push(Flow {
                message_id: m.message_id.clone(),
                sender: sender_text(m.sender.as_deref()),
                recipient: r.address.clone(),
                entered_at: path[entry].clone(),
                class: class.to_string(),
                at: r.host.clone(),
                problem,
                diagnosis,
            });
        }
    }

    /// The summary of every message added; the accumulator starts over.
    pub fn finish(&mut self) -> FlowSummary {
        let fresh = FlowAccumulator::new(&self.summary.cluster, &[], self.keep_problems);
        std::mem::replace(&mut self.summary, fresh.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::{message, recipient, site};

    #[test]
    fn a_flow_prints_the_null_sender_as_angle_brackets_and_a_missing_one_as_unknown() {
        let reply =
            "host mx.example.net[203.0.113.5] said: 550 5.1.1 <x@example.net>: User unknown";
        let mut bounce = message(Some(""), "h2", None);
        bounce.recipients = vec![recipient("x@example.net", State::Bounced, "h2", reply)];
        let mut anonymous = bounce.clone();
        anonymous.sender = None;
        let summary = flows("c2", &["h2".into()], &[bounce, anonymous], &site());
        let senders: Vec<&str> = summary.flows.iter().map(|f| f.sender.as_str()).collect();
        assert_eq!(senders, ["<>", "unknown"]);
    }
}
