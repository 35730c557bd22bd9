//! Collect: run each host's search, over SSH or on this machine, and stream
//! the matching lines back with a per-host report. Concurrency, connections
//! and timeouts live here and nowhere else; nothing here parses log lines.

mod local;
mod output;
mod pool;
pub mod probe;
pub mod ssh;

pub use local::search_blocking as search_local;
pub use output::OutputReader;
pub use pool::{Collector, Credentials};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How the remote script treated one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Searched with grep.
    Searched,
    /// Its time span cannot overlap the window.
    Skipped,
    /// Compressed with a tool the host does not have.
    NoTool,
}

/// One log file as the host reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub mtime: DateTime<Utc>,
    pub size: u64,
    pub state: FileState,
    /// 1: the keyword pass; 2: the queue ID pass of an expanding search.
    pub pass: u8,
}

/// One matching line, with where it came from.
#[derive(Debug, Clone)]
pub struct RawLine {
    /// Inventory name of the host.
    pub host: Arc<str>,
    pub file: Arc<FileInfo>,
    /// The line's number in its (decompressed) file, from 1.
    pub number: u64,
    pub text: String,
}

/// Receives lines as they arrive, from several hosts at once.
pub trait LineSink: Send + Sync {
    fn line(&self, line: RawLine);

    /// Every line of `host` has been handed over (its search ended, well or not).
    fn host_done(&self, _host: &str) {}
}

/// What one host's search did.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub host: String,
    /// Files listed, with how each was treated.
    pub files: Vec<FileInfo>,
    /// Bytes of the files searched (uncompressed size is not known remotely).
    pub bytes_searched: u64,
    /// Matching lines received.
    pub lines: u64,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
    /// Why the search failed or was cut short; lines received before are kept.
    pub error: Option<String>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(crate::time::millis(*d))
}

impl HostReport {
    fn new(host: &str) -> Self {
        HostReport {
            host: host.to_string(),
            files: Vec::new(),
            bytes_searched: 0,
            lines: 0,
            elapsed: Duration::ZERO,
            error: None,
        }
    }
}
