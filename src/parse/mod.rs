//! Postfix log line parsing: one syslog line in, one [`Event`] out.
//!
//! Pure and allocation-light: the syslog framing is read in [`header`], the
//! Postfix message grammar in [`postfix`] (with deliveries, refusals and the
//! small field readers in their own files). Lines of other programs keep
//! their header and, when the message starts with one, their queue ID.

mod delivery;
pub mod event;
mod fields;
mod header;
mod postfix;
mod reject;

pub use event::{
    Delivery, DeliveryStatus, Event, EventKind, NotificationKind, Peer, Reject, Relay,
};

use chrono::{DateTime, Utc};

use crate::time::Zone;

/// Fixed strings, one of which is in every line the correlator reads
/// (arrivals, Message-IDs, senders, deliveries, removals, notifications,
/// refusals and cleanup or queue actions): a search for all of them returns
/// a whole window's mail and leaves connection chatter on the server.
pub const CORRELATED_MARKERS: [&str; 14] = [
    "client=",
    "uid=",
    "message-id=",
    "from=<",
    "to=<",
    ": removed",
    ": requeued",
    "hold",
    " notification: ",
    "reject: ",
    "discard: ",
    "redirect: ",
    "filter: ",
    "NOQUEUE: ",
];

/// What a line cannot tell by itself: the zone its host writes in and the
/// newest moment any line of the file can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineContext {
    /// The zone BSD syslog timestamps (no zone, no year) are read in.
    pub zone: Zone,
    /// The log file's mtime: BSD timestamps get the year that puts them at
    /// most one day after this moment.
    pub reference: DateTime<Utc>,
}

/// Why a line is not a syslog line this parser can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The syslog framing (timestamp, host, `program[pid]:`) is missing or broken.
    #[error("not a syslog line: {0}")]
    NotSyslog(&'static str),
    /// The timestamp has the right shape but names no real moment.
    #[error("bad timestamp: {0}")]
    BadTimestamp(&'static str),
}

/// Parses one log line (a trailing `\n` or `\r\n` is ignored).
///
/// Only the syslog header can fail; a message the Postfix grammar does not
/// know becomes [`EventKind::Other`].
pub fn parse_line(line: &str, ctx: &LineContext) -> Result<Event, ParseError> {
    let line = line.trim_end_matches(['\n', '\r']);
    let head = header::parse_header(line, ctx)?;
    let service = head.program.rsplit('/').next().unwrap_or(head.program);
    let (queue_id, kind) = postfix::parse_message(head.program, service, head.message);
    Ok(Event {
        time: head.time,
        log_host: head.host.to_owned(),
        program: head.program.to_owned(),
        service: service.to_owned(),
        pid: head.pid,
        queue_id: queue_id.map(str::to_owned),
        kind,
        message: head.message.to_owned(),
    })
}

/// Whether `s` is a Postfix queue ID: short (5 to 12 uppercase hex digits)
/// or long (`enable_long_queue_ids`: 12 to 20 of `[0-9A-Za-z]` with at least
/// one digit and one letter). `NOQUEUE` is not one.
pub fn is_queue_id(s: &str) -> bool {
    let b = s.as_bytes();
    if (5..=12).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
    {
        return true;
    }
    (12..=20).contains(&b.len())
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx() -> LineContext {
        LineContext {
            zone: Zone::parse("+08:00").unwrap(),
            reference: Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn queue_ids_short_and_long() {
        assert!(is_queue_id("544379A61C6"));
        assert!(is_queue_id("ABCDE"));
        assert!(is_queue_id("4Bs2sY3GXyz1Mf"));
        assert!(is_queue_id("3pJjgB6dpKz1JBPW"));
        assert!(!is_queue_id("NOQUEUE"));
        assert!(!is_queue_id("ABCD"));
        assert!(!is_queue_id("544379a61c6"));
        assert!(!is_queue_id("statistics"));
        assert!(!is_queue_id("abcdefghijklmn"));
        assert!(!is_queue_id("12345678901234"));
        assert!(!is_queue_id("4Bs2sY3GXyz1Mf4Bs2sY3G"));
        assert!(!is_queue_id("4Bs2-Y3GXyz1Mf"));
        assert!(!is_queue_id(""));
    }

    #[test]
    fn trailing_newline_is_ignored() {
        let e = parse_line(
            "Nov 29 13:21:43 h3 postfix/qmgr[22343]: 6A08D9A61CD: removed\r\n",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.kind, EventKind::Removed);
        assert_eq!(e.message, "6A08D9A61CD: removed");
    }

    #[test]
    fn errors_carry_a_reason() {
        let err = parse_line("hello world", &ctx()).unwrap_err();
        assert!(matches!(err, ParseError::NotSyslog(_)));
        assert!(err.to_string().starts_with("not a syslog line: "));
        let err = parse_line("Feb 30 10:00:00 h postfix/smtpd[1]: x", &ctx()).unwrap_err();
        assert!(matches!(err, ParseError::BadTimestamp(_)), "{err:?}");
    }
}
