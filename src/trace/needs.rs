//! What the next search round must look for: Message-IDs of the traced
//! messages on every tracked host, queue IDs handed to hosts whose lines
//! for them have not been seen yet, and the session lines that name the
//! client of a refusal that does not.
//!
//! [`Rounds`] keeps the instances, their links and the message groups from
//! one round to the next: a round's new lines extend them, and only the
//! groups they changed are asked for new searches.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};

use super::directory::HostDirectory;
use super::instance::{fingerprint, Instance, InstanceBuilder};
use super::links::{links_from, target_of, InstanceIndex, Link, LinkKind, Target};
use super::{Position, Record};
use crate::parse::{Event, EventKind};

/// One thing to search for on one host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Need {
    pub host: String,
    pub pattern: String,
    /// Also return every line of the queue IDs the pattern finds.
    pub expand: bool,
}

/// One parsed line as a round hands it over, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub host: &'a str,
    pub event: &'a Event,
    /// The line is one of the things asked for.
    pub seed: bool,
    pub position: Position,
}

/// A round found a line older than one already taken for the same (host,
/// ID): the stays of a queue ID depend on the order of its lines, so the
/// caller replays every line with [`Rounds::rebuild`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder;

/// Searches that could extend the trace of the seeded messages. The caller
/// drops the ones it already ran.
pub fn next_searches(
    records: &[Record],
    directory: &(dyn HostDirectory + Sync),
    tracked_hosts: &[String],
) -> Vec<Need> {
    let mut lines: Vec<Line> = records
        .iter()
        .map(|r| Line {
            host: &r.host,
            event: &r.event,
            seed: r.seed,
            position: r.position,
        })
        .collect();
    lines.sort_by_key(|l| (l.event.time, l.position));
    let mut rounds = Rounds::new(directory, tracked_hosts);
    rounds.rebuild(&lines);
    rounds.take_needs()
}

/// Instance groups (one per message): union-find with each root's members
/// and whether the group is traced.
#[derive(Default)]
struct Groups {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
    wanted: Vec<bool>,
}

impl Groups {
    fn grow(&mut self, n: usize) {
        for i in self.parent.len()..n {
            self.parent.push(i);
            self.members.push(vec![i]);
            self.wanted.push(false);
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the groups of `a` and `b`; the smaller one moves.
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.members[ra].len() >= self.members[rb].len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small] = big;
        let moved = std::mem::take(&mut self.members[small]);
        self.members[big].extend(moved);
        self.wanted[big] |= self.wanted[small];
    }
}

/// The trace state kept across rounds (see the module comment).
pub struct Rounds<'d> {
    directory: &'d (dyn HostDirectory + Sync),
    tracked: Vec<String>,
    tracked_set: HashSet<String>,
    builder: InstanceBuilder,
    index: InstanceIndex,
    /// The latest line taken per (host, ID): its time and position.
    latest: HashMap<(String, String), (DateTime<FixedOffset>, Position)>,
    /// Per line taken (by fingerprint): its instance and whether it was a seed.
    taken: HashMap<u64, (usize, bool)>,
    /// Per instance: its joins to others.
    out: Vec<Vec<Link>>,
    /// Instances whose attempts or notifications name a queue ID.
    referrers: HashMap<String, Vec<usize>>,
    /// Per instance: the instances whose notification it is.
    notified_by: HashMap<usize, Vec<usize>>,
    /// The first instance seen with each Message-ID.
    by_message_id: HashMap<String, usize>,
    groups: Groups,
    needs: Vec<Need>,
    pending: HashSet<Need>,
}

impl<'d> Rounds<'d> {
    pub fn new(directory: &'d (dyn HostDirectory + Sync), tracked_hosts: &[String]) -> Self {
        Rounds {
            directory,
            tracked: tracked_hosts.to_vec(),
            tracked_set: tracked_hosts.iter().cloned().collect(),
            builder: InstanceBuilder::default(),
            index: InstanceIndex::default(),
            latest: HashMap::new(),
            taken: HashMap::new(),
            out: Vec::new(),
            referrers: HashMap::new(),
            notified_by: HashMap::new(),
            by_message_id: HashMap::new(),
            groups: Groups::default(),
            needs: Vec::new(),
            pending: HashSet::new(),
        }
    }

    /// The instances built so far.
    pub fn instances(&self) -> &[Instance] {
        self.builder.instances()
    }

    /// Takes one round's new lines, in time order (then position). Fails,
    /// changing nothing, when a line is older than one already taken for
    /// its (host, ID) and is not that line again.
    pub fn add(&mut self, lines: &[Line]) -> Result<(), OutOfOrder> {
        let late = lines.iter().any(|l| {
            let Some(id) = key_id(l) else { return false };
            let again = l.event.queue_id.is_some()
                && self
                    .taken
                    .contains_key(&fingerprint(l.host, l.event, l.position));
            !again
                && self
                    .latest
                    .get(&(l.host.to_string(), id.to_string()))
                    .is_some_and(|last| (l.event.time, l.position) < *last)
        });
        if late {
            return Err(OutOfOrder);
        }
        let mut touched: Vec<usize> = Vec::new();
        for line in lines {
            if let Some(i) = self.take(line) {
                touched.push(i);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        self.settle(touched);
        Ok(())
    }

    /// Forgets everything and takes every line found so far, in time order
    /// (then position).
    pub fn rebuild(&mut self, lines: &[Line]) {
        *self = Rounds::new(self.directory, &self.tracked);
        // a fresh state has no line to be out of order with
        let _ = self.add(lines);
    }

    /// The searches found since the last call, each once.
    pub fn take_needs(&mut self) -> Vec<Need> {
        self.pending.clear();
        std::mem::take(&mut self.needs)
    }

    /// Takes one line; says which instance it changed.
    fn take(&mut self, line: &Line) -> Option<usize> {
        if line.seed {
            self.refusal_sessions(line);
        }
        let id = key_id(line)?;
        let print = fingerprint(line.host, line.event, line.position);
        if line.event.queue_id.is_some() {
            if let Some((i, seed)) = self.taken.get_mut(&print) {
                if line.seed && !*seed {
                    *seed = true;
                    let i = *i;
                    self.builder.mark_seed(i);
                    return Some(i);
                }
                return None;
            }
        }
        let when = (line.event.time, line.position);
        let last = self
            .latest
            .entry((line.host.to_string(), id.to_string()))
            .or_insert(when);
        *last = (*last).max(when);
        let i = self
            .builder
            .add(line.host, line.event, line.seed, line.position)?;
        if line.event.queue_id.is_some() {
            self.taken.insert(print, (i, line.seed));
        }
        Some(i)
    }

    /// A refusal that names no client (a before-queue proxy filter's) is
    /// completed by its smtpd session's first lines.
    fn refusal_sessions(&mut self, line: &Line) {
        if let (EventKind::Reject(reject), Some(pid)) = (&line.event.kind, line.event.pid) {
            if reject.client.is_none() && line.event.queue_id.is_none() {
                for pattern in super::sessions::client_patterns(pid) {
                    self.push(line.host, pattern, false);
                }
            }
        }
    }

    fn push(&mut self, host: &str, pattern: String, expand: bool) {
        let need = Need {
            host: host.to_string(),
            pattern,
            expand,
        };
        if self.pending.insert(need.clone()) {
            self.needs.push(need);
        }
    }

    /// Indexes the instances the new lines changed, joins them anew, and
    /// asks the groups that changed for their searches.
    fn settle(&mut self, touched: Vec<usize>) {
        let count = self.builder.instances().len();
        self.groups.grow(count);
        self.out.resize(count, Vec::new());
        let mut dirty: HashSet<usize> = HashSet::new();
        for &i in &touched {
            self.note(i, &mut dirty);
        }
        let mut lost = false;
        let mut dirty: Vec<usize> = dirty.into_iter().collect();
        dirty.sort_unstable();
        for &i in &dirty {
            lost |= self.relink(i);
        }
        if lost {
            self.regroup();
            dirty = (0..count).collect();
        }
        self.ask(dirty);
    }

    /// Indexes instance `i` and marks it and every instance whose links may
    /// lead to it as to be joined anew.
    fn note(&mut self, i: usize, dirty: &mut HashSet<usize>) {
        let inst = &self.builder.instances()[i];
        self.index.note(i, inst);
        dirty.insert(i);
        if let Some(from) = self.referrers.get(&inst.queue_id) {
            dirty.extend(from);
        }
        let named = inst
            .attempts
            .iter()
            .flat_map(|a| a.delivery.forwarded_as.iter().chain(&a.delivery.queued_as))
            .chain(inst.notifications.iter().map(|(_, _, next)| next));
        for id in named {
            let from = self.referrers.entry(id.clone()).or_default();
            if !from.contains(&i) {
                from.push(i);
            }
        }
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            // a filter's re-injection is found among same-host instances
            // with the Message-ID
            dirty.extend(self.index.with_message_id(&inst.host, mid));
            match self.by_message_id.get(mid) {
                Some(&first) => self.groups.join(first, i),
                None => {
                    self.by_message_id.insert(mid.to_string(), i);
                }
            }
        }
    }

    /// Joins instance `i` anew; says whether a join it had is gone.
    fn relink(&mut self, i: usize) -> bool {
        let links = links_from(self.builder.instances(), &self.index, i, self.directory);
        let lost = self.out[i].iter().any(|l| !links.contains(l));
        for link in links.iter().filter(|l| !self.out[i].contains(l)) {
            match link.kind {
                LinkKind::Notification => self.notified_by.entry(link.to).or_default().push(i),
                _ => self.groups.join(link.from, link.to),
            }
        }
        self.out[i] = links;
        lost
    }

    /// Groups every instance again from the joins kept (a join was lost).
    fn regroup(&mut self) {
        self.groups = Groups::default();
        self.groups.grow(self.builder.instances().len());
        self.notified_by.clear();
        for link in self.out.iter().flatten() {
            match link.kind {
                LinkKind::Notification => {
                    self.notified_by.entry(link.to).or_default().push(link.from)
                }
                _ => self.groups.join(link.from, link.to),
            }
        }
        for (i, inst) in self.builder.instances().iter().enumerate() {
            if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
                if let Some(&first) = self.by_message_id.get(mid) {
                    self.groups.join(first, i);
                }
            }
        }
    }

    /// Asks every traced group holding a changed instance for its searches;
    /// a group becomes traced when it holds a seed or a notification about
    /// a traced group.
    fn ask(&mut self, changed: Vec<usize>) {
        let mut work = changed;
        let mut asked: HashSet<usize> = HashSet::new();
        while let Some(i) = work.pop() {
            let root = self.groups.find(i);
            if !self.groups.wanted[root] && !self.traced(root) {
                continue;
            }
            self.groups.wanted[root] = true;
            if !asked.insert(root) {
                continue;
            }
            let members = self.groups.members[root].clone();
            for &m in &members {
                self.searches_of(m);
                work.extend(
                    self.out[m]
                        .iter()
                        .filter(|l| l.kind == LinkKind::Notification)
                        .map(|l| l.to),
                );
            }
        }
    }

    /// Whether the group of `root` holds a seed or a notification about a
    /// traced group.
    fn traced(&mut self, root: usize) -> bool {
        let members = self.groups.members[root].clone();
        members.iter().any(|&m| {
            self.builder.instances()[m].seed
                || self
                    .notified_by
                    .get(&m)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .any(|&x| {
                        let r = self.groups.find(x);
                        self.groups.wanted[r]
                    })
        })
    }

    /// The searches one instance of a traced group asks for: its own queue
    /// ID, its Message-ID, the queue IDs it handed on to tracked hosts that
    /// were not found yet, and its notifications.
    fn searches_of(&mut self, i: usize) {
        let instances = self.builder.instances();
        let inst = &instances[i];
        let mut found: Vec<(String, String, bool)> =
            vec![(inst.host.clone(), inst.queue_id.clone(), false)];
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            for host in &self.tracked {
                found.push((host.clone(), mid.to_string(), true));
            }
        }
        for attempt in &inst.attempts {
            if let Target::Missing {
                host,
                queue_id: Some(next),
            } = target_of(instances, &self.index, i, attempt, self.directory)
            {
                if self.tracked_set.contains(&host) {
                    found.push((host, next, false));
                }
            }
        }
        for (_, _, next) in &inst.notifications {
            found.push((inst.host.clone(), next.clone(), false));
        }
        for (host, pattern, expand) in found {
            self.push(&host, pattern, expand);
        }
    }
}

/// The ID a line joins the instances of: its queue ID, or for a seed of
/// another program the queue ID it names.
fn key_id<'a>(line: &Line<'a>) -> Option<&'a str> {
    match line.event.queue_id.as_deref() {
        Some(id) => Some(id),
        None => line.event.other_id.as_deref().filter(|_| line.seed),
    }
}
