//! Throughput of each stage of a check, for BENCHMARKS.md:
//! `cargo bench --bench throughput`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hushlist::check::input::{InputOptions, RowReader};
use hushlist::check::{Checker, Outcome};
use hushlist::format::filter;
use hushlist::format::normalize::{normalize, Region};
use hushlist::format::number_key::{Kdf, NumberHasher};
use hushlist::format::snapshot::Snapshot;
use hushlist::publish::{build_snapshot, BuildParams};
use std::hint::black_box;

const FORMATS: [&str; 6] = [
    "(313) 555-{:04}",
    "+1 313 555 {:04}",
    "313.555.{:04}",
    "tel:+1-313-555-{:04}",
    "011 1 313 555 {:04}",
    "313-555-{:04} ext. 7",
];

fn messy(i: usize) -> String {
    FORMATS[i % FORMATS.len()].replace("{:04}", &format!("{:04}", i % 10_000))
}

fn snapshot(kdf: Kdf, entries: usize) -> Snapshot {
    let numbers: Vec<String> = (0..entries)
        .map(|i| format!("+1212555{:04}", i % 10_000))
        .collect();
    let params = BuildParams {
        sequence: 1,
        created: 0,
        expires: 10,
        previous: [0; 32],
        kdf,
        salt: [7; 32],
        filter_seed: *blake3::hash(b"bench").as_bytes(),
        fp_rate: 1e-6,
    };
    build_snapshot(&numbers, &params).unwrap()
}

fn stages(c: &mut Criterion) {
    let us = Some(Region::parse("US").unwrap());
    let inputs: Vec<String> = (0..1000).map(messy).collect();
    let mut group = c.benchmark_group("per_number");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("normalize", |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|i| normalize(black_box(i), us).unwrap().len())
                .sum::<usize>()
        })
    });
    let e164: Vec<String> = inputs.iter().map(|i| normalize(i, us).unwrap()).collect();
    let fast = NumberHasher::new(Kdf::Blake3, [7; 32]).unwrap();
    group.bench_function("blake3_key", |b| {
        b.iter(|| {
            e164.iter()
                .map(|n| fast.key(black_box(n))[0] as usize)
                .sum::<usize>()
        })
    });
    let snap = snapshot(Kdf::Blake3, 1_000_000);
    let items: Vec<u64> = e164.iter().map(|n| filter::item(&fast.key(n))).collect();
    group.bench_function("filter_lookup_1M", |b| {
        b.iter(|| {
            items
                .iter()
                .filter(|&&i| snap.filter.contains_item(black_box(i)))
                .count()
        })
    });
    let checker = Checker::new(&snap).unwrap();
    group.bench_function("normalize_key_lookup", |b| {
        b.iter(|| {
            inputs
                .iter()
                .filter(|i| checker.check(black_box(i), us).unwrap().1)
                .count()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("argon2id_default");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    let slow = NumberHasher::new(Kdf::default(), [7; 32]).unwrap();
    group.bench_function("one_key", |b| {
        b.iter(|| slow.key(black_box("+13135550101")))
    });
    group.finish();

    let csv: String = std::iter::once("employee,phone\n".to_string())
        .chain((0..20_000).map(|i| format!("e{i},\"{}\"\n", messy(i))))
        .collect();
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Elements(20_000));
    group.sample_size(20);
    group.bench_function("blake3_csv_20k_rows", |b| {
        b.iter_batched(
            || csv.clone().into_bytes(),
            |bytes| {
                let reader = RowReader::new(
                    Box::new(std::io::Cursor::new(bytes)),
                    &InputOptions::default(),
                )
                .unwrap();
                let mut checker = Checker::new(&snap).unwrap();
                let mut outcome = Outcome::default();
                outcome
                    .check_rows(&mut checker, us, "bench", reader, &mut |_| {})
                    .unwrap();
                outcome.valid
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
