//! The line protocol between the scripts that run on a host (the search and
//! the `doctor` probe) and the collector that reads their output: the
//! emitting side (the `sh` text) and the reading side, side by side.
//!
//! A control line is `##mailtrace KIND FIELD...` ([`MARK`]), printed by the
//! shell function `mark` ([`sh_mark`]) and read by [`read_control`]. Fields
//! are separated by one space and hold no space, except the last, which runs
//! to the end of the line (a path or a log line). Nothing is escaped: a
//! field cannot hold a line break (no log line can; a file name with one
//! is not supported).
//!
//! Search script: `file PASS STATE MTIME SIZE PATH` (STATE: [`FileMark`]),
//! then the matching lines as `N:LINE` (`grep -n`, read by
//! [`read_numbered`]: the number keeps a log line that starts with the mark
//! from reading as one), `end RC` after a searched file (grep's status: 0
//! found, 1 none), `nofiles` when no glob matched, `done` at the end.
//!
//! Probe script: `clock SECS`, `tool NAME`, `log readable|unreadable MTIME
//! SIZE PATH`, `firstfile PATH`, `first LINE`, `done`.
//!
//! Also here, because both scripts and the local source rely on them: the
//! one table of decompressors ([`DECOMPRESSORS`]) and the queue ID grammar
//! of [`crate::parse::is_queue_id`] written in `sh` ([`sh_isqid`]).

use crate::parse::QUEUE_ID_LEN;

/// Prefix of every control line.
pub const MARK: &str = "##mailtrace ";

/// How the search script treated one log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMark {
    /// Searched with grep.
    Search,
    /// Its time span cannot overlap the window.
    Skip,
    /// Compressed with a tool the host does not have.
    NoTool,
}

impl FileMark {
    /// The word the script prints.
    pub fn word(self) -> &'static str {
        match self {
            FileMark::Search => "search",
            FileMark::Skip => "skip",
            FileMark::NoTool => "notool",
        }
    }

    /// Reads the word back; anything unknown reads as skipped.
    fn read(word: Option<&str>) -> FileMark {
        match word {
            Some("search") => FileMark::Search,
            Some("notool") => FileMark::NoTool,
            _ => FileMark::Skip,
        }
    }
}

/// A file as `stat -c '%Y %s %n'` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Modification time, Unix seconds.
    pub mtime: i64,
    pub size: u64,
    pub path: String,
}

impl Stat {
    /// The modification time as a moment (the epoch if out of range).
    pub fn mtime_utc(&self) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        chrono::Utc
            .timestamp_opt(self.mtime, 0)
            .single()
            .unwrap_or_default()
    }
}

/// One control line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    File {
        pass: u8,
        mark: FileMark,
        stat: Stat,
    },
    /// grep's exit status for the file just searched (2 when unreadable).
    End {
        status: i32,
    },
    NoFiles,
    Done,
    /// The host's clock, Unix seconds (`None` when unreadable).
    Clock(Option<i64>),
    Tool(String),
    Log {
        readable: bool,
        stat: Stat,
    },
    FirstFile(String),
    First(String),
    /// A control line of a kind this reader does not know.
    Unknown,
}

/// Reads `MTIME SIZE PATH` as `stat -c '%Y %s %n'` prints it (the path may
/// hold spaces); missing or bad numbers read as 0.
pub fn read_stat(text: &str) -> Stat {
    let mut words = text.splitn(3, ' ');
    let mtime = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let size = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let path = words.next().unwrap_or("").to_string();
    Stat { mtime, size, path }
}

/// Reads a control line; `None` when the line is not one (it is data).
pub fn read_control(line: &str) -> Option<Control> {
    let rest = line.strip_prefix(MARK)?;
    let (kind, value) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(match kind {
        "file" => {
            let mut words = value.splitn(3, ' ');
            let pass = words.next().and_then(|w| w.parse().ok()).unwrap_or(1);
            let mark = FileMark::read(words.next());
            let stat = read_stat(words.next().unwrap_or(""));
            Control::File { pass, mark, stat }
        }
        "end" => Control::End {
            status: value.trim().parse().unwrap_or(2),
        },
        "nofiles" => Control::NoFiles,
        "done" => Control::Done,
        "clock" => Control::Clock(value.trim().parse().ok()),
        "tool" => Control::Tool(value.trim().to_string()),
        "log" => {
            let (state, stat) = value.split_once(' ').unwrap_or((value, ""));
            Control::Log {
                readable: state == "readable",
                stat: read_stat(stat),
            }
        }
        "firstfile" => Control::FirstFile(value.to_string()),
        "first" => Control::First(value.to_string()),
        _ => Control::Unknown,
    })
}

/// Reads a data line, `N:LINE` as `grep -n` prints it, into the line's
/// number in its file (0 when missing) and its text.
pub fn read_numbered(text: &str) -> (u64, &str) {
    match text.split_once(':') {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (n.parse().unwrap_or(0), rest)
        }
        _ => (0, text),
    }
}

/// The `sh` function that prints a control line: `mark KIND FIELD...`.
/// The fields are joined with one space (`"$*"`; the scripts never change `IFS`).
pub fn sh_mark() -> String {
    format!("mark() {{ printf '{MARK}%s\\n' \"$*\"; }}\n")
}

/// The `sh` command that prints one `file` line from the variables `$p`
/// (pass), `$m`, `$s` and `$n` (mtime, size, path).
pub fn sh_mark_file(mark: FileMark) -> String {
    format!("mark file \"$p\" {} \"$m\" \"$s\" \"$n\"", mark.word())
}

/// A compressed log format and the tool that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decompressor {
    /// File name suffix, dot included.
    pub suffix: &'static str,
    /// The program, looked up on the host.
    pub tool: &'static str,
    /// Its arguments to write the file, decompressed, to stdout.
    pub args: &'static str,
    /// Required on every host (never reported as missing).
    pub required: bool,
}

/// Which file suffix uses which tool: the only such table.
pub const DECOMPRESSORS: [Decompressor; 4] = [
    Decompressor {
        suffix: ".gz",
        tool: "gzip",
        args: "-dc",
        required: true,
    },
    Decompressor {
        suffix: ".xz",
        tool: "xz",
        args: "-dc",
        required: false,
    },
    Decompressor {
        suffix: ".bz2",
        tool: "bzip2",
        args: "-dc",
        required: false,
    },
    Decompressor {
        suffix: ".zst",
        tool: "zstd",
        args: "-dcq",
        required: false,
    },
];

/// The decompressor a file needs, by its name; `None` for a plain file.
pub fn decompressor(path: &str) -> Option<&'static Decompressor> {
    DECOMPRESSORS.iter().find(|d| path.ends_with(d.suffix))
}

/// `sh` case patterns matching every compressed file name: `*.gz|*.xz|...`.
pub fn sh_compressed_pattern() -> String {
    let patterns: Vec<String> = DECOMPRESSORS
        .iter()
        .map(|d| format!("*{}", d.suffix))
        .collect();
    patterns.join("|")
}

/// The tools a probe reports on: the ones the search needs, then the decompressors.
pub fn probed_tools() -> Vec<&'static str> {
    let mut tools = vec!["grep"];
    tools.extend(DECOMPRESSORS.iter().filter(|d| d.required).map(|d| d.tool));
    tools.push("stat");
    tools.extend(DECOMPRESSORS.iter().filter(|d| !d.required).map(|d| d.tool));
    tools
}

/// `sh` functions `tool FILE` (whether the host can read FILE) and
/// `rd FILE GREP-ARGS...` (grep FILE, decompressed, with `-F -n`).
pub fn sh_readers() -> String {
    let mut text = String::from("tool() { case $1 in ");
    for d in DECOMPRESSORS.iter().filter(|d| !d.required) {
        text.push_str(&format!("*{}) command -v {};; ", d.suffix, d.tool));
    }
    text.push_str("*) true;; esac >/dev/null 2>&1; }\nrd() { f=$1; shift; case $f in\n");
    for d in &DECOMPRESSORS {
        text.push_str(&format!(
            "*{}) {} {} -- \"$f\" | grep -F -n \"$@\";;\n",
            d.suffix, d.tool, d.args
        ));
    }
    text.push_str("*) grep -F -n \"$@\" -- \"$f\";;\nesac; }\n");
    text
}

/// The `sh` function `isqid WORD`: true when [`crate::parse::is_queue_id`]
/// accepts WORD (`LC_ALL=C` is set, so the ranges are ASCII).
pub fn sh_isqid() -> String {
    let too_long = "?".repeat(QUEUE_ID_LEN.end() + 1);
    let long_enough = "?".repeat(*QUEUE_ID_LEN.start());
    format!(
        "isqid() {{ case $1 in NOQUEUE|*[!0-9A-Za-z]*|{too_long}*) return 1;; {long_enough}*) ;; *) return 1;; esac\n\
         case $1 in *[0-9]*) return 0;; *[!A-Z]*) return 1;; esac; }}\n"
    )
}

#[cfg(test)]
mod tests;
