//! `mailtrace trace`: follow mail across hosts.

use anyhow::{bail, Result};
use clap::Args;

use super::args::{load_inventory, target_hosts, Format, TargetArgs, WindowArgs};
use super::progress::Reporter;
use super::{exit, open_collector};
use crate::engine::{run_trace, TraceRequest, TraceRun};
use crate::render;

#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Keywords: addresses, domains, user names, SASL user names, queue IDs (fixed strings, any case).
    #[arg(short = 'k', long = "keyword", value_name = "KEYWORD", num_args = 1.., conflicts_with_all = ["mail_id", "message_id"])]
    pub keywords: Vec<String>,
    /// A queue ID on --host.
    #[arg(long, value_name = "QUEUE_ID", conflicts_with = "message_id")]
    pub mail_id: Option<String>,
    /// A Message-ID, with or without angle brackets; searched on every tracked host.
    #[arg(long, value_name = "MESSAGE_ID")]
    pub message_id: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Ask for an SSH password on the terminal.
    #[arg(long)]
    pub ask_pass: bool,
}

pub async fn run(args: TraceArgs) -> Result<u8> {
    let inventory = load_inventory(args.target.inventory.as_deref())?;
    let hosts = target_hosts(&inventory, &args.target.host)?;
    if args.keywords.is_empty() && args.mail_id.is_none() && args.message_id.is_none() {
        bail!("say what to trace: -k KEYWORD..., --mail-id QUEUE_ID or --message-id MESSAGE_ID");
    }
    let (window, follow) = args.window.resolve(&inventory)?;
    let message_id = args.message_id.as_ref().map(|m| {
        let m = m.trim();
        if m.starts_with('<') {
            m.to_string()
        } else {
            format!("<{m}>")
        }
    });
    let request = TraceRequest {
        hosts,
        keywords: args.keywords.clone(),
        mail_id: args.mail_id.clone(),
        message_id,
        window,
        follow,
        max_rounds: crate::engine::MAX_ROUNDS,
    };
    super::check_keywords(
        request
            .keywords
            .iter()
            .chain(request.mail_id.iter())
            .chain(request.message_id.iter()),
    )?;
    let collector = open_collector(inventory, args.ask_pass)?;
    let reporter = Reporter::new();
    let run = run_trace(&collector, &request, &|p| reporter.show(p)).await;
    reporter.finish();
    collector.close().await;
    print!("{}", render_trace(&run, args.format));
    Ok(trace_exit(&run))
}

/// The trace in the chosen format.
pub fn render_trace(run: &TraceRun, format: Format) -> String {
    match format {
        Format::Text => render::trace_text(run, colour(), width()),
        Format::Json => render::json(run) + "\n",
        Format::Dot => render::trace_dot(run) + "\n",
    }
}

/// 3 when a host failed, else 1 when nothing was found, else 0.
pub fn trace_exit(run: &TraceRun) -> u8 {
    if !run.failed_hosts().is_empty() {
        exit::PARTIAL
    } else if run.trace.messages.is_empty() {
        exit::NOTHING
    } else {
        exit::FOUND
    }
}

/// The terminal's width when stdout is one (its size, else `COLUMNS`),
/// else a fixed width, so that piped output does not depend on who ran it.
pub fn width() -> usize {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return render::layout::DEFAULT_WIDTH;
    }
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    comfy_table::Table::new()
        .width()
        .map(usize::from)
        .or_else(columns)
        .filter(|w| *w > 0)
        .unwrap_or(render::layout::DEFAULT_WIDTH)
}

/// Colour only on a terminal, and never with NO_COLOR set.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
