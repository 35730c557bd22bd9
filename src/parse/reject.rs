//! Refusals and content actions: smtpd's `ACTION: STAGE from NAME[IP]: reply;
//! from=<..> to=<..> proto=.. helo=<..>` and cleanup's `ACTION: header TEXT
//! from ORIGIN; from=<..> ...: text` (header/body checks and milters).

use super::event::{EventKind, Peer, Reject};
use super::fields::{parse_peer, split_attrs, split_codes, Attrs};

/// The actions smtpd and cleanup log in front of a refusal or content action.
fn is_action(word: &str) -> bool {
    matches!(
        word,
        "reject"
            | "reject_warning"
            | "discard"
            | "filter"
            | "hold"
            | "redirect"
            | "prepend"
            | "replace"
            | "warning"
            | "warn"
            | "bcc"
            | "strip"
    ) || ["milter-", "proxy-"].iter().any(|prefix| {
        word.strip_prefix(prefix)
            .is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
    })
}

/// An SMTP stage as smtpd logs it: `RCPT`, `END-OF-MESSAGE`, `CONNECT`...
fn is_stage(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_uppercase() || b == b'-')
}

/// A cleanup content class: `header`, `body`, `mime-header`, `nested-header`...
fn is_class(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// Reads the text after `QID: ` or `NOQUEUE: ` as a refusal or a cleanup
/// action; `None` when it is neither.
pub(super) fn parse_action(body: &str) -> Option<EventKind> {
    let (action, rest) = body.split_once(": ")?;
    if !is_action(action) {
        return None;
    }
    if let Some((stage, after)) = rest.split_once(" from ") {
        if is_stage(stage) {
            return smtpd_refusal(action, stage, after);
        }
    }
    if let Some((stage, reply)) = rest.split_once(": ") {
        if is_stage(stage) {
            return Some(EventKind::Reject(stage_reply(action, stage, None, reply)));
        }
    }
    cleanup_action(action, rest)
}

/// `h[ip]: 550 5.1.1 <x>: reason; from=<..> to=<..> proto=ESMTP helo=<..>`
fn smtpd_refusal(action: &str, stage: &str, after: &str) -> Option<EventKind> {
    let (peer, reply) = match after.find("]: ") {
        Some(close) => (after.get(..=close)?, after.get(close + 3..)?),
        None => after.split_once(": ")?,
    };
    Some(EventKind::Reject(stage_reply(
        action,
        stage,
        Some(parse_peer(peer)),
        reply,
    )))
}

/// The reply of a refusal at an SMTP stage with its attribute tail:
/// smtpd's and milters' (`from h[ip]: reply; from=<..> ...`) and a
/// before-queue proxy filter's (`END-OF-MESSAGE: reply; from=<..> ...`).
fn stage_reply(action: &str, stage: &str, client: Option<Peer>, text: &str) -> Reject {
    let (reply, attrs) = match split_attrs(text) {
        Some((head, attrs, _)) => (head, attrs),
        None => (text, Attrs::default()),
    };
    let (smtp_code, dsn, reason) = split_codes(reply);
    Reject {
        action: action.to_owned(),
        stage: stage.to_owned(),
        client,
        smtp_code,
        dsn: dsn.map(str::to_owned),
        reason: reason.to_owned(),
        reply: reply.to_owned(),
        from: attrs.from.map(str::to_owned),
        to: attrs.to.map(str::to_owned),
        helo: attrs.helo.map(str::to_owned),
        content: None,
    }
}

/// `header Subject: x from h[ip]; from=<..> to=<..> proto=ESMTP helo=<..>: 5.7.1 text`
fn cleanup_action(action: &str, rest: &str) -> Option<EventKind> {
    let (class, _) = rest.split_once(' ')?;
    if !is_class(class) {
        return None;
    }
    let (head, attrs, text) = split_attrs(rest)?;
    let from_at = head.rfind(" from ")?;
    let content = head.get(class.len() + 1..from_at).unwrap_or_default();
    let origin = head.get(from_at + 6..)?;
    if !matches!(action, "reject" | "hold" | "discard") && !action.starts_with("milter-") {
        return Some(EventKind::CleanupAction {
            action: action.to_owned(),
            detail: rest.to_owned(),
        });
    }
    let reply = text.unwrap_or_default();
    let (smtp_code, dsn, reason) = split_codes(reply);
    Some(EventKind::Reject(Reject {
        action: action.to_owned(),
        stage: class.to_owned(),
        client: origin.contains('[').then(|| parse_peer(origin)),
        smtp_code,
        dsn: dsn.map(str::to_owned),
        reason: reason.to_owned(),
        reply: reply.to_owned(),
        from: attrs.from.map(str::to_owned),
        to: attrs.to.map(str::to_owned),
        helo: attrs.helo.map(str::to_owned),
        content: Some(content.to_owned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::event::Peer;

    fn reject(body: &str) -> Reject {
        match parse_action(body) {
            Some(EventKind::Reject(r)) => r,
            other => panic!("not a reject: {other:?}"),
        }
    }

    #[test]
    fn smtpd_rcpt_reject() {
        let r = reject("reject: RCPT from h2.test[10.99.0.12]: 550 5.1.1 <nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table; from=<a@h1.test> to=<nouser@h3.test> proto=ESMTP helo=<h2.test>");
        assert_eq!(r.action, "reject");
        assert_eq!(r.stage, "RCPT");
        assert_eq!(
            r.client,
            Some(Peer {
                name: "h2.test".into(),
                ip: Some("10.99.0.12".into()),
                port: None
            })
        );
        assert_eq!(r.smtp_code, Some(550));
        assert_eq!(r.dsn.as_deref(), Some("5.1.1"));
        assert_eq!(
            r.reason,
            "<nouser@h3.test>: Recipient address rejected: User unknown in virtual mailbox table"
        );
        assert_eq!(r.from.as_deref(), Some("a@h1.test"));
        assert_eq!(r.to.as_deref(), Some("nouser@h3.test"));
        assert_eq!(r.helo.as_deref(), Some("h2.test"));
        assert_eq!(r.content, None);
    }

    #[test]
    fn reason_with_semicolons_and_ipv6_client() {
        let r = reject("reject: RCPT from unknown[2001:db8::5]: 554 5.7.1 Service unavailable; Client host [2001:db8::5] blocked using zen.test; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>");
        assert_eq!(
            r.client.as_ref().and_then(|p| p.ip.as_deref()),
            Some("2001:db8::5")
        );
        assert_eq!(
            r.reason,
            "Service unavailable; Client host [2001:db8::5] blocked using zen.test"
        );
    }

    #[test]
    fn postscreen_and_client_port_logging() {
        let r = reject("reject: RCPT from [192.0.2.1]:12345: 550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.test; from=<a@b.test>, to=<c@d.test>, proto=ESMTP, helo=<x>");
        assert_eq!(
            r.client,
            Some(Peer {
                name: "".into(),
                ip: Some("192.0.2.1".into()),
                port: Some(12345)
            })
        );
        assert_eq!(r.to.as_deref(), Some("c@d.test"));
        assert_eq!(r.helo.as_deref(), Some("x"));
        assert_eq!(
            r.reason,
            "Service unavailable; client [192.0.2.1] blocked using zen.test"
        );
        let r = reject("reject: RCPT from h.test[2001:db8::1]:2525: 450 4.1.8 <a@b.test>: Sender address rejected: Domain not found; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h.test>");
        assert_eq!(r.client.as_ref().and_then(|p| p.port), Some(2525));
        assert_eq!(r.smtp_code, Some(450));
    }

    #[test]
    fn connect_stage_without_addresses() {
        let r = reject("reject: CONNECT from unknown[10.0.0.7]: 554 5.7.1 <unknown[10.0.0.7]>: Client host rejected: Access denied; proto=SMTP");
        assert_eq!(r.stage, "CONNECT");
        assert_eq!(r.from, None);
        assert_eq!(r.to, None);
        assert_eq!(
            r.reason,
            "<unknown[10.0.0.7]>: Client host rejected: Access denied"
        );
    }

    #[test]
    fn other_smtpd_actions() {
        for (action, code) in [
            ("discard", None),
            ("filter", None),
            ("hold", None),
            ("reject_warning", Some(450)),
            ("milter-reject", Some(550)),
        ] {
            let reply = match code {
                Some(c) => format!("{c} 4.7.1 <a@b.test>: text"),
                None => "<a@b.test>: Sender address triggers action".to_owned(),
            };
            let r = reject(&format!("{action}: RCPT from h[10.0.0.1]: {reply}; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>"));
            assert_eq!(r.action, action);
            assert_eq!(r.smtp_code, code);
            assert_eq!(r.to.as_deref(), Some("c@d.test"));
        }
    }

    #[test]
    fn cleanup_milter_reject_end_of_message() {
        let r = reject("milter-reject: END-OF-MESSAGE from h2.test[10.99.0.12]: 5.7.1 Spam detected; from=<a@h1.test> to=<u@h3.test> proto=ESMTP helo=<h2.test>");
        assert_eq!(r.stage, "END-OF-MESSAGE");
        assert_eq!(r.smtp_code, None);
        assert_eq!(r.dsn.as_deref(), Some("5.7.1"));
        assert_eq!(r.reason, "Spam detected");
    }

    #[test]
    fn cleanup_header_reject() {
        let r = reject("reject: header Subject: buy now from h2.test[10.99.0.12]; from=<a@h1.test> to=<u@h3.test> proto=ESMTP helo=<h2.test>: 5.7.1 Spam message rejected");
        assert_eq!(r.stage, "header");
        assert_eq!(r.content.as_deref(), Some("Subject: buy now"));
        assert_eq!(r.client.as_ref().map(|p| p.name.as_str()), Some("h2.test"));
        assert_eq!(r.dsn.as_deref(), Some("5.7.1"));
        assert_eq!(r.reason, "Spam message rejected");
        assert_eq!(r.from.as_deref(), Some("a@h1.test"));
        assert_eq!(r.helo.as_deref(), Some("h2.test"));
        let r = reject("reject: body click here from local; from=<root>: 5.7.1 no");
        assert_eq!(r.stage, "body");
        assert_eq!(r.client, None);
        assert_eq!(r.content.as_deref(), Some("click here"));
    }

    #[test]
    fn cleanup_header_actions() {
        use crate::parse::Effect;
        for (action, effect) in [("hold", Effect::Held), ("discard", Effect::Discarded)] {
            let r = reject(&format!("{action}: header Subject: x from h[10.0.0.1]; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>: some text"));
            assert_eq!(r.effect(), effect);
            assert_eq!(r.from.as_deref(), Some("a@b.test"));
            assert_eq!(r.reply, "some text");
        }
        for action in ["redirect", "prepend", "warning"] {
            let body = format!("{action}: header Subject: x from h[10.0.0.1]; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>: some text");
            match parse_action(&body) {
                Some(EventKind::CleanupAction { action: a, detail }) => {
                    assert_eq!(a, action);
                    assert!(detail.starts_with("header Subject: x from h[10.0.0.1];"));
                    assert!(detail.ends_with(": some text"));
                }
                other => panic!("{action}: {other:?}"),
            }
        }
    }

    #[test]
    fn before_queue_proxy_refusals() {
        let r = reject("proxy-reject: END-OF-MESSAGE: 554 5.7.1 Message content rejected, id=01234-05 - spam; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<mx.b.test>");
        assert_eq!(r.action, "proxy-reject");
        assert_eq!(r.stage, "END-OF-MESSAGE");
        assert_eq!(r.client, None);
        assert_eq!(r.smtp_code, Some(554));
        assert_eq!(r.dsn.as_deref(), Some("5.7.1"));
        assert_eq!(
            r.reply,
            "554 5.7.1 Message content rejected, id=01234-05 - spam"
        );
        assert_eq!(r.from.as_deref(), Some("a@b.test"));
        assert_eq!(r.to.as_deref(), Some("c@d.test"));
        let r = reject(
            "proxy-reject: END-OF-MESSAGE: ; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>",
        );
        assert_eq!((r.smtp_code, r.reply.as_str()), (None, ""));
        assert_eq!(r.to.as_deref(), Some("c@d.test"));
    }

    #[test]
    fn replies_keep_their_codes() {
        let r = reject("reject: RCPT from h[10.0.0.1]: 550 5.1.1 <u@x.test>: Recipient address rejected: User unknown; from=<a@b.test> to=<u@x.test> proto=ESMTP helo=<h>");
        assert_eq!(
            r.reply,
            "550 5.1.1 <u@x.test>: Recipient address rejected: User unknown"
        );
        let r = reject("reject: header Subject: buy now from h2.test[10.99.0.12]; from=<a@h1.test> to=<u@h3.test> proto=ESMTP helo=<h2.test>: 5.7.1 Spam message rejected");
        assert_eq!(r.reply, "5.7.1 Spam message rejected");
    }

    #[test]
    fn not_actions() {
        assert_eq!(parse_action("warning: hostname x does not resolve"), None);
        assert_eq!(parse_action("removed"), None);
        assert_eq!(parse_action("statistics: max connection rate"), None);
        assert_eq!(parse_action("reject: nothing to see"), None);
    }
}
