//! Which log files can hold lines of a time window, judged by modification
//! times alone: a rotated file spans from the next older file's mtime to its own.

use crate::time::Window;

/// Slack, in seconds, added on both sides of a window before pruning, for
/// clock skew and for lines written just before a rotation.
pub const PRUNE_MARGIN_SECS: i64 = 600;

/// A file's modification time (Unix seconds) and size, as `stat` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub mtime: i64,
    pub size: u64,
}

/// Whether the file with `mtime`, among files with `all_mtimes`, can hold
/// lines inside `window`. Mirrors the `keep` function of the remote script.
pub fn keep_file(mtime: i64, all_mtimes: &[i64], window: &Window) -> bool {
    let from = window.from.timestamp() - PRUNE_MARGIN_SECS;
    let to = window.to.timestamp() + PRUNE_MARGIN_SECS;
    if mtime < from {
        return false;
    }
    let starts_after = all_mtimes
        .iter()
        .copied()
        .filter(|m| *m < mtime)
        .max()
        .unwrap_or(0);
    starts_after <= to
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: Utc.timestamp_opt(from, 0).unwrap(),
            to: Utc.timestamp_opt(to, 0).unwrap(),
        }
    }

    #[test]
    fn keeps_only_files_whose_span_overlaps() {
        // live file written until 300_000, .1 rotated at 200_000, .2 at 100_000
        let all = [300_000, 200_000, 100_000];
        let w = window(150_000, 160_000);
        assert!(!keep_file(300_000, &all, &w), "live starts at 200000");
        assert!(keep_file(200_000, &all, &w));
        assert!(!keep_file(100_000, &all, &w), "ends before the window");
    }

    #[test]
    fn oldest_file_has_no_start() {
        let all = [300_000, 200_000];
        assert!(keep_file(200_000, &all, &window(0, 10)) == (200_000 >= -PRUNE_MARGIN_SECS));
    }

    #[test]
    fn margin_keeps_neighbours_of_a_rotation() {
        let all = [300_000, 200_000];
        // window begins just after the rotation: .1 still kept thanks to the margin
        assert!(keep_file(200_000, &all, &window(200_100, 200_200)));
        assert!(!keep_file(
            200_000,
            &all,
            &window(200_000 + PRUNE_MARGIN_SECS + 1, 250_000)
        ));
    }
}
