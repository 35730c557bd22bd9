//! The trace as handed to analysis and rendering: messages, their nodes,
//! hop edges and recipient outcomes, assembled from instances and links.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::directory::HostDirectory;
use super::instance::Instance;
use super::links::{target_of, InstanceIndex, Link, LinkKind, Target};
use super::outcome::recipient_outcomes;
use super::Record;
use crate::parse::{DeliveryStatus, EventKind, Reject};

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
    pub graph_dot: String,
    pub instances: Vec<InstanceView>,
}

/// Everything found: per message, and the union over messages.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Trace {
    pub messages: Vec<MessageTrace>,
    pub nodes: Vec<String>,
    pub edges: Vec<Edge>,
    pub hop_count: usize,
    pub graph_dot: String,
    pub recipients: Vec<RecipientOutcome>,
}

/// Builds the trace of the messages that contain a seed.
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
    // the seeded messages, and the notifications about them
    let mut chosen: Vec<&Vec<usize>> = by_group
        .values()
        .filter(|members| members.iter().any(|i| instances[*i].seed))
        .collect();
    let mut k = 0;
    while k < chosen.len() {
        for link in links.iter().filter(|l| l.kind == LinkKind::Notification) {
            if chosen[k].contains(&link.from) {
                let group = &by_group[&groups[link.to]];
                if !chosen.contains(&group) {
                    chosen.push(group);
                }
            }
        }
        k += 1;
    }
    let group_links = links_by_group(links, &groups);
    let no_links = Vec::new();
    let local = |members: &[usize]| {
        members
            .first()
            .and_then(|m| group_links.get(&groups[*m]))
            .unwrap_or(&no_links)
    };
    // a notification names the entry queue ID of the message it reports on
    let entry_of = |members: &[usize]| entry_of(instances, members, local(members), directory);
    let chosen: Vec<(Vec<usize>, Option<String>)> = chosen
        .into_iter()
        .map(|members| {
            let about = links
                .iter()
                .find(|l| {
                    l.kind == LinkKind::Notification
                        && members.contains(&l.to)
                        && !members.contains(&l.from)
                })
                .map(|l| {
                    instances[entry_of(&by_group[&groups[l.from]])]
                        .queue_id
                        .clone()
                });
            (members.clone(), about)
        })
        .collect();

    let mut messages: Vec<MessageTrace> = chosen
        .into_iter()
        .map(|(members, notice)| {
            message(
                instances,
                &index,
                local(&members),
                &members,
                notice,
                directory,
            )
        })
        .collect();
    messages.extend(rejections(records, instances, &messages));
    messages.sort_by_key(|m| m.first_seen);
    union(messages, directory)
}

/// The member where the message entered the site (the earliest root).
pub(super) fn entry_of(
    instances: &[Instance],
    members: &[usize],
    links: &[Link],
    directory: &dyn HostDirectory,
) -> usize {
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|i| (instances[*i].first, *i));
    roots_or(instances, &sorted, links, directory)[0]
}

/// The links that touch each group (by either end), so that work on one
/// message reads its own links only.
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
        client: Some(match &c.ip {
            Some(ip) => format!("{}[{}]", c.name, ip),
            None => c.name.clone(),
        }),
        sasl_username: first.sasl_username.clone(),
    });
    let hop_count = recipients.iter().map(|r| r.hops).max().unwrap_or(0);
    let mut m = MessageTrace {
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
        recipients,
        graph_dot: String::new(),
        instances: path_order.iter().map(|i| view(&instances[*i])).collect(),
    };
    m.graph_dot = super::graph::to_dot(&m.nodes, &m.edges, directory);
    m
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
        client: inst.client.as_ref().map(|c| match &c.ip {
            Some(ip) => format!("{}[{}]", c.name, ip),
            None => c.name.clone(),
        }),
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

/// NOQUEUE rejections that were asked for and are not already explained by
/// a deferred or bounced attempt of a traced message.
fn rejections(
    records: &[Record],
    _instances: &[Instance],
    messages: &[MessageTrace],
) -> Vec<MessageTrace> {
    let mut out = Vec::new();
    for record in records
        .iter()
        .filter(|r| r.seed && r.event.queue_id.is_none())
    {
        let EventKind::Reject(reject) = &record.event.kind else {
            continue;
        };
        // the sending side's attempt that this refusal answered, if traced
        let explained = messages.iter().any(|m| {
            m.edges.iter().any(|e| {
                e.to == record.host
                    && m.instances.iter().any(|v| {
                        v.host == e.from
                            && v.mail_id == e.mail_id
                            && v.attempts.iter().any(|a| {
                                reject.to.as_deref() == Some(a.to.as_str())
                                    && (a.time - record.event.time).num_seconds().abs() <= 120
                            })
                    })
            })
        });
        let duplicate = out.iter().any(|m: &MessageTrace| {
            m.first_seen == Some(record.event.time)
                && m.nodes == [record.host.clone()]
                && m.recipients.first().map(|r| r.address.as_str()) == reject.to.as_deref()
        });
        if explained || duplicate {
            continue;
        }
        out.push(refusal(&record.host, record.event.time, reject));
    }
    out
}

/// A message refused before it was queued: one node, one rejected recipient.
pub(super) fn refusal(host: &str, time: DateTime<FixedOffset>, reject: &Reject) -> MessageTrace {
    let client = reject.client.as_ref().map(|c| match &c.ip {
        Some(ip) => format!("{}[{}]", c.name, ip),
        None => c.name.clone(),
    });
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
        recipients: vec![RecipientOutcome {
            address: reject.to.clone().unwrap_or_default(),
            original: None,
            state: super::State::Rejected,
            host: host.to_string(),
            mail_id: None,
            dsn: reject.dsn.clone(),
            smtp_code: reject.smtp_code,
            reply: Some(reject.reason.clone()),
            time: Some(time),
            hops: 0,
            path: vec![host.to_string()],
            failed_hop: None,
            note: Some(format!("refused at {} before queueing", reject.stage)),
        }],
        graph_dot: String::new(),
        instances: Vec::new(),
    }
}

fn union(messages: Vec<MessageTrace>, directory: &dyn HostDirectory) -> Trace {
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
    let mut messages = messages;
    for m in &mut messages {
        if m.graph_dot.is_empty() {
            m.graph_dot = super::graph::to_dot(&m.nodes, &m.edges, directory);
        }
    }
    trace.graph_dot = super::graph::to_dot(&trace.nodes, &trace.edges, directory);
    trace.messages = messages;
    trace
}
