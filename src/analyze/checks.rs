//! The checks of one message, as in the playbook's table: entry point, path,
//! final destination, SMTP codes, hop count, loops, timing.

use serde::Serialize;

use super::diagnosis::{evidence, explain, refusal_evidence, stage_phrase, subject, Evidence};
use super::route::{match_route, RouteMatch};
use super::{Direction, Site};
use crate::trace::{MessageTrace, RecipientOutcome, Refusal, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

/// One row of the checks table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub note: String,
}

fn check(name: &'static str, status: CheckStatus, note: impl Into<String>) -> Check {
    Check {
        name,
        status,
        note: note.into(),
    }
}

/// The hosts one recipient went through: the hosts it reached, then the
/// host its last, failed attempt went to.
pub fn path_of(_message: &MessageTrace, r: &RecipientOutcome) -> Vec<String> {
    let mut path = r.path.clone();
    path.extend(r.failed_hop.iter().cloned());
    path
}

/// The hosts one recipient actually reached (a failed hop does not count).
pub fn reached_path(_message: &MessageTrace, r: &RecipientOutcome) -> Vec<String> {
    r.path.clone()
}

/// The direction of a message: from its sender and its recipients' first addresses.
fn direction(message: &MessageTrace, site: &Site) -> Direction {
    if message.notification_of.is_some() {
        return Direction::Other;
    }
    message
        .recipients
        .first()
        .map(|r| {
            site.direction(
                message.sender.as_deref(),
                r.original.as_deref().unwrap_or(&r.address),
            )
        })
        .unwrap_or(Direction::Other)
}

/// The direction of one recipient of a message.
fn recipient_direction(message: &MessageTrace, site: &Site, r: &RecipientOutcome) -> Direction {
    if message.notification_of.is_some() {
        return Direction::Other;
    }
    site.direction(
        message.sender.as_deref(),
        r.original.as_deref().unwrap_or(&r.address),
    )
}

/// Runs every check on a message.
pub fn check_message(message: &MessageTrace, site: &Site) -> (Direction, Vec<Check>) {
    let direction = direction(message, site);
    let route = site.routes.get(&direction);
    let checks = vec![
        entry_point(message, site, direction, route.map(|r| r.as_slice())),
        path(message, site, direction, route.map(|r| r.as_slice())),
        final_destination(message, site, direction),
        smtp_codes(message),
        hop_count(message, site),
        loops(message, site, route.map(|r| r.as_slice())),
        timing(message, site),
    ];
    (direction, checks)
}

fn entry_point(
    message: &MessageTrace,
    site: &Site,
    direction: Direction,
    route: Option<&[super::StepSpec]>,
) -> Check {
    let entry = message.nodes.first().cloned().unwrap_or_default();
    let sasl = message
        .origin
        .as_ref()
        .and_then(|o| o.sasl_username.clone())
        .map(|u| format!(", SASL-authenticated as {u}"))
        .unwrap_or_default();
    if direction == Direction::Other {
        return check(
            "entry point",
            CheckStatus::Pass,
            format!("{entry}{sasl} (route not checked: {})", why_other(message)),
        );
    }
    let Some(route) = route else {
        return check(
            "entry point",
            CheckStatus::Warn,
            format!("{entry}{sasl}; no {} route is declared", direction.as_str()),
        );
    };
    let Some(first) = route.first() else {
        return check(
            "entry point",
            CheckStatus::Warn,
            "the declared route is empty",
        );
    };
    if site.step_matches(first, &entry) {
        check(
            "entry point",
            CheckStatus::Pass,
            format!("{entry} ({}){sasl}", first.describe()),
        )
    } else {
        check(
            "entry point",
            CheckStatus::Fail,
            format!(
                "{} mail entered at {entry}, not at {}",
                direction.as_str(),
                first.describe()
            ),
        )
    }
}

fn why_other(message: &MessageTrace) -> &'static str {
    if message.notification_of.is_some() {
        "a notification"
    } else if message.recipients.is_empty() {
        "no recipient is logged"
    } else {
        "neither sender nor recipient is local"
    }
}

fn arrived(state: State) -> bool {
    matches!(state, State::Delivered | State::Relayed | State::Untracked)
}

fn path(
    message: &MessageTrace,
    site: &Site,
    direction: Direction,
    route: Option<&[super::StepSpec]>,
) -> Check {
    if route.is_none() || direction == Direction::Other {
        return check(
            "path",
            CheckStatus::Pass,
            format!("{} (no route to compare)", message.nodes.join(" → ")),
        );
    }
    for r in &message.recipients {
        // each recipient follows the route of its own direction
        let Some(route) = site.routes.get(&recipient_direction(message, site, r)) else {
            continue;
        };
        let mut hosts = path_of(message, r);
        // beyond an untracked host nothing is known: judge the path up to it
        if r.state == State::Untracked {
            hosts.pop();
        }
        let complete = matches!(r.state, State::Delivered | State::Relayed);
        match match_route(&hosts, route, site, complete) {
            RouteMatch::Full | RouteMatch::Prefix => {}
            RouteMatch::Unexpected {
                position,
                host,
                expected,
            } => {
                let after = if position == 0 {
                    "at the start".to_string()
                } else {
                    format!("after {}", hosts[position - 1])
                };
                return check(
                    "path",
                    CheckStatus::Fail,
                    format!(
                        "unexpected host {host} {after} for {} (expected {expected})",
                        shown(&r.address)
                    ),
                );
            }
            RouteMatch::Missing { steps } => {
                return check(
                    "path",
                    CheckStatus::Fail,
                    format!(
                        "{} skipped {} ({})",
                        shown(&r.address),
                        steps.join(", "),
                        hosts.join(" → ")
                    ),
                )
            }
        }
    }
    check(
        "path",
        CheckStatus::Pass,
        format!(
            "{} matches the {} route",
            message.nodes.join(" → "),
            direction.as_str()
        ),
    )
}

/// A recipient as a note shows it: never an empty address.
fn shown(address: &str) -> &str {
    if address.is_empty() {
        "an unnamed recipient"
    } else {
        address
    }
}

/// `the mail from X (client Y) is rejected on mx2 at MAIL: 554 5.7.1 ...`
fn refusal_note(message: &MessageTrace, f: &Refusal) -> String {
    format!(
        "{} is {} on {}{}: {}",
        subject(&refusal_evidence(message, f)),
        f.state.as_str(),
        f.host,
        stage_phrase(Some(&f.stage)),
        f.reply.trim()
    )
}

/// The final destination of a message whose recipients no line names:
/// its refusal, discard or hold, or a warning that nothing is known.
fn unnamed_destination(message: &MessageTrace) -> Check {
    if let Some(f) = &message.refused {
        return check(
            "final destination",
            CheckStatus::Fail,
            refusal_note(message, f),
        );
    }
    let host = message
        .instances
        .first()
        .map(|i| i.host.as_str())
        .or(message.nodes.first().map(String::as_str))
        .unwrap_or("any host");
    let id = message
        .instances
        .first()
        .map(|i| i.mail_id.as_str())
        .unwrap_or("this message");
    check(
        "final destination",
        CheckStatus::Warn,
        format!("no recipient of {id} on {host} is logged"),
    )
}

fn final_destination(message: &MessageTrace, site: &Site, direction: Direction) -> Check {
    if message.recipients.is_empty() {
        return unnamed_destination(message);
    }
    let diagnoses: Vec<Evidence> = evidence(message)
        .into_iter()
        .filter(|e| !e.recovered)
        .collect();
    let missed = message
        .recipients
        .iter()
        .find_map(|r| missed_destination(message, site, direction, r, &diagnoses));
    if let Some(missed) = missed {
        return missed;
    }
    let states: Vec<String> = message
        .recipients
        .iter()
        .map(|r| format!("{} {} on {}", shown(&r.address), r.state.as_str(), r.host))
        .collect();
    check("final destination", CheckStatus::Pass, states.join("; "))
}

/// The check of one recipient that did not end where its direction
/// expects (with the diagnosis's cause, or its reply); `None` when it did.
fn missed_destination(
    message: &MessageTrace,
    site: &Site,
    direction: Direction,
    r: &RecipientOutcome,
    diagnoses: &[Evidence],
) -> Option<Check> {
    let direction = match direction {
        Direction::Other => Direction::Other,
        _ => recipient_direction(message, site, r),
    };
    let fits = match direction {
        Direction::Inbound | Direction::Internal => r.state == State::Delivered,
        Direction::Outbound => r.state == State::Relayed,
        Direction::Other => matches!(r.state, State::Delivered | State::Relayed),
    };
    if fits {
        return None;
    }
    if r.state == State::Untracked {
        return Some(check(
            "final destination",
            CheckStatus::Warn,
            format!(
                "{} was handed to {}, whose logs are not searched",
                shown(&r.address),
                r.host
            ),
        ));
    }
    let cause = diagnoses
        .iter()
        .find(|e| e.address == r.address)
        .map(|e| format!(": {}", explain(e, site).cause))
        .unwrap_or_default();
    let reply = r
        .reply
        .as_deref()
        .filter(|_| cause.is_empty())
        .map(|t| format!(" ({})", t.trim()))
        .unwrap_or_default();
    let status = if arrived(r.state) {
        CheckStatus::Warn
    } else {
        CheckStatus::Fail
    };
    Some(check(
        "final destination",
        status,
        format!(
            "{} is {} on {}{cause}{reply}",
            shown(&r.address),
            r.state.as_str(),
            r.host
        ),
    ))
}

fn smtp_codes(message: &MessageTrace) -> Check {
    if let Some(e) = message.edges.iter().find(|e| e.status != "sent") {
        return check(
            "SMTP codes",
            CheckStatus::Fail,
            format!("{} → {}: {} {}", e.from, e.to, e.status, e.reply.trim()),
        );
    }
    if let Some(note) = refused_reply(message) {
        return check("SMTP codes", CheckStatus::Fail, note);
    }
    if let Some(e) = message.edges.iter().find(|e| e.retries > 0) {
        return check(
            "SMTP codes",
            CheckStatus::Warn,
            format!(
                "{} → {} succeeded after {} temporary failure(s)",
                e.from, e.to, e.retries
            ),
        );
    }
    check("SMTP codes", CheckStatus::Pass, "every hop answered 2xx")
}

/// The refusal of a recipient, or of the message when it names none.
fn refused_reply(message: &MessageTrace) -> Option<String> {
    if let Some(r) = message
        .recipients
        .iter()
        .find(|r| r.state == State::Rejected)
    {
        return Some(format!(
            "{} refused {}: {}",
            r.host,
            shown(&r.address),
            r.reply.as_deref().unwrap_or("").trim()
        ));
    }
    let f = message
        .refused
        .as_ref()
        .filter(|f| f.state == State::Rejected && message.recipients.is_empty())?;
    Some(format!(
        "{} refused {}{}: {}",
        f.host,
        subject(&refusal_evidence(message, f)),
        stage_phrase(Some(&f.stage)),
        f.reply.trim()
    ))
}

fn hop_count(message: &MessageTrace, site: &Site) -> Check {
    let max = if site.max_hops == 0 { 7 } else { site.max_hops };
    if message.hop_count > max {
        check(
            "hop count",
            CheckStatus::Fail,
            format!("{} hops, more than the limit of {max}", message.hop_count),
        )
    } else {
        check(
            "hop count",
            CheckStatus::Pass,
            format!("{} hop(s), limit {max}", message.hop_count),
        )
    }
}

fn loops(message: &MessageTrace, site: &Site, route: Option<&[super::StepSpec]>) -> Check {
    for r in &message.recipients {
        let reply = r.reply.as_deref().unwrap_or("").to_ascii_lowercase();
        if r.dsn.as_deref() == Some("5.4.6")
            || reply.contains("forwarding loop")
            || reply.contains("too many hops")
        {
            return check(
                "loops",
                CheckStatus::Fail,
                format!(
                    "mail forwarding loop for {} ({})",
                    shown(&r.address),
                    r.host
                ),
            );
        }
    }
    for r in &message.recipients {
        let hosts = path_of(message, r);
        let twice = hosts
            .iter()
            .enumerate()
            .find(|(i, h)| hosts[..*i].contains(h))
            .map(|(_, h)| h.clone());
        if let Some(host) = twice {
            let own = site
                .routes
                .get(&recipient_direction(message, site, r))
                .map(|r| r.as_slice())
                .or(route);
            let declared = own.is_some_and(|route| {
                matches!(
                    match_route(&hosts, route, site, false),
                    RouteMatch::Full | RouteMatch::Prefix
                )
            });
            return if declared {
                check(
                    "loops",
                    CheckStatus::Pass,
                    format!("{host} twice, as the route declares"),
                )
            } else {
                check(
                    "loops",
                    CheckStatus::Warn,
                    format!("{host} appears twice on the path of {}", shown(&r.address)),
                )
            };
        }
    }
    check("loops", CheckStatus::Pass, "no host visited twice")
}

fn timing(message: &MessageTrace, site: &Site) -> Check {
    let mut slowest: Option<(f64, String)> = None;
    for i in &message.instances {
        for a in i.attempts.iter().filter(|a| a.status == "sent") {
            if let Some(d) = a.delay {
                if slowest.as_ref().is_none_or(|(s, _)| d > *s) {
                    slowest = Some((d, i.host.clone()));
                }
            }
        }
    }
    let total = match (
        message.first_seen,
        message.recipients.iter().filter_map(|r| r.time).max(),
    ) {
        (Some(first), Some(last)) => (last - first).num_milliseconds().max(0) as f64 / 1000.0,
        _ => 0.0,
    };
    let note = match &slowest {
        Some((hop, host)) => format!("slowest hop {hop:.1}s on {host}, total {total:.0}s"),
        None => format!("no hop completed, total {total:.0}s"),
    };
    let hop = slowest.map(|(h, _)| h).unwrap_or(0.0);
    let slow_hop = site.slow_hop.as_secs_f64();
    let slow_total = site.slow_total.as_secs_f64();
    if (slow_hop > 0.0 && hop > slow_hop) || (slow_total > 0.0 && total > slow_total) {
        check(
            "timing",
            CheckStatus::Warn,
            format!("{note} (limits {slow_hop:.0}s per hop, {slow_total:.0}s in all)"),
        )
    } else {
        check("timing", CheckStatus::Pass, note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze_message;
    use crate::analyze::testing::{message, recipient, refusal, site};
    use crate::render::verdict_text;

    fn status(checks: &[Check], name: &str) -> (CheckStatus, String) {
        let c = checks.iter().find(|c| c.name == name).expect("the check");
        (c.status, c.note.clone())
    }

    #[test]
    fn a_message_refused_before_any_recipient_is_a_problem_naming_host_stage_and_reply() {
        let reply =
            "554 5.7.1 <billing@secure-pay.example.com>: Sender address rejected: Access denied";
        let mut m = message(
            Some("billing@secure-pay.example.com"),
            "h2",
            Some("mail.hosting.example.net[198.51.100.120]"),
        );
        m.refused = Some(refusal(State::Rejected, "h2", None, "MAIL", reply));
        let a = analyze_message(&m, &site());
        let note = "the mail from billing@secure-pay.example.com (client mail.hosting.example.net[198.51.100.120]) \
                    is rejected on h2 at MAIL: 554 5.7.1 <billing@secure-pay.example.com>: Sender address rejected: Access denied";
        assert_eq!(
            status(&a.checks, "final destination"),
            (CheckStatus::Fail, note.into())
        );
        assert_eq!(verdict_text(&a.verdict), format!("PROBLEM: {note}"));
        let (codes, text) = status(&a.checks, "SMTP codes");
        assert_eq!(codes, CheckStatus::Fail);
        assert!(
            text.starts_with("h2 refused the mail from billing@secure-pay.example.com"),
            "{text}"
        );
        assert!(text.contains(" at MAIL: 554 5.7.1 "), "{text}");
        let rules: Vec<&str> = a.diagnosis.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["rejected_before_queue"]);
        assert!(a.diagnosis[0]
            .next_step
            .contains("smtpd_sender_restrictions on h2"));
    }

    #[test]
    fn a_client_refused_at_connect_is_named_by_its_address() {
        let reply = "554 5.7.1 <unknown[203.0.113.66]>: Client host rejected: Access denied";
        let mut m = message(None, "h2", Some("unknown[203.0.113.66]"));
        m.refused = Some(refusal(State::Rejected, "h2", None, "CONNECT", reply));
        let a = analyze_message(&m, &site());
        assert_eq!(
            verdict_text(&a.verdict),
            format!(
                "PROBLEM: the client unknown[203.0.113.66] is rejected on h2 at CONNECT: {reply}"
            )
        );
        assert!(a.diagnosis[0]
            .next_step
            .contains("smtpd_client_restrictions"));
        let (_, entry) = status(&a.checks, "entry point");
        assert!(entry.contains("no recipient is logged"), "{entry}");
    }

    #[test]
    fn a_held_submission_without_recipients_is_judged_and_explained() {
        let mut m = message(Some("kim@example.edu"), "h1", None);
        m.refused = Some(refusal(
            State::Held,
            "h1",
            Some("3F2A1B9C0D"),
            "header",
            "bulk mailer held for review",
        ));
        let a = analyze_message(&m, &site());
        assert_eq!(
            verdict_text(&a.verdict),
            "PROBLEM: the mail from kim@example.edu is held on h1 by a header check: bulk mailer held for review"
        );
        assert_eq!(a.diagnosis[0].rule, "held");
        assert!(a.diagnosis[0].next_step.contains("postsuper -H 3F2A1B9C0D"));
    }

    #[test]
    fn a_message_with_no_recipient_and_no_refusal_says_so_and_names_no_empty_address() {
        let mut m = message(Some("a@example.edu"), "mailer2", None);
        m.instances = vec![crate::trace::InstanceView {
            host: "mailer2".into(),
            mail_id: "4A8C2C40E19".into(),
            first: crate::analyze::testing::at("2026-11-21T10:12:40+08:00"),
            last: crate::analyze::testing::at("2026-11-21T10:12:40+08:00"),
            client: None,
            sasl_username: None,
            attempts: Vec::new(),
        }];
        let a = analyze_message(&m, &site());
        assert_eq!(
            status(&a.checks, "final destination"),
            (
                CheckStatus::Warn,
                "no recipient of 4A8C2C40E19 on mailer2 is logged".into()
            )
        );
        assert_eq!(verdict_text(&a.verdict), "CORRECT");
        assert!(a.diagnosis.is_empty(), "{:?}", a.diagnosis);
    }

    #[test]
    fn no_note_names_an_empty_address() {
        let mut m = message(Some("a@example.edu"), "h1", None);
        let mut silent = recipient("", State::Unknown, "h1", "");
        silent.reply = None;
        silent.note = Some("no delivery attempt logged for 4A8C2C40E19 on h1".into());
        m.recipients = vec![silent];
        let a = analyze_message(&m, &site());
        for c in &a.checks {
            assert!(
                !c.note.starts_with(' ') && !c.note.contains("  ") && !c.note.contains(" : "),
                "{c:?}"
            );
        }
        assert_eq!(
            verdict_text(&a.verdict),
            "PROBLEM: an unnamed recipient is unknown on h1: \
             no delivery attempt logged for 4A8C2C40E19 on h1"
        );
        assert_eq!(a.diagnosis[0].rule, "unknown_outcome");
    }
}
