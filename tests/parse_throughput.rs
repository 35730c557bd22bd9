//! Throughput of `parse_line` over the reference block. Ignored by default:
//! numbers mean something only in an optimised build
//! (`cargo test --release --test parse_throughput -- --ignored --nocapture`).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use mailtrace::parse::{parse_line, LineContext};
use mailtrace::time::Zone;

const REFERENCE: &str = include_str!("data/reference-block.log");

#[test]
#[ignore = "a measurement, meaningful only with --release"]
fn lines_per_second() {
    let lines: Vec<&str> = REFERENCE.lines().collect();
    for zone in ["+08:00", "Asia/Taipei"] {
        let ctx = LineContext {
            zone: Zone::parse(zone).unwrap(),
            reference: Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
        };
        let rounds = 20_000;
        let start = Instant::now();
        let mut parsed = 0usize;
        for _ in 0..rounds {
            for line in &lines {
                parsed += usize::from(parse_line(std::hint::black_box(line), &ctx).is_ok());
            }
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(parsed, rounds * lines.len());
        println!(
            "{zone}: {:.0} lines/s ({:.0} ns/line)",
            parsed as f64 / secs,
            secs * 1e9 / parsed as f64
        );
    }
}
