//! Verification of snapshots and manifests, as named steps in a fixed order:
//! signature (key id first) -> trusted comment -> digest -> structure ->
//! consistency between signed facts -> freshness -> filter fill.
//!
//! Nothing here reads files or the clock: bytes, the pinned key and the time
//! come in, a verified value or an error that names the failed step goes out.

use crate::format::comment::{FileKind, SignedFacts};
use crate::format::filter::{self, MaxFpRate, MAX_FILTER_BYTES, SECTION_HEADER_LEN};
use crate::format::manifest::Manifest;
use crate::format::normalize;

mod epochs;
mod keyring;
use crate::format::signature::{KeyId, SignatureError, SignatureFile};
use crate::format::snapshot::{FormatError, Snapshot, HEADER_LEN, MAX_CONTACT_LEN};
use crate::format::time::{parse_rfc3339, rfc3339};
pub use epochs::{check_epoch_step, EpochStep};
pub use keyring::{parse_statement, Followed, KeyRecord, Keyring, MAX_ROTATIONS};

/// How far in the future a signed `created` time may lie: clocks differ a
/// little, but a file from the future is either forged or made on a broken clock.
pub const MAX_FUTURE_SKEW_SECS: i64 = 600;
/// The longest validity window (`expires - created`) a client accepts: one
/// year and a day. A stolen key's snapshot cannot outlive this, and neither
/// can a freeze.
pub const MAX_VALIDITY_SECS: i64 = 366 * 86_400;

/// Largest snapshot file the format allows: the header, the largest contact
/// and the largest filter.
pub const MAX_SNAPSHOT_LEN: u64 =
    (HEADER_LEN + MAX_CONTACT_LEN + SECTION_HEADER_LEN) as u64 + MAX_FILTER_BYTES;
/// Largest snapshot file a client reads unless told otherwise (64 MiB: a list
/// of about 9 million numbers at the default false-positive rate of 1e-12,
/// far more than a real list needs); [`Limits::max_snapshot_len`] raises it
/// up to [`MAX_SNAPSHOT_LEN`].
pub const DEFAULT_MAX_SNAPSHOT_LEN: u64 = 64 << 20;

/// What to do with a snapshot or manifest past its expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Staleness {
    /// Refuse it (a freeze attack, or a publisher that stopped publishing).
    #[default]
    Refuse,
    /// Accept it with a `STALE` warning that every report carries: for
    /// air-gapped sites that know their list is old.
    AcceptLoudly,
}

/// The limits a client sets on what it accepts, in one place: every check,
/// update and audit reads them from here. The format's own bounds (the
/// `MAX_*` constants) cap them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The largest false-positive rate accepted, judged from the bits set
    /// (default 1e-4; never above 1e-2).
    pub max_fp_rate: MaxFpRate,
    /// The largest snapshot file read, in bytes (default
    /// [`DEFAULT_MAX_SNAPSHOT_LEN`]; never above [`MAX_SNAPSHOT_LEN`]).
    pub max_snapshot_len: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_fp_rate: MaxFpRate::default(),
            max_snapshot_len: DEFAULT_MAX_SNAPSHOT_LEN,
        }
    }
}

impl Limits {
    /// The snapshot size actually enforced: the client's, within the format's.
    pub fn snapshot_len(&self) -> u64 {
        self.max_snapshot_len.min(MAX_SNAPSHOT_LEN)
    }
}

/// How strict to be, and what time it is.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The current time, Unix seconds.
    pub now: i64,
    /// Whether an expired snapshot or manifest is refused or accepted loudly.
    pub staleness: Staleness,
    /// What is accepted at most.
    pub limits: Limits,
}

impl Policy {
    /// The safe defaults at time `now`: nothing stale, the default
    /// [`Limits`].
    pub fn at(now: i64) -> Self {
        Policy {
            now,
            staleness: Staleness::Refuse,
            limits: Limits::default(),
        }
    }
}

/// A verification failure; each variant names the step that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The detached signature is missing its parts, made by another key, or does not verify.
    #[error("{kind} signature: {source}")]
    Signature {
        /// Which file.
        kind: FileKind,
        /// What failed.
        source: SignatureError,
    },
    /// The signed trusted comment is not a hushlist comment of the expected kind.
    #[error("{kind} trusted comment: {reason}")]
    TrustedComment {
        /// Which file.
        kind: FileKind,
        /// What is wrong.
        reason: String,
    },
    /// The file's BLAKE3 digest differs from the signed one.
    #[error("{kind} digest mismatch: signed {expected}, file has {actual}")]
    Digest {
        /// Which file.
        kind: FileKind,
        /// Signed digest, hex.
        expected: String,
        /// Actual digest, hex.
        actual: String,
    },
    /// The snapshot's bytes are malformed.
    #[error("snapshot format: {0}")]
    Format(#[from] FormatError),
    /// The manifest is malformed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A rotation statement is malformed or too large.
    #[error("{0}")]
    Rotation(String),
    /// Two signed statements disagree (mix-and-match).
    #[error(
        "{}: {what} is {signed} in the {signed_in} but {actual} in the {actual_in}",
        if *signed_in == "manifest" { "mix-and-match" } else { "signed facts disagree" }
    )]
    Mismatch {
        /// The field.
        what: &'static str,
        /// Where the first value is signed.
        signed_in: &'static str,
        /// First value.
        signed: String,
        /// Where the second value comes from.
        actual_in: &'static str,
        /// Second value.
        actual: String,
    },
    /// Past its expiry (freeze attack, or a publisher that stopped publishing).
    #[error(
        "{kind} expired at {} (now {}); refusing a stale list",
        rfc3339(*expired_at),
        rfc3339(*now)
    )]
    Expired {
        /// Which file.
        kind: FileKind,
        /// Its signed expiry, Unix seconds.
        expired_at: i64,
        /// The verifier's time, Unix seconds.
        now: i64,
    },
    /// A signed time that cannot be right, with the times it compared.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// The salt is neither the installed snapshot's nor the one it announced
    /// (FORMAT.md §8, step 10).
    #[error("{0}")]
    SaltEpoch(String),
    /// Too many bits set: too many numbers would match.
    #[error(
        "filter over-filled: {ones} of {bits} bits set with {hashes} hashes gives a false-positive rate \
         of {estimated:.3e}, above this client's maximum of {max} (see FORMAT.md, \"Over-fill check\")"
    )]
    OverFilled {
        /// Bits set.
        ones: u64,
        /// Bits in all.
        bits: u64,
        /// Hash functions.
        hashes: u32,
        /// `(ones/bits)^k`, for people; the refusal itself is exact.
        estimated: f64,
        /// The client's maximum.
        max: MaxFpRate,
    },
    /// The declared entry count cannot have set the bits that are set.
    #[error(
        "filter inconsistent with its header: {entries} entries with {hashes} hashes cannot set {ones} bits \
         (between half of and all of entries x hashes)"
    )]
    EntriesInconsistent {
        /// Declared entries.
        entries: u64,
        /// Bits set.
        ones: u64,
        /// Hash functions.
        hashes: u32,
    },
}

/// A signed time that cannot be right; each carries the times compared, in
/// Unix seconds, so a program can show them its own way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// `created` more than [`MAX_FUTURE_SKEW_SECS`] after the verifier's time.
    #[error(
        "{what} created {} is in the future (now {}; {MAX_FUTURE_SKEW_SECS} s of clock skew allowed): \
         forged, or made on a clock that runs ahead",
        rfc3339(*created),
        rfc3339(*now)
    )]
    InTheFuture {
        /// Which file.
        what: String,
        /// Its signed creation time.
        created: i64,
        /// The verifier's time.
        now: i64,
    },
    /// A validity window longer than [`MAX_VALIDITY_SECS`].
    #[error(
        "{what} is valid from {} to {}, longer than the {} days a client accepts",
        rfc3339(*created),
        rfc3339(*expires),
        MAX_VALIDITY_SECS / 86_400
    )]
    WindowTooLong {
        /// Which file.
        what: String,
        /// Its signed creation time.
        created: i64,
        /// Its signed expiry.
        expires: i64,
    },
    /// Older than the snapshot already installed (a replay or a back-dated
    /// publication).
    #[error(
        "created {} is earlier than the installed snapshot #{installed_sequence}'s {} (a replayed or \
         back-dated publication)",
        rfc3339(*created),
        rfc3339(*installed_created)
    )]
    EarlierThanInstalled {
        /// Its signed creation time.
        created: i64,
        /// The installed snapshot's sequence.
        installed_sequence: u64,
        /// The installed snapshot's creation time.
        installed_created: i64,
    },
}

/// A snapshot whose signature, digest, structure, freshness and fill all passed.
#[derive(Clone, Debug)]
pub struct VerifiedSnapshot {
    /// The decoded snapshot.
    pub snapshot: Snapshot,
    /// BLAKE3 digest of the file.
    pub digest: [u8; 32],
    /// File size in bytes.
    pub size: u64,
    /// The signing key's id.
    pub key_id: KeyId,
    /// Bits set in the filter.
    pub ones: u64,
    /// Estimated false-positive rate from the bits actually set.
    pub estimated_fp_rate: f64,
    /// Things that passed but deserve a word (stale, older metadata).
    pub warnings: Vec<String>,
}

/// A manifest whose signature, digest and freshness passed.
#[derive(Clone, Debug)]
pub struct VerifiedManifest {
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The facts from its trusted comment.
    pub facts: SignedFacts,
    /// Warnings (stale).
    pub warnings: Vec<String>,
}

fn check_signature(
    kind: FileKind,
    data: &[u8],
    signature: &str,
    keys: &Keyring,
) -> Result<(SignedFacts, KeyId), VerifyError> {
    let sig = |source| VerifyError::Signature { kind, source };
    let file = SignatureFile::parse(signature).map_err(sig)?;
    let key = keys.find(file.key_id).map_err(sig)?;
    file.verify(key, data).map_err(sig)?;
    let facts = SignedFacts::parse(&file.trusted_comment)
        .map_err(|reason| VerifyError::TrustedComment { kind, reason })?;
    if facts.kind != kind {
        return Err(VerifyError::TrustedComment {
            kind,
            reason: format!("signature is for a {}, not a {kind}", facts.kind),
        });
    }
    let actual = *blake3::hash(data).as_bytes();
    if actual != facts.blake3 {
        return Err(VerifyError::Digest {
            kind,
            expected: hex::encode(facts.blake3),
            actual: hex::encode(actual),
        });
    }
    Ok((facts, key.id()))
}

fn check_fresh(
    kind: FileKind,
    expires: i64,
    policy: Policy,
    warnings: &mut Vec<String>,
) -> Result<(), VerifyError> {
    if policy.now < expires {
        return Ok(());
    }
    let err = VerifyError::Expired {
        kind,
        expired_at: expires,
        now: policy.now,
    };
    if policy.staleness == Staleness::Refuse {
        return Err(err);
    }
    warnings.push(format!(
        "STALE: {err}; using it only because stale lists were accepted"
    ));
    Ok(())
}

fn mismatch<T: ToString>(
    what: &'static str,
    signed_in: &'static str,
    signed: T,
    actual_in: &'static str,
    actual: T,
) -> VerifyError {
    VerifyError::Mismatch {
        what,
        signed_in,
        signed: signed.to_string(),
        actual_in,
        actual: actual.to_string(),
    }
}

/// Verifies a snapshot file against its `.minisig` and the trusted keys.
pub fn verify_snapshot(
    data: &[u8],
    signature: &str,
    keys: &Keyring,
    policy: Policy,
) -> Result<VerifiedSnapshot, VerifyError> {
    let (facts, key_id) = check_signature(FileKind::Snapshot, data, signature, keys)?;
    let snapshot = Snapshot::decode(data)?;
    check_snapshot(snapshot, facts, key_id, data.len() as u64, policy)
}

/// As [`verify_snapshot`], taking ownership of the bytes: the filter is then
/// held in memory once (the largest accepted filter would otherwise be held twice).
pub(crate) fn verify_snapshot_vec(
    data: Vec<u8>,
    signature: &str,
    keys: &Keyring,
    policy: Policy,
) -> Result<VerifiedSnapshot, VerifyError> {
    let (facts, key_id) = check_signature(FileKind::Snapshot, &data, signature, keys)?;
    let size = data.len() as u64;
    let snapshot = Snapshot::decode_vec(data)?;
    check_snapshot(snapshot, facts, key_id, size, policy)
}

fn check_snapshot(
    snapshot: Snapshot,
    facts: SignedFacts,
    key_id: KeyId,
    size: u64,
    policy: Policy,
) -> Result<VerifiedSnapshot, VerifyError> {
    let kind = FileKind::Snapshot;
    let h = &snapshot.header;
    let (tc, hd) = ("trusted comment", "snapshot header");
    if facts.sequence != h.sequence {
        return Err(mismatch("sequence", tc, facts.sequence, hd, h.sequence));
    }
    if facts.created != h.created {
        return Err(mismatch(
            "created",
            tc,
            rfc3339(facts.created),
            hd,
            rfc3339(h.created),
        ));
    }
    if facts.expires != h.expires {
        return Err(mismatch(
            "expires",
            tc,
            rfc3339(facts.expires),
            hd,
            rfc3339(h.expires),
        ));
    }
    let mut warnings = Vec::new();
    check_fresh(kind, h.expires, policy, &mut warnings)?;
    let ones = check_fill(&snapshot, policy.limits.max_fp_rate)?;
    if normalize::compare_metadata_versions(normalize::METADATA_VERSION, &h.metadata_version)
        == Some(std::cmp::Ordering::Less)
    {
        warnings.push(format!(
            "this build's phone-number metadata ({}) is older than the publisher's ({}); \
             numbers in newly allocated ranges may be reported as invalid: upgrade hushlist",
            normalize::METADATA_VERSION,
            h.metadata_version
        ));
    }
    Ok(VerifiedSnapshot {
        digest: facts.blake3,
        size,
        key_id,
        ones,
        estimated_fp_rate: snapshot.filter.estimated_fp_rate(),
        warnings,
        snapshot,
    })
}

/// Over-fill check (FORMAT.md section 4): the filter is judged by its bits
/// alone, exactly, against the client's own maximum; then the declared entry
/// count must be one that could have set those bits. The filter seed was
/// checked while decoding (it must derive from the salt). Returns the bits set.
fn check_fill(snapshot: &Snapshot, max: MaxFpRate) -> Result<u64, VerifyError> {
    let f = &snapshot.filter;
    let (ones, bits, hashes) = (f.ones(), f.bits(), f.hashes());
    if max.exceeded_by(ones, bits, hashes) {
        return Err(VerifyError::OverFilled {
            ones,
            bits,
            hashes,
            estimated: f.estimated_fp_rate(),
            max,
        });
    }
    let entries = snapshot.header.entries;
    if !filter::entries_consistent(entries, ones, hashes) {
        return Err(VerifyError::EntriesInconsistent {
            entries,
            ones,
            hashes,
        });
    }
    Ok(ones)
}

/// Verifies a manifest against its `.minisig` and the trusted keys.
pub fn verify_manifest(
    data: &[u8],
    signature: &str,
    keys: &Keyring,
    policy: Policy,
) -> Result<VerifiedManifest, VerifyError> {
    let kind = FileKind::Manifest;
    let (facts, signer) = check_signature(kind, data, signature, keys)?;
    let manifest = Manifest::from_json(data).map_err(VerifyError::Manifest)?;
    // The format's own limit, contact included (FORMAT.md §6): a client's
    // smaller limit is applied when the snapshot is read, with its own message.
    if manifest.snapshot.size > MAX_SNAPSHOT_LEN {
        return Err(VerifyError::Manifest(format!(
            "snapshot size {} is larger than any snapshot the format allows ({MAX_SNAPSHOT_LEN} bytes)",
            manifest.snapshot.size
        )));
    }
    let (tc, mf) = ("trusted comment", "manifest");
    if facts.sequence != manifest.sequence {
        return Err(mismatch(
            "sequence",
            tc,
            facts.sequence,
            mf,
            manifest.sequence,
        ));
    }
    if Some(facts.expires) != parse_rfc3339(&manifest.expires) {
        return Err(mismatch(
            "expires",
            tc,
            rfc3339(facts.expires),
            mf,
            manifest.expires.clone(),
        ));
    }
    if Some(facts.created) != parse_rfc3339(&manifest.created) {
        return Err(mismatch(
            "created",
            tc,
            rfc3339(facts.created),
            mf,
            manifest.created.clone(),
        ));
    }
    if manifest.key_id != signer.to_string() {
        return Err(mismatch(
            "key_id",
            "signature",
            signer.to_string(),
            mf,
            manifest.key_id.clone(),
        ));
    }
    let mut warnings = Vec::new();
    check_fresh(kind, facts.expires, policy, &mut warnings)?;
    Ok(VerifiedManifest {
        manifest,
        facts,
        warnings,
    })
}

/// Refuses a `created` time more than [`MAX_FUTURE_SKEW_SECS`] after `now`.
pub(crate) fn check_not_future(
    what: &str,
    created: i64,
    policy: Policy,
) -> Result<(), VerifyError> {
    if created > policy.now.saturating_add(MAX_FUTURE_SKEW_SECS) {
        return Err(TimeError::InTheFuture {
            what: what.to_string(),
            created,
            now: policy.now,
        }
        .into());
    }
    Ok(())
}

/// Refuses a validity window (`expires - created`) longer than [`MAX_VALIDITY_SECS`].
pub(crate) fn check_window(what: &str, created: i64, expires: i64) -> Result<(), VerifyError> {
    if expires.saturating_sub(created) > MAX_VALIDITY_SECS {
        return Err(TimeError::WindowTooLong {
            what: what.to_string(),
            created,
            expires,
        }
        .into());
    }
    Ok(())
}

/// Checks that a verified snapshot is the one the verified manifest names.
pub fn check_binding(
    manifest: &VerifiedManifest,
    snapshot: &VerifiedSnapshot,
) -> Result<(), VerifyError> {
    let (mf, sn) = ("manifest", "snapshot");
    let m = &manifest.manifest;
    if m.snapshot.size != snapshot.size {
        return Err(mismatch("size", mf, m.snapshot.size, sn, snapshot.size));
    }
    let digest = hex::encode(snapshot.digest);
    if m.snapshot.blake3 != digest {
        return Err(mismatch(
            "blake3 digest",
            mf,
            m.snapshot.blake3.clone(),
            sn,
            digest,
        ));
    }
    if m.sequence != snapshot.snapshot.header.sequence {
        return Err(mismatch(
            "sequence",
            mf,
            m.sequence,
            sn,
            snapshot.snapshot.header.sequence,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_refusals_carry_the_times_they_compared() {
        let policy = Policy::at(1_000_000);
        let future = 1_000_000 + MAX_FUTURE_SKEW_SECS + 1;
        assert!(check_not_future("manifest", future - 1, policy).is_ok());
        match check_not_future("manifest", future, policy) {
            Err(VerifyError::Time(TimeError::InTheFuture { what, created, now })) => {
                assert_eq!(
                    (what.as_str(), created, now),
                    ("manifest", future, 1_000_000)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(check_window("snapshot", 0, MAX_VALIDITY_SECS).is_ok());
        match check_window("snapshot", 5, 6 + MAX_VALIDITY_SECS) {
            Err(VerifyError::Time(TimeError::WindowTooLong {
                created, expires, ..
            })) => {
                assert_eq!((created, expires), (5, 6 + MAX_VALIDITY_SECS));
            }
            other => panic!("{other:?}"),
        }
        let mut warnings = Vec::new();
        match check_fresh(FileKind::Snapshot, 1_000_000, policy, &mut warnings) {
            Err(
                e @ VerifyError::Expired {
                    expired_at, now, ..
                },
            ) => {
                assert_eq!((expired_at, now), (1_000_000, 1_000_000));
                assert!(
                    e.to_string().contains("expired at 1970-01-12T13:46:40Z"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    use crate::format::comment::SignedFacts;
    use crate::format::manifest::{SnapshotRef, MANIFEST_TYPE, MANIFEST_VERSION};
    use crate::format::signature::{KeyId, SecretKey};

    fn signed_manifest(size: u64) -> (Vec<u8>, String, Keyring) {
        let key = SecretKey::from_seed(&[7; 32], KeyId(*b"SIZETEST"));
        let json = Manifest {
            kind: MANIFEST_TYPE.into(),
            version: MANIFEST_VERSION,
            sequence: 1,
            created: rfc3339(0),
            expires: rfc3339(86_400),
            key_id: key.id().to_string(),
            snapshot: SnapshotRef {
                file: "snapshot-00000001.hushlist".into(),
                size,
                blake3: hex::encode([0; 32]),
            },
        }
        .to_json();
        let facts = SignedFacts {
            kind: FileKind::Manifest,
            sequence: 1,
            created: 0,
            expires: 86_400,
            blake3: *blake3::hash(&json).as_bytes(),
        };
        let signature = key.sign(&json, &facts.to_comment()).to_text();
        (json, signature, Keyring::pinned(key.public_key()))
    }

    /// FORMAT.md counts the contact in the largest snapshot: a manifest
    /// naming one that large is not refused for its size.
    #[test]
    fn the_largest_snapshot_the_format_allows_includes_the_contact() {
        let largest = MAX_SNAPSHOT_LEN;
        assert_eq!(
            largest,
            (HEADER_LEN + MAX_CONTACT_LEN + SECTION_HEADER_LEN) as u64 + MAX_FILTER_BYTES
        );
        let (json, signature, keys) = signed_manifest(largest);
        verify_manifest(&json, &signature, &keys, Policy::at(60)).expect("the format's largest");
        let (json, signature, keys) = signed_manifest(largest + 1);
        let refused =
            verify_manifest(&json, &signature, &keys, Policy::at(60)).expect_err("one byte more");
        assert!(
            refused.to_string().contains("larger than any snapshot"),
            "{refused}"
        );
    }
}
