//! Hops: where each delivery attempt handed the message, resolved to the
//! next instance when its logs are ours, or to a named node when they are not.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};

use super::directory::HostDirectory;
use super::instance::{Attempt, Instance};
use crate::parse::{DeliveryStatus, Peer, Relay};

/// How two instances are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// Relayed to another host.
    Hop,
    /// Stayed on the same host under a new queue ID (content filter, forward).
    Internal,
    /// A bounce or delay notification about the message.
    Notification,
}

/// A resolved join from one instance to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Link {
    pub from: usize,
    pub to: usize,
    pub kind: LinkKind,
}

/// Where one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another instance we have the lines of.
    Instance { index: usize, kind: LinkKind },
    /// A tracked inventory host, but the queue ID was not (yet) found there.
    Missing {
        host: String,
        queue_id: Option<String>,
    },
    /// An inventory host whose logs are not searched.
    Untracked(String),
    /// A host outside the inventory, by the name it was logged under.
    External(String),
    /// Delivered on this host (mailbox, LMTP, pipe...).
    Local,
}

/// Index of instances by (host, queue ID), keyed by a hash of the pair so
/// that building it copies no strings; lookups compare the strings.
#[derive(Default)]
pub struct InstanceIndex {
    /// By (host, queue ID).
    by_queue_id: HashMap<u64, Vec<usize>>,
    /// By (host, Message-ID).
    by_message_id: HashMap<u64, Vec<usize>>,
}

fn key(host: &str, id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (host, id).hash(&mut h);
    h.finish()
}

impl InstanceIndex {
    pub fn new(instances: &[Instance]) -> Self {
        let mut by_queue_id: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut by_message_id: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, inst) in instances.iter().enumerate() {
            by_queue_id
                .entry(key(&inst.host, &inst.queue_id))
                .or_default()
                .push(i);
            if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
                by_message_id
                    .entry(key(&inst.host, mid))
                    .or_default()
                    .push(i);
            }
        }
        InstanceIndex {
            by_queue_id,
            by_message_id,
        }
    }

    /// Adds instance `i` (new, or with a Message-ID it did not have) to an
    /// index built round by round; adding it again changes nothing.
    pub fn note(&mut self, i: usize, inst: &Instance) {
        let add = |bucket: &mut Vec<usize>| {
            if !bucket.contains(&i) {
                bucket.push(i);
            }
        };
        add(self
            .by_queue_id
            .entry(key(&inst.host, &inst.queue_id))
            .or_default());
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            add(self.by_message_id.entry(key(&inst.host, mid)).or_default());
        }
    }

    /// The instances of `host` that carried Message-ID `mid` (a superset:
    /// the caller compares).
    pub fn with_message_id(&self, host: &str, mid: &str) -> &[usize] {
        self.by_message_id
            .get(&key(host, mid))
            .map_or(&[], Vec::as_slice)
    }

    /// The stay a content filter or pipe on the same host re-injected the
    /// message as, when its hand-over reply names no queue ID (`delivered
    /// via spamassassin service`, `250 2.5.0 OK (filter-id)`): the same
    /// Message-ID and envelope sender, born on this host (picked up, from
    /// loopback, or with XFORWARD naming the same client) within minutes
    /// after the hand-over, with the recipient.
    pub fn reinjected(
        &self,
        instances: &[Instance],
        from: usize,
        attempt: &Attempt,
    ) -> Option<usize> {
        let inst = &instances[from];
        let mid = inst.message_id.as_deref().filter(|m| m.len() > 2)?;
        let to = attempt.delivery.to.as_str();
        let soon = attempt.time + chrono::Duration::minutes(REINJECTION_MINUTES);
        self.by_message_id
            .get(&key(&inst.host, mid))?
            .iter()
            .copied()
            .filter(|j| *j != from)
            .filter(|j| {
                let next = &instances[*j];
                let born = next.arrived.unwrap_or(next.first);
                next.message_id.as_deref() == Some(mid)
                    && next.sender == inst.sender
                    && born >= attempt.time - chrono::Duration::seconds(1)
                    && born <= soon
                    && next
                        .client
                        .as_ref()
                        .is_none_or(|c| is_loopback(c) || Some(c) == inst.client.as_ref())
                    && next.recipients().iter().any(|r| r == to)
            })
            .min_by_key(|j| instances[*j].first)
    }

    pub fn find(
        &self,
        instances: &[Instance],
        host: &str,
        queue_id: &str,
        near: chrono::DateTime<chrono::FixedOffset>,
    ) -> Option<usize> {
        self.by_queue_id
            .get(&key(host, queue_id))?
            .iter()
            .copied()
            .filter(|i| instances[*i].host == host && instances[*i].queue_id == queue_id)
            .filter(|i| (instances[*i].first - near).num_days().abs() <= 2)
            .min_by_key(|i| (instances[*i].first - near).num_seconds().abs())
    }
}

/// Where an attempt went, seen from instance `from`.
pub fn target_of(
    instances: &[Instance],
    index: &InstanceIndex,
    from: usize,
    attempt: &Attempt,
    directory: &dyn HostDirectory,
) -> Target {
    let inst = &instances[from];
    let d = &attempt.delivery;
    if let Some(next) = &d.forwarded_as {
        return same_host(instances, index, inst, next, attempt);
    }
    let from_reply;
    let peer = match &d.relay {
        // `relay=none`: the connection failed; the reply names the host
        Relay::Named { name } if name == "none" => match peer_from_reply(&d.reply) {
            Some(p) => {
                from_reply = p;
                &from_reply
            }
            None => return Target::Local,
        },
        Relay::Named { .. } => return local_or_reinjected(instances, index, from, attempt),
        Relay::Remote(peer) => peer,
    };
    if is_loopback(peer) || resolve_peer(peer, directory).is_some_and(|r| r.name == inst.host) {
        return match &d.queued_as {
            Some(next) => same_host(instances, index, inst, next, attempt),
            None => local_or_reinjected(instances, index, from, attempt),
        };
    }
    match resolve_peer(peer, directory) {
        Some(host) if !host.tracked => Target::Untracked(host.name),
        Some(host) => match &d.queued_as {
            Some(next) if d.status == DeliveryStatus::Sent => {
                match index.find(instances, &host.name, next, attempt.time) {
                    Some(i) => Target::Instance {
                        index: i,
                        kind: LinkKind::Hop,
                    },
                    None => Target::Missing {
                        host: host.name,
                        queue_id: Some(next.clone()),
                    },
                }
            }
            _ if attempt.service == "lmtp" && d.status == DeliveryStatus::Sent => Target::Local,
            _ => Target::Missing {
                host: host.name,
                queue_id: None,
            },
        },
        None => Target::External(external_name(peer)),
    }
}

/// A hand-over that stays on the host: a final delivery, unless a filter
/// re-injected the message (see [`InstanceIndex::reinjected`]).
fn local_or_reinjected(
    instances: &[Instance],
    index: &InstanceIndex,
    from: usize,
    attempt: &Attempt,
) -> Target {
    if attempt.delivery.status != DeliveryStatus::Sent {
        return Target::Local;
    }
    match index.reinjected(instances, from, attempt) {
        Some(j) => Target::Instance {
            index: j,
            kind: LinkKind::Internal,
        },
        None => Target::Local,
    }
}

fn same_host(
    instances: &[Instance],
    index: &InstanceIndex,
    inst: &Instance,
    next: &str,
    attempt: &Attempt,
) -> Target {
    match index.find(instances, &inst.host, next, attempt.time) {
        Some(i) => Target::Instance {
            index: i,
            kind: LinkKind::Internal,
        },
        None => Target::Missing {
            host: inst.host.clone(),
            queue_id: Some(next.to_string()),
        },
    }
}

/// The host a failed connection names: `connect to NAME[IP]:PORT: ...`,
/// `lost connection with NAME[IP] ...`, `conversation with NAME[IP] timed out`.
pub fn peer_from_reply(reply: &str) -> Option<Peer> {
    let start = ["connect to ", "lost connection with ", "conversation with "]
        .iter()
        .find_map(|p| reply.find(p).map(|i| i + p.len()))?;
    let rest = reply.get(start..)?;
    let open = rest.find('[')?;
    let close = rest.find(']')?;
    if close < open || rest[..open].contains(' ') {
        return None;
    }
    let port = rest
        .get(close + 1..)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    Some(Peer {
        name: rest[..open].to_string(),
        ip: Some(rest[open + 1..close].to_string()),
        port,
    })
}

/// The inventory host a peer stands for: by name first, then by IP.
pub fn resolve_peer(peer: &Peer, directory: &dyn HostDirectory) -> Option<super::Resolved> {
    directory
        .resolve(&peer.name)
        .or_else(|| peer.ip.as_deref().and_then(|ip| directory.resolve(ip)))
}

/// How a host outside the inventory is named: as logged, or its IP when the
/// name is `unknown`.
pub fn external_name(peer: &Peer) -> String {
    match (&peer.ip, peer.name.as_str()) {
        (Some(ip), "unknown") => ip.clone(),
        _ => peer.name.clone(),
    }
}

pub(super) fn is_loopback(peer: &Peer) -> bool {
    let ip = peer.ip.as_deref().unwrap_or("");
    ip.starts_with("127.") || ip == "::1" || peer.name == "localhost"
}

/// How long after a hand-over to a filter its re-injection may start.
const REINJECTION_MINUTES: i64 = 10;

/// Every join between instances: hops, same-host hand-overs, notifications.
pub fn resolve(instances: &[Instance], directory: &dyn HostDirectory) -> Vec<Link> {
    resolve_indexed(instances, &InstanceIndex::new(instances), directory)
}

/// [`resolve`] with an index the caller already built.
pub fn resolve_indexed(
    instances: &[Instance],
    index: &InstanceIndex,
    directory: &dyn HostDirectory,
) -> Vec<Link> {
    (0..instances.len())
        .flat_map(|from| links_from(instances, index, from, directory))
        .collect()
}

/// The joins of instance `from` to others: its hops and same-host
/// hand-overs (each once), then its notifications.
pub fn links_from(
    instances: &[Instance],
    index: &InstanceIndex,
    from: usize,
    directory: &dyn HostDirectory,
) -> Vec<Link> {
    let inst = &instances[from];
    let mut links: Vec<Link> = Vec::new();
    for attempt in &inst.attempts {
        if attempt.delivery.status != DeliveryStatus::Sent {
            continue;
        }
        if let Target::Instance { index: to, kind } =
            target_of(instances, index, from, attempt, directory)
        {
            let link = Link { from, to, kind };
            if !links.contains(&link) {
                links.push(link);
            }
        }
    }
    for (time, _, next) in &inst.notifications {
        if let Some(to) = index.find(instances, &inst.host, next, *time) {
            links.push(Link {
                from,
                to,
                kind: LinkKind::Notification,
            });
        }
    }
    links
}

/// Where one delivery attempt went: the inventory host it reached and the
/// recipient; what a refusal logged by that host is matched against.
#[derive(Clone)]
pub struct SentAttempt {
    pub time: DateTime<FixedOffset>,
    pub to_host: String,
    pub recipient: String,
}

/// Where each attempt of an instance made at a `wanted` time went, by host name.
pub fn sent_attempts(
    inst: &Instance,
    directory: &dyn HostDirectory,
    wanted: &dyn Fn(DateTime<FixedOffset>) -> bool,
) -> Vec<SentAttempt> {
    inst.attempts
        .iter()
        .filter(|a| wanted(a.time))
        .filter_map(|a| {
            let peer = match &a.delivery.relay {
                Relay::Remote(p) => Some(p.clone()),
                Relay::Named { .. } => peer_from_reply(&a.delivery.reply),
            }?;
            let to = resolve_peer(&peer, directory)?;
            Some(SentAttempt {
                time: a.time,
                to_host: to.name,
                recipient: a.delivery.to.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_connections_name_their_peer() {
        let p =
            peer_from_reply("connect to h2.example.edu[10.0.0.2]:25: Connection refused").unwrap();
        assert_eq!(
            (p.name.as_str(), p.ip.as_deref(), p.port),
            ("h2.example.edu", Some("10.0.0.2"), Some(25))
        );
        let p = peer_from_reply("lost connection with mx.example.net[203.0.113.9] while receiving the initial server greeting").unwrap();
        assert_eq!(p.name, "mx.example.net");
        assert!(peer_from_reply("delivered to maildir").is_none());
    }
}
