//! `mailtrace clusters`: what the inventory calls what.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::{json, Map, Value};

use super::args::load_inventory;
use super::exit;

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum ClustersFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ClustersArgs {
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ClustersFormat,
}

pub fn run(args: ClustersArgs) -> Result<u8> {
    let inventory = load_inventory(args.inventory.as_deref())?;
    match args.format {
        ClustersFormat::Json => {
            let mut map = Map::new();
            for c in &inventory.clusters {
                map.insert(c.name.clone(), json!(c.hosts));
            }
            println!("{}", serde_json::to_string_pretty(&Value::Object(map))?);
        }
        ClustersFormat::Text => {
            for c in &inventory.clusters {
                println!("{}: {}", c.name, c.hosts.join(", "));
            }
            let loose: Vec<&str> = inventory
                .hosts
                .iter()
                .filter(|h| h.clusters.is_empty())
                .map(|h| h.name.as_str())
                .collect();
            if !loose.is_empty() {
                println!("(no cluster): {}", loose.join(", "));
            }
            let untracked: Vec<&str> = inventory
                .hosts
                .iter()
                .filter(|h| !h.tracked)
                .map(|h| h.name.as_str())
                .collect();
            if !untracked.is_empty() {
                println!("untracked (logs not searched): {}", untracked.join(", "));
            }
        }
    }
    Ok(exit::FOUND)
}
