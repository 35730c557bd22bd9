//! `doctor` against the embedded demo servers with injected faults: a changed
//! host key, a host whose log globs match nothing, a host that is down.

mod common;

use mailtrace::collect::Credentials;
use mailtrace::demo::{loopback_of, SiteOptions};
use mailtrace::engine::{run_doctor, Health};
use mailtrace::inventory::Inventory;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_pinpoints_each_injected_fault_with_a_hint() {
    let (site, _) = common::site(SiteOptions {
        down: vec!["maillist1".into()],
        ..Default::default()
    })
    .await;
    // csmx1 offers a key other than the recorded one
    let text = std::fs::read_to_string(&site.known_hosts).unwrap();
    let other = site
        .servers
        .iter()
        .find(|(n, _)| n == "csmx2")
        .unwrap()
        .1
        .host_key
        .to_openssh()
        .unwrap();
    let forged: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("[{}]:", loopback_of("csmx1"))) {
                format!("{} {other}\n", l.split_whitespace().next().unwrap())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&site.known_hosts, forged).unwrap();
    // csmx2's globs match no file
    let inventory_text = std::fs::read_to_string(&site.inventory).unwrap();
    let broken =
        inventory_text.replace("hosts/csmx2/log/maillog*", "hosts/csmx2/log/nothing-here*");
    std::fs::write(&site.inventory, broken).unwrap();
    let inventory = Inventory::load(&site.inventory).unwrap();

    let rows = run_doctor(&inventory, &[], Credentials::non_interactive()).await;
    let row = |name: &str| rows.iter().find(|r| r.host == name).unwrap();
    let failing = |name: &str, check: &str| {
        row(name)
            .findings
            .iter()
            .find(|f| f.check == check && f.health == Health::Fail)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: no failing {check}: {:?}", row(name).findings))
    };

    let key = failing("csmx1", "ssh");
    assert!(key.detail.contains("HOST KEY MISMATCH"), "{}", key.detail);
    assert!(key.hint.unwrap().contains("remove the old entry"));

    let logs = failing("csmx2", "logs");
    assert!(logs.detail.contains("no file matches"), "{}", logs.detail);
    assert!(logs.hint.unwrap().contains("fix `logs`"));

    let reach = failing("maillist1", "reach");
    assert!(reach.hint.unwrap().contains("sshd running"));

    // a healthy host: login method, files, tools, timestamps all fine
    let ok = row("mailer4");
    assert_ne!(ok.health, Health::Fail, "{:?}", ok.findings);
    assert!(
        ok.auth.as_deref().unwrap().starts_with("key "),
        "{:?}",
        ok.auth
    );
    assert_eq!(ok.files, 3);
    assert!(
        ok.findings
            .iter()
            .any(|f| f.check == "timestamps" && f.health == Health::Pass),
        "{:?}",
        ok.findings
    );
    for r in &rows {
        assert!(
            r.findings
                .iter()
                .all(|f| f.health == Health::Pass || f.hint.is_some()),
            "{}: a problem without a hint",
            r.host
        );
    }
}
