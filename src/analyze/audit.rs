//! Audit aggregates over every message of a window: totals per host, cluster
//! and direction, stuck mail, bounce and reject classes, path anomalies,
//! delay percentiles and volume per hour. Pure: messages and their analyses in.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use serde::Serialize;

use super::diagnosis::{evidence, explain, Evidence};
use super::{sender_text, CheckStatus, MessageAnalysis, Site};
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

/// Bounces, expiries, refusals, holds or discards that share a cause: the
/// same state, catalogue row, DSN and reply once addresses, hosts and IDs
/// are masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureClass {
    pub state: String,
    pub dsn: String,
    pub rule: String,
    pub cause: String,
    pub count: usize,
    pub examples: Vec<FailureExample>,
    /// The masked reply the class is keyed on.
    #[serde(skip)]
    pub pattern: String,
}

/// One member of a failure class: who it concerned and what was answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureExample {
    /// Where it was refused, bounced, held or discarded.
    pub host: String,
    /// The queue ID there; null for a refusal before queueing (NOQUEUE).
    pub mail_id: Option<String>,
    pub message_id: Option<String>,
    pub time: Option<DateTime<FixedOffset>>,
    /// `<>` for the null sender, `unknown` when no line logged one.
    pub sender: String,
    /// Null when the message names no recipient (refused at CONNECT, HELO or MAIL).
    pub recipient: Option<String>,
    /// The client that handed the message to the site, as logged.
    pub client_name: Option<String>,
    pub client_ip: Option<String>,
    /// The reply, with its SMTP code and DSN in front when it lacks them.
    pub reply: String,
    pub dsn: Option<String>,
}

/// How many examples a failure class keeps.
const EXAMPLES: usize = 3;

/// The failure classes the audit lists.
fn listed(state: State) -> bool {
    matches!(
        state,
        State::Bounced | State::Rejected | State::Expired | State::Held | State::Discarded
    )
}

impl FailureExample {
    fn of(m: &MessageTrace, e: &Evidence) -> Self {
        let (client_name, client_ip) = match e.client.as_deref().map(split_client) {
            Some((name, ip)) => (Some(name), ip),
            None => (None, None),
        };
        FailureExample {
            host: e.host.clone(),
            mail_id: e.mail_id.clone(),
            message_id: m.message_id.clone(),
            time: e.time,
            sender: sender_text(e.sender.as_deref()),
            recipient: Some(e.address.clone()).filter(|a| !a.is_empty()),
            client_name,
            client_ip,
            reply: reply_with_codes(e),
            dsn: Some(e.dsn.clone()).filter(|d| !d.is_empty()),
        }
    }
}

/// `NAME[IP]` as name and IP; a bare name has no IP.
fn split_client(client: &str) -> (String, Option<String>) {
    match client.strip_suffix(']').and_then(|c| c.rsplit_once('[')) {
        Some((name, ip)) => (name.to_string(), Some(ip.to_string())),
        None => (client.to_string(), None),
    }
}

/// The reply with the SMTP code and DSN in front when the text lacks them.
fn reply_with_codes(e: &Evidence) -> String {
    let reply = e.reply.trim();
    let code = e.code.map(|c| c.to_string()).unwrap_or_default();
    let front: Vec<&str> = [code.as_str(), e.dsn.as_str()]
        .into_iter()
        .filter(|c| !c.is_empty() && !reply.contains(c))
        .collect();
    match (front.is_empty(), reply.is_empty()) {
        (true, _) => reply.to_string(),
        (false, true) => front.join(" "),
        (false, false) => format!("{} {reply}", front.join(" ")),
    }
}

/// A reply with what varies from message to message masked: words with
/// addresses, brackets or digits (but SMTP codes and DSNs) become `…`.
fn reply_pattern(reply: &str) -> String {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    // `550`, `5.1.1`, and the continuation form `550-5.1.1`
    let code = |w: &str| {
        w.split('-').filter(|p| !p.is_empty()).all(|p| {
            (p.len() == 3 && digits(p)) || (p.split('.').count() == 3 && p.split('.').all(digits))
        })
    };
    reply
        .split_whitespace()
        .map(|w| {
            let varies = w.contains(['<', '[', '@']) || w.bytes().any(|b| b.is_ascii_digit());
            if varies && !code(w) {
                "…"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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
        if let Some(a) = analysis {
            self.add_analysis(m, a);
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
        self.add_outcomes(m);
        self.add_failures(m);
        self.add_delays(m);
    }

    /// The message's direction and the checks that break the architecture.
    fn add_analysis(&mut self, m: &MessageTrace, a: &MessageAnalysis) {
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

    /// Each recipient's end (or the message's refusal when it names none)
    /// counted on the inventory host that decided it; stuck mail listed.
    fn add_outcomes(&mut self, m: &MessageTrace) {
        let refused = m
            .refused
            .iter()
            .filter(|_| m.recipients.is_empty())
            .map(|f| (f.host.as_str(), f.state));
        let ends = m.recipients.iter().map(|r| (r.host.as_str(), r.state));
        for (host, state) in ends.chain(refused) {
            if self.site.hosts.iter().any(|h| h == host) {
                count(self.per_host.entry(host.to_string()).or_default(), state);
            }
        }
        for r in m.recipients.iter().filter(|r| r.state == State::Deferred) {
            if !self.site.hosts.contains(&r.host) {
                continue;
            }
            let age = m
                .first_seen
                .map(|f| (self.now - f.to_utc()).num_seconds())
                .unwrap_or(0);
            if age >= crate::time::seconds_i64(self.stuck_after) {
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

    /// Each bounce, expiry, refusal, hold or discard, in the class of its cause.
    fn add_failures(&mut self, m: &MessageTrace) {
        for e in evidence(m).into_iter().filter(|e| !e.recovered) {
            let Some(state) = e.state.filter(|s| listed(*s)) else {
                continue;
            };
            let d = explain(&e, &self.site);
            let pattern = reply_pattern(&e.reply);
            let example = FailureExample::of(m, &e);
            match self.failures.iter_mut().find(|f| {
                f.rule == d.rule
                    && f.dsn == e.dsn
                    && f.state == state.as_str()
                    && f.pattern == pattern
            }) {
                Some(f) => {
                    f.count += 1;
                    if f.examples.len() < EXAMPLES {
                        f.examples.push(example);
                    }
                }
                None => self.failures.push(FailureClass {
                    state: state.as_str().to_string(),
                    dsn: e.dsn.clone(),
                    rule: d.rule.to_string(),
                    cause: d.cause,
                    count: 1,
                    examples: vec![example],
                    pattern,
                }),
            }
        }
    }

    /// End-to-end delay, the slowest messages and the volume per hour.
    fn add_delays(&mut self, m: &MessageTrace) {
        let (Some(first), Some(last)) = (
            m.first_seen,
            m.recipients.iter().filter_map(|r| r.time).max(),
        ) else {
            return;
        };
        let seconds = (last - first).num_milliseconds().max(0) as f64 / 1000.0;
        self.total_delays.push(seconds);
        if self.slowest.len() < SLOWEST || self.slowest.last().is_some_and(|(s, _)| seconds > *s) {
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

/// A message as a report names it: its Message-ID, else its queue ID and
/// host, else the host that refused it before queueing.
fn name(m: &MessageTrace) -> String {
    if let Some(id) = &m.message_id {
        return id.clone();
    }
    match (m.instances.first(), m.nodes.first()) {
        (Some(i), _) => format!("{} on {}", i.mail_id, i.host),
        (None, Some(host)) => format!("NOQUEUE on {host}"),
        (None, None) => "(no ID)".to_string(),
    }
}

/// Counts one end in a host's totals.
fn count(t: &mut Totals, state: State) {
    match state {
        State::Delivered => t.delivered += 1,
        State::Deferred => t.deferred += 1,
        State::Bounced => t.bounced += 1,
        State::Expired => t.expired += 1,
        State::Rejected => t.rejected += 1,
        State::Held | State::Discarded => t.held_or_discarded += 1,
        State::Relayed | State::Untracked | State::Unknown => {}
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
    use crate::analyze::analyze_message;
    use crate::analyze::testing::{message, recipient, refusal, site};

    fn report(messages: &[MessageTrace]) -> AuditReport {
        let site = site();
        let analyses: Vec<MessageAnalysis> =
            messages.iter().map(|m| analyze_message(m, &site)).collect();
        audit(
            messages,
            &analyses,
            &site,
            Utc::now(),
            Duration::from_secs(3600),
        )
    }

    /// A NOQUEUE refusal at RCPT on h2, as smtpd logs it.
    fn refused_at_rcpt(to: &str, reply: &str) -> MessageTrace {
        let mut m = message(
            Some("billing@secure-pay.example.com"),
            "h2",
            Some("mail.hosting.example.net[198.51.100.120]"),
        );
        let mut r = recipient(to, State::Rejected, "h2", reply);
        r.mail_id = None;
        m.recipients = vec![r];
        m
    }

    #[test]
    fn a_refusal_before_queueing_names_sender_recipient_client_reply_and_dsn() {
        let reply =
            "554 5.7.1 <billing@secure-pay.example.com>: Sender address rejected: Access denied";
        let r = report(&[refused_at_rcpt("ines@example.edu", reply)]);
        let e = &r.failures[0].examples[0];
        assert_eq!(
            (
                e.host.as_str(),
                e.mail_id.as_deref(),
                e.message_id.as_deref()
            ),
            ("h2", None, None)
        );
        assert_eq!(
            (e.sender.as_str(), e.recipient.as_deref()),
            ("billing@secure-pay.example.com", Some("ines@example.edu"))
        );
        assert_eq!(
            (e.client_name.as_deref(), e.client_ip.as_deref()),
            (Some("mail.hosting.example.net"), Some("198.51.100.120"))
        );
        assert_eq!((e.reply.as_str(), e.dsn.as_deref()), (reply, Some("5.7.1")));
        assert_eq!(r.per_host["h2"].rejected, 1);
    }

    #[test]
    fn refusals_group_by_cause_not_by_who_was_refused() {
        let denied = |to: &str| format!("554 5.7.1 <{to}>: Relay access denied");
        let sender =
            "554 5.7.1 <billing@secure-pay.example.com>: Sender address rejected: Access denied";
        let r = report(&[
            refused_at_rcpt("a@bank.example.org", &denied("a@bank.example.org")),
            refused_at_rcpt("b@bank.example.org", &denied("b@bank.example.org")),
            refused_at_rcpt("ines@example.edu", sender),
        ]);
        let counts: Vec<(usize, &str)> = r
            .failures
            .iter()
            .map(|f| (f.count, f.examples[0].reply.as_str()))
            .collect();
        assert_eq!(
            counts,
            [(2, denied("a@bank.example.org").as_str()), (1, sender)]
        );
        let recipients: Vec<_> = r.failures[0]
            .examples
            .iter()
            .map(|e| e.recipient.as_deref())
            .collect();
        assert_eq!(
            recipients,
            [Some("a@bank.example.org"), Some("b@bank.example.org")]
        );
    }

    #[test]
    fn refusals_without_recipients_holds_and_discards_are_listed_with_their_sender() {
        let mut connect = message(None, "h2", Some("unknown[203.0.113.66]"));
        let reply = "554 5.7.1 <unknown[203.0.113.66]>: Client host rejected: Access denied";
        connect.refused = Some(refusal(State::Rejected, "h2", None, "CONNECT", reply));
        let mut held = message(Some(""), "h1", None);
        held.refused = Some(refusal(
            State::Held,
            "h1",
            Some("3F2A1B9C0D"),
            "header",
            "held for review",
        ));
        let mut discarded = message(Some("kim@example.edu"), "h1", None);
        discarded.recipients = vec![recipient(
            "pia@example.edu",
            State::Discarded,
            "h1",
            "milter triggers DISCARD action",
        )];
        let r = report(&[connect, held, discarded]);
        // one class each, by rule name: state, rule, and who
        let listed: Vec<String> = r
            .failures
            .iter()
            .map(|f| {
                let e = &f.examples[0];
                let to = e.recipient.as_deref().unwrap_or("-");
                let ip = e.client_ip.as_deref().unwrap_or("-");
                format!("{} {}: {} → {to} ({ip})", f.state, f.rule, e.sender)
            })
            .collect();
        assert_eq!(
            listed,
            [
                "discarded discarded: kim@example.edu → pia@example.edu (-)",
                "held held: <> → - (-)",
                "rejected rejected_before_queue: unknown → - (203.0.113.66)",
            ]
        );
        assert_eq!(
            r.failures[1].examples[0].mail_id.as_deref(),
            Some("3F2A1B9C0D")
        );
        assert_eq!(
            (
                r.per_host["h2"].rejected,
                r.per_host["h1"].held_or_discarded
            ),
            (1, 2)
        );
    }

    #[test]
    fn a_reply_gets_its_codes_in_front_when_the_line_had_them_apart() {
        let mut e = Evidence {
            code: Some(550),
            dsn: "5.7.1".into(),
            reply: "Spam message rejected".into(),
            ..Evidence::default()
        };
        assert_eq!(reply_with_codes(&e), "550 5.7.1 Spam message rejected");
        e.reply = "5.7.1 Spam message rejected".into();
        assert_eq!(reply_with_codes(&e), "550 5.7.1 Spam message rejected");
        e.code = None;
        assert_eq!(reply_with_codes(&e), "5.7.1 Spam message rejected");
    }

    #[test]
    fn a_reply_pattern_masks_what_varies_and_keeps_the_codes() {
        assert_eq!(
            reply_pattern("host mx.example.org[192.0.2.77] said: 550-5.1.1 <x@example.org>: User unknown, id=03313-04"),
            "host … said: 550-5.1.1 … User unknown, …"
        );
    }

    #[test]
    fn nearest_rank_percentiles() {
        let p = percentiles((1..=100).map(f64::from).collect());
        assert_eq!((p.count, p.p50, p.p95, p.max), (100, 50.0, 95.0, 100.0));
        assert_eq!(percentiles(vec![]).count, 0);
        let one = percentiles(vec![3.5]);
        assert_eq!((one.p50, one.p95, one.max), (3.5, 3.5, 3.5));
    }
}
