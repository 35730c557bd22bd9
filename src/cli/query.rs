//! `mailtrace query`: every line of every matching queue ID.

use anyhow::{bail, Result};
use clap::Args;

use super::args::{load_inventory, target_hosts, TargetArgs, WindowArgs};
use super::{exit, open_collector};
use crate::engine::{run_query, QueryRequest};
use crate::render;

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum QueryFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Keywords (fixed strings, any case): addresses, domains, user names, queue IDs.
    #[arg(short = 'k', long = "keyword", value_name = "KEYWORD", num_args = 1.., required = true)]
    pub keywords: Vec<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: QueryFormat,
    #[arg(long)]
    pub ask_pass: bool,
}

pub async fn run(args: QueryArgs) -> Result<u8> {
    let inventory = load_inventory(args.target.inventory.as_deref())?;
    let hosts = target_hosts(&inventory, &args.target.host)?;
    if hosts
        .iter()
        .all(|h| inventory.host(h).is_some_and(|h| !h.tracked))
    {
        bail!(
            "{} is not tracked: its logs are not searched",
            args.target.host
        );
    }
    let (window, follow) = args.window.resolve(&inventory)?;
    super::check_keywords(args.keywords.iter())?;
    let request = QueryRequest {
        hosts: hosts
            .into_iter()
            .filter(|h| inventory.host(h).is_some_and(|h| h.tracked))
            .collect(),
        keywords: args.keywords.clone(),
        window,
        follow,
    };
    let collector = open_collector(inventory, args.ask_pass)?;
    let run = run_query(&collector, &request).await;
    collector.close().await;
    match args.format {
        QueryFormat::Text => print!("{}", render::query_text(&run)),
        QueryFormat::Json => println!("{}", render::json(&run)),
    }
    Ok(if run.hosts.iter().any(|h| h.error.is_some()) {
        exit::PARTIAL
    } else if run.mail_ids.is_empty() && run.line_count() == 0 {
        exit::NOTHING
    } else {
        exit::FOUND
    })
}
