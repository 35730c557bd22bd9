//! `address: local` reads the same files with the same pruning, matching
//! and queue ID expansion as the remote script: the traces must be equal.

mod common;

use common::{site, trace_keyword};
use mailtrace::demo::SiteOptions;
use mailtrace::inventory::Address;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_and_ssh_sources_give_the_same_trace() {
    let (_site, inventory) = site(SiteOptions::default()).await;
    let mut local = inventory.clone();
    for host in &mut local.hosts {
        host.address = Address::Local;
    }
    for (host, keyword, time, range) in [
        (
            "mx-cluster",
            "alice@example.org",
            "2026-11-28 21:58:00",
            "1h",
        ),
        (
            "smtp-cluster",
            "nosuchuser@cs.example.edu",
            "2026-11-28 22:15:00",
            "30m",
        ),
        (
            "csmail1",
            "ivan@cs.example.edu",
            "2026-11-27 04:00:00",
            "30m",
        ),
    ] {
        let over_ssh = trace_keyword(&inventory, host, keyword, time, range).await;
        let on_disk = trace_keyword(&local, host, keyword, time, range).await;
        assert!(
            on_disk.failed_hosts().is_empty(),
            "{:?}",
            on_disk.failed_hosts()
        );
        assert_eq!(
            serde_json::to_value(&over_ssh.trace).unwrap(),
            serde_json::to_value(&on_disk.trace).unwrap(),
            "{keyword}"
        );
        assert_eq!(over_ssh.stats.rounds, on_disk.stats.rounds, "{keyword}");
        for (a, b) in over_ssh.hosts.iter().zip(&on_disk.hosts) {
            assert_eq!(
                (a.files, a.files_skipped, a.bytes_searched),
                (b.files, b.files_skipped, b.bytes_searched),
                "{}",
                a.name
            );
        }
    }
}
