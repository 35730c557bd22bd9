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

/// How a group counts what one run parses.
type Unit = fn(&[Site]) -> Throughput;

fn per_line(sites: &[Site]) -> Throughput {
    Throughput::Elements(sites.iter().map(Site::line_count).sum::<usize>() as u64)
}

fn per_byte(sites: &[Site]) -> Throughput {
    Throughput::Bytes(sites.iter().map(Site::byte_count).sum::<usize>() as u64)
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

    // the same runs, counted in lines and in bytes
    let units: [(&str, Unit); 2] = [("parse_lines", per_line), ("parse_bytes", per_byte)];
    for (group_name, throughput) in units {
        let mut group = c.benchmark_group(group_name);
        for (name, sites) in &inputs {
            group.throughput(throughput(sites));
            group.bench_function(*name, |b| b.iter(|| parse_all(sites)));
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = corpus::short_runs();
    targets = bench
}
criterion_main!(benches);
