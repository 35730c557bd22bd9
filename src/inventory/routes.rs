//! The declared mail architecture: the routes mail is meant to take through
//! the site, and the limits a trace is held to. Plain values, read from the
//! file by `route_text`.
//!
//! ```yaml
//! routes:
//!   inbound:  [mx-cluster, maillist-cluster, mailer-cluster, maillist-cluster?, maildirect1]
//!   outbound: [smtp-cluster, mailer-cluster, external]
//!   internal: [smtp-cluster, mailer-cluster, maillist-cluster | maildirect1]
//! limits:
//!   max_hops: 7      # default 7
//!   slow_hop: 60s    # a hop slower than this is flagged (default 60s)
//!   slow_total: 10m  # an end-to-end delay above this is flagged (default 10m)
//! ```
//!
//! Grammar of a route:
//!
//! ```text
//! route  = a YAML list of one or more steps, in the order mail passes them
//! step   = name { "|" name } [ "?" ]   spaces around `|` and before `?` allowed
//! name   = a cluster | a host's inventory name | "external"
//! ```
//!
//! `a | b` means the mail passes a host of `a` or of `b` at that point; a
//! trailing `?` means the step may be absent. `external` is any host outside
//! the inventory, and is reserved: it always has that meaning in a route.
//! Names are compared ignoring case and kept in the inventory's spelling.
//! The directions (`inbound`, `outbound`, `internal`) are each optional, and
//! so are `routes:` and `limits:` as a whole.

use std::fmt;
use std::time::Duration;

use super::Inventory;

/// The name that stands for any host outside the inventory.
pub const EXTERNAL: &str = "external";
/// The directions a route may be declared for, in the order they are shown.
pub(super) const DIRECTIONS: [&str; 3] = ["inbound", "outbound", "internal"];
/// `limits.max_hops` when not written.
pub const DEFAULT_MAX_HOPS: usize = 7;
/// `limits.slow_hop` when not written.
pub const DEFAULT_SLOW_HOP: Duration = Duration::from_secs(60);
/// `limits.slow_total` when not written.
pub const DEFAULT_SLOW_TOTAL: Duration = Duration::from_secs(10 * 60);

/// The routes declared under `routes:`; a direction not written is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// Mail coming into the site from outside.
    pub inbound: Option<Route>,
    /// Mail leaving the site.
    pub outbound: Option<Route>,
    /// Mail from the site to the site.
    pub internal: Option<Route>,
}

/// The steps mail passes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub steps: Vec<Step>,
}

/// One point of a route: one of `names`, or nothing when `optional`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The alternatives: cluster names, host inventory names, or
    /// [`EXTERNAL`].
    pub names: Vec<String>,
    /// Written with a trailing `?`: the step may be absent.
    pub optional: bool,
}

/// What a trace is held to, from `limits:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most hops a message is expected to take.
    pub max_hops: usize,
    /// A hop whose delay is above this is flagged.
    pub slow_hop: Duration,
    /// An end-to-end delay above this is flagged.
    pub slow_total: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_hops: DEFAULT_MAX_HOPS,
            slow_hop: DEFAULT_SLOW_HOP,
            slow_total: DEFAULT_SLOW_TOTAL,
        }
    }
}

/// Thresholds of `mailtrace audit` (`audit:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSettings {
    /// Deferred mail older than this counts as stuck (default 1h).
    pub stuck_after: Duration,
}

impl Default for AuditSettings {
    fn default() -> AuditSettings {
        AuditSettings {
            stuck_after: Duration::from_secs(3600),
        }
    }
}

impl Routes {
    /// The declared routes with their direction, in the order inbound,
    /// outbound, internal.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Route)> {
        DIRECTIONS
            .into_iter()
            .zip([&self.inbound, &self.outbound, &self.internal])
            .filter_map(|(direction, route)| route.as_ref().map(|r| (direction, r)))
    }

    /// The route declared for `direction` (`inbound`, `outbound` or
    /// `internal`), if any.
    pub fn get(&self, direction: &str) -> Option<&Route> {
        self.iter().find(|(d, _)| *d == direction).map(|(_, r)| r)
    }
}

impl Route {
    /// The route as one line: `mx-cluster → mailer-cluster → maildirect1?`.
    pub fn describe(&self) -> String {
        self.steps
            .iter()
            .map(Step::describe)
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

impl Step {
    /// Whether `node` is one of this step's alternatives. `node` is an
    /// inventory host's name or alias, or the name logs give a host outside
    /// the inventory. A name matches when it is a cluster holding the node,
    /// the node's own host, or [`EXTERNAL`] and the node is no inventory
    /// host (so an alias of an inventory host is never external).
    pub fn matches(&self, inventory: &Inventory, node: &str) -> bool {
        if node.trim().is_empty() {
            return false;
        }
        let host = inventory.find_host(node);
        self.names.iter().any(|name| {
            if name.eq_ignore_ascii_case(EXTERNAL) {
                return host.is_none();
            }
            let Some(host) = host else {
                return false;
            };
            match inventory
                .clusters
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
            {
                Some(cluster) => cluster.hosts.contains(&host.name),
                None => host.name.eq_ignore_ascii_case(name),
            }
        })
    }

    /// The step as written in the file, normalised:
    /// `maillist-cluster | maildirect1`, with `?` when optional.
    pub fn describe(&self) -> String {
        let mut text = self.names.join(" | ");
        if self.optional {
            text.push('?');
        }
        text
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(names: &[&str], optional: bool) -> Step {
        Step {
            names: names.iter().map(|n| n.to_string()).collect(),
            optional,
        }
    }

    #[test]
    fn steps_and_routes_describe_themselves() {
        assert_eq!(
            step(&["maillist-cluster", "maildirect1"], false).describe(),
            "maillist-cluster | maildirect1"
        );
        assert_eq!(
            step(&["maillist-cluster"], true).describe(),
            "maillist-cluster?"
        );
        assert_eq!(step(&["a", "b"], true).to_string(), "a | b?");
        let route = Route {
            steps: vec![step(&["smtp-cluster"], false), step(&["external"], true)],
        };
        assert_eq!(route.describe(), "smtp-cluster → external?");
        assert_eq!(route.to_string(), route.describe());
    }

    #[test]
    fn defaults_are_no_routes_and_the_documented_limits() {
        let routes = Routes::default();
        assert_eq!(routes.iter().count(), 0);
        assert!(routes.get("inbound").is_none());
        let limits = Limits::default();
        assert_eq!(limits.max_hops, 7);
        assert_eq!(limits.slow_hop, Duration::from_secs(60));
        assert_eq!(limits.slow_total, Duration::from_secs(600));
    }

    #[test]
    fn routes_iterate_in_direction_order() {
        let one = Route {
            steps: vec![step(&["a"], false)],
        };
        let two = Route {
            steps: vec![step(&["b"], false)],
        };
        let routes = Routes {
            inbound: None,
            outbound: Some(one.clone()),
            internal: Some(two.clone()),
        };
        let listed: Vec<(&str, &Route)> = routes.iter().collect();
        assert_eq!(listed, vec![("outbound", &one), ("internal", &two)]);
        assert_eq!(routes.get("internal"), Some(&two));
        assert_eq!(routes.get("inbound"), None);
        assert_eq!(routes.get("sideways"), None);
    }
}
