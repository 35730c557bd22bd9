//! The Postfix message grammar: finds the queue ID and tells what the rest of
//! the message says (client, message-id, queue manager, deliveries, bounces,
//! refusals, postsuper actions, connections, warnings).

use super::delivery::parse_delivery;
use super::event::{EventKind, NotificationKind};
use super::fields::parse_peer;
use super::is_queue_id;
use super::reject::parse_action;

/// Postfix daemons and commands: the last element of every program name a
/// Postfix process logs under (`syslog_name/daemon`).
const POSTFIX_SERVICES: &[&str] = &[
    "anvil",
    "bounce",
    "cleanup",
    "defer",
    "discard",
    "dnsblog",
    "error",
    "flush",
    "lmtp",
    "local",
    "master",
    "nqmgr",
    "oqmgr",
    "pickup",
    "pipe",
    "postdrop",
    "postfix-script",
    "postlogd",
    "postmap",
    "postqueue",
    "postscreen",
    "postsuper",
    "proxymap",
    "qmgr",
    "qmqpd",
    "retry",
    "scache",
    "sendmail",
    "showq",
    "smtp",
    "smtpd",
    "spawn",
    "tlsmgr",
    "tlsproxy",
    "trace",
    "trivial-rewrite",
    "verify",
    "virtual",
];

/// How a message starts.
enum Lead<'a> {
    /// `QID: rest`
    Queued(&'a str, &'a str),
    /// `NOQUEUE: rest`
    NoQueue(&'a str),
    /// Anything else.
    Plain,
}

fn lead(message: &str) -> Lead<'_> {
    let Some(colon) = message.as_bytes().iter().take(21).position(|&b| b == b':') else {
        return Lead::Plain;
    };
    let (Some(word), Some(rest)) = (message.get(..colon), message.get(colon + 1..)) else {
        return Lead::Plain;
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    if word == "NOQUEUE" {
        Lead::NoQueue(rest)
    } else if is_queue_id(word) {
        Lead::Queued(word, rest)
    } else {
        Lead::Plain
    }
}

/// Whether a program name is a Postfix process's: Postfix logs as
/// `syslog_name/daemon` (`postfix/smtpd`, `postfix-out/smtp`,
/// `postfix/submission/smtpd`, `mail/qmgr`), so the name has a `/` and ends
/// in a Postfix daemon; a daemon this list does not know still counts under
/// a `postfix` syslog name. Filters, milters and policy daemons (`amavis`,
/// `opendkim`, `pmg-smtp-filter`, `postfix-policyd-spf`) do not.
pub(super) fn is_postfix(program: &str, service: &str) -> bool {
    program.contains('/') && (POSTFIX_SERVICES.contains(&service) || program.starts_with("postfix"))
}

/// Returns the ID-shaped word in front of the message (a queue ID when the
/// program is Postfix's) and what the message says.
pub(super) fn parse_message<'a>(
    program: &str,
    service: &str,
    message: &'a str,
) -> (Option<&'a str>, EventKind) {
    let lead = lead(message);
    if !is_postfix(program, service) {
        let queue_id = match lead {
            Lead::Queued(id, _) => Some(id),
            _ => None,
        };
        return (queue_id, EventKind::Other);
    }
    match lead {
        Lead::Queued(id, rest) => (Some(id), queued(rest)),
        Lead::NoQueue(rest) => (None, parse_action(rest).unwrap_or(EventKind::Other)),
        Lead::Plain => (None, plain(message)),
    }
}

/// What `QID: rest` says.
fn queued(rest: &str) -> EventKind {
    let kind = if rest.starts_with("to=<") {
        parse_delivery(rest).map(EventKind::Delivery)
    } else if let Some(text) = rest.strip_prefix("client=") {
        Some(client(text))
    } else if let Some(id) = rest.strip_prefix("message-id=") {
        Some(EventKind::MessageId {
            message_id: id.trim().to_owned(),
        })
    } else if let Some(text) = rest.strip_prefix("from=<") {
        sender_line(text)
    } else if let Some(text) = rest.strip_prefix("uid=") {
        pickup(text)
    } else {
        match rest {
            "removed" => Some(EventKind::Removed),
            "requeued" | "placed on hold" | "released from hold" => Some(EventKind::Admin {
                action: rest.to_owned(),
            }),
            _ => notification(rest),
        }
    };
    kind.or_else(|| parse_action(rest))
        .or_else(|| severity(rest))
        .unwrap_or(EventKind::Other)
}

/// What a line without a queue ID says (`proxy-reject: ...` may come
/// without `NOQUEUE: ` in front).
fn plain(message: &str) -> EventKind {
    connection(message)
        .or_else(|| severity(message))
        .or_else(|| parse_action(message))
        .unwrap_or(EventKind::Other)
}

/// `client=NAME[IP][, sasl_method=M][, sasl_username=U][, orig_queue_id=Q][, orig_client=N[IP]]`
fn client(text: &str) -> EventKind {
    let mut items = text.split(", ");
    let peer = parse_peer(items.next().unwrap_or_default());
    let mut sasl_method = None;
    let mut sasl_username = None;
    let mut orig_queue_id = None;
    let mut orig_client = None;
    for item in items {
        match item.split_once('=') {
            Some(("sasl_method", v)) => sasl_method = Some(v.to_owned()),
            Some(("sasl_username", v)) => sasl_username = Some(v.to_owned()),
            Some(("orig_queue_id", v)) => orig_queue_id = Some(v.to_owned()),
            Some(("orig_client", v)) => orig_client = Some(parse_peer(v)),
            _ => {}
        }
    }
    EventKind::Client {
        peer,
        sasl_method,
        sasl_username,
        orig_queue_id,
        orig_client,
    }
}

/// After `from=<`: qmgr's `ADDR>, size=N, nrcpt=N (queue active)` or
/// `ADDR>, status=expired, returned to sender`.
fn sender_line(text: &str) -> Option<EventKind> {
    let (from, rest) = text.split_once(">, ")?;
    if rest.starts_with("status=expired") {
        return Some(EventKind::Expired {
            from: from.to_owned(),
        });
    }
    let mut size = None;
    let mut nrcpt = None;
    let mut seen = false;
    for item in rest.split(", ") {
        if let Some(v) = item.strip_prefix("size=") {
            size = v.parse().ok();
            seen = true;
        } else if let Some(v) = item.strip_prefix("nrcpt=") {
            let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
            nrcpt = v.get(..digits).and_then(|d| d.parse().ok());
            seen = true;
        }
    }
    seen.then(|| EventKind::QueueActive {
        from: from.to_owned(),
        size,
        nrcpt,
    })
}

/// After `uid=`: pickup's `N from=<ADDR>`.
fn pickup(text: &str) -> Option<EventKind> {
    let (uid, rest) = text.split_once(' ')?;
    let from = rest.strip_prefix("from=<")?;
    let from = from.strip_suffix('>').unwrap_or(from);
    Some(EventKind::Pickup {
        uid: uid.parse().ok(),
        from: from.to_owned(),
    })
}

/// bounce: `sender non-delivery notification: NEWQID` and friends.
fn notification(text: &str) -> Option<EventKind> {
    let (what, new_queue_id) = text.split_once(" notification: ")?;
    let kind = match what {
        "sender non-delivery" => NotificationKind::SenderNonDelivery,
        "sender delay" => NotificationKind::SenderDelay,
        "sender delivery status" | "sender delivery" => NotificationKind::SenderDelivery,
        "postmaster non-delivery" => NotificationKind::PostmasterNonDelivery,
        "postmaster delay" => NotificationKind::PostmasterDelay,
        _ => return None,
    };
    let new_queue_id = new_queue_id.trim();
    is_queue_id(new_queue_id).then(|| EventKind::Notification {
        kind,
        new_queue_id: new_queue_id.to_owned(),
    })
}

/// smtpd `connect from P`, `disconnect from P ...`, `lost connection after X from P`,
/// `timeout after X from P`, `too many errors after X from P`. `what` is the
/// text before ` from `.
fn connection(message: &str) -> Option<EventKind> {
    let known = [
        "connect from ",
        "disconnect from ",
        "lost connection after ",
        "timeout after ",
        "too many errors after ",
    ];
    if !known.iter().any(|k| message.starts_with(k)) {
        return None;
    }
    let (what, after) = message.split_once(" from ")?;
    let peer = after
        .split(' ')
        .next()
        .filter(|p| !p.is_empty())
        .map(parse_peer);
    Some(EventKind::Connection {
        what: what.to_owned(),
        peer,
    })
}

/// `warning: text`, `error: text`, `fatal: text`, `panic: text`.
fn severity(message: &str) -> Option<EventKind> {
    let (word, text) = message.split_once(": ")?;
    matches!(word, "warning" | "error" | "fatal" | "panic").then(|| EventKind::Warning {
        severity: word.to_owned(),
        text: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::event::Peer;

    fn pf(message: &str) -> (Option<&str>, EventKind) {
        parse_message("postfix/smtpd", "smtpd", message)
    }

    #[test]
    fn queue_id_lead() {
        assert_eq!(
            pf("544379A61C6: removed"),
            (Some("544379A61C6"), EventKind::Removed)
        );
        assert_eq!(
            pf("4Bs2sY3GXyz1Mf: removed"),
            (Some("4Bs2sY3GXyz1Mf"), EventKind::Removed)
        );
        assert_eq!(pf("NOQUEUE: removed"), (None, EventKind::Other));
        assert_eq!(pf("statistics: max cache size 1"), (None, EventKind::Other));
        assert_eq!(
            pf("544379A61C6:removed"),
            (Some("544379A61C6"), EventKind::Removed)
        );
        assert_eq!(
            pf("544379A61C6: something new"),
            (Some("544379A61C6"), EventKind::Other)
        );
    }

    #[test]
    fn client_with_sasl_and_xforward() {
        let (_, kind) = pf("4Bs2sY3GXyz1Mf: client=gw.test[10.99.0.1]:4567, sasl_method=PLAIN, sasl_username=alice@h1.test");
        assert_eq!(
            kind,
            EventKind::Client {
                peer: Peer {
                    name: "gw.test".into(),
                    ip: Some("10.99.0.1".into()),
                    port: Some(4567)
                },
                sasl_method: Some("PLAIN".into()),
                sasl_username: Some("alice@h1.test".into()),
                orig_queue_id: None,
                orig_client: None,
            }
        );
        let (_, kind) = pf("3pJjgB6dpKz1JBPW: client=mx.test[127.0.0.1], orig_queue_id=3pJjg82Vycz1JBJG, orig_client=far.test[192.0.2.7]");
        let EventKind::Client {
            orig_queue_id,
            orig_client,
            ..
        } = kind
        else {
            panic!("not a client line");
        };
        assert_eq!(orig_queue_id.as_deref(), Some("3pJjg82Vycz1JBJG"));
        assert_eq!(orig_client.and_then(|p| p.ip).as_deref(), Some("192.0.2.7"));
    }

    #[test]
    fn qmgr_lines() {
        assert_eq!(
            pf("544379A61C6: from=<a@h1.test>, size=368, nrcpt=1 (queue active)").1,
            EventKind::QueueActive {
                from: "a@h1.test".into(),
                size: Some(368),
                nrcpt: Some(1)
            }
        );
        assert_eq!(
            pf("544379A61C6: from=<>, status=expired, returned to sender").1,
            EventKind::Expired { from: "".into() }
        );
        assert_eq!(pf("544379A61C6: from=<a@h1.test>").1, EventKind::Other);
    }

    #[test]
    fn pickup_line() {
        assert_eq!(
            pf("544379A61C6: uid=1000 from=<alice>").1,
            EventKind::Pickup {
                uid: Some(1000),
                from: "alice".into()
            }
        );
    }

    #[test]
    fn message_ids() {
        for (line, id) in [
            (
                "544379A61C6: message-id=<ok-1@client.test>",
                "<ok-1@client.test>",
            ),
            ("544379A61C6: message-id=<>", "<>"),
            (
                "544379A61C6: message-id=bare@client.test",
                "bare@client.test",
            ),
        ] {
            assert_eq!(
                pf(line).1,
                EventKind::MessageId {
                    message_id: id.into()
                }
            );
        }
        assert_eq!(
            pf("544379A61C6: resent-message-id=<x@y>").1,
            EventKind::Other
        );
    }

    #[test]
    fn notifications() {
        for (what, kind) in [
            ("sender non-delivery", NotificationKind::SenderNonDelivery),
            ("sender delay", NotificationKind::SenderDelay),
            ("sender delivery status", NotificationKind::SenderDelivery),
            (
                "postmaster non-delivery",
                NotificationKind::PostmasterNonDelivery,
            ),
            ("postmaster delay", NotificationKind::PostmasterDelay),
        ] {
            let line = format!("7F7A19A61D5: {what} notification: 8221E9A61D7");
            assert_eq!(
                pf(&line).1,
                EventKind::Notification {
                    kind,
                    new_queue_id: "8221E9A61D7".into()
                },
                "{what}"
            );
        }
        assert_eq!(
            pf("7F7A19A61D5: sender non-delivery notification: nope").1,
            EventKind::Other
        );
    }

    #[test]
    fn postsuper_actions() {
        for action in ["requeued", "placed on hold", "released from hold"] {
            let line = format!("544379A61C6: {action}");
            assert_eq!(
                parse_message("postfix/postsuper", "postsuper", &line).1,
                EventKind::Admin {
                    action: action.into()
                }
            );
        }
        assert_eq!(
            parse_message("postfix/postsuper", "postsuper", "544379A61C6: removed").1,
            EventKind::Removed
        );
    }

    #[test]
    fn connections() {
        assert_eq!(
            pf("connect from gw.test[10.99.0.1]").1,
            EventKind::Connection {
                what: "connect".into(),
                peer: Some(Peer {
                    name: "gw.test".into(),
                    ip: Some("10.99.0.1".into()),
                    port: None
                })
            }
        );
        let (_, kind) =
            pf("disconnect from gw.test[10.99.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
        assert!(
            matches!(kind, EventKind::Connection { ref what, peer: Some(ref p) } if what == "disconnect" && p.name == "gw.test")
        );
        let (_, kind) = pf("lost connection after DATA (0 bytes) from unknown[10.0.0.3]");
        assert!(
            matches!(kind, EventKind::Connection { ref what, peer: Some(ref p) } if what == "lost connection after DATA (0 bytes)" && p.name == "unknown")
        );
        let (_, kind) = pf("timeout after END-OF-MESSAGE from h[10.0.0.3]");
        assert!(
            matches!(kind, EventKind::Connection { ref what, .. } if what == "timeout after END-OF-MESSAGE")
        );
    }

    #[test]
    fn warnings() {
        assert_eq!(
            pf("warning: unknown[10.0.0.4]: SASL LOGIN authentication failed: authentication failure").1,
            EventKind::Warning {
                severity: "warning".into(),
                text: "unknown[10.0.0.4]: SASL LOGIN authentication failed: authentication failure".into()
            }
        );
        for severity in ["error", "fatal", "panic"] {
            let line = format!("{severity}: something broke");
            assert!(
                matches!(pf(&line).1, EventKind::Warning { severity: ref s, .. } if s == severity)
            );
        }
        let (id, kind) = pf("544379A61C6: warning: queue file size limit exceeded");
        assert_eq!(id, Some("544379A61C6"));
        assert!(matches!(kind, EventKind::Warning { .. }));
    }

    #[test]
    fn other_programs_keep_only_the_queue_id() {
        assert_eq!(
            parse_message(
                "opendkim",
                "opendkim",
                "544379A61C6: DKIM-Signature field added (s=mail, d=h1.test)"
            ),
            (Some("544379A61C6"), EventKind::Other)
        );
        assert_eq!(
            parse_message("dovecot", "dovecot", "warning: something"),
            (None, EventKind::Other)
        );
        assert_eq!(
            parse_message(
                "amavis",
                "amavis",
                "(01234-01) Passed CLEAN {RelayedInbound}, queued_as: 4Bs2sY3GXyz1Mf"
            ),
            (None, EventKind::Other)
        );
        // A Postfix daemon under a custom syslog name is still read as Postfix.
        assert_eq!(
            parse_message("mail/qmgr", "qmgr", "544379A61C6: removed"),
            (Some("544379A61C6"), EventKind::Removed)
        );
    }
}
