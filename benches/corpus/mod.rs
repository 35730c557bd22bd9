//! The recorded corpus the criterion benches run on, read once before any
//! measurement: the testbed site of `tests/fixtures/site` (its logs listed
//! with their mtimes in `manifest.txt`, `.gz` files decompressed here) and the
//! hand-written cases beside it (`tests/fixtures/<case>/`, mtimes in
//! `mtimes.txt`, `*.gz.txt` read as the plain text they are).
//!
//! Not a bench of its own: `benches/parser.rs` and `benches/engine.rs` include
//! it with `mod corpus;` (`cargo bench --bench parser`, `--bench engine`).
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use criterion::Criterion;
use mailtrace::inventory::Inventory;
use mailtrace::parse::{parse_line, LineContext};
use mailtrace::time::{parse_duration, parse_local_time, Window};
use mailtrace::trace::{Position, Record};
use serde_json::Value;

/// One log file of one host, decompressed, with the context its lines are
/// parsed in (the host's zone, the file's mtime).
pub struct LogFile {
    /// Inventory name of the host (the folder holding the file).
    pub host: String,
    pub path: PathBuf,
    pub mtime: DateTime<Utc>,
    pub context: LineContext,
    pub text: String,
}

/// A site: its inventory and every log file of its hosts, each host's files
/// oldest first (the order a search reads them in).
pub struct Site {
    pub name: String,
    pub inventory: Inventory,
    pub files: Vec<LogFile>,
}

impl Site {
    /// How many lines the parser is handed.
    pub fn line_count(&self) -> usize {
        self.files.iter().map(|f| f.text.lines().count()).sum()
    }

    /// How many bytes of (decompressed) log text the parser is handed.
    pub fn byte_count(&self) -> usize {
        self.files.iter().map(|f| f.text.len()).sum()
    }
}

/// One truth scenario of the recorded site, as its trace is asked for.
pub struct Scenario {
    pub name: String,
    /// The hosts searched first (the scenario's cluster or host).
    pub hosts: Vec<String>,
    pub keyword: String,
    pub window: Window,
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The recorded testbed site, `tests/fixtures/site`.
pub fn load_site() -> Site {
    load(&fixtures_dir().join("site"), "manifest.txt")
}

/// Every hand-written case under `tests/fixtures/` (those with `mtimes.txt`).
pub fn load_cases() -> Vec<Site> {
    let root = fixtures_dir();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("mtimes.txt").is_file() && p.join("inventory.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| load(d, "mtimes.txt")).collect()
}

/// Reads a site whose log files are listed as `PATH RFC3339-MTIME` lines in
/// `listing`, paths relative to `dir`.
fn load(dir: &Path, listing: &str) -> Site {
    let inventory = Inventory::load(&dir.join("inventory.yaml"))
        .unwrap_or_else(|e| panic!("{}: inventory.yaml does not load: {e}", dir.display()));
    let list_path = dir.join(listing);
    let list = fs::read_to_string(&list_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the recorded corpus is missing)",
            list_path.display()
        )
    });
    let mut files = Vec::new();
    for (n, line) in list
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (file, time) = line.trim().split_once(' ').unwrap_or_else(|| {
            panic!(
                "{}:{}: expected `PATH RFC3339-TIME`",
                list_path.display(),
                n + 1
            )
        });
        let mtime = DateTime::parse_from_rfc3339(time.trim())
            .unwrap_or_else(|e| panic!("{}:{}: mtime: {e}", list_path.display(), n + 1))
            .with_timezone(&Utc);
        let path = dir.join(file);
        let host = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|h| h.to_str())
            .unwrap_or_else(|| panic!("{}: no host folder above the log", path.display()))
            .to_string();
        let zone = inventory
            .host(&host)
            .unwrap_or_else(|| panic!("{}: host `{host}` is not in the inventory", path.display()))
            .zone;
        files.push(LogFile {
            text: read_log(&path),
            host,
            path,
            mtime,
            context: LineContext {
                zone,
                reference: mtime,
            },
        });
    }
    // each host's files together, oldest first, as a search reads them
    files.sort_by(|a, b| a.host.cmp(&b.host).then(a.mtime.cmp(&b.mtime)));
    Site {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        inventory,
        files,
    }
}

/// A log's text: `.gz` decompressed; a `.gz` the fixtures keep as plain
/// `.gz.txt` read as it is.
fn read_log(path: &Path) -> String {
    let plain = PathBuf::from(format!("{}.txt", path.display()));
    if !path.exists() && plain.is_file() {
        return fs::read_to_string(&plain).unwrap_or_else(|e| panic!("{}: {e}", plain.display()));
    }
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .unwrap_or_else(|e| panic!("{}: not gzip: {e}", path.display()));
        String::from_utf8_lossy(&text).into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Every line of the site that parses, as unseeded records, positioned as
/// the engine positions them (file mtime and path, line number from 1).
pub fn records(site: &Site) -> Vec<Record> {
    let mut records = Vec::new();
    for file in &site.files {
        for (i, line) in file.text.lines().enumerate() {
            if let Ok(event) = parse_line(line, &file.context) {
                records.push(Record {
                    host: file.host.clone(),
                    event,
                    seed: false,
                    position: Position::new(
                        file.mtime.timestamp(),
                        &file.path.to_string_lossy(),
                        i as u64 + 1,
                    ),
                });
            }
        }
    }
    records
}

/// The scenarios of `truth.json` beside the recorded site.
pub fn scenarios(site: &Site) -> Vec<Scenario> {
    let path = fixtures_dir().join("site/truth.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let truth: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    let field = |s: &Value, key: &str| -> String {
        s["trace"][key]
            .as_str()
            .unwrap_or_else(|| panic!("truth.json: a scenario has no trace.{key}"))
            .to_string()
    };
    truth["scenarios"]
        .as_array()
        .expect("truth.json has no `scenarios` array")
        .iter()
        .map(|s| {
            let target = field(s, "host");
            let centre = parse_local_time(&field(s, "time"), &site.inventory.zone)
                .unwrap_or_else(|e| panic!("truth.json: trace.time: {e}"));
            let range = parse_duration(s["trace"]["range"].as_str().unwrap_or("1h"))
                .unwrap_or_else(|e| panic!("truth.json: trace.range: {e}"));
            Scenario {
                name: s["name"].as_str().unwrap_or("?").to_string(),
                hosts: site
                    .inventory
                    .resolve_target(&target)
                    .unwrap_or_else(|e| panic!("truth.json: trace.host `{target}`: {e}"))
                    .into_iter()
                    .map(|h| h.name.clone())
                    .collect(),
                keyword: field(s, "keyword"),
                window: Window::around(centre, range),
            }
        })
        .collect()
}

/// The site's records with the scenario's seeds marked as a keyword trace
/// marks them: lines of the searched hosts, inside the window, holding the
/// keyword (ignoring case).
pub fn seeded(records: &[Record], scenario: &Scenario) -> Vec<Record> {
    let keyword = scenario.keyword.to_ascii_lowercase();
    records
        .iter()
        .map(|r| Record {
            seed: scenario.hosts.contains(&r.host)
                && scenario.window.contains(r.event.time.with_timezone(&Utc))
                && r.event.message.to_ascii_lowercase().contains(&keyword),
            ..r.clone()
        })
        .collect()
}

/// Short measurements: both benches finish in well under a minute.
pub fn short_runs() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .sample_size(20)
}
