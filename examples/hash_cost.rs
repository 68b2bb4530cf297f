//! Measures the cost of one number key at given Argon2id parameters, on one
//! thread and on all cores, for SECURITY.md's enumeration figures.
//!
//! cargo run --release --example hash_cost -- [M_KIB T P] [HASHES]

use hushlist::format::number_key::{
    Kdf, NumberHasher, DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T,
};
use rayon::prelude::*;
use std::time::Instant;

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let (m_kib, t, p) = match args[..] {
        [m, t, p, ..] => (m, t, p),
        _ => (DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_T, DEFAULT_ARGON2_P),
    };
    let n = args.get(3).copied().unwrap_or(200) as u64;
    let hasher =
        NumberHasher::new(Kdf::Argon2id { m_kib, t, p }, [7; 32]).expect("valid parameters");
    let number = |i: u64| format!("+1313555{:04}", i % 10_000);
    hasher.key(&number(0)); // allocate this thread's block first

    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(hasher.key(&number(i)));
    }
    let single = start.elapsed().as_secs_f64() / n as f64;

    let start = Instant::now();
    (0..n).into_par_iter().for_each(|i| {
        std::hint::black_box(hasher.key(&number(i)));
    });
    let parallel = start.elapsed().as_secs_f64() / n as f64;
    let cores = rayon::current_num_threads();
    let nanp = 6.4e9;
    println!("argon2id m={m_kib} KiB t={t} p={p}, {n} hashes");
    println!("  one thread:      {:.2} ms per hash", single * 1e3);
    println!(
        "  {cores} threads:       {:.2} ms per hash ({:.0} hashes/s)",
        parallel * 1e3,
        1.0 / parallel
    );
    println!(
        "  all ~6.4e9 NANP numbers: {:.0} CPU-days ({:.1} CPU-years) at the one-thread rate",
        nanp * single / 86_400.0,
        nanp * single / (86_400.0 * 365.25)
    );
}
