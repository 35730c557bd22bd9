//! Syslog framing: the timestamp (BSD `Mmm dd hh:mm:ss[.frac]` or RFC 3339),
//! the host and the `program[pid]:` tag in front of every message.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use super::{LineContext, ParseError};

/// The syslog framing of one line; the strings borrow from the line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Header<'a> {
    pub time: DateTime<FixedOffset>,
    pub host: &'a str,
    /// The tag without the pid, e.g. `postfix/submission/smtpd`.
    pub program: &'a str,
    pub pid: Option<u32>,
    /// The text after `program[pid]: `.
    pub message: &'a str,
}

/// Reads the framing of `line`; `ctx` supplies the zone and year of BSD stamps.
pub(super) fn parse_header<'a>(line: &'a str, ctx: &LineContext) -> Result<Header<'a>, ParseError> {
    let (time, rest) = match line.as_bytes().first() {
        None => return Err(ParseError::NotSyslog("empty line")),
        Some(b) if b.is_ascii_digit() => rfc3339(line)?,
        Some(_) => bsd(line, ctx)?,
    };
    let rest = rest.trim_start_matches(' ');
    let (host, rest) = rest
        .split_once(' ')
        .ok_or(ParseError::NotSyslog("no program after the host"))?;
    let rest = rest.trim_start_matches(' ');
    let colon = rest
        .find(':')
        .ok_or(ParseError::NotSyslog("no `program:` tag"))?;
    let tag = rest.get(..colon).unwrap_or_default();
    if tag.is_empty() || tag.contains(' ') {
        return Err(ParseError::NotSyslog("no `program:` tag"));
    }
    let message = rest.get(colon + 1..).unwrap_or_default();
    let message = message.strip_prefix(' ').unwrap_or(message);
    let (program, pid) = match tag.split_once('[') {
        None => (tag, None),
        Some((program, pid)) => {
            let pid = pid
                .strip_suffix(']')
                .and_then(|p| p.parse::<u32>().ok())
                .ok_or(ParseError::NotSyslog("malformed `[pid]`"))?;
            (program, Some(pid))
        }
    };
    if program.is_empty() {
        return Err(ParseError::NotSyslog("empty program name"));
    }
    Ok(Header {
        time,
        host,
        program,
        pid,
        message,
    })
}

/// A cursor over the ASCII bytes of a timestamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads between `min` and `max` decimal digits.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut value = 0u32;
        let mut n = 0;
        while n < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        (n >= min).then_some(value)
    }

    /// Reads `.digits` if present, as nanoseconds (digits past the ninth are skipped).
    fn fraction(&mut self) -> Option<u32> {
        if !self.eat(b'.') {
            return Some(0);
        }
        let mut nanos = 0u32;
        let mut n = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            if n < 9 {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
            n += 1;
            self.pos += 1;
        }
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    /// Reads `hh:mm:ss[.frac]`.
    fn clock(&mut self) -> Result<NaiveTime, ParseError> {
        let bad = ParseError::NotSyslog("malformed time of day");
        let h = self.number(2, 2).ok_or(bad.clone())?;
        let m = self
            .eat(b':')
            .then(|| self.number(2, 2))
            .flatten()
            .ok_or(bad.clone())?;
        let s = self
            .eat(b':')
            .then(|| self.number(2, 2))
            .flatten()
            .ok_or(bad.clone())?;
        let nanos = self.fraction().ok_or(bad)?;
        // A leap second is written :60; chrono keeps it as :59 plus a second.
        let (s, nanos) = if s == 60 {
            (59, nanos + 1_000_000_000)
        } else {
            (s, nanos)
        };
        NaiveTime::from_hms_nano_opt(h, m, s, nanos)
            .ok_or(ParseError::BadTimestamp("no such time of day"))
    }

    /// The rest of the line after the timestamp, which must end in a space.
    fn rest<'l>(&self, line: &'l str) -> Result<&'l str, ParseError> {
        if self.peek() != Some(b' ') {
            return Err(ParseError::NotSyslog("no space after the timestamp"));
        }
        line.get(self.pos..)
            .ok_or(ParseError::NotSyslog("no space after the timestamp"))
    }
}

fn month_number(name: &[u8]) -> Option<u32> {
    Some(match name {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// `Mmm dd hh:mm:ss[.frac]`, the day padded with a space or not.
fn bsd<'l>(
    line: &'l str,
    ctx: &LineContext,
) -> Result<(DateTime<FixedOffset>, &'l str), ParseError> {
    let bytes = line.as_bytes();
    let month = bytes
        .get(..3)
        .and_then(month_number)
        .ok_or(ParseError::NotSyslog("no timestamp"))?;
    let mut c = Cursor { bytes, pos: 3 };
    if !c.eat(b' ') {
        return Err(ParseError::NotSyslog("no timestamp"));
    }
    c.eat(b' ');
    let day = c
        .number(1, 2)
        .ok_or(ParseError::NotSyslog("no day of month"))?;
    if !c.eat(b' ') {
        return Err(ParseError::NotSyslog("no space after the day"));
    }
    let clock = c.clock()?;
    let rest = c.rest(line)?;
    Ok((bsd_time(month, day, clock, ctx)?, rest))
}

/// Gives a BSD stamp the year that puts it at most one day after the
/// reference: the reference's year, else an earlier one (December lines in a
/// file written in January, February 29th in a later non-leap year).
fn bsd_time(
    month: u32,
    day: u32,
    clock: NaiveTime,
    ctx: &LineContext,
) -> Result<DateTime<FixedOffset>, ParseError> {
    let longest = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > longest {
        return Err(ParseError::BadTimestamp("no such day of month"));
    }
    let latest = ctx
        .reference
        .checked_add_signed(Duration::days(1))
        .unwrap_or(ctx.reference)
        .naive_utc();
    let first = reference_year(ctx);
    for year in (first - 8..=first).rev() {
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
            continue;
        };
        let time = ctx.zone.localize(date.and_time(clock));
        if time.naive_utc() <= latest {
            return Ok(time);
        }
    }
    Err(ParseError::BadTimestamp("no year fits the file's time"))
}

/// The year of the reference seen in the context's zone. The zone matters
/// only on the two days around New Year.
fn reference_year(ctx: &LineContext) -> i32 {
    let r = ctx.reference;
    let near_new_year = (r.month() == 12 && r.day() == 31) || (r.month() == 1 && r.day() == 1);
    if near_new_year {
        ctx.zone.display(r).year()
    } else {
        r.year()
    }
}

/// `YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm)`.
fn rfc3339(line: &str) -> Result<(DateTime<FixedOffset>, &str), ParseError> {
    let bad = ParseError::NotSyslog("malformed RFC 3339 timestamp");
    let mut c = Cursor {
        bytes: line.as_bytes(),
        pos: 0,
    };
    let year = c.number(4, 4).ok_or(bad.clone())?;
    let month = c.eat(b'-').then(|| c.number(2, 2)).flatten();
    let day = c.eat(b'-').then(|| c.number(2, 2)).flatten();
    let (Some(month), Some(day)) = (month, day) else {
        return Err(bad);
    };
    if !(c.eat(b'T') || c.eat(b't')) {
        return Err(bad);
    }
    let clock = c.clock()?;
    let offset_secs = if c.eat(b'Z') || c.eat(b'z') {
        0
    } else {
        let sign = if c.eat(b'+') {
            1
        } else if c.eat(b'-') {
            -1
        } else {
            return Err(ParseError::NotSyslog("RFC 3339 timestamp without offset"));
        };
        let h = c.number(2, 2).ok_or(bad.clone())?;
        c.eat(b':');
        let m = c.number(2, 2).ok_or(bad)?;
        if h > 23 || m > 59 {
            return Err(ParseError::BadTimestamp("no such offset"));
        }
        sign * (h * 3600 + m * 60) as i32
    };
    let rest = c.rest(line)?;
    let offset =
        FixedOffset::east_opt(offset_secs).ok_or(ParseError::BadTimestamp("no such offset"))?;
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or(ParseError::BadTimestamp("no such date"))?;
    let time = offset
        .from_local_datetime(&date.and_time(clock))
        .single()
        .ok_or(ParseError::BadTimestamp("no such moment"))?;
    Ok((time, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Zone;
    use chrono::Utc;

    fn ctx(zone: &str, reference: &str) -> LineContext {
        LineContext {
            zone: Zone::parse(zone).unwrap(),
            reference: DateTime::parse_from_rfc3339(reference)
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn time(line: &str, c: &LineContext) -> String {
        parse_header(line, c).unwrap().time.to_rfc3339()
    }

    #[test]
    fn bsd_header_fields() {
        let c = ctx("+08:00", "2026-11-29T12:00:00Z");
        let h = parse_header(
            "Nov 29 13:21:43 h1 postfix/smtpd[22378]: 544379A61C6: client=gw.test[10.99.0.1]",
            &c,
        )
        .unwrap();
        assert_eq!(h.time.to_rfc3339(), "2026-11-29T13:21:43+08:00");
        assert_eq!(h.host, "h1");
        assert_eq!(h.program, "postfix/smtpd");
        assert_eq!(h.pid, Some(22378));
        assert_eq!(h.message, "544379A61C6: client=gw.test[10.99.0.1]");
    }

    #[test]
    fn year_comes_from_the_reference_in_the_zone() {
        let c = ctx("+08:00", "2026-11-29T12:00:00Z");
        assert_eq!(
            time("Nov 29 13:21:43 h1 postfix/qmgr[1]: x", &c),
            "2026-11-29T13:21:43+08:00"
        );
        // Reference 2027-01-01 02:00 UTC is already 10:00 on Jan 1st in +08:00,
        // but still Dec 31st in -05:00.
        let east = ctx("+08:00", "2027-01-01T02:00:00Z");
        assert_eq!(
            time("Jan  1 09:00:00 h postfix/qmgr[1]: x", &east),
            "2027-01-01T09:00:00+08:00"
        );
        let west = ctx("-05:00", "2027-01-01T02:00:00Z");
        assert_eq!(
            time("Dec 31 20:00:00 h postfix/qmgr[1]: x", &west),
            "2026-12-31T20:00:00-05:00"
        );
    }

    #[test]
    fn december_lines_in_a_january_file_get_the_previous_year() {
        let c = ctx("UTC", "2027-01-02T00:00:00Z");
        assert_eq!(
            time("Dec 31 23:59:59 h postfix/qmgr[1]: x", &c),
            "2026-12-31T23:59:59+00:00"
        );
        assert_eq!(
            time("Jan  2 23:00:00 h postfix/qmgr[1]: x", &c),
            "2027-01-02T23:00:00+00:00"
        );
        // More than one day after the reference: last year.
        assert_eq!(
            time("Jan  3 00:00:01 h postfix/qmgr[1]: x", &c),
            "2026-01-03T00:00:01+00:00"
        );
    }

    #[test]
    fn february_29th_finds_a_leap_year() {
        let c = ctx("UTC", "2027-03-10T00:00:00Z");
        assert_eq!(
            time("Feb 29 10:00:00 h postfix/qmgr[1]: x", &c),
            "2024-02-29T10:00:00+00:00"
        );
    }

    #[test]
    fn iana_zone_applies_daylight_saving() {
        let c = ctx("Europe/Berlin", "2026-08-01T00:00:00Z");
        assert_eq!(
            time("Jul 15 12:00:00 h postfix/qmgr[1]: x", &c),
            "2026-07-15T12:00:00+02:00"
        );
        assert_eq!(
            time("Jan 15 12:00:00 h postfix/qmgr[1]: x", &c),
            "2026-01-15T12:00:00+01:00"
        );
    }

    #[test]
    fn day_padding_and_fractions() {
        let c = ctx("UTC", "2026-11-29T12:00:00Z");
        assert_eq!(
            time("Nov  2 01:02:03 h p: x", &c),
            "2026-11-02T01:02:03+00:00"
        );
        assert_eq!(
            time("Nov 2 01:02:03 h p: x", &c),
            "2026-11-02T01:02:03+00:00"
        );
        assert_eq!(
            time("Nov 29 11:21:43.123 h p: x", &c),
            "2026-11-29T11:21:43.123+00:00"
        );
        assert_eq!(
            time("Nov 29 11:21:43.1234567891 h p: x", &c),
            "2026-11-29T11:21:43.123456789+00:00"
        );
    }

    #[test]
    fn rfc3339_keeps_its_own_offset() {
        let c = ctx("UTC", "2000-01-01T00:00:00Z");
        let h = parse_header(
            "2026-11-29T13:21:43.123456+08:00 h1 postfix-out/smtp[7]: 4Bs2sY3GXyz1Mf: removed",
            &c,
        )
        .unwrap();
        assert_eq!(h.time.to_rfc3339(), "2026-11-29T13:21:43.123456+08:00");
        assert_eq!(h.program, "postfix-out/smtp");
        assert_eq!(
            time("2026-11-29T05:21:43Z h p[1]: x", &c),
            "2026-11-29T05:21:43+00:00"
        );
        assert_eq!(
            time("2015-12-14T00:06:14+0000 h p[1]: x", &c),
            "2015-12-14T00:06:14+00:00"
        );
        assert_eq!(
            time("2026-03-01T10:00:00-05:30 h p[1]: x", &c),
            "2026-03-01T10:00:00-05:30"
        );
    }

    #[test]
    fn program_without_pid_and_empty_message() {
        let c = ctx("UTC", "2026-11-29T12:00:00Z");
        let h = parse_header("Nov 29 10:00:00 h dovecot: imap-login: Login", &c).unwrap();
        assert_eq!(h.program, "dovecot");
        assert_eq!(h.pid, None);
        assert_eq!(h.message, "imap-login: Login");
        let h = parse_header("Nov 29 10:00:00 h postfix/smtpd[3]:", &c).unwrap();
        assert_eq!(h.message, "");
    }

    #[test]
    fn broken_headers_are_errors() {
        let c = ctx("UTC", "2026-11-29T12:00:00Z");
        for line in [
            "",
            "Nov",
            "Nov 29",
            "Nov 29 10:00:00",
            "Nov 29 10:00:00 h",
            "Nov 29 10:00:00 h last message repeated 3 times",
            "Nov 29 10:00:00 h prog[12: x",
            "Nov 29 10:00:00 h prog[x]: x",
            "Nov 29 10:0:00 h p: x",
            "Nov 29 10:00:00.x h p: x",
            "Foo 29 10:00:00 h p: x",
            "Nov 32 10:00:00 h p: x",
            "Nov 29 25:00:00 h p: x",
            "Nov 29 10:00:00h p: x",
            "2026-11-29T13:21:43 h p: x",
            "2026-13-29T13:21:43Z h p: x",
            "2026-11-29 13:21:43Z h p: x",
            "2026-11-29T13:21:43+24:00 h p: x",
            "2026-11-29T13:21:43Z h : x",
        ] {
            assert!(parse_header(line, &c).is_err(), "{line:?}");
        }
    }
}
