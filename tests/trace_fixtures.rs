//! Every case under `tests/fixtures/` (see its README): real-looking logs of
//! a few hosts beside the expected trace. Each case is copied to a temporary
//! directory (`*.gz.txt` gzipped, mtimes from `mtimes.txt`), traced through
//! the library with `address: local` hosts, and compared with
//! `expected.json`; a failing case prints both sides.
//! `MAILTRACE_BLESS=1` writes `actual.json` beside each case for review.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use mailtrace::engine::TraceRequest;
use mailtrace::inventory::Inventory;
use mailtrace::time::{parse_duration, parse_local_time, Window};
use serde_json::{json, Value};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("request.json").exists())
        .collect();
    cases.sort();
    // MAILTRACE_CASE=name[,name...] runs only those cases
    if let Ok(only) = std::env::var("MAILTRACE_CASE") {
        let only: Vec<&str> = only.split(',').collect();
        cases.retain(|c| {
            c.file_name()
                .is_some_and(|n| only.contains(&&*n.to_string_lossy()))
        });
    }
    cases
}

/// Copies a case, gzipping `*.gz.txt` and applying `mtimes.txt`.
fn materialize(case: &Path, into: &Path) {
    copy_tree(case, into);
    let mtimes = fs::read_to_string(into.join("mtimes.txt")).unwrap_or_default();
    for (n, line) in mtimes
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (file, time) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: mtimes.txt:{}: `path RFC3339`", case.display(), n + 1));
        let t = chrono::DateTime::parse_from_rfc3339(time.trim()).unwrap();
        let f = fs::File::options()
            .write(true)
            .open(into.join(file))
            .unwrap_or_else(|e| panic!("{}: {file}: {e}", case.display()));
        f.set_modified(UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64))
            .unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if let Some(base) = name.strip_suffix(".gz.txt") {
            let text = fs::read(entry.path()).unwrap();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&text).unwrap();
            fs::write(to.join(format!("{base}.gz")), gz.finish().unwrap()).unwrap();
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The part of a trace the fixtures pin down.
fn project(trace: &mailtrace::trace::Trace) -> Value {
    let messages: Vec<Value> = trace
        .messages
        .iter()
        .map(|m| {
            json!({
                "message_id": m.message_id,
                "sender": m.sender,
                "client": m.origin.as_ref().and_then(|o| o.client.clone()),
                "notification_of": m.notification_of,
                "nodes": m.nodes,
                "hop_count": m.hop_count,
                "edges": m.edges.iter().map(|e| json!({
                    "from": e.from, "to": e.to, "mail_id": e.mail_id, "next_mail_id": e.next_mail_id,
                    "status": e.status, "dsn": e.dsn, "recipients": e.recipients, "retries": e.retries,
                })).collect::<Vec<_>>(),
                "recipients": m.recipients.iter().map(|r| json!({
                    "address": r.address, "state": r.state, "host": r.host, "mail_id": r.mail_id, "dsn": r.dsn,
                    "reply": r.reply, "time": r.time,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "messages": messages })
}

async fn run_case(case: &Path) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    materialize(case, dir.path());
    let inventory =
        Inventory::load(&dir.path().join("inventory.yaml")).map_err(|e| e.to_string())?;
    let request: Value =
        serde_json::from_str(&fs::read_to_string(case.join("request.json")).unwrap()).unwrap();
    let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_string);
    let centre = parse_local_time(&text("time").unwrap(), &inventory.zone).unwrap();
    let range = parse_duration(&text("range").unwrap_or_else(|| "1h".into())).unwrap();
    let trace_request = TraceRequest {
        hosts: common::hosts(&inventory, &text("host").unwrap()),
        keywords: request
            .get("keywords")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        mail_id: text("mail_id"),
        message_id: text("message_id"),
        window: Window::around(centre, range),
        follow: parse_duration("5d").unwrap(),
        max_rounds: mailtrace::engine::MAX_ROUNDS,
    };
    let run = common::trace_request(&inventory, &trace_request).await;
    if let Some(h) = run
        .hosts
        .iter()
        .find(|h| h.error.is_some() && inventory.host(&h.name).is_some_and(|x| x.tracked))
    {
        return Err(format!("host {} failed: {:?}", h.name, h.error));
    }
    let actual = project(&run.trace);
    if std::env::var_os("MAILTRACE_BLESS").is_some() {
        fs::write(
            case.join("actual.json"),
            serde_json::to_string_pretty(&actual).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(case.join("expected.json")).unwrap())
            .map_err(|e| format!("expected.json: {e}"))?;
    if actual != expected {
        return Err(format!(
            "expected:\n{}\nactual:\n{}",
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(&actual).unwrap()
        ));
    }
    let analysis_file = case.join("analysis.json");
    if analysis_file.exists() {
        let actual = project_analysis(&run);
        if std::env::var_os("MAILTRACE_BLESS").is_some() {
            let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
            fs::write(case.join("actual-analysis.json"), text).unwrap();
        }
        let expected: Value = serde_json::from_str(&fs::read_to_string(&analysis_file).unwrap())
            .map_err(|e| format!("analysis.json: {e}"))?;
        if actual != expected {
            return Err(format!(
                "analysis expected:\n{}\nactual:\n{}",
                serde_json::to_string_pretty(&expected).unwrap(),
                serde_json::to_string_pretty(&actual).unwrap()
            ));
        }
    }
    Ok(())
}

/// Verdicts, check results and diagnosis rules per message.
fn project_analysis(run: &mailtrace::engine::TraceRun) -> Value {
    let messages: Vec<Value> = run
        .analysis
        .iter()
        .map(|a| {
            let checks: serde_json::Map<String, Value> = a
                .checks
                .iter()
                .map(|c| (c.name.to_string(), json!(c.status)))
                .collect();
            json!({
                "direction": a.direction,
                "verdict": a.verdict,
                "checks": checks,
                "diagnosis": a.diagnosis.iter().map(|d| d.rule).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "verdict": run.verdict, "messages": messages })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_case_traces_as_expected() {
    let cases = cases();
    assert!(!cases.is_empty(), "no fixture cases found");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case).await {
            failures.push(format!(
                "--- {}\n{e}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
