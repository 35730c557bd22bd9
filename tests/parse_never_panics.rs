//! No input may make the parser panic: arbitrary strings, arbitrary bytes
//! read lossily, and real lines cut at every character boundary or with a
//! character inserted, removed or replaced anywhere.

use chrono::{TimeZone, Utc};
use mailtrace::parse::{parse_line, LineContext};
use mailtrace::time::Zone;
use proptest::prelude::*;

const REFERENCE: &str = include_str!("data/reference-block.log");

const MORE_LINES: &[&str] = &[
    "2026-11-29T13:21:43.123456+08:00 h1 postfix-out/smtp[22382]: 4Bs2sY3GXyz1Mf: to=<user@h3.test>, orig_to=<u@h3.test>, relay=mx.h3.test[2001:db8::13]:25, conn_use=2, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 OK id=1tABCD-0001Ab-2x)",
    "2026-11-29T05:21:43Z h3 postfix/cleanup[22393]: 6A08D9A61CD: reject: header Subject: x from h2.test[10.99.0.12]; from=<a@h1.test> to=<user@h3.test> proto=ESMTP helo=<h2.test>: 5.7.1 Spam message rejected",
    "Nov  2 13:21:43.5 h1 postfix/submission/smtpd[1]: 4Bs2sY3GXyz1Mf: client=gw.test[10.99.0.1], sasl_method=PLAIN, sasl_username=alice, orig_queue_id=544379A61C6, orig_client=x[10.0.0.1]",
    "Nov 29 13:21:43 h1 postfix/pickup[1]: 544379A61C6: uid=0 from=<root>",
    "Nov 29 13:21:43 h1 postfix/qmgr[1]: 544379A61C6: from=<a@h1.test>, status=expired, returned to sender",
    "Nov 29 13:21:43 h1 postfix/smtpd[1]: lost connection after DATA (0 bytes) from unknown[10.0.0.9]",
    "Nov 29 13:21:43 h1 postfix/smtpd[1]: NOQUEUE: reject: CONNECT from unknown[10.0.0.7]: 554 5.7.1 <unknown[10.0.0.7]>: Client host rejected: Access denied; proto=SMTP",
    "Nov 29 13:21:43 h1 dovecot: lmtp(ü@h3.test)<1><x>: msgid=<é@x>: saved mail to INBOX",
];

fn contexts() -> [LineContext; 3] {
    let reference = Utc.with_ymd_and_hms(2027, 1, 1, 3, 0, 0).unwrap();
    ["+08:00", "Europe/Berlin", "-11:00"].map(|z| LineContext {
        zone: Zone::parse(z).unwrap(),
        reference,
    })
}

fn real_lines() -> Vec<&'static str> {
    REFERENCE
        .lines()
        .chain(MORE_LINES.iter().copied())
        .collect()
}

fn parse_everywhere(line: &str) {
    for ctx in contexts() {
        let _ = parse_line(line, &ctx);
    }
}

#[test]
fn real_lines_cut_at_every_char_boundary() {
    let mut cuts = 0;
    for line in real_lines() {
        assert!(parse_line(line, &contexts()[0]).is_ok(), "{line}");
        for (i, _) in line.char_indices().chain([(line.len(), ' ')]) {
            parse_everywhere(&line[..i]);
            parse_everywhere(&line[i..]);
            cuts += 1;
        }
    }
    assert!(cuts > 3000);
}

fn mutated() -> impl Strategy<Value = String> {
    let lines = real_lines();
    (
        0..lines.len(),
        any::<prop::sample::Index>(),
        0..3u8,
        any::<char>(),
    )
        .prop_map(move |(which, at, op, c)| {
            let line = lines[which];
            let bounds: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
            let i = bounds[at.index(bounds.len())];
            let next = line[i..].chars().next().map_or(i, |ch| i + ch.len_utf8());
            match op {
                0 => format!("{}{}{}", &line[..i], c, &line[i..]),
                1 => format!("{}{}", &line[..i], &line[next..]),
                _ => format!("{}{}{}", &line[..i], c, &line[next..]),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_do_not_panic(s in any::<String>()) {
        parse_everywhere(&s);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        parse_everywhere(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn syslog_shaped_strings_do_not_panic(
        s in "(Nov|Feb|[A-Z][a-z]{2}) {1,2}[0-9]{1,2} [0-9:.]{6,12} [a-z0-9]{0,3} [a-z/\\-]{0,12}(\\[[0-9]{0,6}\\])?:? ?([0-9A-F]{5,12}|[0-9A-Za-z]{12,20}|NOQUEUE)?:? ?(to=<|from=<|client=|reject: |warning: |status=|relay=|\\(|\\)|\\[|\\]|;|, |=|<|>| |[a-z]{1,4}|[0-9.]{1,4}|é|ü){0,40}"
    ) {
        parse_everywhere(&s);
    }

    #[test]
    fn rfc3339_shaped_strings_do_not_panic(
        s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:?[0-9]{2})? [a-z]{1,3} [a-z/]{1,9}(\\[[0-9]{1,12}\\])?: .{0,60}"
    ) {
        parse_everywhere(&s);
    }

    #[test]
    fn mutated_real_lines_do_not_panic(s in mutated()) {
        parse_everywhere(&s);
    }

    #[test]
    fn any_reference_time_does_not_panic(
        secs in -62_000_000_000i64..253_000_000_000,
        which in any::<prop::sample::Index>(),
        zone in prop::sample::select(vec!["UTC", "+14:00", "-12:00", "America/New_York", "Australia/Lord_Howe"]),
    ) {
        let lines = real_lines();
        let ctx = LineContext {
            zone: Zone::parse(zone).unwrap(),
            reference: Utc.timestamp_opt(secs, 0).unwrap(),
        };
        let line = lines[which.index(lines.len())];
        let _ = parse_line(line, &ctx);
        let _ = parse_line("Feb 29 23:59:60 h postfix/qmgr[1]: 544379A61C6: removed", &ctx);
        let _ = parse_line("Dec 31 23:59:59.999999999 h postfix/qmgr[1]: 544379A61C6: removed", &ctx);
    }
}
