//! Correlate: join parsed events from many hosts into message instances
//! (host, queue ID, time), the hops between them, and each recipient's final
//! state. Pure: no I/O, so every case is testable from fixture lines.

mod directory;
mod instance;
mod links;
mod model;
mod needs;
mod outcome;
mod sessions;
mod stream;

pub use directory::{HostDirectory, Resolved};
pub use instance::{build_instances, Attempt, Instance};
pub use links::{Link, LinkKind};
pub use model::{
    AttemptView, Edge, InstanceView, MessageTrace, Origin, RecipientOutcome, Refusal, RefusedAt,
    State, Trace,
};
pub use needs::{next_searches, Line, Need, OutOfOrder, Rounds};
pub use stream::{SeedRule, StreamCorrelator};

use crate::parse::Event;

/// One parsed line with where it was found.
#[derive(Debug, Clone)]
pub struct Record {
    /// Inventory name of the host whose log held the line.
    pub host: String,
    pub event: Event,
    /// The line is one of the things asked for (it starts the trace).
    pub seed: bool,
    /// Where the line stands among the host's logs; breaks ties between
    /// lines logged in the same second and tells a line read twice.
    pub position: Position,
}

/// Where a line stands in its host's logs: the file (by modification time,
/// then by a hash of its path) and the line number in it. Two reads of one
/// line have the same position; no two lines of one host do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The file's modification time, in seconds since the epoch.
    pub mtime: i64,
    /// A hash of the file's path.
    pub file: u64,
    /// The line number in the (decompressed) file, from 1.
    pub line: u64,
}

impl Position {
    /// The position of line `line` of the file at `path`.
    pub fn new(mtime: i64, path: &str, line: u64) -> Position {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        path.hash(&mut h);
        Position {
            mtime,
            file: h.finish(),
            line,
        }
    }
}

/// Joins every record into a trace of the messages that contain a seed.
pub fn correlate(records: &[Record], directory: &dyn HostDirectory) -> Trace {
    let instances = build_instances(records);
    let links = links::resolve(&instances, directory);
    model::assemble(records, &instances, &links, directory)
}
