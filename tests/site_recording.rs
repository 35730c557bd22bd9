//! Real Postfix logs recorded from the testbed (`testbed/record`) with the
//! scenarios' ground truth: every scenario's trace, read with `address:
//! local` hosts, must give each recipient the recorded path, state and DSN.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use mailtrace::engine::TraceRequest;
use mailtrace::inventory::{Address, Inventory};
use mailtrace::time::{parse_duration, parse_local_time, Window};
use serde_json::Value;

fn site_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site")
}

/// Copies the recording, applies its mtimes and points every host at it.
fn materialize(into: &Path) -> Inventory {
    let site = site_dir();
    for line in fs::read_to_string(site.join("manifest.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (file, time) = line.split_once(' ').unwrap();
        let target = into.join(file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(site.join(file), &target).unwrap();
        let t = chrono::DateTime::parse_from_rfc3339(time.trim()).unwrap();
        fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64))
            .unwrap();
    }
    let mut inventory = Inventory::load(&site.join("inventory.yaml")).unwrap();
    for host in &mut inventory.hosts {
        host.address = Address::Local;
        host.logs = vec![format!("{}/{}/maillog*", into.display(), host.name)];
    }
    inventory
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_scenario_traces_to_its_truth() {
    if !site_dir().join("truth.json").exists() {
        panic!("tests/fixtures/site is missing: run testbed/record");
    }
    let dir = tempfile::tempdir().unwrap();
    let inventory = materialize(dir.path());
    let truth: Value =
        serde_json::from_str(&fs::read_to_string(site_dir().join("truth.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let scenarios = truth["scenarios"].as_array().unwrap();
    assert!(
        scenarios.len() >= 12,
        "{} scenarios recorded",
        scenarios.len()
    );
    for s in scenarios {
        let name = s["name"].as_str().unwrap_or("?");
        let t = &s["trace"];
        let centre = parse_local_time(t["time"].as_str().unwrap(), &inventory.zone).unwrap();
        let request = TraceRequest {
            hosts: common::hosts(&inventory, t["host"].as_str().unwrap()),
            keywords: vec![t["keyword"].as_str().unwrap().to_string()],
            mail_id: None,
            message_id: None,
            window: Window::around(
                centre,
                parse_duration(t["range"].as_str().unwrap_or("1h")).unwrap(),
            ),
            follow: parse_duration("5d").unwrap(),
            max_rounds: 12,
        };
        let run = common::trace_request(&inventory, &request).await;
        let mid = s["message_id"].as_str();
        for want in s["recipients"].as_array().unwrap() {
            let address = want["address"].as_str().unwrap();
            let got = run
                .trace
                .messages
                .iter()
                .filter(|m| mid.is_none() || m.message_id.as_deref() == mid)
                .flat_map(|m| &m.recipients)
                .find(|r| r.address == address);
            let Some(got) = got else {
                failures.push(format!("{name}: {address} not in the trace"));
                continue;
            };
            let mut path = got.path.clone();
            path.extend(got.failed_hop.iter().cloned());
            let want_path: Vec<String> = want["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            let state = serde_json::to_value(got.state).unwrap();
            if path != want_path
                || state != want["state"]
                || got.dsn.as_deref() != want["dsn"].as_str()
            {
                failures.push(format!(
                    "{name}: {address}: got {path:?} {state} {:?}, want {want_path:?} {} {}",
                    got.dsn, want["state"], want["dsn"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
