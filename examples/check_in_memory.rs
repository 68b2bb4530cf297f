//! A checker with no file system of its own to verify from: the manifest,
//! the snapshot and their signatures arrive as bytes (fetched by the
//! caller's own HTTP client, a message queue, a wasm page's `fetch`), are
//! verified in memory with `hushlist::List::from_bytes`, and numbers are
//! checked against them. Here the bytes are read from a published directory
//! to stand in for the download.
//!
//! ```sh
//! cargo run --example check_in_memory -- fixtures/keys/demo-TEST-ONLY.pub \
//!     fixtures/demo-published US "(313) 555-0142" "+44 20 7946 0958"
//! ```

use hushlist::format::time;
use hushlist::{published, CheckOptions, Files, Keyring, List, Outcome, Policy, Region};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, dir, region, numbers @ ..] = &args[..] else {
        eprintln!("usage: check_in_memory PUBLIC_KEY PUBLISHED_DIR REGION NUMBER...");
        std::process::exit(2);
    };
    let outcome = check(Path::new(key), Path::new(dir), region, numbers)?;
    println!(
        "{} numbers checked, {} possible matches",
        outcome.checked,
        outcome.matches.len()
    );
    for finding in &outcome.matches {
        println!("possible match: {}", finding.e164);
    }
    Ok(())
}

/// Fetches the publication's files (here: reads them), verifies them in
/// memory against the pinned key, and checks `numbers`.
pub fn check(
    key: &Path,
    dir: &Path,
    region: &str,
    numbers: &[String],
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let fetch = |name: &str| std::fs::read(dir.join(name));
    let text = |name: &str| -> std::io::Result<String> {
        String::from_utf8(fetch(name)?).map_err(std::io::Error::other)
    };
    let manifest = fetch("manifest.json")?;
    // Which snapshot to fetch is the manifest's to say; `from_bytes` then
    // verifies that the manifest is signed and names exactly these bytes.
    let named: serde_json::Value = serde_json::from_slice(&manifest)?;
    let snapshot_name = named["snapshot"]["file"]
        .as_str()
        .filter(|name| !name.contains(['/', '\\']))
        .ok_or("the manifest names no snapshot file")?;
    let files = Files {
        manifest_signature: text("manifest.json.minisig")?,
        manifest,
        snapshot: fetch(snapshot_name)?,
        snapshot_signature: text(&format!("{snapshot_name}.minisig"))?,
        rotations: Vec::new(),
    };
    let keys = Keyring::pinned(published::read_public_key(key)?);
    let list = List::from_bytes(files, &keys, Policy::at(time::now()))?;
    let options = CheckOptions::default().with_regions([Region::parse(region)?]);
    Ok(list.check_numbers(numbers, &options)?)
}
