//! Small readers shared by the message grammars: peers (`NAME[IP]:PORT`),
//! SMTP reply codes, enhanced status codes and the `; from=<..> to=<..>`
//! attribute tail of refusals.

use super::event::Peer;

/// Reads `NAME[IP]`, `NAME[IP]:PORT` or a bare `NAME`.
pub(super) fn parse_peer(text: &str) -> Peer {
    let Some((name, after)) = text.split_once('[') else {
        return Peer {
            name: text.to_owned(),
            ip: None,
            port: None,
        };
    };
    let (ip, port) = match after.split_once(']') {
        Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
        None => (after, None),
    };
    Peer {
        name: name.to_owned(),
        ip: (!ip.is_empty()).then(|| ip.to_owned()),
        port,
    }
}

/// A 3-digit SMTP reply code (2xx to 5xx) at the start of `text`, followed
/// by a space, a dash or the end.
pub(super) fn leading_code(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    let (d0, d1, d2) = (*b.first()?, *b.get(1)?, *b.get(2)?);
    if !(b'2'..=b'5').contains(&d0) || !d1.is_ascii_digit() || !d2.is_ascii_digit() {
        return None;
    }
    if !matches!(b.get(3), None | Some(b' ') | Some(b'-')) {
        return None;
    }
    Some(u16::from(d0 - b'0') * 100 + u16::from(d1 - b'0') * 10 + u16::from(d2 - b'0'))
}

/// Whether `s` is an enhanced status code such as `5.1.1` or `4.7.1`.
pub(super) fn is_dsn(s: &str) -> bool {
    let mut parts = s.split('.');
    let class_ok = matches!(parts.next(), Some("2" | "4" | "5"));
    let digits = |p: Option<&str>| {
        p.is_some_and(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    class_ok && digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// Splits `550 5.1.1 text` into its code, its enhanced status code and the text.
/// Either code may be missing.
pub(super) fn split_codes(text: &str) -> (Option<u16>, Option<&str>, &str) {
    let mut rest = text;
    let code = leading_code(rest);
    if code.is_some() {
        rest = rest.get(4..).unwrap_or_default();
    }
    let word_end = rest.find(' ').unwrap_or(rest.len());
    let word = rest.get(..word_end).unwrap_or_default();
    let dsn = is_dsn(word).then_some(word);
    if dsn.is_some() {
        rest = rest
            .get(word_end..)
            .unwrap_or_default()
            .trim_start_matches(' ');
    }
    (code, dsn, rest)
}

/// The attributes Postfix appends to refusals and header actions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attrs<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub proto: Option<&'a str>,
    pub helo: Option<&'a str>,
}

/// Reads ` from=<..> to=<..> proto=.. helo=<..>` (each optional, postscreen
/// puts commas between them) up to the end or to `: text`, which is returned.
fn parse_attrs(tail: &str) -> Option<(Attrs<'_>, Option<&str>)> {
    let mut attrs = Attrs::default();
    let mut s = tail;
    loop {
        if s.is_empty() {
            return Some((attrs, None));
        }
        if let Some(text) = s.strip_prefix(": ") {
            return Some((attrs, Some(text)));
        }
        // smtpd separates attributes with a space, postscreen with `, `.
        let item = s.strip_prefix(", ").or_else(|| s.strip_prefix(' '))?;
        let (key, value) = item.split_once('=')?;
        let slot = match key {
            "from" => &mut attrs.from,
            "to" => &mut attrs.to,
            "helo" => &mut attrs.helo,
            "proto" => {
                let end = value.find([' ', ':', ',']).unwrap_or(value.len());
                attrs.proto = value.get(..end);
                s = value.get(end..)?;
                continue;
            }
            _ => return None,
        };
        let inner = value.strip_prefix('<')?;
        let close = inner.find('>')?;
        *slot = inner.get(..close);
        s = inner.get(close + 1..)?;
    }
}

/// Splits `head; from=<..> ...[: text]` at the last `;` whose tail reads as
/// attributes. Returns the head, the attributes and the trailing text.
pub(super) fn split_attrs(text: &str) -> Option<(&str, Attrs<'_>, Option<&str>)> {
    for (semi, _) in text.rmatch_indices(';') {
        let tail = text.get(semi + 1..)?;
        if let Some((attrs, rest)) = parse_attrs(tail) {
            return Some((text.get(..semi)?, attrs, rest));
        }
    }
    None
}

/// The token at the start of `text`, up to whitespace or closing punctuation.
pub(super) fn token(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | ';' | '>' | ']'))
        .unwrap_or(text.len());
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers() {
        let p = parse_peer("mx.test[10.0.0.1]:25");
        assert_eq!(p.name, "mx.test");
        assert_eq!(p.ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(p.port, Some(25));
        let p = parse_peer("mx.test[2001:db8::1]:587");
        assert_eq!(p.ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(p.port, Some(587));
        let p = parse_peer("unknown[10.0.0.2]");
        assert_eq!((p.name.as_str(), p.port), ("unknown", None));
        let p = parse_peer("virtual");
        assert_eq!((p.name.as_str(), p.ip), ("virtual", None));
        let p = parse_peer("h[10.0.0.3");
        assert_eq!(p.ip.as_deref(), Some("10.0.0.3"));
    }

    #[test]
    fn codes() {
        assert_eq!(leading_code("250 2.0.0 Ok"), Some(250));
        assert_eq!(leading_code("550-5.1.1 x"), Some(550));
        assert_eq!(leading_code("421"), Some(421));
        assert_eq!(leading_code("2500 x"), None);
        assert_eq!(leading_code("650 x"), None);
        assert_eq!(leading_code("25"), None);
        assert!(is_dsn("5.1.1"));
        assert!(is_dsn("4.7.100"));
        assert!(!is_dsn("3.1.1"));
        assert!(!is_dsn("5.1"));
        assert!(!is_dsn("5.1.1.1"));
        assert_eq!(
            split_codes("550 5.1.1 <u@x>: no"),
            (Some(550), Some("5.1.1"), "<u@x>: no")
        );
        assert_eq!(split_codes("5.7.1 Spam"), (None, Some("5.7.1"), "Spam"));
        assert_eq!(split_codes("<a@b>: text"), (None, None, "<a@b>: text"));
        assert_eq!(split_codes("554"), (Some(554), None, ""));
    }

    #[test]
    fn attribute_tails() {
        let (head, a, text) = split_attrs(
            "554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
        )
        .unwrap();
        assert_eq!(
            head,
            "554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked"
        );
        assert_eq!(a.from, Some("a@b"));
        assert_eq!(a.to, Some("c@d"));
        assert_eq!(a.proto, Some("ESMTP"));
        assert_eq!(a.helo, Some("x"));
        assert_eq!(text, None);
        let (head, a, text) =
            split_attrs("header Subject: a; b from local; from=<> proto=SMTP: 5.7.1 no").unwrap();
        assert_eq!(head, "header Subject: a; b from local");
        assert_eq!(a.from, Some(""));
        assert_eq!(a.proto, Some("SMTP"));
        assert_eq!(text, Some("5.7.1 no"));
        let (_, a, _) =
            split_attrs("blocked; from=<a@b>, to=<c@d>, proto=ESMTP, helo=<x>").unwrap();
        assert_eq!(
            (a.from, a.to, a.proto, a.helo),
            (Some("a@b"), Some("c@d"), Some("ESMTP"), Some("x"))
        );
        assert!(split_attrs("no attributes here").is_none());
        assert!(split_attrs("x; y=1").is_none());
    }

    #[test]
    fn tokens() {
        assert_eq!(token("ABC123) tail"), "ABC123");
        assert_eq!(token("1tABCD-0001Ab-2x"), "1tABCD-0001Ab-2x");
        assert_eq!(token(""), "");
    }
}
