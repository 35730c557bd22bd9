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
            max_rounds: mailtrace::engine::MAX_ROUNDS,
        };
        let run = common::trace_request(&inventory, &request).await;
        let mid = s["message_id"].as_str();
        // the verdict against the declared routes, and the first diagnosis
        let main = run.trace.messages.iter().position(|m| {
            m.notification_of.is_none() && (mid.is_none() || m.message_id.as_deref() == mid)
        });
        if let (Some(i), Some(want)) = (main, s["verdict"].as_str()) {
            let a = &run.analysis[i];
            let first = a.diagnosis.first().map(|d| d.rule).unwrap_or("-");
            if !mailtrace::render::verdict_text(&a.verdict).starts_with(want)
                || Some(first) != s["first_diagnosis"].as_str()
            {
                failures.push(format!(
                    "{name}: verdict {:?} with first diagnosis {first}, want {want} and {}",
                    a.verdict, s["first_diagnosis"]
                ));
            }
        }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_flow_accounts_for_every_recorded_inbound_message() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = materialize(dir.path());
    let truth: Value =
        serde_json::from_str(&fs::read_to_string(site_dir().join("truth.json")).unwrap()).unwrap();
    let scenarios = truth["scenarios"].as_array().unwrap();
    let times: Vec<_> = scenarios
        .iter()
        .map(|s| parse_local_time(s["trace"]["time"].as_str().unwrap(), &inventory.zone).unwrap())
        .collect();
    let window = Window {
        from: *times.iter().min().unwrap() - chrono::Duration::minutes(30),
        to: *times.iter().max().unwrap() + chrono::Duration::minutes(30),
    };
    let flow = |cluster: &str| mailtrace::engine::FlowRequest {
        cluster: cluster.to_string(),
        hosts: common::hosts(&inventory, cluster),
        window,
        keywords: Vec::new(),
        follow: parse_duration("5d").unwrap(),
    };
    let collector = common::collector(&inventory);
    let mx = mailtrace::engine::run_flow(&collector, &flow("mx-cluster")).await;
    // the inbound scenarios, as the truth tells their ends
    let mut expected: Vec<(String, String)> = scenarios
        .iter()
        .filter(|s| s["trace"]["host"] == "mx-cluster")
        .flat_map(|s| s["recipients"].as_array().unwrap().iter())
        .map(|r| {
            let state = r["state"].as_str().unwrap();
            let class = if state == "relayed" {
                "relayed_out"
            } else {
                state
            };
            (
                r["address"].as_str().unwrap().to_string(),
                class.to_string(),
            )
        })
        .collect();
    expected.sort();
    let mut got: Vec<(String, String)> = mx
        .summary
        .flows
        .iter()
        .map(|f| (f.recipient.clone(), f.class.clone()))
        .collect();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(mx.summary.problems, 0);
    // the submission cluster's flows hold the bounces and the stuck deferral
    let smtp = mailtrace::engine::run_flow(&collector, &flow("smtp-cluster")).await;
    collector.close().await;
    assert!(
        smtp.summary.counts.get("deferred").copied().unwrap_or(0) >= 1,
        "{:?}",
        smtp.summary.counts
    );
    assert!(
        smtp.summary.counts.get("bounced").copied().unwrap_or(0) >= 2,
        "{:?}",
        smtp.summary.counts
    );
    assert!(smtp.summary.problems >= 3);
}
