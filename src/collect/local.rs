//! The local source: a host with `address: local` has its logs read on this
//! machine (a loghost, or copied logs) by the very script a server runs,
//! under this machine's `sh`, and its output read by the same
//! [`OutputReader`]: one implementation of file selection, pruning,
//! decompression, matching and queue ID expansion.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Instant;

use super::output::OutputReader;
use super::{HostReport, LineSink, RawLine};
use crate::inventory::Host;
use crate::plan::{search_script, SearchRequest};

/// Most of `sh`'s stderr kept for a report.
const MAX_STDERR: u64 = 64 * 1024;

/// Searches a local host's logs; the blocking wait runs off the async threads.
/// Lines go to `sink` one by one as the script prints them.
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
    emit: &mut (dyn FnMut(RawLine) + Send),
) -> HostReport {
    let mut report = HostReport::new(host);
    let script = match search_script(globs, request) {
        Ok(script) => script,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    let mut reader = OutputReader::new(host.clone(), emit);
    let run = run_sh(&script, &mut |chunk| reader.feed(chunk, &mut report));
    reader.finish(&mut report);
    let problem = match run {
        Err(e) => Some(format!("local search failed: {e}")),
        Ok(_) if reader.no_files => Some(format!("no log file matches {}", globs.join(", "))),
        Ok((status, stderr)) if !reader.done => Some(format!(
            "search did not complete (exit {:?}): {}",
            status.code(),
            stderr.trim()
        )),
        Ok((_, stderr)) if report.error.is_some() && !stderr.trim().is_empty() => {
            Some(stderr.trim().to_string())
        }
        Ok(_) => None,
    };
    if let Some(problem) = problem {
        report.error = Some(match report.error.take() {
            Some(previous) => format!("{previous}; {problem}"),
            None => problem,
        });
    }
    report
}

/// Runs `script` under `sh -c` on this machine, handing its stdout to
/// `output` chunk by chunk as it comes; returns its exit status and stderr.
pub(crate) fn run_sh(
    script: &str,
    output: &mut dyn FnMut(&[u8]),
) -> std::io::Result<(ExitStatus, String)> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let mut pipe = pipe;
            let _ = pipe.by_ref().take(MAX_STDERR).read_to_end(&mut text);
            // keep draining, so that a talkative script never blocks
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            String::from_utf8_lossy(&text).into_owned()
        })
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut buf = vec![0u8; 256 * 1024];
    let read = loop {
        match stdout.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    drop(stdout);
    let status = child.wait()?;
    read?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((status, stderr))
}
