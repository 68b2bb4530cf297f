//! Bad input gets a clear error and loses nothing: each refusal names what failed.

use crate::common::*;

use hushlist::format::comment::{FileKind, SignedFacts};
use hushlist::format::snapshot::Snapshot;
use std::fs;

const SNAP: &str = "pub/snapshot-00000001.hushlist";

fn published() -> Lab {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    lab
}

/// Re-signs `bytes` as snapshot SNAP (and repoints the manifest), as a
/// publisher whose key was stolen, or a buggy one, could.
fn resign(lab: &Lab, bytes: &[u8]) {
    let key = hushlist::published::read_secret_key(&lab.key()).unwrap();
    let facts = SignedFacts {
        kind: FileKind::Snapshot,
        sequence: 1,
        created: i64::from_le_bytes(bytes[20..28].try_into().unwrap()),
        expires: i64::from_le_bytes(bytes[28..36].try_into().unwrap()),
        blake3: *blake3::hash(bytes).as_bytes(),
    };
    fs::write(lab.path(SNAP), bytes).unwrap();
    fs::write(
        lab.path(&format!("{SNAP}.minisig")),
        key.sign(bytes, &facts.to_comment()).to_text(),
    )
    .unwrap();
}

#[test]
fn one_flipped_byte_anywhere_is_refused() {
    let lab = published();
    let files = [
        SNAP.to_string(),
        format!("{SNAP}.minisig"),
        "pub/manifest.json".into(),
        "pub/manifest.json.minisig".into(),
    ];
    for file in &files {
        let original = fs::read(lab.path(file)).unwrap();
        // A spread of positions: start, middle of header, filter bits, signatures, end.
        let positions = [
            0,
            9,
            13,
            original.len() / 3,
            original.len() / 2,
            original.len() - 3,
        ];
        for &at in &positions {
            let mut bytes = original.clone();
            bytes[at] ^= 0x20;
            fs::write(lab.path(file), &bytes).unwrap();
            let r = lab.verify("pub", &[]);
            assert!(
                r.code != 0 && r.stderr.contains("hushlist: "),
                "{file} byte {at} flipped was accepted: {}{}",
                r.stdout,
                r.stderr
            );
            lab.check("pub", &["-n", "3135550101"]).expect(2);
        }
        fs::write(lab.path(file), &original).unwrap();
    }
    lab.verify("pub", &[]).expect(0);
}

#[test]
fn tampered_snapshot_names_the_signature() {
    let lab = published();
    let mut bytes = fs::read(lab.path(SNAP)).unwrap();
    bytes[200] ^= 1;
    fs::write(lab.path(SNAP), &bytes).unwrap();
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(
        r.stderr
            .contains("snapshot signature: signature does not match"),
        "{}",
        r.stderr
    );
}

#[test]
fn altered_trusted_comment_is_named() {
    let lab = published();
    let sig = lab.path(&format!("{SNAP}.minisig"));
    let text = fs::read_to_string(&sig).unwrap().replace("seq=1", "seq=9");
    fs::write(&sig, text).unwrap();
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(
        r.stderr
            .contains("trusted comment signature does not verify"),
        "{}",
        r.stderr
    );
}

#[test]
fn truncated_snapshot_is_refused() {
    let lab = published();
    let bytes = fs::read(lab.path(SNAP)).unwrap();
    fs::write(lab.path(SNAP), &bytes[..bytes.len() / 2]).unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("REFUSED") && r.stderr.contains("snapshot signature"),
        "{}",
        r.stderr
    );
    // Even correctly signed, a truncated snapshot is named as such.
    resign(&lab, &bytes[..bytes.len() / 2]);
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(
        r.stderr
            .contains("snapshot format: filter section declared as"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_format_version_is_named() {
    let lab = published();
    let mut bytes = fs::read(lab.path(SNAP)).unwrap();
    bytes[8] = 4;
    resign(&lab, &bytes);
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(
        r.stderr.contains("unknown snapshot format version 4"),
        "{}",
        r.stderr
    );
}

#[test]
fn over_filled_filter_is_refused() {
    let lab = published();
    let bytes = fs::read(lab.path(SNAP)).unwrap();
    let mut snapshot = Snapshot::decode(&bytes).unwrap();
    // Set every bit, as a poisoned list would to make everyone "match".
    let mut section = snapshot.filter.as_section().to_vec();
    for b in &mut section[hushlist::format::filter::SECTION_HEADER_LEN..] {
        *b = 0xff;
    }
    snapshot.filter = hushlist::format::filter::Filter::from_section(&section).unwrap();
    resign(&lab, &snapshot.encode());
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(r.stderr.contains("filter over-filled"), "{}", r.stderr);
}

#[test]
fn another_key_is_named() {
    let lab = published();
    let other = Lab::new();
    let r = run(
        &hushlist(),
        &["verify", "--key", s(&other.public()), s(&lab.path("pub"))],
    )
    .expect(1);
    assert!(
        r.stderr.contains("manifest signature: signed by key"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not by the pinned key"), "{}", r.stderr);
    let r = run(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&other.public()),
            "--snapshot",
            s(&lab.path("pub")),
            "-n",
            "+13135550101",
        ],
    )
    .expect(2);
    assert!(r.stderr.contains("not by the pinned key"), "{}", r.stderr);
}

#[test]
fn expired_snapshot_is_refused_unless_allow_stale() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &["--valid-for", "1s"]).expect(0);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = lab.check("pub", &["-n", "3135550101"]).expect(2);
    assert!(r.stderr.contains("manifest expired at"), "{}", r.stderr);
    let r = lab
        .check("pub", &["--allow-stale", "-n", "3135550101"])
        .expect(1);
    assert!(r.stderr.contains("warning: STALE"), "{}", r.stderr);
    assert!(
        r.stdout.contains("WARNING: STALE"),
        "the report says so too: {}",
        r.stdout
    );
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(r.stderr.contains("snapshot expired at"), "{}", r.stderr);
}

#[test]
fn manifest_and_snapshot_from_different_builds_are_refused() {
    let lab = published();
    lab.publish("other", "313 555 0177\n", &[]).expect(0);
    // Same sequence, both validly signed, but not the snapshot the manifest names.
    for suffix in ["", ".minisig"] {
        fs::copy(
            lab.path(&format!("other/snapshot-00000001.hushlist{suffix}")),
            lab.path(&format!("{SNAP}{suffix}")),
        )
        .unwrap();
    }
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("mix-and-match: blake3") || r.stderr.contains("more than the"),
        "{}",
        r.stderr
    );
}

#[test]
fn snapshot_longer_than_the_manifest_signs_is_refused() {
    let lab = published();
    let mut bytes = fs::read(lab.path(SNAP)).unwrap();
    let size = bytes.len();
    bytes.push(b'x');
    fs::write(lab.path(SNAP), bytes).unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains(&format!(
            "mix-and-match: size is {size} in the manifest but {}",
            size + 1
        )),
        "{}",
        r.stderr
    );
    let sig = lab.path("pub/manifest.json.minisig");
    fs::write(&sig, vec![b'a'; 5000]).unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr
            .contains("manifest signature: malformed signature file: file too long"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_bit_set_is_refused_at_any_declared_rate() {
    let lab = published();
    let bytes = fs::read(lab.path(SNAP)).unwrap();
    let mut snapshot = Snapshot::decode(&bytes).unwrap();
    snapshot.header.fp_rate = hushlist::format::filter::FP_RATE_RANGE.1;
    let mut section = snapshot.filter.as_section().to_vec();
    section[9..13].copy_from_slice(&1u32.to_le_bytes());
    for b in &mut section[hushlist::format::filter::SECTION_HEADER_LEN..] {
        *b = 0xff;
    }
    snapshot.filter = hushlist::format::filter::Filter::from_section(&section).unwrap();
    snapshot.header.entries = 1 << 40;
    resign(&lab, &snapshot.encode());
    let r = lab.verify(SNAP, &[]).expect(1);
    assert!(r.stderr.contains("filter over-filled"), "{}", r.stderr);
}

#[test]
fn an_interrupted_publish_heals_on_the_next_build() {
    let lab = published();
    // Killed between the manifest's signature and the manifest itself.
    fs::write(
        lab.path("pub/manifest.json.minisig"),
        "untrusted comment: half written\n",
    )
    .unwrap();
    lab.verify("pub", &[]).expect(1);
    lab.publish("pub", LISTED, &[]).expect(0);
    let v: serde_json::Value =
        serde_json::from_str(&lab.verify("pub", &["--format", "json"]).expect(0).stdout).unwrap();
    assert_eq!(v["sequence"], 2);
    // Killed after writing snapshot #3 but before the manifest: #4 chains to #3.
    fs::copy(lab.path("pub/manifest.json"), lab.path("m2")).unwrap();
    fs::copy(
        lab.path("pub/manifest.json.minisig"),
        lab.path("m2.minisig"),
    )
    .unwrap();
    lab.publish("pub", LISTED, &[]).expect(0);
    let three = fs::read(lab.path("pub/snapshot-00000003.hushlist")).unwrap();
    fs::copy(lab.path("m2"), lab.path("pub/manifest.json")).unwrap();
    fs::copy(
        lab.path("m2.minisig"),
        lab.path("pub/manifest.json.minisig"),
    )
    .unwrap();
    lab.verify("pub", &[]).expect(0);
    lab.publish("pub", LISTED, &[]).expect(0);
    let v: serde_json::Value =
        serde_json::from_str(&lab.verify("pub", &["--format", "json"]).expect(0).stdout).unwrap();
    assert_eq!(v["sequence"], 4);
    assert_eq!(v["previous"], blake3::hash(&three).to_hex().as_str());
}

#[test]
fn secret_key_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    fs::set_permissions(lab.key(), fs::Permissions::from_mode(0o644)).unwrap();
    let r = lab.publish("pub", LISTED, &[]).expect(2);
    assert!(
        r.stderr.contains("accessible by others (mode 644)") && r.stderr.contains("chmod 600"),
        "{}",
        r.stderr
    );
    assert!(!lab.path("pub").exists());
}

#[test]
fn keygen_never_overwrites_and_never_prints_the_secret() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k");
    let r = run(
        &publisher(),
        &["keygen", "--unencrypted", "--out-dir", s(&out)],
    )
    .expect(0);
    let secret = fs::read_to_string(out.join("hushlist.key")).unwrap();
    let secret_line = secret.lines().nth(1).unwrap();
    assert!(!r.stdout.contains(secret_line) && !r.stderr.contains(secret_line));
    assert_eq!(
        fs::metadata(out.join("hushlist.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let again = run(
        &publisher(),
        &["keygen", "--unencrypted", "--out-dir", s(&out)],
    )
    .expect(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        fs::read_to_string(out.join("hushlist.key")).unwrap(),
        secret
    );
    // The stock minisign signs with it, and hushlist's public key checks that signature.
    let msg = dir.path().join("m.txt");
    fs::write(&msg, "hello").unwrap();
    run_program(
        "minisign",
        &["-S", "-s", s(&out.join("hushlist.key")), "-m", s(&msg)],
    )
    .expect(0);
    let sig = fs::read_to_string(dir.path().join("m.txt.minisig")).unwrap();
    let pk = hushlist::published::read_public_key(&out.join("hushlist.pub")).unwrap();
    hushlist::format::signature::SignatureFile::parse(&sig)
        .unwrap()
        .verify(&pk, b"hello")
        .unwrap();
}

#[test]
fn chaining_refuses_a_directory_signed_by_someone_else() {
    let lab = published();
    let other = Lab::new();
    let r = lab
        .build(&other.key(), "pub", "313 555 0101\n", &["--kdf", "blake3"])
        .expect(2);
    assert!(
        r.stderr
            .contains("cannot chain to the existing publication"),
        "{}",
        r.stderr
    );
    lab.verify("pub", &[]).expect(0);
}

#[test]
fn newer_publisher_metadata_is_a_warning_not_a_refusal() {
    let lab = published();
    let mut bytes = fs::read(lab.path(SNAP)).unwrap();
    bytes[78..94].copy_from_slice(b"99.0.0\0\0\0\0\0\0\0\0\0\0");
    resign(&lab, &bytes);
    let r = lab.verify(SNAP, &[]).expect(0);
    assert!(
        r.stdout
            .contains("WARNING: this build's phone-number metadata"),
        "{}",
        r.stdout
    );
}
