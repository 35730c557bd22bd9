//! Every case under `tests/fixtures/` (see its README): real-looking logs of
//! a few hosts beside the expected trace. Each case is copied to a temporary
//! directory (`*.gz.txt` gzipped, mtimes from `mtimes.txt`), traced through
//! the library with `address: local` hosts, and compared with
//! `expected.json`; a failing case prints both sides.
//! `MAILTRACE_BLESS=1` writes `actual.json` beside each case for review.

mod common;

use common::fixtures::{cases, materialize};

use std::fs;
use std::path::Path;

use mailtrace::inventory::Inventory;

use serde_json::{json, Value};

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
    let trace_request = common::fixtures::request(case, &inventory);
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
