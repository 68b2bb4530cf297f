//! `hushlist audit`: the whole history of a published directory.

use crate::common::*;
use hushlist::format::comment::{FileKind, SignedFacts};
use hushlist::format::snapshot::Snapshot;
use std::fs;

fn audit(lab: &Lab, key: &std::path::Path, extra: &[&str]) -> Run {
    lab.hushlist("audit")
        .arg("--key")
        .arg(key)
        .arg(lab.path("pub"))
        .args(extra)
        .run()
}

/// Three snapshots, a key rotation that revokes the first key, a fourth snapshot.
fn history() -> (Lab, std::path::PathBuf) {
    let lab = Lab::new();
    for n in ["313 555 0101\n", "313 555 0102\n", "313 555 0103\n"] {
        lab.publish("pub", n, &[]).expect(0);
    }
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0104\n", &["--kdf", "blake3"])
        .expect(0);
    (lab, new_key)
}

#[test]
fn a_clean_history_with_a_rotation_passes_and_names_its_head() {
    let (lab, _) = history();
    let r = audit(&lab, &lab.public(), &[]).expect(0);
    assert!(
        r.stdout
            .starts_with("CHAIN OK: 4 snapshot(s), 1 key rotation(s)"),
        "{}",
        r.stdout
    );
    let v: serde_json::Value = serde_json::from_str(
        &audit(&lab, &lab.public(), &["--format", "json"])
            .expect(0)
            .stdout,
    )
    .unwrap();
    assert_eq!(v["passed"], true);
    let verified: serde_json::Value =
        serde_json::from_str(&lab.verify("pub", &["--format", "json"]).expect(0).stdout).unwrap();
    assert_eq!(v["head"][0], 4);
    assert_eq!(
        v["head"][1], verified["blake3"],
        "two auditors compare heads"
    );
}

#[test]
fn a_rewritten_snapshot_breaks_the_chain() {
    let (lab, _) = history();
    // A validly signed replacement for #2 (same key, same sequence, other content).
    lab.publish("alt", "313 555 0101\n", &[]).expect(0);
    lab.publish("alt", "313 555 0199\n", &[]).expect(0);
    for suffix in ["", ".minisig"] {
        let name = format!("snapshot-00000002.hushlist{suffix}");
        fs::copy(
            lab.path(&format!("alt/{name}")),
            lab.path(&format!("pub/{name}")),
        )
        .unwrap();
    }
    let r = audit(&lab, &lab.public(), &[]).expect(1);
    assert!(
        r.stdout.starts_with("CHAIN BROKEN") && r.stdout.contains("is not #2's"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_missing_snapshot_and_a_stale_manifest_are_found() {
    let (lab, _) = history();
    fs::copy(lab.path("pub/manifest.json"), lab.path("m")).unwrap();
    fs::copy(lab.path("pub/manifest.json.minisig"), lab.path("m.sig")).unwrap();
    fs::remove_file(lab.path("pub/snapshot-00000002.hushlist")).unwrap();
    let r = audit(&lab, &lab.public(), &[]).expect(1);
    assert!(
        r.stdout.contains("snapshots #2 to #2 are missing"),
        "{}",
        r.stdout
    );

    let (lab, new_key) = history();
    let old_manifest = (lab.path("m"), lab.path("m.sig"));
    fs::copy(lab.path("pub/manifest.json"), &old_manifest.0).unwrap();
    fs::copy(lab.path("pub/manifest.json.minisig"), &old_manifest.1).unwrap();
    lab.build(&new_key, "pub", "313 555 0105\n", &["--kdf", "blake3"])
        .expect(0);
    fs::copy(&old_manifest.0, lab.path("pub/manifest.json")).unwrap();
    fs::copy(&old_manifest.1, lab.path("pub/manifest.json.minisig")).unwrap();
    let r = audit(&lab, &lab.public(), &[]).expect(1);
    assert!(
        r.stdout
            .contains("the manifest points at #4, not at the newest snapshot #5"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_snapshot_signed_by_a_revoked_key_after_revocation_is_flagged() {
    let (lab, _) = history();
    // The revoked key's holder appends #5, correctly chained to #4.
    let old = hushlist::published::read_secret_key(&lab.key()).unwrap();
    let four = fs::read(lab.path("pub/snapshot-00000004.hushlist")).unwrap();
    let mut next = Snapshot::decode(&four).unwrap();
    next.header.sequence = 5;
    next.header.previous = *blake3::hash(&four).as_bytes();
    next.header.created += 1;
    let bytes = next.encode();
    let facts = SignedFacts {
        kind: FileKind::Snapshot,
        sequence: 5,
        created: next.header.created,
        expires: next.header.expires,
        blake3: *blake3::hash(&bytes).as_bytes(),
    };
    fs::write(lab.path("pub/snapshot-00000005.hushlist"), &bytes).unwrap();
    fs::write(
        lab.path("pub/snapshot-00000005.hushlist.minisig"),
        old.sign(&bytes, &facts.to_comment()).to_text(),
    )
    .unwrap();
    let r = audit(&lab, &lab.public(), &[]).expect(1);
    assert!(r.stdout.contains("after its revocation"), "{}", r.stdout);
}
