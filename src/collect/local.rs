//! The local source: a host with `address: local` has its logs read on this
//! machine (a loghost, or copied logs) with the same globs, pruning, matching
//! and queue ID expansion as the remote script, done in Rust.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};

use chrono::{TimeZone, Utc};

use super::{FileInfo, FileState, HostReport, LineSink, RawLine};
use crate::inventory::Host;
use crate::plan::{keep_file, SearchRequest};
use crate::time::Window;

/// Searches a local host's logs; blocking file I/O runs off the async threads.
/// Lines go to `sink` one by one as the files are read.
pub async fn search(host: &Host, request: &SearchRequest, sink: Arc<dyn LineSink>) -> HostReport {
    let started = Instant::now();
    let name: Arc<str> = Arc::from(host.name.as_str());
    let globs = host.logs.clone();
    let request = request.clone();
    let host_name = name.clone();
    let found = tokio::task::spawn_blocking(move || {
        search_blocking(&host_name, &globs, &request, &mut |l| sink.line(l))
    })
    .await;
    let mut report = match found {
        Ok(report) => report,
        Err(e) => {
            let mut r = HostReport::new(&name);
            r.error = Some(format!("local search failed: {e}"));
            r
        }
    };
    report.elapsed = started.elapsed();
    report
}

/// The whole search, synchronously, handing each matching line to `emit`.
pub fn search_blocking(
    host: &Arc<str>,
    globs: &[String],
    request: &SearchRequest,
    emit: &mut dyn FnMut(RawLine),
) -> HostReport {
    let mut report = HostReport::new(host);
    if let Err(e) = request.validate() {
        report.error = Some(e.to_string());
        return report;
    }
    let files = list_files(globs);
    if files.is_empty() {
        report.error = Some(format!("no log file matches {}", globs.join(", ")));
        return report;
    }
    let mtimes: Vec<i64> = files.iter().map(|f| f.1).collect();
    let mut queue_ids: Vec<String> = Vec::new();
    scan(
        host,
        &files,
        &mtimes,
        1,
        &request.window,
        &mut report,
        &mut |line| {
            if request.matches(&line.text) {
                if request.expand.is_some() {
                    if let Some(id) = queue_id_of(&line.text) {
                        if !queue_ids.iter().any(|q| q == id) {
                            queue_ids.push(id.to_string());
                        }
                    }
                }
                emit(line);
                true
            } else {
                false
            }
        },
    );
    if let (Some(window), false) = (&request.expand, queue_ids.is_empty()) {
        scan(host, &files, &mtimes, 2, window, &mut report, &mut |line| {
            if queue_ids.iter().any(|q| line.text.contains(q.as_str())) {
                emit(line);
                true
            } else {
                false
            }
        });
    }
    report
}

/// Files matching the globs (wildcards in the last path element only), with
/// mtime and size, oldest first (so a host's lines come in time order).
pub(crate) fn list_files(globs: &[String]) -> Vec<(PathBuf, i64, u64)> {
    let mut files = Vec::new();
    for glob in globs {
        let path = Path::new(glob);
        let (Some(dir), Some(pattern)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let pattern = pattern.to_string_lossy();
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !glob_match::glob_match(&pattern, &name.to_string_lossy()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let p = entry.path();
            if !files.iter().any(|(f, _, _)| f == &p) {
                files.push((p, mtime, meta.len()));
            }
        }
    }
    files.sort_by_key(|f| f.1);
    files
}

fn scan(
    host: &Arc<str>,
    files: &[(PathBuf, i64, u64)],
    mtimes: &[i64],
    pass: u8,
    window: &Window,
    report: &mut HostReport,
    keep_line: &mut dyn FnMut(RawLine) -> bool,
) {
    for (path, mtime, size) in files {
        let compressed = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let state = if !keep_file(*mtime, mtimes, window) {
            FileState::Skipped
        } else if matches!(compressed, "xz" | "bz2" | "zst") {
            FileState::NoTool
        } else {
            FileState::Searched
        };
        let info = Arc::new(FileInfo {
            path: path.display().to_string(),
            mtime: Utc.timestamp_opt(*mtime, 0).single().unwrap_or_default(),
            size: *size,
            state,
            pass,
        });
        report.files.push((*info).clone());
        if state != FileState::Searched {
            continue;
        }
        report.bytes_searched += size;
        let reader: Box<dyn Read> = match fs::File::open(path) {
            Ok(f) if compressed == "gz" => Box::new(flate2::read::MultiGzDecoder::new(f)),
            Ok(f) => Box::new(f),
            Err(e) => {
                add_error(report, format!("{}: {e}", path.display()));
                continue;
            }
        };
        let mut reader = BufReader::with_capacity(256 * 1024, reader);
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    number += 1;
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    let line = RawLine {
                        host: host.clone(),
                        file: info.clone(),
                        number,
                        text: String::from_utf8_lossy(&buf).into_owned(),
                    };
                    if keep_line(line) {
                        report.lines += 1;
                    }
                }
                Err(e) => {
                    add_error(report, format!("{}: {e}", path.display()));
                    break;
                }
            }
        }
    }
}

/// The queue ID a line is about, by the same rule as the remote script's `ids`.
fn queue_id_of(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("]: ")?;
    let id = rest.split(':').next()?;
    let plausible = !id.is_empty()
        && id != "NOQUEUE"
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    plausible.then_some(id)
}

fn add_error(report: &mut HostReport, error: String) {
    report.error = Some(match report.error.take() {
        Some(previous) => format!("{previous}; {error}"),
        None => error,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids_follow_the_remote_rule() {
        assert_eq!(
            queue_id_of("Nov 1 h postfix/qmgr[1]: ABC123: removed"),
            Some("ABC123")
        );
        assert_eq!(
            queue_id_of("Nov 1 h postfix/smtpd[1]: NOQUEUE: reject"),
            None
        );
        assert_eq!(queue_id_of("Nov 1 h postfix/smtpd[1]: warning: x"), None);
        assert_eq!(
            queue_id_of("Nov 1 h postfix/smtpd[1]: connect from a[1.2.3.4]"),
            None
        );
    }
}
