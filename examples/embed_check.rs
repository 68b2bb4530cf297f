//! A company embedding hushlist in its own tooling: check the phone numbers of
//! an asset inventory against a verified list, and open a ticket for each
//! possible match. Nothing leaves the machine. Uses only the entry point
//! (`hushlist::List`) and the types it returns.
//!
//! ```sh
//! cargo run --example embed_check -- fixtures/keys/demo-TEST-ONLY.pub \
//!     fixtures/demo-published fixtures/demo-inventory.csv
//! ```

use hushlist::{CheckOptions, List, Region};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, snapshot, inventory] = &args[..] else {
        eprintln!("usage: embed_check PUBLIC_KEY SNAPSHOT_DIR INVENTORY.csv");
        std::process::exit(2);
    };

    // 1. Verify the list against the publisher's key (signature, digest, expiry, fill).
    let list = List::open(snapshot, key)?;

    // 2. Check every row of the inventory: one call.
    let options = CheckOptions::default().with_regions([Region::parse("US")?]);
    let file = std::io::BufReader::new(std::fs::File::open(inventory)?);
    let outcome = list.check_reader(file, inventory, &options)?;

    // 3. Act on the result in the company's own way.
    for finding in &outcome.matches {
        for place in &finding.occurrences {
            println!(
                "TICKET: review device of {} (line {}): possible match, confirm with the publisher",
                place.fields.first().map(String::as_str).unwrap_or("?"),
                place.line
            );
        }
    }
    for bad in &outcome.invalid {
        eprintln!(
            "{}:{} {}: not checked: {}",
            bad.source, bad.line, bad.column, bad.reason
        );
    }
    println!(
        "{} rows, {} numbers checked, {} possible matches (snapshot #{}, key {})",
        outcome.rows,
        outcome.checked,
        outcome.matches.len(),
        list.facts().sequence,
        list.key_id()
    );
    Ok(())
}
