//! Building and signing a publication: snapshot, manifest and their signatures.
//! Pure: randomness and time come in as parameters, bytes go out.

use crate::format::comment::{FileKind, SignedFacts};
use crate::format::filter::{self, Filter, FilterError};
use crate::format::manifest::{Manifest, SnapshotRef, MANIFEST_TYPE, MANIFEST_VERSION};
use crate::format::normalize;
use crate::format::number_key::{BadKdfParams, Kdf, NumberHasher, KEY_LEN};
use crate::format::sealed::{EpochKey, OprfSeed};
use crate::format::signature::SecretKey;
use crate::format::snapshot::{https_url, Contact, Header, Snapshot};
use crate::format::time::rfc3339;
use crate::key_cache::KeyCache;
use rayon::prelude::*;

/// Everything that defines a snapshot besides its numbers.
#[derive(Clone, Debug)]
pub struct BuildParams {
    /// Sequence number (previous + 1).
    pub sequence: u64,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds, after `created`.
    pub expires: i64,
    /// BLAKE3 digest of the previous snapshot file, zeros for the first.
    pub previous: [u8; 32],
    /// Hash function and parameters of the current salt epoch.
    pub kdf: Kdf,
    /// The current salt epoch's salt (random when the epoch began). The filter
    /// seed derives from it.
    pub salt: [u8; KEY_LEN],
    /// Target false-positive rate.
    pub fp_rate: f64,
    /// When the salt came into use, and what comes next.
    pub epoch: SaltEpoch,
    /// Who publishes, and how to confirm a match.
    pub contact: Contact,
    /// The OPRF seed and evaluation URL, when either epoch is sealed.
    pub sealing: Option<Sealing>,
}

/// What a sealed snapshot needs besides its parameters: the publisher's OPRF
/// seed (the list's keys are evaluated with it, and every sealed epoch's
/// public key must derive from it) and where clients ask for evaluations.
#[derive(Clone, Debug)]
pub struct Sealing {
    /// The publisher's OPRF secret.
    pub seed: OprfSeed,
    /// The evaluation service's `https://` URL, signed into the header.
    pub evaluation_url: String,
}

/// The current salt epoch's start and the next epoch, announced ahead.
#[derive(Clone, Debug, PartialEq)]
pub struct SaltEpoch {
    /// When the current salt came into use, Unix seconds.
    pub start: i64,
    /// When the next salt takes over, Unix seconds.
    pub next_start: i64,
    /// The next epoch's hash function and parameters.
    pub next_kdf: Kdf,
    /// The next epoch's salt (random, distinct from the current one).
    pub next_salt: [u8; KEY_LEN],
}

impl SaltEpoch {
    /// An epoch of `length` seconds from `start`, followed by `next_kdf` with `next_salt`.
    pub fn starting(start: i64, length: i64, next_kdf: Kdf, next_salt: [u8; KEY_LEN]) -> Self {
        SaltEpoch {
            start,
            next_start: start.saturating_add(length),
            next_kdf,
            next_salt,
        }
    }
}

/// Why a snapshot cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Hash parameters out of bounds.
    #[error(transparent)]
    Kdf(#[from] BadKdfParams),
    /// Filter parameters out of bounds.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// Nothing to publish.
    #[error("the list holds no valid number")]
    Empty,
    /// The publisher's contact breaks a format rule.
    #[error("{0}")]
    Contact(String),
    /// The key cache could not be written.
    #[error("key cache: {0}")]
    Cache(String),
    /// A sealed epoch without its OPRF seed, a public key the seed does not
    /// give, or no usable evaluation URL.
    #[error("sealed snapshot: {0}")]
    Sealed(String),
}

/// How the list's own keys are derived: locally, or with the OPRF key.
enum ListKeys {
    Local(NumberHasher),
    Sealed(EpochKey, [u8; KEY_LEN]),
}

impl ListKeys {
    fn new(params: &BuildParams) -> Result<Self, BuildError> {
        let sealed = params.kdf.is_sealed() || params.epoch.next_kdf.is_sealed();
        let url = params.sealing.as_ref().map(|s| s.evaluation_url.as_str());
        match (sealed, url) {
            (true, None) => {
                return Err(BuildError::Sealed(
                    "an epoch is sealed (voprf): the OPRF key and an evaluation URL are needed"
                        .into(),
                ))
            }
            (true, Some(url)) if !https_url(url) => {
                return Err(BuildError::Sealed(format!(
                    "evaluation URL {url:?} must be https:// and a host, with no white space"
                )))
            }
            _ => {}
        }
        for (kdf, salt, which) in [
            (params.kdf, &params.salt, "current"),
            (params.epoch.next_kdf, &params.epoch.next_salt, "next"),
        ] {
            if let (Kdf::Voprf { public_key }, Some(sealing)) = (kdf, &params.sealing) {
                let derived = sealing.seed.epoch_key(salt).public_key();
                if derived != public_key {
                    return Err(BuildError::Sealed(format!(
                        "the OPRF key gives public key {} for the {which} epoch, but the epoch \
                         announced {}: this is not the OPRF key the epoch was sealed with",
                        hex::encode(derived),
                        hex::encode(public_key)
                    )));
                }
            }
        }
        Ok(match (params.kdf, &params.sealing) {
            (Kdf::Voprf { .. }, Some(sealing)) => {
                ListKeys::Sealed(sealing.seed.epoch_key(&params.salt), params.salt)
            }
            _ => ListKeys::Local(NumberHasher::new(params.kdf, params.salt)?),
        })
    }

    fn item(&self, e164: &str) -> u64 {
        match self {
            ListKeys::Local(hasher) => filter::item(&hasher.key(e164)),
            ListKeys::Sealed(key, salt) => filter::item(&key.number_key(salt, e164)),
        }
    }
}

/// Builds a snapshot from distinct E.164 numbers, hashing on all cores.
pub fn build_snapshot(numbers: &[String], params: &BuildParams) -> Result<Snapshot, BuildError> {
    build(numbers, params, None).map(|(snapshot, _)| snapshot)
}

/// As [`build_snapshot`], taking the items of numbers already hashed with this
/// salt from `cache` and adding the others to it: within a salt epoch a daily
/// build then hashes only the numbers new to the list. Returns the snapshot and
/// how many numbers came from the cache.
pub fn build_snapshot_cached(
    numbers: &[String],
    params: &BuildParams,
    cache: &mut KeyCache,
) -> Result<(Snapshot, usize), BuildError> {
    build(numbers, params, Some(cache))
}

fn build(
    numbers: &[String],
    params: &BuildParams,
    mut cache: Option<&mut KeyCache>,
) -> Result<(Snapshot, usize), BuildError> {
    if numbers.is_empty() {
        return Err(BuildError::Empty);
    }
    params.contact.validate().map_err(BuildError::Contact)?;
    params.epoch.next_kdf.validate()?;
    let keys = ListKeys::new(params)?;
    let seed = filter::seed_from_salt(&params.salt);
    let mut filter = Filter::new(numbers.len() as u64, params.fp_rate, &seed)?;
    let cached: Vec<Option<u64>> = numbers
        .iter()
        .map(|n| cache.as_ref().and_then(|c| c.get(n)))
        .collect();
    let items: Vec<u64> = numbers
        .par_iter()
        .zip(&cached)
        .map(|(n, hit)| hit.unwrap_or_else(|| keys.item(n)))
        .collect();
    let from_cache = cached.iter().filter(|c| c.is_some()).count();
    if let Some(cache) = cache.as_mut() {
        for ((n, item), hit) in numbers.iter().zip(&items).zip(&cached) {
            if hit.is_none() {
                cache.insert(n, *item);
            }
        }
        cache
            .flush()
            .map_err(|e| BuildError::Cache(e.to_string()))?;
    }
    for &item in &items {
        filter.insert_item(item);
    }
    let snapshot = Snapshot {
        header: Header {
            sequence: params.sequence,
            created: params.created,
            expires: params.expires,
            previous: params.previous,
            entries: numbers.len() as u64,
            normalization: normalize::SCHEME,
            metadata_version: normalize::METADATA_VERSION.into(),
            kdf: params.kdf,
            salt: params.salt,
            fp_rate: params.fp_rate,
            epoch_start: params.epoch.start,
            next_epoch_start: params.epoch.next_start,
            next_kdf: params.epoch.next_kdf,
            next_salt: params.epoch.next_salt,
            contact: params.contact.clone(),
            evaluation_url: match &params.sealing {
                Some(s) if params.kdf.is_sealed() || params.epoch.next_kdf.is_sealed() => {
                    s.evaluation_url.clone()
                }
                _ => String::new(),
            },
        },
        filter,
    };
    Ok((snapshot, from_cache))
}

/// The rate a publisher sizes (and declares) a filter for: a quarter of the
/// rate asked for, within the format's range. The rate a
/// filter reaches depends on its salt, and one sized exactly for the target
/// is refused about half the time by a client whose maximum is that target
/// (FORMAT.md, "Sizing").
pub fn sizing_rate(target: f64) -> f64 {
    (target / 4.0).max(filter::FP_RATE_RANGE.0)
}

/// The file name of snapshot `sequence` in a published directory.
pub fn snapshot_file_name(sequence: u64) -> String {
    format!("snapshot-{sequence:08}.hushlist")
}

/// The four files of one publication, ready to write.
pub struct Publication {
    /// Snapshot file name.
    pub snapshot_name: String,
    /// Snapshot bytes.
    pub snapshot: Vec<u8>,
    /// Its `.minisig`.
    pub snapshot_signature: String,
    /// `manifest.json` bytes.
    pub manifest: Vec<u8>,
    /// Its `.minisig`.
    pub manifest_signature: String,
}

/// Encodes and signs a snapshot and the manifest that points to it.
pub fn sign_publication(snapshot: &Snapshot, key: &SecretKey) -> Publication {
    let h = &snapshot.header;
    let bytes = snapshot.encode();
    let facts = |kind, data: &[u8]| SignedFacts {
        kind,
        sequence: h.sequence,
        created: h.created,
        expires: h.expires,
        blake3: *blake3::hash(data).as_bytes(),
    };
    let snapshot_facts = facts(FileKind::Snapshot, &bytes);
    let snapshot_name = snapshot_file_name(h.sequence);
    let manifest = Manifest {
        kind: MANIFEST_TYPE.into(),
        version: MANIFEST_VERSION,
        sequence: h.sequence,
        created: rfc3339(h.created),
        expires: rfc3339(h.expires),
        key_id: key.id().to_string(),
        snapshot: SnapshotRef {
            file: snapshot_name.clone(),
            size: bytes.len() as u64,
            blake3: hex::encode(snapshot_facts.blake3),
        },
    }
    .to_json();
    let snapshot_signature = key.sign(&bytes, &snapshot_facts.to_comment()).to_text();
    let manifest_signature = key
        .sign(
            &manifest,
            &facts(FileKind::Manifest, &manifest).to_comment(),
        )
        .to_text();
    Publication {
        snapshot_name,
        snapshot: bytes,
        snapshot_signature,
        manifest,
        manifest_signature,
    }
}
