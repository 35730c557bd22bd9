//! The streaming correlator (audits) must find exactly the messages the
//! batch correlator finds, whatever the moment it hands them out: the
//! recorded testbed logs, the demo and every fixture case (whole, and cut by
//! windows) are fed host by host, interleaved, in time order, with a flush
//! every few lines, and both sides are compared message by message, whole.
//! Lines of other programs interleaved into any case change nothing.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use mailtrace::engine::InventoryDirectory;
use mailtrace::inventory::Inventory;
use mailtrace::parse::{parse_line, Event, EventKind, LineContext, CORRELATED_MARKERS};
use mailtrace::time::Window;
use mailtrace::trace::{correlate, MessageTrace, Position, Record, StreamCorrelator};

fn site_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site")
}

fn demo_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/logs")
}

/// A parsed line and its place in the host's logs (file mtime, line number).
type Line = (Event, Position);

/// Every host's parsed lines, oldest file first, as a search would send them.
fn recorded_lines(dir: &Path, inventory: &Inventory) -> BTreeMap<String, Vec<Line>> {
    let manifest = fs::read_to_string(dir.join("manifest.txt")).expect("manifest.txt");
    let files = listed_files(&manifest, |file| {
        (
            file.split('/').next().expect("HOST/FILE").to_string(),
            file.to_string(),
        )
    });
    read_lines(dir, inventory, files)
}

/// A fixture case's files (`mtimes.txt`: `logs/HOST/FILE TIME`), a
/// compressed one read from its `.gz.txt` text.
fn case_lines(dir: &Path, inventory: &Inventory) -> BTreeMap<String, Vec<Line>> {
    let mtimes = fs::read_to_string(dir.join("mtimes.txt")).expect("mtimes.txt");
    let files = listed_files(&mtimes, |file| {
        let host = file.split('/').nth(1).expect("logs/HOST/FILE").to_string();
        let text = match file.strip_suffix(".gz") {
            Some(base) => format!("{base}.gz.txt"),
            None => file.to_string(),
        };
        (host, text)
    });
    read_lines(dir, inventory, files)
}

/// `FILE TIME` lines as (host, file to read, mtime), by host and age.
fn listed_files(
    listing: &str,
    place: impl Fn(&str) -> (String, String),
) -> Vec<(String, String, DateTime<Utc>)> {
    let mut files = Vec::new();
    for line in listing.lines().filter(|l| !l.trim().is_empty()) {
        let (file, time) = line.split_once(' ').expect("listing: FILE TIME");
        let mtime = DateTime::parse_from_rfc3339(time.trim()).expect("listing time");
        let (host, path) = place(file);
        files.push((host, path, mtime.to_utc()));
    }
    files.sort_by_key(|(host, _, mtime)| (host.clone(), *mtime));
    files
}

fn read_lines(
    dir: &Path,
    inventory: &Inventory,
    files: Vec<(String, String, DateTime<Utc>)>,
) -> BTreeMap<String, Vec<Line>> {
    let mut out: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    for (host, file, mtime) in files {
        let Some(h) = inventory.host(&host) else {
            continue;
        };
        let raw = fs::read(dir.join(&file)).expect("recorded file");
        let text = if file.ends_with(".gz") {
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_string(&mut s)
                .expect("gzip");
            s
        } else {
            String::from_utf8(raw).expect("utf-8 log")
        };
        let ctx = LineContext {
            zone: h.zone,
            reference: mtime,
        };
        for (n, line) in text.lines().enumerate() {
            if !CORRELATED_MARKERS.iter().any(|m| line.contains(m)) {
                continue;
            }
            if let Ok(event) = parse_line(line, &ctx) {
                out.entry(host.clone())
                    .or_default()
                    .push((event, Position::new(mtime.timestamp(), &file, n as u64 + 1)));
            }
        }
    }
    out
}

/// The whole message as JSON: any difference between the two sides counts.
type Shape = String;

fn shape(m: &MessageTrace) -> Shape {
    serde_json::to_string_pretty(m).expect("message as JSON")
}

fn arrival(event: &Event) -> bool {
    matches!(
        event.kind,
        EventKind::Client { .. } | EventKind::Pickup { .. }
    )
}

fn refusal(event: &Event) -> bool {
    event.queue_id.is_none() && matches!(event.kind, EventKind::Reject(_))
}

#[test]
fn streaming_hands_out_the_messages_batch_correlation_finds() {
    let inventory = Inventory::load(&site_dir().join("inventory.yaml")).expect("inventory");
    let lines = recorded_lines(&site_dir(), &inventory);
    let times: Vec<DateTime<FixedOffset>> = lines
        .values()
        .flat_map(|v| v.iter().map(|(e, _)| e.time))
        .collect();
    let (first, last) = (
        times.iter().min().expect("lines"),
        times.iter().max().expect("lines"),
    );
    // the later two thirds: messages before the window only pass through
    let window = Window {
        from: (*first + (*last - *first) / 3).to_utc(),
        to: last.to_utc(),
    };
    stream_equals_batch(&inventory, &lines, window, 12);
}

#[test]
fn the_demo_evening_streams_like_batch() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let site = runtime
        .block_on(mailtrace::demo::DemoSite::start(
            &mailtrace::demo::SiteOptions::default(),
        ))
        .expect("demo site");
    let inventory = Inventory::load(&site.inventory).expect("demo inventory");
    let lines = recorded_lines(&demo_dir(), &inventory);
    let at = |t: &str| mailtrace::time::parse_local_time(t, &inventory.zone).expect("demo time");
    let window = Window {
        from: at("2026-11-28 21:00:00"),
        to: at("2026-11-28 23:00:00"),
    };
    stream_equals_batch(&inventory, &lines, window, 8);
}

/// Feeds `lines` to the streaming correlator in several host orders and
/// flush intervals; each time it must hand out what batch correlation finds.
fn stream_equals_batch(
    inventory: &Inventory,
    lines: &BTreeMap<String, Vec<Line>>,
    window: Window,
    at_least: usize,
) -> usize {
    let seeded = |e: &Event| (arrival(e) || refusal(e)) && window.contains(e.time.to_utc());

    let mut records = Vec::new();
    for (host, events) in lines {
        for (event, position) in events {
            records.push(Record {
                host: host.clone(),
                event: event.clone(),
                seed: seeded(event),
                position: *position,
            });
        }
    }
    let batch = correlate(&records, &InventoryDirectory(inventory));
    let mut expected: Vec<Shape> = batch.messages.iter().map(shape).collect();
    expected.sort();
    assert!(
        expected.len() >= at_least,
        "{} messages in the window",
        expected.len()
    );

    let hosts: Vec<String> = lines.keys().cloned().collect();
    let mut reversed = hosts.clone();
    reversed.reverse();
    // hosts answer concurrently, in any order: in turn line by line, or one
    // whole host after the other, either way round
    let orders: [(&str, &[String], bool); 3] = [
        ("in turn", &hosts, true),
        ("one after the other", &hosts, false),
        ("one after the other, reversed", &reversed, false),
    ];
    for (flush_every, (order, host_order, in_turn)) in [1, 7, 50, 1_000_000]
        .into_iter()
        .flat_map(|f| orders.iter().map(move |o| (f, *o)))
    {
        let mut stream = StreamCorrelator::new(
            Arc::new(inventory.clone()),
            &hosts,
            Box::new(move |inst| inst.arrived.is_some_and(|t| window.contains(t.to_utc()))),
        )
        .flush_every(flush_every);
        let mut got: Vec<Shape> = Vec::new();
        let mut emit = |m: MessageTrace| got.push(shape(&m));
        let mut cursors: Vec<(&String, std::slice::Iter<Line>)> =
            host_order.iter().map(|h| (h, lines[h].iter())).collect();
        if in_turn {
            let mut active = cursors.len();
            while active > 0 {
                active = 0;
                for (host, cursor) in cursors.iter_mut() {
                    match cursor.next() {
                        Some((event, position)) => {
                            active += 1;
                            stream.push(host, event, *position, seeded(event), &mut emit);
                        }
                        None => stream.host_done(host, &mut emit),
                    }
                }
            }
        } else {
            for (host, cursor) in cursors.iter_mut() {
                for (event, position) in cursor {
                    stream.push(host, event, *position, seeded(event), &mut emit);
                }
                stream.host_done(host, &mut emit);
            }
        }
        stream.finish(&mut emit);
        got.sort();
        assert_eq!(
            got, expected,
            "flush every {flush_every} lines, hosts {order}"
        );
    }
    expected.len()
}

#[test]
fn every_fixture_case_streams_like_batch() {
    let cases = common::fixtures::cases();
    assert!(!cases.is_empty(), "no fixture cases");
    let mut messages = 0;
    for case in &cases {
        let inventory = Inventory::load(&case.join("inventory.yaml")).expect("case inventory");
        let lines = case_lines(case, &inventory);
        let times: Vec<DateTime<FixedOffset>> = lines
            .values()
            .flat_map(|v| v.iter().map(|(e, _)| e.time))
            .collect();
        let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
            continue;
        };
        // the whole case, then windows that cut it: messages, refusals and
        // the attempts that explain them fall on either side of an edge
        let span = *last - *first;
        let windows = [
            (*first, *last, 1),
            (*first + span / 3, *last, 0),
            (*first, *first + span / 2, 0),
            (*first + span / 4, *last - span / 4, 0),
        ];
        let name = case.file_name().map(|n| n.to_string_lossy().into_owned());
        for (from, to, at_least) in windows {
            let window = Window {
                from: from.to_utc(),
                to: to.to_utc(),
            };
            messages += std::panic::catch_unwind(|| {
                stream_equals_batch(&inventory, &lines, window, at_least)
            })
            .unwrap_or_else(|_| panic!("case {} in {window:?}", name.clone().unwrap_or_default()));
        }
    }
    let all = std::env::var_os("MAILTRACE_CASE").is_none();
    assert!(!all || messages > 200, "only {messages} messages compared");
}

#[test]
fn every_line_the_correlator_reads_holds_a_marker() {
    let inventory = Inventory::load(&site_dir().join("inventory.yaml")).expect("inventory");
    let mut checked = 0;
    for dir in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
        .expect("fixtures")
        .flatten()
    {
        for file in walk(&dir.path()) {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            let ctx = LineContext {
                zone: inventory.zone,
                reference: DateTime::parse_from_rfc3339("2026-11-29T00:00:00Z")
                    .expect("time")
                    .to_utc(),
            };
            for line in text.lines() {
                let Ok(event) = parse_line(line, &ctx) else {
                    continue;
                };
                let read = match event.kind {
                    EventKind::Connection { .. } | EventKind::Warning { .. } | EventKind::Other => {
                        false
                    }
                    EventKind::Reject(_) => true,
                    _ => event.queue_id.is_some(),
                };
                if read {
                    checked += 1;
                    assert!(
                        CORRELATED_MARKERS.iter().any(|m| line.contains(m)),
                        "{}: no marker finds {line}",
                        file.display()
                    );
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} lines checked");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("maillog"))
                && p.extension().is_none_or(|x| x != "gz")
            {
                out.push(p);
            }
        }
    }
    out
}

/// Lines of programs that are not Postfix, made from `seed`: ID-shaped and
/// other `WORD: ` leads, and texts that look like Postfix's own.
fn foreign_line(
    seed: u64,
    host: &str,
    time: DateTime<FixedOffset>,
    queue_id: Option<&str>,
) -> String {
    const PROGRAMS: [&str; 10] = [
        "amavis[2231]",
        "rspamd[901]",
        "opendkim[700]",
        "pmg-smtp-filter[4120]",
        "postgrey[812]",
        "policyd-spf[3321]",
        "dovecot",
        "clamsmtpd[455]",
        "spamd[1290]",
        "postfix-policyd[77]",
    ];
    const TEXTS: [&str; 8] = [
        "to=<user@example.edu>, relay=local, delay=1, dsn=2.0.0, status=sent (delivered to mailbox)",
        "client=mx.example.org[192.0.2.7]",
        "from=<spam@example.com>, size=1234, nrcpt=1 (queue active)",
        "removed",
        "reject: RCPT from x.example[192.0.2.9]: 550 5.7.1 no; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
        "message-id=<noise@example.net>",
        "sender non-delivery notification: ABCDE12345",
        "accept mail to <user@example.edu> (1A2B3C4D5E) (rule: default-accept)",
    ];
    let pick = |n: u64, len: usize| (seed.rotate_left(n as u32) % len as u64) as usize;
    let alphabet = b"0123456789ABCDEFabcdefGHJKLMNPQRSTUVWXYZ";
    let id_len = 5 + pick(7, 16);
    let id: String = match queue_id.filter(|_| seed.is_multiple_of(2)) {
        // a Postfix queue ID of the same host, as milters log them
        Some(q) => q.to_string(),
        None => (0..id_len)
            .map(|k| char::from(alphabet[pick(11 + k as u64, alphabet.len())]))
            .collect(),
    };
    let lead = match pick(3, 4) {
        0 => format!("{id}: "),
        1 => format!("({}-{:02}) ", pick(5, 99_999), pick(9, 99)),
        2 => format!("<{}>; task; ", id.to_ascii_lowercase()),
        _ => "warning: ".to_string(),
    };
    format!(
        "{} {host} {}: {lead}{}",
        time.format("%Y-%m-%dT%H:%M:%S%.6f%:z"),
        PROGRAMS[pick(1, PROGRAMS.len())],
        TEXTS[pick(2, TEXTS.len())]
    )
}

/// Records of every line of a case, seeded as the stream tests seed them.
fn case_records(lines: &BTreeMap<String, Vec<Line>>) -> Vec<Record> {
    lines
        .iter()
        .flat_map(|(host, events)| {
            events.iter().map(|(event, position)| Record {
                host: host.clone(),
                event: event.clone(),
                seed: arrival(event) || refusal(event),
                position: *position,
            })
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Other programs' lines interleaved into a case, whatever their IDs and
    /// texts, change no message and no recipient.
    #[test]
    fn foreign_lines_change_nothing(case in 0usize..1000, seeds in proptest::collection::vec(proptest::prelude::any::<u64>(), 1..60)) {
        let cases = common::fixtures::cases();
        let dir = &cases[case % cases.len()];
        let inventory = Inventory::load(&dir.join("inventory.yaml")).expect("case inventory");
        let lines = case_lines(dir, &inventory);
        let directory = InventoryDirectory(&inventory);
        let clean: Vec<Shape> = correlate(&case_records(&lines), &directory).messages.iter().map(shape).collect();

        let mut noisy = lines.clone();
        let hosts: Vec<String> = noisy.keys().cloned().collect();
        for (n, seed) in seeds.iter().enumerate() {
            let host = &hosts[(*seed as usize) % hosts.len()];
            let events = noisy.get_mut(host).expect("host");
            if events.is_empty() {
                continue;
            }
            let at = (seed >> 8) as usize % events.len();
            let (near, position) = events[at].clone();
            let ctx = LineContext { zone: inventory.zone, reference: Utc::now() };
            // minutes later than its neighbour, naming a queue ID of the host
            let later = near.time + chrono::Duration::seconds((seed % 900) as i64);
            let queue_id = events.iter().find_map(|(e, _)| e.queue_id.clone());
            let text = foreign_line(*seed, &near.log_host, later, queue_id.as_deref());
            let event = parse_line(&text, &ctx).expect("noise parses");
            proptest::prop_assert!(event.queue_id.is_none(), "{text}");
            let noise_position = Position { line: 1_000_000 + n as u64, ..position };
            events.insert(at, (event, noise_position));
        }
        let with_noise: Vec<Shape> = correlate(&case_records(&noisy), &directory).messages.iter().map(shape).collect();
        proptest::prop_assert_eq!(clean, with_noise, "case {}", dir.display());
    }
}
