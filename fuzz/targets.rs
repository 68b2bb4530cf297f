//! One function per fuzz target: each parses arbitrary bytes and panics only
//! when a property breaks (a crash, a parse that does not survive its own
//! output, a signed file that does not verify). Shared by the cargo-fuzz
//! binaries (`fuzz/fuzz_targets/`) and by the stable replay test
//! (`cli/tests/fuzz_corpus.rs`), so every committed input stays checked on
//! stable Rust. Whoever includes this file declares `mod config` (the CLI's
//! `cli/src/config.rs`) beside it.

use hushlist::check::input::{ColumnSpec, InputOptions, RowReader};
use hushlist::check::Checker;
use hushlist::client::state::{Config as StateConfig, Status};
use hushlist::format::comment::{FileKind, SignedFacts};
use hushlist::format::filter::Filter;
use hushlist::format::manifest::Manifest;
use hushlist::format::normalize::{normalize as normalize_number, Region};
use hushlist::format::number_key::Kdf;
use hushlist::format::rotation::RotationStatement;
use hushlist::format::signature::{
    KeyId, PublicKey, SecretKey, SecretKeyFile, SignatureFile, MAX_SIGNATURE_FILE_LEN,
};
use hushlist::format::snapshot::Snapshot;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams};
use hushlist::verify::{self, Keyring, Policy};

/// A target's body: panics when a property breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("snapshot", snapshot),
    ("minisig", minisig),
    ("key_files", key_files),
    ("manifest", manifest),
    ("rotation", rotation),
    ("status", status),
    ("config", config),
    ("csv", csv),
    ("normalize", normalize),
    ("sign_verify", sign_verify),
];

/// A TEST-ONLY key, derived from a constant: it signs fuzz inputs, nothing else.
fn test_key() -> SecretKey {
    SecretKey::from_seed(&[0x5e; 32], KeyId(*b"FUZZTEST"))
}

/// 2026-01-01T00:00:00Z: a fixed clock, so a replayed input behaves the same.
const NOW: i64 = 1_767_225_600;

fn policy() -> Policy {
    Policy::at(NOW)
}

/// Snapshot header and filter: a decoded snapshot re-encodes to the same bytes
/// (there is one encoding of each snapshot).
pub fn snapshot(data: &[u8]) {
    if let Ok(decoded) = Snapshot::decode(data) {
        assert!(decoded.encode() == data, "decoding is not canonical");
        // A lookup with the fast hash only: Argon2 at a fuzzed cost (up to
        // 1 GiB) would stall the fuzzer, and the hash is not a parser.
        if decoded.header.kdf == Kdf::Blake3 {
            if let Ok(mut checker) = Checker::new(&decoded) {
                let _ = checker.contains_e164("+13135550101");
            }
        }
    }
    if let Ok(filter) = Filter::from_section(data) {
        assert!(filter.as_section() == data, "filter section not canonical");
        let _ = filter.ones();
    }
}

/// `.minisig` files: what parses survives being written and parsed again.
pub fn minisig(data: &[u8]) {
    let Ok(sig) = SignatureFile::parse_bytes(data) else {
        return;
    };
    let text = sig.to_text();
    if text.len() <= MAX_SIGNATURE_FILE_LEN {
        let again = SignatureFile::parse(&text).expect("own output parses");
        assert_eq!(again, sig);
    }
    let _ = sig.verify(&test_key().public_key(), data);
}

/// Public and secret key files, and the client's `keyring.json`.
pub fn key_files(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(public) = PublicKey::from_text(text) {
            assert_eq!(
                PublicKey::from_text(&public.to_file_text()),
                Ok(public.clone())
            );
            assert_eq!(PublicKey::from_text(&public.to_base64()), Ok(public));
        }
        match SecretKeyFile::parse(text) {
            Ok(SecretKeyFile::Plain(key)) => {
                let again = SecretKey::from_file_text(&key.to_file_text()).expect("own output");
                assert_eq!(again.public_key(), key.public_key());
            }
            // Deriving at minisign's cost (1 GiB) would stall the fuzzer; cheap
            // settings still run the whole decryption.
            Ok(SecretKeyFile::Encrypted(encrypted))
                if encrypted.limits().scrypt_params().0 <= 10 =>
            {
                let _ = encrypted.decrypt(b"TEST-ONLY passphrase");
            }
            _ => {}
        }
    }
    if let Ok(ring) = Keyring::from_json(data) {
        let again = Keyring::from_json(&ring.to_json()).expect("own output parses");
        assert_eq!(again.keys(), ring.keys());
    }
}

/// The manifest, alone and signed by the pinned key (so verification runs
/// past the signature into the JSON).
pub fn manifest(data: &[u8]) {
    if let Ok(m) = Manifest::from_json(data) {
        assert_eq!(Manifest::from_json(&m.to_json()), Ok(m));
    }
    let sig = signed(FileKind::Manifest, data);
    let _ = verify::verify_manifest(
        data,
        &sig,
        &Keyring::pinned(test_key().public_key()),
        policy(),
    );
}

/// Rotation statements, alone and signed by the pinned key.
pub fn rotation(data: &[u8]) {
    let _ = serde_json::from_slice::<RotationStatement>(data);
    let sig = signed(FileKind::Rotation, data);
    let mut ring = Keyring::pinned(test_key().public_key());
    let _ = ring.apply(data, &sig);
}

fn signed(kind: FileKind, data: &[u8]) -> String {
    let facts = SignedFacts {
        kind,
        sequence: 1,
        created: NOW - 60,
        expires: if kind == FileKind::Rotation {
            NOW - 60
        } else {
            NOW + 86_400
        },
        blake3: blake3_of(data),
    };
    test_key().sign(data, &facts.to_comment()).to_text()
}

fn blake3_of(data: &[u8]) -> [u8; 32] {
    *blake3::hash(data).as_bytes()
}

/// The client's `status.json` and `config.json`: what parses survives a round trip.
pub fn status(data: &[u8]) {
    if let Ok(s) = serde_json::from_slice::<Status>(data) {
        let json = serde_json::to_vec(&s).expect("serializes");
        assert_eq!(serde_json::from_slice::<Status>(&json).ok(), Some(s));
    }
    if let Ok(c) = serde_json::from_slice::<StateConfig>(data) {
        let json = serde_json::to_vec(&c).expect("serializes");
        let again = serde_json::from_slice::<StateConfig>(&json).expect("own output parses");
        assert_eq!(serde_json::to_vec(&again).expect("serializes"), json);
    }
}

/// The CLI's configuration file.
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = toml::from_str::<crate::config::FileConfig>(text);
    }
}

/// CSV, TSV and plain-list input; the first byte picks the column options.
pub fn csv(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let columns = match choice % 4 {
        0 => vec![],
        1 => vec![ColumnSpec::parse("phone")],
        2 => vec![ColumnSpec::parse("2"), ColumnSpec::parse("Mobile")],
        _ => vec![ColumnSpec::parse("1")],
    };
    let region_column = (choice & 4 != 0).then(|| ColumnSpec::parse("region"));
    let options = InputOptions::default()
        .with_columns(columns)
        .with_region_column(region_column)
        .with_encoding((choice & 8 != 0).then(|| "windows-1252".to_string()))
        .with_also_columns((choice & 16 != 0).then(|| ColumnSpec::parse("Alternate No.")))
        .with_not_columns((choice & 32 != 0).then(|| ColumnSpec::parse("2")));
    let input = Box::new(std::io::Cursor::new(body.to_vec()));
    if let Ok(rows) = RowReader::new(input, &options) {
        // Every row holds at least one byte of input, so this bounds a loop.
        for row in rows.take(body.len() + 1) {
            if row.is_err() {
                break;
            }
        }
    }
}

/// Regions tried as the default region; the first byte picks one.
const REGIONS: &[Option<&str>] = &[
    None,
    Some("US"),
    Some("GB"),
    Some("DE"),
    Some("FR"),
    Some("SE"),
    Some("IN"),
    Some("BR"),
    Some("JP"),
    Some("AU"),
    Some("MX"),
    Some("IT"),
    Some("AR"),
    Some("CN"),
    Some("RU"),
    Some("NG"),
];

/// Normalization is idempotent: whatever normalizes, normalizes to itself,
/// with or without the default region.
pub fn normalize(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let code = REGIONS[choice as usize % REGIONS.len()];
    let region = code.map(|c| Region::parse(c).expect("known region"));
    if let Ok(once) = normalize_number(text, region) {
        for again in [region, None] {
            match normalize_number(&once, again) {
                Ok(twice) if twice == once => {}
                other => {
                    panic!("not idempotent: {text:?} (region {code:?}) -> {once:?} -> {other:?}")
                }
            }
        }
    }
}

/// End to end: numbers from the input are published (fast hash) and signed;
/// the snapshot and manifest verify, every number is found, and a flipped bit
/// anywhere in the snapshot is refused.
pub fn sign_verify(data: &[u8]) {
    let numbers: std::collections::BTreeSet<String> = String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| normalize_number(l, Some(Region::parse("US").expect("US"))).ok())
        .take(16)
        .collect();
    if numbers.is_empty() {
        return;
    }
    let numbers: Vec<String> = numbers.into_iter().collect();
    let digest = blake3_of(data);
    let params = BuildParams {
        sequence: 1 + u64::from(digest[0]),
        created: NOW - 60,
        expires: NOW + 86_400,
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt: digest,
        epoch: hushlist::publish::SaltEpoch::starting(NOW - 60, 86_400, Kdf::Blake3, [0xEE; 32]),
        contact: Default::default(),
        fp_rate: 1e-4,
        sealing: None,
    };
    let built = build_snapshot(&numbers, &params).expect("builds");
    let key = test_key();
    let publication = sign_publication(&built, &key);
    let keys = Keyring::pinned(key.public_key());
    let snap = match verify::verify_snapshot(
        &publication.snapshot,
        &publication.snapshot_signature,
        &keys,
        policy(),
    ) {
        Ok(snap) => snap,
        // A few entries whose double-hashed positions collide (about 1 salt
        // in 80,000 for one entry) set fewer bits than the entries rule asks:
        // clients refuse such a filter, and the publisher, which verifies
        // every publication as a client would before writing it, never
        // publishes one (tests/publisher.rs). Only that refusal is expected.
        Err(verify::VerifyError::EntriesInconsistent { entries, .. })
            if entries as usize == numbers.len() =>
        {
            return;
        }
        Err(e) => panic!("own snapshot verifies: {e:?}"),
    };
    let man = verify::verify_manifest(
        &publication.manifest,
        &publication.manifest_signature,
        &keys,
        policy(),
    )
    .expect("own manifest verifies");
    verify::check_binding(&man, &snap).expect("manifest names the snapshot");
    let mut checker = Checker::new(&snap.snapshot).expect("fast hash");
    for n in &numbers {
        let found = checker
            .contains_e164(n)
            .expect("a local hash needs no service");
        assert!(found, "{n} published but not found");
    }
    let mut tampered = publication.snapshot.clone();
    let bit = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    let at = (bit / 8 % tampered.len() as u64) as usize;
    tampered[at] ^= 1 << (bit % 8);
    assert!(
        verify::verify_snapshot(&tampered, &publication.snapshot_signature, &keys, policy())
            .is_err(),
        "a flipped bit at byte {at} was accepted"
    );
}
