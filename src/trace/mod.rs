//! Correlate: join parsed events from many hosts into message instances
//! (host, queue ID, time), the hops between them, and each recipient's final
//! state. Pure: no I/O, so every case is testable from fixture lines.

mod directory;
mod graph;
mod instance;
mod links;
mod model;
mod needs;
mod outcome;
mod stream;

pub use directory::{HostDirectory, Resolved};
pub use graph::to_dot;
pub use instance::{build_instances, Attempt, Instance};
pub use links::{Link, LinkKind};
pub use model::{Edge, MessageTrace, Origin, RecipientOutcome, State, Trace};
pub use needs::{next_searches, Need};
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
    /// Order of the line among the host's logs: (file mtime, line number);
    /// breaks ties between lines logged in the same second.
    pub position: (i64, u64),
}

/// Joins every record into a trace of the messages that contain a seed.
pub fn correlate(records: &[Record], directory: &dyn HostDirectory) -> Trace {
    let instances = build_instances(records);
    let links = links::resolve(&instances, directory);
    model::assemble(records, &instances, &links, directory)
}
