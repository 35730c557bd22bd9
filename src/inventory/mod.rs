//! The inventory: which hosts mailtrace may search, how to reach each one,
//! which names and addresses other hosts' logs use for it, and how hosts
//! group into clusters. Read once from `inventory.yaml`, then only read.
//!
//! Files: `schema` is the YAML shape, `resolve` turns it into the values
//! below (defaults, `~/.ssh/config`, checks), `env` is what comes from the
//! machine, `position` finds lines in the text, `suggest` proposes names.
//! `routes` holds the declared mail architecture (routes and limits) and
//! documents its grammar; `route_text` reads it.

mod env;
mod error;
mod names;
mod position;
mod resolve;
mod route_text;
mod routes;
mod schema;
mod ssh_config;
mod suggest;
mod syntax;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::time::Zone;

pub use env::{Env, INVENTORY_VAR};
pub use error::{InventoryError, Problem, UnknownRouteName};
pub use routes::{AuditSettings, Limits, Route, Routes, Step, EXTERNAL};

/// How many names an unknown target's error suggests.
const SUGGESTIONS: usize = 3;

/// A resolved inventory: every default applied, every name checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// The file it was read from (used in messages).
    pub path: PathBuf,
    /// `defaults.timezone`, or this machine's zone.
    pub zone: Zone,
    /// Domains whose mail is delivered inside the site, lower-case.
    pub local_domains: Vec<String>,
    /// How many hosts are searched at once.
    pub concurrency: usize,
    /// The hosts, in file order.
    pub hosts: Vec<Host>,
    /// The clusters, in file order.
    pub clusters: Vec<Cluster>,
    /// The routes mail is meant to take (`routes:`), none when not written.
    pub routes: Routes,
    /// What a trace is held to (`limits:`), defaults when not written.
    pub limits: Limits,
    /// Thresholds of `mailtrace audit` (`audit:`), defaults when not written.
    pub audit: AuditSettings,
}

/// A named group of hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    /// Inventory names of its hosts, in the order the cluster lists them.
    pub hosts: Vec<String>,
}

/// One host with all of its settings resolved. Holds no secret: for a
/// password it keeps only the name of the variable that holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// The name in the inventory.
    pub name: String,
    /// Where its logs are read.
    pub address: Address,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    /// Try keys offered by the SSH agent first.
    pub use_agent: bool,
    /// Name of the environment variable holding the SSH password, if any.
    pub password_env: Option<String>,
    pub known_hosts: PathBuf,
    pub host_key_policy: HostKeyPolicy,
    /// Run the log search through `sudo -n`.
    pub sudo: bool,
    /// Log files or globs to search.
    pub logs: Vec<String>,
    /// The zone its log timestamps are written in.
    pub zone: Zone,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    /// Every name and address other hosts' logs may use for it, lower-case:
    /// its name, its aliases, its address and the short forms of its dotted
    /// name and address.
    pub aliases: Vec<String>,
    /// Whether its logs are searched (false: mail may be handed to it, but
    /// its logs are out of reach).
    pub tracked: bool,
    /// The clusters that list it, in file order.
    pub clusters: Vec<String>,
}

/// Where a host's logs are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// Over SSH.
    Ssh { host: String, port: u16 },
    /// On the machine mailtrace runs on.
    Local,
}

/// What to do with a host key that `known_hosts` does not vouch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Refuse unknown and changed keys.
    Strict,
    /// Record unknown keys, refuse changed ones.
    AcceptNew,
    /// Accept any key.
    Off,
}

impl HostKeyPolicy {
    /// Reads `strict`, `accept-new` or `off`.
    pub fn parse(text: &str) -> Option<HostKeyPolicy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "strict" => Some(HostKeyPolicy::Strict),
            "accept-new" => Some(HostKeyPolicy::AcceptNew),
            "off" => Some(HostKeyPolicy::Off),
            _ => None,
        }
    }
}

impl fmt::Display for HostKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Off => "off",
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ssh { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Ssh { host, port } => write!(f, "{host}:{port}"),
            Address::Local => f.write_str("local"),
        }
    }
}

impl Inventory {
    /// Reads and resolves the inventory file at `path`.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Inventory::parse(&text, path)
    }

    /// Resolves inventory text. `path` names the file in messages and is the
    /// base of relative paths inside it.
    pub fn parse(text: &str, path: &Path) -> Result<Inventory, InventoryError> {
        Inventory::parse_with(text, path, &Env::from_process())
    }

    /// [`Inventory::parse`] with the home directory and user taken from `env`
    /// instead of the process environment.
    pub fn parse_with(text: &str, path: &Path, env: &Env) -> Result<Inventory, InventoryError> {
        resolve::resolve(text, path, env)
    }

    /// Finds the inventory file: `explicit` (`-i PATH`), then
    /// `$MAILTRACE_INVENTORY`, then `./inventory.yaml`, then
    /// `~/.config/mailtrace/inventory.yaml`.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, InventoryError> {
        Env::from_process().locate(explicit)
    }

    /// The host with exactly this inventory name.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The host known by this name, alias or address, ignoring case and a
    /// trailing dot.
    pub fn find_host(&self, name_or_alias_or_ip: &str) -> Option<&Host> {
        let wanted = normalize(name_or_alias_or_ip);
        if wanted.is_empty() {
            return None;
        }
        self.hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&wanted))
            .or_else(|| self.hosts.iter().find(|h| h.aliases.contains(&wanted)))
    }

    /// The hosts a command-line target stands for: every host of a cluster
    /// (in cluster order), or the one host with that name or alias.
    pub fn resolve_target(&self, target: &str) -> Result<Vec<&Host>, InventoryError> {
        let wanted = normalize(target);
        if let Some(cluster) = self
            .clusters
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&wanted))
        {
            return Ok(cluster
                .hosts
                .iter()
                .filter_map(|name| self.host(name))
                .collect());
        }
        if let Some(host) = self.find_host(target) {
            return Ok(vec![host]);
        }
        let candidates = self
            .clusters
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.hosts.iter().map(|h| h.name.as_str()))
            .chain(
                self.hosts
                    .iter()
                    .flat_map(|h| h.aliases.iter().map(String::as_str)),
            );
        Err(InventoryError::UnknownTarget {
            path: self.path.clone(),
            target: target.to_string(),
            closest: suggest::closest(&wanted, candidates, SUGGESTIONS),
            clusters: self.clusters.iter().map(|c| c.name.clone()).collect(),
        })
    }

    /// The hosts whose logs are searched, in file order.
    pub fn tracked_hosts(&self) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(|h| h.tracked)
    }

    /// The first cluster (in file order) that lists the host known by this
    /// name or alias.
    pub fn cluster_of(&self, host: &str) -> Option<&str> {
        let name = &self.find_host(host)?.name;
        self.clusters
            .iter()
            .find(|c| c.hosts.iter().any(|h| h == name))
            .map(|c| c.name.as_str())
    }
}

/// A name as compared against aliases: trimmed, lower-case, without the
/// trailing dot of a fully qualified name.
pub(crate) fn normalize(name: &str) -> String {
    let trimmed = name.trim();
    trimmed
        .strip_suffix('.')
        .unwrap_or(trimmed)
        .to_ascii_lowercase()
}
