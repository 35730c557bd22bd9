//! The trace as handed to analysis and rendering: messages, their nodes,
//! hop edges and recipient outcomes, assembled from instances and links.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::directory::HostDirectory;
use super::instance::Instance;
use super::links::{sent_attempts, target_of, InstanceIndex, Link, LinkKind, Target};
use super::outcome::recipient_outcomes;
use super::sessions::Sessions;
use super::Record;
use crate::parse::{DeliveryStatus, Effect, EventKind, Peer, Reject};

/// A recipient's final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Delivered,
    Relayed,
    Untracked,
    Deferred,
    Bounced,
    Expired,
    Rejected,
    Discarded,
    Held,
    Unknown,
}

impl State {
    /// The state a refusal, discard or hold leaves the mail in.
    pub fn of_effect(effect: Effect) -> State {
        match effect {
            Effect::Discarded => State::Discarded,
            Effect::Held => State::Held,
            Effect::Refused | Effect::Noted => State::Rejected,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            State::Delivered => "delivered",
            State::Relayed => "relayed",
            State::Untracked => "untracked",
            State::Deferred => "deferred",
            State::Bounced => "bounced",
            State::Expired => "expired",
            State::Rejected => "rejected",
            State::Discarded => "discarded",
            State::Held => "held",
            State::Unknown => "unknown",
        }
    }
}

/// Where one recipient ended up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipientOutcome {
    pub address: String,
    /// The address as first seen, when aliases or lists changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    pub state: State,
    /// The host where the state was decided (for relayed/untracked: the receiver).
    pub host: String,
    pub mail_id: Option<String>,
    pub dsn: Option<String>,
    pub smtp_code: Option<u16>,
    pub reply: Option<String>,
    pub time: Option<DateTime<FixedOffset>>,
    /// Hops from the entry host to where the state was decided (a refusal by
    /// the next host counts).
    pub hops: usize,
    /// The hosts the recipient reached, from the entry host on.
    pub path: Vec<String>,
    /// The host that refused the last attempt, when it was another host that
    /// answered (a host that could not be reached is not on the path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_hop: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The refusal, discard or hold that decided the state, as logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_at: Option<RefusedAt>,
}

/// The action and SMTP stage (or cleanup class) of a refusal, discard or
/// hold: `reject` at `RCPT`, `proxy-reject` at `END-OF-MESSAGE`,
/// `milter-hold` at `END-OF-MESSAGE`, `reject` at `header`...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedAt {
    pub action: String,
    pub stage: String,
}

impl RefusedAt {
    pub fn of(reject: &Reject) -> RefusedAt {
        RefusedAt {
            action: reject.action.clone(),
            stage: reject.stage.clone(),
        }
    }
}

/// What happened to a message whose recipients no line names: refused,
/// discarded or held before any recipient was logged (a refusal at
/// CONNECT, HELO or MAIL, a header check on locally submitted mail).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub state: State,
    pub host: String,
    /// The queue ID, when the message had one.
    pub mail_id: Option<String>,
    /// The action and stage as logged, e.g. `reject` at `MAIL`.
    pub action: String,
    pub stage: String,
    pub dsn: Option<String>,
    pub smtp_code: Option<u16>,
    pub reply: String,
    pub time: DateTime<FixedOffset>,
}

/// One hand-off of a group of recipients from one host to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub mail_id: String,
    pub next_mail_id: Option<String>,
    pub recipients: Vec<String>,
    pub time: DateTime<FixedOffset>,
    pub status: String,
    pub dsn: Option<String>,
    pub smtp_code: Option<u16>,
    pub reply: String,
    /// Earlier attempts of this hop that failed temporarily.
    pub retries: usize,
}

/// Who handed the message to the first host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    pub client: Option<String>,
    pub sasl_username: Option<String>,
}

/// One queue ID on one host, as shown in detail output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceView {
    pub host: String,
    pub mail_id: String,
    pub first: DateTime<FixedOffset>,
    pub last: DateTime<FixedOffset>,
    pub client: Option<String>,
    pub sasl_username: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptView {
    pub time: DateTime<FixedOffset>,
    pub to: String,
    pub relay: String,
    pub status: String,
    pub dsn: Option<String>,
    pub reply: String,
    pub smtp_code: Option<u16>,
    pub delay: Option<f64>,
    /// `delays=a/b/c/d`: before the queue manager, in it, connection set-up, transmission.
    pub delays: Option<[f64; 4]>,
}

/// One message: every instance joined by hops or sharing its Message-ID.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageTrace {
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub origin: Option<Origin>,
    /// The first queue ID of the message this one reports on (bounce/delay notices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_of: Option<String>,
    pub first_seen: Option<DateTime<FixedOffset>>,
    pub nodes: Vec<String>,
    pub edges: Vec<Edge>,
    pub hop_count: usize,
    pub recipients: Vec<RecipientOutcome>,
    /// The message's fate when no recipient is named (then `recipients` is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    pub instances: Vec<InstanceView>,
}

/// Everything found: per message, and the union over messages.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Trace {
    pub messages: Vec<MessageTrace>,
    pub nodes: Vec<String>,
    pub edges: Vec<Edge>,
    pub hop_count: usize,
    pub recipients: Vec<RecipientOutcome>,
}

/// Builds the trace of the messages that contain a seed.
///
/// Instances joined by hops or by a Message-ID form a group; each queue
/// entry of a group (a root and what its hops reach, see [`partitions`]) is
/// a message of its own with its own sender and recipients. The entries
/// with a seed are shown, with the notifications about them.
pub fn assemble(
    records: &[Record],
    instances: &[Instance],
    links: &[Link],
    directory: &dyn HostDirectory,
) -> Trace {
    let index = InstanceIndex::new(instances);
    let groups = components(instances, links);
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_group.entry(*g).or_default().push(i);
    }
    let group_links = links_by_group(links, &groups);
    let no_links = Vec::new();
    let local = |members: &[usize]| {
        members
            .first()
            .and_then(|m| group_links.get(&groups[*m]))
            .unwrap_or(&no_links)
    };
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut seeded: Vec<bool> = Vec::new();
    for members in by_group.values() {
        for part in partitions(instances, members, local(members), directory) {
            seeded.push(part.iter().any(|i| instances[*i].seed));
            parts.push(part);
        }
    }
    let mut part_of = vec![0; instances.len()];
    for (p, members) in parts.iter().enumerate() {
        for i in members {
            part_of[*i] = p;
        }
    }
    let notices: Vec<&Link> = links
        .iter()
        .filter(|l| l.kind == LinkKind::Notification && part_of[l.from] != part_of[l.to])
        .collect();
    // the seeded messages, and the notifications about them
    let mut chosen: Vec<usize> = (0..parts.len()).filter(|p| seeded[*p]).collect();
    let mut k = 0;
    while k < chosen.len() {
        let current = chosen[k];
        for link in notices.iter().filter(|l| part_of[l.from] == current) {
            if !chosen.contains(&part_of[link.to]) {
                chosen.push(part_of[link.to]);
            }
        }
        k += 1;
    }
    let traced: Vec<usize> = chosen.iter().flat_map(|p| parts[*p].clone()).collect();
    let mut messages: Vec<MessageTrace> = chosen
        .into_iter()
        .map(|p| {
            // a notification names the entry queue ID of the message it reports on
            let about = notices
                .iter()
                .find(|l| part_of[l.to] == p)
                .map(|l| instances[parts[part_of[l.from]][0]].queue_id.clone());
            let members = &parts[p];
            message(instances, &index, local(members), members, about, directory)
        })
        .collect();
    messages.extend(rejections(records, instances, &traced, directory));
    messages.sort_by_key(|m| m.first_seen);
    union(messages)
}

/// Splits a group of instances into its queue entries: each root that
/// took the mail from outside the site (no member handed it over, and its
/// client is no other inventory host) with every instance its hops and
/// re-injections reach. A member no entry reaches (a stay after a host
/// whose logs are missing) joins the latest entry that started before it,
/// or the first. Each entry starts with its root; entries are in time order.
pub(super) fn partitions(
    instances: &[Instance],
    members: &[usize],
    links: &[Link],
    directory: &dyn HostDirectory,
) -> Vec<Vec<usize>> {
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|i| (instances[*i].first, *i));
    let from_site = |i: &usize| {
        let inst = &instances[*i];
        inst.client.as_ref().is_some_and(|c| {
            super::links::resolve_peer(c, directory).is_some_and(|r| r.name != inst.host)
        })
    };
    let mut roots = roots_or(instances, &sorted, links, directory);
    if roots.iter().any(|r| !from_site(r)) {
        roots.retain(|r| !from_site(r));
    } else {
        roots.truncate(1);
    }
    let mut parts: Vec<Vec<usize>> = roots.iter().map(|r| vec![*r]).collect();
    let mut owner: HashMap<usize, usize> = roots.iter().enumerate().map(|(k, r)| (*r, k)).collect();
    for (k, part) in parts.iter_mut().enumerate() {
        let mut next = 0;
        while next < part.len() {
            let current = part[next];
            next += 1;
            for l in links
                .iter()
                .filter(|l| l.from == current && l.kind != LinkKind::Notification)
            {
                if sorted.contains(&l.to) && !owner.contains_key(&l.to) {
                    owner.insert(l.to, k);
                    part.push(l.to);
                }
            }
        }
    }
    for m in &sorted {
        if !owner.contains_key(m) {
            let start = instances[*m].first;
            let k = roots
                .iter()
                .rposition(|r| instances[*r].first <= start)
                .unwrap_or(0);
            owner.insert(*m, k);
            parts[k].push(*m);
        }
    }
    parts
}

pub(super) fn links_by_group(links: &[Link], groups: &[usize]) -> HashMap<usize, Vec<Link>> {
    let mut out: HashMap<usize, Vec<Link>> = HashMap::new();
    for l in links {
        let (a, b) = (groups[l.from], groups[l.to]);
        out.entry(a).or_default().push(*l);
        if b != a {
            out.entry(b).or_default().push(*l);
        }
    }
    out
}

/// Union-find over instances: hops, same-host hand-overs and shared Message-IDs.
pub(super) fn components(instances: &[Instance], links: &[Link]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..instances.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let join = |parent: &mut [usize], a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    for link in links.iter().filter(|l| l.kind != LinkKind::Notification) {
        join(&mut parent, link.from, link.to);
    }
    let mut by_message_id: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, inst) in instances.iter().enumerate() {
        if let Some(mid) = inst.message_id.as_deref().filter(|m| m.len() > 2) {
            match by_message_id.get(mid) {
                Some(&first) => join(&mut parent, first, i),
                None => {
                    by_message_id.insert(mid, i);
                }
            }
        }
    }
    (0..instances.len()).map(|i| find(&mut parent, i)).collect()
}

/// The trace of one message from its member instances.
pub(super) fn message(
    instances: &[Instance],
    index: &InstanceIndex,
    links: &[Link],
    members: &[usize],
    notification_of: Option<String>,
    directory: &dyn HostDirectory,
) -> MessageTrace {
    let mut members = members.to_vec();
    members.sort_by_key(|i| instances[*i].first);
    // roots: members no hop or hand-over leads to, earliest first
    let roots = roots_or(instances, &members, links, directory);
    let entry = roots[0];
    let first = &instances[entry];
    let mut recipients = Vec::new();
    for root in &roots {
        recipients.extend(recipient_outcomes(instances, index, *root, directory));
    }
    let path_order = bfs_order(&members, &roots, links);
    let edges = edges(instances, index, &path_order, directory);
    let mut nodes = vec![first.host.clone()];
    for e in &edges {
        for n in [&e.from, &e.to] {
            if !nodes.contains(n) {
                nodes.push(n.clone());
            }
        }
    }
    let origin = first.client.as_ref().map(|c| Origin {
        client: Some(peer_text(c)),
        sasl_username: first.sasl_username.clone(),
    });
    let hop_count = recipients.iter().map(|r| r.hops).max().unwrap_or(0);
    MessageTrace {
        message_id: members
            .iter()
            .find_map(|i| instances[*i].message_id.clone()),
        sender: members.iter().find_map(|i| instances[*i].sender.clone()),
        origin,
        notification_of,
        first_seen: Some(first.first),
        nodes,
        edges,
        hop_count,
        refused: if recipients.is_empty() {
            unnamed_refusal(first)
        } else {
            None
        },
        recipients,
        instances: path_order.iter().map(|i| view(&instances[*i])).collect(),
    }
}

/// Where the message entered: members that no hop, hand-over or failed hop
/// of another member leads to (a member received from another member's host
/// is downstream even when the hop failed). With a loop, the earliest member.
fn roots_or(
    instances: &[Instance],
    members: &[usize],
    links: &[Link],
    directory: &dyn HostDirectory,
) -> Vec<usize> {
    let hosts: Vec<&str> = members
        .iter()
        .map(|i| instances[*i].host.as_str())
        .collect();
    let roots: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| {
            let linked = links.iter().any(|l| {
                l.to == *i && l.kind != LinkKind::Notification && members.contains(&l.from)
            });
            let from_member = instances[*i].client.as_ref().is_some_and(|c| {
                super::links::resolve_peer(c, directory).is_some_and(|r| {
                    r.name != instances[*i].host && hosts.contains(&r.name.as_str())
                })
            });
            !linked && !from_member
        })
        .collect();
    if roots.is_empty() {
        vec![members[0]]
    } else {
        roots
    }
}

/// Members in the order the message reached them, so that hops logged in
/// the same second still read in path order.
fn bfs_order(members: &[usize], roots: &[usize], links: &[Link]) -> Vec<usize> {
    let mut order: Vec<usize> = roots.to_vec();
    let mut next = 0;
    while next < order.len() {
        let current = order[next];
        next += 1;
        for l in links
            .iter()
            .filter(|l| l.from == current && l.kind != LinkKind::Notification)
        {
            if members.contains(&l.to) && !order.contains(&l.to) {
                order.push(l.to);
            }
        }
    }
    for m in members {
        if !order.contains(m) {
            order.push(*m);
        }
    }
    order
}

fn edges(
    instances: &[Instance],
    index: &InstanceIndex,
    members: &[usize],
    directory: &dyn HostDirectory,
) -> Vec<Edge> {
    let mut edges: Vec<Edge> = Vec::new();
    for &i in members {
        let inst = &instances[i];
        for recipient in inst.recipients() {
            let Some(last) = inst.last_attempt(&recipient) else {
                continue;
            };
            let (to, next) = match target_of(instances, index, i, last, directory) {
                Target::Instance {
                    index: j,
                    kind: LinkKind::Hop,
                } => (
                    instances[j].host.clone(),
                    Some(instances[j].queue_id.clone()),
                ),
                Target::Instance { .. } | Target::Local => continue,
                Target::Missing { host, queue_id } => (host, queue_id),
                Target::Untracked(name) | Target::External(name) => {
                    (name, last.delivery.queued_as.clone())
                }
            };
            let retries = inst
                .attempts
                .iter()
                .filter(|a| a.delivery.to == recipient && a.time < last.time)
                .count();
            let status = status_word(last.delivery.status);
            if let Some(e) = edges.iter_mut().find(|e| {
                e.from == inst.host
                    && e.to == to
                    && e.mail_id == inst.queue_id
                    && e.next_mail_id == next
                    && e.status == status
            }) {
                e.recipients.push(recipient);
                e.retries = e.retries.max(retries);
                continue;
            }
            edges.push(Edge {
                from: inst.host.clone(),
                to,
                mail_id: inst.queue_id.clone(),
                next_mail_id: next,
                recipients: vec![recipient],
                time: last.time,
                status: status.to_string(),
                dsn: last.delivery.dsn.clone(),
                smtp_code: last.delivery.smtp_code,
                reply: last.delivery.reply.clone(),
                retries,
            });
        }
    }
    edges.sort_by_key(|e| e.time);
    edges
}

pub fn status_word(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Deferred => "deferred",
        DeliveryStatus::Bounced => "bounced",
        DeliveryStatus::Expired => "expired",
        DeliveryStatus::Undeliverable => "undeliverable",
        DeliveryStatus::Deliverable => "deliverable",
    }
}

fn view(inst: &Instance) -> InstanceView {
    InstanceView {
        host: inst.host.clone(),
        mail_id: inst.queue_id.clone(),
        first: inst.first,
        last: inst.last,
        client: inst.client.as_ref().map(peer_text),
        sasl_username: inst.sasl_username.clone(),
        attempts: inst
            .attempts
            .iter()
            .map(|a| AttemptView {
                time: a.time,
                to: a.delivery.to.clone(),
                relay: match &a.delivery.relay {
                    crate::parse::Relay::Remote(p) => match (&p.ip, p.port) {
                        (Some(ip), Some(port)) => format!("{}[{}]:{}", p.name, ip, port),
                        (Some(ip), None) => format!("{}[{}]", p.name, ip),
                        _ => p.name.clone(),
                    },
                    crate::parse::Relay::Named { name } => name.clone(),
                },
                status: status_word(a.delivery.status).to_string(),
                dsn: a.delivery.dsn.clone(),
                reply: a.delivery.reply.clone(),
                smtp_code: a.delivery.smtp_code,
                delay: a.delivery.delay,
                delays: a.delivery.delays,
            })
            .collect(),
    }
}

/// The last refusal, discard or hold of an instance that names no recipient.
fn unnamed_refusal(inst: &Instance) -> Option<Refusal> {
    let (time, r) = inst.rejects.last()?;
    Some(refusal_of(&inst.host, Some(&inst.queue_id), *time, r))
}

fn refusal_of(
    host: &str,
    mail_id: Option<&str>,
    time: DateTime<FixedOffset>,
    r: &Reject,
) -> Refusal {
    Refusal {
        state: State::of_effect(r.effect()),
        host: host.to_string(),
        mail_id: mail_id.map(str::to_string),
        action: r.action.clone(),
        stage: r.stage.clone(),
        dsn: r.dsn.clone(),
        smtp_code: r.smtp_code,
        reply: r.reply.clone(),
        time,
    }
}

/// Refusals without a queue ID (NOQUEUE) that were asked for and are not
/// already explained by an attempt of a traced message (the sending side's
/// deferral or bounce shows them). Each refusal line is its own message;
/// only the same line read twice (same host and position) counts once.
fn rejections(
    records: &[Record],
    instances: &[Instance],
    traced: &[usize],
    directory: &dyn HostDirectory,
) -> Vec<MessageTrace> {
    let mut attempts: HashMap<(String, String), Vec<DateTime<FixedOffset>>> = HashMap::new();
    for i in traced {
        for a in sent_attempts(&instances[*i], directory, &|_| true) {
            attempts
                .entry((a.to_host, a.recipient))
                .or_default()
                .push(a.time);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut order: Vec<&Record> = records.iter().collect();
    order.sort_by_key(|r| (r.event.time, r.position));
    let mut sessions = Sessions::default();
    for record in order {
        sessions.see(&record.host, &record.event);
        let EventKind::Reject(reject) = &record.event.kind else {
            continue;
        };
        if !record.seed
            || record.event.queue_id.is_some()
            || reject.effect() == Effect::Noted
            || !seen.insert((&record.host, record.position))
        {
            continue;
        }
        let mut reject = reject.clone();
        if reject.client.is_none() {
            reject.client = sessions.client(&record.host, &record.event).cloned();
        }
        let key = (record.host.clone(), reject.to.clone().unwrap_or_default());
        let explained = attempts.get(&key).is_some_and(|times| {
            times
                .iter()
                .any(|t| (*t - record.event.time).num_seconds().abs() <= REFUSAL_MATCH_SECS)
        });
        if !explained {
            out.push(refusal(&record.host, record.event.time, &reject));
        }
    }
    out
}

/// A refusal answers a sending host's attempt logged this close to it.
pub(super) const REFUSAL_MATCH_SECS: i64 = 120;

/// A message refused (or discarded, or held) before it was queued: one
/// node, and the recipient the line names, if any.
pub(super) fn refusal(host: &str, time: DateTime<FixedOffset>, reject: &Reject) -> MessageTrace {
    let client = reject.client.as_ref().map(peer_text);
    let recipients = match &reject.to {
        Some(to) => vec![RecipientOutcome {
            address: to.clone(),
            original: None,
            state: State::of_effect(reject.effect()),
            host: host.to_string(),
            mail_id: None,
            dsn: reject.dsn.clone(),
            smtp_code: reject.smtp_code,
            reply: Some(reject.reply.clone()),
            time: Some(time),
            hops: 0,
            path: vec![host.to_string()],
            failed_hop: None,
            note: Some(format!(
                "{} at {} before queueing",
                reject.action, reject.stage
            )),
            refused_at: Some(RefusedAt::of(reject)),
        }],
        None => Vec::new(),
    };
    MessageTrace {
        message_id: None,
        sender: reject.from.clone(),
        origin: Some(Origin {
            client,
            sasl_username: None,
        }),
        notification_of: None,
        first_seen: Some(time),
        nodes: vec![host.to_string()],
        edges: Vec::new(),
        hop_count: 0,
        refused: recipients
            .is_empty()
            .then(|| refusal_of(host, None, time, reject)),
        recipients,
        instances: Vec::new(),
    }
}

/// `NAME[IP]`, or the name alone when no address was logged.
pub(super) fn peer_text(peer: &Peer) -> String {
    match &peer.ip {
        Some(ip) => format!("{}[{}]", peer.name, ip),
        None => peer.name.clone(),
    }
}

fn union(messages: Vec<MessageTrace>) -> Trace {
    let mut trace = Trace::default();
    for m in &messages {
        for n in &m.nodes {
            if !trace.nodes.contains(n) {
                trace.nodes.push(n.clone());
            }
        }
        trace.edges.extend(m.edges.iter().cloned());
        trace.recipients.extend(m.recipients.iter().cloned());
        trace.hop_count = trace.hop_count.max(m.hop_count);
    }
    trace.messages = messages;
    trace
}
