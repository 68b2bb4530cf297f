//! Updating the installed snapshot from untrusted sources, as fixed steps in
//! this order (the order TUF clients use):
//!
//! 1. follow key rotations from every source (each statement signed by a key
//!    already trusted); the source with the newest verified set wins, and a
//!    rollback floor set only by keys revoked since is discarded (TUF's
//!    fast-forward recovery);
//! 2. fetch the manifest (conditionally: an unchanged one costs a 304);
//! 3. verify the manifest's signature, and that its times are possible;
//! 4. refuse rollback: a sequence lower than the highest seen from a key still
//!    trusted, or a `created` earlier than the installed snapshot's;
//! 5. refuse freeze: an expired manifest (checked with step 3);
//! 6. fetch the snapshot, capped at the size the manifest signs;
//! 7. verify its signature and digest, and that it is the one the manifest names;
//! 8. install atomically; only now does anything the client trusts change.
//!
//! A failure at any step leaves the previous snapshot installed. Sources are
//! tried in order; each failure is reported with its source.

use crate::client::state::{Installed, State, StateError, Status};
use crate::client::transport::{FetchError, Fetched, Transport};
use crate::format::manifest::MAX_MANIFEST_LEN;
use crate::format::rotation::{rotation_file_name, MAX_ROTATION_LEN};
use crate::format::signature::MAX_SIGNATURE_FILE_LEN;
use crate::published::{self, signature_path, MANIFEST_FILE, MAX_SNAPSHOT_LEN};
use crate::verify::{self, Followed, Keyring, Policy, VerifyError};
use std::fmt;

/// Longest ETag stored: a hostile mirror's huge one must not grow `status.json`
/// past what it may hold. A longer one is not stored (the next request is
/// simply unconditional).
pub const MAX_ETAG_LEN: usize = 256;

/// What an update did, and what it followed on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Updated {
    /// The result.
    pub outcome: Outcome,
    /// Rotations followed, revocations applied, a rollback floor discarded:
    /// each a sentence for the user.
    pub notes: Vec<String>,
}

impl fmt::Display for Updated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        write!(f, "{}", self.outcome)
    }
}

/// What an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A newer snapshot was installed.
    Installed {
        /// The sequence installed before, if any.
        previous: Option<u64>,
        /// The sequence installed now.
        sequence: u64,
        /// Where it came from.
        source: String,
    },
    /// The source offers the snapshot already installed.
    Current {
        /// The installed sequence.
        sequence: u64,
        /// The source asked.
        source: String,
    },
    /// The source's manifest has not changed (HTTP 304).
    NotModified {
        /// The installed sequence.
        sequence: u64,
        /// The source asked.
        source: String,
    },
}

/// Why an update failed; the installed snapshot is unchanged in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The state directory.
    #[error(transparent)]
    State(#[from] StateError),
    /// A download failed.
    #[error("download: {0}")]
    Fetch(#[from] FetchError),
    /// A file failed verification.
    #[error("{file}: {source}")]
    Verify {
        /// The file.
        file: String,
        /// The failed step.
        source: VerifyError,
    },
    /// An older snapshot than one already seen.
    #[error("rollback: the source offers snapshot #{offered}, older than #{highest} already seen")]
    Rollback {
        /// Sequence offered.
        offered: u64,
        /// Highest sequence seen.
        highest: u64,
    },
    /// Two different snapshots signed with the same sequence.
    #[error(
        "conflicting snapshots: the source's #{sequence} differs from the installed #{sequence} \
         (a split view, or a publisher error); keeping the installed one"
    )]
    Equivocation {
        /// The sequence.
        sequence: u64,
    },
    /// A signed time that cannot be accepted (future, earlier than installed, too long).
    #[error("{file}: {source}")]
    Time {
        /// The file.
        file: String,
        /// What is wrong.
        source: VerifyError,
    },
    /// Every source failed.
    #[error("{}", list(.0))]
    AllSourcesFailed(Vec<(String, UpdateError)>),
}

fn list(failures: &[(String, UpdateError)]) -> String {
    let mut s = String::from("every source failed");
    for (source, e) in failures {
        s.push_str(&format!("\n  {source}: {e}"));
    }
    s
}

impl UpdateError {
    fn verify(file: &str, source: VerifyError) -> Self {
        UpdateError::Verify {
            file: file.to_string(),
            source,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Installed {
                previous: Some(p),
                sequence,
                source,
            } => write!(f, "updated: snapshot #{p} -> #{sequence} from {source}"),
            Outcome::Installed {
                sequence, source, ..
            } => write!(f, "installed snapshot #{sequence} from {source}"),
            Outcome::Current { sequence, source } => {
                write!(f, "already current: snapshot #{sequence} ({source})")
            }
            Outcome::NotModified { sequence, source } => {
                write!(
                    f,
                    "already current: snapshot #{sequence} ({source}: not modified)"
                )
            }
        }
    }
}

fn body(fetched: Fetched, name: &str) -> Result<Vec<u8>, FetchError> {
    match fetched {
        Fetched::Body { bytes, .. } => Ok(bytes),
        // Only the manifest is fetched conditionally.
        Fetched::NotModified => Err(FetchError::Transport {
            name: name.into(),
            message: "unexpected 304 Not Modified".into(),
        }),
    }
}

fn fetch_signature(transport: &dyn Transport, name: &str) -> Result<String, UpdateError> {
    let sig_name = format!("{name}{}", published::SIGNATURE_SUFFIX);
    let bytes = body(
        transport.fetch(&sig_name, MAX_SIGNATURE_FILE_LEN as u64, None)?,
        &sig_name,
    )?;
    String::from_utf8(bytes).map_err(|_| {
        UpdateError::Fetch(FetchError::Transport {
            name: sig_name,
            message: "signature is not UTF-8 text".into(),
        })
    })
}

/// How to run an update.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The current time, Unix seconds.
    pub now: i64,
    /// Send the stored ETag so an unchanged manifest costs a 304. Off means the
    /// manifest is always downloaded in full (some servers, nginx among them,
    /// derive ETags from whole-second modification times, so two publications
    /// within one second can share one).
    pub conditional: bool,
    /// Forget the latest time seen before checking the clock, after a clock that
    /// ran ahead was corrected.
    pub accept_clock: bool,
    /// The largest false-positive rate accepted, judged from the bits set.
    pub max_fp_rate: crate::format::filter::MaxFpRate,
    /// The largest snapshot downloaded and read, in bytes.
    pub max_snapshot_len: u64,
}

impl Options {
    /// Conditional requests, the clock as recorded, and the default limits
    /// of [`Policy::at`].
    pub fn at(now: i64) -> Self {
        let policy = Policy::at(now);
        Options {
            now,
            conditional: true,
            accept_clock: false,
            max_fp_rate: policy.max_fp_rate,
            max_snapshot_len: policy.max_snapshot_len,
        }
    }

    fn policy(&self) -> Policy {
        Policy {
            max_fp_rate: self.max_fp_rate,
            max_snapshot_len: self.max_snapshot_len,
            ..Policy::at(self.now)
        }
    }
}

/// Updates from `sources` in order; the first that succeeds wins.
pub fn update(
    state: &State,
    sources: &[Box<dyn Transport>],
    options: Options,
) -> Result<Updated, UpdateError> {
    let now = options.now;
    let _lock = state.lock()?;
    let mut status = state.status()?;
    if options.accept_clock {
        State::forget_clock(&mut status);
    }
    state.check_clock(&mut status, now)?;
    if !options.conditional {
        status.etags.clear();
    }
    // Only the configured sources' validators are kept, each bounded.
    let names: Vec<String> = sources.iter().map(|s| s.describe()).collect();
    status
        .etags
        .retain(|k, v| names.contains(k) && v.len() <= MAX_ETAG_LEN);

    // Step 1, before any manifest: a revocation seen on one mirror must bind
    // every other mirror, whichever answers first.
    let mut keys = state.keyring()?;
    let mut notes = Vec::new();
    let rotation_failures = follow_every_source(state, sources, &mut keys, &mut notes)?;
    recover_floor(state, &mut status, &keys, &mut notes);

    let mut failures = Vec::new();
    for (source, rotation_failure) in sources.iter().zip(rotation_failures) {
        let result = match rotation_failure {
            Some(e) => Err(e),
            None => update_from(state, &mut status, &keys, source.as_ref(), &options),
        };
        match result {
            Ok(outcome) => {
                state.save_status(&status)?;
                return Ok(Updated { outcome, notes });
            }
            Err(e) => failures.push((source.describe(), e)),
        }
    }
    state.save_status(&status)?;
    match failures.len() {
        1 => Err(failures.pop().expect("one").1),
        _ => Err(UpdateError::AllSourcesFailed(failures)),
    }
}

/// Follows each source's rotation statements from the saved keyring; the set
/// that verifies furthest wins (on a tie, the one whose last statement is
/// newest, then the first source), not the first source to answer. Returns
/// each source's failure, if its statements could not be read or verified.
fn follow_every_source(
    state: &State,
    sources: &[Box<dyn Transport>],
    keys: &mut Keyring,
    notes: &mut Vec<String>,
) -> Result<Vec<Option<UpdateError>>, UpdateError> {
    // The pinned key signing a statement at or before the one that supposedly
    // introduced it proves that introduction forged (one mirror's invented
    // history must not hide another's revocation of the pinned key).
    let anchor = keys.anchored();
    if anchor > 0 {
        'sources: for source in sources {
            for n in 1..=anchor {
                if let Ok(Some((json, signature))) = fetch_rotation(source.as_ref(), n) {
                    if keys.signed_by_pin(&json, &signature) {
                        keys.distrust_anchor(n);
                        state.save_keyring(keys)?;
                        notes.push(format!(
                            "{} shows rotation statement {n} signed by the pinned key: the \
                             statements that claimed to introduce it at #{anchor} were forged; \
                             following the rotations from the pinned key again",
                            source.describe()
                        ));
                        break 'sources;
                    }
                }
            }
        }
    }
    let mut best: Option<(Keyring, Vec<Followed>)> = None;
    let mut failures = Vec::new();
    for source in sources {
        let mut ring = keys.clone();
        let result = ring.follow(
            |n| fetch_rotation(source.as_ref(), n),
            |n, e| UpdateError::verify(&rotation_file_name(n), e),
            |_| Ok(()),
        );
        match result {
            Ok(followed) => {
                let newer = best.as_ref().is_none_or(|(b, f)| {
                    (ring.applied, followed.last().map(|s| s.created.clone()))
                        > (b.applied, f.last().map(|s| s.created.clone()))
                });
                if newer {
                    best = Some((ring, followed));
                }
                failures.push(None);
            }
            Err(e) => failures.push(Some(e)),
        }
    }
    if let Some((ring, followed)) = best.filter(|(ring, _)| ring.applied > keys.applied) {
        *keys = ring;
        state.save_keyring(keys)?;
        notes.extend(followed.iter().map(ToString::to_string));
    }
    Ok(failures)
}

fn fetch_rotation(
    source: &dyn Transport,
    n: u64,
) -> Result<Option<(Vec<u8>, String)>, UpdateError> {
    let file = rotation_file_name(n);
    let bytes = match source.fetch(&file, MAX_ROTATION_LEN as u64, None) {
        Err(e) if absent(&e) => return Ok(None),
        other => body(other?, &file)?,
    };
    Ok(Some((bytes, fetch_signature(source, &file)?)))
}

/// The rollback floor: the highest sequence accepted from a key still trusted.
/// A thief's huge sequence, signed by a key revoked since, stops counting once
/// the revocation verifies (as TUF clients discard metadata after a rotation).
fn recover_floor(state: &State, status: &mut Status, keys: &Keyring, notes: &mut Vec<String>) {
    if status.highest_by_key.is_empty() {
        // A state written before floors were kept per key: the installed
        // snapshot's signer set the floor.
        let Some(signer) = status
            .installed
            .as_ref()
            .and_then(|i| installed_signer(state, i))
        else {
            return;
        };
        status
            .highest_by_key
            .insert(signer, status.highest_sequence);
    }
    let floor = status
        .highest_by_key
        .iter()
        .filter(|(k, _)| !keys.is_revoked(k))
        .map(|(_, &seq)| seq)
        .max()
        .unwrap_or(0);
    if floor < status.highest_sequence {
        let by: Vec<String> = status
            .highest_by_key
            .iter()
            .filter(|(k, _)| keys.is_revoked(k))
            .map(|(k, seq)| format!("#{seq} by revoked key {k}"))
            .collect();
        notes.push(format!(
            "discarded the rollback floor #{} (set by {}): a revoked key's sequence numbers no \
             longer count; the floor is now #{floor}",
            status.highest_sequence,
            by.join(", ")
        ));
        status.highest_sequence = floor;
        status.highest_by_key.retain(|k, _| !keys.is_revoked(k));
    }
}

/// The key id that signed the installed manifest, read from its signature.
fn installed_signer(state: &State, installed: &Installed) -> Option<String> {
    let path = signature_path(
        &state
            .root()
            .join("snapshots")
            .join(&installed.dir)
            .join(MANIFEST_FILE),
    );
    let bytes = published::read_capped(&path, MAX_SIGNATURE_FILE_LEN as u64).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    crate::format::signature::SignatureFile::parse(&text)
        .ok()
        .map(|s| s.key_id.to_string())
}

/// Whether a source's answer means "no such file". Object stores without list
/// permission (S3, CloudFront) answer 403 for a missing key.
fn absent(e: &FetchError) -> bool {
    matches!(e, FetchError::NotFound { .. })
        || matches!(
            e,
            FetchError::Status {
                status: 403 | 410,
                ..
            }
        )
}

/// Whether the installed copy still verifies with `keys` (it may have expired,
/// been damaged, or been signed by a key revoked since).
fn installed_valid(state: &State, status: &Status, keys: &Keyring, policy: Policy) -> bool {
    status.installed.as_ref().is_some_and(|installed| {
        let dir = state.root().join("snapshots").join(&installed.dir);
        published::open_directory(&dir, keys, policy).is_ok()
    })
}

/// Step 3's and 4's time rules: `created` not in the future, a validity window
/// no longer than a client accepts, and not earlier than the installed
/// snapshot's `created` (unless that one no longer verifies).
fn check_times(
    file: &str,
    created: i64,
    expires: i64,
    status: &Status,
    state: &State,
    keys: &Keyring,
    policy: Policy,
) -> Result<(), UpdateError> {
    let time = |source| UpdateError::Time {
        file: file.to_string(),
        source,
    };
    verify::check_not_future(file, created, policy).map_err(time)?;
    verify::check_window(file, created, expires).map_err(time)?;
    if let Some(installed) = status.installed.as_ref() {
        if created < installed.created && installed_valid(state, status, keys, policy) {
            return Err(time(VerifyError::Time(format!(
                "created {} is earlier than the installed snapshot #{}'s {} (a replayed or \
                 back-dated publication)",
                crate::format::time::rfc3339(created),
                installed.sequence,
                crate::format::time::rfc3339(installed.created)
            ))));
        }
    }
    Ok(())
}

fn update_from(
    state: &State,
    status: &mut Status,
    keys: &Keyring,
    source: &dyn Transport,
    options: &Options,
) -> Result<Outcome, UpdateError> {
    let policy = options.policy();
    let now = policy.now;
    let name = source.describe();

    // Step 2: the manifest, conditionally when a snapshot is installed.
    let etag = status
        .installed
        .as_ref()
        .and_then(|_| status.etags.get(&name))
        .cloned();
    let mut fetched = source.fetch(MANIFEST_FILE, MAX_MANIFEST_LEN as u64, etag.as_deref())?;

    if matches!(fetched, Fetched::NotModified) {
        if let Some(installed) = status
            .installed
            .as_ref()
            .filter(|_| installed_valid(state, status, keys, policy))
        {
            return Ok(Outcome::NotModified {
                sequence: installed.sequence,
                source: name,
            });
        }
        // Unchanged at the source, but the installed copy no longer verifies
        // (damaged, or signed by a key revoked since): fetch it all again.
        fetched = source.fetch(MANIFEST_FILE, MAX_MANIFEST_LEN as u64, None)?;
    }
    let Fetched::Body {
        bytes: manifest_bytes,
        etag: new_etag,
    } = fetched
    else {
        return Err(FetchError::Transport {
            name: MANIFEST_FILE.into(),
            message: "304 Not Modified to an unconditional request".into(),
        }
        .into());
    };
    let manifest_signature = fetch_signature(source, MANIFEST_FILE)?;
    // Steps 3 and 5: signature, then expiry (freeze).
    let manifest = verify::verify_manifest(&manifest_bytes, &manifest_signature, keys, policy)
        .map_err(|e| UpdateError::verify(MANIFEST_FILE, e))?;
    let offered = manifest.manifest.sequence;

    // Step 4: rollback.
    if offered < status.highest_sequence {
        return Err(UpdateError::Rollback {
            offered,
            highest: status.highest_sequence,
        });
    }
    check_times(
        MANIFEST_FILE,
        manifest.facts.created,
        manifest.facts.expires,
        status,
        state,
        keys,
        policy,
    )?;
    let installed_ok = installed_valid(state, status, keys, policy);
    if let Some(installed) = status
        .installed
        .as_ref()
        .filter(|i| i.sequence == offered && installed_ok)
    {
        let dir = state.root().join("snapshots").join(&installed.dir);
        // Equivocation is judged on what was installed and still verifies; a
        // copy too damaged to read, or signed by a key revoked since, is
        // simply replaced below.
        if let Ok(current) =
            published::read_capped(&dir.join(MANIFEST_FILE), MAX_MANIFEST_LEN as u64)
        {
            if current != manifest_bytes {
                return Err(UpdateError::Equivocation { sequence: offered });
            }
        }
    }
    let current = status
        .installed
        .as_ref()
        .is_some_and(|i| i.sequence == offered);
    if current && installed_ok {
        if let Some(etag) = new_etag.filter(|e| e.len() <= MAX_ETAG_LEN) {
            status.etags.insert(name.clone(), etag);
        }
        return Ok(Outcome::Current {
            sequence: offered,
            source: name,
        });
    }

    // Step 6: the snapshot, never more than the manifest signs.
    let file = &manifest.manifest.snapshot.file;
    let size = manifest.manifest.snapshot.size;
    let max = policy.max_snapshot_len.min(MAX_SNAPSHOT_LEN);
    if size > max {
        return Err(FetchError::TooLarge {
            name: file.clone(),
            max,
        }
        .into());
    }
    let snapshot_bytes = body(source.fetch(file, size, None)?, file)?;
    if snapshot_bytes.len() as u64 != size {
        return Err(FetchError::Truncated {
            name: file.clone(),
            got: snapshot_bytes.len() as u64,
            expected: size,
        }
        .into());
    }
    let snapshot_signature = fetch_signature(source, file)?;

    // Step 7: signature, digest, structure, fill, and the binding to the manifest.
    let snapshot = verify::verify_snapshot(&snapshot_bytes, &snapshot_signature, keys, policy)
        .map_err(|e| UpdateError::verify(file, e))?;
    verify::check_binding(&manifest, &snapshot).map_err(|e| UpdateError::verify(file, e))?;
    let header = &snapshot.snapshot.header;
    check_times(
        file,
        header.created,
        header.expires,
        status,
        state,
        keys,
        policy,
    )?;
    let created = header.created;

    // Step 8: install. The switch is the atomic rewrite of status.json.
    let sig_name = |n: &str| signature_path(n.as_ref()).display().to_string();
    let dir = state.stage(
        offered,
        &[
            (file.clone(), snapshot_bytes),
            (sig_name(file), snapshot_signature.into_bytes()),
            (sig_name(MANIFEST_FILE), manifest_signature.into_bytes()),
            (MANIFEST_FILE.to_string(), manifest_bytes),
        ],
    )?;
    let previous = status
        .installed
        .as_ref()
        .map(|i| i.sequence)
        .filter(|&p| p != offered);
    status.installed = Some(Installed {
        sequence: offered,
        dir: dir.clone(),
        source: name.clone(),
        installed_at: now,
        created,
    });
    status.highest_sequence = offered;
    let signer = snapshot.key_id.to_string();
    let highest = status.highest_by_key.entry(signer).or_insert(0);
    *highest = (*highest).max(offered);
    status.last_success = Some(now);
    match new_etag.filter(|e| e.len() <= MAX_ETAG_LEN) {
        Some(etag) => status.etags.insert(name.clone(), etag),
        None => status.etags.remove(&name),
    };
    state.save_status(status)?;
    state.prune(&dir);
    Ok(Outcome::Installed {
        previous,
        sequence: offered,
        source: name,
    })
}
