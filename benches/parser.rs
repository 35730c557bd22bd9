//! Parser throughput on the recorded corpus: every line of every log of the
//! testbed site (`tests/fixtures/site`, `.gz` decompressed once up front) and
//! of the hand-written cases (`tests/fixtures/<case>/`), each parsed with its
//! host's zone and its file's mtime. Group `parse_lines` reports lines/s,
//! group `parse_bytes` bytes/s of decompressed log text.
//!
//! `cargo bench --bench parser` (about 20 s).

mod corpus;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailtrace::parse::parse_line;

use corpus::Site;

/// Parses every line of the site; returns how many parsed.
fn parse_all(sites: &[Site]) -> usize {
    let mut parsed = 0;
    for file in sites.iter().flat_map(|s| &s.files) {
        for line in file.text.lines() {
            if black_box(parse_line(black_box(line), &file.context)).is_ok() {
                parsed += 1;
            }
        }
    }
    parsed
}

fn bench(c: &mut Criterion) {
    let inputs = [
        ("site", vec![corpus::load_site()]),
        ("cases", corpus::load_cases()),
    ];
    for (name, sites) in &inputs {
        let lines: usize = sites.iter().map(Site::line_count).sum();
        let bytes: usize = sites.iter().map(Site::byte_count).sum();
        let files: usize = sites.iter().map(|s| s.files.len()).sum();
        let parsed = parse_all(sites);
        assert!(parsed > 0, "{name}: no line of the corpus parses");
        println!(
            "corpus {name}: {lines} lines ({parsed} parse), {bytes} bytes in {files} files of {} site(s)",
            sites.len()
        );
    }

    let mut group = c.benchmark_group("parse_lines");
    for (name, sites) in &inputs {
        let lines: usize = sites.iter().map(Site::line_count).sum();
        group.throughput(Throughput::Elements(lines as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(sites)));
    }
    group.finish();

    let mut group = c.benchmark_group("parse_bytes");
    for (name, sites) in &inputs {
        let bytes: usize = sites.iter().map(Site::byte_count).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(sites)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = corpus::short_runs();
    targets = bench
}
criterion_main!(benches);
