//! `mailtrace check-flow`: account for every message that entered a cluster.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use super::args::{load_inventory, target_hosts, WindowArgs};
use super::{exit, open_collector};
use crate::engine::{run_flow, FlowRequest};
use crate::render;

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum FlowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct FlowArgs {
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// The cluster (or host) whose flows to account for.
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: String,
    /// Only messages whose lines match these keywords (default: every arrival).
    #[arg(short = 'k', long = "keyword", value_name = "KEYWORD", num_args = 1..)]
    pub keywords: Vec<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: FlowFormat,
}

pub async fn run(args: FlowArgs) -> Result<u8> {
    let inventory = load_inventory(args.inventory.as_deref())?;
    let hosts = target_hosts(&inventory, &args.cluster)?;
    if hosts
        .iter()
        .all(|h| inventory.host(h).is_some_and(|h| !h.tracked))
    {
        bail!("{} is not tracked: its logs are not searched", args.cluster);
    }
    super::check_keywords(args.keywords.iter())?;
    let (window, follow) = args.window.resolve(&inventory)?;
    let request = FlowRequest {
        cluster: args.cluster.clone(),
        hosts,
        window,
        keywords: args.keywords.clone(),
        follow,
    };
    let collector = open_collector(inventory, false)?;
    let run = run_flow(&collector, &request).await;
    collector.close().await;
    match args.format {
        FlowFormat::Text => print!("{}", render::flow_text(&run)),
        FlowFormat::Json => println!("{}", render::json(&run)),
    }
    Ok(if run.summary.problems > 0 {
        exit::PROBLEM
    } else if run.hosts.iter().any(|h| h.error.is_some()) {
        exit::PARTIAL
    } else {
        exit::FOUND
    })
}
