//! `mailtrace demo`: the bundled site on loopback SSH servers, traced with
//! the same code path as `mailtrace trace`.

use anyhow::{Context, Result};
use clap::Args;

use super::args::{target_hosts, Format, WindowArgs};
use super::exit;
use super::trace::render_trace;
use crate::demo::{DemoSite, SiteOptions};
use crate::engine::{run_trace, TraceRequest};
use crate::inventory::Inventory;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the servers running and print the inventory to use by hand.
    #[arg(long)]
    pub serve: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The demo's questions: (title, --host, keyword, --time, --range).
pub const QUESTIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Inbound: where did alice's mail to bob and carol go?",
        "mx-cluster",
        "alice@example.org",
        "2026-11-28 21:58:00",
        "1h",
    ),
    (
        "Outbound: did dave's mail leave the site?",
        "smtp-cluster",
        "dave@cs.example.edu",
        "2026-11-28 22:05:00",
        "1h",
    ),
    (
        "Relay denied, then delivered: frank's mail to grace",
        "mx-cluster",
        "frank@example.com",
        "2026-11-28 22:10:00",
        "30m",
    ),
    (
        "User unknown: heidi's mail to nosuchuser",
        "smtp-cluster",
        "nosuchuser@cs.example.edu",
        "2026-11-28 22:15:00",
        "30m",
    ),
    (
        "Across a log rotation: ivan's mail at 03:59",
        "csmail1",
        "ivan@cs.example.edu",
        "2026-11-27 04:00:00",
        "30m",
    ),
    (
        "Refused before queueing at the MX",
        "csmx1",
        "nonexistent.invalid",
        "2026-11-28 22:30:00",
        "30m",
    ),
];

pub async fn run(args: DemoArgs) -> Result<u8> {
    let site = DemoSite::start(&SiteOptions::default())
        .await
        .context("cannot start the demo site")?;
    let inventory = Inventory::load(&site.inventory)?;
    if args.serve {
        return serve(&site).await;
    }
    println!(
        "mailtrace demo: {} hosts, each an SSH server on its own loopback address; every line below was read over SSH.\n",
        site.servers.len()
    );
    let mut code = exit::FOUND;
    for (title, host, keyword, time, range) in QUESTIONS {
        println!("━━━ {title}");
        println!(
            "$ mailtrace trace --host {host} -k {keyword} --time \"{time}\" --range {range}\n"
        );
        let window = WindowArgs {
            time: Some(time.to_string()),
            range: Some(range.to_string()),
            tz: None,
            follow: "5d".into(),
        };
        let (window, follow) = window.resolve(&inventory)?;
        let request = TraceRequest::by_keywords(
            target_hosts(&inventory, host)?,
            vec![keyword.to_string()],
            window,
            follow,
        );
        let collector = super::open_collector(inventory.clone(), false)?;
        let run = run_trace(&collector, &request, &|_| {}).await;
        collector.close().await;
        print!("{}", render_trace(&run, args.format));
        println!();
        code = code.max(super::trace::trace_exit(&run));
    }
    Ok(code)
}

async fn serve(site: &DemoSite) -> Result<u8> {
    println!("Demo site running. Inventory: {}", site.inventory.display());
    println!("Try:");
    println!(
        "  mailtrace trace -i {} --host mx-cluster -k alice@example.org --time \"2026-11-28 21:58:00\" --range 1h",
        site.inventory.display()
    );
    println!(
        "  mailtrace query -i {} --host mailer4 -k nosuchuser --time \"2026-11-28 22:15:00\" --range 1h",
        site.inventory.display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    Ok(exit::FOUND)
}
