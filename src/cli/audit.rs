//! `mailtrace audit`: a report of a window's mail, built for cron.

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;
use clap::Args;

use super::args::load_inventory;
use super::{exit, open_collector};
use crate::engine::{run_audit, AuditRequest};
use crate::render;
use crate::time::{parse_duration, parse_local_time, Window};

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    Text,
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Problems,
    Never,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// The window up to now (default 24h).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["from", "to"])]
    pub since: Option<String>,
    /// Window start, "YYYY-MM-DD HH:MM:SS" in the inventory's zone (with --to).
    #[arg(long, value_name = "TIME", requires = "to")]
    pub from: Option<String>,
    #[arg(long, value_name = "TIME", requires = "from")]
    pub to: Option<String>,
    /// Only these clusters (repeatable).
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: AuditFormat,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 4 on stuck mail, path anomalies or failed hosts.
    #[arg(long, value_enum, default_value = "never")]
    pub fail_on: FailOn,
}

pub async fn run(args: AuditArgs) -> Result<u8> {
    let inventory = load_inventory(args.inventory.as_deref())?;
    for c in &args.cluster {
        if !inventory.clusters.iter().any(|k| &k.name == c) {
            let known: Vec<&str> = inventory.clusters.iter().map(|k| k.name.as_str()).collect();
            return Err(anyhow!(
                "--cluster: no cluster `{c}` (clusters: {})",
                known.join(", ")
            ));
        }
    }
    let window = match (&args.from, &args.to) {
        (Some(f), Some(t)) => Window {
            from: parse_local_time(f, &inventory.zone).map_err(|e| anyhow!("--from: {e}"))?,
            to: parse_local_time(t, &inventory.zone).map_err(|e| anyhow!("--to: {e}"))?,
        },
        _ => {
            let span = parse_duration(args.since.as_deref().unwrap_or("24h"))
                .map_err(|e| anyhow!("--since: {e}"))?;
            let now = Utc::now();
            Window {
                from: now - chrono::Duration::from_std(span).context("--since is too large")?,
                to: now,
            }
        }
    };
    if window.from > window.to {
        return Err(anyhow!("--from is after --to"));
    }
    let request = AuditRequest {
        clusters: args.cluster.clone(),
        window,
        follow: std::time::Duration::from_secs(5 * 86_400),
    };
    let collector = open_collector(inventory, false)?;
    let run = run_audit(&collector, &request).await;
    collector.close().await;
    let text = match args.format {
        AuditFormat::Text => render::audit_text(&run),
        AuditFormat::Markdown => render::audit_markdown(&run),
        AuditFormat::Html => render::audit_html(&run),
        AuditFormat::Json => render::json(&run) + "\n",
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(
        if args.fail_on == FailOn::Problems && !run.problems.is_empty() {
            exit::PROBLEM
        } else {
            exit::FOUND
        },
    )
}
