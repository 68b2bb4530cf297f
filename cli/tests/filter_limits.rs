//! The filter judged by its bits through the real binary: the exact over-fill
//! boundary, the client's configurable maximum, entries that cannot have set
//! the bits, and the largest filter held in memory once (refused with a
//! message, not aborted, when memory runs out).

use crate::common::*;
use hushlist::format::filter::{self, Filter, SECTION_HEADER_LEN};
use hushlist::format::number_key::Kdf;
use hushlist::format::snapshot::Snapshot;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams, SaltEpoch};

/// Publishes into `pub/` a signed snapshot whose filter has `bytes` bytes of
/// bits, `hashes` hash functions, and the bits set that `fill` sets.
fn publish_filter(lab: &Lab, bytes: usize, hashes: u32, entries: u64, fill: impl Fn(&mut [u8])) {
    let now = hushlist::format::time::now();
    let params = BuildParams {
        sequence: 1,
        created: now,
        expires: now + 86_400,
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt: [0x44; 32],
        fp_rate: 1e-6,
        epoch: SaltEpoch::starting(now, 86_400, Kdf::Blake3, [0x45; 32]),
        contact: Default::default(),
        sealing: None,
    };
    let mut snapshot: Snapshot = build_snapshot(&["+13135550101".to_string()], &params).unwrap();
    let mut section = vec![0u8; SECTION_HEADER_LEN + bytes];
    section[0] = 1;
    section[1..9].copy_from_slice(&(bytes as u64).to_le_bytes());
    section[9..13].copy_from_slice(&hashes.to_le_bytes());
    section[13..45].copy_from_slice(&filter::seed_from_salt(&params.salt));
    fill(&mut section[SECTION_HEADER_LEN..]);
    snapshot.filter = Filter::from_section_vec(section).unwrap();
    snapshot.header.entries = entries;
    let key = hushlist::published::read_secret_key(&lab.key()).unwrap();
    let _ = std::fs::remove_dir_all(lab.path("pub"));
    hushlist::published::write_publication(&lab.path("pub"), &sign_publication(&snapshot, &key))
        .unwrap();
}

/// Sets the first `ones` bits.
fn first_bits(ones: usize) -> impl Fn(&mut [u8]) {
    move |bits: &mut [u8]| {
        for i in 0..ones {
            bits[i / 8] |= 1 << (i % 8);
        }
    }
}

#[test]
fn the_over_fill_boundary_is_exact_and_the_maximum_configurable() {
    let lab = Lab::new();
    // m = 1000 bits, k = 4: 100 bits set is exactly (1/10)^4 = 1e-4, the
    // default maximum (binary floating point would say 1.0000000000000005e-4).
    publish_filter(&lab, 125, 4, 30, first_bits(100));
    lab.verify("pub", &[]).expect(0);
    let r = lab.verify("pub", &["--max-fp-rate", "9.9e-5"]).expect(1);
    assert!(
        r.stderr.contains("above this client's maximum of 9.9e-5"),
        "{}",
        r.stderr
    );
    let r = run_full(
        &hushlist(),
        &["verify", "--key", s(&lab.public()), s(&lab.path("pub"))],
        &[("HUSHLIST_MAX_FP_RATE", "1e-5")],
        "",
    )
    .expect(1);
    assert!(r.stderr.contains("filter over-filled"), "{}", r.stderr);

    // One bit more: refused at the default, accepted when the client allows more.
    publish_filter(&lab, 125, 4, 30, first_bits(101));
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr
            .contains("filter over-filled: 101 of 1000 bits set with 4 hashes"),
        "{}",
        r.stderr
    );
    lab.verify("pub", &["--max-fp-rate", "2e-4"]).expect(0);
    let r = lab.verify("pub", &["--max-fp-rate", "0.02"]).expect(2);
    assert!(
        r.stderr.contains("above the ceiling of 1e-2"),
        "{}",
        r.stderr
    );
}

#[test]
fn declared_entries_must_be_able_to_set_the_bits() {
    let lab = Lab::new();
    // 100 bits, k = 4: between 25 and 50 entries could have set them.
    for (entries, ok) in [
        (25, true),
        (50, true),
        (24, false),
        (51, false),
        (1 << 40, false),
    ] {
        publish_filter(&lab, 125, 4, entries, first_bits(100));
        if ok {
            lab.verify("pub", &[]).expect(0);
        } else {
            let r = lab.verify("pub", &[]).expect(1);
            assert!(
                r.stderr.contains(&format!(
                    "{entries} entries with 4 hashes cannot set 100 bits"
                )),
                "{entries}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn the_largest_filter_is_held_once_and_memory_shortage_is_a_message() {
    let lab = Lab::new();
    // 48 MiB of bits, half of them set, k = 40: a valid, signed snapshot.
    let bytes = 48 << 20;
    let ones = bytes as u64 * 4;
    publish_filter(&lab, bytes, 40, ones / 40 + 1, |bits| bits.fill(0x55));
    let key = lab.public();
    let verify = |limit_mib: u64, extra: &[&str]| {
        let limit = format!("--as={}", limit_mib << 20);
        let hushlist = hushlist();
        let mut args = vec![limit.as_str(), s(&hushlist), "verify", "--key", s(&key)];
        args.extend_from_slice(extra);
        let dir = lab.path("pub");
        args.push(s(&dir));
        run_program("prlimit", &args)
    };
    // Over the default limit of 64 MiB? No: 48 MiB is accepted by default.
    // Held once it fits in 96 MiB of address space (about 16 MiB for the
    // program itself); held twice it would need about 112 MiB.
    verify(96, &[]).expect(0);
    // Far too little memory: a refusal that says so, not an abort.
    let r = verify(40, &[]).expect(2);
    assert!(
        r.stderr.contains("not enough memory to read its"),
        "{}",
        r.stderr
    );
    // Above the client's limit: refused before reading, with what to do.
    let r = verify(96, &["--max-snapshot-mib", "32"]).expect(2);
    assert!(
        r.stderr.contains("limit of 33554432 bytes for a snapshot")
            && r.stderr.contains("--max-snapshot-mib"),
        "{}",
        r.stderr
    );
}

/// `update`/`import` and `audit` apply the same maximum as `verify`: a client
/// that allows a fuller filter can install and audit it, and one that does not
/// refuses it everywhere.
#[test]
fn import_and_audit_apply_the_clients_maximum() {
    let lab = Lab::new();
    publish_filter(&lab, 125, 4, 30, first_bits(101));
    let (key, site) = (lab.public(), lab.path("pub"));
    let state = lab.path("state");
    let client = |args: &[&str]| {
        let mut all = vec!["--state-dir", s(&state)];
        all.extend_from_slice(args);
        run(&hushlist(), &all)
    };
    client(&["init", "--key", s(&key)]).expect(0);
    let r = client(&["import", s(&site)]).expect(1);
    assert!(r.stderr.contains("filter over-filled"), "{}", r.stderr);
    client(&["status"]).expect(0);
    client(&["--max-fp-rate", "2e-4", "import", s(&site)]).expect(0);

    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "--key", s(&key), s(&site)];
        args.extend_from_slice(extra);
        run(&hushlist(), &args)
    };
    let r = audit(&[]).expect(1);
    assert!(r.stdout.contains("over-filled"), "{}", r.stdout);
    audit(&["--max-fp-rate", "2e-4"]).expect(0);
}

/// FORMAT.md's largest snapshot counts the 1,708-byte contact: a manifest
/// naming a snapshot of that size is judged by the client's own limit (and
/// then by the size binding), never refused as larger than the format allows.
#[test]
fn a_manifest_naming_the_largest_snapshot_the_format_allows_is_not_refused_for_it() {
    use hushlist::format::comment::{FileKind, SignedFacts};
    use hushlist::format::manifest::{Manifest, SnapshotRef, MANIFEST_TYPE, MANIFEST_VERSION};
    use hushlist::format::time::rfc3339;
    use hushlist::verify::MAX_SNAPSHOT_LEN;
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let site = lab.path("pub");
    let old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("manifest.json")).unwrap())
            .unwrap();
    let key = hushlist::published::read_secret_key(&lab.key()).unwrap();
    let now = hushlist::format::time::now();
    let json = Manifest {
        kind: MANIFEST_TYPE.into(),
        version: MANIFEST_VERSION,
        sequence: 1,
        created: rfc3339(now - 60),
        expires: rfc3339(now + 86_400),
        key_id: key.id().to_string(),
        snapshot: SnapshotRef {
            file: old["snapshot"]["file"].as_str().unwrap().into(),
            size: MAX_SNAPSHOT_LEN,
            blake3: old["snapshot"]["blake3"].as_str().unwrap().into(),
        },
    }
    .to_json();
    let facts = SignedFacts {
        kind: FileKind::Manifest,
        sequence: 1,
        created: now - 60,
        expires: now + 86_400,
        blake3: *blake3::hash(&json).as_bytes(),
    };
    std::fs::write(site.join("manifest.json"), &json).unwrap();
    std::fs::write(
        site.join("manifest.json.minisig"),
        key.sign(&json, &facts.to_comment()).to_text(),
    )
    .unwrap();
    let r = lab.verify("pub", &[]).expect(2);
    assert!(
        !r.stderr.contains("larger than any snapshot") && r.stderr.contains("client's limit"),
        "{}",
        r.stderr
    );
    let r = lab.verify("pub", &["--max-snapshot-mib", "1025"]).expect(1);
    assert!(r.stderr.contains("mix-and-match: size"), "{}", r.stderr);
}
