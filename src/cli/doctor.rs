//! `mailtrace doctor`: is every host reachable, readable and sane?

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::args::{load_inventory, target_hosts};
use super::exit;
use crate::collect::Credentials;
use crate::engine::{run_doctor, Health};
use crate::render;

#[derive(Debug, Clone, clap::ValueEnum, PartialEq, Eq)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Only this cluster, host or alias.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DoctorFormat,
}

pub async fn run(args: DoctorArgs) -> Result<u8> {
    let inventory = load_inventory(args.inventory.as_deref())?;
    let only = match &args.host {
        Some(h) => target_hosts(&inventory, h)?,
        None => Vec::new(),
    };
    let rows = run_doctor(&inventory, &only, Credentials::new(None, false)).await;
    match args.format {
        DoctorFormat::Text => print!("{}", render::doctor_text(&rows)),
        DoctorFormat::Json => println!("{}", render::json(&rows)),
    }
    Ok(if rows.iter().any(|r| r.health == Health::Fail) {
        exit::PARTIAL
    } else {
        exit::FOUND
    })
}
