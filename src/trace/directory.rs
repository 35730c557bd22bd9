//! What the trace engine needs to know about hosts: which inventory host a
//! logged name or IP stands for, and whether its logs are searched.

/// An inventory host a logged peer resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub tracked: bool,
}

/// Name resolution, implemented by the inventory (and by tests).
pub trait HostDirectory {
    /// The inventory host known by this name, alias or IP, if any.
    fn resolve(&self, name_or_ip: &str) -> Option<Resolved>;
    /// The cluster a host belongs to, for labels.
    fn cluster_of(&self, host: &str) -> Option<String>;
}

/// A directory that knows no host: every peer is outside the site.
#[cfg(test)]
pub(crate) struct NoHosts;

#[cfg(test)]
impl HostDirectory for NoHosts {
    fn resolve(&self, _: &str) -> Option<Resolved> {
        None
    }

    fn cluster_of(&self, _: &str) -> Option<String> {
        None
    }
}
