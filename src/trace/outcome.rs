//! Each recipient's final state, found by following its hand-offs from the
//! entry instance until an attempt ends it (or the logs run out).

use std::collections::HashSet;

use super::directory::HostDirectory;
use super::instance::{Attempt, Instance};
use super::links::{target_of, InstanceIndex, LinkKind, Target};
use super::model::{RecipientOutcome, RefusedAt, State};
use crate::parse::DeliveryStatus;

/// Outcomes of every recipient of the instance `entry`.
pub fn recipient_outcomes(
    instances: &[Instance],
    index: &InstanceIndex,
    entry: usize,
    directory: &dyn HostDirectory,
) -> Vec<RecipientOutcome> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    let walker = Walker {
        instances,
        index,
        directory,
    };
    // an instance that names no recipient has none to report (the message's
    // own refusal, if any, says what happened)
    for r in instances[entry].recipients() {
        walker.walk(
            entry,
            &r,
            None,
            &[instances[entry].host.clone()],
            &mut visited,
            &mut out,
        );
    }
    out
}

struct Walker<'a> {
    instances: &'a [Instance],
    index: &'a InstanceIndex,
    directory: &'a dyn HostDirectory,
}

impl Walker<'_> {
    fn walk(
        &self,
        i: usize,
        recipient: &str,
        original: Option<&str>,
        path: &[String],
        visited: &mut HashSet<(usize, String)>,
        out: &mut Vec<RecipientOutcome>,
    ) {
        if !visited.insert((i, recipient.to_string())) {
            let mut o = self.silent(i, recipient, original, path);
            o.note = Some("the path returns to an instance already visited (loop)".into());
            out.push(o);
            return;
        }
        let inst = &self.instances[i];
        let Some(last) = inst.last_attempt(recipient) else {
            out.push(self.silent(i, recipient, original, path));
            return;
        };
        let state = match last.delivery.status {
            DeliveryStatus::Sent => None,
            DeliveryStatus::Deferred if inst.expired => Some(State::Expired),
            DeliveryStatus::Deferred => Some(State::Deferred),
            DeliveryStatus::Bounced => Some(State::Bounced),
            DeliveryStatus::Expired => Some(State::Expired),
            DeliveryStatus::Undeliverable | DeliveryStatus::Deliverable => Some(State::Unknown),
        };
        if let Some(state) = state {
            out.push(self.unfinished(i, last, recipient, original, path, state));
            return;
        }
        match target_of(self.instances, self.index, i, last, self.directory) {
            Target::Instance { index: j, kind } => {
                let next = &self.instances[j];
                let next_path = if kind == LinkKind::Hop {
                    extend(path, &next.host)
                } else {
                    path.to_vec()
                };
                let origin = original.or(Some(recipient));
                let followers = followers(next, recipient);
                if followers.is_empty() {
                    self.walk(j, recipient, original, &next_path, visited, out);
                }
                for f in followers {
                    let keep = if f == recipient { original } else { origin };
                    self.walk(j, &f, keep, &next_path, visited, out);
                }
            }
            target => out.push(self.arrived(i, last, recipient, original, path, target)),
        }
    }

    /// A recipient whose last attempt failed: deferred, bounced, expired. A
    /// host that answered with a refusal is on the path (a hop); one that
    /// could not be reached is not (the edge still shows it).
    fn unfinished(
        &self,
        i: usize,
        last: &Attempt,
        recipient: &str,
        original: Option<&str>,
        path: &[String],
        state: State,
    ) -> RecipientOutcome {
        let inst = &self.instances[i];
        let answered = last.delivery.smtp_code.is_some();
        let failed = match target_of(self.instances, self.index, i, last, self.directory) {
            Target::Local => None,
            Target::Instance { index, .. } => Some(self.instances[index].host.clone()),
            Target::Missing { host, .. } => Some(host),
            Target::Untracked(name) | Target::External(name) => Some(name),
        }
        .filter(|h| answered && h != &inst.host);
        let path = path.to_vec();
        outcome(
            inst, last, recipient, original, state, &inst.host, path, failed, None,
        )
    }

    /// A recipient sent where the trace cannot follow it further: delivered
    /// here, relayed out, handed to an untracked host, or to a host whose
    /// logs do not show it.
    fn arrived(
        &self,
        i: usize,
        last: &Attempt,
        recipient: &str,
        original: Option<&str>,
        path: &[String],
        target: Target,
    ) -> RecipientOutcome {
        let inst = &self.instances[i];
        let (state, host, note) = match target {
            Target::Local if discarded(last) => (State::Discarded, None, None),
            Target::Local | Target::Instance { .. } => (State::Delivered, None, None),
            Target::External(name) => (State::Relayed, Some(name), None),
            Target::Untracked(name) => {
                let note = format!("handed to {name}, whose logs are not searched");
                (State::Untracked, Some(name), Some(note))
            }
            Target::Missing { host, queue_id } => {
                let note = match queue_id {
                    Some(q) => format!("handed to {host} as {q}, but {host}'s logs do not show it"),
                    None => format!("handed to {host} without a queue ID to follow"),
                };
                (State::Unknown, Some(host), Some(note))
            }
        };
        // a hand-over to another host puts it on the path
        let (host, path) = match host {
            Some(h) => {
                let path = extend(path, &h);
                (h, path)
            }
            None => (inst.host.clone(), path.to_vec()),
        };
        outcome(
            inst, last, recipient, original, state, &host, path, None, note,
        )
    }

    /// The outcome of a recipient with no delivery attempt on instance `i`.
    fn silent(
        &self,
        i: usize,
        recipient: &str,
        original: Option<&str>,
        path: &[String],
    ) -> RecipientOutcome {
        let inst = &self.instances[i];
        // the last refusal, discard or hold that names this recipient or none
        let reject = inst
            .rejects
            .iter()
            .rev()
            .find(|(_, r)| r.to.as_deref().is_none_or(|to| to == recipient));
        let (state, note) = if let Some((_, r)) = reject {
            (
                State::of_effect(r.effect()),
                Some(format!("{} at {} on {}", r.action, r.stage, inst.host)),
            )
        } else if inst.expired {
            (State::Expired, None)
        } else {
            (
                State::Unknown,
                Some(format!(
                    "no delivery attempt logged for {} on {}",
                    inst.queue_id, inst.host
                )),
            )
        };
        RecipientOutcome {
            address: recipient.to_string(),
            original: original.filter(|o| *o != recipient).map(str::to_string),
            state,
            host: inst.host.clone(),
            mail_id: Some(inst.queue_id.clone()),
            dsn: reject.and_then(|(_, r)| r.dsn.clone()),
            smtp_code: reject.and_then(|(_, r)| r.smtp_code),
            reply: reject.map(|(_, r)| r.reply.clone()),
            time: Some(reject.map(|(t, _)| *t).unwrap_or(inst.last)),
            hops: path.len() - 1,
            path: path.to_vec(),
            failed_hop: None,
            note,
            refused_at: reject.map(|(_, r)| RefusedAt::of(r)),
        }
    }
}

/// The recipients of `next` that continue `recipient`: the same address, or
/// the addresses an alias or list expanded it into.
/// Accepted and thrown away on this host: by discard(8), or by a content
/// filter that said so (amavis: `250 2.7.0 Ok, discarded, id=... - spam`).
fn discarded(attempt: &Attempt) -> bool {
    attempt.service == "discard"
        || attempt
            .delivery
            .reply
            .to_ascii_lowercase()
            .contains("discarded")
}

fn followers(next: &Instance, recipient: &str) -> Vec<String> {
    let all = next.recipients();
    if all.iter().any(|r| r == recipient) {
        return vec![recipient.to_string()];
    }
    let expanded: Vec<String> = next
        .attempts
        .iter()
        .filter(|a| a.delivery.orig_to.as_deref() == Some(recipient))
        .map(|a| a.delivery.to.clone())
        .fold(Vec::new(), |mut v, r| {
            if !v.contains(&r) {
                v.push(r);
            }
            v
        });
    if !expanded.is_empty() {
        return expanded;
    }
    all
}

#[allow(clippy::too_many_arguments)]
fn outcome(
    inst: &Instance,
    attempt: &Attempt,
    recipient: &str,
    original: Option<&str>,
    state: State,
    host: &str,
    path: Vec<String>,
    failed_hop: Option<String>,
    note: Option<String>,
) -> RecipientOutcome {
    let d = &attempt.delivery;
    RecipientOutcome {
        address: recipient.to_string(),
        original: original.filter(|o| *o != recipient).map(str::to_string),
        state,
        host: host.to_string(),
        mail_id: Some(inst.queue_id.clone()),
        dsn: d.dsn.clone(),
        smtp_code: d.smtp_code,
        reply: Some(d.reply.clone()),
        time: Some(attempt.time),
        hops: path.len() - 1 + usize::from(failed_hop.is_some()),
        path,
        failed_hop,
        note,
        refused_at: None,
    }
}

fn extend(path: &[String], host: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(host.to_string());
    p
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse_line, LineContext};
    use crate::time::Zone;
    use crate::trace::directory::NoHosts;
    use crate::trace::{correlate, Position, Record, State};
    use chrono::TimeZone;

    fn trace(lines: &[&str]) -> crate::trace::Trace {
        let ctx = LineContext {
            zone: Zone::parse("+08:00").unwrap(),
            reference: chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
        };
        let records: Vec<Record> = lines
            .iter()
            .enumerate()
            .map(|(n, l)| Record {
                host: "mailer2".into(),
                event: parse_line(l, &ctx).unwrap(),
                seed: true,
                position: Position {
                    line: n as u64 + 1,
                    ..Position::default()
                },
            })
            .collect();
        correlate(&records, &NoHosts)
    }

    #[test]
    fn a_stay_without_recipient_lines_makes_no_empty_recipient() {
        let t = trace(&[
            "Nov 23 10:02:12 mailer2 postfix/smtpd[1]: B6F203DF0C1: client=h1[10.0.0.1]",
            "Nov 23 10:02:12 mailer2 postfix/qmgr[2]: B6F203DF0C1: from=<paul@example.edu>, size=900, nrcpt=1 (queue active)",
            "Nov 28 10:02:12 mailer2 postfix/qmgr[2]: B6F203DF0C1: from=<paul@example.edu>, status=expired, returned to sender",
            "Nov 28 10:02:12 mailer2 postfix/qmgr[2]: B6F203DF0C1: removed",
        ]);
        assert_eq!(t.messages.len(), 1);
        assert!(
            t.messages[0].recipients.is_empty(),
            "{:?}",
            t.messages[0].recipients
        );
        assert!(t.recipients.iter().all(|r| !r.address.is_empty()));
    }

    #[test]
    fn a_refusal_at_mail_from_is_the_message_s_fate() {
        let t = trace(&[
            "Nov 23 10:02:12 mailer2 postfix/smtpd[1]: NOQUEUE: reject: MAIL from x.example[192.0.2.9]: 553 5.7.1 <a@b.example>: Sender address rejected: not logged in; proto=ESMTP helo=<x>",
        ]);
        let m = &t.messages[0];
        assert!(m.recipients.is_empty());
        let refused = m.refused.as_ref().expect("the refusal");
        assert_eq!(refused.state, State::Rejected);
        assert_eq!(refused.stage, "MAIL");
        assert_eq!(
            refused.reply,
            "553 5.7.1 <a@b.example>: Sender address rejected: not logged in"
        );
    }

    #[test]
    fn holds_and_discards_are_not_refusals() {
        let t = trace(&[
            "Nov 23 10:02:12 mailer2 postfix/smtpd[1]: 1A2B3C4D5E: client=x.example[192.0.2.9]",
            "Nov 23 10:02:13 mailer2 postfix/cleanup[3]: 1A2B3C4D5E: milter-hold: END-OF-MESSAGE from x.example[192.0.2.9]: milter triggers HOLD action; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
            "Nov 23 10:03:12 mailer2 postfix/smtpd[1]: 2A2B3C4D5E: client=x.example[192.0.2.9]",
            "Nov 23 10:03:13 mailer2 postfix/cleanup[3]: 2A2B3C4D5E: milter-discard: END-OF-MESSAGE from x.example[192.0.2.9]: milter triggers DISCARD action; from=<a@b.example> to=<e@d.example> proto=ESMTP helo=<x>",
            "Nov 23 10:04:12 mailer2 postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from x.example[192.0.2.9]: 554 5.7.1 <f@d.example>: Relay access denied; from=<a@b.example> to=<f@d.example> proto=ESMTP helo=<x>",
        ]);
        let states: Vec<(String, State, Option<String>)> = t
            .recipients
            .iter()
            .map(|r| {
                (
                    r.address.clone(),
                    r.state,
                    t.messages
                        .iter()
                        .find(|m| m.recipients.contains(r))
                        .and_then(|m| m.sender.clone()),
                )
            })
            .collect();
        assert_eq!(
            states,
            vec![
                (
                    "c@d.example".into(),
                    State::Held,
                    Some("a@b.example".into())
                ),
                (
                    "e@d.example".into(),
                    State::Discarded,
                    Some("a@b.example".into())
                ),
            ]
        );
    }
}
