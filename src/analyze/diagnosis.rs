//! The diagnosis catalogue: one table mapping evidence (state, DSN, SMTP code,
//! reply text) to a likely cause and the next thing to check, with the hosts
//! and addresses filled in. One test per row.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::{sender_text, Site};
use crate::trace::{MessageTrace, RecipientOutcome, Refusal, State};

/// A likely cause and what to check next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The catalogue row that matched.
    pub rule: &'static str,
    pub cause: String,
    pub next_step: String,
    pub hosts: Vec<String>,
}

/// One piece of evidence: a failed or unfinished hand-off.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub state: Option<State>,
    /// Where the attempt was made (or the refusal logged).
    pub host: String,
    /// The host the attempt went to, when known.
    pub peer: Option<String>,
    /// The recipient; empty when no line names one (a refusal at CONNECT,
    /// HELO or MAIL): then [`subject`] names the sender or the client.
    pub address: String,
    pub dsn: String,
    pub code: Option<u16>,
    pub reply: String,
    /// The evidence is an earlier failure of a hop that later succeeded.
    pub recovered: bool,
    /// How many delivery attempts `host` logged for the address, and when
    /// the first was.
    pub attempts: usize,
    pub first_attempt: Option<DateTime<FixedOffset>>,
    /// When the line that decided the state was logged.
    pub time: Option<DateTime<FixedOffset>>,
    /// The queue ID on `host`, when the mail had one.
    pub mail_id: Option<String>,
    /// The action of a refusal that names no recipient (`reject`, `milter-reject`...).
    pub action: Option<String>,
    /// Where a message that names no recipient was stopped: an SMTP stage
    /// (`CONNECT`, `MAIL`...) or a cleanup class (`header`, `body`).
    pub stage: Option<String>,
    pub sender: Option<String>,
    /// The client that handed the message over, `NAME[IP]`.
    pub client: Option<String>,
    /// What the trace says when no line ends the recipient.
    pub note: Option<String>,
}

/// Who or what the evidence is about: the recipient, or for a message that
/// names none, the sender's mail (and its client) or the client alone.
pub fn subject(e: &Evidence) -> String {
    if !e.address.is_empty() {
        return e.address.clone();
    }
    match (&e.sender, &e.client) {
        (Some(_), Some(c)) => format!(
            "the mail from {} (client {c})",
            sender_text(e.sender.as_deref())
        ),
        (Some(_), None) => format!("the mail from {}", sender_text(e.sender.as_deref())),
        (None, Some(c)) => format!("the client {c}"),
        (None, None) => match &e.mail_id {
            Some(id) => format!("the message {id}"),
            None => "the message".to_string(),
        },
    }
}

/// Where a refusal happened, as a phrase: ` at MAIL`, ` by a header check`.
pub fn stage_phrase(stage: Option<&str>) -> String {
    match stage {
        None | Some("") => String::new(),
        Some(s) if s.bytes().any(|b| b.is_ascii_lowercase()) => format!(" by a {s} check"),
        Some(s) => format!(" at {s}"),
    }
}

/// A catalogue row: when it applies and what it says.
pub struct Rule {
    pub id: &'static str,
    pub applies: fn(&Evidence) -> bool,
    pub explain: fn(&Evidence, &Site) -> (String, String),
}

fn reply_has(e: &Evidence, needle: &str) -> bool {
    e.reply
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

fn peer(e: &Evidence) -> &str {
    e.peer.as_deref().unwrap_or("the next hop")
}

fn ip_of(site: &Site, host: &str) -> String {
    site.addresses
        .get(host)
        .and_then(|ips| ips.first())
        .cloned()
        .unwrap_or_else(|| format!("{host}'s address"))
}

/// The catalogue, most specific first. A state that settles the matter
/// (expired) comes before the replies that led to it.
pub const CATALOGUE: &[Rule] = &[
    Rule {
        id: "expired",
        applies: |e| e.state == Some(State::Expired) || bounced_for_age(e),
        explain: |e, _| (expired_cause(e), expired_next_step(e)),
    },
    Rule {
        id: "held",
        applies: |e| e.state == Some(State::Held),
        explain: |e, _| {
            let id = e.mail_id.as_deref().unwrap_or("QUEUE_ID");
            (
                format!(
                    "{} put {} on hold{}: {}",
                    e.host,
                    subject(e),
                    stage_phrase(e.stage.as_deref()),
                    short(&e.reply)
                ),
                format!(
                    "it waits in the hold queue of {}: release it with postsuper -H {id} or delete it with postsuper -d {id}; the HOLD comes from a header or body check, a milter or an access map there",
                    e.host
                ),
            )
        },
    },
    Rule {
        id: "discarded",
        applies: |e| e.state == Some(State::Discarded),
        explain: |e, _| {
            (
                format!(
                    "{} accepted and discarded {}{}: {}",
                    e.host,
                    subject(e),
                    stage_phrase(e.stage.as_deref()),
                    short(&e.reply)
                ),
                format!(
                    "the mail is gone and the sender was told it was delivered; check the DISCARD rules on {} (header and body checks, milters, access maps, the content filter)",
                    e.host
                ),
            )
        },
    },
    Rule {
        id: "unknown_outcome",
        applies: |e| e.state == Some(State::Unknown),
        explain: |e, _| {
            (
                match &e.note {
                    Some(note) => note.clone(),
                    None => format!("no line on {} says what became of {}", e.host, subject(e)),
                },
                format!(
                    "read the log of {} around this time for {}: the mail may still be queued there (postqueue -p), or the line that ends it is in a file the inventory does not list",
                    e.host,
                    e.mail_id.as_deref().unwrap_or("the message")
                ),
            )
        },
    },
    Rule {
        id: "forwarding_loop",
        applies: |e| {
            e.dsn == "5.4.6"
                || reply_has(e, "mail forwarding loop")
                || reply_has(e, "too many hops")
        },
        explain: |e, _| {
            (
                format!(
                    "mail forwarding loop: {} kept coming back ({} on {})",
                    subject(e),
                    e.dsn,
                    e.host
                ),
                format!(
                    "check aliases, virtual maps and .forward files for {} on {} and {}",
                    subject(e),
                    e.host,
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "relay_denied",
        applies: |e| e.state != Some(State::Rejected) && reply_has(e, "relay access denied"),
        explain: |e, site| {
            (
                format!(
                    "{} does not trust {} ({}): relay access denied",
                    peer(e),
                    e.host,
                    ip_of(site, &e.host)
                ),
                format!(
                    "add {} ({}) to mynetworks on {}, or make {} authenticate",
                    e.host,
                    ip_of(site, &e.host),
                    peer(e),
                    e.host
                ),
            )
        },
    },
    Rule {
        id: "starttls_required",
        applies: |e| {
            reply_has(e, "must issue a starttls") || (e.code == Some(530) && e.dsn == "5.7.0")
        },
        explain: |e, _| {
            (
                format!(
                    "{} requires STARTTLS but {} did not use it",
                    peer(e),
                    e.host
                ),
                format!(
                    "set smtp_tls_security_level = may (or encrypt) on {}",
                    e.host
                ),
            )
        },
    },
    Rule {
        id: "tls_failure",
        applies: |e| {
            reply_has(e, "tls")
                && (reply_has(e, "handshake")
                    || reply_has(e, "certificate")
                    || reply_has(e, "failed"))
        },
        explain: |e, _| {
            (
                format!("TLS failed between {} and {}", e.host, peer(e)),
                format!(
                    "check certificates and smtp_tls_* settings on {} and smtpd_tls_* on {}",
                    e.host,
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "user_unknown",
        applies: |e| e.dsn == "5.1.1" || reply_has(e, "user unknown"),
        explain: |e, _| {
            (
                format!("{} does not exist at {}", subject(e), peer(e)),
                format!(
                    "check the address for typos, and the mailbox/alias maps on {}",
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "sender_domain_not_found",
        applies: |e| {
            e.dsn == "4.1.8"
                || e.dsn == "5.1.8"
                || reply_has(e, "sender address rejected: domain not found")
        },
        explain: |e, _| {
            (
                format!(
                    "the sender's domain has no DNS records, so {} refused the mail",
                    e.host
                ),
                format!(
                    "the sender must use a resolvable domain (reject_unknown_sender_domain on {})",
                    e.host
                ),
            )
        },
    },
    Rule {
        id: "mailbox_full",
        applies: |e| {
            e.dsn == "5.2.2"
                || e.dsn == "4.2.2"
                || reply_has(e, "quota exceeded")
                || reply_has(e, "mailbox full")
                || reply_has(e, "over quota")
        },
        explain: |e, _| {
            (
                format!("{}'s mailbox at {} is full ({})", subject(e), peer(e), e.dsn),
                format!(
                    "ask the owner of {} to make room, or raise the quota on {}; a 4.2.2 is retried until the queue lifetime ends",
                    subject(e),
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "lmtp_error",
        applies: |e| e.code == Some(451) && (e.dsn == "4.2.0" || reply_has(e, "lmtp")),
        explain: |e, _| {
            (
                format!(
                    "the delivery agent behind {} failed internally (451 {})",
                    peer(e),
                    e.dsn
                ),
                format!(
                    "check the LMTP server's (Dovecot's) log on {} for {}",
                    peer(e),
                    subject(e)
                ),
            )
        },
    },
    Rule {
        id: "content_rejected",
        applies: |e| {
            e.state != Some(State::Rejected)
                && ((e.code == Some(554) || e.code == Some(550)) && e.dsn == "5.7.1"
                    || reply_has(e, "spam"))
        },
        explain: |e, _| {
            (
                format!(
                    "{} rejected the content of the message (spam or policy): {}",
                    peer(e),
                    short(&e.reply)
                ),
                format!(
                    "check the content filter and header/body checks on {}",
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "next_hop_unreachable",
        applies: |e| {
            reply_has(e, "connection refused")
                || reply_has(e, "connection timed out")
                || reply_has(e, "no route to host")
                || e.dsn == "4.4.1"
                || e.dsn == "4.4.2"
        },
        explain: |e, _| {
            (
            format!("{} is down or unreachable from {}", peer(e), e.host),
            format!(
                "is the mail still queued on {}? (postqueue -p there); check that {}'s SMTP service is up and reachable",
                e.host,
                peer(e)
            ),
        )
        },
    },
    Rule {
        id: "service_unavailable",
        applies: |e| e.code == Some(421),
        explain: |e, _| {
            (
                format!("{} temporarily refused service (421)", peer(e)),
                format!(
                    "check load, connection limits (anvil) and the service on {}",
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "untracked_handoff",
        applies: |e| e.state == Some(State::Untracked),
        explain: |e, _| {
            (
                format!(
                    "{} was handed to {}, whose logs are not searched",
                    subject(e),
                    peer(e)
                ),
                format!(
                    "look at {}'s own logs, or add them to the inventory",
                    peer(e)
                ),
            )
        },
    },
    Rule {
        id: "rejected_before_queue",
        applies: |e| e.state == Some(State::Rejected),
        explain: |e, _| {
            (
                format!(
                    "{} refused {}{} before queueing: {}",
                    e.host,
                    subject(e),
                    stage_phrase(e.stage.as_deref()),
                    short(&e.reply)
                ),
                refused_next_step(e),
            )
        },
    },
];

/// The restrictions that refuse at each stage (with smtpd_delay_reject = no;
/// with the default yes, client, HELO and sender restrictions log at RCPT).
const RESTRICTIONS: &[(&str, &str)] = &[
    ("CONNECT", "smtpd_client_restrictions (or postscreen)"),
    ("HELO", "smtpd_helo_restrictions"),
    ("EHLO", "smtpd_helo_restrictions"),
    ("MAIL", "smtpd_sender_restrictions"),
    (
        "RCPT",
        "smtpd_recipient_restrictions or smtpd_relay_restrictions",
    ),
    ("DATA", "smtpd_data_restrictions"),
    (
        "END-OF-MESSAGE",
        "smtpd_end_of_data_restrictions or a before-queue filter",
    ),
    ("header", "header_checks"),
    ("body", "body_checks"),
];

fn refused_next_step(e: &Evidence) -> String {
    let stage = e.stage.as_deref().unwrap_or_default();
    let action = e.action.as_deref().unwrap_or_default();
    let by = if action.starts_with("milter") {
        Some("a milter".to_string())
    } else if action.starts_with("proxy") {
        Some("the before-queue content filter (smtpd_proxy_filter)".to_string())
    } else {
        RESTRICTIONS
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, r)| r.to_string())
    };
    match by {
        Some(by) => format!(
            "{} did not pass {by} on {}; the reply names the rule",
            subject(e),
            e.host
        ),
        None => format!(
            "the sender or client did not pass {}'s smtpd restrictions",
            e.host
        ),
    }
}

/// A bounce that carries a temporary DSN, or says the delivery time
/// expired: the host gave up because the message got too old.
fn bounced_for_age(e: &Evidence) -> bool {
    e.state == Some(State::Bounced)
        && (e.dsn.starts_with("4.") || e.dsn == "5.4.7" || reply_has(e, "delivery time expired"))
}

/// How long `host` retried, first attempt to expiry, in minutes.
fn retried_for(e: &Evidence) -> Option<String> {
    let seconds = (e.time? - e.first_attempt?).num_seconds().max(0) as u64;
    let seconds = if seconds >= 3600 {
        seconds - seconds % 60
    } else {
        seconds
    };
    Some(crate::time::format_duration(
        std::time::Duration::from_secs(seconds),
    ))
}

fn expired_cause(e: &Evidence) -> String {
    let retried = match (retried_for(e), e.attempts) {
        (_, 0) => "with no delivery attempt logged".to_string(),
        (Some(span), n) => format!("after retrying for {span} ({n} attempts)"),
        (None, n) => format!("after {n} attempts"),
    };
    let dsn = if e.dsn.is_empty() { "no DSN" } else { &e.dsn };
    format!(
        "{} gave up on {} {retried}; the last deferral, {dsn}: {}",
        e.host,
        subject(e),
        e.reply.trim()
    )
}

fn expired_next_step(e: &Evidence) -> String {
    let why = match (e.code, &e.peer) {
        (None, Some(p)) if *p != e.host => format!(
            "find out why {} cannot reach {p} (its MX records, routing and firewalls, its SMTP service)",
            e.host
        ),
        (Some(code), Some(p)) if *p != e.host => format!(
            "find out why {p} keeps answering {code} {} (ask its postmaster: greylisting, rate limits, a full mailbox)",
            e.dsn
        ),
        _ => format!("find out why the deliveries from {} keep failing", e.host),
    };
    format!(
        "{why}; maximal_queue_lifetime on {} sets how long it retries before it returns the mail",
        e.host
    )
}

fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 120 {
        let cut: String = t.chars().take(119).collect();
        format!("{cut}…")
    } else {
        t.to_string()
    }
}

/// The first matching row for each piece of evidence; a catch-all otherwise.
pub fn explain(evidence: &Evidence, site: &Site) -> Diagnosis {
    let mut hosts = vec![evidence.host.clone()];
    if let Some(p) = &evidence.peer {
        hosts.push(p.clone());
    }
    for rule in CATALOGUE {
        if (rule.applies)(evidence) {
            let (cause, next_step) = (rule.explain)(evidence, site);
            return Diagnosis {
                rule: rule.id,
                cause,
                next_step,
                hosts,
            };
        }
    }
    Diagnosis {
        rule: "unexplained",
        cause: unexplained_cause(evidence),
        next_step: format!("read the log of {} around this time", evidence.host),
        hosts,
    }
}

/// What the log says when no row applies, without empty parts.
fn unexplained_cause(e: &Evidence) -> String {
    match (e.dsn.is_empty(), e.reply.trim().is_empty()) {
        (false, _) => format!("{} on {}: {}", e.dsn, e.host, short(&e.reply)),
        (true, false) => format!("{} logged for {}: {}", e.host, subject(e), short(&e.reply)),
        (true, true) => format!("{} logged no reply for {}", e.host, subject(e)),
    }
}

/// Evidence of a message: each recipient that did not arrive, and each hop
/// that failed before it succeeded.
pub fn evidence(message: &MessageTrace) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = message
        .recipients
        .iter()
        .filter(|r| !matches!(r.state, State::Delivered | State::Relayed))
        .map(|r| recipient_evidence(message, r))
        .collect();
    if message.recipients.is_empty() {
        out.extend(
            message
                .refused
                .as_ref()
                .map(|f| refusal_evidence(message, f)),
        );
    }
    out.extend(recovered_evidence(message));
    out
}

/// Why a message that names no recipient stopped: its refusal, discard or hold.
pub fn refusal_evidence(message: &MessageTrace, f: &Refusal) -> Evidence {
    Evidence {
        state: Some(f.state),
        host: f.host.clone(),
        dsn: f.dsn.clone().unwrap_or_default(),
        code: f.smtp_code,
        reply: f.reply.clone(),
        time: Some(f.time),
        mail_id: f.mail_id.clone(),
        action: Some(f.action.clone()),
        stage: Some(f.stage.clone()),
        sender: message.sender.clone(),
        client: message.origin.as_ref().and_then(|o| o.client.clone()),
        ..Evidence::default()
    }
}

/// Why one recipient did not arrive.
fn recipient_evidence(message: &MessageTrace, r: &RecipientOutcome) -> Evidence {
    let peer = message
        .edges
        .iter()
        .rev()
        .find(|e| e.recipients.contains(&r.address) && e.from == r.host)
        .map(|e| e.to.clone())
        .or_else(|| r.failed_hop.clone())
        // delivered on the host itself (LMTP, virtual, local): it is the peer
        .or_else(|| Some(r.host.clone()));
    let host = if r.state == State::Untracked {
        message
            .edges
            .iter()
            .rev()
            .find(|e| e.to == r.host)
            .map(|e| e.from.clone())
            .unwrap_or_else(|| r.host.clone())
    } else {
        r.host.clone()
    };
    let attempts: Vec<_> = message
        .instances
        .iter()
        .filter(|i| i.host == r.host && r.mail_id.as_deref() == Some(i.mail_id.as_str()))
        .flat_map(|i| &i.attempts)
        .filter(|a| a.to == r.address)
        .collect();
    Evidence {
        state: Some(r.state),
        host,
        peer,
        address: r.address.clone(),
        dsn: r.dsn.clone().unwrap_or_default(),
        code: r.smtp_code,
        reply: r.reply.clone().unwrap_or_default(),
        recovered: false,
        attempts: attempts.len(),
        first_attempt: attempts.iter().map(|a| a.time).min(),
        time: r.time,
        mail_id: r.mail_id.clone(),
        sender: message.sender.clone(),
        client: message.origin.as_ref().and_then(|o| o.client.clone()),
        note: r.note.clone(),
        action: r.refused_at.as_ref().map(|f| f.action.clone()),
        stage: r.refused_at.as_ref().map(|f| f.stage.clone()),
    }
}

/// The last failure of each hop that was retried and then succeeded.
fn recovered_evidence(message: &MessageTrace) -> Vec<Evidence> {
    let mut out = Vec::new();
    for e in message
        .edges
        .iter()
        .filter(|e| e.retries > 0 && e.status == "sent")
    {
        let earlier = message
            .instances
            .iter()
            .filter(|i| i.host == e.from && i.mail_id == e.mail_id)
            .flat_map(|i| &i.attempts)
            .filter(|a| a.status != "sent" && e.recipients.contains(&a.to))
            .max_by_key(|a| a.time);
        if let Some(a) = earlier {
            out.push(Evidence {
                state: None,
                host: e.from.clone(),
                peer: Some(e.to.clone()),
                address: a.to.clone(),
                dsn: a.dsn.clone().unwrap_or_default(),
                code: a.smtp_code,
                reply: a.reply.clone(),
                recovered: true,
                time: Some(a.time),
                ..Evidence::default()
            });
        }
    }
    out
}

/// The diagnosis lines of a message, without repeats.
pub fn diagnose(message: &MessageTrace, site: &Site) -> Vec<Diagnosis> {
    let mut out: Vec<Diagnosis> = Vec::new();
    for e in evidence(message) {
        let mut d = explain(&e, site);
        if e.recovered {
            d.cause = format!("{} (recovered: a later attempt succeeded)", d.cause);
        }
        if !out.iter().any(|o| o.rule == d.rule && o.cause == d.cause) {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let mut s = Site::default();
        s.addresses
            .insert("maillist1".into(), vec!["10.2.9.74".into()]);
        s
    }

    fn ev(dsn: &str, code: Option<u16>, reply: &str, state: Option<State>) -> Evidence {
        Evidence {
            state,
            host: "maillist1".into(),
            peer: Some("mailer4".into()),
            address: "grace@cs.example.edu".into(),
            dsn: dsn.into(),
            code,
            reply: reply.into(),
            ..Evidence::default()
        }
    }

    fn rule(e: &Evidence) -> Diagnosis {
        explain(e, &site())
    }

    #[test]
    fn relay_denied_names_mynetworks_the_receiver_and_the_senders_ip() {
        let d = rule(&ev("4.7.1", Some(454), "host mailer4[10.2.9.17] said: 454 4.7.1 <grace@cs.example.edu>: Relay access denied (in reply to RCPT TO command)", Some(State::Deferred)));
        assert_eq!(d.rule, "relay_denied");
        assert!(
            d.cause
                .contains("mailer4 does not trust maillist1 (10.2.9.74)"),
            "{}",
            d.cause
        );
        assert!(
            d.next_step.contains("mynetworks on mailer4"),
            "{}",
            d.next_step
        );
    }

    #[test]
    fn user_unknown() {
        let d = rule(&ev(
            "5.1.1",
            Some(550),
            "550 5.1.1 <x>: Recipient address rejected: User unknown",
            Some(State::Bounced),
        ));
        assert_eq!(d.rule, "user_unknown");
        assert!(d.cause.contains("does not exist at mailer4"));
    }

    #[test]
    fn content_rejection() {
        let d = rule(&ev(
            "5.7.1",
            Some(554),
            "host mailer4 said: 554 5.7.1 Spam message rejected (in reply to end of DATA command)",
            Some(State::Bounced),
        ));
        assert_eq!(d.rule, "content_rejected");
        assert!(d.next_step.contains("content filter"));
    }

    #[test]
    fn lmtp_internal_error() {
        let d = rule(&ev(
            "4.2.0",
            Some(451),
            "host maildirect1[private/dovecot-lmtp] said: 451 4.2.0 <x> Internal error occurred",
            Some(State::Deferred),
        ));
        assert_eq!(d.rule, "lmtp_error");
        assert!(d.next_step.contains("Dovecot"));
    }

    #[test]
    fn sender_domain_not_found() {
        let d = rule(&ev(
            "4.1.8",
            Some(450),
            "<spam@x.invalid>: Sender address rejected: Domain not found",
            Some(State::Rejected),
        ));
        assert_eq!(d.rule, "sender_domain_not_found");
    }

    #[test]
    fn connection_refused_asks_whether_it_is_still_queued() {
        let d = rule(&ev(
            "4.4.1",
            None,
            "connect to maildirect1[10.2.9.81]:25: Connection refused",
            Some(State::Deferred),
        ));
        assert_eq!(d.rule, "next_hop_unreachable");
        assert!(d.next_step.contains("still queued on maillist1"));
        let t = rule(&ev(
            "4.4.2",
            None,
            "conversation with x timed out while receiving the initial server greeting",
            Some(State::Deferred),
        ));
        assert_eq!(t.rule, "next_hop_unreachable");
    }

    #[test]
    fn starttls_and_tls_failures() {
        assert_eq!(
            rule(&ev(
                "5.7.0",
                Some(530),
                "530 5.7.0 Must issue a STARTTLS command first",
                Some(State::Bounced)
            ))
            .rule,
            "starttls_required"
        );
        assert_eq!(
            rule(&ev(
                "4.7.5",
                None,
                "Cannot start TLS: handshake failure",
                Some(State::Deferred)
            ))
            .rule,
            "tls_failure"
        );
    }

    #[test]
    fn expired_after_queue_lifetime() {
        let d = rule(&ev(
            "4.2.2",
            Some(452),
            "452 4.2.2 Mailbox full",
            Some(State::Expired),
        ));
        assert_eq!(d.rule, "expired");
        assert!(
            d.next_step.contains("mailer4 keeps answering 452 4.2.2"),
            "{}",
            d.next_step
        );
        assert!(
            d.next_step.contains("maximal_queue_lifetime on maillist1"),
            "{}",
            d.next_step
        );
    }

    #[test]
    fn expired_wins_over_the_reply_that_kept_it_waiting() {
        let timeout = "connect to mx.example.org[192.0.2.77]:25: Connection timed out";
        let d = rule(&ev("4.4.1", None, timeout, Some(State::Expired)));
        assert_eq!(d.rule, "expired");
        assert!(
            d.next_step.contains("maillist1 cannot reach mailer4"),
            "{}",
            d.next_step
        );
        assert!(!d.next_step.contains("still queued"), "{}", d.next_step);
        let busy = "host mailer4[10.2.9.17] said: 421 4.7.0 Try again later";
        assert_eq!(
            rule(&ev("4.7.0", Some(421), busy, Some(State::Expired))).rule,
            "expired"
        );
        // a bounce with a temporary DSN is the same give-up, logged per recipient
        assert_eq!(
            rule(&ev("4.4.1", None, timeout, Some(State::Bounced))).rule,
            "expired"
        );
        assert_eq!(
            rule(&ev(
                "5.4.7",
                None,
                "delivery time expired",
                Some(State::Bounced)
            ))
            .rule,
            "expired"
        );
    }

    #[test]
    fn expired_names_the_last_deferral_and_how_long_the_host_retried() {
        use crate::analyze::testing::{deferrals, message, recipient};
        let reply = "host mx.example.org[192.0.2.77] said: 421 4.7.0 Try again later (in reply to MAIL FROM command)";
        let mut m = message(Some("kirsten@example.edu"), "h1", None);
        m.recipients = vec![recipient("omar@example.org", State::Expired, "h2", reply)];
        m.instances = vec![deferrals(
            "h2",
            "C97D13DF0A6",
            "omar@example.org",
            &[
                "2026-11-21T10:13:11+08:00",
                "2026-11-24T00:11:14+08:00",
                "2026-11-26T12:43:49+08:00",
            ],
            reply,
        )];
        let d = diagnose(&m, &site());
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].cause,
            "h2 gave up on omar@example.org after retrying for 5d2h30m (3 attempts); the last deferral, 4.7.0: \
             host mx.example.org[192.0.2.77] said: 421 4.7.0 Try again later (in reply to MAIL FROM command)"
        );
    }

    #[test]
    fn forwarding_loop() {
        let d = rule(&ev(
            "5.4.6",
            None,
            "mail forwarding loop for grace@cs.example.edu",
            Some(State::Bounced),
        ));
        assert_eq!(d.rule, "forwarding_loop");
        assert!(d.next_step.contains(".forward"));
    }

    #[test]
    fn untracked_host() {
        let mut e = ev("2.0.0", Some(250), "250 ok", Some(State::Untracked));
        e.peer = Some("csmwproxy1".into());
        let d = rule(&e);
        assert_eq!(d.rule, "untracked_handoff");
        assert!(d.next_step.contains("csmwproxy1"));
    }

    #[test]
    fn service_unavailable_and_rejection_and_fallback() {
        assert_eq!(
            rule(&ev(
                "4.3.2",
                Some(421),
                "421 4.3.2 Service shutting down",
                Some(State::Deferred)
            ))
            .rule,
            "service_unavailable"
        );
        assert_eq!(
            rule(&ev(
                "5.7.2",
                Some(554),
                "554 5.7.2 no",
                Some(State::Rejected)
            ))
            .rule,
            "rejected_before_queue"
        );
        assert_eq!(
            rule(&ev("4.9.9", None, "something odd", Some(State::Deferred))).rule,
            "unexplained"
        );
    }

    /// One piece of evidence per catalogue row, and the row it must pick.
    fn examples() -> Vec<(&'static str, Evidence)> {
        let deferred = Some(State::Deferred);
        let bounced = Some(State::Bounced);
        let mut untracked = ev("2.0.0", Some(250), "250 ok", Some(State::Untracked));
        untracked.peer = Some("csmwproxy1".into());
        vec![
            (
                "expired",
                ev(
                    "4.4.1",
                    None,
                    "connect to x: Connection timed out",
                    Some(State::Expired),
                ),
            ),
            (
                "held",
                ev("", None, "milter triggers HOLD action", Some(State::Held)),
            ),
            (
                "discarded",
                ev(
                    "",
                    None,
                    "milter triggers DISCARD action",
                    Some(State::Discarded),
                ),
            ),
            ("unknown_outcome", ev("", None, "", Some(State::Unknown))),
            (
                "mailbox_full",
                ev(
                    "5.2.2",
                    Some(552),
                    "host mbox[private/dovecot-lmtp] said: 552 5.2.2 <grace@cs.example.edu> Quota exceeded (mailbox for user is full) (in reply to end of DATA command)",
                    bounced,
                ),
            ),
            (
                "forwarding_loop",
                ev("5.4.6", None, "mail forwarding loop for x", bounced),
            ),
            (
                "relay_denied",
                ev(
                    "4.7.1",
                    Some(454),
                    "454 4.7.1 <x>: Relay access denied",
                    deferred,
                ),
            ),
            (
                "starttls_required",
                ev(
                    "5.7.0",
                    Some(530),
                    "530 5.7.0 Must issue a STARTTLS command first",
                    bounced,
                ),
            ),
            (
                "tls_failure",
                ev(
                    "4.7.5",
                    None,
                    "Cannot start TLS: handshake failure",
                    deferred,
                ),
            ),
            (
                "user_unknown",
                ev("5.1.1", Some(550), "550 5.1.1 <x>: User unknown", bounced),
            ),
            (
                "sender_domain_not_found",
                ev(
                    "4.1.8",
                    Some(450),
                    "450 4.1.8 <s@x.invalid>: Sender address rejected: Domain not found",
                    Some(State::Rejected),
                ),
            ),
            (
                "lmtp_error",
                ev(
                    "4.2.0",
                    Some(451),
                    "451 4.2.0 <x> Internal error occurred",
                    deferred,
                ),
            ),
            (
                "content_rejected",
                ev(
                    "5.7.1",
                    Some(554),
                    "554 5.7.1 Spam message rejected",
                    bounced,
                ),
            ),
            (
                "next_hop_unreachable",
                ev(
                    "4.4.1",
                    None,
                    "connect to x[10.2.9.81]:25: Connection refused",
                    deferred,
                ),
            ),
            (
                "service_unavailable",
                ev(
                    "4.3.2",
                    Some(421),
                    "421 4.3.2 Service shutting down",
                    deferred,
                ),
            ),
            ("untracked_handoff", untracked),
            (
                "rejected_before_queue",
                ev("5.7.2", Some(554), "554 5.7.2 no", Some(State::Rejected)),
            ),
        ]
    }

    #[test]
    fn every_catalogue_row_has_an_example_that_picks_it() {
        let examples = examples();
        for row in CATALOGUE {
            assert!(
                examples.iter().any(|(id, _)| *id == row.id),
                "no example for {}",
                row.id
            );
        }
        for (id, e) in &examples {
            let d = rule(e);
            assert_eq!(d.rule, *id, "{e:?}");
            for text in [&d.cause, &d.next_step] {
                assert!(
                    !text.contains("  ") && !text.contains(" : "),
                    "{id}: {text}"
                );
            }
        }
    }

    #[test]
    fn a_refusal_names_the_milter_or_proxy_filter_that_made_it() {
        let mut e = ev(
            "5.7.0",
            Some(554),
            "554 5.7.0 Reject, id=19545-03 - spam",
            Some(State::Rejected),
        );
        e.action = Some("proxy-reject".into());
        e.stage = Some("END-OF-MESSAGE".into());
        let d = rule(&e);
        assert_eq!(d.rule, "rejected_before_queue");
        assert!(
            d.next_step.contains("before-queue content filter"),
            "{}",
            d.next_step
        );
        e.action = Some("milter-reject".into());
        assert!(rule(&e).next_step.contains("a milter"));
        e.action = Some("reject".into());
        e.stage = Some("RCPT".into());
        assert!(rule(&e).next_step.contains("smtpd_recipient_restrictions"));
    }

    #[test]
    fn held_and_discarded_say_where_the_mail_is() {
        let mut held = ev("", None, "milter triggers HOLD action", Some(State::Held));
        held.mail_id = Some("5C1D2E3F4A".into());
        let d = rule(&held);
        assert_eq!(
            d.cause,
            "maillist1 put grace@cs.example.edu on hold: milter triggers HOLD action"
        );
        assert!(
            d.next_step.contains("postsuper -H 5C1D2E3F4A"),
            "{}",
            d.next_step
        );
        let d = rule(&ev(
            "",
            None,
            "milter triggers DISCARD action",
            Some(State::Discarded),
        ));
        assert_eq!(
            d.cause,
            "maillist1 accepted and discarded grace@cs.example.edu: milter triggers DISCARD action"
        );
        assert!(
            d.next_step.contains("DISCARD rules on maillist1"),
            "{}",
            d.next_step
        );
    }

    #[test]
    fn an_unknown_outcome_says_what_the_trace_knows() {
        let mut e = ev("", None, "", Some(State::Unknown));
        e.note = Some("handed to mailer4 as 4A8C2C40E19, but mailer4's logs do not show it".into());
        let d = rule(&e);
        assert_eq!(
            d.cause,
            "handed to mailer4 as 4A8C2C40E19, but mailer4's logs do not show it"
        );
        e.note = None;
        assert_eq!(
            rule(&e).cause,
            "no line on maillist1 says what became of grace@cs.example.edu"
        );
    }

    #[test]
    fn a_refusal_that_names_no_recipient_names_the_sender_or_the_client() {
        let mut e = ev(
            "5.7.1",
            Some(550),
            "550 5.7.1 Sender address blocked by local policy",
            Some(State::Rejected),
        );
        e.address = String::new();
        e.stage = Some("MAIL".into());
        e.action = Some("milter-reject".into());
        e.sender = Some(String::new());
        e.client = Some("unknown[203.0.113.45]".into());
        let d = rule(&e);
        assert_eq!(d.rule, "rejected_before_queue");
        assert_eq!(
            d.cause,
            "maillist1 refused the mail from <> (client unknown[203.0.113.45]) at MAIL before queueing: \
             550 5.7.1 Sender address blocked by local policy"
        );
        assert!(
            d.next_step.contains("did not pass a milter on maillist1"),
            "{}",
            d.next_step
        );
        e.sender = None;
        assert!(rule(&e)
            .cause
            .contains("refused the client unknown[203.0.113.45] at MAIL"));
    }

    #[test]
    fn the_fallback_leaves_out_what_was_not_logged() {
        assert_eq!(
            rule(&ev("4.9.9", None, "something odd", Some(State::Deferred))).cause,
            "4.9.9 on maillist1: something odd"
        );
        assert_eq!(
            rule(&ev("", None, "something odd", Some(State::Deferred))).cause,
            "maillist1 logged for grace@cs.example.edu: something odd"
        );
        assert_eq!(
            rule(&ev("", None, "", Some(State::Deferred))).cause,
            "maillist1 logged no reply for grace@cs.example.edu"
        );
    }
}
