//! Shared helpers for tests that run traces against the embedded demo site.
#![allow(dead_code)]

pub mod fixtures;

use std::sync::Arc;

use mailtrace::collect::{Collector, Credentials};
use mailtrace::demo::{DemoSite, SiteOptions};
use mailtrace::engine::{run_query, run_trace, QueryRequest, QueryRun, TraceRequest, TraceRun};
use mailtrace::inventory::Inventory;
use mailtrace::time::{parse_duration, parse_local_time, Window};

pub async fn site(options: SiteOptions) -> (DemoSite, Inventory) {
    let site = DemoSite::start(&options).await.expect("demo site starts");
    let inventory = Inventory::load(&site.inventory).expect("generated inventory loads");
    (site, inventory)
}

pub fn window(inventory: &Inventory, time: &str, range: &str) -> Window {
    let centre = parse_local_time(time, &inventory.zone).unwrap();
    Window::around(centre, parse_duration(range).unwrap())
}

pub fn hosts(inventory: &Inventory, target: &str) -> Vec<String> {
    inventory
        .resolve_target(target)
        .unwrap()
        .into_iter()
        .map(|h| h.name.clone())
        .collect()
}

pub fn collector(inventory: &Inventory) -> Arc<Collector> {
    Collector::new(Arc::new(inventory.clone()), Credentials::non_interactive())
}

pub async fn trace_keyword(
    inventory: &Inventory,
    host: &str,
    keyword: &str,
    time: &str,
    range: &str,
) -> TraceRun {
    let request = TraceRequest::by_keywords(
        hosts(inventory, host),
        vec![keyword.to_string()],
        window(inventory, time, range),
        parse_duration("5d").unwrap(),
    );
    let c = collector(inventory);
    let run = run_trace(&c, &request, &|_| {}).await;
    c.close().await;
    run
}

pub async fn trace_request(inventory: &Inventory, request: &TraceRequest) -> TraceRun {
    let c = collector(inventory);
    let run = run_trace(&c, request, &|_| {}).await;
    c.close().await;
    run
}

pub async fn query(
    inventory: &Inventory,
    host: &str,
    keywords: &[&str],
    time: &str,
    range: &str,
) -> QueryRun {
    let request = QueryRequest {
        hosts: hosts(inventory, host),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        window: window(inventory, time, range),
        follow: parse_duration("5d").unwrap(),
    };
    let c = collector(inventory);
    let run = run_query(&c, &request).await;
    c.close().await;
    run
}

/// Replaces the demo site's temporary directory in a host summary's log
/// file paths (JSON) by `[site]`, for snapshots.
pub fn steady_log_paths(host: &mut serde_json::Value) {
    let Some(files) = host["log_files"].as_array_mut() else {
        return;
    };
    for f in files {
        if let Some(path) = f["path"].as_str() {
            if let Some(at) = path.find("/hosts/") {
                f["path"] = format!("[site]{}", &path[at..]).into();
            }
        }
    }
}
