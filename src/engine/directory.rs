//! Lets the correlator resolve logged names through the inventory.

use crate::inventory::Inventory;
use crate::trace::{HostDirectory, Resolved};

/// The inventory seen as a [`HostDirectory`].
pub struct InventoryDirectory<'a>(pub &'a Inventory);

impl HostDirectory for InventoryDirectory<'_> {
    fn resolve(&self, name_or_ip: &str) -> Option<Resolved> {
        self.0.resolve(name_or_ip)
    }

    fn cluster_of(&self, host: &str) -> Option<String> {
        HostDirectory::cluster_of(self.0, host)
    }
}

/// An owned inventory resolves the same way (for sinks that outlive a borrow).
impl HostDirectory for Inventory {
    fn resolve(&self, name_or_ip: &str) -> Option<Resolved> {
        self.find_host(name_or_ip).map(|h| Resolved {
            name: h.name.clone(),
            tracked: h.tracked,
        })
    }

    fn cluster_of(&self, host: &str) -> Option<String> {
        Inventory::cluster_of(self, host).map(str::to_string)
    }
}
