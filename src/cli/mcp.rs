//! `mailtrace mcp`: serve the MCP tools over stdio (stdout carries only the
//! protocol; logs go to stderr).

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Args;

use super::args::load_inventory;
use super::exit;
use crate::time::parse_duration;

#[derive(Debug, Args)]
pub struct McpArgs {
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Close a host's SSH connection after this long without a call.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub idle_timeout: String,
}

pub async fn run(args: McpArgs) -> Result<u8> {
    let inventory = load_inventory(args.inventory.as_deref())?;
    let idle = parse_duration(&args.idle_timeout).map_err(|e| anyhow!("--idle-timeout: {e}"))?;
    crate::mcp::serve_stdio(inventory, idle).await?;
    Ok(exit::FOUND)
}
