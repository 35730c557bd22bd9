//! The checks of one message, as in the playbook's table: entry point, path,
//! final destination, SMTP codes, hop count, loops, timing.

use serde::Serialize;

use super::diagnosis::{evidence, explain};
use super::route::{match_route, RouteMatch};
use super::{Direction, Site};
use crate::trace::{MessageTrace, RecipientOutcome, State};

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
                        r.address
                    ),
                );
            }
            RouteMatch::Missing { steps } => {
                return check(
                    "path",
                    CheckStatus::Fail,
                    format!(
                        "{} skipped {} ({})",
                        r.address,
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

fn final_destination(message: &MessageTrace, site: &Site, direction: Direction) -> Check {
    let diagnoses: Vec<_> = evidence(message)
        .into_iter()
        .filter(|e| !e.recovered)
        .collect();
    for r in &message.recipients {
        let direction = match direction {
            Direction::Other => Direction::Other,
            _ => recipient_direction(message, site, r),
        };
        let expected = match direction {
            Direction::Inbound | Direction::Internal => Some(State::Delivered),
            Direction::Outbound => Some(State::Relayed),
            Direction::Other => None,
        };
        let fits = match expected {
            Some(state) => r.state == state,
            None => matches!(r.state, State::Delivered | State::Relayed),
        };
        if fits {
            continue;
        }
        if r.state == State::Untracked {
            return check(
                "final destination",
                CheckStatus::Warn,
                format!(
                    "{} was handed to {}, whose logs are not searched",
                    r.address, r.host
                ),
            );
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
        return check(
            "final destination",
            status,
            format!(
                "{} is {} on {}{cause}{reply}",
                r.address,
                r.state.as_str(),
                r.host
            ),
        );
    }
    let states: Vec<String> = message
        .recipients
        .iter()
        .map(|r| format!("{} {} on {}", r.address, r.state.as_str(), r.host))
        .collect();
    check("final destination", CheckStatus::Pass, states.join("; "))
}

fn smtp_codes(message: &MessageTrace) -> Check {
    if let Some(e) = message.edges.iter().find(|e| e.status != "sent") {
        return check(
            "SMTP codes",
            CheckStatus::Fail,
            format!("{} → {}: {} {}", e.from, e.to, e.status, e.reply.trim()),
        );
    }
    if let Some(r) = message
        .recipients
        .iter()
        .find(|r| r.state == State::Rejected)
    {
        return check(
            "SMTP codes",
            CheckStatus::Fail,
            format!(
                "{} refused {}: {}",
                r.host,
                r.address,
                r.reply.as_deref().unwrap_or("").trim()
            ),
        );
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
                format!("mail forwarding loop for {} ({})", r.address, r.host),
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
                    format!("{host} appears twice on the path of {}", r.address),
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
