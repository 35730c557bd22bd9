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
    Delivery, DeliveryStatus, Effect, Event, EventKind, NotificationKind, Peer, Reject, Relay,
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
    let (lead_id, kind) = postfix::parse_message(head.program, service, head.message);
    let postfix = postfix::is_postfix(head.program, service);
    Ok(Event {
        time: head.time,
        log_host: head.host.to_owned(),
        program: head.program.to_owned(),
        service: service.to_owned(),
        pid: head.pid,
        queue_id: lead_id.filter(|_| postfix).map(str::to_owned),
        other_id: lead_id.filter(|_| !postfix).map(str::to_owned),
        kind,
        message: head.message.to_owned(),
    })
}

/// How many characters a queue ID has, shortest to longest.
pub const QUEUE_ID_LEN: std::ops::RangeInclusive<usize> = 5..=20;

/// Whether `s` has the shape of a Postfix queue ID: 5 to 20 ASCII letters
/// and digits, with a digit in it or in upper case only. That covers short
/// hex IDs, long IDs (`enable_long_queue_ids`) and the non-hex IDs other
/// builds log (`G1003CC0007`), and leaves out words such as `statistics`,
/// `warning` and `NOQUEUE`. Only a Postfix program's line makes such a word
/// a queue ID (see [`Event::queue_id`]). The search script's `isqid` is the
/// same grammar in `sh` (`crate::plan::protocol`), built from [`QUEUE_ID_LEN`].
pub fn is_queue_id(s: &str) -> bool {
    let b = s.as_bytes();
    QUEUE_ID_LEN.contains(&b.len())
        && b.iter().all(u8::is_ascii_alphanumeric)
        && (b.iter().any(u8::is_ascii_digit) || b.iter().all(u8::is_ascii_uppercase))
        && s != "NOQUEUE"
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
        assert!(is_queue_id("G1003CC0007"));
        assert!(is_queue_id("4N8QZK0TY2"));
        assert!(is_queue_id("544379a61c6"));
        assert!(is_queue_id("12345678901234"));
        assert!(!is_queue_id("NOQUEUE"));
        assert!(!is_queue_id("ABCD"));
        assert!(!is_queue_id("statistics"));
        assert!(!is_queue_id("warning"));
        assert!(!is_queue_id("abcdefghijklmn"));
        assert!(!is_queue_id("4Bs2sY3GXyz1Mf4Bs2sY3Gx"));
        assert!(!is_queue_id("4Bs2-Y3GXyz1Mf"));
        assert!(!is_queue_id("(01234-01)"));
        assert!(!is_queue_id(""));
    }

    #[test]
    fn only_postfix_programs_log_queue_ids() {
        let e = parse_line(
            "Nov 29 13:21:43 h3 pmg-smtp-filter[4120]: 5A1C8B3E2F7D9A4C1E: new mail message-id=<x@y>",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.queue_id, None);
        assert_eq!(e.other_id.as_deref(), Some("5A1C8B3E2F7D9A4C1E"));
        let e = parse_line(
            "Nov 29 13:21:43 h3 postfix-out/smtp[22]: G1003CC0007: removed",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.queue_id.as_deref(), Some("G1003CC0007"));
        assert_eq!(e.other_id, None);
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
