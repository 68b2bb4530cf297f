//! A publisher's nightly job in Rust, over `hushlist::Publisher`: read the
//! list (a CSV's phone columns, or one number per line; national numbers in
//! the given region),
//! build the next snapshot chained to the directory's newest, keep or switch
//! the salt as the epoch schedule says, sign, and write atomically.
//!
//! ```sh
//! install -m 600 fixtures/keys/demo-TEST-ONLY.key /tmp/demo.key  # git keeps no 0600
//! cargo run --example cron_publish -- /tmp/demo.key fixtures/demo-list.csv US /tmp/site
//! hushlist verify --key fixtures/keys/demo-TEST-ONLY.pub /tmp/site
//! ```
//! (The demo key is a test key, unencrypted; a real job reads an encrypted
//! key with `published::read_secret_key_with` and a passphrase from its
//! secret store.)

use hushlist::check::input::InputOptions;
use hushlist::format::normalize::ReadOptions;
use hushlist::format::number_key::{Kdf, DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T};
use hushlist::format::time;
use hushlist::publisher::{os_random, read_list, EpochDecision, Ledger, ListOptions, NextPlan};
use hushlist::{published, Publisher, Region};
use std::path::Path;

const DAY: i64 = 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, list, region, out] = &args[..] else {
        eprintln!("usage: cron_publish SECRET_KEY LIST REGION OUT_DIR");
        std::process::exit(2);
    };
    let kdf = Kdf::Argon2id {
        m_kib: DEFAULT_ARGON2_M_KIB,
        t: DEFAULT_ARGON2_T,
        p: DEFAULT_ARGON2_P,
    };
    publish(Path::new(key), list, region, Path::new(out), kdf)
}

/// Publishes `list` to `out` as the next snapshot, hashed with `kdf`.
pub fn publish(
    key: &Path,
    list: &str,
    region: &str,
    out: &Path,
    kdf: Kdf,
) -> Result<(), Box<dyn std::error::Error>> {
    let key_file = key;
    let key = published::read_secret_key(key_file)?;

    // The phone columns of the list (found by their headers, as the tools
    // do); one number per cell, read one way; a bad cell is named by its
    // line, never shown.
    let file = std::io::BufReader::new(std::fs::File::open(list)?);
    let options = ListOptions::new(
        InputOptions::default(),
        Some(Region::parse(region)?),
        ReadOptions::default(),
    );
    let read = read_list(Box::new(file), &options)?;
    for skipped in &read.skipped {
        eprintln!("{list}:{}: skipped, {}", skipped.line, skipped.problem);
    }
    let numbers = read.numbers;

    // The ledger beside the key records what this job published, so that
    // whoever can write `out` cannot choose what it signs next.
    let ledger = Ledger::beside_key(key_file, out);
    let publisher = Publisher::open(out, key)?.with_ledger(ledger, false);
    let now = time::now();
    let next = publisher.next(
        &numbers,
        NextPlan {
            kdf,
            fp_rate: hushlist::format::filter::DEFAULT_FP_RATE,
            created: now,
            expires: now + 30 * DAY,
            epoch_length: 30 * DAY,
            new_epoch: false,
            contact: None, // carried over from the newest snapshot
            key_cache: None,
            oprf: None,
            evaluation_url: None,
        },
        &mut os_random,
    )?;
    let path = next.write(out)?;
    let epoch = match next.epoch.decision {
        EpochDecision::Kept { from } => format!("same salt as snapshot #{from}"),
        EpochDecision::Switched { from } => format!("switched to the salt #{from} announced"),
        EpochDecision::First => "new salt (first snapshot)".to_string(),
        _ => "new salt".to_string(),
    };
    println!(
        "published snapshot #{} ({} entries; salt epoch: {epoch}) to {}",
        next.params.sequence,
        numbers.len(),
        path.display()
    );
    Ok(())
}
