//! The parsed form of one log line: what happened, to which queue ID, when.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

/// One parsed log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When the line was written, with the offset it was written in.
    pub time: DateTime<FixedOffset>,
    /// The host field of the syslog header (often the short hostname).
    pub log_host: String,
    /// Program without the pid, e.g. `postfix/smtp`, `postfix-out/smtp`, `dovecot`.
    pub program: String,
    /// The last path element of `program`, e.g. `smtp`, `qmgr`, `cleanup`.
    pub service: String,
    pub pid: Option<u32>,
    /// The queue ID a Postfix program logged in front of the message;
    /// `None` for NOQUEUE, context lines and every other program.
    pub queue_id: Option<String>,
    /// An ID-shaped word another program (opendkim, pmg-smtp-filter...)
    /// logged in the queue-ID position: it may join the line to a queue ID
    /// a Postfix program of the same host logged, and never makes a message.
    pub other_id: Option<String>,
    pub kind: EventKind,
    /// The text after `program[pid]: `.
    pub message: String,
}

/// What a line says.
///
/// Addresses (`from`, `to`, `orig_to`, `helo`) are kept without their angle
/// brackets; the null sender `<>` is the empty string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// smtpd: `QID: client=NAME[IP]` (optionally with SASL fields).
    Client {
        peer: Peer,
        sasl_method: Option<String>,
        sasl_username: Option<String>,
        /// `orig_queue_id=QID`: the queue ID the previous hop gave the message,
        /// sent with XFORWARD (re-injection after a content filter).
        orig_queue_id: Option<String>,
        /// `orig_client=NAME[IP]`: the original client, sent with XFORWARD.
        orig_client: Option<Peer>,
    },
    /// pickup: `QID: uid=N from=<...>`.
    Pickup { uid: Option<u32>, from: String },
    /// cleanup: `QID: message-id=<...>` (the angle brackets are kept).
    MessageId { message_id: String },
    /// qmgr: `QID: from=<...>, size=N, nrcpt=N (queue active)`.
    QueueActive {
        from: String,
        size: Option<u64>,
        nrcpt: Option<u32>,
    },
    /// qmgr: `QID: from=<...>, status=expired, returned to sender`.
    Expired { from: String },
    /// qmgr or postsuper: `QID: removed`.
    Removed,
    /// A delivery attempt by smtp, lmtp, local, virtual, pipe, error or discard.
    Delivery(Delivery),
    /// bounce: `QID: sender non-delivery notification: NEWQID` and friends.
    Notification {
        kind: NotificationKind,
        new_queue_id: String,
    },
    /// A refusal: `NOQUEUE: reject: RCPT from ...` (smtpd) or
    /// `QID: reject: header ...` / `milter-reject` (cleanup).
    Reject(Reject),
    /// cleanup header/body actions other than reject: hold, discard, redirect...
    /// `detail` is the text after `ACTION: `.
    CleanupAction { action: String, detail: String },
    /// postsuper: requeued, placed on hold, released from hold.
    Admin { action: String },
    /// smtpd `connect from` / `disconnect from` / `lost connection` / `timeout`.
    /// `what` is the text before ` from `, e.g. `lost connection after DATA (0 bytes)`.
    Connection { what: String, peer: Option<Peer> },
    /// A warning/error/fatal/panic line.
    Warning { severity: String, text: String },
    /// A line that names a queue ID but says nothing the trace engine reads
    /// (other programs, unusual Postfix lines); kept as context.
    Other,
}

/// A peer as logged: `NAME[IP]` with an optional port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// The name as logged: FQDN, short name, IP, or `unknown`.
    pub name: String,
    pub ip: Option<String>,
    pub port: Option<u16>,
}

/// Where a delivery agent handed the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Relay {
    /// `relay=NAME[IP]:PORT` (smtp, lmtp over TCP).
    Remote(Peer),
    /// `relay=local`, `relay=virtual`, `relay=dovecot`, `relay=none`,
    /// `relay=private/dovecot-lmtp`, ...: a name without an address.
    Named { name: String },
}

/// A delivery attempt for one recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub to: String,
    pub orig_to: Option<String>,
    pub relay: Relay,
    /// Total delay in seconds (`delay=`).
    pub delay: Option<f64>,
    /// `delays=a/b/c/d`: before queue manager, in queue manager, connection set-up, transmission.
    pub delays: Option<[f64; 4]>,
    pub dsn: Option<String>,
    pub status: DeliveryStatus,
    /// The text inside the final parentheses, e.g. `250 2.0.0 Ok: queued as X`.
    pub reply: String,
    /// The 3-digit SMTP code of the remote reply, when there is one.
    pub smtp_code: Option<u16>,
    /// `queued as NEWQID` (Postfix) or `id=NEWID` (Exim) in a 2xx reply.
    pub queued_as: Option<String>,
    /// `forwarded as NEWQID` (local aliases or .forward).
    pub forwarded_as: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Deferred,
    Bounced,
    Expired,
    Undeliverable,
    Deliverable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    SenderNonDelivery,
    SenderDelay,
    SenderDelivery,
    PostmasterNonDelivery,
    PostmasterDelay,
}

/// A refusal, before queueing (smtpd) or during cleanup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    /// `reject`, `discard`, `filter`, `hold`, `milter-reject`, `proxy-reject`,
    /// `reject_warning`, ...
    pub action: String,
    /// `RCPT`, `MAIL`, `DATA`, `END-OF-MESSAGE`, `CONNECT`, `header`, `body`...
    pub stage: String,
    pub client: Option<Peer>,
    pub smtp_code: Option<u16>,
    pub dsn: Option<String>,
    /// The reply text after the codes, e.g. `<x@y>: Recipient address rejected: User unknown ...`.
    pub reason: String,
    /// The whole reply as logged, codes included, e.g.
    /// `550 5.1.1 <x@y>: Recipient address rejected: User unknown ...`.
    pub reply: String,
    /// cleanup header/body checks: the matched header or body line,
    /// e.g. `Subject: buy now`; `None` for smtpd refusals.
    pub content: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub helo: Option<String>,
}

/// What a refusal or content action did to the mail it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Refused (permanently or for now): `reject`, `milter-reject`, `proxy-reject`.
    Refused,
    /// Accepted and thrown away: `discard`, `milter-discard`.
    Discarded,
    /// Put on hold: `hold`, `milter-hold`.
    Held,
    /// Logged only; the mail goes on: `reject_warning`, `warn`, `filter`,
    /// `redirect`, `prepend`, `proxy-accept`...
    Noted,
}

impl Reject {
    /// What this action did to the mail.
    pub fn effect(&self) -> Effect {
        match self.action.as_str() {
            "reject" | "milter-reject" | "proxy-reject" => Effect::Refused,
            "discard" | "milter-discard" => Effect::Discarded,
            "hold" | "milter-hold" => Effect::Held,
            _ => Effect::Noted,
        }
    }
}
