//! Small traces for the analysis tests, built by hand.

use chrono::{DateTime, FixedOffset};

use super::{Direction, Site, StepSpec};
use crate::trace::{AttemptView, InstanceView, MessageTrace, RecipientOutcome, Refusal, State};

pub fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("a test time")
}

/// h1 → h2 → external outbound, h2 as MX for inbound mail, example.edu local.
pub fn site() -> Site {
    let step = |n: &str| StepSpec {
        names: vec![n.to_string()],
        optional: false,
    };
    let mut s = Site {
        local_domains: vec!["example.edu".into()],
        hosts: vec!["h1".into(), "h2".into()],
        ..Site::default()
    };
    s.routes.insert(
        Direction::Outbound,
        vec![step("h1"), step("h2"), step("external")],
    );
    s.routes.insert(Direction::Inbound, vec![step("h2")]);
    s
}

/// A message that entered at `host` and names no recipient yet.
pub fn message(sender: Option<&str>, host: &str, client: Option<&str>) -> MessageTrace {
    MessageTrace {
        message_id: None,
        sender: sender.map(str::to_string),
        origin: client.map(|c| crate::trace::Origin {
            client: Some(c.to_string()),
            sasl_username: None,
        }),
        notification_of: None,
        first_seen: Some(at("2026-11-21T10:12:40+08:00")),
        nodes: vec![host.to_string()],
        edges: Vec::new(),
        hop_count: 0,
        recipients: Vec::new(),
        refused: None,
        instances: Vec::new(),
    }
}

/// A recipient whose state was decided on `host` by a line with `reply`.
pub fn recipient(address: &str, state: State, host: &str, reply: &str) -> RecipientOutcome {
    let (code, dsn) = codes(reply);
    RecipientOutcome {
        address: address.to_string(),
        original: None,
        state,
        host: host.to_string(),
        mail_id: Some("C97D13DF0A6".into()),
        dsn,
        smtp_code: code,
        reply: Some(reply.to_string()),
        time: Some(at("2026-11-26T12:43:49+08:00")),
        hops: 0,
        path: vec![host.to_string()],
        failed_hop: None,
        note: None,
        refused_at: None,
    }
}

/// The refusal of a message that names no recipient.
pub fn refusal(
    state: State,
    host: &str,
    mail_id: Option<&str>,
    stage: &str,
    reply: &str,
) -> Refusal {
    let (code, dsn) = codes(reply);
    Refusal {
        state,
        host: host.to_string(),
        mail_id: mail_id.map(str::to_string),
        action: "reject".into(),
        stage: stage.to_string(),
        dsn,
        smtp_code: code,
        reply: reply.to_string(),
        time: at("2026-11-17T14:18:30+08:00"),
    }
}

/// A queue stay with a deferral of `to` at each of `times`.
pub fn deferrals(host: &str, mail_id: &str, to: &str, times: &[&str], reply: &str) -> InstanceView {
    let (code, dsn) = codes(reply);
    InstanceView {
        host: host.to_string(),
        mail_id: mail_id.to_string(),
        first: at(times[0]),
        last: at(times[times.len() - 1]),
        client: None,
        sasl_username: None,
        attempts: times
            .iter()
            .map(|t| AttemptView {
                time: at(t),
                to: to.to_string(),
                relay: "mx.example.org[192.0.2.77]:25".into(),
                status: "deferred".into(),
                dsn: dsn.clone(),
                reply: reply.to_string(),
                smtp_code: code,
                delay: None,
                delays: None,
            })
            .collect(),
    }
}

/// The SMTP code and DSN a reply starts with (or holds after `said: `).
fn codes(reply: &str) -> (Option<u16>, Option<String>) {
    let text = reply.split_once("said: ").map_or(reply, |(_, t)| t);
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default();
    let code = first.parse::<u16>().ok();
    let dsn = if code.is_some() {
        words.next()
    } else {
        Some(first)
    }
    .filter(|w| w.split('.').count() == 3 && w.starts_with(['2', '4', '5']))
    .map(str::to_string);
    (code, dsn)
}
