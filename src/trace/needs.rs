//! What the next search round must look for: Message-IDs of the traced
//! messages on every tracked host while their path is open (only on their
//! own hosts once it is complete), queue IDs handed to hosts whose lines
//! for them have not been seen yet, and the session lines that name the
//! client of a refusal that does not.
//!
//! [`Rounds`] keeps the instances, their links and the message groups from
//! one round to the next: a round's new lines extend them, and only the
//! groups they changed are asked for new searches.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};

use super::directory::HostDirectory;
use super::instance::{fingerprint, Attempt, Instance, InstanceBuilder};
use super::links::{links_from, resolve_peer, target_of, InstanceIndex, Link, LinkKind, Target};
use super::{Position, Record};
use crate::parse::{Event, EventKind, Relay};

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
            let sweep = self.sweep_hosts(&members);
            for &m in &members {
                self.searches_of(m, &sweep);
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
    fn searches_of(&mut self, i: usize, sweep: &[String]) {
        let instances = self.builder.instances();
        let inst = &instances[i];
        let mut found: Vec<(String, String, bool)> =
            vec![(inst.host.clone(), inst.queue_id.clone(), false)];
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            for host in sweep {
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

impl Rounds<'_> {
    /// The tracked hosts where the message of a group (its `members`) may
    /// still have a stay the trace has not seen, to search its Message-ID
    /// on. While its path is open (a stay it was handed to or came from is
    /// missing, it went through an untracked inventory host, its origin is
    /// not logged) every tracked host, so that one round finds all hops;
    /// once every hop reached a stay seen, a host out of the site or a
    /// delivery, only the hosts of its stays and deliveries (a filter's
    /// re-injection keeps the Message-ID on the same host).
    fn sweep_hosts(&mut self, members: &[usize]) -> Vec<String> {
        let entered: HashSet<usize> = members
            .iter()
            .flat_map(|&m| &self.out[m])
            .filter(|l| l.kind != LinkKind::Notification)
            .map(|l| l.to)
            .collect();
        let instances = self.builder.instances();
        let mut hosts: HashSet<String> = HashSet::new();
        for &m in members {
            let inst = &instances[m];
            hosts.insert(inst.host.clone());
            let origin = if entered.contains(&m) || self.notified_by.contains_key(&m) {
                Reach::Nowhere
            } else {
                origin(inst, self.directory)
            };
            let hops = inst.attempts.iter().map(|a| {
                let target = target_of(instances, &self.index, m, a, self.directory);
                hop(inst, a, target, self.directory)
            });
            for reach in std::iter::once(origin).chain(hops) {
                match reach {
                    Reach::Nowhere => {}
                    Reach::Host(host) => {
                        hosts.insert(host);
                    }
                    Reach::Anywhere => return self.tracked.clone(),
                }
            }
        }
        let tracked = self.tracked.iter();
        tracked.filter(|h| hosts.contains(*h)).cloned().collect()
    }
}

/// Where a stay of a message not seen yet may be.
enum Reach {
    Nowhere,
    Host(String),
    Anywhere,
}

/// Where the stay that handed `inst` over may be (it entered by no hop
/// the trace holds): none for mail picked up on the host or from out of
/// the site, the host for a re-injection, anywhere when it came from an
/// inventory host or its arrival is not logged.
fn origin(inst: &Instance, directory: &dyn HostDirectory) -> Reach {
    let Some(client) = &inst.client else {
        return match inst.arrived {
            Some(_) => Reach::Nowhere,
            None => Reach::Anywhere,
        };
    };
    if super::links::is_loopback(client) {
        return Reach::Host(inst.host.clone());
    }
    match resolve_peer(client, directory) {
        Some(_) => Reach::Anywhere,
        None => Reach::Nowhere,
    }
}

/// Where a stay after one attempt of `inst` may be.
fn hop(inst: &Instance, attempt: &Attempt, target: Target, directory: &dyn HostDirectory) -> Reach {
    match target {
        Target::Instance { .. } | Target::External(_) => Reach::Nowhere,
        Target::Missing { .. } | Target::Untracked(_) => Reach::Anywhere,
        // a delivery: on this host, or over LMTP to an inventory host
        Target::Local => match &attempt.delivery.relay {
            Relay::Remote(peer) => match resolve_peer(peer, directory) {
                Some(host) if host.tracked => Reach::Host(host.name),
                _ => Reach::Host(inst.host.clone()),
            },
            Relay::Named { .. } => Reach::Host(inst.host.clone()),
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_line, LineContext};
    use crate::time::Zone;
    use crate::trace::directory::Resolved;
    use chrono::TimeZone;

    /// A site of 100 tracked hosts, h1 to h100 (h7 is 10.0.0.7).
    struct Site;

    impl HostDirectory for Site {
        fn resolve(&self, name: &str) -> Option<Resolved> {
            let name = name
                .strip_prefix("10.0.0.")
                .map_or(name.to_string(), |n| format!("h{n}"));
            let n: usize = name.strip_prefix('h')?.parse().ok()?;
            (1..=100).contains(&n).then_some(Resolved {
                name,
                tracked: true,
            })
        }

        fn cluster_of(&self, _: &str) -> Option<String> {
            None
        }
    }

    /// Every Message-ID search asked for after one round found `lines` on h1.
    fn sweeps(lines: &[&str]) -> Vec<(String, String)> {
        let ctx = LineContext {
            zone: Zone::parse("+00:00").unwrap(),
            reference: chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
        };
        let events: Vec<Event> = lines.iter().map(|l| parse_line(l, &ctx).unwrap()).collect();
        let found: Vec<Line> = events
            .iter()
            .enumerate()
            .map(|(n, event)| Line {
                host: "h1",
                event,
                seed: true,
                position: Position {
                    line: n as u64 + 1,
                    ..Position::default()
                },
            })
            .collect();
        let tracked: Vec<String> = (1..=100).map(|n| format!("h{n}")).collect();
        let mut rounds = Rounds::new(&Site, &tracked);
        rounds.add(&found).unwrap();
        let needs = rounds.take_needs();
        let unique: HashSet<&Need> = needs.iter().collect();
        assert_eq!(unique.len(), needs.len(), "a search asked for twice");
        needs
            .into_iter()
            .filter(|n| n.expand)
            .map(|n| (n.host, n.pattern))
            .collect()
    }

    const BOUNCED: [&str; 9] = [
        "Nov 23 10:02:12 h1 postfix/smtpd[1]: AAAA1111: client=mx.example.net[203.0.113.5]",
        "Nov 23 10:02:12 h1 postfix/cleanup[3]: AAAA1111: message-id=<orig@example.net>",
        "Nov 23 10:02:13 h1 postfix/qmgr[2]: AAAA1111: from=<a@example.net>, size=900, nrcpt=1 (queue active)",
        "Nov 23 10:02:14 h1 postfix/local[4]: AAAA1111: to=<nouser@h1>, relay=local, delay=1, delays=0/0/0/0, dsn=5.1.1, status=bounced (unknown user: \"nouser\")",
        "Nov 23 10:02:14 h1 postfix/bounce[5]: AAAA1111: sender non-delivery notification: BBBB2222",
        "Nov 23 10:02:14 h1 postfix/cleanup[3]: BBBB2222: message-id=<bounce@h1>",
        "Nov 23 10:02:14 h1 postfix/qmgr[2]: BBBB2222: from=<>, size=2000, nrcpt=1 (queue active)",
        "Nov 23 10:02:15 h1 postfix/smtp[6]: BBBB2222: to=<a@example.net>, relay=mx.example.net[203.0.113.5]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as XYZ)",
        "Nov 23 10:02:15 h1 postfix/qmgr[2]: BBBB2222: removed",
    ];

    #[test]
    fn a_complete_path_sweeps_only_its_own_host() {
        let asked = sweeps(&BOUNCED);
        let hosts: HashSet<&str> = asked.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(hosts, HashSet::from(["h1"]), "{asked:?}");
        assert_eq!(asked.len(), 2, "{asked:?}");
    }

    #[test]
    fn a_hop_to_a_tracked_host_not_seen_sweeps_every_host() {
        let asked = sweeps(&[
            BOUNCED[0],
            BOUNCED[1],
            BOUNCED[2],
            "Nov 23 10:02:14 h1 postfix/smtp[4]: AAAA1111: to=<b@example.edu>, relay=h7[10.0.0.7]:25, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as CCCC3333)",
        ]);
        // the next hops may all be found in the next round
        assert_eq!(asked.len(), 100, "{asked:?}");
    }

    #[test]
    fn an_origin_not_logged_sweeps_every_host() {
        let asked = sweeps(&[BOUNCED[1], BOUNCED[2]]);
        assert_eq!(asked.len(), 100, "{asked:?}");
    }
}
