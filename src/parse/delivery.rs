//! Delivery attempts: `to=<..>, [orig_to=<..>,] relay=.., delay=.., delays=..,
//! dsn=.., status=WORD (reply)` and what the reply says (code, new queue ID).

use super::event::{Delivery, DeliveryStatus, Relay};
use super::fields::{leading_code, parse_peer, token};
use super::is_queue_id;

/// Reads the text after `QID: ` of a delivery line; `None` if it is not one.
pub(super) fn parse_delivery(body: &str) -> Option<Delivery> {
    let (to, mut rest) = bracketed_field(body, "to=<")?;
    let mut orig_to = None;
    let mut relay = None;
    let mut delay = None;
    let mut delays = None;
    let mut dsn = None;
    let status_text = loop {
        if let Some(status) = rest.strip_prefix("status=") {
            break status;
        }
        if rest.starts_with("orig_to=<") {
            let (addr, next) = bracketed_field(rest, "orig_to=<")?;
            orig_to = Some(addr.to_owned());
            rest = next;
            continue;
        }
        let (field, next) = rest.split_once(", ")?;
        let (key, value) = field.split_once('=')?;
        match key {
            "relay" => relay = Some(parse_relay(value)),
            "delay" => delay = value.parse::<f64>().ok(),
            "delays" => delays = parse_delays(value),
            "dsn" => dsn = Some(value.to_owned()),
            _ => {}
        }
        rest = next;
    };
    let word_end = status_text.find([' ', ',']).unwrap_or(status_text.len());
    let status = match status_text.get(..word_end)? {
        "sent" => DeliveryStatus::Sent,
        "deferred" => DeliveryStatus::Deferred,
        "bounced" => DeliveryStatus::Bounced,
        "expired" => DeliveryStatus::Expired,
        "undeliverable" => DeliveryStatus::Undeliverable,
        "deliverable" => DeliveryStatus::Deliverable,
        _ => return None,
    };
    let after = status_text.get(word_end..)?;
    let reply = reply_text(after);
    let smtp_code = reply_code(reply);
    let accepted = smtp_code.is_none_or(|c| (200..300).contains(&c));
    let queued_as = if accepted {
        postfix_queued_as(reply).or_else(|| exim_id(reply))
    } else {
        None
    };
    let forwarded_as = after_phrase(reply, "forwarded as ")
        .filter(|id| is_queue_id(id))
        .map(str::to_owned);
    Some(Delivery {
        to: to.to_owned(),
        orig_to,
        relay: relay?,
        delay,
        delays,
        dsn,
        status,
        reply: reply.to_owned(),
        smtp_code,
        queued_as: queued_as.map(str::to_owned),
        forwarded_as,
    })
}

/// `key<ADDR>, rest` with the address possibly holding `, ` inside quotes:
/// the address ends at the first `>, `.
fn bracketed_field<'a>(text: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let inner = text.strip_prefix(key)?;
    let close = inner.find(">, ")?;
    Some((inner.get(..close)?, inner.get(close + 3..)?))
}

/// `NAME[IP]:PORT` is a remote peer; a bare name (`virtual`, `local`, `none`,
/// `private/dovecot-lmtp`) or a UNIX socket `NAME[private/x]` is named.
fn parse_relay(value: &str) -> Relay {
    match value.split_once('[') {
        Some((_, inside)) if !inside.contains('/') => Relay::Remote(parse_peer(value)),
        Some((_, inside)) => Relay::Named {
            name: inside.split(']').next().unwrap_or(inside).to_owned(),
        },
        None => Relay::Named {
            name: value.to_owned(),
        },
    }
}

fn parse_delays(value: &str) -> Option<[f64; 4]> {
    let mut parts = value.split('/');
    let mut out = [0.0; 4];
    for slot in &mut out {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// The text after `status=WORD`: from the first `(` to the final `)`, or the
/// plain remainder (`, returned to sender`) when there are no parentheses.
fn reply_text(after: &str) -> &str {
    match after.find('(') {
        Some(open) => {
            let inside = after.get(open + 1..).unwrap_or_default();
            match inside.rfind(')') {
                Some(close) => inside.get(..close).unwrap_or(inside),
                None => inside,
            }
        }
        None => after.trim_start_matches([',', ' ']),
    }
}

/// The remote server's code: after `said: ` (or `refused to talk to me: `)
/// when present, else at the start of the reply.
fn reply_code(reply: &str) -> Option<u16> {
    for marker in ["said: ", "refused to talk to me: "] {
        if let Some(pos) = reply.find(marker) {
            return leading_code(reply.get(pos + marker.len()..)?);
        }
    }
    leading_code(reply)
}

/// The token right after `phrase`, if the phrase occurs.
fn after_phrase<'a>(text: &'a str, phrase: &str) -> Option<&'a str> {
    let pos = text.find(phrase)?;
    Some(token(text.get(pos + phrase.len()..)?))
}

/// `queued as NEWQID` with a Postfix queue ID.
fn postfix_queued_as(reply: &str) -> Option<&str> {
    after_phrase(reply, "queued as ").filter(|id| is_queue_id(id))
}

/// Exim's `250 OK id=1tABCD-0001Ab-2x`: three dash-separated alphanumeric parts.
fn exim_id(reply: &str) -> Option<&str> {
    let mut search = reply;
    while let Some(pos) = search.find("id=") {
        let before_ok = pos == 0 || search.as_bytes().get(pos - 1) == Some(&b' ');
        let candidate = token(search.get(pos + 3..)?);
        if before_ok && is_exim_id(candidate) {
            return Some(candidate);
        }
        search = search.get(pos + 3..)?;
    }
    None
}

fn is_exim_id(s: &str) -> bool {
    let mut parts = s.split('-');
    let mut count = 0;
    let all_ok = parts.by_ref().all(|p| {
        count += 1;
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    all_ok && count == 3 && (14..=32).contains(&s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::event::Peer;

    #[test]
    fn remote_relay_and_queued_as() {
        let d = parse_delivery("to=<user@h3.test>, relay=10.99.0.12[10.99.0.12]:25, delay=0.06, delays=0.01/0.02/0.02/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 606DB9A61CA)").unwrap();
        assert_eq!(d.to, "user@h3.test");
        assert_eq!(
            d.relay,
            Relay::Remote(Peer {
                name: "10.99.0.12".into(),
                ip: Some("10.99.0.12".into()),
                port: Some(25)
            })
        );
        assert_eq!(d.delay, Some(0.06));
        assert_eq!(d.delays, Some([0.01, 0.02, 0.02, 0.02]));
        assert_eq!(d.dsn.as_deref(), Some("2.0.0"));
        assert_eq!(d.status, DeliveryStatus::Sent);
        assert_eq!(d.reply, "250 2.0.0 Ok: queued as 606DB9A61CA");
        assert_eq!(d.smtp_code, Some(250));
        assert_eq!(d.queued_as.as_deref(), Some("606DB9A61CA"));
        assert_eq!(d.forwarded_as, None);
    }

    #[test]
    fn nested_parentheses_and_said() {
        let d = parse_delivery("to=<nouser@h3.test>, relay=10.99.0.13[10.99.0.13]:25, delay=0.01, delays=0/0/0/0.01, dsn=5.1.1, status=bounced (host 10.99.0.13[10.99.0.13] said: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))").unwrap();
        assert_eq!(d.status, DeliveryStatus::Bounced);
        assert_eq!(d.reply, "host 10.99.0.13[10.99.0.13] said: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)");
        assert_eq!(d.smtp_code, Some(550));
        assert_eq!(d.queued_as, None);
    }

    #[test]
    fn orig_to_conn_use_and_named_relays() {
        let d = parse_delivery("to=<u@x.test>, orig_to=<alias@x.test>, relay=local, conn_use=2, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (forwarded as 4Bs2sY3GXyz1Mf)").unwrap();
        assert_eq!(d.orig_to.as_deref(), Some("alias@x.test"));
        assert_eq!(
            d.relay,
            Relay::Named {
                name: "local".into()
            }
        );
        assert_eq!(d.forwarded_as.as_deref(), Some("4Bs2sY3GXyz1Mf"));
        assert_eq!(d.queued_as, None);
        assert_eq!(d.smtp_code, None);
        let d = parse_delivery("to=<u@x.test>, relay=h3.test[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <u@x.test> Ab12 Saved)").unwrap();
        assert_eq!(
            d.relay,
            Relay::Named {
                name: "private/dovecot-lmtp".into()
            }
        );
        assert_eq!(d.smtp_code, Some(250));
        assert_eq!(d.queued_as, None);
    }

    #[test]
    fn ipv6_relay_and_exim_id() {
        let d = parse_delivery("to=<u@x.test>, relay=mx.x.test[2001:db8::1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 OK id=1tABCD-0001Ab-2x)").unwrap();
        assert_eq!(
            d.relay,
            Relay::Remote(Peer {
                name: "mx.x.test".into(),
                ip: Some("2001:db8::1".into()),
                port: Some(25)
            })
        );
        assert_eq!(d.queued_as.as_deref(), Some("1tABCD-0001Ab-2x"));
    }

    #[test]
    fn connection_refused_has_no_code() {
        let d = parse_delivery("to=<u@x.test>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.x.test[10.0.0.9]:25: Connection refused)").unwrap();
        assert_eq!(d.smtp_code, None);
        assert_eq!(d.status, DeliveryStatus::Deferred);
        assert_eq!(
            d.reply,
            "connect to mx.x.test[10.0.0.9]:25: Connection refused"
        );
        let d = parse_delivery("to=<u@x.test>, relay=mx[10.0.0.9]:25, delay=1, delays=0/0/1/0, dsn=4.3.0, status=deferred (host mx[10.0.0.9] refused to talk to me: 421 4.3.2 busy)").unwrap();
        assert_eq!(d.smtp_code, Some(421));
    }

    #[test]
    fn queued_as_only_in_accepting_replies() {
        let d = parse_delivery("to=<u@x.test>, relay=mx[10.0.0.9]:25, delay=1, delays=0/0/1/0, dsn=4.0.0, status=deferred (host mx[10.0.0.9] said: 451 4.0.0 not queued as ABCDEF123 (in reply to end of DATA command))").unwrap();
        assert_eq!(d.queued_as, None);
        let d = parse_delivery("to=<u@x.test>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.6, delays=0.2/0/0/2.4, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 3pJjgB6dpKz1JBPW)").unwrap();
        assert_eq!(d.queued_as.as_deref(), Some("3pJjgB6dpKz1JBPW"));
        assert_eq!(d.smtp_code, Some(250));
    }

    #[test]
    fn not_deliveries() {
        assert!(parse_delivery("to=<u@x.test>").is_none());
        assert!(parse_delivery("to=<u@x.test>, relay=x, status=weird (x)").is_none());
        assert!(parse_delivery("to=<u@x.test>, delay=1, status=sent (x)").is_none());
        assert!(parse_delivery("from=<a>, size=1").is_none());
    }

    #[test]
    fn truncated_reply_and_plain_remainder() {
        let d = parse_delivery("to=<u@x.test>, relay=none, delay=1, delays=0/0/0/0, dsn=5.4.7, status=expired, returned to sender").unwrap();
        assert_eq!(d.reply, "returned to sender");
        assert_eq!(d.status, DeliveryStatus::Expired);
        let d = parse_delivery("to=<u@x.test>, relay=virtual, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to maild").unwrap();
        assert_eq!(d.reply, "delivered to maild");
    }
}
