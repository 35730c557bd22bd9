//! The SSH collector against the embedded server: host key policies,
//! known_hosts formats, hosts that are down, command timeouts, and
//! adversarial keywords that must only ever be searched for.

mod common;

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use mailtrace::demo::{loopback_of, SiteOptions};
use mailtrace::trace::State;

use common::{query, site, trace_keyword};

fn port_of(site: &mailtrace::demo::DemoSite, host: &str) -> u16 {
    site.servers
        .iter()
        .find(|(n, _)| n == host)
        .unwrap()
        .1
        .addr
        .port()
}

fn key_of(site: &mailtrace::demo::DemoSite, host: &str) -> String {
    site.servers
        .iter()
        .find(|(n, _)| n == host)
        .unwrap()
        .1
        .host_key
        .to_openssh()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_with_file_and_line() {
    let (site, inventory) = site(SiteOptions::default()).await;
    // give csmx1's entry the key of another server
    let text = std::fs::read_to_string(&site.known_hosts).unwrap();
    let wrong = key_of(&site, "csmx2");
    let forged: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("[{}]:", loopback_of("csmx1"))) {
                format!("{} {wrong}", l.split_whitespace().next().unwrap())
            } else {
                l.to_string()
            }
        })
        .collect();
    let line = forged
        .iter()
        .position(|l| l.contains(&loopback_of("csmx1")))
        .unwrap()
        + 1;
    std::fs::write(&site.known_hosts, forged.join("\n") + "\n").unwrap();
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    let csmx1 = run.hosts.iter().find(|h| h.name == "csmx1").unwrap();
    let error = csmx1.error.as_deref().unwrap();
    assert!(error.contains("HOST KEY MISMATCH"), "{error}");
    assert!(error.contains(&format!("known_hosts:{line}")), "{error}");
    // the other MX was still searched
    let csmx2 = run.hosts.iter().find(|h| h.name == "csmx2").unwrap();
    assert!(csmx2.searched && csmx2.error.is_none());
    assert_eq!(mailtrace::cli::exit::PARTIAL, trace_exit(&run));
}

fn trace_exit(run: &mailtrace::engine::TraceRun) -> u8 {
    if !run.failed_hosts().is_empty() {
        mailtrace::cli::exit::PARTIAL
    } else if run.trace.messages.is_empty() {
        mailtrace::cli::exit::NOTHING
    } else {
        mailtrace::cli::exit::FOUND
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_hashed_and_tab_separated_entries_are_accepted() {
    let (site, inventory) = site(SiteOptions::default()).await;
    let mut lines = Vec::new();
    for (name, _) in &site.servers {
        let port = port_of(&site, name);
        let key = key_of(&site, name);
        let lookup = format!("[{}]:{port}", loopback_of(name));
        let line = match name.as_str() {
            // wildcard over the last octet, tab between fields
            "csmx1" => format!("[127.0.0.1?]:{port}\t{key}"),
            // hashed, as `ssh-keygen -H` writes it
            "maillist1" | "mailer4" => {
                let salt = [7u8; 20];
                let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
                mac.update(lookup.as_bytes());
                let hash = mac.finalize().into_bytes();
                format!(
                    "|1|{}|{}  {key}",
                    STANDARD.encode(salt),
                    STANDARD.encode(hash)
                )
            }
            // a comma list with a negated pattern that does not apply
            _ => format!("{lookup},!10.9.9.9 {key}"),
        };
        lines.push(line);
    }
    std::fs::write(&site.known_hosts, lines.join("\n") + "\n").unwrap();
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    assert!(run.failed_hosts().is_empty(), "{:?}", run.failed_hosts());
    assert_eq!(run.trace.messages[0].recipients[0].state, State::Delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_key_is_refused_when_strict_and_recorded_with_accept_new() {
    let (site, inventory) = site(SiteOptions::default()).await;
    std::fs::write(&site.known_hosts, "").unwrap();
    let run = trace_keyword(
        &inventory,
        "csmx1",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    let error = run
        .hosts
        .iter()
        .find(|h| h.name == "csmx1")
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        error.contains("is not in") && error.contains("accept-new"),
        "{error}"
    );

    let (site, inventory) = common::site(SiteOptions {
        host_key_policy: Some("accept-new".into()),
        ..Default::default()
    })
    .await;
    std::fs::write(&site.known_hosts, "").unwrap();
    let run = trace_keyword(
        &inventory,
        "csmx1",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    assert!(run.failed_hosts().is_empty(), "{:?}", run.failed_hosts());
    let recorded = std::fs::read_to_string(&site.known_hosts).unwrap();
    assert!(
        recorded.contains(&format!(
            "[{}]:{}",
            loopback_of("csmx1"),
            port_of(&site, "csmx1")
        )),
        "{recorded}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_is_down_does_not_take_the_others_down() {
    let (_site, inventory) = site(SiteOptions {
        down: vec!["maillist1".into()],
        ..Default::default()
    })
    .await;
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    let down = run.hosts.iter().find(|h| h.name == "maillist1").unwrap();
    assert!(
        down.error.as_deref().unwrap().contains("cannot connect"),
        "{:?}",
        down.error
    );
    assert_eq!(trace_exit(&run), mailtrace::cli::exit::PARTIAL);
    // the other hosts still answered: the MX hop and the later hops are there
    let m = &run.trace.messages[0];
    assert!(m
        .edges
        .iter()
        .any(|e| e.from == "csmx1" && e.to == "maillist1"));
    assert!(
        m.nodes.contains(&"maildirect1".to_string()),
        "{:?}",
        m.nodes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_past_its_timeout_is_cut() {
    let (_site, inventory) = site(SiteOptions {
        exec_delay: Duration::from_secs(30),
        command_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let run = trace_keyword(
        &inventory,
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    for name in ["csmx1", "csmx2"] {
        let h = run.hosts.iter().find(|h| h.name == name).unwrap();
        assert!(
            h.error.as_deref().unwrap().contains("timed out after 1s"),
            "{:?}",
            h.error
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversarial_keywords_are_only_searched_for() {
    let (site, inventory) = site(SiteOptions::default()).await;
    let marker = site.dir.path().join("pwned");
    let m = marker.display();
    let evil = [
        format!("$(touch {m}1)"),
        format!("`touch {m}2`"),
        format!("; touch {m}3"),
        format!("' ; touch {m}4 ; '"),
        format!("\" ; touch {m}5 ; \""),
        format!("-f{m}"),
        "--help".to_string(),
        format!("| touch {m}6"),
    ];
    let keywords: Vec<&str> = evil.iter().map(String::as_str).collect();
    let run = query(
        &inventory,
        "mx-cluster",
        &keywords,
        "2026-11-28 21:58:00",
        "1h",
    )
    .await;
    for h in &run.hosts {
        assert!(h.error.is_none(), "{}: {:?}", h.name, h.error);
        assert!(h.files_searched > 0, "{} searched nothing", h.name);
        assert!(h.mails.is_empty());
    }
    for i in 1..=6 {
        assert!(
            !site.dir.path().join(format!("pwned{i}")).exists(),
            "pwned{i} was created"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_key_is_decrypted_once_for_every_host() {
    use mailtrace::collect::{Collector, Credentials};
    use russh::keys::ssh_key::LineEnding;
    let (site, inventory) = site(SiteOptions::default()).await;
    let key = russh::keys::load_secret_key(&site.client_key, None).unwrap();
    let encrypted = key.encrypt(&mut rand::rng(), "correct horse").unwrap();
    std::fs::write(
        &site.client_key,
        encrypted.to_openssh(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();

    let request = mailtrace::engine::TraceRequest {
        hosts: common::hosts(&inventory, "mx-cluster"),
        keywords: vec!["alice@example.org".into()],
        mail_id: None,
        message_id: None,
        window: common::window(&inventory, "2026-11-28 21:58:00", "1h"),
        follow: Duration::from_secs(5 * 86_400),
        max_rounds: mailtrace::engine::MAX_ROUNDS,
    };
    let good = Collector::new(
        std::sync::Arc::new(inventory.clone()),
        Credentials::non_interactive().with_passphrase("correct horse".into()),
    );
    let run = mailtrace::engine::run_trace(&good, &request, &|_| {}).await;
    assert!(run.failed_hosts().is_empty(), "{:?}", run.failed_hosts());
    assert_eq!(good.credentials().keys_loaded().await, 1);
    good.close().await;

    let bad = Collector::new(
        std::sync::Arc::new(inventory.clone()),
        Credentials::non_interactive().with_passphrase("wrong guess".into()),
    );
    let run = mailtrace::engine::run_trace(&bad, &request, &|_| {}).await;
    let error = run.hosts[0].error.clone().unwrap();
    assert!(error.contains("wrong passphrase"), "{error}");
    assert!(
        !error.contains("wrong guess"),
        "the passphrase leaked: {error}"
    );
}
