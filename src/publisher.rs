//! The publisher's side as one door: [`Publisher`] opens a published directory
//! with the publisher's secret key, decides what the next publication is
//! (sequence and chain, salt epoch, key history and signing order), and writes
//! it. `hushlist-publish` is command-line parsing and printing over it, so any
//! other program (a cron job in Rust, a binding) publishes the same way.
//!
//! The steps of [`Publisher::next`], in order:
//! 1. the key history of the directory is verified from the publisher's own
//!    key ([`Publisher::open`]), never from a key a planted statement names;
//! 2. the newest snapshot file is verified and chained to (the newest file,
//!    not the manifest: a run interrupted between the two heals on the next
//!    build instead of blocking it);
//! 3. the keys that signed the history signed it in chain order;
//! 4. the salt epoch is chosen ([`choose_salt_epoch`], pure);
//! 5. the snapshot is built and signed; [`Next::write`] writes it atomically.

use crate::format::json::MAX_JSON_INTEGER;
use crate::format::normalize::{interpret, ReadOptions, Region};
use crate::format::number_key::{Kdf, KEY_LEN};
use crate::format::rotation::{rotation_file_name, sign_rotation};
use crate::format::sealed::OprfSeed;
use crate::format::signature::{PublicKey, SecretKey, SignatureFile};
use crate::format::snapshot::{Contact, Header, Snapshot};
use crate::key_cache::KeyCache;
use crate::publish::{
    build_snapshot, build_snapshot_cached, sign_publication, BuildError, BuildParams, Publication,
    SaltEpoch, Sealing,
};
use crate::published;
use crate::verify::{Keyring, Policy};
use std::path::{Path, PathBuf};

/// Why the next publication cannot be made; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublisherError {
    /// The directory's rotation statements do not verify from the publisher's key.
    #[error("{source} (the key history does not verify from key {key_id})")]
    KeyHistory {
        /// The publisher's key.
        key_id: String,
        /// What failed.
        source: Box<published::Error>,
    },
    /// The publisher's key was never introduced by the directory's history, or was revoked.
    #[error(
        "key {key_id} is not a current key of {}: {reason} (use rotate-key to introduce it)",
        dir.display()
    )]
    NotCurrentKey {
        /// The publisher's key.
        key_id: String,
        /// The directory.
        dir: PathBuf,
        /// What the keyring said.
        reason: String,
    },
    /// The newest snapshot (or one signed by an earlier key) does not verify.
    #[error("cannot chain to the existing publication: {0}")]
    Chain(Box<published::Error>),
    /// A snapshot is signed by a key outside the verified history.
    #[error(
        "cannot chain: snapshot #{sequence} is signed by key {key_id}, which the key history \
         verified from this key does not contain (a planted file?)"
    )]
    UnknownSigner {
        /// The snapshot.
        sequence: u64,
        /// The key its signature names.
        key_id: String,
    },
    /// A snapshot is signed by a key older than one that signed an earlier snapshot.
    #[error(
        "cannot chain: snapshot #{sequence} is signed by key {key_id}, which precedes key \
         {later_key} that signed snapshot #{later_sequence} (a planted rotation statement or snapshot?)"
    )]
    SigningOrder {
        /// The snapshot out of order.
        sequence: u64,
        /// Its key.
        key_id: String,
        /// The later key that signed before it.
        later_key: String,
        /// The snapshot that key signed.
        later_sequence: u64,
    },
    /// The sequence cannot grow further.
    #[error("snapshot #{0} is the last sequence a manifest can carry (2^53 - 1)")]
    LastSequence(u64),
    /// A file could not be read or written.
    #[error(transparent)]
    Files(Box<published::Error>),
    /// The snapshot could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The operating system gave no randomness.
    #[error("no randomness from the OS: {0}")]
    Randomness(String),
    /// The key cache lies inside the published directory.
    #[error(
        "key cache {}: inside the published directory, it would publish the list's keys",
        .0.display()
    )]
    CacheInsidePublication(PathBuf),
    /// A signature or statement in the directory that cannot be parsed.
    #[error("{0}")]
    Malformed(String),
    /// A rotation to the key already in use.
    #[error("the new key is the current key")]
    SameKey,
    /// The publication built would be refused by a default client; nothing
    /// was written.
    #[error("the snapshot built would be refused by clients, so nothing was written: {0}")]
    WouldBeRefused(Box<published::Error>),
    /// The directory's newest snapshot is not the one this publisher
    /// recorded writing there: someone else wrote it, or the directory was
    /// restored or replaced.
    #[error(
        "the published directory's history is not the one this publisher recorded ({}; {}): \
         someone else may have written it; nothing was built{}",
        .recorded.map_or("no record of publishing there".to_string(), |n| format!("recorded #{n}, blake3 {}", .recorded_blake3)),
        .found.map_or("the directory holds no snapshot".to_string(), |n| format!("the directory's newest is #{n}")),
        match (.recorded, .found) {
            (Some(r), Some(f)) if f < r => format!(
                ". Snapshots up to #{r} are missing: put them back if you have them (clients that \
                 installed #{r} refuse a different one under the same number)"
            ),
            _ => String::new(),
        }
    )]
    NotOurHistory {
        /// The sequence recorded, if any.
        recorded: Option<u64>,
        /// Its digest, hex (empty without a record).
        recorded_blake3: String,
        /// The directory's newest, if any.
        found: Option<u64>,
    },
    /// The ledger could not be read or written.
    #[error("publisher ledger {0}")]
    Ledger(String),
    /// A validity window clients would refuse.
    #[error("{0}")]
    Validity(String),
    /// A salt epoch outside the accepted range.
    #[error("{0}")]
    SaltEpoch(String),
}

/// The longest salt epoch: past it, one enumeration of the numbering plan
/// reveals more than a year of the list's changes (SECURITY.md).
pub const MAX_EPOCH_SECS: i64 = 400 * 86_400;
/// The shortest salt epoch: clients re-hash their numbers once per epoch.
pub const MIN_EPOCH_SECS: i64 = 86_400;

/// Checks a plan's durations before any work: the validity window is
/// positive, ends before the year 10000, and is no longer than clients
/// accept unless `fixture` (test fixtures only, which `update` refuses);
/// the salt epoch is between a day and 400 days.
pub fn check_durations(
    now: i64,
    valid_for: i64,
    epoch_length: i64,
    fixture: bool,
) -> Result<(), PublisherError> {
    use crate::format::time::MAX_TIME;
    use crate::verify::MAX_VALIDITY_SECS;
    if valid_for <= 0 || now.checked_add(valid_for).is_none_or(|t| t > MAX_TIME) {
        return Err(PublisherError::Validity(
            "must be positive and end before the year 10000".into(),
        ));
    }
    if valid_for > MAX_VALIDITY_SECS && !fixture {
        return Err(PublisherError::Validity(format!(
            "more than {} days, which clients refuse (a stolen key's snapshot \
             or a frozen mirror must not outlive a year); publish more often instead",
            MAX_VALIDITY_SECS / 86_400
        )));
    }
    if !(MIN_EPOCH_SECS..=MAX_EPOCH_SECS).contains(&epoch_length) {
        return Err(PublisherError::SaltEpoch(
            "must be between 1 day and 400 days".into(),
        ));
    }
    Ok(())
}

impl From<published::Error> for PublisherError {
    fn from(e: published::Error) -> Self {
        PublisherError::Files(Box::new(e))
    }
}

/// 32 random bytes from the operating system.
pub fn os_random() -> Result<[u8; KEY_LEN], PublisherError> {
    let mut bytes = [0u8; KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|e| PublisherError::Randomness(e.to_string()))?;
    Ok(bytes)
}

/// Why a list cell is not a list entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// The cell is not a phone number (the reason FORMAT.md §2 gives).
    #[error("{0}")]
    NotANumber(String),
    /// Digits without `+` and no region to read them in.
    #[error(
        "digits alone: write the number with + (or give a default region for a national number)"
    )]
    DigitsAlone,
    /// More than one number in the cell.
    #[error("holds several numbers: put one number per line")]
    SeveralNumbers,
    /// The row has no readable text in the column (a missing field, bytes
    /// the encoding cannot decode).
    #[error("{0}")]
    Unreadable(String),
    /// The row's region cell names no region this tool knows.
    #[error("{0}: the row is skipped, as its number cannot be read the way the row asks")]
    UnknownRegion(String),
}

/// The one number a list cell stands for. A list entry is one number, read
/// one way: the client's extra readings (digits alone read as +digits,
/// several numbers in a cell) would publish numbers nobody listed.
pub(crate) fn list_entry(
    cell: &str,
    regions: &[Region],
    read: ReadOptions,
) -> Result<String, EntryProblem> {
    let readings =
        interpret(cell, regions, read).map_err(|e| EntryProblem::NotANumber(e.to_string()))?;
    let national: Vec<_> = readings.iter().filter(|r| !r.plus_added).collect();
    match national.as_slice() {
        [one] => Ok(one.e164.clone()),
        [] => Err(EntryProblem::DigitsAlone),
        _ => Err(EntryProblem::SeveralNumbers),
    }
}

/// What [`choose_salt_epoch`] decided, for the publisher to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpochDecision {
    /// The newest snapshot's salt, still within its epoch.
    Kept {
        /// The snapshot whose salt is kept.
        from: u64,
    },
    /// The salt the newest snapshot announced, its epoch having begun.
    Switched {
        /// The snapshot that announced it.
        from: u64,
    },
    /// A fresh salt: the first snapshot.
    First,
    /// A fresh salt, asked for.
    NewEpoch,
}

/// The salt epoch of the next snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochChoice {
    /// The hash function of the current epoch.
    pub kdf: Kdf,
    /// The current epoch's salt.
    pub salt: [u8; KEY_LEN],
    /// Its start and the next epoch announced.
    pub epoch: SaltEpoch,
    /// What was decided.
    pub decision: EpochDecision,
    /// The hash parameters asked for apply only from a later switch (clients
    /// hash ahead for the announced ones).
    pub deferred: bool,
}

/// Chooses the salt: the newest snapshot's within its epoch (clients' key
/// caches carry over), the one it announced once its epoch is over (clients
/// may have hashed for it ahead), a fresh one for a first snapshot or when
/// `new_epoch`. A newly drawn next salt is announced with `kdf`, and never
/// equals the current one. Pure but for `draw`.
pub fn choose_salt_epoch(
    latest: Option<&Header>,
    new_epoch: bool,
    kdf: Kdf,
    now: i64,
    length: i64,
    draw: &mut dyn FnMut() -> Result<[u8; KEY_LEN], PublisherError>,
) -> Result<EpochChoice, PublisherError> {
    let next_after = |draw: &mut dyn FnMut() -> Result<[u8; KEY_LEN], PublisherError>,
                      start: i64,
                      current: &[u8; KEY_LEN]| {
        let mut next = draw()?;
        while next == *current {
            next = draw()?;
        }
        Ok::<_, PublisherError>(SaltEpoch::starting(start, length, kdf, next))
    };
    match latest {
        Some(h) if !new_epoch && now < h.next_epoch_start => Ok(EpochChoice {
            kdf: h.kdf,
            salt: h.salt,
            epoch: SaltEpoch {
                start: h.epoch_start,
                next_start: h.next_epoch_start,
                next_kdf: h.next_kdf,
                next_salt: h.next_salt,
            },
            decision: EpochDecision::Kept { from: h.sequence },
            deferred: !kdf.same_choice(&h.kdf) && !kdf.same_choice(&h.next_kdf),
        }),
        Some(h) if !new_epoch => {
            // Keep the schedule when the switch is on time; restart it after a gap.
            let start = if now < h.next_epoch_start.saturating_add(length) {
                h.next_epoch_start
            } else {
                now
            };
            Ok(EpochChoice {
                kdf: h.next_kdf,
                salt: h.next_salt,
                epoch: next_after(draw, start, &h.next_salt)?,
                decision: EpochDecision::Switched { from: h.sequence },
                deferred: false,
            })
        }
        Some(h) => {
            // A new epoch on purpose starts now with the salt already
            // announced (FORMAT.md §8, the salt-epoch rule: no salt a
            // client was not told of in advance), the hash given, and a
            // fresh announcement.
            Ok(EpochChoice {
                kdf,
                salt: h.next_salt,
                epoch: next_after(draw, now, &h.next_salt)?,
                decision: EpochDecision::NewEpoch,
                deferred: false,
            })
        }
        None => {
            let salt = draw()?;
            Ok(EpochChoice {
                kdf,
                salt,
                epoch: next_after(draw, now, &salt)?,
                decision: EpochDecision::First,
                deferred: false,
            })
        }
    }
}

/// The keys of a directory's publication history, verified from the
/// publisher's own key: the rotation statements are followed from it (those
/// before it must chain to the statement that introduced it), never from a
/// key a planted statement names. The key must be current after all the
/// statements: publishing with a key the directory never introduced, or
/// revoked, would break every client.
struct DirectoryKeys {
    /// Every key of the history, oldest first.
    keys: Keyring,
    /// Their ids in chain order.
    order: Vec<String>,
    /// How many of them came before the publisher's own key.
    before_own: usize,
    /// Statements applied.
    applied: u64,
}

/// A published directory opened by its publisher.
pub struct Publisher {
    dir: PathBuf,
    key: SecretKey,
    history: DirectoryKeys,
    ledger: Option<Ledger>,
    adopt: bool,
}

/// What the next snapshot is made of besides its numbers.
pub struct NextPlan<'a> {
    /// The hash function asked for (applied at once only for a new epoch).
    pub kdf: Kdf,
    /// Target false-positive rate.
    pub fp_rate: f64,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub expires: i64,
    /// Length of a salt epoch, seconds.
    pub epoch_length: i64,
    /// Start a new salt epoch now.
    pub new_epoch: bool,
    /// The publisher's contact; `None` carries the newest snapshot's over.
    pub contact: Option<Contact>,
    /// The list's key cache, if any.
    pub key_cache: Option<&'a Path>,
    /// The OPRF seed, needed while either epoch is sealed (`kdf` voprf asked
    /// for, or kept from the newest snapshot).
    pub oprf: Option<OprfSeed>,
    /// Where clients ask for evaluations; `None` carries the newest
    /// snapshot's over.
    pub evaluation_url: Option<String>,
}

/// `kdf` with the public key `oprf` gives for `salt` when it is sealed: the
/// key a plan asks for is a placeholder, and one read from a snapshot must
/// be the one the seed gives (checked again when the snapshot is built).
fn with_public_key(
    kdf: Kdf,
    salt: &[u8; KEY_LEN],
    oprf: Option<&OprfSeed>,
) -> Result<Kdf, PublisherError> {
    match (kdf, oprf) {
        (Kdf::Voprf { public_key }, Some(seed)) if public_key == [0; 32] => Ok(Kdf::Voprf {
            public_key: seed.epoch_key(salt).public_key(),
        }),
        (Kdf::Voprf { .. }, None) => Err(PublisherError::Build(BuildError::Sealed(
            "an epoch of this snapshot is sealed (voprf): give the OPRF key (--oprf-key)".into(),
        ))),
        (kdf, _) => Ok(kdf),
    }
}

/// The next publication, built and signed but not yet written.
pub struct Next {
    /// The signed files.
    pub publication: Publication,
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Everything that defined it.
    pub params: BuildParams,
    /// The salt epoch decided.
    pub epoch: EpochChoice,
    /// The contact came from the newest snapshot, not from the plan.
    pub contact_carried_over: Option<u64>,
    /// Numbers taken from the key cache, and its file.
    pub cache: Option<(usize, PathBuf)>,
    ledger: Option<Ledger>,
}

impl Next {
    /// Writes the snapshot, the manifest and their signatures atomically;
    /// returns the snapshot file's path.
    /// The publisher's ledger records it once written.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, PublisherError> {
        let path = published::write_publication(dir, &self.publication)?;
        if let Some(ledger) = &self.ledger {
            let digest = blake3::hash(&self.publication.snapshot);
            ledger.write(self.params.sequence, digest.as_bytes())?;
        }
        Ok(path)
    }
}

/// A rotation statement, signed and written.
pub struct Rotated {
    /// Its number in the chain.
    pub number: u64,
    /// The statement file.
    pub path: PathBuf,
}

impl Publisher {
    /// Opens `dir` (possibly empty) to publish with `key`: verifies the key
    /// history from the key itself (step 1).
    pub fn open(dir: &Path, key: SecretKey) -> Result<Self, PublisherError> {
        let history = directory_keys(dir, &key)?;
        Ok(Publisher {
            dir: dir.to_path_buf(),
            key,
            history,
            ledger: None,
            adopt: false,
        })
    }

    /// Keeps a ledger of what this publisher wrote into the directory: the
    /// next publication is built only on the newest snapshot the ledger
    /// records (or, with `adopt`, on the directory as it is, which is then
    /// recorded). Without one the publisher trusts whoever can write the
    /// directory.
    pub fn with_ledger(mut self, ledger: Ledger, adopt: bool) -> Self {
        self.ledger = Some(ledger);
        self.adopt = adopt;
        self
    }

    /// The newest snapshot, verified, with its digest (steps 2 and 3).
    fn latest(&self, now: i64) -> Result<Option<(Header, [u8; 32])>, PublisherError> {
        let Some((_, path)) = published::snapshot_files(&self.dir)?.pop() else {
            return Ok(None);
        };
        let policy = Policy {
            staleness: crate::verify::Staleness::AcceptLoudly,
            ..Policy::at(now)
        };
        let latest = published::open_snapshot_file_with(&path, &self.history.keys, policy)
            .map_err(|e| PublisherError::Chain(Box::new(e)))?;
        check_signing_order(&self.dir, &self.history, policy)?;
        let header = latest.snapshot.snapshot.header;
        if header.sequence >= MAX_JSON_INTEGER {
            return Err(PublisherError::LastSequence(header.sequence));
        }
        Ok(Some((header, latest.snapshot.digest)))
    }

    /// Builds and signs the next publication from distinct E.164 `numbers`.
    pub fn next(
        &self,
        numbers: &[String],
        plan: NextPlan<'_>,
        draw: &mut dyn FnMut() -> Result<[u8; KEY_LEN], PublisherError>,
    ) -> Result<Next, PublisherError> {
        let latest = self.latest(plan.created)?;
        if let Some(ledger) = &self.ledger {
            let found = latest.as_ref().map(|(h, d)| (h.sequence, *d));
            ledger::check(ledger.read()?.as_ref(), found, self.adopt)?;
        }
        let header = latest.as_ref().map(|(h, _)| h);
        let (sequence, previous) = match &latest {
            Some((h, digest)) => (h.sequence + 1, *digest),
            None => (1, [0u8; 32]),
        };
        let mut epoch = choose_salt_epoch(
            header,
            plan.new_epoch,
            plan.kdf,
            plan.created,
            plan.epoch_length,
            draw,
        )?;
        let oprf = plan.oprf.as_ref();
        epoch.kdf = with_public_key(epoch.kdf, &epoch.salt, oprf)?;
        epoch.epoch.next_kdf = with_public_key(epoch.epoch.next_kdf, &epoch.epoch.next_salt, oprf)?;
        let evaluation_url = plan.evaluation_url.or_else(|| {
            header
                .map(|h| h.evaluation_url.clone())
                .filter(|u| !u.is_empty())
        });
        let sealing = match (plan.oprf, evaluation_url) {
            (Some(seed), Some(evaluation_url)) => Some(Sealing {
                seed,
                evaluation_url,
            }),
            _ => None,
        };
        let (contact, contact_carried_over) = match (plan.contact, header) {
            (Some(c), _) => (c, None),
            (None, Some(h)) => (
                h.contact.clone(),
                (!h.contact.is_empty()).then_some(h.sequence),
            ),
            (None, None) => (Contact::default(), None),
        };
        let params = BuildParams {
            sequence,
            created: plan.created,
            expires: plan.expires,
            previous,
            kdf: epoch.kdf,
            salt: epoch.salt,
            fp_rate: crate::publish::sizing_rate(plan.fp_rate),
            epoch: epoch.epoch.clone(),
            contact,
            sealing,
        };
        let (snapshot, cache) = match plan.key_cache {
            None => (build_snapshot(numbers, &params)?, None),
            Some(dir) => {
                let absolute =
                    |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
                if absolute(dir).starts_with(absolute(&self.dir)) {
                    return Err(PublisherError::CacheInsidePublication(dir.to_path_buf()));
                }
                let next = (params.epoch.next_kdf, params.epoch.next_salt);
                let mut cache = KeyCache::open_salt(dir, (params.kdf, params.salt), next)
                    .map_err(|e| BuildError::Cache(format!("{}: {e}", dir.display())))?;
                let (snapshot, hits) = build_snapshot_cached(numbers, &params, &mut cache)?;
                (snapshot, Some((hits, cache.path().to_path_buf())))
            }
        };
        let publication = sign_publication(&snapshot, &self.key);
        self.as_a_client_would(&publication, plan.created)?;
        Ok(Next {
            publication,
            snapshot,
            params,
            epoch,
            contact_carried_over,
            cache,
            ledger: self.ledger.clone(),
        })
    }

    /// Verifies a publication as a default client would on the day it is
    /// made: what a client refuses (an over-filled filter, a filter whose
    /// bits its entries cannot have set) is never written.
    fn as_a_client_would(&self, publication: &Publication, now: i64) -> Result<(), PublisherError> {
        let files = published::Files {
            manifest: publication.manifest.clone(),
            manifest_signature: publication.manifest_signature.clone(),
            snapshot: publication.snapshot.clone(),
            snapshot_signature: publication.snapshot_signature.clone(),
            rotations: Vec::new(),
        };
        let keys = Keyring::pinned(self.key.public_key());
        published::open_files(files, &keys, Policy::at(now))
            .map(|_| ())
            .map_err(|e| PublisherError::WouldBeRefused(Box::new(e)))
    }

    /// Signs and writes the next rotation statement: this key introduces
    /// `new` (and, with `revoke_old`, revokes itself).
    pub fn rotate(
        &self,
        new: &PublicKey,
        revoke_old: bool,
        now: i64,
    ) -> Result<Rotated, PublisherError> {
        if new.id() == self.key.id() {
            return Err(PublisherError::SameKey);
        }
        let number = self.history.applied + 1;
        let (json, signature) = sign_rotation(&self.key, new, number, now, revoke_old);
        let path = self.dir.join(rotation_file_name(number));
        // The signature first: a statement without one is refused by clients,
        // a signature without its statement is ignored.
        published::write_atomic(
            &published::signature_path(&path),
            signature.as_bytes(),
            0o644,
        )?;
        published::write_atomic(&path, &json, 0o644)?;
        Ok(Rotated { number, path })
    }
}

fn directory_keys(dir: &Path, key: &SecretKey) -> Result<DirectoryKeys, PublisherError> {
    let own = key.public_key();
    let (current, followed) = published::follow_rotations_noted(dir, &Keyring::pinned(own.clone()))
        .map_err(|source| PublisherError::KeyHistory {
            key_id: key.id().to_string(),
            source: Box::new(source),
        })?;
    current
        .find(key.id())
        .map_err(|e| PublisherError::NotCurrentKey {
            key_id: key.id().to_string(),
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
    let mut every: Vec<PublicKey> = Vec::new();
    let parse = |line: &str| {
        PublicKey::from_text(line).map_err(|e| PublisherError::Malformed(e.to_string()))
    };
    for step in followed.iter().filter(|s| s.before_pin) {
        if every.is_empty() {
            every.push(parse(&step.old_key)?);
        }
        if step.new_key != own.to_base64() {
            every.push(parse(&step.new_key)?);
        }
    }
    let before_own = every.len();
    every.push(own);
    for step in followed.iter().filter(|s| !s.before_pin) {
        every.push(parse(&step.new_key)?);
    }
    Ok(DirectoryKeys {
        order: every.iter().map(|k| k.id().to_string()).collect(),
        keys: Keyring::history(every, current.applied),
        before_own,
        applied: current.applied,
    })
}

/// Keys sign a directory in chain order: once the publisher's own key (or a
/// later one) has signed a snapshot, no key from before it may sign a later
/// one. A snapshot claiming a key from before the publisher's own is verified
/// in full (only statements the publisher cannot judge vouch for that key);
/// the others are verified from the publisher's own key when chained to.
fn check_signing_order(
    dir: &Path,
    ring: &DirectoryKeys,
    policy: Policy,
) -> Result<(), PublisherError> {
    let claims = published::snapshot_files(dir)?
        .into_iter()
        .map(|(seq, path)| {
            let sig = published::read_capped(&published::signature_path(&path), 4096)?;
            let claimed = SignatureFile::parse(&String::from_utf8_lossy(&sig))
                .map(|s| s.key_id.to_string())
                .map_err(|e| PublisherError::Malformed(format!("{}: {e}", path.display())))?;
            Ok((seq, path, claimed))
        })
        .collect::<Result<Vec<_>, PublisherError>>()?;
    let positions = claims
        .iter()
        .map(|(seq, _, claimed)| {
            ring.order.iter().position(|k| k == claimed).ok_or_else(|| {
                PublisherError::UnknownSigner {
                    sequence: *seq,
                    key_id: claimed.clone(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for ((_, path, _), &at) in claims.iter().zip(&positions) {
        if at < ring.before_own {
            published::open_snapshot_file_with(path, &ring.keys, policy)
                .map_err(|e| PublisherError::Chain(Box::new(e)))?;
        }
    }
    let sequence_and_key: Vec<(u64, String)> =
        claims.into_iter().map(|(seq, _, key)| (seq, key)).collect();
    signing_order(&sequence_and_key, &positions, &ring.order)
}

/// The pure rule of [`check_signing_order`]: `positions[i]` is the place in
/// the key chain of the key that signed `snapshots[i]` (in sequence order);
/// no snapshot may be signed by a key earlier than one that signed before it.
fn signing_order(
    snapshots: &[(u64, String)],
    positions: &[usize],
    order: &[String],
) -> Result<(), PublisherError> {
    let mut highest: Option<(usize, u64)> = None;
    for ((seq, key), &at) in snapshots.iter().zip(positions) {
        if let Some((prev, prev_seq)) = highest.filter(|(prev, _)| at < *prev) {
            return Err(PublisherError::SigningOrder {
                sequence: *seq,
                key_id: key.clone(),
                later_key: order[prev].clone(),
                later_sequence: prev_seq,
            });
        }
        if highest.is_none_or(|(prev, _)| at >= prev) {
            highest = Some((at, *seq));
        }
    }
    Ok(())
}

mod ledger;
mod list;
pub use ledger::{Ledger, Record, LEDGER_DIR};
pub use list::{read_list, ListOptions, ListRead, Skipped};

#[cfg(test)]
mod tests;
