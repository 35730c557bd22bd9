//! Lets the correlator resolve logged names through the inventory.

use crate::inventory::Inventory;
use crate::trace::{HostDirectory, Resolved};

/// The inventory seen as a [`HostDirectory`].
pub struct InventoryDirectory<'a>(pub &'a Inventory);

impl HostDirectory for InventoryDirectory<'_> {
    fn resolve(&self, name_or_ip: &str) -> Option<Resolved> {
        self.0.find_host(name_or_ip).map(|h| Resolved {
            name: h.name.clone(),
            tracked: h.tracked,
        })
    }

    fn cluster_of(&self, host: &str) -> Option<String> {
        self.0.cluster_of(host).map(str::to_string)
    }
}
