//! Resources: what the inventory calls what.

use serde_json::{json, Map, Value};

use crate::inventory::Inventory;

pub const CLUSTERS: &str = "mailtrace://clusters";
pub const HOSTS: &str = "mailtrace://hosts";

/// `{cluster: [host, ...]}` in inventory order.
pub fn clusters(inventory: &Inventory) -> Value {
    let mut map = Map::new();
    for c in &inventory.clusters {
        map.insert(c.name.clone(), json!(c.hosts));
    }
    Value::Object(map)
}

/// Every host with its aliases, clusters, whether its logs are searched, and its zone.
pub fn hosts(inventory: &Inventory) -> Value {
    Value::Array(
        inventory
            .hosts
            .iter()
            .map(|h| {
                json!({
                    "name": h.name,
                    "aliases": h.aliases,
                    "clusters": h.clusters,
                    "tracked": h.tracked,
                    "timezone": h.zone.to_string(),
                })
            })
            .collect(),
    )
}
