//! The library's check of a column of cells, timed in process, for the
//! Python package's benchmark (tools/bench-python.sh): the same cells, the
//! same call the binding makes (`CheckRun::column`), and `check_numbers`.
//!
//! `cargo run --release --example column_cost -- SITE KEY CELLS.csv [REGION...]`
//! reads the `phone` and `country` columns of CELLS.csv and prints cells per
//! second, `ROUNDS` times (default 3).

use hushlist::{CheckOptions, KeyCacheChoice, List, Region};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [site, key, cells, regions @ ..] = &args[..] else {
        return Err("usage: column_cost SITE KEY CELLS.csv [REGION...]".into());
    };
    let list = List::open(site, key)?;
    let regions = regions
        .iter()
        .map(|r| Region::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let options = CheckOptions::default()
        .with_regions(regions)
        .with_key_cache(KeyCacheChoice::None);
    let mut reader = csv::Reader::from_path(cells)?;
    let headers = reader.headers()?.clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (phone, country) = (at("phone").ok_or("no phone column")?, at("country"));
    let mut rows: Vec<(Option<String>, Option<String>)> = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push((
            record.get(phone).map(str::to_string),
            country.and_then(|c| record.get(c)).map(str::to_string),
        ));
    }
    let rounds: u32 = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for round in 1..=rounds {
        let started = Instant::now();
        let mut run = list.start_check(&options)?;
        let verdicts = run.column(
            "cells",
            rows.iter().map(|(c, r)| (c.as_deref(), r.as_deref())),
        )?;
        let seconds = started.elapsed().as_secs_f64();
        let matched = verdicts.iter().filter(|v| v.matched()).count();
        println!(
            "round {round}: column of {} cells: {seconds:.3} s, {:.0} cells/s, {matched} matched",
            rows.len(),
            rows.len() as f64 / seconds
        );
    }
    Ok(())
}
