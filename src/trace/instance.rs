//! Message instances: the lines of one queue ID on one host during one stay
//! in the queue. Queue IDs repeat across hosts and over time, so a new stay
//! begins when a removed queue ID is born again or after a long silence.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};

use super::Record;
use crate::parse::{Delivery, EventKind, NotificationKind, Peer, Reject};

/// A queue ID not seen for this long starts a new instance.
const REUSE_GAP_DAYS: i64 = 7;

/// One delivery attempt for one recipient.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub time: DateTime<FixedOffset>,
    /// Delivery agent: smtp, lmtp, local, virtual, pipe, error...
    pub service: String,
    pub delivery: Delivery,
}

/// One queue ID's stay on one host.
#[derive(Debug, Clone)]
pub struct Instance {
    pub host: String,
    pub queue_id: String,
    pub first: DateTime<FixedOffset>,
    pub last: DateTime<FixedOffset>,
    pub client: Option<Peer>,
    pub sasl_username: Option<String>,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub size: Option<u64>,
    pub attempts: Vec<Attempt>,
    pub rejects: Vec<(DateTime<FixedOffset>, Reject)>,
    pub notifications: Vec<(DateTime<FixedOffset>, NotificationKind, String)>,
    /// hold, discard, redirect... from cleanup or postsuper.
    pub actions: Vec<String>,
    pub expired: bool,
    pub removed: bool,
    pub seed: bool,
    /// Indices of this instance's records, in time order.
    pub records: Vec<usize>,
}

impl Instance {
    fn new(host: &str, queue_id: &str, time: DateTime<FixedOffset>) -> Self {
        Instance {
            host: host.to_string(),
            queue_id: queue_id.to_string(),
            first: time,
            last: time,
            client: None,
            sasl_username: None,
            message_id: None,
            sender: None,
            size: None,
            attempts: Vec::new(),
            rejects: Vec::new(),
            notifications: Vec::new(),
            actions: Vec::new(),
            expired: false,
            removed: false,
            seed: false,
            records: Vec::new(),
        }
    }

    /// Every recipient this instance tried to deliver to, in first-seen order.
    pub fn recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in &self.attempts {
            if !out.contains(&a.delivery.to) {
                out.push(a.delivery.to.clone());
            }
        }
        for (_, r) in &self.rejects {
            if let Some(to) = &r.to {
                if !out.contains(to) {
                    out.push(to.clone());
                }
            }
        }
        out
    }

    /// The last attempt for a recipient.
    pub fn last_attempt(&self, recipient: &str) -> Option<&Attempt> {
        self.attempts
            .iter()
            .filter(|a| a.delivery.to == recipient)
            .max_by_key(|a| a.time)
    }
}

/// Groups records by (host, queue ID, stay), taking them in time order and,
/// within a second, in log order. Duplicate lines count once.
pub fn build_instances(records: &[Record]) -> Vec<Instance> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|i| (records[*i].event.time, records[*i].position));
    let mut seen: HashMap<(&str, DateTime<FixedOffset>, &str), usize> = HashMap::new();
    let mut instances: Vec<Instance> = Vec::new();
    let mut current: HashMap<(String, String), usize> = HashMap::new();
    for index in order {
        let record = &records[index];
        let Some(queue_id) = record.event.queue_id.as_deref() else {
            continue;
        };
        let line_key = (
            record.host.as_str(),
            record.event.time,
            record.event.message.as_str(),
        );
        if let Some(&slot) = seen.get(&line_key) {
            instances[slot].seed |= record.seed;
            continue;
        }
        let time = record.event.time;
        let key = (record.host.clone(), queue_id.to_string());
        let births = matches!(
            record.event.kind,
            EventKind::Client { .. } | EventKind::Pickup { .. }
        );
        let reuse = match current.get(&key) {
            None => true,
            Some(&i) => {
                let inst = &instances[i];
                (inst.removed && births) || (time - inst.last).num_days() >= REUSE_GAP_DAYS
            }
        };
        let slot = if reuse {
            instances.push(Instance::new(&record.host, queue_id, time));
            let i = instances.len() - 1;
            current.insert(key, i);
            i
        } else {
            current[&key]
        };
        seen.insert(line_key, slot);
        absorb(&mut instances[slot], record, index);
    }
    instances
}

fn absorb(inst: &mut Instance, record: &Record, index: usize) {
    let event = &record.event;
    if event.time < inst.first {
        inst.first = event.time;
    }
    if event.time > inst.last {
        inst.last = event.time;
    }
    inst.seed |= record.seed;
    inst.records.push(index);
    match &event.kind {
        EventKind::Client {
            peer,
            sasl_username,
            ..
        } => {
            inst.client = Some(peer.clone());
            inst.sasl_username = sasl_username.clone().or(inst.sasl_username.take());
        }
        EventKind::Pickup { from, .. } => {
            inst.sender.get_or_insert_with(|| from.clone());
        }
        EventKind::MessageId { message_id } => inst.message_id = Some(message_id.clone()),
        EventKind::QueueActive { from, size, .. } => {
            inst.sender = Some(from.clone());
            inst.size = *size;
        }
        EventKind::Expired { from } => {
            inst.expired = true;
            inst.sender.get_or_insert_with(|| from.clone());
        }
        EventKind::Removed => inst.removed = true,
        EventKind::Delivery(delivery) => inst.attempts.push(Attempt {
            time: event.time,
            service: event.service.clone(),
            delivery: delivery.clone(),
        }),
        EventKind::Notification { kind, new_queue_id } => {
            inst.notifications
                .push((event.time, *kind, new_queue_id.clone()));
        }
        EventKind::Reject(reject) => {
            if reject.action == "hold" || reject.action == "discard" || reject.action == "redirect"
            {
                inst.actions.push(reject.action.clone());
            } else {
                inst.rejects.push((event.time, reject.clone()));
            }
        }
        EventKind::CleanupAction { action, .. } => inst.actions.push(action.clone()),
        EventKind::Admin { action } => inst.actions.push(action.clone()),
        EventKind::Connection { .. } | EventKind::Warning { .. } | EventKind::Other => {}
    }
}
