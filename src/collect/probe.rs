//! Gathering a host's health facts for `doctor`: name resolution, TCP reach,
//! SSH login (host key and method), sudo, and the probe script's answer.
//! Facts only; judging them is the engine's job.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ssh::{Credentials, SshSession};
use crate::inventory::{Address, Host};
use crate::plan::probe_command;
use crate::plan::protocol::{read_control, Control};

/// A log file as the probe saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ProbedFile {
    pub path: String,
    pub mtime: DateTime<Utc>,
    pub size: u64,
    pub readable: bool,
}

/// Everything learned about one host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub host: String,
    pub address: String,
    pub resolved: Option<Result<Vec<String>, String>>,
    pub tcp: Option<Result<u64, String>>,
    pub ssh: Option<Result<String, String>>,
    pub sudo: Option<Result<(), String>>,
    pub files: Vec<ProbedFile>,
    pub first_line: Option<String>,
    /// The file `first_line` came from.
    pub first_file: Option<String>,
    /// The host's clock minus ours, in seconds.
    pub clock_skew: Option<i64>,
    pub tools: Vec<String>,
    pub probe_error: Option<String>,
}

/// Probes one host, in order, stopping at the first step that fails.
pub async fn probe(host: &Host, credentials: &Credentials) -> Facts {
    let mut facts = Facts {
        host: host.name.clone(),
        ..Facts::default()
    };
    let (addr, port) = match &host.address {
        Address::Local => {
            facts.address = "local".into();
            probe_local(host, &mut facts);
            return facts;
        }
        Address::Ssh { host, port } => (host.clone(), *port),
    };
    facts.address = format!("{addr}:{port}");
    let resolved = tokio::time::timeout(
        host.connect_timeout,
        tokio::net::lookup_host((addr.as_str(), port)),
    )
    .await;
    let addrs: Vec<std::net::SocketAddr> = match resolved {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            facts.resolved = Some(Err(e.to_string()));
            return facts;
        }
        Err(_) => {
            facts.resolved = Some(Err("timed out".into()));
            return facts;
        }
    };
    facts.resolved = Some(Ok(addrs.iter().map(|a| a.ip().to_string()).collect()));
    let started = Instant::now();
    let tcp = match addrs.first() {
        None => Err("no address".to_string()),
        Some(a) => {
            match tokio::time::timeout(host.connect_timeout, tokio::net::TcpStream::connect(a))
                .await
            {
                Ok(Ok(_)) => Ok(crate::time::millis(started.elapsed())),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!(
                    "timed out after {}s",
                    host.connect_timeout.as_secs()
                )),
            }
        }
    };
    let reachable = tcp.is_ok();
    facts.tcp = Some(tcp);
    if reachable {
        probe_over_ssh(host, credentials, &mut facts).await;
    }
    facts
}

/// The steps after TCP reach: login, sudo, and the probe script.
async fn probe_over_ssh(host: &Host, credentials: &Credentials, facts: &mut Facts) {
    let session = match SshSession::open(host, credentials).await {
        Ok(s) => s,
        Err(e) => {
            facts.ssh = Some(Err(e.to_string()));
            return;
        }
    };
    facts.ssh = Some(Ok(session.auth_method.clone()));
    if host.sudo {
        let sudo = session
            .run("sudo -n true", host.command_timeout, |_| {})
            .await;
        facts.sudo = Some(match sudo {
            Ok(end) if end.exit_status == Some(0) => Ok(()),
            Ok(end) => Err(if end.stderr.is_empty() {
                "sudo -n true failed".into()
            } else {
                end.stderr
            }),
            Err(e) => Err(e.to_string()),
        });
    }
    let mut output = Vec::new();
    let sent_at = Utc::now();
    let run = session
        .run(
            &probe_command(&host.logs, host.sudo),
            host.command_timeout,
            |chunk| {
                if output.len() < 1 << 20 {
                    output.extend_from_slice(chunk);
                }
            },
        )
        .await;
    session.close().await;
    match run {
        Err(e) => facts.probe_error = Some(e.to_string()),
        Ok(end) => {
            let text = String::from_utf8_lossy(&output);
            read_probe(&text, sent_at, facts);
            if !finished(&text) {
                facts.probe_error = Some(if end.stderr.is_empty() {
                    format!("the probe did not finish (exit {:?})", end.exit_status)
                } else {
                    end.stderr
                });
            }
        }
    }
}

/// Runs the probe script under this machine's `sh`, as a server would.
fn probe_local(host: &Host, facts: &mut Facts) {
    let mut output = Vec::new();
    let sent_at = Utc::now();
    let run = super::local::run_sh(&probe_command(&host.logs, false), &mut |chunk| {
        output.extend_from_slice(chunk)
    });
    let text = String::from_utf8_lossy(&output);
    read_probe(&text, sent_at, facts);
    match run {
        Err(e) => facts.probe_error = Some(e.to_string()),
        Ok((status, stderr)) if !finished(&text) => {
            facts.probe_error = Some(if stderr.is_empty() {
                format!("the probe did not finish (exit {:?})", status.code())
            } else {
                stderr
            });
        }
        Ok(_) => {}
    }
}

/// Whether the probe printed its last line.
fn finished(text: &str) -> bool {
    text.lines().any(|l| read_control(l) == Some(Control::Done))
}

fn read_probe(text: &str, sent_at: DateTime<Utc>, facts: &mut Facts) {
    for control in text.lines().filter_map(read_control) {
        match control {
            Control::Clock(Some(remote)) => facts.clock_skew = Some(remote - sent_at.timestamp()),
            Control::Tool(tool) => facts.tools.push(tool),
            Control::Log { readable, stat } => facts.files.push(ProbedFile {
                mtime: stat.mtime_utc(),
                path: stat.path,
                size: stat.size,
                readable,
            }),
            Control::First(line) => facts.first_line = Some(line),
            Control::FirstFile(path) => facts.first_file = Some(path),
            _ => {}
        }
    }
}

/// Probes with an overall deadline, so one stuck host never holds the report.
pub async fn probe_within(host: &Host, credentials: &Credentials, limit: Duration) -> Facts {
    match tokio::time::timeout(limit, probe(host, credentials)).await {
        Ok(f) => f,
        Err(_) => Facts {
            host: host.name.clone(),
            probe_error: Some(format!("no answer within {}s", limit.as_secs())),
            ..Facts::default()
        },
    }
}
