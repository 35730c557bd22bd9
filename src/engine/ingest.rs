//! Parses lines as they arrive from the collector, per host zone and file
//! mtime, counts the ones that do not parse, and notes the files whose
//! lines are later than their mtime.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, Utc};

use crate::collect::{FileInfo, LineSink, RawLine};
use crate::inventory::Inventory;
use crate::parse::{parse_line, Event, LineContext};
use crate::time::Zone;
use crate::trace::Position;

/// A parsed line with its origin.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub host: String,
    pub event: Event,
    /// 1: matched a pattern; 2: returned because its queue ID matched.
    pub pass: u8,
    pub round: usize,
    /// Where the line stands in the host's logs.
    pub position: Position,
}

/// Where parsed lines go.
pub trait Destination: Send + Sync {
    fn take(&self, parsed: Parsed);

    /// Every line of `host` has been handed over.
    fn host_done(&self, _host: &str) {}
}

/// Keeps every parsed line (traces and queries: a few thousand lines).
#[derive(Default)]
pub struct Kept(Mutex<Vec<Parsed>>);

impl Destination for Kept {
    fn take(&self, parsed: Parsed) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(parsed);
    }
}

/// A line may be this much later than its file's mtime (syslog stamps the
/// line, the file system the write; clocks and buffers differ a little).
pub const LATE_LINE_SECS: i64 = 300;

/// Per (host, file path): the file's mtime and the latest line time read
/// from it, for files with a line more than [`LATE_LINE_SECS`] past the mtime.
pub type LateLines = BTreeMap<(String, String), (DateTime<Utc>, DateTime<FixedOffset>)>;

/// A [`LineSink`] that parses every line into [`Parsed`] for `D`, counts
/// (with a few examples) the lines that do not parse, and notes files with
/// lines later than their mtime.
pub struct ParseSink<D = Kept> {
    zones: HashMap<String, Zone>,
    round: usize,
    pub destination: D,
    pub unparsed: AtomicU64,
    pub examples: Mutex<Vec<String>>,
    pub late: Mutex<LateLines>,
}

impl ParseSink<Kept> {
    pub fn new(inventory: &Inventory, round: usize) -> Arc<ParseSink> {
        Arc::new(ParseSink::with(inventory, round, Kept::default()))
    }

    pub fn take(&self) -> Vec<Parsed> {
        std::mem::take(&mut *self.destination.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl<D: Destination> ParseSink<D> {
    pub fn with(inventory: &Inventory, round: usize, destination: D) -> ParseSink<D> {
        ParseSink {
            zones: inventory
                .hosts
                .iter()
                .map(|h| (h.name.clone(), h.zone))
                .collect(),
            round,
            destination,
            unparsed: AtomicU64::new(0),
            examples: Mutex::new(Vec::new()),
            late: Mutex::new(BTreeMap::new()),
        }
    }

    /// Notes `time` when it is later than the file's mtime by more than the slack.
    fn check_mtime(&self, host: &str, file: &FileInfo, time: DateTime<FixedOffset>) {
        if time.timestamp() - file.mtime.timestamp() <= LATE_LINE_SECS {
            return;
        }
        let mut late = self.late.lock().unwrap_or_else(|p| p.into_inner());
        let entry = late
            .entry((host.to_string(), file.path.clone()))
            .or_insert((file.mtime, time));
        entry.1 = entry.1.max(time);
    }
}

impl<D: Destination> LineSink for ParseSink<D> {
    fn line(&self, line: RawLine) {
        let zone = self.zones.get(&*line.host).copied().unwrap_or(Zone::Local);
        let ctx = LineContext {
            zone,
            reference: line.file.mtime,
        };
        match parse_line(&line.text, &ctx) {
            Ok(event) => {
                self.check_mtime(&line.host, &line.file, event.time);
                self.destination.take(Parsed {
                    host: line.host.to_string(),
                    event,
                    pass: line.file.pass,
                    round: self.round,
                    position: Position::new(
                        line.file.mtime.timestamp(),
                        &line.file.path,
                        line.number,
                    ),
                })
            }
            Err(_) => {
                self.unparsed.fetch_add(1, Ordering::Relaxed);
                let mut examples = self.examples.lock().unwrap_or_else(|p| p.into_inner());
                if examples.len() < 3 {
                    examples.push(format!("{}: {}", line.host, line.text));
                }
            }
        }
    }

    fn host_done(&self, host: &str) {
        self.destination.host_done(host);
    }
}
