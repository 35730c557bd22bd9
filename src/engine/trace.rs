//! The trace round loop: seed search, then Message-IDs and queue IDs until
//! nothing new turns up (at most `max_rounds`).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::directory::InventoryDirectory;
use super::ingest::{LateLines, ParseSink, Parsed};
use super::{Progress, WindowView};
use crate::analyze::{analyze, overall, MessageAnalysis, Verdict};
use crate::collect::{Collector, FileState, HostReport};
use crate::plan::SearchRequest;
use crate::report::{FileWarning, HostSummary, LogFile, QueryEcho, RoundStat, Stats, TraceRun};
use crate::time::Window;
use crate::trace::{correlate, HostDirectory, Line, Need, Record, Rounds, Trace};

/// What to trace.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    /// Inventory names of the hosts to start on.
    pub hosts: Vec<String>,
    pub keywords: Vec<String>,
    pub mail_id: Option<String>,
    pub message_id: Option<String>,
    pub window: Window,
    /// How far past the window later rounds look (deferred mail is retried for days).
    pub follow: Duration,
    pub max_rounds: usize,
}

/// Search rounds a trace may take before it says it was cut.
pub const MAX_ROUNDS: usize = 12;

impl TraceRequest {
    /// A trace started from keywords on `hosts`.
    pub fn by_keywords(
        hosts: Vec<String>,
        keywords: Vec<String>,
        window: Window,
        follow: Duration,
    ) -> Self {
        TraceRequest {
            hosts,
            keywords,
            mail_id: None,
            message_id: None,
            window,
            follow,
            max_rounds: MAX_ROUNDS,
        }
    }
}

/// Runs the rounds and correlates everything found.
pub async fn run_trace(
    collector: &Arc<Collector>,
    request: &TraceRequest,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> TraceRun {
    let started = Instant::now();
    let opened_before = collector.connections_opened();
    let inventory = collector.inventory();
    let directory = InventoryDirectory(inventory);
    let tracked: Vec<String> = inventory.tracked_hosts().map(|h| h.name.clone()).collect();
    let later = request.window.extended(request.follow);
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut searched: HashSet<(String, String)> = HashSet::new();
    let mut summaries: BTreeMap<String, HostSummary> = BTreeMap::new();
    let mut per_round = Vec::new();
    let mut gathered = Gathered::default();
    let mut rounds = Rounds::new(&directory, &tracked);
    let mut jobs = first_round(request, &tracked);
    searched.extend(
        jobs.iter()
            .flat_map(|(host, r)| r.patterns.iter().map(|p| (host.clone(), p.clone()))),
    );
    let mut round = 0;
    let mut cut = false;
    while !jobs.is_empty() {
        if round == request.max_rounds {
            cut = true;
            break;
        }
        round += 1;
        let (reports, stat, sink) = search_round(collector, jobs, round, progress).await;
        per_round.push(stat);
        merge(&mut summaries, &reports);
        gathered.absorb(&sink);
        let new = sink.take();
        // the queue IDs a search expanded were searched in full
        searched.extend(new.iter().filter(|p| p.pass == 2).filter_map(|p| {
            let q = p.event.queue_id.as_ref()?;
            Some((p.host.clone(), q.clone()))
        }));
        let start = parsed.len();
        parsed.extend(new);
        let needs = advance(&mut rounds, &parsed, start, request);
        jobs = next_round(needs, &mut searched, &later);
    }
    let (trace, analysis, verdict) = conclude(parsed, request, &directory, &summaries);
    for name in inventory.hosts.iter().map(|h| &h.name) {
        summaries
            .entry(name.clone())
            .or_insert_with(|| HostSummary::new(name));
    }
    TraceRun {
        query: QueryEcho {
            hosts: request.hosts.clone(),
            keywords: request.keywords.clone(),
            mail_id: request.mail_id.clone(),
            message_id: request.message_id.clone(),
            window: WindowView::new(&request.window, &inventory.zone),
        },
        clusters: clusters_of(&trace.nodes, &directory),
        trace,
        analysis,
        verdict,
        hosts: inventory
            .hosts
            .iter()
            .filter_map(|h| summaries.remove(&h.name))
            .collect(),
        warnings: gathered.warnings(),
        stats: Stats {
            rounds: round,
            connections_opened: collector.connections_opened() - opened_before,
            elapsed_ms: crate::time::millis(started.elapsed()),
            cut,
            unparsed_lines: gathered.unparsed,
            unparsed_examples: gathered.examples,
            per_round,
        },
    }
}

/// The cluster of each of `nodes` that belongs to one.
fn clusters_of(nodes: &[String], directory: &dyn HostDirectory) -> BTreeMap<String, String> {
    nodes
        .iter()
        .filter_map(|n| Some((n.clone(), directory.cluster_of(n)?)))
        .collect()
}

/// Correlates every line found and analyzes the trace: the trace, one
/// analysis per message and the verdict.
fn conclude(
    parsed: Vec<Parsed>,
    request: &TraceRequest,
    directory: &InventoryDirectory,
    summaries: &BTreeMap<String, HostSummary>,
) -> (Trace, Vec<MessageAnalysis>, Verdict) {
    let records = records(parsed, request);
    let mut trace = correlate(&records, directory);
    explain_failures(&mut trace, summaries);
    let analysis = analyze(&trace, &super::site_of(directory.0));
    let verdict = overall(&analysis);
    (trace, analysis, verdict)
}

/// Runs one round's searches, telling `progress`: the hosts' reports, the
/// round's figures and the sink holding the lines found.
async fn search_round(
    collector: &Arc<Collector>,
    jobs: Vec<(String, SearchRequest)>,
    round: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> (Vec<HostReport>, RoundStat, Arc<ParseSink>) {
    progress(Progress::Round {
        round,
        hosts: jobs.iter().map(|(h, _)| h.clone()).collect(),
    });
    let patterns = jobs.iter().map(|(_, r)| r.patterns.len()).sum();
    let sink = ParseSink::new(collector.inventory(), round);
    let round_started = Instant::now();
    let reports = collector.search(jobs, sink.clone()).await;
    for report in &reports {
        progress(Progress::HostDone {
            host: report.host.clone(),
            lines: report.lines,
            error: report.error.clone(),
        });
    }
    let stat = RoundStat {
        round,
        elapsed_ms: crate::time::millis(round_started.elapsed()),
        hosts: reports
            .iter()
            .map(|r| (r.host.clone(), crate::time::millis(r.elapsed)))
            .collect(),
        patterns,
    };
    (reports, stat, sink)
}

fn first_round(request: &TraceRequest, tracked: &[String]) -> Vec<(String, SearchRequest)> {
    let later = request.window.extended(request.follow);
    if let Some(mid) = &request.message_id {
        return tracked
            .iter()
            .map(|h| {
                (
                    h.clone(),
                    SearchRequest {
                        patterns: vec![mid.clone()],
                        ignore_case: false,
                        window: later,
                        expand: Some(later),
                    },
                )
            })
            .collect();
    }
    // a queue ID keeps its lines for days (retries): search it forward too;
    // keywords must match inside the window, their queue IDs beyond it
    let (patterns, ignore_case, window, expand) = match &request.mail_id {
        Some(id) => (vec![id.clone()], false, later, None),
        None => (request.keywords.clone(), true, request.window, Some(later)),
    };
    request
        .hosts
        .iter()
        .filter(|h| tracked.contains(h))
        .map(|h| {
            (
                h.clone(),
                SearchRequest {
                    patterns: patterns.clone(),
                    ignore_case,
                    window,
                    expand,
                },
            )
        })
        .collect()
}

/// Marks the lines that start the trace; takes the lines over.
fn records(mut parsed: Vec<Parsed>, request: &TraceRequest) -> Vec<Record> {
    // hosts answer in any order: fix one, keeping each host's file order
    parsed.sort_by(|a, b| a.host.cmp(&b.host).then(a.round.cmp(&b.round)));
    parsed
        .into_iter()
        .map(|p| Record {
            seed: is_seed(&p, request),
            host: p.host,
            event: p.event,
            position: p.position,
        })
        .collect()
}

/// Hands the lines from `start` on (the last round's) to the trace state
/// and takes the searches they call for. The lines go in the order
/// `correlate` takes them in: by time and position, ties by host and round.
/// A line older than one already taken for its queue ID replays them all.
fn advance(
    rounds: &mut Rounds,
    parsed: &[Parsed],
    start: usize,
    request: &TraceRequest,
) -> Vec<Need> {
    let lines = |from: usize| {
        let mut ordered: Vec<&Parsed> = parsed[from..].iter().collect();
        ordered.sort_by(|a, b| a.host.cmp(&b.host).then(a.round.cmp(&b.round)));
        ordered.sort_by_key(|p| (p.event.time, p.position));
        ordered
            .into_iter()
            .map(|p| Line {
                host: &p.host,
                event: &p.event,
                seed: is_seed(p, request),
                position: p.position,
            })
            .collect::<Vec<Line>>()
    };
    if rounds.add(&lines(start)).is_err() {
        rounds.rebuild(&lines(0));
    }
    rounds.take_needs()
}

fn is_seed(p: &Parsed, request: &TraceRequest) -> bool {
    let in_window = request
        .window
        .contains(p.event.time.with_timezone(&chrono::Utc));
    if let Some(mid) = &request.message_id {
        return matches!(&p.event.kind, crate::parse::EventKind::MessageId { message_id } if message_id == mid);
    }
    if !request.hosts.contains(&p.host) || !in_window {
        return false;
    }
    match &request.mail_id {
        Some(id) => p.event.queue_id.as_deref() == Some(id.as_str()),
        None => {
            p.round == 1
                && p.pass == 1
                && request.keywords.iter().any(|k| {
                    p.event
                        .message
                        .to_ascii_lowercase()
                        .contains(&k.to_ascii_lowercase())
                })
        }
    }
}

/// The searches of the next round, by host, without the ones already run.
fn next_round(
    needs: Vec<Need>,
    searched: &mut HashSet<(String, String)>,
    window: &Window,
) -> Vec<(String, SearchRequest)> {
    let mut by_host: BTreeMap<String, SearchRequest> = BTreeMap::new();
    for need in needs {
        if !searched.insert((need.host.clone(), need.pattern.clone())) {
            continue;
        }
        let entry = by_host
            .entry(need.host.clone())
            .or_insert_with(|| SearchRequest {
                patterns: Vec::new(),
                ignore_case: false,
                window: *window,
                expand: None,
            });
        entry.patterns.push(need.pattern);
        if need.expand {
            entry.expand = Some(*window);
        }
    }
    by_host.into_iter().collect()
}

pub(super) fn merge(summaries: &mut BTreeMap<String, HostSummary>, reports: &[HostReport]) {
    for r in reports {
        let s = summaries
            .entry(r.host.clone())
            .or_insert_with(|| HostSummary::new(&r.host));
        s.searched = true;
        for f in &r.files {
            note_file(&mut s.log_files, f);
        }
        let searched = s
            .log_files
            .iter()
            .filter(|f| f.state == FileState::Searched);
        s.files = searched.clone().count();
        s.bytes_searched = searched.map(|f| f.size).sum();
        s.files_skipped = s.log_files.len() - s.files;
        s.lines += r.lines;
        s.elapsed_ms += crate::time::millis(r.elapsed);
        if r.error.is_some() {
            s.error = r.error.clone();
        }
    }
}

/// Adds one listing of a file: the latest listing's mtime and size win, and a file
/// searched once stays searched (a file the host cannot decompress says so
/// rather than skipped).
fn note_file(files: &mut Vec<LogFile>, f: &crate::collect::FileInfo) {
    let rank = |s: FileState| match s {
        FileState::Searched => 2,
        FileState::NoTool => 1,
        FileState::Skipped => 0,
    };
    match files.iter_mut().find(|known| known.path == f.path) {
        Some(known) => {
            known.mtime = f.mtime;
            known.size = f.size;
            if rank(f.state) > rank(known.state) {
                known.state = f.state;
            }
        }
        None => files.push(LogFile {
            path: f.path.clone(),
            mtime: f.mtime,
            size: f.size,
            state: f.state,
        }),
    }
}

/// What the parse sinks of all rounds noticed besides the lines.
#[derive(Default)]
struct Gathered {
    unparsed: u64,
    /// A few lines that did not parse.
    examples: Vec<String>,
    late: LateLines,
}

impl Gathered {
    /// Takes one round's counts; a file late in several rounds stays one
    /// entry with its latest line.
    fn absorb(&mut self, sink: &ParseSink) {
        self.unparsed += sink.unparsed.load(Ordering::Relaxed);
        let mut examples = sink.examples.lock().unwrap_or_else(|p| p.into_inner());
        for e in examples.drain(..) {
            if self.examples.len() < 3 {
                self.examples.push(e);
            }
        }
        let mut late = sink.late.lock().unwrap_or_else(|p| p.into_inner());
        for (key, (mtime, latest)) in std::mem::take(&mut *late) {
            let entry = self.late.entry(key).or_insert((mtime, latest));
            entry.0 = mtime;
            entry.1 = entry.1.max(latest);
        }
    }

    /// One warning per late file, by host and path.
    fn warnings(&self) -> Vec<FileWarning> {
        self.late
            .iter()
            .map(|((host, file), (mtime, latest_line))| FileWarning {
                host: host.clone(),
                file: file.clone(),
                mtime: *mtime,
                latest_line: *latest_line,
            })
            .collect()
    }
}

/// Says which unknown outcomes are unknown because a host could not be searched.
fn explain_failures(trace: &mut Trace, summaries: &BTreeMap<String, HostSummary>) {
    let failed = |host: &str| summaries.get(host).and_then(|s| s.error.clone());
    let outcomes = trace.recipients.iter_mut().chain(
        trace
            .messages
            .iter_mut()
            .flat_map(|m| m.recipients.iter_mut()),
    );
    for r in outcomes {
        if r.state != crate::trace::State::Unknown {
            continue;
        }
        if let Some(error) = failed(&r.host) {
            r.note = Some(format!("{} could not be searched: {error}", r.host));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::FileInfo;
    use chrono::DateTime;

    fn file(path: &str, size: u64, state: FileState, pass: u8) -> FileInfo {
        FileInfo {
            path: path.into(),
            mtime: DateTime::from_timestamp(1_000_000, 0).unwrap_or_default(),
            size,
            state,
            pass,
        }
    }

    fn report(files: Vec<FileInfo>) -> HostReport {
        let bytes = files
            .iter()
            .filter(|f| f.state == FileState::Searched)
            .map(|f| f.size)
            .sum();
        HostReport {
            host: "h1".into(),
            files,
            bytes_searched: bytes,
            lines: 1,
            elapsed: Duration::from_millis(5),
            error: None,
        }
    }

    #[test]
    fn a_file_read_by_several_rounds_and_passes_counts_once() {
        let round1 = report(vec![
            file("/l/maillog", 1000, FileState::Searched, 1),
            file("/l/maillog.1", 500, FileState::Skipped, 1),
            file("/l/maillog", 1000, FileState::Searched, 2),
        ]);
        let round2 = report(vec![
            file("/l/maillog", 1200, FileState::Searched, 1),
            file("/l/maillog.1", 500, FileState::Searched, 1),
        ]);
        let mut summaries = BTreeMap::new();
        merge(&mut summaries, &[round1]);
        let h1 = &summaries["h1"];
        assert_eq!(
            (h1.files, h1.files_skipped, h1.bytes_searched),
            (1, 1, 1000)
        );
        merge(&mut summaries, &[round2]);
        let h1 = &summaries["h1"];
        // the live file grew between rounds; the rotated one was read in round 2
        assert_eq!(
            (h1.files, h1.files_skipped, h1.bytes_searched),
            (2, 0, 1700)
        );
        assert_eq!((h1.lines, h1.elapsed_ms), (2, 10));
        assert!(h1.log_files.iter().all(|f| f.state == FileState::Searched));
    }
}
