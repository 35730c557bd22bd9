//! Progress on stderr, only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::Progress;

/// A progress reporter: a spinner on a terminal, silence elsewhere.
pub struct Reporter {
    bar: Option<ProgressBar>,
}

impl Reporter {
    pub fn new() -> Reporter {
        if !std::io::stderr().is_terminal() {
            return Reporter { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Reporter { bar: Some(bar) }
    }

    pub fn show(&self, event: Progress) {
        let Some(bar) = &self.bar else { return };
        match event {
            Progress::Round { round, hosts } => {
                bar.set_message(format!("round {round}: searching {}", hosts.join(", ")))
            }
            Progress::HostDone {
                host,
                error: Some(e),
                ..
            } => bar.println(format!("{host}: {e}")),
            Progress::HostDone { .. } => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
