//! The collector: one connection per host per run (opened on first use,
//! reused by every later round), at most `concurrency` hosts in flight, and
//! a report for every host whether it answered or not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;

use super::output::OutputReader;
pub use super::ssh::Credentials;
use super::ssh::SshSession;
use super::{local, HostReport, LineSink};
use crate::inventory::{Address, Host, Inventory};
use crate::plan::{remote_command, SearchRequest};

type SessionCell = Arc<OnceCell<Result<Arc<SshSession>, String>>>;

/// A host's connection slot and when it was last used.
struct Slot {
    cell: SessionCell,
    last_used: Instant,
}

/// Runs searches on inventory hosts.
pub struct Collector {
    inventory: Arc<Inventory>,
    credentials: Arc<Credentials>,
    sessions: Mutex<HashMap<String, Slot>>,
    limit: Arc<Semaphore>,
    opened: AtomicU64,
}

impl Collector {
    pub fn new(inventory: Arc<Inventory>, credentials: Credentials) -> Arc<Collector> {
        let limit = Arc::new(Semaphore::new(inventory.concurrency.max(1)));
        Arc::new(Collector {
            inventory,
            credentials: Arc::new(credentials),
            sessions: Mutex::new(HashMap::new()),
            limit,
            opened: AtomicU64::new(0),
        })
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The inventory, for holders that outlive a borrow.
    pub fn inventory_shared(&self) -> Arc<Inventory> {
        self.inventory.clone()
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Runs every job at once (within the concurrency limit) and returns one
    /// report per job, in job order. Lines go to `sink` as they arrive.
    pub async fn search(
        self: &Arc<Self>,
        jobs: Vec<(String, SearchRequest)>,
        sink: Arc<dyn LineSink>,
    ) -> Vec<HostReport> {
        let mut set = JoinSet::new();
        for (index, (host, request)) in jobs.into_iter().enumerate() {
            let me = self.clone();
            let sink = sink.clone();
            set.spawn(async move {
                let _permit = me.limit.clone().acquire_owned().await;
                let report = me.search_host(&host, &request, &sink).await;
                sink.host_done(&host);
                (index, report)
            });
        }
        let mut reports: Vec<(usize, HostReport)> = Vec::new();
        while let Some(done) = set.join_next().await {
            match done {
                Ok(pair) => reports.push(pair),
                Err(e) => {
                    let mut report = HostReport::new("?");
                    report.error = Some(format!("search task failed: {e}"));
                    reports.push((usize::MAX, report));
                }
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        reports.into_iter().map(|(_, r)| r).collect()
    }

    async fn search_host(
        &self,
        name: &str,
        request: &SearchRequest,
        sink: &Arc<dyn LineSink>,
    ) -> HostReport {
        let started = Instant::now();
        let mut report = HostReport::new(name);
        match self.inventory.host(name) {
            None => report.error = Some(format!("`{name}` is not an inventory host")),
            Some(host) if host.address == Address::Local => {
                report = local::search(host, request, sink.clone()).await;
            }
            Some(host) => {
                self.search_ssh(host, request, sink.as_ref(), &mut report)
                    .await
            }
        }
        report.elapsed = started.elapsed();
        report
    }

    async fn search_ssh(
        &self,
        host: &Host,
        request: &SearchRequest,
        sink: &dyn LineSink,
        report: &mut HostReport,
    ) {
        let command = match remote_command(&host.logs, request, host.sudo) {
            Ok(c) => c,
            Err(e) => {
                report.error = Some(e.to_string());
                return;
            }
        };
        let session = match self.session(host).await {
            Ok(s) => s,
            Err(e) => {
                report.error = Some(e);
                return;
            }
        };
        let mut emit = |line| sink.line(line);
        let mut reader = OutputReader::new(Arc::from(host.name.as_str()), &mut emit);
        let result = session
            .run(&command, host.command_timeout, |chunk| {
                reader.feed(chunk, report)
            })
            .await;
        reader.finish(report);
        match result {
            Err(e) => append_error(report, e.to_string()),
            Ok(end) if !reader.done => {
                let why = explain_failure(&end.stderr, host.sudo);
                append_error(
                    report,
                    format!(
                        "search did not complete (exit {:?}): {why}",
                        end.exit_status
                    ),
                );
            }
            Ok(_) if reader.no_files => append_error(
                report,
                format!("no log file matches {}", host.logs.join(", ")),
            ),
            Ok(end) => {
                if report.error.is_some() && !end.stderr.is_empty() {
                    append_error(report, explain_failure(&end.stderr, host.sudo));
                }
            }
        }
    }

    async fn session(&self, host: &Host) -> Result<Arc<SshSession>, String> {
        let cell = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let slot = sessions.entry(host.name.clone()).or_insert_with(|| Slot {
                cell: SessionCell::default(),
                last_used: Instant::now(),
            });
            slot.last_used = Instant::now();
            slot.cell.clone()
        };
        cell.get_or_init(|| async {
            self.opened.fetch_add(1, Ordering::Relaxed);
            SshSession::open(host, &self.credentials)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .await
        .clone()
    }

    /// SSH connections opened so far (each host once per run, unless closed).
    pub fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Forgets failed connection attempts and connections the server closed,
    /// so that a long-lived collector retries them on the next search.
    pub fn forget_broken(&self) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, slot| match slot.cell.get() {
            Some(Ok(session)) => !session.is_closed(),
            Some(Err(_)) => false,
            None => true,
        });
    }

    /// Closes connections unused for longer than `idle`.
    pub async fn close_idle(&self, idle: Duration) {
        let stale: Vec<SessionCell> = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let names: Vec<String> = sessions
                .iter()
                .filter(|(_, slot)| slot.last_used.elapsed() >= idle)
                .map(|(name, _)| name.clone())
                .collect();
            names
                .iter()
                .filter_map(|n| sessions.remove(n))
                .map(|slot| slot.cell)
                .collect()
        };
        for cell in stale {
            if let Some(Ok(session)) = cell.get() {
                session.close().await;
            }
        }
    }

    /// Closes every open connection.
    pub async fn close(&self) {
        self.close_idle(Duration::ZERO).await;
    }
}

fn append_error(report: &mut HostReport, error: String) {
    report.error = Some(match report.error.take() {
        Some(previous) => format!("{error}; {previous}"),
        None => error,
    });
}

/// Turns a failed search's stderr into advice.
fn explain_failure(stderr: &str, sudo: bool) -> String {
    let text = if stderr.is_empty() {
        "no error output"
    } else {
        stderr
    };
    if sudo && (stderr.contains("password is required") || stderr.contains("sudo:")) {
        format!("sudo refused ({text}): allow `sudo -n sh` for this user or set sudo: false")
    } else if stderr.contains("Permission denied") {
        format!(
            "{text}: add the user to the group that reads the logs (often adm) or set sudo: true"
        )
    } else {
        text.to_string()
    }
}
