//! Measures the cost of each step of reading one cell, for BENCHMARKS.md:
//! `cargo run --release --example reading_cost`.

use hushlist::format::normalize::{interpret, normalize, ReadOptions, Region};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let us = Region::parse("US").unwrap();
    // Real area codes, fictional exchange: valid US numbers, as inventories hold.
    let areas = [212, 313, 415, 503, 617, 702, 713, 305, 404, 213];
    let inputs: Vec<String> = (0..20_000)
        .map(|i| format!("({}) 556-{:04}", areas[i % areas.len()], i % 10_000))
        .collect();
    let time = |name: &str, f: &dyn Fn(&str) -> usize| {
        let started = Instant::now();
        let n: usize = inputs.iter().map(|i| f(black_box(i))).sum();
        let per = started.elapsed().as_secs_f64() / inputs.len() as f64;
        println!("{name:<28} {:>8.2} µs per cell ({n})", per * 1e6);
    };
    time("normalize (one region)", &|i| {
        normalize(i, Some(us)).map_or(0, |e| e.len())
    });
    time("interpret (one region)", &|i| {
        interpret(i, &[us], ReadOptions::default()).map_or(0, |r| r.len())
    });
    let three: Vec<Region> = ["DE", "GB", "US"]
        .iter()
        .map(|r| Region::parse(r).unwrap())
        .collect();
    time("interpret (three regions)", &|i| {
        interpret(i, &three, ReadOptions::default()).map_or(0, |r| r.len())
    });
}
