//! Checks and conversions of single inventory values (ports, durations,
//! zones, policies, names), each failure pointing at the value's position.

use std::time::Duration;

use serde_saphyr::Spanned;

use super::error::{Located, Problem};
use super::position::Pos;
use super::schema::DurationText;
use super::HostKeyPolicy;
use crate::time::{parse_duration, Zone};

/// A text value that must not be blank, trimmed.
pub fn non_empty(value: &Spanned<String>, key: &str) -> Result<String, Located> {
    let text = value.value.trim();
    if text.is_empty() {
        return Err(Located::new(
            Pos::of(value),
            Problem::Empty(key.to_string()),
        ));
    }
    Ok(text.to_string())
}

/// A port from 1 to 65535.
pub fn port(value: &Spanned<u16>) -> Result<u16, Located> {
    match value.value {
        0 => Err(Located::new(Pos::of(value), Problem::PortZero)),
        port => Ok(port),
    }
}

/// A number of hosts searched at once, at least 1.
pub fn concurrency(value: &Spanned<usize>) -> Result<usize, Located> {
    match value.value {
        0 => Err(Located::new(Pos::of(value), Problem::ConcurrencyZero)),
        n => Ok(n),
    }
}

/// `limits.max_hops`, at least 1.
pub fn max_hops(value: &Spanned<usize>) -> Result<usize, Located> {
    match value.value {
        0 => Err(Located::new(Pos::of(value), Problem::MaxHopsZero)),
        n => Ok(n),
    }
}

/// A duration longer than zero.
pub fn duration(value: &Spanned<DurationText>, key: &str) -> Result<Duration, Located> {
    let bad = |message: String| {
        Located::new(
            Pos::of(value),
            Problem::BadDuration {
                key: key.to_string(),
                message,
            },
        )
    };
    let parsed = parse_duration(&value.value.0).map_err(bad)?;
    if parsed.is_zero() {
        return Err(bad(format!(
            "`{}` is no time at all: give a duration longer than 0s",
            value.value.0
        )));
    }
    Ok(parsed)
}

/// An IANA zone, an offset, or `local`.
pub fn zone(value: &Spanned<String>) -> Result<Zone, Located> {
    Zone::parse(&value.value)
        .map_err(|message| Located::new(Pos::of(value), Problem::BadTimezone(message)))
}

/// `strict`, `accept-new` or `off`.
pub fn host_key_policy(value: &Spanned<String>) -> Result<HostKeyPolicy, Located> {
    HostKeyPolicy::parse(&value.value).ok_or_else(|| {
        Located::new(
            Pos::of(value),
            Problem::BadHostKeyPolicy(value.value.clone()),
        )
    })
}

/// The name of an environment variable. Only the name is kept; the
/// variable itself is read by whoever needs the password.
pub fn env_name(value: &Spanned<String>) -> Result<String, Located> {
    let name = value.value.trim();
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid {
        return Err(Located::new(
            Pos::of(value),
            Problem::BadEnvName(name.to_string()),
        ));
    }
    Ok(name.to_string())
}

/// A non-empty list of log files or globs.
pub fn logs(value: &Spanned<Vec<String>>) -> Result<Vec<String>, Located> {
    let logs: Vec<String> = value
        .value
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if logs.is_empty() {
        return Err(Located::new(Pos::of(value), Problem::EmptyLogs));
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct One<T> {
        v: Spanned<T>,
    }

    fn spanned<T: for<'de> Deserialize<'de>>(yaml_value: &str) -> Spanned<T> {
        serde_saphyr::from_str::<One<T>>(&format!("v: {yaml_value}\n"))
            .unwrap()
            .v
    }

    fn problem<T: std::fmt::Debug>(result: Result<T, Located>) -> (Problem, u64, u64) {
        let located = result.unwrap_err();
        (located.problem, located.pos.line, located.pos.column)
    }

    #[test]
    fn ports_concurrency_and_max_hops_must_be_positive() {
        assert_eq!(port(&spanned("2222")).unwrap(), 2222);
        assert_eq!(problem(port(&spanned("0"))), (Problem::PortZero, 1, 4));
        assert_eq!(concurrency(&spanned("4")).unwrap(), 4);
        assert_eq!(
            problem(concurrency(&spanned("0"))),
            (Problem::ConcurrencyZero, 1, 4)
        );
        assert_eq!(max_hops(&spanned("12")).unwrap(), 12);
        assert_eq!(
            problem(max_hops(&spanned("0"))),
            (Problem::MaxHopsZero, 1, 4)
        );
    }

    #[test]
    fn durations_read_units_and_refuse_zero_and_junk() {
        assert_eq!(
            duration(&spanned("90s"), "connect_timeout").unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            duration(&spanned("15"), "connect_timeout").unwrap(),
            Duration::from_secs(15)
        );
        let (p, line, col) = problem(duration(&spanned("soon"), "command_timeout"));
        assert!(
            matches!(p, Problem::BadDuration { ref key, .. } if key == "command_timeout"),
            "{p:?}"
        );
        assert_eq!((line, col), (1, 4));
        assert!(duration(&spanned("0s"), "connect_timeout").is_err());
    }

    #[test]
    fn zones_and_policies() {
        assert_eq!(zone(&spanned("local")).unwrap(), Zone::Local);
        assert!(matches!(
            zone(&spanned("Asia/Taipei")).unwrap(),
            Zone::Iana(_)
        ));
        assert!(matches!(
            zone(&spanned("\"+08:00\"")).unwrap(),
            Zone::Fixed(_)
        ));
        assert!(matches!(
            problem(zone(&spanned("Mars/Olympus"))).0,
            Problem::BadTimezone(_)
        ));
        assert_eq!(
            host_key_policy(&spanned("accept-new")).unwrap(),
            HostKeyPolicy::AcceptNew
        );
        assert_eq!(
            problem(host_key_policy(&spanned("yolo"))).0,
            Problem::BadHostKeyPolicy("yolo".into())
        );
    }

    #[test]
    fn env_names_and_logs() {
        assert_eq!(
            env_name(&spanned("MAILTRACE_SSH_PASSWORD")).unwrap(),
            "MAILTRACE_SSH_PASSWORD"
        );
        assert_eq!(
            problem(env_name(&spanned("\"1BAD\""))).0,
            Problem::BadEnvName("1BAD".into())
        );
        assert_eq!(
            problem(env_name(&spanned("\"a b\""))).0,
            Problem::BadEnvName("a b".into())
        );
        assert_eq!(
            logs(&spanned("[/var/log/maillog*]")).unwrap(),
            vec!["/var/log/maillog*"]
        );
        assert_eq!(
            problem(logs(&spanned::<Vec<String>>("[]"))),
            (Problem::EmptyLogs, 1, 4)
        );
        assert_eq!(
            problem(non_empty(&spanned("\" \""), "user")).0,
            Problem::Empty("user".into())
        );
    }
}
