//! Replays every committed fuzz input (`fuzz/seeds/TARGET/`, the seed corpora
//! taken from fixtures, and `fuzz/regressions/TARGET/`, inputs that once broke
//! a property) through the fuzz targets' own functions, on stable Rust, so a
//! regression is caught by `cargo test` without nightly or cargo-fuzz.

use crate::targets;

use std::path::PathBuf;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn every_committed_fuzz_input_still_passes_its_target() {
    let mut replayed = 0;
    for (name, target) in targets::TARGETS {
        let mut seeds = 0;
        for kind in ["seeds", "regressions"] {
            let dir = fuzz_dir().join(kind).join(name);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} fails", path.display());
                seeds += 1;
            }
        }
        assert!(seeds > 0, "fuzz target {name} has no committed input");
        replayed += seeds;
    }
    println!("replayed {replayed} inputs");
}

#[test]
fn every_fuzz_binary_is_listed() {
    let listed: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let binaries = manifest.matches("[[bin]]").count();
    assert_eq!(
        binaries,
        listed.len(),
        "fuzz/Cargo.toml and targets.rs differ"
    );
    for name in listed {
        assert!(
            fuzz_dir().join(format!("fuzz_targets/{name}.rs")).exists(),
            "no fuzz_targets/{name}.rs"
        );
    }
}

/// The encrypted key in the regressions was made with Python's own scrypt
/// (hashlib) from the demo TEST key, N, r, p worked out by hand from the
/// stored limits: decrypting it checks libsodium's parameter rule and the
/// format against an independent implementation.
#[test]
fn independently_encrypted_key_decrypts() {
    use hushlist::format::signature::{PublicKey, SecretKeyFile};
    let text = std::fs::read_to_string(
        fuzz_dir().join("regressions/key_files/encrypted-cheap-TEST-ONLY.key"),
    )
    .unwrap();
    let SecretKeyFile::Encrypted(encrypted) = SecretKeyFile::parse(&text).unwrap() else {
        panic!("read as unencrypted");
    };
    let key = encrypted.decrypt(b"TEST-ONLY passphrase").unwrap();
    let public = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keys/demo-TEST-ONLY.pub"),
    )
    .unwrap();
    assert_eq!(key.public_key(), PublicKey::from_text(&public).unwrap());
    assert!(encrypted.decrypt(b"TEST-ONLY passphrasf").is_err());
}
