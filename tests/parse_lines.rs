//! Line-level tests of the Postfix log parser: the real Postfix 3.7 block of
//! the reference, every other line type it lists, and inputs that must fail
//! without panicking.

use chrono::{DateTime, TimeZone, Utc};
use mailtrace::parse::*;
use mailtrace::time::Zone;

fn ctx() -> LineContext {
    LineContext {
        zone: Zone::parse("+08:00").unwrap(),
        reference: Utc.with_ymd_and_hms(2026, 11, 29, 6, 0, 0).unwrap(),
    }
}

fn parse(line: &str) -> Event {
    parse_line(line, &ctx()).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn delivery(line: &str) -> Delivery {
    match parse(line).kind {
        EventKind::Delivery(d) => d,
        other => panic!("not a delivery: {other:?}"),
    }
}

fn remote(name: &str, ip: &str, port: u16) -> Relay {
    Relay::Remote(Peer {
        name: name.into(),
        ip: Some(ip.into()),
        port: Some(port),
    })
}

fn peer(name: &str, ip: &str) -> Peer {
    Peer {
        name: name.into(),
        ip: Some(ip.into()),
        port: None,
    }
}

#[test]
fn reference_smtpd_client() {
    let e =
        parse("Nov 29 13:21:43 h1 postfix/smtpd[22378]: 544379A61C6: client=gw.test[10.99.0.1]");
    assert_eq!(e.time.to_rfc3339(), "2026-11-29T13:21:43+08:00");
    assert_eq!(e.log_host, "h1");
    assert_eq!(e.program, "postfix/smtpd");
    assert_eq!(e.service, "smtpd");
    assert_eq!(e.pid, Some(22378));
    assert_eq!(e.queue_id.as_deref(), Some("544379A61C6"));
    assert_eq!(e.message, "544379A61C6: client=gw.test[10.99.0.1]");
    assert_eq!(
        e.kind,
        EventKind::Client {
            peer: peer("gw.test", "10.99.0.1"),
            sasl_method: None,
            sasl_username: None,
            orig_queue_id: None,
            orig_client: None,
        }
    );
    for (line, qid, host) in [
        (
            "Nov 29 13:21:43 h2 postfix/smtpd[22385]: 606DB9A61CA: client=h1.test[10.99.0.11]",
            "606DB9A61CA",
            "h1.test",
        ),
        (
            "Nov 29 13:21:43 h3 postfix/smtpd[22390]: 6A08D9A61CD: client=h2.test[10.99.0.12]",
            "6A08D9A61CD",
            "h2.test",
        ),
    ] {
        let e = parse(line);
        assert_eq!(e.queue_id.as_deref(), Some(qid));
        assert!(matches!(e.kind, EventKind::Client { ref peer, .. } if peer.name == host));
    }
}

#[test]
fn reference_cleanup_message_ids() {
    for (line, qid, id) in [
        ("Nov 29 13:21:43 h1 postfix/cleanup[22381]: 544379A61C6: message-id=<ok-1@client.test>", "544379A61C6", "<ok-1@client.test>"),
        ("Nov 29 13:21:43 h2 postfix/cleanup[22388]: 606DB9A61CA: message-id=<ok-1@client.test>", "606DB9A61CA", "<ok-1@client.test>"),
        ("Nov 29 13:21:43 h3 postfix/cleanup[22393]: 6A08D9A61CD: message-id=<ok-1@client.test>", "6A08D9A61CD", "<ok-1@client.test>"),
        ("Nov 29 13:21:43 h2 postfix/cleanup[22388]: 8221E9A61D7: message-id=<20261129132143.8221E9A61D7@h2.test>", "8221E9A61D7", "<20261129132143.8221E9A61D7@h2.test>"),
    ] {
        let e = parse(line);
        assert_eq!(e.service, "cleanup");
        assert_eq!(e.queue_id.as_deref(), Some(qid));
        assert_eq!(e.kind, EventKind::MessageId { message_id: id.into() });
    }
}

#[test]
fn reference_qmgr() {
    let e = parse("Nov 29 13:21:43 h1 postfix/qmgr[22221]: 544379A61C6: from=<a@h1.test>, size=368, nrcpt=1 (queue active)");
    assert_eq!(
        e.kind,
        EventKind::QueueActive {
            from: "a@h1.test".into(),
            size: Some(368),
            nrcpt: Some(1)
        }
    );
    let e = parse("Nov 29 13:21:43 h1 postfix/qmgr[22221]: 82EC09A61D5: from=<>, size=2589, nrcpt=1 (queue active)");
    assert_eq!(e.queue_id.as_deref(), Some("82EC09A61D5"));
    assert_eq!(
        e.kind,
        EventKind::QueueActive {
            from: "".into(),
            size: Some(2589),
            nrcpt: Some(1)
        }
    );
    let e = parse("Nov 29 13:21:43 h3 postfix/qmgr[22343]: 6A08D9A61CD: removed");
    assert_eq!(e.queue_id.as_deref(), Some("6A08D9A61CD"));
    assert_eq!(e.kind, EventKind::Removed);
}

#[test]
fn reference_smtp_sent_with_queued_as() {
    for (line, qid, ip, new_qid) in [
        ("Nov 29 13:21:43 h1 postfix/smtp[22382]: 544379A61C6: to=<user@h3.test>, relay=10.99.0.12[10.99.0.12]:25, delay=0.06, delays=0.01/0.02/0.02/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 606DB9A61CA)", "544379A61C6", "10.99.0.12", "606DB9A61CA"),
        ("Nov 29 13:21:43 h2 postfix/smtp[22389]: 606DB9A61CA: to=<user@h3.test>, relay=10.99.0.13[10.99.0.13]:25, delay=0.05, delays=0.01/0.01/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 6A08D9A61CD)", "606DB9A61CA", "10.99.0.13", "6A08D9A61CD"),
        ("Nov 29 13:21:43 h2 postfix/smtp[22389]: 8221E9A61D7: to=<a@h1.test>, relay=10.99.0.11[10.99.0.11]:25, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 82EC09A61D5)", "8221E9A61D7", "10.99.0.11", "82EC09A61D5"),
        ("Nov 29 13:21:54 h1 postfix/smtp[22382]: 8A28A9A6066: to=<user@h3.test>, relay=10.99.0.12[10.99.0.12]:25, delay=7.3, delays=7.3/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as D24ED9A6079)", "8A28A9A6066", "10.99.0.12", "D24ED9A6079"),
    ] {
        let e = parse(line);
        assert_eq!(e.service, "smtp");
        assert_eq!(e.queue_id.as_deref(), Some(qid));
        let EventKind::Delivery(d) = e.kind else { panic!("{line}") };
        assert_eq!(d.relay, remote(ip, ip, 25));
        assert_eq!(d.dsn.as_deref(), Some("2.0.0"));
        assert_eq!(d.status, DeliveryStatus::Sent);
        assert_eq!(d.smtp_code, Some(250));
        assert_eq!(d.queued_as.as_deref(), Some(new_qid));
        assert_eq!(d.reply, format!("250 2.0.0 Ok: queued as {new_qid}"));
    }
    let d = delivery("Nov 29 13:21:54 h1 postfix/smtp[22382]: 8A28A9A6066: to=<user@h3.test>, relay=10.99.0.12[10.99.0.12]:25, delay=7.3, delays=7.3/0/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as D24ED9A6079)");
    assert_eq!(d.to, "user@h3.test");
    assert_eq!(d.delay, Some(7.3));
    assert_eq!(d.delays, Some([7.3, 0.0, 0.01, 0.01]));
}

#[test]
fn reference_virtual_delivered_to_maildir() {
    for (line, to) in [
        ("Nov 29 13:21:43 h3 postfix/virtual[22394]: 6A08D9A61CD: to=<user@h3.test>, relay=virtual, delay=0.03, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (delivered to maildir)", "user@h3.test"),
        ("Nov 29 13:21:43 h1 postfix/virtual[22401]: 82EC09A61D5: to=<a@h1.test>, relay=virtual, delay=0.01, delays=0/0.01/0/0, dsn=2.0.0, status=sent (delivered to maildir)", "a@h1.test"),
    ] {
        let e = parse(line);
        assert_eq!(e.service, "virtual");
        let EventKind::Delivery(d) = e.kind else { panic!("{line}") };
        assert_eq!(d.to, to);
        assert_eq!(d.relay, Relay::Named { name: "virtual".into() });
        assert_eq!(d.status, DeliveryStatus::Sent);
        assert_eq!(d.reply, "delivered to maildir");
        assert_eq!(d.smtp_code, None);
        assert_eq!(d.queued_as, None);
    }
}

#[test]
fn reference_noqueue_rejects() {
    let e = parse("Nov 29 13:21:43 h3 postfix/smtpd[22390]: NOQUEUE: reject: RCPT from h2.test[10.99.0.12]: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@h1.test> to=<nouser@h3.test> proto=ESMTP helo=<h2.test>");
    assert_eq!(e.queue_id, None);
    assert_eq!(
        e.kind,
        EventKind::Reject(Reject {
            action: "reject".into(),
            stage: "RCPT".into(),
            client: Some(peer("h2.test", "10.99.0.12")),
            smtp_code: Some(550),
            dsn: Some("5.1.1".into()),
            reason: "<nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table".into(),
            reply: "550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table".into(),
            from: Some("a@h1.test".into()),
            to: Some("nouser@h3.test".into()),
            helo: Some("h2.test".into()),
            content: None,
        })
    );
    let e = parse("Nov 29 13:21:47 h2 postfix/smtpd[22519]: NOQUEUE: reject: RCPT from h1.test[10.99.0.11]: 454 4.7.1 <user@h3.test>: Relay access denied; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h1.test>");
    let EventKind::Reject(r) = e.kind else {
        panic!("not a reject")
    };
    assert_eq!(r.smtp_code, Some(454));
    assert_eq!(r.dsn.as_deref(), Some("4.7.1"));
    assert_eq!(r.reason, "<user@h3.test>: Relay access denied");
    assert_eq!(r.client, Some(peer("h1.test", "10.99.0.11")));
}

#[test]
fn reference_bounced_and_deferred_with_nested_parentheses() {
    let d = delivery("Nov 29 13:21:43 h2 postfix/smtp[22389]: 7F7A19A61D5: to=<nouser@h3.test>, relay=10.99.0.13[10.99.0.13]:25, delay=0.01, delays=0/0/0/0.01, dsn=5.1.1, status=bounced (host 10.99.0.13[10.99.0.13] said: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))");
    assert_eq!(d.status, DeliveryStatus::Bounced);
    assert_eq!(d.dsn.as_deref(), Some("5.1.1"));
    assert_eq!(d.smtp_code, Some(550));
    assert_eq!(d.queued_as, None);
    assert_eq!(d.reply, "host 10.99.0.13[10.99.0.13] said: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)");
    let d = delivery("Nov 29 13:21:47 h1 postfix/smtp[22382]: 8A28A9A6066: to=<user@h3.test>, relay=10.99.0.12[10.99.0.12]:25, delay=0.04, delays=0/0/0.02/0.01, dsn=4.7.1, status=deferred (host 10.99.0.12[10.99.0.12] said: 454 4.7.1 <user@h3.test>: Relay access denied (in reply to RCPT TO command))");
    assert_eq!(d.status, DeliveryStatus::Deferred);
    assert_eq!(d.dsn.as_deref(), Some("4.7.1"));
    assert_eq!(d.smtp_code, Some(454));
    assert_eq!(d.relay, remote("10.99.0.12", "10.99.0.12", 25));
    assert_eq!(d.reply, "host 10.99.0.12[10.99.0.12] said: 454 4.7.1 <user@h3.test>: Relay access denied (in reply to RCPT TO command)");
}

#[test]
fn reference_bounce_notification() {
    let e = parse("Nov 29 13:21:43 h2 postfix/bounce[22399]: 7F7A19A61D5: sender non-delivery notification: 8221E9A61D7");
    assert_eq!(e.queue_id.as_deref(), Some("7F7A19A61D5"));
    assert_eq!(
        e.kind,
        EventKind::Notification {
            kind: NotificationKind::SenderNonDelivery,
            new_queue_id: "8221E9A61D7".into()
        }
    );
}

#[test]
fn reference_context_lines() {
    let e = parse("Nov 29 13:21:52 h2 postfix/anvil[22522]: statistics: max connection rate 1/60s for (smtp:10.99.0.11) at Nov 29 13:21:47");
    assert_eq!(
        (e.queue_id, e.kind, e.service.as_str()),
        (None, EventKind::Other, "anvil")
    );
    let e = parse("Nov 29 13:07:39 h1 postfix/master[8934]: daemon started -- version 3.7.11, configuration /etc/postfix");
    assert_eq!((e.queue_id, e.kind), (None, EventKind::Other));
    assert_eq!(e.time.to_rfc3339(), "2026-11-29T13:07:39+08:00");
}

#[test]
fn every_reference_line_parses() {
    let reference = include_str!("data/reference-block.log");
    let mut count = 0;
    for line in reference.lines() {
        let e = parse(line);
        assert!(e.time.to_rfc3339().starts_with("2026-11-29T13:"), "{line}");
        if e.service != "anvil" && e.service != "master" {
            assert_ne!(e.kind, EventKind::Other, "{line}");
        }
        count += 1;
    }
    assert_eq!(count, 23);
}

#[test]
fn smtpd_connection_and_sasl_lines() {
    let e = parse(
        "Nov 29 13:21:43 h1 postfix/submission/smtpd[22378]: connect from gw.test[10.99.0.1]",
    );
    assert_eq!(e.program, "postfix/submission/smtpd");
    assert_eq!(e.service, "smtpd");
    assert_eq!(
        e.kind,
        EventKind::Connection {
            what: "connect".into(),
            peer: Some(peer("gw.test", "10.99.0.1"))
        }
    );
    let e = parse("Nov 29 13:21:43 h1 postfix/submission/smtpd[22378]: 4Bs2sY3GXyz1Mf: client=gw.test[10.99.0.1], sasl_method=PLAIN, sasl_username=alice");
    assert_eq!(e.queue_id.as_deref(), Some("4Bs2sY3GXyz1Mf"));
    assert!(
        matches!(e.kind, EventKind::Client { ref sasl_method, ref sasl_username, .. }
        if sasl_method.as_deref() == Some("PLAIN") && sasl_username.as_deref() == Some("alice"))
    );
    let e = parse("Nov 29 13:21:44 h1 postfix/smtpd[22378]: disconnect from gw.test[10.99.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
    assert!(matches!(e.kind, EventKind::Connection { ref what, .. } if what == "disconnect"));
    let e = parse("Nov 29 13:21:44 h1 postfix/smtpd[22378]: lost connection after AUTH from unknown[10.0.0.9]");
    assert!(
        matches!(e.kind, EventKind::Connection { ref what, ref peer } if what == "lost connection after AUTH" && peer.as_ref().map(|p| p.name.as_str()) == Some("unknown"))
    );
    let e = parse("Nov 29 13:21:44 h1 postfix/smtpd[22378]: timeout after DATA (1234 bytes) from h1.test[10.99.0.11]");
    assert!(
        matches!(e.kind, EventKind::Connection { ref what, .. } if what == "timeout after DATA (1234 bytes)")
    );
    let e = parse("Nov 29 13:21:44 h1 postfix/smtpd[22378]: warning: unknown[10.0.0.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6");
    assert!(
        matches!(e.kind, EventKind::Warning { ref severity, ref text } if severity == "warning" && text.ends_with("authentication failed: UGFzc3dvcmQ6"))
    );
}

#[test]
fn noqueue_refusal_variants() {
    for (action, stage) in [
        ("discard", "RCPT"),
        ("filter", "RCPT"),
        ("hold", "MAIL"),
        ("reject_warning", "RCPT"),
        ("milter-reject", "END-OF-MESSAGE"),
    ] {
        let line = format!("Nov 29 13:21:43 h3 postfix/smtpd[1]: NOQUEUE: {action}: {stage} from h2.test[10.99.0.12]: 550 5.7.1 <x@h3.test>: text; from=<a@h1.test> to=<x@h3.test> proto=ESMTP helo=<h2.test>");
        let e = parse(&line);
        assert_eq!(e.queue_id, None);
        let EventKind::Reject(r) = e.kind else {
            panic!("{line}")
        };
        assert_eq!(r.action, action);
        assert_eq!(r.stage, stage);
        assert_eq!(r.smtp_code, Some(550));
        assert_eq!(r.helo.as_deref(), Some("h2.test"));
    }
}

#[test]
fn cleanup_refusals_and_header_actions() {
    let e = parse("Nov 29 13:21:43 h3 postfix/cleanup[22393]: 6A08D9A61CD: reject: header Subject: cheap (pills) from h2.test[10.99.0.12]; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h2.test>: 5.7.1 Spam message rejected");
    assert_eq!(e.queue_id.as_deref(), Some("6A08D9A61CD"));
    assert_eq!(
        e.kind,
        EventKind::Reject(Reject {
            action: "reject".into(),
            stage: "header".into(),
            client: Some(peer("h2.test", "10.99.0.12")),
            smtp_code: None,
            dsn: Some("5.7.1".into()),
            reason: "Spam message rejected".into(),
            reply: "5.7.1 Spam message rejected".into(),
            from: Some("a@h1.test".into()),
            to: Some("user@h3.test".into()),
            helo: Some("h2.test".into()),
            content: Some("Subject: cheap (pills)".into()),
        })
    );
    let e = parse("Nov 29 13:21:43 h3 postfix/cleanup[22393]: 6A08D9A61CD: milter-reject: END-OF-MESSAGE from h2.test[10.99.0.12]: 5.7.1 Rejected by rspamd; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h2.test>");
    let EventKind::Reject(r) = e.kind else {
        panic!("not a reject")
    };
    assert_eq!(
        (r.action.as_str(), r.stage.as_str()),
        ("milter-reject", "END-OF-MESSAGE")
    );
    assert_eq!(r.reason, "Rejected by rspamd");
    for (action, effect) in [("hold", Effect::Held), ("discard", Effect::Discarded)] {
        let line = format!("Nov 29 13:21:43 h3 postfix/cleanup[22393]: 6A08D9A61CD: {action}: header X-Spam: yes from h2.test[10.99.0.12]; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h2.test>: detail");
        let EventKind::Reject(r) = parse(&line).kind else {
            panic!("{line}")
        };
        assert_eq!((r.effect(), r.from.as_deref()), (effect, Some("a@h1.test")));
    }
    for action in ["redirect", "prepend", "warning"] {
        let line = format!("Nov 29 13:21:43 h3 postfix/cleanup[22393]: 6A08D9A61CD: {action}: header X-Spam: yes from h2.test[10.99.0.12]; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h2.test>: detail");
        let e = parse(&line);
        assert_eq!(e.queue_id.as_deref(), Some("6A08D9A61CD"));
        assert!(
            matches!(e.kind, EventKind::CleanupAction { action: ref a, .. } if a == action),
            "{line}"
        );
    }
}

#[test]
fn pickup_and_expiry_and_postsuper() {
    let e = parse("Nov 29 13:21:43 h1 postfix/pickup[100]: 544379A61C6: uid=0 from=<root>");
    assert_eq!(
        e.kind,
        EventKind::Pickup {
            uid: Some(0),
            from: "root".into()
        }
    );
    let e = parse("Nov 29 13:21:43 h1 postfix/qmgr[100]: 544379A61C6: from=<a@h1.test>, status=expired, returned to sender");
    assert_eq!(
        e.kind,
        EventKind::Expired {
            from: "a@h1.test".into()
        }
    );
    for (message, kind) in [
        ("removed", EventKind::Removed),
        (
            "requeued",
            EventKind::Admin {
                action: "requeued".into(),
            },
        ),
        (
            "placed on hold",
            EventKind::Admin {
                action: "placed on hold".into(),
            },
        ),
        (
            "released from hold",
            EventKind::Admin {
                action: "released from hold".into(),
            },
        ),
    ] {
        let e = parse(&format!(
            "Nov 29 13:21:43 h1 postfix/postsuper[100]: 544379A61C6: {message}"
        ));
        assert_eq!(e.service, "postsuper");
        assert_eq!(e.kind, kind);
    }
}

#[test]
fn bounce_notification_kinds() {
    for (text, kind) in [
        ("sender delay notification", NotificationKind::SenderDelay),
        (
            "sender delivery status notification",
            NotificationKind::SenderDelivery,
        ),
        (
            "postmaster non-delivery notification",
            NotificationKind::PostmasterNonDelivery,
        ),
        (
            "postmaster delay notification",
            NotificationKind::PostmasterDelay,
        ),
    ] {
        let e = parse(&format!(
            "Nov 29 13:21:43 h2 postfix/bounce[1]: 4Bs2sY3GXyz1Mf: {text}: 4Bs2sZ0AAbc2Nq"
        ));
        assert_eq!(
            e.kind,
            EventKind::Notification {
                kind,
                new_queue_id: "4Bs2sZ0AAbc2Nq".into()
            }
        );
    }
}

#[test]
fn delivery_agents_and_relays() {
    let d = delivery("Nov 29 13:21:43 h3 postfix/lmtp[5]: 4Bs2sY3GXyz1Mf: to=<user@h3.test>, relay=h3.test[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <user@h3.test> kJ8dB1 Saved)");
    assert_eq!(
        d.relay,
        Relay::Named {
            name: "private/dovecot-lmtp".into()
        }
    );
    assert_eq!(d.smtp_code, Some(250));
    let d = delivery("Nov 29 13:21:43 h3 postfix/pipe[5]: 4Bs2sY3GXyz1Mf: to=<user@h3.test>, relay=dovecot, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)");
    assert_eq!(
        d.relay,
        Relay::Named {
            name: "dovecot".into()
        }
    );
    let d = delivery("Nov 29 13:21:43 h3 postfix/local[5]: 6A08D9A61CD: to=<user@h3.test>, orig_to=<postmaster@h3.test>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (forwarded as 7B19E9A61CE)");
    assert_eq!(d.orig_to.as_deref(), Some("postmaster@h3.test"));
    assert_eq!(d.forwarded_as.as_deref(), Some("7B19E9A61CE"));
    let d = delivery("Nov 29 13:21:43 h3 postfix/error[5]: 6A08D9A61CD: to=<user@h9.test>, relay=none, delay=0.1, delays=0/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to h9.test[10.99.0.19]:25: Connection refused)");
    assert_eq!(
        d.relay,
        Relay::Named {
            name: "none".into()
        }
    );
    assert_eq!(d.smtp_code, None);
    let d = delivery("Nov 29 13:21:43 h3 postfix/discard[5]: 6A08D9A61CD: to=<user@h3.test>, relay=none, delay=0.1, delays=0/0/0/0, dsn=2.0.0, status=sent (discarded)");
    assert_eq!(d.reply, "discarded");
    let d = delivery("Nov 29 13:21:43 h1 postfix-out/smtp[5]: 544379A61C6: to=<user@h3.test>, relay=mx.h3.test[2001:db8::13]:25, conn_use=3, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 OK id=1tABCD-0001Ab-2x)");
    assert_eq!(d.relay, remote("mx.h3.test", "2001:db8::13", 25));
    assert_eq!(d.queued_as.as_deref(), Some("1tABCD-0001Ab-2x"));
    let d = delivery("Nov 29 13:21:43 h1 postfix/smtp[5]: 544379A61C6: to=<user@h3.test>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.6, delays=0.2/0/0/2.4, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4Bs2sY3GXyz1Mf)");
    assert_eq!(d.queued_as.as_deref(), Some("4Bs2sY3GXyz1Mf"));
    for (word, status) in [
        ("undeliverable", DeliveryStatus::Undeliverable),
        ("deliverable", DeliveryStatus::Deliverable),
        ("expired", DeliveryStatus::Expired),
    ] {
        let d = delivery(&format!("Nov 29 13:21:43 h1 postfix/smtp[5]: 544379A61C6: to=<u@x.test>, relay=none, delay=1, delays=0/0/0/0, dsn=5.0.0, status={word} (text)"));
        assert_eq!(d.status, status);
    }
}

#[test]
fn rfc3339_headers_and_instances() {
    let e = parse(
        "2026-11-29T13:21:43.123456+08:00 h1 postfix-out/smtp[22382]: 4Bs2sY3GXyz1Mf: removed",
    );
    assert_eq!(e.time.to_rfc3339(), "2026-11-29T13:21:43.123456+08:00");
    assert_eq!(e.program, "postfix-out/smtp");
    assert_eq!(e.service, "smtp");
    assert_eq!(e.queue_id.as_deref(), Some("4Bs2sY3GXyz1Mf"));
    let e = parse("2026-11-29T05:21:43Z h1 postfix/qmgr[1]: 544379A61C6: removed");
    assert_eq!(
        e.time,
        DateTime::parse_from_rfc3339("2026-11-29T05:21:43+00:00").unwrap()
    );
    assert_eq!(e.time.offset().local_minus_utc(), 0);
}

#[test]
fn years_from_the_reference() {
    let january = LineContext {
        zone: Zone::parse("UTC").unwrap(),
        reference: Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap(),
    };
    let e = parse_line(
        "Dec 31 23:59:59 h1 postfix/qmgr[1]: 544379A61C6: removed",
        &january,
    )
    .unwrap();
    assert_eq!(e.time.to_rfc3339(), "2026-12-31T23:59:59+00:00");
    let taipei = LineContext {
        zone: Zone::parse("+08:00").unwrap(),
        reference: Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap(),
    };
    let e = parse_line(
        "Nov 29 13:21:43 h1 postfix/qmgr[1]: 544379A61C6: removed",
        &taipei,
    )
    .unwrap();
    assert_eq!(e.time.to_rfc3339(), "2026-11-29T13:21:43+08:00");
}

#[test]
fn other_programs() {
    // another program's ID-shaped lead is never a queue ID of its own
    let e = parse("Nov 29 13:21:43 h3 opendkim[700]: 6A08D9A61CD: DKIM-Signature field added (s=mail, d=h3.test)");
    assert_eq!(
        (e.queue_id.as_deref(), e.other_id.as_deref(), &e.kind),
        (None, Some("6A08D9A61CD"), &EventKind::Other)
    );
    let e = parse("Nov 29 13:21:43 h3 dovecot: lmtp(user@h3.test)<1234><abc>: msgid=<ok-1@client.test>: saved mail to INBOX");
    assert_eq!((e.queue_id, e.kind, e.pid), (None, EventKind::Other, None));
    let e = parse("Nov 29 13:21:43 h3 amavis[900]: (00900-01) Passed CLEAN {RelayedInbound}, [10.99.0.12]:41000 <a@h1.test> -> <user@h3.test>, Queue-ID: 6A08D9A61CD");
    assert_eq!((e.queue_id, e.kind), (None, EventKind::Other));
    let e = parse("Nov 29 13:21:43 h3 rspamd[901]: 4Bs2sY3GXyz1Mf: no action");
    assert_eq!(e.queue_id, None);
    assert_eq!(e.other_id.as_deref(), Some("4Bs2sY3GXyz1Mf"));
    assert_eq!(e.kind, EventKind::Other);
    let e = parse("Nov 29 13:21:43 h3 pmg-smtp-filter[4120]: 3A7E1B5C9D2F4E6A81: accept mail to <u@h3.test> (6A08D9A61CD) (rule: default-accept)");
    assert_eq!((e.queue_id, e.kind), (None, EventKind::Other));
}

#[test]
fn garbage_is_an_error() {
    for line in [
        "",
        "\n",
        "garbage",
        "Nov 29 13:21:43",
        "Nov 29 13:21:43 h1",
        "Nov 29 13:21:43 h1 no tag here",
        "Nov 29 99:21:43 h1 postfix/smtp[1]: x",
        "Nov 31 13:21:43 h1 postfix/smtp[1]: x",
        "2026-02-30T13:21:43Z h1 postfix/smtp[1]: x",
        "2026-11-29T13:21:43 h1 postfix/smtp[1]: x",
        "\u{feff}Nov 29 13:21:43 h1 postfix/smtp[1]: x",
        "Nov 29 13:21:43 h1 postfix/smtp[99999999999]: x",
        "Ñov 29 13:21:43 h1 p: x",
        "2026-11-29T13:21:43.Z h1 p: x",
    ] {
        assert!(parse_line(line, &ctx()).is_err(), "{line:?}");
    }
}
