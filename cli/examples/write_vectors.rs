//! Writes the format test vectors into a directory (used by
//! tools/regen-fixtures.sh). An example, not a program: it is never installed.

#[path = "../tests/support/refusal_cases.rs"]
mod refusal_cases;
#[path = "../tests/support/vectors.rs"]
mod vectors;

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let arg = std::env::args().nth(1);
    if arg.as_deref().is_some_and(|a| a.starts_with('-')) {
        // Never mistake a flag such as --help for a directory to write into.
        println!("usage: write_vectors [DIR]   (default fixtures/vectors)");
        return Ok(());
    }
    let dir = PathBuf::from(arg.unwrap_or_else(|| "fixtures/vectors".into()));
    std::fs::create_dir_all(&dir)?;
    let mut json = serde_json::to_string_pretty(&vectors::compute()).expect("serializes");
    json.push('\n');
    std::fs::write(dir.join("vectors.json"), json)?;
    let publication = vectors::snapshot_publication();
    std::fs::write(dir.join("snapshot-vector.hushlist"), &publication.snapshot)?;
    std::fs::write(
        dir.join("snapshot-vector.hushlist.minisig"),
        &publication.snapshot_signature,
    )?;
    let sealed = vectors::sealed_snapshot_publication();
    std::fs::write(
        dir.join("sealed-snapshot-vector.hushlist"),
        &sealed.snapshot,
    )?;
    std::fs::write(
        dir.join("sealed-snapshot-vector.hushlist.minisig"),
        &sealed.snapshot_signature,
    )?;
    std::fs::write(
        dir.join("test-vector-key.pub"),
        vectors::test_key().public_key().to_file_text(),
    )?;
    for case in refusal_cases::cases() {
        case.write(&dir.join("refusals"))?;
    }
    println!("wrote vectors to {}", dir.display());
    Ok(())
}
