//! Throughput of each stage of a check, for BENCHMARKS.md:
//! `cargo bench --bench throughput` prints the median of repeated samples.
//!
//! A small harness of its own rather than criterion: criterion's dependencies
//! (regex among them) would be compiled by every `cargo test`. Under
//! `cargo test` (no `--bench` argument) each stage runs once, so the benchmark
//! is compiled and exercised by the tests without slowing them.
use hushlist::check::{CheckOptions, Checker};
use hushlist::format::filter;
use hushlist::format::normalize::{normalize, Region};
use hushlist::format::number_key::{Kdf, NumberHasher};
use hushlist::format::signature::SecretKey;
use hushlist::format::snapshot::Snapshot;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams};
use hushlist::{Keyring, List, Policy};
use std::hint::black_box;
use std::time::{Duration, Instant};

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
        // Distinct: the verification a program runs counts the bits each entry sets.
        .map(|i| format!("+1212{i:07}"))
        .collect();
    let params = BuildParams {
        sequence: 1,
        created: 0,
        expires: 10,
        previous: [0; 32],
        kdf,
        salt: [7; 32],
        epoch: hushlist::publish::SaltEpoch::starting(0, 1_000_000, Kdf::Blake3, [0xEE; 32]),
        contact: Default::default(),
        sealing: None,
        fp_rate: 1e-6,
    };
    build_snapshot(&numbers, &params).unwrap()
}

/// Times `run` over `samples` samples of `per_sample` items and prints the
/// median time per item; under `cargo test`, runs it once and prints nothing.
fn bench<T>(name: &str, per_sample: u64, samples: usize, mut run: impl FnMut() -> T) {
    if !measuring() {
        black_box(run());
        return;
    }
    black_box(run()); // warm-up
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            black_box(run());
            started.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let per_item = median.as_secs_f64() / per_sample as f64;
    let (low, high) = (times[0], times[times.len() - 1]);
    println!(
        "{name:<32} {:>12} per {per_sample} ({:>12}/s)  [min {:?}, max {:?}, {samples} samples]",
        format!("{median:.2?}"),
        human(1.0 / per_item),
        low,
        high
    );
}

fn human(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.1}"),
    }
}

/// `cargo bench` passes `--bench`; `cargo test` does not.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn main() {
    let us = Some(Region::parse("US").unwrap());
    let inputs: Vec<String> = (0..1000).map(messy).collect();
    let n = inputs.len() as u64;
    bench("normalize", n, 50, || {
        inputs
            .iter()
            .map(|i| normalize(black_box(i), us).unwrap().len())
            .sum::<usize>()
    });
    let e164: Vec<String> = inputs.iter().map(|i| normalize(i, us).unwrap()).collect();
    let fast = NumberHasher::new(Kdf::Blake3, [7; 32]).unwrap();
    bench("blake3_key", n, 50, || {
        e164.iter()
            .map(|n| fast.key(black_box(n))[0] as usize)
            .sum::<usize>()
    });
    let entries = if measuring() { 1_000_000 } else { 10_000 };
    let snap = snapshot(Kdf::Blake3, entries);
    let items: Vec<u64> = e164.iter().map(|n| filter::item(&fast.key(n))).collect();
    bench("filter_lookup_1M (misses)", n, 50, || {
        items
            .iter()
            .filter(|&&i| snap.filter.contains_item(black_box(i)))
            .count()
    });
    let mut checker = Checker::new(&snap).unwrap();
    let us_list: Vec<Region> = us.into_iter().collect();
    let options = CheckOptions::default().with_regions(us_list.clone());
    bench("normalize_key_lookup", n, 50, || {
        inputs
            .iter()
            .filter(|i| checker.check(black_box(i), &us_list).unwrap()[0].1)
            .count()
    });
    let slow = NumberHasher::new(Kdf::default(), [7; 32]).unwrap();
    bench("argon2id_default_one_key", 1, 10, || {
        slow.key(black_box("+13135550101"))
    });
    let rows = if measuring() { 20_000 } else { 200 };
    let csv: String = std::iter::once("employee,phone\n".to_string())
        .chain((0..rows).map(|i| format!("e{i},\"{}\"\n", messy(i))))
        .collect();
    // Signed and verified in memory, as a program would open it; the
    // snapshot's validity window is in 1970, so the policy's clock is too.
    let key = SecretKey::generate().unwrap();
    let list = List::from_bytes(
        sign_publication(&snap, &key).into(),
        &Keyring::pinned(key.public_key()),
        Policy::at(5),
    )
    .unwrap();
    bench("end_to_end_blake3_csv", rows as u64, 20, || {
        let input = std::io::Cursor::new(csv.clone().into_bytes());
        list.check_reader(input, "bench", &options).unwrap().checked
    });
}
