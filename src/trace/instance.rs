//! Message instances: the lines of one queue ID on one host during one stay
//! in the queue. Queue IDs repeat across hosts and over time, so a new stay
//! begins when a removed queue ID is born again or after a long silence.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, FixedOffset};

use super::{Position, Record};
use crate::parse::{Delivery, Effect, Event, EventKind, NotificationKind, Peer, Reject};

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
    /// When it was received (smtpd `client=`) or picked up (`uid=`).
    pub arrived: Option<DateTime<FixedOffset>>,
    pub sasl_username: Option<String>,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub size: Option<u64>,
    pub attempts: Vec<Attempt>,
    /// Refusals, discards and holds (see [`Reject::effect`]), in log order.
    pub rejects: Vec<(DateTime<FixedOffset>, Reject)>,
    pub notifications: Vec<(DateTime<FixedOffset>, NotificationKind, String)>,
    /// Actions that let the mail go on (redirect, prepend, reject_warning...)
    /// and postsuper's (requeued, placed on hold, released from hold).
    pub actions: Vec<String>,
    pub expired: bool,
    pub removed: bool,
    pub seed: bool,
    /// Fingerprints of the lines taken in (position and text), so the same
    /// line read twice counts once and no two lines are ever merged.
    lines: HashSet<u64>,
}

impl Instance {
    fn new(host: &str, queue_id: &str, time: DateTime<FixedOffset>) -> Self {
        Instance {
            host: host.to_string(),
            queue_id: queue_id.to_string(),
            first: time,
            last: time,
            client: None,
            arrived: None,
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
            lines: HashSet::new(),
        }
    }

    /// Every recipient this instance tried to deliver to or had refused,
    /// in the order of their first lines.
    pub fn recipients(&self) -> Vec<String> {
        let mut named: Vec<(DateTime<FixedOffset>, &String)> = self
            .attempts
            .iter()
            .map(|a| (a.time, &a.delivery.to))
            .chain(
                self.rejects
                    .iter()
                    .filter_map(|(t, r)| r.to.as_ref().map(|to| (*t, to))),
            )
            .collect();
        named.sort_by_key(|(t, _)| *t);
        let mut out: Vec<String> = Vec::new();
        for (_, to) in named {
            if !out.contains(to) {
                out.push(to.clone());
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
    let mut builder = InstanceBuilder::default();
    for index in order {
        let record = &records[index];
        builder.push(&record.host, &record.event, record.seed, record.position);
    }
    builder.instances
}

/// Builds instances from one host's lines given in time order (hosts may
/// interleave); the stream correlator takes finished instances out of it.
#[derive(Debug, Default)]
pub struct InstanceBuilder {
    instances: Vec<Instance>,
    /// The stay a (host, queue ID) is in now.
    current: HashMap<(String, String), usize>,
}

impl InstanceBuilder {
    /// Adds one line; lines without a queue ID are not part of any instance,
    /// and another program's line only marks (as a seed) the stay of a queue
    /// ID that a Postfix program of the same host logged.
    pub fn push(&mut self, host: &str, event: &Event, seed: bool, position: Position) {
        self.add(host, event, seed, position);
    }

    /// [`push`](Self::push), saying which instance took the line or was
    /// marked a seed by it.
    pub fn add(
        &mut self,
        host: &str,
        event: &Event,
        seed: bool,
        position: Position,
    ) -> Option<usize> {
        let Some(queue_id) = event.queue_id.as_deref() else {
            let id = event.other_id.as_deref().filter(|_| seed)?;
            let key = (host.to_string(), id.to_string());
            let i = *self.current.get(&key)?;
            self.instances[i].seed = true;
            return Some(i);
        };
        let line = fingerprint(host, event, position);
        let key = (host.to_string(), queue_id.to_string());
        let births = matches!(
            event.kind,
            EventKind::Client { .. } | EventKind::Pickup { .. }
        );
        let slot = match self.current.get(&key) {
            Some(&i) if self.instances[i].lines.contains(&line) => {
                self.instances[i].seed |= seed;
                return Some(i);
            }
            Some(&i)
                if !(self.instances[i].removed && births)
                    && (event.time - self.instances[i].last).num_days() < REUSE_GAP_DAYS =>
            {
                i
            }
            _ => {
                self.instances
                    .push(Instance::new(host, queue_id, event.time));
                let i = self.instances.len() - 1;
                self.current.insert(key, i);
                i
            }
        };
        let inst = &mut self.instances[slot];
        inst.lines.insert(line);
        absorb(inst, event, seed);
        Some(slot)
    }

    /// Marks instance `i` as holding a seed (a line it took was read again
    /// as one).
    pub fn mark_seed(&mut self, i: usize) {
        if let Some(inst) = self.instances.get_mut(i) {
            inst.seed = true;
        }
    }

    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Drops the instances `keep` says no to; the others keep their order.
    pub fn retain(&mut self, keep: &[bool]) {
        let kept = |i: usize| keep.get(i).copied().unwrap_or(true);
        // where each kept instance moves to
        let mut moved = Vec::with_capacity(self.instances.len());
        let mut next = 0;
        for i in 0..self.instances.len() {
            moved.push(next);
            next += usize::from(kept(i));
        }
        let mut i = 0;
        self.instances.retain(|_| {
            i += 1;
            kept(i - 1)
        });
        self.current.retain(|_, slot| kept(*slot));
        for slot in self.current.values_mut() {
            *slot = moved[*slot];
        }
    }
}

/// Identifies one line of one host: its position and text.
pub(super) fn fingerprint(host: &str, event: &Event, position: Position) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (host, position.file, position.line, event.message.as_str()).hash(&mut h);
    h.finish()
}

fn absorb(inst: &mut Instance, event: &Event, seed: bool) {
    if event.time < inst.first {
        inst.first = event.time;
    }
    if event.time > inst.last {
        inst.last = event.time;
    }
    inst.seed |= seed;
    match &event.kind {
        EventKind::Client {
            peer,
            sasl_username,
            orig_client,
            ..
        } => {
            // behind a before-queue filter or a re-injection, XFORWARD names
            // who really handed the mail over
            let from = match orig_client {
                Some(original) if super::links::is_loopback(peer) => original,
                _ => peer,
            };
            inst.client = Some(from.clone());
            inst.arrived.get_or_insert(event.time);
            inst.sasl_username = sasl_username.clone().or(inst.sasl_username.take());
        }
        EventKind::Pickup { from, .. } => {
            inst.arrived.get_or_insert(event.time);
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
            // cleanup's sender is the qualified envelope sender; pickup's
            // may be a bare user name; the queue manager's is final
            if let Some(from) = reject.from.as_ref().filter(|_| inst.size.is_none()) {
                inst.sender = Some(from.clone());
            }
            if let Some(client) = &reject.client {
                inst.client.get_or_insert_with(|| client.clone());
            }
            match reject.effect() {
                Effect::Noted => inst.actions.push(reject.action.clone()),
                _ => inst.rejects.push((event.time, reject.clone())),
            }
        }
        EventKind::CleanupAction { action, .. } => inst.actions.push(action.clone()),
        EventKind::Admin { action } => inst.actions.push(action.clone()),
        EventKind::Connection { .. } | EventKind::Warning { .. } | EventKind::Other => {}
    }
}
