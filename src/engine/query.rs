//! `query`: one expanding search on the chosen hosts, returning every line of
//! every queue ID whose lines match a keyword, grouped by host and queue ID.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

use super::ingest::{ParseSink, Parsed};
use super::WindowView;
use crate::collect::Collector;
use crate::plan::SearchRequest;
use crate::report::{MailLines, QueryHost, QueryRun};
use crate::time::Window;

#[derive(Debug, Clone)]
pub struct QueryRequest {
    pub hosts: Vec<String>,
    pub keywords: Vec<String>,
    pub window: Window,
    /// How far past the window the lines of a matching queue ID are collected.
    pub follow: Duration,
}

pub async fn run_query(collector: &Arc<Collector>, request: &QueryRequest) -> QueryRun {
    let started = Instant::now();
    let opened_before = collector.connections_opened();
    let inventory = collector.inventory();
    let jobs: Vec<(String, SearchRequest)> = request
        .hosts
        .iter()
        .map(|h| {
            (
                h.clone(),
                SearchRequest {
                    patterns: request.keywords.clone(),
                    ignore_case: true,
                    window: request.window,
                    expand: Some(request.window.extended(request.follow)),
                },
            )
        })
        .collect();
    let sink = ParseSink::new(inventory, 1);
    let reports = collector.search(jobs, sink.clone()).await;
    let parsed = sink.take();
    let in_window = |p: &Parsed| request.window.contains(p.event.time.to_utc());

    let mut hosts = Vec::new();
    let mut all_ids: Vec<(DateTime<FixedOffset>, String)> = Vec::new();
    for report in &reports {
        let mine: Vec<&Parsed> = parsed.iter().filter(|p| p.host == report.host).collect();
        // queue IDs with a matching line inside the window
        let matched: Vec<&str> = mine
            .iter()
            .filter(|p| p.pass == 1 && in_window(p))
            .filter_map(|p| p.event.queue_id.as_deref())
            .collect();
        let mut groups: BTreeMap<Option<String>, Vec<&Parsed>> = BTreeMap::new();
        for p in &mine {
            // another program's line joins the queue ID it names, if found
            let key = p.event.queue_id.clone().or_else(|| {
                p.event
                    .other_id
                    .clone()
                    .filter(|id| matched.contains(&id.as_str()))
            });
            let keep = match &key {
                Some(q) => matched.contains(&q.as_str()),
                None => p.pass == 1 && in_window(p),
            };
            if keep {
                groups.entry(key).or_default().push(p);
            }
        }
        let mut mails: Vec<MailLines> = groups
            .into_iter()
            .map(|(mail_id, mut lines)| {
                lines.sort_by_key(|p| (p.event.time, p.position));
                // the same line read twice counts once; equal lines do not
                lines.dedup_by_key(|p| p.position);
                let texts: Vec<String> = lines.iter().map(|p| raw_text(p)).collect();
                MailLines {
                    mail_id,
                    first: lines[0].event.time,
                    lines: texts,
                }
            })
            .collect();
        mails.sort_by_key(|m| m.first);
        for m in &mails {
            if let Some(id) = &m.mail_id {
                all_ids.push((m.first, id.clone()));
            }
        }
        hosts.push(QueryHost {
            name: report.host.clone(),
            error: report.error.clone(),
            files_searched: report
                .files
                .iter()
                .filter(|f| f.pass == 1 && f.state == crate::collect::FileState::Searched)
                .count(),
            mails,
        });
    }
    all_ids.sort();
    QueryRun {
        keywords: request.keywords.clone(),
        window: WindowView::new(&request.window, &inventory.zone),
        mail_ids: all_ids.into_iter().map(|(_, id)| id).collect(),
        hosts,
        elapsed_ms: crate::time::millis(started.elapsed()),
        unparsed_lines: sink.unparsed.load(Ordering::Relaxed),
        connections_opened: collector.connections_opened() - opened_before,
    }
}

/// The line as logged, rebuilt from its parts in the line's own offset.
fn raw_text(p: &Parsed) -> String {
    let e = &p.event;
    let pid = e.pid.map(|p| format!("[{p}]")).unwrap_or_default();
    format!(
        "{} {} {}{}: {}",
        e.time.format("%Y-%m-%dT%H:%M:%S%:z"),
        e.log_host,
        e.program,
        pid,
        e.message
    )
}
