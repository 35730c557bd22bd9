//! Parses lines as they arrive from the collector, per host zone and file
//! mtime, and counts the ones that do not parse.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::collect::{LineSink, RawLine};
use crate::inventory::Inventory;
use crate::parse::{parse_line, Event, LineContext};
use crate::time::Zone;

/// A parsed line with its origin.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub host: String,
    pub event: Event,
    /// 1: matched a pattern; 2: returned because its queue ID matched.
    pub pass: u8,
    pub round: usize,
    /// Where the line stands in the host's logs: (file mtime, line number).
    pub position: (i64, u64),
}

/// A [`LineSink`] that parses every line into [`Parsed`].
pub struct ParseSink {
    zones: HashMap<String, Zone>,
    round: usize,
    pub parsed: Mutex<Vec<Parsed>>,
    pub unparsed: AtomicU64,
    pub examples: Mutex<Vec<String>>,
}

impl ParseSink {
    pub fn new(inventory: &Inventory, round: usize) -> Arc<ParseSink> {
        Arc::new(ParseSink {
            zones: inventory
                .hosts
                .iter()
                .map(|h| (h.name.clone(), h.zone))
                .collect(),
            round,
            parsed: Mutex::new(Vec::new()),
            unparsed: AtomicU64::new(0),
            examples: Mutex::new(Vec::new()),
        })
    }

    pub fn take(&self) -> Vec<Parsed> {
        std::mem::take(&mut *self.parsed.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl LineSink for ParseSink {
    fn line(&self, line: RawLine) {
        let zone = self.zones.get(&*line.host).copied().unwrap_or(Zone::Local);
        let ctx = LineContext {
            zone,
            reference: line.file.mtime,
        };
        match parse_line(&line.text, &ctx) {
            Ok(event) => {
                let parsed = Parsed {
                    host: line.host.to_string(),
                    event,
                    pass: line.file.pass,
                    round: self.round,
                    position: (line.file.mtime.timestamp(), line.number),
                };
                self.parsed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(parsed);
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
}
