//! Arguments shared by several commands: inventory, target host, time window.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;
use clap::{Args, ValueEnum};

use crate::inventory::Inventory;
use crate::time::{parse_duration, parse_local_time, Window, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Dot,
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Inventory file (else $MAILTRACE_INVENTORY, ./inventory.yaml, ~/.config/mailtrace/inventory.yaml).
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Where to start: a cluster, a host, or any alias or IP of a host.
    #[arg(long, value_name = "HOST")]
    pub host: String,
}

#[derive(Debug, Clone, Args)]
pub struct WindowArgs {
    /// Centre of the window, "YYYY-MM-DD HH:MM:SS" in --tz (default: the inventory's timezone).
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Span before and after --time (90s, 30m, 4h, 1d, 1h30m); without --time, the span up to now.
    #[arg(long, value_name = "DURATION")]
    pub range: Option<String>,
    /// Zone --time is read in: IANA name, +08:00, or local.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// How far past the window to follow retries and later hops.
    #[arg(long, value_name = "DURATION", default_value = "5d")]
    pub follow: String,
}

impl WindowArgs {
    /// The search window and the follow span.
    pub fn resolve(&self, inventory: &Inventory) -> Result<(Window, Duration)> {
        let zone = match &self.tz {
            Some(tz) => Zone::parse(tz).map_err(|e| anyhow!("--tz: {e}"))?,
            None => inventory.zone,
        };
        let follow = parse_duration(&self.follow).map_err(|e| anyhow!("--follow: {e}"))?;
        let range = match &self.range {
            Some(r) => Some(parse_duration(r).map_err(|e| anyhow!("--range: {e}"))?),
            None => None,
        };
        let window = match &self.time {
            Some(t) => {
                let centre = parse_local_time(t, &zone).map_err(|e| anyhow!("--time: {e}"))?;
                Window::around(centre, range.unwrap_or(Duration::from_secs(4 * 3600)))
            }
            None => {
                let span = range.unwrap_or(Duration::from_secs(86_400));
                let now = Utc::now();
                let back = chrono::Duration::from_std(span).context("--range is too large")?;
                Window {
                    from: now - back,
                    to: now,
                }
            }
        };
        Ok((window, follow))
    }
}

/// Loads the inventory named by -i or found in the usual places.
pub fn load_inventory(explicit: Option<&std::path::Path>) -> Result<Inventory> {
    let path = Inventory::locate(explicit)?;
    Ok(Inventory::load(&path)?)
}

/// The inventory names of the hosts a --host argument stands for.
pub fn target_hosts(inventory: &Inventory, target: &str) -> Result<Vec<String>> {
    Ok(inventory
        .resolve_target(target)?
        .into_iter()
        .map(|h| h.name.clone())
        .collect())
}
