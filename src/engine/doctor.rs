//! `doctor`: probe every host in parallel and judge what came back, with a
//! hint for every failure.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::collect::probe::{probe_within, Facts};
use crate::collect::Credentials;
use crate::inventory::{Host, Inventory};
use crate::parse::{parse_line, LineContext};
use crate::report::{Finding, Health, HostHealth};

/// Probes `hosts` (all tracked hosts when empty) at once and judges them.
pub async fn run_doctor(
    inventory: &Inventory,
    only: &[String],
    credentials: Credentials,
) -> Vec<HostHealth> {
    let credentials = Arc::new(credentials);
    let mut set = JoinSet::new();
    let hosts: Vec<Host> = inventory
        .hosts
        .iter()
        .filter(|h| h.tracked && (only.is_empty() || only.contains(&h.name)))
        .cloned()
        .collect();
    for (i, host) in hosts.iter().cloned().enumerate() {
        let credentials = credentials.clone();
        set.spawn(async move {
            let limit = host.connect_timeout * 2 + host.command_timeout + Duration::from_secs(5);
            (i, probe_within(&host, &credentials, limit).await)
        });
    }
    let mut facts: Vec<(usize, Facts)> = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok(pair) = done {
            facts.push(pair);
        }
    }
    facts.sort_by_key(|(i, _)| *i);
    facts
        .into_iter()
        .map(|(i, f)| judge(&hosts[i], f))
        .collect()
}

fn finding(
    check: &'static str,
    health: Health,
    detail: impl Into<String>,
    hint: Option<String>,
) -> Finding {
    Finding {
        check,
        health,
        detail: detail.into(),
        hint,
    }
}

/// Turns facts into findings.
pub fn judge(host: &Host, facts: Facts) -> HostHealth {
    let mut findings = Vec::new();
    connection_findings(host, &facts, &mut findings);
    if facts.ssh.as_ref().is_some_and(|s| s.is_ok()) || facts.address == "local" {
        log_findings(host, &facts, &mut findings);
    }
    if let Some(e) = &facts.probe_error {
        findings.push(finding(
            "probe",
            Health::Fail,
            e.clone(),
            Some("run the probe by hand: is /bin/sh POSIX, are stat and grep there?".into()),
        ));
    }
    let health = findings
        .iter()
        .map(|f| f.health)
        .max()
        .unwrap_or(Health::Pass);
    HostHealth {
        host: host.name.clone(),
        health,
        auth: facts.ssh.as_ref().and_then(|s| s.as_ref().ok().cloned()),
        files: facts.files.len(),
        findings,
        facts,
    }
}

fn connection_findings(host: &Host, facts: &Facts, out: &mut Vec<Finding>) {
    match &facts.resolved {
        Some(Err(e)) => {
            out.push(finding(
                "resolve",
                Health::Fail,
                format!("cannot resolve {}: {e}", facts.address),
                Some(
                    "check `address` in the inventory, or DNS / /etc/hosts on this machine".into(),
                ),
            ));
            return;
        }
        Some(Ok(ips)) => out.push(finding("resolve", Health::Pass, ips.join(", "), None)),
        None => {}
    }
    match &facts.tcp {
        Some(Err(e)) => {
            out.push(finding(
                "reach",
                Health::Fail,
                format!("{}: {e}", facts.address),
                Some("is sshd running there, and does a firewall let this machine in?".into()),
            ));
            return;
        }
        Some(Ok(ms)) => out.push(finding(
            "reach",
            Health::Pass,
            format!("TCP connect in {ms} ms"),
            None,
        )),
        None => {}
    }
    match &facts.ssh {
        Some(Err(e)) => {
            let hint = if e.contains("MISMATCH") {
                "the host key changed: verify the new key with the host's admin; if it is expected, remove the old entry named above from known_hosts"
            } else if e.contains("is not in") {
                "add the host key (ssh-keyscan -p PORT HOST >> known_hosts, after checking its fingerprint) or set host_key_policy: accept-new"
            } else if e.contains("authentication") {
                "check user, identity_files and the agent; the key's public half must be in the user's authorized_keys"
            } else {
                "see the error; try `ssh -v` with the same user and port"
            };
            out.push(finding("ssh", Health::Fail, e.clone(), Some(hint.into())));
        }
        Some(Ok(method)) => out.push(finding(
            "ssh",
            Health::Pass,
            format!(
                "host key verified ({}), logged in as {} with {method}",
                host.host_key_policy, host.user
            ),
            None,
        )),
        None => {}
    }
    if let Some(Err(e)) = &facts.sudo {
        out.push(finding(
            "sudo",
            Health::Fail,
            e.clone(),
            Some(format!(
                "allow `sudo -n sh` without a password for {} or set sudo: false",
                host.user
            )),
        ));
    }
}

fn log_findings(host: &Host, facts: &Facts, out: &mut Vec<Finding>) {
    tool_findings(host, facts, out);
    if facts.files.is_empty() {
        out.push(finding(
            "logs",
            Health::Fail,
            format!("no file matches {}", host.logs.join(", ")),
            Some("fix `logs` in the inventory (where does this host's Postfix log?)".into()),
        ));
        return;
    }
    file_findings(host, facts, out);
    if let Some(skew) = facts.clock_skew.filter(|s| s.abs() > 60) {
        out.push(finding(
            "clock",
            Health::Warn,
            format!("the host's clock is {skew}s off ours"),
            Some("run NTP on the host; windows are compared in absolute time".into()),
        ));
    }
    timestamp_findings(host, facts, out);
}

/// The tools the search needs, and the decompressors the files need.
fn tool_findings(host: &Host, facts: &Facts, out: &mut Vec<Finding>) {
    for tool in ["grep", "gzip", "stat"] {
        if !facts.tools.iter().any(|t| t == tool) {
            out.push(finding(
                "tools",
                Health::Fail,
                format!("{tool} is missing"),
                Some(format!("install {tool} on {}", host.name)),
            ));
        }
    }
    for (ext, tool) in [(".xz", "xz"), (".bz2", "bzip2"), (".zst", "zstd")] {
        if facts.files.iter().any(|f| f.path.ends_with(ext))
            && !facts.tools.iter().any(|t| t == tool)
        {
            out.push(finding(
                "tools",
                Health::Warn,
                format!("{ext} files but no {tool}: they are skipped"),
                Some(format!("install {tool} on {}", host.name)),
            ));
        }
    }
}

/// Whether the log files can be read and are still being written.
fn file_findings(host: &Host, facts: &Facts, out: &mut Vec<Finding>) {
    for f in facts.files.iter().filter(|f| !f.readable) {
        out.push(finding(
            "logs",
            Health::Fail,
            format!("permission denied on {}", f.path),
            Some(format!(
                "add {} to the group that reads the logs (often adm) or set sudo: true",
                host.user
            )),
        ));
    }
    let Some(newest) = facts.files.iter().max_by_key(|f| f.mtime) else {
        return;
    };
    let age = chrono::Utc::now() - newest.mtime;
    let bytes: u64 = facts.files.iter().map(|f| f.size).sum();
    let detail = format!(
        "{} file(s), {bytes} bytes, newest {} written {} ago",
        facts.files.len(),
        newest.path,
        human(age.num_seconds())
    );
    if age.num_hours() > 24 {
        out.push(finding(
            "logs",
            Health::Warn,
            detail,
            Some("is Postfix still logging to these files?".into()),
        ));
    } else {
        out.push(finding("logs", Health::Pass, detail, None));
    }
}

/// Whether the first line sampled reads as a time inside its file's span
/// (the span runs from the next older file's mtime to its own) in the
/// host's zone.
fn timestamp_findings(host: &Host, facts: &Facts, out: &mut Vec<Finding>) {
    let newest = facts.files.iter().max_by_key(|f| f.mtime);
    let sampled = facts
        .first_file
        .as_ref()
        .and_then(|p| facts.files.iter().find(|f| &f.path == p))
        .or(newest);
    let (Some(line), Some(newest)) = (
        facts.first_line.as_ref().filter(|l| !l.trim().is_empty()),
        sampled,
    ) else {
        return;
    };
    let older = facts
        .files
        .iter()
        .map(|f| f.mtime)
        .filter(|m| *m < newest.mtime)
        .max();
    let ctx = LineContext {
        zone: host.zone,
        reference: newest.mtime,
    };
    let event = match parse_line(line, &ctx) {
        Ok(event) => event,
        Err(e) => {
            out.push(finding(
                "timestamps",
                Health::Warn,
                format!("first line of {} not understood ({e})", newest.path),
                Some("is this a syslog-format mail log?".into()),
            ));
            return;
        }
    };
    let t = event.time.to_utc();
    let too_late = t > newest.mtime + chrono::Duration::hours(1);
    let too_early = older.is_some_and(|o| t < o - chrono::Duration::hours(1));
    if too_late || too_early {
        out.push(finding(
            "timestamps",
            Health::Warn,
            format!(
                "first line of {} reads {} in {}, outside the file's time span",
                newest.path, event.time, host.zone
            ),
            Some("check `timezone` for this host".into()),
        ));
    } else {
        out.push(finding(
            "timestamps",
            Health::Pass,
            format!("syslog timestamps fit zone {}", host.zone),
            None,
        ));
    }
}

fn human(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
