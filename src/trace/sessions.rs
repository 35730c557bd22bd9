//! SMTP sessions: which client an smtpd process was talking to. A refusal
//! by a before-queue proxy filter (`proxy-reject: END-OF-MESSAGE: ...`)
//! names no client; its smtpd process logged one when the session began
//! (`connect from NAME[IP]`, and `NOQUEUE: client=NAME[IP]` in front of a
//! proxy filter).

use std::collections::HashMap;

use crate::parse::{Event, EventKind, Peer};

/// Fixed strings that find the session lines of smtpd process `pid`.
pub fn client_patterns(pid: u32) -> [String; 2] {
    [
        format!("[{pid}]: connect from "),
        format!("[{pid}]: NOQUEUE: client="),
    ]
}

/// The client a session line names, if it is one.
fn session_client(event: &Event) -> Option<&Peer> {
    match &event.kind {
        EventKind::Connection { what, peer } if what == "connect" => peer.as_ref(),
        EventKind::Client { peer, .. } if event.queue_id.is_none() => Some(peer),
        _ => None,
    }
}

/// The clients of the smtpd processes of one stream of lines in log order.
#[derive(Debug, Default)]
pub struct Sessions {
    current: HashMap<(String, String, u32), Peer>,
}

impl Sessions {
    /// Notes the client of a session line of `host`.
    pub fn see(&mut self, host: &str, event: &Event) {
        if let (Some(peer), Some(pid)) = (session_client(event), event.pid) {
            self.current
                .insert((host.to_string(), event.program.clone(), pid), peer.clone());
        }
    }

    /// The client of the session a line of `host` belongs to.
    pub fn client(&self, host: &str, event: &Event) -> Option<&Peer> {
        let pid = event.pid?;
        self.current
            .get(&(host.to_string(), event.program.clone(), pid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_line, LineContext};
    use crate::time::Zone;
    use chrono::TimeZone;

    fn event(line: &str) -> Event {
        let ctx = LineContext {
            zone: Zone::parse("+08:00").unwrap(),
            reference: chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
        };
        parse_line(line, &ctx).unwrap()
    }

    #[test]
    fn a_proxy_refusal_belongs_to_its_process_session() {
        let mut s = Sessions::default();
        for line in [
            "Nov  6 10:31:38 h1 postfix/smtpd[21931]: connect from unknown[203.0.113.77]",
            "Nov  6 10:31:39 h1 postfix/smtpd[21940]: connect from other.example[192.0.2.9]",
            "Nov  6 10:31:39 h1 postfix/smtpd[21931]: NOQUEUE: client=unknown[203.0.113.77]",
        ] {
            s.see("h1", &event(line));
        }
        let refusal = event("Nov  6 10:31:41 h1 postfix/smtpd[21931]: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>");
        let client = s.client("h1", &refusal).map(|p| p.ip.clone());
        assert_eq!(client, Some(Some("203.0.113.77".into())));
        assert!(s.client("h2", &refusal).is_none());
        let other = event("Nov  6 10:31:41 h1 postfix/smtpd[21999]: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>");
        assert!(s.client("h1", &other).is_none());
    }
}
