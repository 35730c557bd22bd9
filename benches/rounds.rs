//! The cost of a trace's rounds on the recorded testbed site
//! (`tests/fixtures/site`), every `client=` line a seed, its lines handed
//! over in 10 rounds (by time, a tenth each):
//!
//! - `rounds/rebuild/N`: what each round used to do: copy every line found
//!   so far and build instances, links and searches from all of them;
//! - `rounds/extend/N`: one trace state kept across rounds, each round
//!   handing it only its new lines.
//!
//! N is the number of lines (the first quarter, half and all of the site),
//! so the figures show how each grows with the lines found. Before
//! measuring, both ways are checked to ask for the same searches.
//!
//! `cargo bench --bench rounds` (about 20 s).

mod corpus;

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mailtrace::engine::InventoryDirectory;
use mailtrace::trace::{next_searches, Line, Need, Record, Rounds};

const ROUNDS: usize = 10;

/// Every round rebuilds from all lines found so far.
fn rebuild(records: &[Record], directory: &InventoryDirectory, tracked: &[String]) -> Vec<Need> {
    let mut all = Vec::new();
    for round in 1..=ROUNDS {
        let found: Vec<Record> = records[..records.len() * round / ROUNDS].to_vec();
        all.extend(next_searches(&found, directory, tracked));
    }
    all
}

/// One state; every round adds its new lines.
fn extend(records: &[Record], directory: &InventoryDirectory, tracked: &[String]) -> Vec<Need> {
    let mut rounds = Rounds::new(directory, tracked);
    let mut all = Vec::new();
    for round in 1..=ROUNDS {
        let batch = &records[records.len() * (round - 1) / ROUNDS..records.len() * round / ROUNDS];
        let lines: Vec<Line> = batch
            .iter()
            .map(|r| Line {
                host: &r.host,
                event: &r.event,
                seed: r.seed,
                position: r.position,
            })
            .collect();
        if rounds.add(&lines).is_err() {
            panic!("lines in time order were taken as out of order");
        }
        all.extend(rounds.take_needs());
    }
    all
}

fn bench(c: &mut Criterion) {
    let site = corpus::load_site();
    let directory = InventoryDirectory(&site.inventory);
    let tracked: Vec<String> = site
        .inventory
        .tracked_hosts()
        .map(|h| h.name.clone())
        .collect();
    let mut records: Vec<Record> = corpus::records(&site)
        .into_iter()
        .map(|r| Record {
            seed: r.event.message.contains("client="),
            ..r
        })
        .collect();
    records.sort_by_key(|r| (r.event.time, r.position));
    let sizes = [records.len() / 4, records.len() / 2, records.len()];
    for &n in &sizes {
        let old: HashSet<Need> = rebuild(&records[..n], &directory, &tracked)
            .into_iter()
            .collect();
        let new: HashSet<Need> = extend(&records[..n], &directory, &tracked)
            .into_iter()
            .collect();
        assert_eq!(
            old, new,
            "{n} lines: the two ways ask for different searches"
        );
        let time = |f: &dyn Fn() -> Vec<Need>| {
            let started = Instant::now();
            black_box(f());
            started.elapsed().as_secs_f64() * 1000.0
        };
        let before = time(&|| rebuild(&records[..n], &directory, &tracked));
        let after = time(&|| extend(&records[..n], &directory, &tracked));
        println!(
            "{ROUNDS} rounds, {n} lines, {} searches: rebuild {before:.1} ms, extend {after:.1} ms",
            new.len()
        );
    }

    let mut group = c.benchmark_group("rounds");
    for &n in &sizes {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("rebuild", n), &n, |b, &n| {
            b.iter(|| black_box(rebuild(&records[..n], &directory, &tracked)))
        });
        group.bench_with_input(BenchmarkId::new("extend", n), &n, |b, &n| {
            b.iter(|| black_box(extend(&records[..n], &directory, &tracked)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = corpus::short_runs();
    targets = bench
}
criterion_main!(benches);
