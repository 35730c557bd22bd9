//! The recipients of one message as text: one block per address however
//! many queue entries name it, each hop's earlier failed attempts listed
//! before the hop, and the refusal of a message that names no recipient.

use std::fmt::Write;

use super::address_text;
use super::layout::{self, wrapped};
use crate::trace::{AttemptView, Edge, InstanceView, MessageTrace, RecipientOutcome, Refusal};

const TIME: &str = "%m-%d %H:%M:%S";

/// Longest reply shown; the table wraps what is left.
const REPLY_MAX: usize = 240;

type Row = Vec<String>;

/// Every distinct outcome of a message for one address.
struct Block<'a> {
    address: &'a str,
    entries: Vec<&'a RecipientOutcome>,
}

impl Block<'_> {
    /// The names the address has in log lines: itself and the addresses it
    /// was expanded from.
    fn names(&self) -> Vec<&str> {
        let mut names = vec![self.address];
        for o in self.entries.iter().filter_map(|r| r.original.as_deref()) {
            if !names.contains(&o) {
                names.push(o);
            }
        }
        names
    }
}

/// Writes a block per recipient address, in the order the addresses first
/// appear; an outcome equal to one already in the block is left out.
pub(super) fn recipients(out: &mut String, m: &MessageTrace, width: usize) {
    let mut blocks: Vec<Block> = Vec::new();
    for r in &m.recipients {
        match blocks.iter_mut().find(|b| b.address == r.address) {
            Some(b) if b.entries.contains(&r) => {}
            Some(b) => b.entries.push(r),
            None => blocks.push(Block {
                address: &r.address,
                entries: vec![r],
            }),
        }
    }
    for b in &blocks {
        block(out, m, b, width);
    }
}

fn block(out: &mut String, m: &MessageTrace, b: &Block, width: usize) {
    let _ = writeln!(out);
    wrapped(out, 2, 4, &heading(b), width);
    let mut table = layout::table(
        width - 4,
        vec!["time", "host", "queue ID", "status", "dsn", "reply"],
    );
    for row in rows(m, b) {
        table.add_row(row);
    }
    // unbroken times and queue IDs while there is room for the reply beside them
    if width >= 80 {
        for column in [0, 2, 4] {
            layout::keep_whole(&mut table, column);
        }
    }
    layout::push_table(out, 4, &table);
    let mut notes: Vec<&str> = Vec::new();
    for note in b.entries.iter().filter_map(|r| r.note.as_deref()) {
        if !notes.contains(&note) {
            notes.push(note);
            wrapped(out, 4, 6, &format!("note: {note}"), width);
        }
    }
}

/// `ADDRESS (for ORIGINAL): STATE`, with every distinct original and state
/// of its outcomes, and how many outcomes there are when more than one.
fn heading(b: &Block) -> String {
    let mut originals: Vec<String> = Vec::new();
    let mut states: Vec<String> = Vec::new();
    for r in &b.entries {
        if let Some(o) = r.original.as_deref().map(address_text) {
            if !originals.contains(&o) {
                originals.push(o);
            }
        }
        let state = r.state.as_str().to_uppercase();
        if !states.contains(&state) {
            states.push(state);
        }
    }
    let mut text = address_text(b.address);
    if !originals.is_empty() {
        let _ = write!(text, " (for {})", originals.join(", "));
    }
    let _ = write!(text, ": {}", states.join(" / "));
    if b.entries.len() > 1 {
        let _ = write!(text, " ({} outcomes)", b.entries.len());
    }
    text
}

/// The hops that carried the address, each after its earlier failed
/// attempts, then each entry's final state unless a hop already shows it.
/// A row identical to one above is not repeated.
fn rows(m: &MessageTrace, b: &Block) -> Vec<Row> {
    let names = b.names();
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |row: Row| {
        if !rows.contains(&row) {
            rows.push(row);
        }
    };
    for e in &m.edges {
        let here: Vec<&str> = e
            .recipients
            .iter()
            .map(String::as_str)
            .filter(|r| names.contains(r))
            .collect();
        if here.is_empty() {
            continue;
        }
        let mut listed = 0;
        if let Some(inst) = instance(m, &e.from, &e.mail_id, e.time) {
            for a in retried(inst, &here) {
                push(attempt_row(inst, a, Some(&e.to)));
                listed += 1;
            }
        }
        push(edge_row(e, listed < e.retries));
    }
    for r in b.entries.iter().filter(|r| !shown(m, r)) {
        let stay = r
            .mail_id
            .as_deref()
            .zip(r.time)
            .and_then(|(id, t)| instance(m, &r.host, id, t).map(|i| (i, t)));
        if let Some((inst, time)) = stay {
            for a in retried(inst, &names).into_iter().filter(|a| a.time < time) {
                push(attempt_row(inst, a, None));
            }
        }
        push(final_row(r));
    }
    rows
}

/// The stay of `mail_id` on `host` that lasted over `time` (one host may
/// use one queue ID twice, one stay after the other).
fn instance<'a>(
    m: &'a MessageTrace,
    host: &str,
    mail_id: &str,
    time: chrono::DateTime<chrono::FixedOffset>,
) -> Option<&'a InstanceView> {
    m.instances
        .iter()
        .find(|i| i.host == host && i.mail_id == mail_id && i.first <= time && time <= i.last)
}

/// The attempts for `names` in a stay before each name's last attempt there, by time.
fn retried<'a>(inst: &'a InstanceView, names: &[&str]) -> Vec<&'a AttemptView> {
    let last = |to: &str| {
        inst.attempts
            .iter()
            .filter(|a| a.to == to)
            .map(|a| a.time)
            .max()
    };
    let mut earlier: Vec<&AttemptView> = inst
        .attempts
        .iter()
        .filter(|a| names.contains(&a.to.as_str()) && last(&a.to).is_some_and(|t| a.time < t))
        .collect();
    earlier.sort_by_key(|a| a.time);
    earlier
}

/// An earlier attempt: `deferred → NEXT` for a hop, the status alone for a
/// delivery on the host itself.
fn attempt_row(inst: &InstanceView, a: &AttemptView, to: Option<&str>) -> Row {
    let status = match to {
        Some(to) => format!("{} → {to}", a.status),
        None => a.status.clone(),
    };
    vec![
        a.time.format(TIME).to_string(),
        inst.host.clone(),
        inst.mail_id.clone(),
        status,
        a.dsn.clone().unwrap_or_default(),
        layout::cut(&a.reply, REPLY_MAX),
    ]
}

/// A hop's last attempt; `count_retries` says how many earlier attempts
/// there were when the rows above do not show them all.
fn edge_row(e: &Edge, count_retries: bool) -> Row {
    let status = if count_retries {
        format!("{} → {} (after {} retries)", e.status, e.to, e.retries)
    } else {
        format!("{} → {}", e.status, e.to)
    };
    vec![
        e.time.format(TIME).to_string(),
        e.from.clone(),
        e.mail_id.clone(),
        status,
        e.dsn.clone().unwrap_or_default(),
        layout::cut(&e.reply, REPLY_MAX),
    ]
}

/// Whether a hop row already shows the entry's final state.
fn shown(m: &MessageTrace, r: &RecipientOutcome) -> bool {
    m.edges.iter().any(|e| {
        Some(&e.mail_id) == r.mail_id.as_ref()
            && Some(e.time) == r.time
            && e.recipients.contains(&r.address)
    })
}

fn final_row(r: &RecipientOutcome) -> Row {
    vec![
        r.time
            .map(|t| t.format(TIME).to_string())
            .unwrap_or_default(),
        r.host.clone(),
        r.mail_id.clone().unwrap_or_else(|| "NOQUEUE".into()),
        r.state.as_str().to_string(),
        r.dsn.clone().unwrap_or_default(),
        layout::cut(r.reply.as_deref().unwrap_or(""), REPLY_MAX),
    ]
}

/// A message refused, discarded or held before any recipient was logged.
pub(super) fn refusal(out: &mut String, f: &Refusal, width: usize) {
    let _ = writeln!(out);
    let heading = format!(
        "no recipient was logged: {}",
        f.state.as_str().to_uppercase()
    );
    wrapped(out, 2, 4, &heading, width);
    let queue = match &f.mail_id {
        Some(id) => format!("queue ID {id}"),
        None => "before queueing (NOQUEUE)".to_string(),
    };
    let fields = [
        ("time", f.time.format("%Y-%m-%d %H:%M:%S %:z").to_string()),
        ("host", format!("{}, {queue}", f.host)),
        ("action", format!("{} at {}", f.action, f.stage)),
        ("dsn", f.dsn.clone().unwrap_or_else(|| "none logged".into())),
        ("reply", layout::cut(&f.reply, REPLY_MAX)),
    ];
    for (name, value) in fields {
        wrapped(out, 4, 10, &format!("{name:<8}{value}"), width);
    }
}
