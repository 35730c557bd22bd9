//! The command line: argument parsing, exit codes, progress and prompts.
//! Thin: every decision is made by the library.

mod args;
mod audit;
mod clusters;
mod demo;
mod doctor;
mod flow;
mod mcp;
mod progress;
mod query;
mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use args::{Format, TargetArgs, WindowArgs};

/// Exit codes.
pub mod exit {
    /// Found what was asked for.
    pub const FOUND: u8 = 0;
    /// Searched everything, found nothing.
    pub const NOTHING: u8 = 1;
    /// Bad arguments or inventory.
    pub const USAGE: u8 = 2;
    /// Some hosts failed; the result covers the others.
    pub const PARTIAL: u8 = 3;
    /// `check-flow`: some flow is problematic (bounced, deferred, expired,
    /// incomplete); `audit --fail-on problems`: stuck mail, anomalies or failed hosts.
    pub const PROBLEM: u8 = 4;
}

#[derive(Debug, Parser)]
#[command(
    name = "mailtrace",
    version,
    about = "Trace mail across Postfix relays over SSH"
)]
pub struct Cli {
    /// Debug logs on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Follow mail across hosts and report each recipient's final state.
    Trace(trace::TraceArgs),
    /// Every line of every queue ID whose lines match the keywords.
    Query(query::QueryArgs),
    /// The inventory's clusters and their hosts.
    Clusters(clusters::ClustersArgs),
    /// Account for every message that entered a cluster: delivered, relayed out, bounced, deferred...
    CheckFlow(flow::FlowArgs),
    /// A report of every message in a window: totals, stuck mail, bounces, anomalies, delays.
    Audit(audit::AuditArgs),
    /// Check every host: reachable, host key, login, sudo, log files, tools, clock and zone.
    Doctor(doctor::DoctorArgs),
    /// Serve the tools for LLM assistants over MCP (stdio).
    Mcp(mcp::McpArgs),
    /// Run a complete trace on a bundled site served by local SSH servers.
    Demo(demo::DemoArgs),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mailtrace: cannot start the runtime: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Trace(a) => trace::run(a).await,
            Command::Query(a) => query::run(a).await,
            Command::Clusters(a) => clusters::run(a),
            Command::CheckFlow(a) => flow::run(a).await,
            Command::Audit(a) => audit::run(a).await,
            Command::Doctor(a) => doctor::run(a).await,
            Command::Mcp(a) => mcp::run(a).await,
            Command::Demo(a) => demo::run(a).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mailtrace: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn init_logging(verbose: bool) {
    let filter = if verbose {
        "mailtrace=debug"
    } else {
        "mailtrace=warn"
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .try_init();
}

/// Refuses keywords no log line can hold, before anything connects.
fn check_keywords<'a>(keywords: impl Iterator<Item = &'a String>) -> anyhow::Result<()> {
    for k in keywords {
        if k.is_empty() {
            anyhow::bail!("empty keyword");
        }
        if k.contains(['\0', '\n', '\r']) {
            anyhow::bail!("keyword {k:?} contains a NUL byte or a line break");
        }
    }
    Ok(())
}

/// The collector for a run, with a password prompt when asked for.
fn open_collector(
    inventory: crate::inventory::Inventory,
    ask_pass: bool,
) -> anyhow::Result<std::sync::Arc<crate::collect::Collector>> {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let password = if ask_pass {
        if !interactive {
            anyhow::bail!("--ask-pass needs a terminal");
        }
        Some(rpassword::prompt_password("SSH password: ")?)
    } else {
        None
    };
    if inventory
        .hosts
        .iter()
        .any(|h| h.tracked && h.host_key_policy == crate::inventory::HostKeyPolicy::Off)
    {
        eprintln!(
            "mailtrace: WARNING: host_key_policy: off — host keys are not verified for some hosts"
        );
    }
    let credentials = crate::collect::Credentials::new(password, interactive);
    Ok(crate::collect::Collector::new(
        std::sync::Arc::new(inventory),
        credentials,
    ))
}
