//! Errors of the inventory: every problem found in the file carries the
//! file, line and column it comes from.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::position::Pos;

/// How many names an error message lists before it cuts the list short.
const LISTED: usize = 8;

/// Anything that stops an inventory from being located, read or used.
#[derive(Debug, Error)]
pub enum InventoryError {
    /// No inventory file exists at any of the places looked at.
    #[error("no inventory file found (tried: {})", paths(tried))]
    NotFound { tried: Vec<PathBuf> },

    /// The file exists but could not be read.
    #[error("{}: cannot read the inventory: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file was read but something in it is wrong.
    #[error("{}:{line}:{column}: {problem}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        problem: Problem,
    },

    /// A name given on the command line is no cluster, host or alias.
    #[error(
        "`{target}` is not a cluster, host or alias in {} (closest: {}; clusters: {})",
        path.display(),
        names(closest),
        if clusters.is_empty() { "none".to_string() } else { clusters.join(", ") }
    )]
    UnknownTarget {
        path: PathBuf,
        target: String,
        /// The nearest names by edit distance, nearest first.
        closest: Vec<String>,
        /// Every cluster of the inventory, in file order.
        clusters: Vec<String>,
    },
}

/// What is wrong at one place of an inventory file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    /// The text is not YAML, or a value has the wrong type.
    #[error("{0}")]
    Syntax(String),

    /// A key that the inventory does not know.
    #[error("unknown key `{key}` in {section} (expected one of: {})", expected.join(", "))]
    UnknownKey {
        key: String,
        /// Where the key sits, such as `defaults` or `hosts.csmx1`.
        section: String,
        expected: Vec<String>,
    },

    /// A key written twice in one mapping.
    #[error("`{key}` appears twice in {section}")]
    DuplicateKey { key: String, section: String },

    /// A cluster lists a host that `hosts:` does not define.
    #[error(
        "unknown host `{host}` in cluster `{cluster}` (known hosts: {})",
        names(known)
    )]
    UnknownClusterHost {
        host: String,
        cluster: String,
        /// Known host names, nearest to `host` first.
        known: Vec<String>,
    },

    /// A cluster lists no hosts.
    #[error("cluster `{0}` lists no hosts")]
    EmptyCluster(String),

    /// A cluster carries the name of a host, so the name would be ambiguous.
    #[error("cluster `{0}` has the same name as a host; give it another name")]
    ClusterNamedLikeHost(String),

    /// One name or alias given to two hosts.
    #[error("alias `{alias}` is claimed by both `{first}` and `{second}`")]
    DuplicateAlias {
        alias: String,
        first: String,
        second: String,
    },

    /// A time zone that is neither an IANA name nor an offset.
    #[error("{0}")]
    BadTimezone(String),

    /// A duration that cannot be read, or is zero.
    #[error("`{key}`: {message}")]
    BadDuration { key: String, message: String },

    /// `logs:` with no entry.
    #[error("`logs` is empty: list at least one log file or glob")]
    EmptyLogs,

    /// A `host_key_policy` other than the three known ones.
    #[error("`{0}` is not a host_key_policy: use strict, accept-new or off")]
    BadHostKeyPolicy(String),

    /// `port: 0`.
    #[error("port 0 cannot be connected to: use a port from 1 to 65535")]
    PortZero,

    /// `concurrency: 0`.
    #[error("concurrency 0 would search no host: use 1 or more")]
    ConcurrencyZero,

    /// A value that must not be empty is empty.
    #[error("`{0}` must not be empty")]
    Empty(String),

    /// `password_env` that cannot be the name of an environment variable.
    #[error("`{0}` is not an environment variable name (letters, digits and `_`, not starting with a digit)")]
    BadEnvName(String),

    /// The inventory defines no host.
    #[error("no hosts: the inventory needs at least one entry under `hosts:`")]
    NoHosts,

    /// A route step names something that is no cluster, host or `external`.
    #[error("{0}")]
    UnknownRouteName(Box<UnknownRouteName>),

    /// A route step with no name in it (``, `?`).
    #[error("empty step in route `{0}`: write a cluster, a host or `external`")]
    EmptyStep(String),

    /// A step with an empty alternative (`a||b`, `|a`, `a|`).
    #[error(
        "empty alternative in step `{step}` of route `{route}`: write a name on each side of `|`"
    )]
    EmptyAlternative { step: String, route: String },

    /// A `?` somewhere else than at the end of a step.
    #[error("`?` inside step `{step}` of route `{route}`: it may only end the step, which makes the whole step optional")]
    MisplacedOptional { step: String, route: String },

    /// A route that lists no steps.
    #[error("route `{0}` lists no steps")]
    EmptyRoute(String),

    /// `max_hops: 0`.
    #[error("max_hops 0 would allow no hop: use 1 or more")]
    MaxHopsZero,

    /// The SSH client configuration named by `ssh_config` could not be used.
    #[error("cannot use the SSH configuration {}: {message}", path.display())]
    SshConfig { path: PathBuf, message: String },
}

/// A name in a route step that the inventory does not know, with what it
/// does know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown name `{name}` in route `{route}`{} (clusters: {}; hosts: {}; or `external` for any host outside the inventory)",
    closest.as_ref().map(|c| format!(": did you mean `{c}`?")).unwrap_or_default(),
    names(clusters),
    names(hosts)
)]
pub struct UnknownRouteName {
    pub name: String,
    /// The direction: `inbound`, `outbound` or `internal`.
    pub route: String,
    /// The known name nearest to `name`.
    pub closest: Option<String>,
    /// Every cluster, in file order.
    pub clusters: Vec<String>,
    /// Every host's inventory name, in file order.
    pub hosts: Vec<String>,
}

/// A problem and where it is, before the file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub pos: Pos,
    pub problem: Problem,
}

impl Located {
    pub fn new(pos: Pos, problem: Problem) -> Located {
        Located { pos, problem }
    }

    /// The error for this problem in the file at `path`.
    pub fn in_file(self, path: &Path) -> InventoryError {
        InventoryError::Invalid {
            path: path.to_path_buf(),
            line: self.pos.line,
            column: self.pos.column,
            problem: self.problem,
        }
    }
}

fn paths(list: &[PathBuf]) -> String {
    let shown: Vec<String> = list.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// Lists names, cut short after a few.
fn names(list: &[String]) -> String {
    if list.is_empty() {
        return "none".to_string();
    }
    let mut shown = list
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > LISTED {
        shown.push_str(", ...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_displays_file_line_and_column() {
        let err = InventoryError::Invalid {
            path: PathBuf::from("inventory.yaml"),
            line: 12,
            column: 5,
            problem: Problem::UnknownClusterHost {
                host: "csmx3".into(),
                cluster: "mx-cluster".into(),
                known: vec!["csmx1".into(), "csmx2".into()],
            },
        };
        assert_eq!(
            err.to_string(),
            "inventory.yaml:12:5: unknown host `csmx3` in cluster `mx-cluster` (known hosts: csmx1, csmx2)"
        );
    }

    #[test]
    fn long_name_lists_are_cut() {
        let many: Vec<String> = (1..=10).map(|i| format!("h{i}")).collect();
        assert_eq!(names(&many), "h1, h2, h3, h4, h5, h6, h7, h8, ...");
        assert_eq!(names(&[]), "none");
    }

    #[test]
    fn not_found_lists_every_place_tried() {
        let err = InventoryError::NotFound {
            tried: vec![
                PathBuf::from("./inventory.yaml"),
                PathBuf::from("/h/.config/mailtrace/inventory.yaml"),
            ],
        };
        assert_eq!(
            err.to_string(),
            "no inventory file found (tried: ./inventory.yaml, /h/.config/mailtrace/inventory.yaml)"
        );
    }
}
