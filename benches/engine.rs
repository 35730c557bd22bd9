//! Trace engine throughput on the recorded testbed site
//! (`tests/fixtures/site`): every line of every host's logs is parsed once
//! into records, then `correlate` is timed on them.
//!
//! - `correlate/scenarios`: one iteration traces every scenario of
//!   `truth.json`, each seeded as a keyword trace seeds it (the lines of the
//!   scenario's hosts, inside its window, holding its keyword); reported as
//!   traces/s (elements = scenarios).
//! - `correlate/audit`: the whole site with every `client=` line as a seed
//!   (the shape of `check-flow`), batch correlation; reported as message
//!   traces/s (elements = messages in the resulting trace).
//! - `correlate/audit_stream`: the same lines through the streaming
//!   correlator `audit` uses, every arrival a seed; messages handed out/s.
//!
//! `cargo bench --bench engine` (about 10 s).

mod corpus;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailtrace::engine::InventoryDirectory;
use mailtrace::trace::{correlate, Record, StreamCorrelator};

fn bench(c: &mut Criterion) {
    let site = corpus::load_site();
    let records = corpus::records(&site);
    assert!(!records.is_empty(), "the recorded site parsed to no record");
    let directory = InventoryDirectory(&site.inventory);

    let scenarios = corpus::scenarios(&site);
    assert!(!scenarios.is_empty(), "truth.json lists no scenario");
    let seeded: Vec<Vec<Record>> = scenarios
        .iter()
        .map(|s| {
            let rs = corpus::seeded(&records, s);
            let trace = correlate(&rs, &directory);
            assert!(
                rs.iter().any(|r| r.seed) && !trace.messages.is_empty(),
                "scenario {}: keyword `{}` seeds no traced message",
                s.name,
                s.keyword
            );
            rs
        })
        .collect();

    let audit: Vec<Record> = records
        .iter()
        .map(|r| Record {
            seed: r.event.message.contains("client="),
            ..r.clone()
        })
        .collect();
    let seeds = audit.iter().filter(|r| r.seed).count();
    let messages = correlate(&audit, &directory).messages.len();
    assert!(messages > 0, "no `client=` line seeds a traced message");
    println!(
        "site: {} records on {} hosts; {} scenarios; audit: {seeds} client= seeds, {messages} messages",
        records.len(),
        site.inventory.tracked_hosts().count(),
        scenarios.len()
    );

    let mut group = c.benchmark_group("correlate");
    group.throughput(Throughput::Elements(scenarios.len() as u64));
    group.bench_function("scenarios", |b| {
        b.iter(|| {
            for rs in &seeded {
                black_box(correlate(black_box(rs), &directory));
            }
        })
    });
    group.throughput(Throughput::Elements(messages as u64));
    group.bench_function("audit", |b| {
        b.iter(|| black_box(correlate(black_box(&audit), &directory)))
    });
    // what `audit` runs: the streaming correlator, every arrival a seed,
    // each host's lines in order, hosts taking turns as they answer at
    // once, looking for settled messages every 50 lines
    let hosts: Vec<String> = site
        .inventory
        .tracked_hosts()
        .map(|h| h.name.clone())
        .collect();
    let per_host: Vec<Vec<&Record>> = hosts
        .iter()
        .map(|h| records.iter().filter(|r| &r.host == h).collect())
        .collect();
    let longest = per_host.iter().map(Vec::len).max().unwrap_or(0);
    let in_turn: Vec<&Record> = (0..longest)
        .flat_map(|i| {
            per_host
                .iter()
                .filter_map(move |lines| lines.get(i).copied())
        })
        .collect();
    let inventory = Arc::new(site.inventory.clone());
    let stream = || {
        let mut correlator = StreamCorrelator::new(
            inventory.clone(),
            &hosts,
            Box::new(|inst| inst.arrived.is_some()),
        )
        .flush_every(50);
        let mut handed_out = 0usize;
        let mut count = |_| handed_out += 1;
        for r in &in_turn {
            correlator.push(&r.host, &r.event, r.position, true, &mut count);
        }
        for h in &hosts {
            correlator.host_done(h, &mut count);
        }
        correlator.finish(&mut count);
        handed_out
    };
    group.throughput(Throughput::Elements(stream() as u64));
    group.bench_function("audit_stream", |b| b.iter(|| black_box(stream())));
    group.finish();
}

criterion_group! {
    name = benches;
    config = corpus::short_runs();
    targets = bench
}
criterion_main!(benches);
