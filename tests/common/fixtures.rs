//! Fixture cases (`tests/fixtures/<case>/`, see its README): finding them
//! and laying one out in a temporary directory as the logs would be.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use mailtrace::engine::TraceRequest;
use mailtrace::inventory::Inventory;
use mailtrace::time::{parse_duration, parse_local_time, Window};
use serde_json::Value;

/// Every case folder (one with a `request.json`), sorted;
/// `MAILTRACE_CASE=name[,name...]` keeps only those.
pub fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("request.json").exists())
        .collect();
    cases.sort();
    // MAILTRACE_CASE=name[,name...] runs only those cases
    if let Ok(only) = std::env::var("MAILTRACE_CASE") {
        let only: Vec<&str> = only.split(',').collect();
        cases.retain(|c| {
            c.file_name()
                .is_some_and(|n| only.contains(&&*n.to_string_lossy()))
        });
    }
    cases
}

/// Copies a case, gzipping `*.gz.txt` and applying `mtimes.txt`.
pub fn materialize(case: &Path, into: &Path) {
    copy_tree(case, into);
    let mtimes = fs::read_to_string(into.join("mtimes.txt")).unwrap_or_default();
    for (n, line) in mtimes
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (file, time) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: mtimes.txt:{}: `path RFC3339`", case.display(), n + 1));
        let t = chrono::DateTime::parse_from_rfc3339(time.trim()).unwrap();
        let f = fs::File::options()
            .write(true)
            .open(into.join(file))
            .unwrap_or_else(|e| panic!("{}: {file}: {e}", case.display()));
        f.set_modified(UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64))
            .unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if let Some(base) = name.strip_suffix(".gz.txt") {
            let text = fs::read(entry.path()).unwrap();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&text).unwrap();
            fs::write(to.join(format!("{base}.gz")), gz.finish().unwrap()).unwrap();
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The question of a case, as front-end arguments.
pub struct Ask {
    pub host: String,
    pub keywords: Vec<String>,
    pub mail_id: Option<String>,
    pub message_id: Option<String>,
    pub time: String,
    pub range: String,
}

pub fn ask(case: &Path) -> Ask {
    let text = std::fs::read_to_string(case.join("request.json")).expect("request.json");
    let r: Value = serde_json::from_str(&text).expect("request JSON");
    let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
    Ask {
        host: s("host").expect("host"),
        keywords: r
            .get("keywords")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        mail_id: s("mail_id"),
        message_id: s("message_id"),
        time: s("time").expect("time"),
        range: s("range").unwrap_or_else(|| "1h".into()),
    }
}

/// The case's `request.json` as the trace request it stands for.
pub fn request(case: &Path, inventory: &Inventory) -> TraceRequest {
    let a = ask(case);
    let centre = parse_local_time(&a.time, &inventory.zone).unwrap();
    TraceRequest {
        hosts: super::hosts(inventory, &a.host),
        keywords: a.keywords,
        mail_id: a.mail_id,
        message_id: a.message_id,
        window: Window::around(centre, parse_duration(&a.range).unwrap()),
        follow: parse_duration("5d").unwrap(),
        max_rounds: mailtrace::engine::MAX_ROUNDS,
    }
}
