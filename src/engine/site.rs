//! The inventory as analysis sees it: local domains, declared routes, limits.

use crate::analyze::{Direction, Site, StepSpec};
use crate::inventory::{Inventory, Route};

/// Builds the analysis view of an inventory.
pub fn site_of(inventory: &Inventory) -> Site {
    let mut site = Site {
        local_domains: inventory.local_domains.clone(),
        max_hops: inventory.limits.max_hops,
        slow_hop: inventory.limits.slow_hop,
        slow_total: inventory.limits.slow_total,
        ..Site::default()
    };
    for (direction, route) in [
        (Direction::Inbound, &inventory.routes.inbound),
        (Direction::Outbound, &inventory.routes.outbound),
        (Direction::Internal, &inventory.routes.internal),
    ] {
        if let Some(route) = route {
            site.routes.insert(direction, steps(route));
        }
    }
    for c in &inventory.clusters {
        site.clusters.insert(c.name.clone(), c.hosts.clone());
    }
    for h in &inventory.hosts {
        site.hosts.push(h.name.clone());
        let ips: Vec<String> = h
            .aliases
            .iter()
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
            .cloned()
            .collect();
        site.addresses.insert(h.name.clone(), ips);
    }
    site
}

fn steps(route: &Route) -> Vec<StepSpec> {
    route
        .steps
        .iter()
        .map(|s| StepSpec {
            names: s.names.clone(),
            optional: s.optional,
        })
        .collect()
}
