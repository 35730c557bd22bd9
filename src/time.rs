//! Time vocabulary shared by every stage: zones (IANA or fixed offsets),
//! human durations (`90s`, `1h30m`, `5d`) and search windows.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};

/// A time zone as written in an inventory or on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An IANA zone such as `Asia/Taipei`, with its daylight-saving rules.
    Iana(chrono_tz::Tz),
    /// A fixed offset such as `+08:00`.
    Fixed(FixedOffset),
    /// The zone of the machine mailtrace runs on.
    Local,
}

impl Zone {
    /// Reads `Asia/Taipei`, `UTC`, `+08:00`, `-0500`, `Z` or `local`.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if t == "Z" || t.eq_ignore_ascii_case("utc") {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
        }
        if let Some(offset) = parse_offset(t) {
            return Ok(Zone::Fixed(offset));
        }
        chrono_tz::Tz::from_str(t).map(Zone::Iana).map_err(|_| {
            format!("`{t}` is not a time zone: use an IANA name such as Asia/Taipei, an offset such as +08:00, or `local`")
        })
    }

    /// Attaches this zone to a wall-clock time. In a daylight-saving gap the
    /// time is moved forward one hour; in an overlap the earlier reading wins.
    pub fn localize(&self, naive: NaiveDateTime) -> DateTime<FixedOffset> {
        match self {
            Zone::Fixed(offset) => pick(offset.from_local_datetime(&naive), naive, offset),
            Zone::Iana(tz) => match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.fixed_offset(),
                LocalResult::None => {
                    let later = naive + chrono::Duration::hours(1);
                    match tz.from_local_datetime(&later) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.fixed_offset(),
                        LocalResult::None => Utc.from_utc_datetime(&naive).fixed_offset(),
                    }
                }
            },
            Zone::Local => match chrono::Local.from_local_datetime(&naive) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.fixed_offset(),
                LocalResult::None => Utc.from_utc_datetime(&naive).fixed_offset(),
            },
        }
    }

    /// Shows an instant in this zone.
    pub fn display(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            Zone::Fixed(offset) => t.with_timezone(offset),
            Zone::Iana(tz) => t.with_timezone(tz).fixed_offset(),
            Zone::Local => t.with_timezone(&chrono::Local).fixed_offset(),
        }
    }
}

fn pick(
    result: LocalResult<DateTime<FixedOffset>>,
    naive: NaiveDateTime,
    offset: &FixedOffset,
) -> DateTime<FixedOffset> {
    match result {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
        LocalResult::None => Utc
            .from_utc_datetime(&(naive - offset.fix()))
            .with_timezone(offset),
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Iana(tz) => write!(f, "{}", tz.name()),
            Zone::Fixed(offset) => write!(f, "{offset}"),
            Zone::Local => write!(f, "local"),
        }
    }
}

fn parse_offset(t: &str) -> Option<FixedOffset> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Reads `90s`, `30m`, `4h`, `1d`, `1h30m`, `2w`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a duration: write it like 90s, 30m, 4h, 1d or 1h30m");
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Writes a duration the way [`parse_duration`] reads it.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            out.push_str(&format!("{}{}", secs / unit, name));
            secs %= unit;
        }
    }
    out
}

/// A closed span of time, `from <= t <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// The span `range` before and after `center`.
    pub fn around(center: DateTime<Utc>, range: Duration) -> Window {
        let r = chrono::Duration::from_std(range).unwrap_or(chrono::Duration::days(36_500));
        Window {
            from: center - r,
            to: center + r,
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t <= self.to
    }

    /// The same window reaching `extra` further into the future.
    pub fn extended(&self, extra: Duration) -> Window {
        let e = chrono::Duration::from_std(extra).unwrap_or(chrono::Duration::days(36_500));
        Window {
            from: self.from,
            to: self.to + e,
        }
    }
}

/// Reads `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DDTHH:MM:SS`, seconds optional)
/// as a wall-clock time in `zone`; an RFC 3339 time keeps its own offset.
pub fn parse_local_time(text: &str, zone: &Zone) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(exact) = DateTime::parse_from_rfc3339(t) {
        return Ok(exact.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(zone.localize(naive).with_timezone(&Utc));
        }
    }
    Err(format!(
        "`{text}` is not a time: write it as \"YYYY-MM-DD HH:MM:SS\" (read in {zone})"
    ))
}

/// Whole milliseconds of `d`, saturating (no run lasts 584 million years).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whole seconds of `d` as a signed count, saturating.
pub fn seconds_i64(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("5d").unwrap(), Duration::from_secs(432_000));
        assert_eq!(parse_duration("120").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("4x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("4h3").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn zones_read_names_and_offsets() {
        assert_eq!(
            Zone::parse("Asia/Taipei").unwrap().to_string(),
            "Asia/Taipei"
        );
        assert_eq!(Zone::parse("+08:00").unwrap().to_string(), "+08:00");
        assert_eq!(Zone::parse("-0530").unwrap().to_string(), "-05:30");
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert!(Zone::parse("+25:00").is_err());
    }

    #[test]
    fn local_time_is_read_in_the_zone() {
        let zone = Zone::parse("Asia/Taipei").unwrap();
        let t = parse_local_time("2026-01-27 21:58:00", &zone).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-27T13:58:00+00:00");
        assert!(parse_local_time("27/01/2026", &zone).is_err());
    }

    #[test]
    fn daylight_saving_gap_moves_forward() {
        let zone = Zone::parse("Europe/Berlin").unwrap();
        let t = parse_local_time("2026-03-29 02:30:00", &zone).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }
}
