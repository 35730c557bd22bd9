//! One model behind every front end: on every fixture case, `mailtrace
//! trace --format json` and the MCP server's trace tool (both run as the
//! real binary) give the same answer for every recipient; `mailtrace query`
//! finds no queue ID the trace leaves out; and `mailtrace audit` over the
//! case's window counts at least every recipient state the trace shows on
//! each host.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::fixtures::{ask, cases, materialize, Ask};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_mailtrace");

/// Every recipient of every message: the sender and what became of it.
fn answers(run: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for m in run["messages"].as_array().into_iter().flatten() {
        for r in m["recipients"].as_array().into_iter().flatten() {
            out.push(json!({
                "sender": m["sender"], "message_id": m["message_id"],
                "address": r["address"], "state": r["state"], "host": r["host"],
                "mail_id": r["mail_id"], "dsn": r["dsn"], "reply": r["reply"], "time": r["time"],
            }));
        }
        if let Some(refused) = m.get("refused") {
            out.push(json!({"sender": m["sender"], "refused": refused}));
        }
    }
    out
}

fn run_cli(dir: &Path, args: &[String]) -> Value {
    let out = Command::new(BINARY)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("mailtrace runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn cli_trace(dir: &Path, a: &Ask) -> Value {
    run_cli(dir, &trace_args(a, "json"))
}

/// The CLI arguments that trace what the case asks, in `format`.
fn trace_args(a: &Ask, format: &str) -> Vec<String> {
    let mut args: Vec<String> = ["trace", "-i", "inventory.yaml", "--format", format]
        .map(String::from)
        .to_vec();
    args.extend(["--host".into(), a.host.clone()]);
    args.extend([
        "--time".into(),
        a.time.clone(),
        "--range".into(),
        a.range.clone(),
    ]);
    for k in &a.keywords {
        args.extend(["-k".into(), k.clone()]);
    }
    if let Some(id) = &a.mail_id {
        args.extend(["--mail-id".into(), id.clone()]);
    }
    if let Some(id) = &a.message_id {
        args.extend(["--message-id".into(), id.clone()]);
    }
    args
}

/// Calls the MCP trace tool over stdio, as an assistant would.
fn mcp_trace(dir: &Path, a: &Ask) -> Value {
    let mut child = Command::new(BINARY)
        .current_dir(dir)
        .args(["mcp", "-i", "inventory.yaml"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mailtrace mcp starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut send = |v: Value| writeln!(stdin, "{v}").expect("write to the server");
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "frontends-test", "version": "1"}}}),
    );
    let _ = lines.next();
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let mut arguments = json!({"host": a.host, "time": a.time, "time_range": a.range});
    if !a.keywords.is_empty() {
        arguments["keywords"] = json!(a.keywords);
    }
    if let Some(id) = &a.mail_id {
        arguments["mail_id"] = json!(id);
    }
    if let Some(id) = &a.message_id {
        arguments["message_id"] = json!(id);
    }
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "mailtrace_trace_mail", "arguments": arguments}}));
    let reply: Value = lines
        .find_map(|l| {
            let v: Value = serde_json::from_str(&l.ok()?).ok()?;
            (v["id"] == 2).then_some(v)
        })
        .expect("an answer to the call");
    let _ = child.kill();
    let _ = child.wait();
    let text = reply["result"]["content"]
        .as_array()
        .and_then(|c| c.last())
        .and_then(|c| c["text"].as_str())
        .unwrap_or_else(|| panic!("no text content: {reply}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Recipients per (host, state) in a trace, where the host is a site host.
fn counts(run: &Value) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for m in run["messages"].as_array().into_iter().flatten() {
        for r in m["recipients"].as_array().into_iter().flatten() {
            let key = (
                r["host"].as_str().unwrap_or_default().to_string(),
                r["state"].as_str().unwrap_or_default().to_string(),
            );
            *out.entry(key).or_insert(0) += 1;
        }
    }
    out
}

fn audit_count(audit: &Value, host: &str, state: &str) -> Option<u64> {
    let field = match state {
        "delivered" | "deferred" | "bounced" | "expired" | "rejected" => state,
        "held" | "discarded" => "held_or_discarded",
        _ => return None,
    };
    audit["per_host"]
        .get(host)
        .map(|t| t[field].as_u64().unwrap_or(0))
}

#[test]
fn every_front_end_gives_the_same_answers() {
    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut compared = 0;
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let tmp = tempfile::tempdir().expect("temp dir");
        materialize(case, tmp.path());
        let dir = tmp.path();
        let a = ask(case);

        let cli = cli_trace(dir, &a);
        let mcp = mcp_trace(dir, &a);
        assert_eq!(answers(&cli), answers(&mcp), "{name}: CLI and MCP differ");
        compared += answers(&cli).len();

        if !a.keywords.is_empty() {
            let mut args: Vec<String> = ["query", "-i", "inventory.yaml", "--format", "json"]
                .map(String::from)
                .to_vec();
            args.extend([
                "--host".into(),
                a.host.clone(),
                "--time".into(),
                a.time.clone(),
            ]);
            args.extend(["--range".into(), a.range.clone()]);
            for k in &a.keywords {
                args.extend(["-k".into(), k.clone()]);
            }
            let query = run_cli(dir, &args);
            let traced: Vec<&str> = cli["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|m| m["instances"].as_array().into_iter().flatten())
                .filter_map(|i| i["mail_id"].as_str())
                .collect();
            for id in query["mail_ids"].as_array().into_iter().flatten() {
                let id = id.as_str().unwrap_or_default();
                assert!(
                    traced.contains(&id),
                    "{name}: query found {id}, the trace did not"
                );
            }
        }

        let inventory =
            mailtrace::inventory::Inventory::load(&dir.join("inventory.yaml")).expect("inventory");
        let centre = mailtrace::time::parse_local_time(&a.time, &inventory.zone).expect("time");
        let range = mailtrace::time::parse_duration(&a.range).expect("range");
        let window = mailtrace::time::Window::around(centre, range);
        let local = |t| {
            inventory
                .zone
                .display(t)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let audit = run_cli(
            dir,
            &[
                "audit",
                "-i",
                "inventory.yaml",
                "--format",
                "json",
                "--from",
                &local(window.from),
                "--to",
                &local(window.to),
            ]
            .map(String::from),
        );
        let in_window: Vec<Value> = cli["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["first_seen"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| window.contains(t.to_utc()))
            })
            .cloned()
            .collect();
        for ((host, state), n) in counts(&json!({ "messages": in_window })) {
            if let Some(counted) = audit_count(&audit, &host, &state) {
                assert!(
                    counted >= n,
                    "{name}: audit counts {counted} {state} on {host}, the trace {n}"
                );
            }
        }
    }
    assert!(compared > 100, "only {compared} recipients compared");
}

/// Two byte-identical lines at two places in a log are two events: the
/// query shows both (only the same line read twice counts once).
#[test]
fn query_keeps_repeated_lines() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/same_second_refusals");
    let tmp = tempfile::tempdir().expect("temp dir");
    materialize(&case, tmp.path());
    let query = run_cli(
        tmp.path(),
        &[
            "query",
            "-i",
            "inventory.yaml",
            "--format",
            "json",
            "--host",
            "c1",
            "-k",
            "hr-dept@recruit.example.net",
            "--time",
            "2026-11-07 11:45:00",
            "--range",
            "30m",
        ]
        .map(String::from),
    );
    let lines: Vec<&str> = query["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|h| h["mails"].as_array().into_iter().flatten())
        .flat_map(|m| m["lines"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .filter(|l| l.contains("<rachel@example.edu>: Recipient address rejected"))
        .collect();
    assert_eq!(lines.len(), 2, "{query}");
}

/// The MCP answer's `graph_dot` is the CLI's `--format dot`, byte for byte:
/// both come from the one DOT renderer.
#[test]
fn mcp_graph_is_the_cli_dot() {
    let (mut compared, mut clustered) = (0, false);
    for case in cases() {
        let tmp = tempfile::tempdir().expect("temp dir");
        materialize(&case, tmp.path());
        let a = ask(&case);
        let out = Command::new(BINARY)
            .current_dir(tmp.path())
            .args(trace_args(&a, "dot"))
            .output()
            .expect("mailtrace runs");
        let dot = String::from_utf8(out.stdout).expect("DOT is UTF-8");
        let mcp = mcp_trace(tmp.path(), &a);
        if mcp["edges"].as_array().is_none_or(|e| e.is_empty()) {
            continue;
        }
        assert_eq!(
            mcp["graph_dot"].as_str().map(|g| g.to_string() + "\n"),
            Some(dot.clone()),
            "{}",
            case.display()
        );
        clustered |= dot.contains("\\n(");
        compared += 1;
        if compared == 8 {
            break;
        }
    }
    assert_eq!(compared, 8, "cases with hops");
    assert!(clustered, "no node labelled with its cluster");
}
