//! Streaming correlation for whole-site windows (audits): lines go in as
//! they arrive, each host's in time order, and every message comes out as
//! soon as it has settled: all its instances removed from their queues and
//! every host past that moment by a margin. Settled instances are dropped,
//! so memory follows the mail in flight, not the size of the logs.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset};

use super::directory::HostDirectory;
use super::instance::{Instance, InstanceBuilder};
use super::links::{self, sent_attempts, InstanceIndex, Link, LinkKind, SentAttempt};
use super::model::{self, MessageTrace, REFUSAL_MATCH_SECS};
use super::sessions::Sessions;
use super::Position;
use crate::parse::{Effect, Event, EventKind, Reject};

/// How far every host must be past an instance's last line before it is
/// final: covers hops logged late by the next host and small clock skew.
const HORIZON_MINUTES: i64 = 15;
/// Lines between two attempts to hand out settled messages (at least).
const FLUSH_EVERY: usize = 20_000;

/// Decides which instances start a message worth handing out.
pub type SeedRule = Box<dyn Fn(&Instance) -> bool + Send>;

/// Joins lines into messages incrementally; see the module documentation.
pub struct StreamCorrelator {
    directory: Arc<dyn HostDirectory + Send + Sync>,
    seed: SeedRule,
    builder: InstanceBuilder,
    /// Hosts still sending lines, with the newest time each has sent.
    streaming: HashMap<String, Option<DateTime<FixedOffset>>>,
    /// Refusals before queueing that start a message, not yet handed out.
    refusals: Vec<(String, DateTime<FixedOffset>, Reject)>,
    /// The client of each smtpd session, for refusals that name none.
    sessions: Sessions,
    /// Where recent refusals stand, so a line read twice counts once.
    refusal_lines: HashMap<(String, Position), DateTime<FixedOffset>>,
    /// Notification instances (host, queue ID) whose message was handed
    /// out: that message's entry queue ID, and whether it was chosen (then
    /// the notice is chosen too).
    notified: HashMap<(String, String), (String, bool)>,
    sent: VecDeque<SentAttempt>,
    since_flush: usize,
    flush_every: usize,
    /// Most instances held at once (for the figures an audit reports).
    pub peak_instances: usize,
    /// Everything before this moment has been handed out.
    handed_out_before: Option<DateTime<FixedOffset>>,
    /// Per host, lines that came after the messages they belong to were
    /// handed out: that host's lines are not in time order (say, two live
    /// files under one glob), so its messages may be split.
    pub late_lines: BTreeMap<String, u64>,
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
            sessions: Sessions::default(),
            refusal_lines: HashMap::new(),
            notified: HashMap::new(),
            sent: VecDeque::new(),
            since_flush: 0,
            flush_every: FLUSH_EVERY,
            peak_instances: 0,
            handed_out_before: None,
            late_lines: BTreeMap::new(),
        }
    }

    /// Looks for settled messages every `lines` lines (default 20,000).
    pub fn flush_every(mut self, lines: usize) -> Self {
        self.flush_every = lines.max(1);
        self
    }

    /// Takes one line of `host` found at `position`; `seed_refusal` says
    /// whether a refusal before queueing on this line starts a message.
    pub fn push(
        &mut self,
        host: &str,
        event: &Event,
        position: Position,
        seed_refusal: bool,
        emit: &mut dyn FnMut(MessageTrace),
    ) {
        if let Some(mark) = self.streaming.get_mut(host) {
            if mark.is_none_or(|m| event.time > m) {
                *mark = Some(event.time);
            }
        }
        if self.handed_out_before.is_some_and(|t| event.time < t) {
            *self.late_lines.entry(host.to_string()).or_insert(0) += 1;
        }
        self.sessions.see(host, event);
        match (&event.queue_id, &event.kind) {
            (Some(_), _) => self.builder.push(host, event, false, position),
            (None, EventKind::Reject(reject))
                if seed_refusal
                    && reject.effect() != Effect::Noted
                    && self
                        .refusal_lines
                        .insert((host.to_string(), position), event.time)
                        .is_none() =>
            {
                let mut reject = reject.clone();
                if reject.client.is_none() {
                    reject.client = self.sessions.client(host, event).cloned();
                }
                self.refusals.push((host.to_string(), event.time, reject))
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
        if !all {
            self.handed_out_before = Some(limit);
        }
        let instances = self.builder.instances();
        self.peak_instances = self.peak_instances.max(instances.len());
        let index = InstanceIndex::new(instances);
        let links = links::resolve_indexed(instances, &index, self.directory.as_ref());
        let groups = model::components(instances, &links);
        let ready = ready_groups(instances, &links, &groups, limit, all);
        let group_links = model::links_by_group(&links, &groups);
        let no_links = Vec::new();
        let mut keep = vec![true; instances.len()];
        let mut out = HandOut {
            instances,
            index: &index,
            directory: self.directory.as_ref(),
            seed: &self.seed,
            notified: &mut self.notified,
            sent: &mut self.sent,
        };
        for members in ready {
            let links = members
                .first()
                .and_then(|m| group_links.get(&groups[*m]))
                .unwrap_or(&no_links);
            out.group(&members, links, emit);
            for i in &members {
                keep[*i] = false;
            }
        }
        self.hand_out_refusals(limit, all, emit);
        let oldest = earlier(limit, Duration::minutes(2 * HORIZON_MINUTES));
        self.sent.retain(|a| a.time >= oldest);
        self.builder.retain(&keep);
    }

    /// Hands out the refusals old enough that every attempt they may answer
    /// has been seen, unless an attempt of a chosen message explains them.
    fn hand_out_refusals(
        &mut self,
        limit: DateTime<FixedOffset>,
        all: bool,
        emit: &mut dyn FnMut(MessageTrace),
    ) {
        let cut = earlier(limit, Duration::seconds(REFUSAL_MATCH_SECS));
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.refusals)
            .into_iter()
            .partition(|(_, time, _)| all || *time < cut);
        self.refusals = waiting;
        if due.is_empty() {
            return;
        }
        // only attempts close to a refusal in time can have met it
        let margin = Duration::seconds(REFUSAL_MATCH_SECS);
        let low = due.iter().map(|(_, t, _)| earlier(*t, margin)).min();
        let high = due
            .iter()
            .map(|(_, t, _)| t.checked_add_signed(margin).unwrap_or(*t))
            .max();
        let near =
            |t: DateTime<FixedOffset>| low.is_some_and(|l| t >= l) && high.is_some_and(|h| t <= h);
        // instances not handed out yet count when they start a message
        let open = self
            .builder
            .instances()
            .iter()
            .filter(|inst| (self.seed)(inst))
            .flat_map(|inst| sent_attempts(inst, self.directory.as_ref(), &near));
        let kept = self.sent.iter().filter(|a| near(a.time)).cloned();
        // every attempt that may have met a refusal, by (host, recipient)
        let mut attempts: HashMap<(String, String), Vec<DateTime<FixedOffset>>> = HashMap::new();
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
}

/// What handing out settled groups needs from the correlator.
struct HandOut<'a> {
    instances: &'a [Instance],
    index: &'a InstanceIndex,
    directory: &'a (dyn HostDirectory + Send + Sync),
    seed: &'a SeedRule,
    notified: &'a mut HashMap<(String, String), (String, bool)>,
    sent: &'a mut VecDeque<SentAttempt>,
}

impl HandOut<'_> {
    fn key(&self, i: usize) -> (String, String) {
        let inst = &self.instances[i];
        (inst.host.clone(), inst.queue_id.clone())
    }

    /// Each queue entry of a settled group is a message (see
    /// model::assemble); the chosen ones are emitted, and every entry tells
    /// its notices which message they report on.
    fn group(&mut self, members: &[usize], links: &[Link], emit: &mut dyn FnMut(MessageTrace)) {
        let instances = self.instances;
        for part in model::partitions(instances, members, links, self.directory) {
            let mut notice = None;
            let mut chosen = part.iter().any(|i| (self.seed)(&instances[*i]));
            for i in &part {
                if let Some((about, about_chosen)) = self.notified.remove(&self.key(*i)) {
                    notice.get_or_insert(about);
                    chosen |= about_chosen;
                }
            }
            for l in links.iter().filter(|l| {
                l.kind == LinkKind::Notification && part.contains(&l.from) && !part.contains(&l.to)
            }) {
                let about = instances[part[0]].queue_id.clone();
                let key = self.key(l.to);
                self.notified.insert(key, (about, chosen));
            }
            if !chosen {
                continue;
            }
            for i in &part {
                self.sent
                    .extend(sent_attempts(&instances[*i], self.directory, &|_| true));
            }
            emit(model::message(
                instances,
                self.index,
                links,
                &part,
                notice,
                self.directory,
            ));
        }
    }
}

/// The groups every instance of which is over and past `limit` (all of
/// them when `all`), and whose notices' messages are too: the message a
/// notice reports on first (they may start in the same second), notices of
/// notices after that, then by first line.
fn ready_groups(
    instances: &[Instance],
    links: &[Link],
    groups: &[usize],
    limit: DateTime<FixedOffset>,
    all: bool,
) -> Vec<Vec<usize>> {
    let mut by_group: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_group.entry(*g).or_default().push(i);
    }
    let settled = |i: &usize| all || (over(&instances[*i], limit) && instances[*i].last < limit);
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
    let mut notices_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (about, notice) in &notices {
        notices_of.entry(*about).or_default().push(*notice);
    }
    let mut work: Vec<usize> = waiting.iter().copied().collect();
    while let Some(group) = work.pop() {
        for notice in notices_of.get(&group).into_iter().flatten() {
            if waiting.insert(*notice) {
                work.push(*notice);
            }
        }
    }
    let depth = notice_depth(&notices);
    let mut ready: Vec<Vec<usize>> = by_group
        .into_iter()
        .filter(|(g, _)| !waiting.contains(g))
        .map(|(_, members)| members)
        .collect();
    ready.sort_by_key(|members| {
        let group = members.first().map(|m| groups[*m]);
        (
            group.and_then(|g| depth.get(&g)).copied().unwrap_or(0),
            members.iter().map(|i| instances[*i].first).min(),
        )
    });
    ready
}

/// Over: removed from the queue, refused by cleanup (no `removed`
/// follows), or never queued (a dropped session) and quiet for an hour;
/// mail on hold stays in the queue until released or removed.
fn over(inst: &Instance, limit: DateTime<FixedOffset>) -> bool {
    let abandoned = earlier(limit, Duration::hours(1));
    let never_queued = inst.size.is_none() && inst.attempts.is_empty();
    let held = inst.rejects.iter().any(|(_, r)| r.effect() == Effect::Held);
    inst.removed || (never_queued && !held && (!inst.rejects.is_empty() || inst.last < abandoned))
}

/// How deep in a chain of notices each notice group is (a notice about a
/// notice is 2).
fn notice_depth(notices: &[(usize, usize)]) -> HashMap<usize, usize> {
    let mut depth: HashMap<usize, usize> = HashMap::new();
    for _ in 0..notices.len() {
        let mut changed = false;
        for (about, notice) in notices {
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
    depth
}

/// `t - d`, or the earliest time there is (times come from log lines).
fn earlier(t: DateTime<FixedOffset>, d: Duration) -> DateTime<FixedOffset> {
    t.checked_sub_signed(d)
        .unwrap_or(DateTime::<FixedOffset>::MIN_UTC.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_line, LineContext};
    use crate::time::Zone;
    use crate::trace::directory::NoHosts;

    /// A new position for each line pushed.
    fn next_line() -> Position {
        static LINE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Position {
            line: LINE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            ..Position::default()
        }
    }

    fn event(line: &str) -> Event {
        let ctx = LineContext {
            zone: Zone::parse("UTC").expect("zone"),
            reference: chrono::DateTime::parse_from_rfc3339("2026-11-29T00:00:00Z")
                .expect("time")
                .to_utc(),
        };
        parse_line(line, &ctx).expect("a syslog line")
    }

    fn message(at: &str, qid: &str) -> Vec<Event> {
        [
            format!("Nov 28 {at} a postfix/smtpd[1]: {qid}: client=c.example[192.0.2.1]"),
            format!("Nov 28 {at} a postfix/qmgr[2]: {qid}: from=<s@example.org>, size=1, nrcpt=1 (queue active)"),
            format!("Nov 28 {at} a postfix/smtp[3]: {qid}: to=<r@example.net>, relay=mx.example.net[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)"),
            format!("Nov 28 {at} a postfix/qmgr[2]: {qid}: removed"),
        ]
        .iter()
        .map(|l| event(l))
        .collect()
    }

    #[test]
    fn settled_messages_leave_and_late_lines_are_counted() {
        let hosts = vec!["a".to_string()];
        let mut stream =
            StreamCorrelator::new(Arc::new(NoHosts), &hosts, Box::new(|_| true)).flush_every(1);
        let mut out = Vec::new();
        let mut emit = |m: MessageTrace| out.push(m.recipients[0].state);
        for e in message("10:00:00", "AAAAA11111") {
            stream.push("a", &e, next_line(), false, &mut emit);
        }
        // an hour later the first message has settled and is handed out
        for e in message("11:00:00", "BBBBB22222") {
            stream.push("a", &e, next_line(), false, &mut emit);
        }
        assert_eq!(stream.builder.instances().len(), 1, "the settled stay left");
        assert!(stream.late_lines.is_empty());
        // a line from before what was handed out: the host went back in time
        for e in message("09:00:00", "CCCCC33333") {
            stream.push("a", &e, next_line(), false, &mut emit);
        }
        stream.host_done("a", &mut emit);
        stream.finish(&mut emit);
        assert_eq!(stream.late_lines.get("a"), Some(&4));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_session_refused_by_cleanup_settles_without_removed() {
        let hosts = vec!["a".to_string()];
        let mut stream =
            StreamCorrelator::new(Arc::new(NoHosts), &hosts, Box::new(|_| true)).flush_every(1);
        let mut out = 0;
        let mut emit = |_| out += 1;
        for l in [
            "Nov 28 10:00:00 a postfix/smtpd[1]: DDDDD44444: client=c.example[192.0.2.1]",
            "Nov 28 10:00:00 a postfix/cleanup[2]: DDDDD44444: reject: header Subject: spam from c.example[192.0.2.1]; from=<s@example.org> to=<r@example.net> proto=ESMTP helo=<c>: 5.7.1 no",
        ] {
            stream.push("a", &event(l), next_line(), false, &mut emit);
        }
        for e in message("10:30:00", "EEEEE55555") {
            stream.push("a", &e, next_line(), false, &mut emit);
        }
        assert_eq!(
            out, 1,
            "the refused message was handed out without a `removed`"
        );
    }
}
