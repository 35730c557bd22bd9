//! What the next search round must look for: Message-IDs of the traced
//! messages on every tracked host, queue IDs handed to hosts whose lines
//! for them have not been seen yet, and the session lines that name the
//! client of a refusal that does not.

use std::collections::HashSet;

use super::directory::HostDirectory;
use super::instance::build_instances;
use super::links::{resolve, target_of, InstanceIndex, LinkKind, Target};
use super::model::components;
use super::Record;
use crate::parse::EventKind;

/// One thing to search for on one host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Need {
    pub host: String,
    pub pattern: String,
    /// Also return every line of the queue IDs the pattern finds.
    pub expand: bool,
}

/// Searches that could extend the trace of the seeded messages. The caller
/// drops the ones it already ran.
pub fn next_searches(
    records: &[Record],
    directory: &dyn HostDirectory,
    tracked_hosts: &[String],
) -> Vec<Need> {
    let instances = build_instances(records);
    let links = resolve(&instances, directory);
    let index = InstanceIndex::new(&instances);
    let groups = components(&instances, &links);
    let mut wanted: HashSet<usize> = instances
        .iter()
        .enumerate()
        .filter(|(_, inst)| inst.seed)
        .map(|(i, _)| groups[i])
        .collect();
    for link in links.iter().filter(|l| l.kind == LinkKind::Notification) {
        if wanted.contains(&groups[link.from]) {
            wanted.insert(groups[link.to]);
        }
    }
    let mut needs: Vec<Need> = Vec::new();
    let mut push = |need: Need| {
        if !needs.contains(&need) {
            needs.push(need);
        }
    };
    for (i, inst) in instances.iter().enumerate() {
        if !wanted.contains(&groups[i]) {
            continue;
        }
        // every line of this queue ID on its host
        push(Need {
            host: inst.host.clone(),
            pattern: inst.queue_id.clone(),
            expand: false,
        });
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            for host in tracked_hosts {
                push(Need {
                    host: host.clone(),
                    pattern: mid.to_string(),
                    expand: true,
                });
            }
        }
        for attempt in &inst.attempts {
            if let Target::Missing {
                host,
                queue_id: Some(next),
            } = target_of(&instances, &index, i, attempt, directory)
            {
                if tracked_hosts.contains(&host) {
                    push(Need {
                        host,
                        pattern: next,
                        expand: false,
                    });
                }
            }
        }
        for (_, _, next) in &inst.notifications {
            push(Need {
                host: inst.host.clone(),
                pattern: next.clone(),
                expand: false,
            });
        }
    }
    // a refusal that names no client (a before-queue proxy filter's) is
    // completed by its smtpd session's first lines
    for record in records.iter().filter(|r| r.seed) {
        if let (EventKind::Reject(reject), Some(pid)) = (&record.event.kind, record.event.pid) {
            if reject.client.is_none() && record.event.queue_id.is_none() {
                for pattern in super::sessions::client_patterns(pid) {
                    push(Need {
                        host: record.host.clone(),
                        pattern,
                        expand: false,
                    });
                }
            }
        }
    }
    needs
}
