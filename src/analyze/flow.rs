//! Flow conservation for one cluster: every message that entered it from
//! outside is followed to its terminal state, wherever on the site that is
//! (delivered, relayed out of the site, bounced, deferred where it waits,
//! expired, rejected) or is incomplete (no terminal evidence).

use std::collections::BTreeMap;

use serde::Serialize;

use super::checks::reached_path;
use super::diagnosis::{evidence, explain};
use super::Site;
use crate::trace::{MessageTrace, State};

/// What became of one recipient of one message, seen from the cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub message_id: Option<String>,
    pub sender: Option<String>,
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
    pub counts: BTreeMap<String, usize>,
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
    let inside = |h: &str| members.iter().any(|m| m == h);
    let mut flows = Vec::new();
    for m in messages.iter().filter(|m| m.notification_of.is_none()) {
        let diagnoses = evidence(m);
        for r in &m.recipients {
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
            let at = r.host.clone();
            let problem = matches!(class, "bounced" | "deferred" | "expired" | "incomplete");
            let diagnosis = if problem {
                diagnoses
                    .iter()
                    .find(|e| e.address == r.address && !e.recovered)
                    .map(|e| explain(e, site).cause)
                    .or_else(|| r.note.clone())
            } else {
                None
            };
            flows.push(Flow {
                message_id: m.message_id.clone(),
                sender: m.sender.clone(),
                recipient: r.address.clone(),
                entered_at: path[entry].clone(),
                class: class.to_string(),
                at,
                problem,
                diagnosis,
            });
        }
    }
    let mut counts = BTreeMap::new();
    for f in &flows {
        *counts.entry(f.class.clone()).or_insert(0) += 1;
    }
    let problems = flows.iter().filter(|f| f.problem).count();
    FlowSummary {
        cluster: cluster.to_string(),
        counts,
        flows,
        problems,
    }
}
