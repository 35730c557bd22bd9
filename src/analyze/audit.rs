//! Audit aggregates over every message of a window: totals per host, cluster
//! and direction, stuck mail, bounce and reject classes, path anomalies,
//! delay percentiles and volume per hour. Pure: messages and their analyses in.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use serde::Serialize;

use super::diagnosis::{evidence, explain};
use super::{CheckStatus, MessageAnalysis, Site};
use crate::trace::{MessageTrace, State};

/// Per host (or cluster) counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub received: usize,
    pub delivered: usize,
    pub relayed_out: usize,
    pub deferred: usize,
    pub bounced: usize,
    pub expired: usize,
    pub rejected: usize,
    pub held_or_discarded: usize,
}

/// Mail still waiting: its last attempt failed temporarily.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stuck {
    pub message_id: Option<String>,
    pub recipient: String,
    pub host: String,
    pub mail_id: Option<String>,
    pub next_hop: Option<String>,
    pub age_secs: i64,
    pub reply: String,
}

/// Bounces or refusals that share a cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureClass {
    pub state: String,
    pub dsn: String,
    pub rule: String,
    pub cause: String,
    pub count: usize,
    pub examples: Vec<String>,
}

/// A message whose path breaks the declared architecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub message_id: Option<String>,
    pub check: String,
    pub note: String,
}

/// p50, p95 and max of a set of seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub messages: usize,
    pub per_host: BTreeMap<String, Totals>,
    pub per_cluster: BTreeMap<String, Totals>,
    pub per_direction: BTreeMap<String, usize>,
    pub stuck: Vec<Stuck>,
    pub failures: Vec<FailureClass>,
    pub anomalies: Vec<Anomaly>,
    pub hop_delay: Percentiles,
    pub total_delay: Percentiles,
    /// (message ID, seconds from arrival to the last recipient's end), slowest first.
    pub slowest: Vec<(String, f64)>,
    /// Messages per hour (UTC hour start) and per entry host.
    pub volume: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Aggregates messages and their analyses (same order).
pub fn audit(
    messages: &[MessageTrace],
    analyses: &[MessageAnalysis],
    site: &Site,
    now: DateTime<Utc>,
    stuck_after: Duration,
) -> AuditReport {
    let mut acc = AuditAccumulator::new(site.clone(), now, stuck_after);
    for (i, m) in messages.iter().enumerate() {
        acc.add(m, analyses.get(i));
    }
    acc.finish()
}

/// How many of the slowest messages a report names.
const SLOWEST: usize = 5;

/// The audit built one message at a time: what it keeps is counts, the
/// problems it lists, and one number per delay, never the messages.
pub struct AuditAccumulator {
    site: Site,
    now: DateTime<Utc>,
    stuck_after: Duration,
    messages: usize,
    per_host: BTreeMap<String, Totals>,
    per_direction: BTreeMap<String, usize>,
    stuck: Vec<Stuck>,
    failures: Vec<FailureClass>,
    anomalies: Vec<Anomaly>,
    hop_delays: Vec<f64>,
    total_delays: Vec<f64>,
    /// The slowest messages so far, slowest first.
    slowest: Vec<(f64, String)>,
    volume: BTreeMap<String, BTreeMap<String, usize>>,
}

impl AuditAccumulator {
    pub fn new(site: Site, now: DateTime<Utc>, stuck_after: Duration) -> Self {
        AuditAccumulator {
            site,
            now,
            stuck_after,
            messages: 0,
            per_host: BTreeMap::new(),
            per_direction: BTreeMap::new(),
            stuck: Vec::new(),
            failures: Vec::new(),
            anomalies: Vec::new(),
            hop_delays: Vec::new(),
            total_delays: Vec::new(),
            slowest: Vec::new(),
            volume: BTreeMap::new(),
        }
    }

    /// Counts one message and its analysis.
    pub fn add(&mut self, m: &MessageTrace, analysis: Option<&MessageAnalysis>) {
        self.messages += 1;
        let name = |m: &MessageTrace| {
            m.message_id
                .clone()
                .unwrap_or_else(|| "(not queued)".into())
        };
        if let Some(a) = analysis {
            *self
                .per_direction
                .entry(a.direction.as_str().to_string())
                .or_insert(0) += 1;
            for c in a
                .checks
                .iter()
                .filter(|c| matches!(c.name, "path" | "loops" | "hop count" | "entry point"))
            {
                if c.status != CheckStatus::Pass {
                    self.anomalies.push(Anomaly {
                        message_id: m.message_id.clone(),
                        check: c.name.to_string(),
                        note: c.note.clone(),
                    });
                }
            }
        }
        for inst in &m.instances {
            self.per_host.entry(inst.host.clone()).or_default().received += 1;
            for a in inst.attempts.iter().filter(|a| a.status == "sent") {
                if let Some(d) = a.delay {
                    self.hop_delays.push(d);
                }
            }
        }
        for e in m
            .edges
            .iter()
            .filter(|e| e.status == "sent" && !self.site.hosts.contains(&e.to))
        {
            self.per_host.entry(e.from.clone()).or_default().relayed_out += e.recipients.len();
        }
        for r in &m.recipients {
            if !self.site.hosts.contains(&r.host) {
                continue;
            }
            let t = self.per_host.entry(r.host.clone()).or_default();
            match r.state {
                State::Delivered => t.delivered += 1,
                State::Deferred => t.deferred += 1,
                State::Bounced => t.bounced += 1,
                State::Expired => t.expired += 1,
                State::Rejected => t.rejected += 1,
                State::Held | State::Discarded => t.held_or_discarded += 1,
                State::Relayed | State::Untracked | State::Unknown => {}
            }
            if r.state == State::Deferred {
                let age = m
                    .first_seen
                    .map(|f| (self.now - f.to_utc()).num_seconds())
                    .unwrap_or(0);
                if age >= self.stuck_after.as_secs() as i64 {
                    self.stuck.push(Stuck {
                        message_id: m.message_id.clone(),
                        recipient: r.address.clone(),
                        host: r.host.clone(),
                        mail_id: r.mail_id.clone(),
                        next_hop: m
                            .edges
                            .iter()
                            .rev()
                            .find(|e| e.from == r.host && e.recipients.contains(&r.address))
                            .map(|e| e.to.clone()),
                        age_secs: age,
                        reply: r.reply.clone().unwrap_or_default(),
                    });
                }
            }
        }
        for e in evidence(m).into_iter().filter(|e| !e.recovered) {
            let Some(state) = e
                .state
                .filter(|s| matches!(s, State::Bounced | State::Rejected | State::Expired))
            else {
                continue;
            };
            let d = explain(&e, &self.site);
            let key_rule = d.rule.to_string();
            match self
                .failures
                .iter_mut()
                .find(|f| f.rule == key_rule && f.dsn == e.dsn && f.state == state.as_str())
            {
                Some(f) => {
                    f.count += 1;
                    if f.examples.len() < 3 && !f.examples.contains(&name(m)) {
                        f.examples.push(name(m));
                    }
                }
                None => self.failures.push(FailureClass {
                    state: state.as_str().to_string(),
                    dsn: e.dsn.clone(),
                    rule: key_rule,
                    cause: d.cause,
                    count: 1,
                    examples: vec![name(m)],
                }),
            }
        }
        if let (Some(first), Some(last)) = (
            m.first_seen,
            m.recipients.iter().filter_map(|r| r.time).max(),
        ) {
            let seconds = (last - first).num_milliseconds().max(0) as f64 / 1000.0;
            self.total_delays.push(seconds);
            if self.slowest.len() < SLOWEST
                || self.slowest.last().is_some_and(|(s, _)| seconds > *s)
            {
                self.slowest.push((seconds, name(m)));
                self.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
                self.slowest.truncate(SLOWEST);
            }
            let hour = first
                .to_utc()
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .unwrap_or(first.to_utc());
            let entry = m.nodes.first().cloned().unwrap_or_default();
            *self
                .volume
                .entry(hour.format("%Y-%m-%dT%H:00Z").to_string())
                .or_default()
                .entry(entry)
                .or_insert(0) += 1;
        }
    }

    /// The report of every message added; the accumulator is left empty.
    pub fn finish(&mut self) -> AuditReport {
        let mut per_cluster: BTreeMap<String, Totals> = BTreeMap::new();
        for (cluster, members) in &self.site.clusters {
            let sum = per_cluster.entry(cluster.clone()).or_default();
            for m in members {
                if let Some(t) = self.per_host.get(m) {
                    sum.received += t.received;
                    sum.delivered += t.delivered;
                    sum.relayed_out += t.relayed_out;
                    sum.deferred += t.deferred;
                    sum.bounced += t.bounced;
                    sum.expired += t.expired;
                    sum.rejected += t.rejected;
                    sum.held_or_discarded += t.held_or_discarded;
                }
            }
        }
        self.failures
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
        AuditReport {
            messages: std::mem::take(&mut self.messages),
            per_host: std::mem::take(&mut self.per_host),
            per_cluster,
            per_direction: std::mem::take(&mut self.per_direction),
            stuck: std::mem::take(&mut self.stuck),
            failures: std::mem::take(&mut self.failures),
            anomalies: std::mem::take(&mut self.anomalies),
            hop_delay: percentiles(std::mem::take(&mut self.hop_delays)),
            total_delay: percentiles(std::mem::take(&mut self.total_delays)),
            slowest: std::mem::take(&mut self.slowest)
                .into_iter()
                .map(|(d, n)| (n, d))
                .collect(),
            volume: std::mem::take(&mut self.volume),
        }
    }
}

/// Nearest-rank percentiles.
pub fn percentiles(mut values: Vec<f64>) -> Percentiles {
    if values.is_empty() {
        return Percentiles::default();
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank =
        |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    Percentiles {
        count: values.len(),
        p50: rank(0.50),
        p95: rank(0.95),
        max: values[values.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = percentiles((1..=100).map(f64::from).collect());
        assert_eq!((p.count, p.p50, p.p95, p.max), (100, 50.0, 95.0, 100.0));
        assert_eq!(percentiles(vec![]).count, 0);
        let one = percentiles(vec![3.5]);
        assert_eq!((one.p50, one.p95, one.max), (3.5, 3.5, 3.5));
    }
}
