//! Test vectors that pin the format: normalization, number keys, filter bits,
//! signatures and a complete snapshot. `tools/regen-fixtures.sh` writes them to
//! `fixtures/vectors/` (with the `write_vectors` example); a test recomputes
//! them and fails on any drift, so an upgrade of a crate that changes a single
//! bit is caught. FORMAT.md walks
//! through them.

use hushlist::format::filter::{self, Filter, MaxFpRate};
use hushlist::format::normalize::{normalize, Region};
use hushlist::format::number_key::{Kdf, NumberHasher};
use hushlist::format::signature::{KeyId, SecretKey};
use hushlist::format::snapshot::Contact;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams, Publication, SaltEpoch};
use serde_json::{json, Value};

/// Seed of the vectors' signing key. A TEST key: it signs nothing but vectors.
pub const TEST_KEY_SEED: [u8; 32] = [0x42; 32];
/// Key id of the vectors' signing key.
pub const TEST_KEY_ID: [u8; 8] = *b"TESTONLY";
/// Salt used by the number-key vectors: bytes 0x00..=0x1f.
pub fn salt() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}
/// The next epoch's salt in the snapshot vector: bytes 0x20..=0x3f.
pub fn next_salt() -> [u8; 32] {
    std::array::from_fn(|i| 0x20 + i as u8)
}
/// Filter seed of the vectors: derived from the salt (FORMAT.md section 4).
pub fn filter_seed() -> [u8; 32] {
    filter::seed_from_salt(&salt())
}

/// The contact signed into the snapshot vector (fictional).
pub fn contact() -> Contact {
    Contact {
        name: "Example Helpline (TEST VECTOR)".into(),
        contact: "confirm@example.org".into(),
        confirm_url: "https://example.org/confirm".into(),
        confirm_text: "Send the number and the snapshot date; we answer within one working day."
            .into(),
    }
}

/// Over-fill boundary cases: (bits set, bits, hashes, maximum rate).
const OVER_FILL_CASES: &[(u64, u64, u32, &str)] = &[
    (1, 10_000, 1, "1e-4"),
    (2, 10_000, 1, "1e-4"),
    (100, 1000, 4, "1e-4"),
    (101, 1000, 4, "1e-4"),
    (1, 100, 1, "1e-2"),
    (2, 100, 1, "1e-2"),
    (28_760, 57_520, 40, "1e-4"),
    (57_520, 57_520, 1, "1e-2"),
];

/// Entry-consistency cases: (entries, bits set, hashes).
const CONSISTENCY_CASES: &[(u64, u64, u32)] =
    &[(3, 120, 40), (3, 121, 40), (3, 60, 40), (3, 59, 40)];

/// The vectors' signing key.
pub fn test_key() -> SecretKey {
    SecretKey::from_seed(&TEST_KEY_SEED, KeyId(TEST_KEY_ID))
}

const NORMALIZATION_CASES: &[(&str, Option<&str>)] = &[
    ("(313) 555-0101", Some("US")),
    ("+1 313 555 0101", None),
    ("tel:+1-313-555-0101;ext=7", None),
    ("313.555.0101 x42", Some("US")),
    ("011 44 20 7946 0958", Some("US")),
    ("+44 (0)20 7946 0958", None),
    ("020 7946 0958", Some("GB")),
    ("00 49 30 901820", Some("DE")),
    ("３１３５５５０１０１", Some("US")),
    ("313 555 0101", None),
    ("555 0101", Some("US")),
    ("not a number", Some("US")),
];

/// Ed25519 seed of the sealed vectors' OPRF key file (a TEST key).
pub const TEST_OPRF_KEY_SEED: [u8; 32] = [0x44; 32];
/// The sealed vectors' fixed blinds (scalars, little endian), one per number.
/// A client draws fresh ones for every request.
pub fn test_blinds() -> [[u8; 32]; 3] {
    [[0x05; 32], [0x06; 32], [0x07; 32]].map(|mut b| {
        b[31] = 0; // below the group order: a canonical scalar
        b
    })
}
/// The sealed snapshot vector's evaluation URL.
pub const TEST_EVALUATION_URL: &str = "https://example.org/evaluate";

/// The OPRF seed of the sealed vectors, from the TEST OPRF key file's seed.
pub fn oprf_seed() -> hushlist::format::sealed::OprfSeed {
    let key = SecretKey::from_seed(&TEST_OPRF_KEY_SEED, KeyId(*b"TESTOPRF"));
    hushlist::format::sealed::OprfSeed::from_key_file(&key)
}

/// The sealed public key of the epoch whose salt is `salt`.
pub fn sealed_kdf(salt: &[u8; 32]) -> Kdf {
    Kdf::Voprf {
        public_key: oprf_seed().epoch_key(salt).public_key(),
    }
}

/// The deterministic sealed snapshot vector (format version 3): the same
/// numbers, salt and times as the BLAKE3 vector, both epochs sealed.
pub fn sealed_snapshot_publication() -> Publication {
    let numbers: Vec<String> = SNAPSHOT_NUMBERS.iter().map(|s| s.to_string()).collect();
    let params = BuildParams {
        sequence: 1,
        created: 1_800_000_000,
        expires: 4_102_444_800,
        previous: [0; 32],
        kdf: sealed_kdf(&salt()),
        salt: salt(),
        fp_rate: filter::DEFAULT_FP_RATE,
        epoch: SaltEpoch::starting(
            1_800_000_000,
            30 * 86_400,
            sealed_kdf(&next_salt()),
            next_salt(),
        ),
        contact: contact(),
        sealing: Some(hushlist::publish::Sealing {
            seed: oprf_seed(),
            evaluation_url: TEST_EVALUATION_URL.into(),
        }),
    };
    let snapshot = build_snapshot(&numbers, &params).expect("vector parameters are valid");
    sign_publication(&snapshot, &test_key())
}

/// The sealed vectors: key derivation, blinding, one batched evaluation with
/// its proof, finalization, number keys and filter items.
fn sealed_vectors() -> Value {
    use hushlist::format::sealed::{self, Blinded};
    let numbers: Vec<String> = SNAPSHOT_NUMBERS.iter().map(|s| s.to_string()).collect();
    let key = oprf_seed().epoch_key(&salt());
    let blinds = test_blinds();
    let blinded = Blinded::with_blinds(&numbers, &blinds).expect("valid blinds");
    let (evaluated, proof) = key
        .evaluate_for_vectors(&blinded.elements, &[0x55; 32])
        .expect("valid elements");
    let public_key = key.public_key();
    let keys = blinded
        .finalize(&evaluated, &proof, &public_key, &salt())
        .expect("the vector's own proof verifies");
    let mut info = sealed::EPOCH_KEY_INFO.to_vec();
    info.extend_from_slice(&salt());
    let items: Vec<Value> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            assert_eq!(keys[i], key.number_key(&salt(), n), "blinded = direct");
            json!({
                "e164": n,
                "input": hex::encode(sealed::oprf_input(n)),
                "blind": hex::encode(blinds[i]),
                "blinded": hex::encode(blinded.elements[i]),
                "evaluated": hex::encode(evaluated[i]),
                "output": hex::encode(key.output(n)),
                "key": hex::encode(keys[i]),
                "filter_item": filter::item(&keys[i]).to_string(),
            })
        })
        .collect();
    let publication = sealed_snapshot_publication();
    let header_len = hushlist::format::snapshot::HEADER_LEN;
    let contact_len = u16::from_le_bytes([publication.snapshot[216], publication.snapshot[217]]);
    let block_start = header_len + usize::from(contact_len);
    let block_len = 66 + TEST_EVALUATION_URL.len();
    json!({
        "suite": "ristretto255-SHA512",
        "mode": "VOPRF (0x01)",
        "oprf_key_file_ed25519_seed": hex::encode(TEST_OPRF_KEY_SEED),
        "oprf_seed": hex::encode(blake3::derive_key(sealed::OPRF_SEED_CONTEXT, &TEST_OPRF_KEY_SEED)),
        "salt": hex::encode(salt()),
        "derive_key_pair_info": hex::encode(&info),
        "public_key": hex::encode(public_key),
        "next_salt": hex::encode(next_salt()),
        "next_public_key": hex::encode(oprf_seed().epoch_key(&next_salt()).public_key()),
        "numbers": items,
        "proof": hex::encode(proof),
        "snapshot": {
            "file": "sealed-snapshot-vector.hushlist",
            "size": publication.snapshot.len(),
            "blake3": hex::encode(blake3::hash(&publication.snapshot).as_bytes()),
            "header_hex": hex::encode(&publication.snapshot[..header_len]),
            "sealed_block_hex": hex::encode(&publication.snapshot[block_start..block_start + block_len]),
            "minisig": publication.snapshot_signature,
        },
    })
}

/// The numbers of the snapshot vector.
pub const SNAPSHOT_NUMBERS: [&str; 3] = ["+13135550101", "+13135550142", "+442079460958"];

/// The deterministic snapshot vector (BLAKE3 mode, fixed salt, seed and times).
pub fn snapshot_publication() -> Publication {
    let numbers: Vec<String> = SNAPSHOT_NUMBERS.iter().map(|s| s.to_string()).collect();
    let params = BuildParams {
        sequence: 1,
        created: 1_800_000_000,
        expires: 4_102_444_800, // 2100-01-01
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt: salt(),
        fp_rate: filter::DEFAULT_FP_RATE,
        epoch: SaltEpoch::starting(1_800_000_000, 30 * 86_400, Kdf::default(), next_salt()),
        contact: contact(),
        sealing: None,
    };
    let snapshot = build_snapshot(&numbers, &params).expect("vector parameters are valid");
    sign_publication(&snapshot, &test_key())
}

/// Computes every vector.
pub fn compute() -> Value {
    let normalization: Vec<Value> = NORMALIZATION_CASES
        .iter()
        .map(|&(input, region)| {
            let r = region.map(|c| Region::parse(c).expect("known region"));
            match normalize(input, r) {
                Ok(e164) => json!({"input": input, "region": region, "e164": e164}),
                Err(e) => json!({"input": input, "region": region, "error": e.to_string()}),
            }
        })
        .collect();

    let kdfs = [
        Kdf::Blake3,
        Kdf::Argon2id {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        Kdf::default(),
    ];
    let number_keys: Vec<Value> = kdfs
        .iter()
        .flat_map(|&kdf| {
            let hasher = NumberHasher::new(kdf, salt()).expect("valid");
            SNAPSHOT_NUMBERS.iter().map(move |&n| {
                let key = hasher.key(n);
                let params = match kdf {
                    Kdf::Argon2id { m_kib, t, p } => {
                        json!({"memory_kib": m_kib, "passes": t, "lanes": p})
                    }
                    Kdf::Blake3 => json!({}),
                    Kdf::Voprf { .. } => unreachable!("sealed keys have vectors of their own"),
                };
                json!({
                    "kdf": kdf.name(), "params": params, "salt": hex::encode(salt()), "e164": n,
                    "key": hex::encode(key), "filter_item": filter::item(&key).to_string(),
                })
            })
        })
        .collect();

    let mut bloom = Filter::new(
        SNAPSHOT_NUMBERS.len() as u64,
        filter::DEFAULT_FP_RATE,
        &filter_seed(),
    )
    .expect("valid");
    let hasher = NumberHasher::new(Kdf::Blake3, salt()).expect("valid");
    let filter_items: Vec<Value> = SNAPSHOT_NUMBERS
        .iter()
        .map(|n| {
            let key = hasher.key(n);
            bloom.insert(&key);
            json!({"e164": n, "item": filter::item(&key).to_string(), "positions": bloom.bit_positions(&key)})
        })
        .collect();

    let over_fill: Vec<Value> = OVER_FILL_CASES
        .iter()
        .map(|&(ones, bits, hashes, max)| {
            let rate: MaxFpRate = max.parse().expect("valid rate");
            json!({"bits_set": ones, "bits": bits, "hashes": hashes, "max_fp_rate": max,
                   "refused": rate.exceeded_by(ones, bits, hashes)})
        })
        .collect();
    let consistency: Vec<Value> = CONSISTENCY_CASES
        .iter()
        .map(|&(entries, ones, hashes)| {
            json!({"entries": entries, "bits_set": ones, "hashes": hashes,
                   "consistent": filter::entries_consistent(entries, ones, hashes)})
        })
        .collect();

    let message = b"hushlist signature test vector\n";
    let key = test_key();
    let publication = snapshot_publication();
    json!({
        "about": "hushlist format v2 and v3 test vectors; see FORMAT.md. Regenerate with tools/regen-fixtures.sh",
        "normalization": normalization,
        "number_keys": number_keys,
        "seed_derivation": {
            "domain": filter::SEED_DOMAIN,
            "salt": hex::encode(salt()),
            "seed": hex::encode(filter_seed()),
        },
        "over_fill": over_fill,
        "entries_consistency": consistency,
        "filter": {
            "seed": hex::encode(filter_seed()),
            "entries": SNAPSHOT_NUMBERS.len(),
            "fp_rate": filter::DEFAULT_FP_RATE,
            "bits": bloom.bits(),
            "hashes": bloom.hashes(),
            "items": filter_items,
            "section_blake3": hex::encode(blake3::hash(bloom.as_section()).as_bytes()),
        },
        "signature": {
            "ed25519_seed": hex::encode(TEST_KEY_SEED),
            "key_id": key.id().to_string(),
            "public_key": key.public_key().to_base64(),
            "message": String::from_utf8_lossy(message),
            "trusted_comment": "hushlist test vector",
            "minisig": key.sign(message, "hushlist test vector").to_text(),
        },
        "snapshot": {
            "file": "snapshot-vector.hushlist",
            "numbers": SNAPSHOT_NUMBERS,
            "size": publication.snapshot.len(),
            "blake3": hex::encode(blake3::hash(&publication.snapshot).as_bytes()),
            "header_hex": hex::encode(&publication.snapshot[..hushlist::format::snapshot::HEADER_LEN]),
            "minisig": publication.snapshot_signature,
        },
        "sealed": sealed_vectors(),
    })
}
