//! What to search where: the search request for one host and one round, and
//! the only code that turns it into remote command text.

mod probe;
pub mod protocol;
mod prune;
mod quote;
mod script;

pub use probe::probe_command;
pub use prune::{keep_file, FileStamp, PRUNE_MARGIN_SECS};
pub use quote::{quote_glob, shell_quote};
pub use script::{remote_command, search_script};

use crate::time::Window;

/// One host's search in one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// Fixed strings; a line matches when it contains any of them.
    pub patterns: Vec<String>,
    /// Match the patterns without regard to ASCII case.
    pub ignore_case: bool,
    /// Files whose time span cannot overlap this window are skipped.
    pub window: Window,
    /// When set, a second pass returns every line of every queue ID seen in
    /// the first pass's matches, over the files that overlap this window.
    pub expand: Option<Window>,
}

/// A request that cannot be turned into a safe search.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("nothing to search for: give at least one keyword, queue ID or Message-ID")]
    NoPatterns,
    #[error("empty keyword")]
    EmptyPattern,
    #[error("keyword {0:?} contains a NUL byte or a line break, which no log line can contain")]
    ControlCharacter(String),
    #[error("no log file globs configured for this host")]
    NoGlobs,
}

impl SearchRequest {
    /// Refuses patterns that cannot appear in a log line.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.patterns.is_empty() {
            return Err(PlanError::NoPatterns);
        }
        for p in &self.patterns {
            if p.is_empty() {
                return Err(PlanError::EmptyPattern);
            }
            if p.contains(['\0', '\n', '\r']) {
                return Err(PlanError::ControlCharacter(p.clone()));
            }
        }
        Ok(())
    }

    /// Whether a line contains one of the patterns, the way the server's
    /// `grep -F` decided it.
    pub fn matches(&self, line: &str) -> bool {
        if self.ignore_case {
            let lower = line.to_ascii_lowercase();
            self.patterns
                .iter()
                .any(|p| lower.contains(&p.to_ascii_lowercase()))
        } else {
            self.patterns.iter().any(|p| line.contains(p.as_str()))
        }
    }
}
