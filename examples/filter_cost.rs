//! Measures the filter's size and lookup cost at a false-positive rate, for
//! BENCHMARKS.md: bytes per entry, k, and the time of a lookup that misses
//! (it stops at the first clear bit) and of one that hits (all k bits).
//!
//! Times are CPU time of the measuring thread, not wall time.
//!
//! cargo run --release --example filter_cost -- [ENTRIES] [RATE...]

use hushlist::format::filter::{seed_from_salt, Filter};

/// This thread's CPU time in seconds (Linux `schedstat`, nanoseconds): on a
/// shared machine, wall time counts the time other programs held the core.
fn cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .expect("ns");
    ns as f64 / 1e9
}

fn key(i: u64) -> [u8; 32] {
    *blake3::hash(&i.to_le_bytes()).as_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let entries: u64 = args
        .first()
        .map_or(1_000_000, |a| a.parse().expect("entries"));
    let rates: Vec<f64> = if args.len() > 1 {
        args[1..].iter().map(|r| r.parse().expect("rate")).collect()
    } else {
        vec![1e-6, 1e-12]
    };
    let lookups = 2_000_000u64;
    for rate in rates {
        let mut f = Filter::new(entries, rate, &seed_from_salt(&[7; 32])).expect("valid");
        let start = cpu_seconds();
        for i in 0..entries {
            f.insert(&key(i));
        }
        let build = cpu_seconds() - start;
        let probes: Vec<u64> = (0..lookups)
            .map(|i| hushlist::format::filter::item(&key(entries + i)))
            .collect();
        let start = cpu_seconds();
        let false_hits = probes.iter().filter(|&&p| f.contains_item(p)).count();
        let miss = (cpu_seconds() - start) / lookups as f64;
        let present: Vec<u64> = (0..lookups.min(entries))
            .map(|i| hushlist::format::filter::item(&key(i)))
            .collect();
        let start = cpu_seconds();
        let hits = present.iter().filter(|&&p| f.contains_item(p)).count();
        let hit = (cpu_seconds() - start) / present.len() as f64;
        assert_eq!(hits, present.len());
        println!(
            "rate {rate:e}: {entries} entries, {} bytes ({:.2} bytes/entry), k = {}, built in {build:.2} s",
            f.bits() / 8,
            f.bits() as f64 / 8.0 / entries as f64,
            f.hashes()
        );
        println!(
            "  lookup miss {:.0} ns ({false_hits} false positives in {lookups}), lookup hit {:.0} ns",
            miss * 1e9,
            hit * 1e9
        );
    }
}
