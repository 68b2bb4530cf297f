//! A company embedding hushlist in its own tooling: check the phone numbers of
//! an asset inventory against the snapshot that `hushlist update` installed, and
//! open a ticket for each possible match. Nothing leaves the machine.
//!
//! ```sh
//! cargo run --example embed_check -- fixtures/keys/demo-TEST-ONLY.pub \
//!     fixtures/demo-published fixtures/demo-inventory.csv
//! ```

use hushlist::check::{check_input, CheckOptions};
use hushlist::input::{ColumnSpec, InputOptions};
use hushlist::normalize::Region;
use hushlist::published::{open, read_public_key};
use hushlist::rotation::Keyring;
use hushlist::verify::Policy;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, snapshot, inventory] = &args[..] else {
        eprintln!("usage: embed_check PUBLIC_KEY SNAPSHOT_DIR INVENTORY.csv");
        std::process::exit(2);
    };

    // 1. Verify the snapshot against the pinned key (signature, digest, expiry, fill).
    let keys = Keyring::pinned(read_public_key(Path::new(key))?);
    let policy = Policy {
        now: hushlist::time::now(),
        allow_stale: false,
    };
    let opened = open(Path::new(snapshot), &keys, policy)?;

    // 2. Check every row of the inventory: one call.
    let options = CheckOptions {
        region: Some(Region::parse("US")?),
        input: InputOptions {
            column: Some(ColumnSpec::Name("phone".into())),
            region_column: None,
        },
    };
    let file = std::io::BufReader::new(std::fs::File::open(inventory)?);
    let outcome = check_input(
        &opened.snapshot.snapshot,
        Box::new(file),
        inventory,
        &options,
    )?;

    // 3. Act on the result in the company's own way.
    for finding in &outcome.matches {
        println!(
            "TICKET: review device of {} (line {}): possible match, confirm with the publisher",
            finding.fields.first().map(String::as_str).unwrap_or("?"),
            finding.line
        );
    }
    for bad in &outcome.invalid {
        eprintln!(
            "{}:{}: not checked: {}",
            bad.source,
            bad.line,
            bad.reason.as_deref().unwrap_or("")
        );
    }
    println!(
        "{} rows, {} numbers checked, {} possible matches (snapshot #{})",
        outcome.rows,
        outcome.valid,
        outcome.matches.len(),
        opened.snapshot.snapshot.header.sequence
    );
    Ok(())
}
