//! Streaming correlation for whole-site windows (audits): lines go in as
//! they arrive, each host's in time order, and every message comes out as
//! soon as it has settled: all its instances removed from their queues and
//! every host past that moment by a margin. Settled instances are dropped,
//! so memory follows the mail in flight, not the size of the logs.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset};

use super::directory::HostDirectory;
use super::instance::{Instance, InstanceBuilder};
use super::links::{self, InstanceIndex, LinkKind};
use super::model::{self, MessageTrace};
use crate::parse::{Event, EventKind, Reject, Relay};

/// How far every host must be past an instance's last line before it is
/// final: covers hops logged late by the next host and small clock skew.
const HORIZON_MINUTES: i64 = 15;
/// A refusal is explained by a sending attempt logged this close to it.
const REFUSAL_MATCH_SECS: i64 = 120;
/// Lines between two attempts to hand out settled messages (at least).
const FLUSH_EVERY: usize = 20_000;

/// Decides which instances start a message worth handing out.
pub type SeedRule = Box<dyn Fn(&Instance) -> bool + Send>;

/// One attempt of an instance already handed out, kept a while to explain
/// refusals logged by the host it was sent to.
#[derive(Clone)]
struct SentAttempt {
    time: DateTime<FixedOffset>,
    to_host: String,
    recipient: String,
}

/// Joins lines into messages incrementally; see the module documentation.
pub struct StreamCorrelator {
    directory: Arc<dyn HostDirectory + Send + Sync>,
    seed: SeedRule,
    builder: InstanceBuilder,
    /// Hosts still sending lines, with the newest time each has sent.
    streaming: HashMap<String, Option<DateTime<FixedOffset>>>,
    /// Refusals before queueing that start a message, not yet handed out.
    refusals: Vec<(String, DateTime<FixedOffset>, Reject)>,
    /// Notification instances (host, queue ID) chosen because the message
    /// they report on was, with that message's entry queue ID.
    notified: HashMap<(String, String), String>,
    sent: VecDeque<SentAttempt>,
    since_flush: usize,
    flush_every: usize,
    /// Most instances held at once (for the figures an audit reports).
    pub peak_instances: usize,
}

impl StreamCorrelator {
    /// `hosts` are the hosts whose lines will come; none is final before
    /// all of them have passed its moment or finished.
    pub fn new(
        directory: Arc<dyn HostDirectory + Send + Sync>,
        hosts: &[String],
        seed: SeedRule,
    ) -> Self {
        StreamCorrelator {
            directory,
            seed,
            builder: InstanceBuilder::default(),
            streaming: hosts.iter().map(|h| (h.clone(), None)).collect(),
            refusals: Vec::new(),
            notified: HashMap::new(),
            sent: VecDeque::new(),
            since_flush: 0,
            flush_every: FLUSH_EVERY,
            peak_instances: 0,
        }
    }

    /// Looks for settled messages every `lines` lines (default 20,000).
    pub fn flush_every(mut self, lines: usize) -> Self {
        self.flush_every = lines.max(1);
        self
    }

    /// Takes one line of `host`; `seed_refusal` says whether a refusal
    /// before queueing on this line starts a message.
    pub fn push(
        &mut self,
        host: &str,
        event: &Event,
        seed_refusal: bool,
        emit: &mut dyn FnMut(MessageTrace),
    ) {
        if let Some(mark) = self.streaming.get_mut(host) {
            if mark.is_none_or(|m| event.time > m) {
                *mark = Some(event.time);
            }
        }
        match (&event.queue_id, &event.kind) {
            (Some(_), _) => self.builder.push(host, event, false),
            (None, EventKind::Reject(reject)) if seed_refusal => {
                self.refusals
                    .push((host.to_string(), event.time, reject.clone()))
            }
            _ => return,
        }
        self.since_flush += 1;
        // a flush walks every instance held: never more often than that
        // many lines, so its cost per line stays constant
        if self.since_flush >= self.flush_every.max(self.builder.instances().len()) {
            self.since_flush = 0;
            self.flush(false, emit);
        }
    }

    /// `host` has sent all its lines.
    pub fn host_done(&mut self, host: &str, emit: &mut dyn FnMut(MessageTrace)) {
        self.streaming.remove(host);
        self.flush(false, emit);
    }

    /// Hands out everything left, settled or not.
    pub fn finish(&mut self, emit: &mut dyn FnMut(MessageTrace)) -> usize {
        self.streaming.clear();
        self.flush(true, emit);
        self.peak_instances
    }

    /// The moment before which every host's lines are in, minus the horizon.
    fn limit(&self) -> Option<DateTime<FixedOffset>> {
        let mut low: Option<DateTime<FixedOffset>> = None;
        for mark in self.streaming.values() {
            let mark = (*mark)?;
            low = Some(low.map_or(mark, |l| l.min(mark)));
        }
        match low {
            Some(l) => Some(earlier(l, Duration::minutes(HORIZON_MINUTES))),
            // no host is streaming any more: everything is final
            None => Some(DateTime::<FixedOffset>::MAX_UTC.fixed_offset()),
        }
    }

    fn flush(&mut self, all: bool, emit: &mut dyn FnMut(MessageTrace)) {
        let limit = if all {
            DateTime::<FixedOffset>::MAX_UTC.fixed_offset()
        } else {
            match self.limit() {
                Some(l) => l,
                None => return,
            }
        };
        let instances = self.builder.instances();
        self.peak_instances = self.peak_instances.max(instances.len());
        let index = InstanceIndex::new(instances);
        let links = links::resolve_indexed(instances, &index, self.directory.as_ref());
        let groups = model::components(instances, &links);
        let mut by_group: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            by_group.entry(*g).or_default().push(i);
        }
        let settled = |i: &usize| all || (instances[*i].removed && instances[*i].last < limit);
        let mut waiting: HashSet<usize> = by_group
            .iter()
            .filter(|(_, members)| !members.iter().all(settled))
            .map(|(g, _)| *g)
            .collect();
        // a notice waits for the message it reports on: whether it is
        // wanted is known only once that message is handed out
        let notices: Vec<(usize, usize)> = links
            .iter()
            .filter(|l| l.kind == LinkKind::Notification && groups[l.from] != groups[l.to])
            .map(|l| (groups[l.from], groups[l.to]))
            .collect();
        while let Some(&(_, notice)) = notices
            .iter()
            .find(|(about, notice)| waiting.contains(about) && !waiting.contains(notice))
        {
            waiting.insert(notice);
        }
        let mut ready: Vec<Vec<usize>> = by_group
            .into_iter()
            .filter(|(g, _)| !waiting.contains(g))
            .map(|(_, members)| members)
            .collect();
        // the message a notice reports on is handed out before the notice
        // (they may start in the same second), notices of notices after that
        let mut depth: HashMap<usize, usize> = HashMap::new();
        for _ in 0..notices.len() {
            let mut changed = false;
            for (about, notice) in &notices {
                let d = depth.get(about).copied().unwrap_or(0) + 1;
                if depth.get(notice).copied().unwrap_or(0) < d {
                    depth.insert(*notice, d);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        ready.sort_by_key(|members| {
            let group = members.first().map(|m| groups[*m]);
            (
                group.and_then(|g| depth.get(&g)).copied().unwrap_or(0),
                members.iter().map(|i| instances[*i].first).min(),
            )
        });
        let group_links = model::links_by_group(&links, &groups);
        let no_links = Vec::new();
        let key = |i: usize| (instances[i].host.clone(), instances[i].queue_id.clone());
        let mut keep = vec![true; instances.len()];
        for members in ready {
            let links = members
                .first()
                .and_then(|m| group_links.get(&groups[*m]))
                .unwrap_or(&no_links);
            let notice = members.iter().find_map(|i| self.notified.remove(&key(*i)));
            let chosen = notice.is_some() || members.iter().any(|i| (self.seed)(&instances[*i]));
            if chosen {
                let entry = model::entry_of(instances, &members, links, self.directory.as_ref());
                for l in links.iter().filter(|l| {
                    l.kind == LinkKind::Notification
                        && members.contains(&l.from)
                        && !members.contains(&l.to)
                }) {
                    self.notified
                        .insert(key(l.to), instances[entry].queue_id.clone());
                }
                emit(model::message(
                    instances,
                    &index,
                    links,
                    &members,
                    notice,
                    self.directory.as_ref(),
                ));
            }
            for i in &members {
                keep[*i] = false;
                let all = |_| true;
                self.sent
                    .extend(sent_attempts(&instances[*i], self.directory.as_ref(), &all));
            }
        }
        // refusals old enough that the attempt they answered is in
        let cut = earlier(limit, Duration::seconds(REFUSAL_MATCH_SECS));
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.refusals)
            .into_iter()
            .partition(|(_, time, _)| all || *time < cut);
        self.refusals = waiting;
        if !due.is_empty() {
            // every attempt that may have met a refusal, by (host, recipient)
            let mut attempts: HashMap<(String, String), Vec<DateTime<FixedOffset>>> =
                HashMap::new();
            // only attempts close to a refusal in time can have met it
            let margin = Duration::seconds(REFUSAL_MATCH_SECS);
            let low = due.iter().map(|(_, t, _)| earlier(*t, margin)).min();
            let high = due
                .iter()
                .map(|(_, t, _)| t.checked_add_signed(margin).unwrap_or(*t))
                .max();
            let near = |t: DateTime<FixedOffset>| {
                low.is_some_and(|l| t >= l) && high.is_some_and(|h| t <= h)
            };
            let open = instances
                .iter()
                .flat_map(|inst| sent_attempts(inst, self.directory.as_ref(), &near));
            let kept = self.sent.iter().filter(|a| near(a.time)).cloned();
            for a in kept.chain(open) {
                attempts
                    .entry((a.to_host, a.recipient))
                    .or_default()
                    .push(a.time);
            }
            for (host, time, reject) in due {
                let key = (host.clone(), reject.to.clone().unwrap_or_default());
                let explained = attempts.get(&key).is_some_and(|times| {
                    times
                        .iter()
                        .any(|t| (*t - time).num_seconds().abs() <= REFUSAL_MATCH_SECS)
                });
                if !explained {
                    emit(model::refusal(&host, time, &reject));
                }
            }
        }
        let oldest = earlier(limit, Duration::minutes(2 * HORIZON_MINUTES));
        self.sent.retain(|a| a.time >= oldest);
        self.builder.retain(&keep);
    }
}

/// `t - d`, or the earliest time there is (times come from log lines).
fn earlier(t: DateTime<FixedOffset>, d: Duration) -> DateTime<FixedOffset> {
    t.checked_sub_signed(d)
        .unwrap_or(DateTime::<FixedOffset>::MIN_UTC.fixed_offset())
}

/// Where each attempt of an instance made at a `wanted` time went, by host name.
fn sent_attempts(
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
                Relay::Named { .. } => links::peer_from_reply(&a.delivery.reply),
            }?;
            let to = links::resolve_peer(&peer, directory)?;
            Some(SentAttempt {
                time: a.time,
                to_host: to.name,
                recipient: a.delivery.to.clone(),
            })
        })
        .collect()
}
