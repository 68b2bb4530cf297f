//! The examples are programs a user copies: each is run here on the demo
//! fixtures, so one that no longer works fails the tests.

#[path = "../examples/check_in_memory.rs"]
#[allow(dead_code)]
mod check_in_memory;
#[path = "../examples/cron_publish.rs"]
#[allow(dead_code)]
mod cron_publish;

use hushlist::format::number_key::Kdf;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The demo key with the mode a secret key must have (git keeps no 0600).
fn demo_secret_key(dir: &Path) -> PathBuf {
    let key = dir.join("demo.key");
    std::fs::copy(fixtures().join("keys/demo-TEST-ONLY.key"), &key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    key
}

#[test]
fn the_in_memory_checker_verifies_bytes_and_finds_the_listed_number() {
    let numbers = ["(313) 555-0142".to_string(), "(313) 555-0199".to_string()];
    let outcome = check_in_memory::check(
        &fixtures().join("keys/demo-TEST-ONLY.pub"),
        &fixtures().join("demo-published"),
        "US",
        &numbers,
    )
    .expect("the demo publication verifies from memory");
    assert_eq!(outcome.checked, 2);
    let hits: Vec<&str> = outcome.matches.iter().map(|f| f.e164.as_str()).collect();
    assert_eq!(hits, ["+13135550142"]);
}

#[test]
fn the_in_memory_checker_refuses_bytes_signed_by_another_key() {
    let error = check_in_memory::check(
        &fixtures().join("vectors/test-vector-key.pub"),
        &fixtures().join("demo-published"),
        "US",
        &["(313) 555-0142".to_string()],
    )
    .expect_err("another key's publication is refused");
    assert!(error.to_string().contains("signature"), "{error}");
}

/// The cron job publishes twice into a new directory (the second chains to
/// the first), and the in-memory checker finds a listed number in it. BLAKE3
/// instead of the example's Argon2id keeps the run short; the steps are the same.
#[test]
fn the_cron_publisher_chains_snapshots_that_the_checker_reads() {
    let dir = tempfile::tempdir().unwrap();
    let key = demo_secret_key(dir.path());
    let site = dir.path().join("site");
    let list = fixtures().join("demo-list.csv");
    for _ in 0..2 {
        cron_publish::publish(&key, list.to_str().unwrap(), "US", &site, Kdf::Blake3)
            .expect("the example publishes");
    }
    let manifest = std::fs::read_to_string(site.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"sequence\": 2"), "{manifest}");
    let outcome = check_in_memory::check(
        &fixtures().join("keys/demo-TEST-ONLY.pub"),
        &site,
        "US",
        &["313.555.0142".to_string()],
    )
    .unwrap();
    assert_eq!(outcome.matches.len(), 1, "{:?}", outcome.matches);
}
