//! Refusal vectors: published directories a verifier must refuse, each with a
//! `case.txt` naming the step and error that refuses it (as age's testkit).
//! `tools/regen-fixtures.sh` writes them to `fixtures/vectors/refusals/` with
//! the `write_vectors` example; the test `refusal_vectors` replays every
//! committed directory through the library and the real `hushlist verify`,
//! and `fixtures` fails if the committed files drift from these.
//!
//! Everything is deterministic (fixed salt, times and test keys; Ed25519
//! signatures are deterministic), so regenerating changes no byte.

use crate::vectors::{contact, next_salt, salt, test_key};
use hushlist::format::comment::{FileKind, SignedFacts};
use hushlist::format::filter;
use hushlist::format::manifest::{Manifest, SnapshotRef, MANIFEST_TYPE, MANIFEST_VERSION};
use hushlist::format::number_key::Kdf;
use hushlist::format::signature::{KeyId, SecretKey};
use hushlist::format::snapshot::Snapshot;
use hushlist::format::time::rfc3339;
use hushlist::publish::{build_snapshot, snapshot_file_name, BuildParams, SaltEpoch};
use std::path::Path;

/// When every case was made; `NOW` is the time the library verifies at.
/// Each verdict is the same at any time from `NOW` until 2099-12-31T22:50Z
/// (then `created-in-the-future` is no longer ahead of the clock), so the
/// real binary, which reads the real clock, must agree.
const CREATED: i64 = 1_700_000_000; // 2023-11-14
pub const NOW: i64 = 1_764_000_000; // 2025-11-24
const EXPIRES: i64 = 4_102_444_800; // 2100-01-01

/// One refusal vector.
pub struct Case {
    /// Directory name.
    pub name: &'static str,
    /// What was done to the files, for people.
    pub about: &'static str,
    /// FORMAT.md §8's step that refuses it.
    pub step: &'static str,
    /// The refusing error's variant (`accept` for the control case).
    pub expect: &'static str,
    /// Words the error's message contains.
    pub message: &'static str,
    /// `hushlist verify`'s exit code: 1 refused, 2 a file that cannot be read.
    pub exit: i32,
    /// The published files, by name.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Case {
    /// The `case.txt` text.
    pub fn case_text(&self) -> String {
        format!(
            "# A refusal vector: verify this directory with ../../test-vector-key.pub\n\
             # at Unix time `now` (FORMAT.md §8). The verdict is the same at any\n\
             # time until 2099-12-31. `expect` names the error variant, `message` words\n\
             # its message contains, `exit` the exit code of `hushlist verify`;\n\
             # `accept` means the directory must verify.\n\
             about: {}\nstep: {}\nnow: {NOW}\nexpect: {}\nmessage: {}\nexit: {}\n",
            self.about, self.step, self.expect, self.message, self.exit
        )
    }

    /// Writes the case into `root/NAME/`, replacing what was there (for
    /// `write_vectors`; the tests only read).
    #[allow(dead_code)]
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let dir = root.join(self.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("case.txt"), self.case_text())?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }
}

/// A second TEST key, which the pinned key never trusts.
fn other_key() -> SecretKey {
    SecretKey::from_seed(&[0x43; 32], KeyId(*b"OTHERKEY"))
}

fn snapshot(sequence: u64, numbers: &[&str], expires: i64) -> Snapshot {
    let numbers: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
    let params = BuildParams {
        sequence,
        created: CREATED,
        expires,
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt: salt(),
        fp_rate: filter::DEFAULT_FP_RATE,
        epoch: SaltEpoch::starting(CREATED, 30 * 86_400, Kdf::default(), next_salt()),
        contact: contact(),
        sealing: None,
    };
    build_snapshot(&numbers, &params).expect("vector parameters are valid")
}

fn base() -> Vec<u8> {
    snapshot(
        1,
        &["+13135550101", "+13135550142", "+442079460958"],
        EXPIRES,
    )
    .encode()
}

/// The signed facts a publisher would sign for these snapshot bytes, read
/// from the header's fixed offsets (so that bytes that no longer decode can
/// still be signed).
fn facts_of(bytes: &[u8], kind: FileKind) -> SignedFacts {
    let le = |at: usize| i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    SignedFacts {
        kind,
        sequence: le(12) as u64,
        created: le(20),
        expires: le(28),
        blake3: *blake3::hash(bytes).as_bytes(),
    }
}

fn manifest_for(snapshot: &[u8], facts: &SignedFacts, key: &SecretKey) -> Vec<u8> {
    Manifest {
        kind: MANIFEST_TYPE.into(),
        version: MANIFEST_VERSION,
        sequence: facts.sequence,
        created: rfc3339(facts.created),
        expires: rfc3339(facts.expires),
        key_id: key.id().to_string(),
        snapshot: SnapshotRef {
            file: snapshot_file_name(1),
            size: snapshot.len() as u64,
            blake3: hex::encode(blake3::hash(snapshot).as_bytes()),
        },
    }
    .to_json()
}

/// The four files of a directory: `snapshot` signed with `facts` (the
/// honest ones unless a case forges them), a manifest that names it.
struct Parts {
    manifest: Vec<u8>,
    manifest_signature: String,
    snapshot: Vec<u8>,
    snapshot_signature: String,
}

impl Parts {
    fn signed(snapshot: Vec<u8>, facts: SignedFacts, key: &SecretKey) -> Self {
        let manifest = manifest_for(&snapshot, &facts, key);
        let manifest_facts = SignedFacts {
            kind: FileKind::Manifest,
            blake3: *blake3::hash(&manifest).as_bytes(),
            ..facts
        };
        Parts {
            manifest_signature: key.sign(&manifest, &manifest_facts.to_comment()).to_text(),
            snapshot_signature: key.sign(&snapshot, &facts.to_comment()).to_text(),
            manifest,
            snapshot,
        }
    }

    fn honest(snapshot: Vec<u8>) -> Self {
        let facts = facts_of(&snapshot, FileKind::Snapshot);
        Self::signed(snapshot, facts, &test_key())
    }

    fn files(self) -> Vec<(String, Vec<u8>)> {
        let name = snapshot_file_name(1);
        vec![
            ("manifest.json".into(), self.manifest),
            (
                "manifest.json.minisig".into(),
                self.manifest_signature.into_bytes(),
            ),
            (
                format!("{name}.minisig"),
                self.snapshot_signature.into_bytes(),
            ),
            (name, self.snapshot),
        ]
    }
}

/// The filter's bit bytes: the last B bytes of the file.
fn bit_bytes(bytes: &[u8]) -> std::ops::Range<usize> {
    let filter_bits = Snapshot::decode(bytes).expect("base decodes").filter.bits();
    let len = filter_bits.div_ceil(8) as usize;
    bytes.len() - len..bytes.len()
}

/// The first clear bit of the filter, as (byte index, mask).
fn first_clear_bit(bytes: &[u8]) -> (usize, u8) {
    bit_bytes(bytes)
        .find_map(|i| {
            (0..8)
                .find(|b| bytes[i] & (1 << b) == 0)
                .map(|b| (i, 1 << b))
        })
        .expect("the base filter has clear bits")
}

/// Every case, the control first.
pub fn cases() -> Vec<Case> {
    let case = |name, about, step, expect, message: &'static str, files| Case {
        name,
        about,
        step,
        expect,
        message,
        exit: match expect {
            "accept" => 0,
            "Io" => 2,
            _ => 1,
        },
        files,
    };
    let mut out = vec![case(
        "accepted",
        "the control: an honest publication of three numbers",
        "all",
        "accept",
        "",
        Parts::honest(base()).files(),
    )];

    let mut p = Parts::honest(base());
    let (at, mask) = first_clear_bit(&p.snapshot);
    p.snapshot[at] ^= mask;
    out.push(case(
        "snapshot-bit-flipped",
        "one filter bit set after signing",
        "7 (step 3 for the snapshot)",
        "Signature",
        "snapshot signature: signature does not match",
        p.files(),
    ));

    let mut p = Parts::honest(base());
    let text = String::from_utf8(p.manifest).unwrap();
    p.manifest = text
        .replacen("\"sequence\": 1", "\"sequence\": 7", 1)
        .into_bytes();
    assert!(
        p.manifest != Parts::honest(base()).manifest,
        "manifest edited"
    );
    out.push(case(
        "manifest-edited",
        "the manifest's sequence changed after signing",
        "3",
        "Signature",
        "manifest signature: signature does not match",
        p.files(),
    ));

    let mut p = Parts::honest(base());
    p.snapshot_signature = p.snapshot_signature.replacen("seq=1 ", "seq=9 ", 1);
    out.push(case(
        "trusted-comment-altered",
        "the snapshot's trusted comment says seq=9; its global signature covers seq=1",
        "7 (step 3 for the snapshot)",
        "Signature",
        "trusted comment signature does not verify",
        p.files(),
    ));

    let bytes = base();
    let facts = facts_of(&bytes, FileKind::Snapshot);
    out.push(case(
        "signed-by-another-key",
        "every file signed by a key the pinned key never introduced",
        "2",
        "Signature",
        "not by the pinned key",
        Parts::signed(bytes, facts, &other_key()).files(),
    ));

    let bytes = base();
    let facts = facts_of(&bytes, FileKind::Manifest);
    out.push(case(
        "snapshot-signed-as-manifest",
        "the snapshot's trusted comment is a manifest comment",
        "7 (step 4 for the snapshot)",
        "TrustedComment",
        "signature is for a manifest, not a snapshot",
        Parts::signed(bytes, facts, &test_key()).files(),
    ));

    let bytes = base();
    let mut facts = facts_of(&bytes, FileKind::Snapshot);
    facts.blake3[0] ^= 1;
    out.push(case(
        "snapshot-digest-mismatch",
        "the snapshot's signed comment names another BLAKE3 digest",
        "7 (step 4 for the snapshot)",
        "Digest",
        "snapshot digest mismatch",
        Parts::signed(bytes, facts, &test_key()).files(),
    ));

    let mut bytes = base();
    bytes.truncate(bytes.len() / 2);
    out.push(case(
        "truncated-snapshot",
        "the first half of the snapshot, signed",
        "8",
        "Format",
        "filter section declared as",
        Parts::honest(bytes).files(),
    ));

    let mut bytes = base();
    bytes[8] = 4;
    out.push(case(
        "unknown-version",
        "format version 4, signed",
        "8",
        "Format",
        "unknown snapshot format version 4",
        Parts::honest(bytes).files(),
    ));

    let bytes = base();
    let mut facts = facts_of(&bytes, FileKind::Snapshot);
    facts.sequence = 2;
    out.push(case(
        "comment-disagrees-with-header",
        "the snapshot's signed comment says seq=2, its header 1",
        "9",
        "Mismatch",
        "signed facts disagree",
        Parts::signed(bytes, facts, &test_key()).files(),
    ));

    out.push(case(
        "expired",
        "a snapshot and manifest that expired an hour after they were made",
        "6",
        "Expired",
        "expired at 2023-11-14T23:13:20Z",
        Parts::honest(snapshot(1, &["+13135550101"], CREATED + 3600).encode()).files(),
    ));

    let mut bytes = snapshot(1, &["+13135550101"], EXPIRES).encode();
    bytes[20..28].copy_from_slice(&(EXPIRES - 3600).to_le_bytes());
    out.push(case(
        "created-in-the-future",
        "created one hour before 2100, long after any `now` a case is read at",
        "6",
        "Time",
        "is in the future",
        Parts::honest(bytes).files(),
    ));

    let mut bytes = base();
    for i in bit_bytes(&bytes) {
        bytes[i] = 0xff;
    }
    out.push(case(
        "every-bit-set",
        "every filter bit set: every number would match",
        "11",
        "OverFilled",
        "filter over-filled",
        Parts::honest(bytes).files(),
    ));

    let mut bytes = base();
    let (at, mask) = first_clear_bit(&bytes);
    bytes[at] |= mask;
    out.push(case(
        "entries-inconsistent",
        "one bit more than 3 entries with 40 hashes can set (121)",
        "11",
        "EntriesInconsistent",
        "3 entries with 40 hashes cannot set 121 bits",
        Parts::honest(bytes).files(),
    ));

    let mut files = Parts::honest(base()).files();
    files.retain(|(name, _)| !name.ends_with(".hushlist.minisig"));
    out.push(case(
        "snapshot-signature-missing",
        "the snapshot's .minisig is not there",
        "7",
        "Io",
        "snapshot-00000001.hushlist.minisig: No such file or directory",
        files,
    ));

    // A manifest signed for one snapshot beside another, correctly signed one.
    let honest = Parts::honest(base());
    let other = Parts::honest(snapshot(1, &["+13135550199"], EXPIRES).encode());
    let mixed = Parts {
        snapshot: other.snapshot,
        snapshot_signature: other.snapshot_signature,
        ..honest
    };
    out.push(case(
        "mix-and-match",
        "the manifest names another snapshot of the same sequence",
        "12",
        "Mismatch",
        "mix-and-match",
        mixed.files(),
    ));

    out
}
