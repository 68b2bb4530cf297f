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
use crate::client::transport::{absent, body, FetchError, Fetched, Transport};
use crate::format::manifest::MAX_MANIFEST_LEN;
use crate::format::rotation::{rotation_file_name, MAX_ROTATION_LEN};
use crate::format::signature::MAX_SIGNATURE_FILE_LEN;
use crate::published::{self, signature_path, MANIFEST_FILE};
use crate::verify::{self, Followed, Keyring, Policy, TimeError, VerifyError};
use std::fmt;
use std::ops::ControlFlow;

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
    /// What is accepted at most (the largest snapshot is also the most downloaded).
    pub limits: crate::verify::Limits,
}

impl Options {
    /// Conditional requests, the clock as recorded, and the default limits
    /// of [`Policy::at`].
    pub fn at(now: i64) -> Self {
        Options {
            now,
            conditional: true,
            accept_clock: false,
            limits: crate::verify::Limits::default(),
        }
    }

    fn policy(&self) -> Policy {
        Policy {
            limits: self.limits,
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

/// The installed snapshot's header, when its publication still verifies with
/// `keys` (not damaged, not signed by a key revoked since).
fn installed_header(
    state: &State,
    status: &Status,
    keys: &Keyring,
    policy: Policy,
) -> Option<crate::format::snapshot::Header> {
    let installed = status.installed.as_ref()?;
    let dir = state.root().join("snapshots").join(&installed.dir);
    published::open_directory(&dir, keys, policy)
        .ok()
        .map(|opened| opened.snapshot.snapshot.header)
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

/// Step 3's and 4's time rules: `created` not in the future, a validity window
/// no longer than a client accepts, and not earlier than the installed
/// snapshot's `created` (unless that one no longer verifies).
fn check_times(
    file: &str,
    created: i64,
    expires: i64,
    status: &Status,
    installed_ok: bool,
    policy: Policy,
) -> Result<(), UpdateError> {
    let time = |source| UpdateError::Time {
        file: file.to_string(),
        source,
    };
    verify::check_not_future(file, created, policy).map_err(time)?;
    verify::check_window(file, created, expires).map_err(time)?;
    if let Some(installed) = status.installed.as_ref() {
        if created < installed.created && installed_ok {
            return Err(time(
                TimeError::EarlierThanInstalled {
                    created,
                    installed_sequence: installed.sequence,
                    installed_created: installed.created,
                }
                .into(),
            ));
        }
    }
    Ok(())
}

/// One update from one source: the numbered steps of FORMAT.md §7, each a
/// function below, in order. A step either hands the next its input or ends
/// the update with an outcome (nothing newer, already current).
fn update_from(
    state: &State,
    status: &mut Status,
    keys: &Keyring,
    source: &dyn Transport,
    options: &Options,
) -> Result<Outcome, UpdateError> {
    let policy = options.policy();
    let run = Run {
        state,
        keys,
        source,
        policy,
        name: source.describe(),
        // Verified once: every step below judges against it, and nothing
        // changes the installed snapshot before the last step.
        installed: installed_header(state, status, keys, policy),
    };
    let (manifest_bytes, etag) = match run.fetch_manifest(status)? {
        ControlFlow::Continue(fetched) => fetched,
        ControlFlow::Break(outcome) => return Ok(outcome),
    };
    let (manifest, manifest_signature) = run.verify_manifest(&manifest_bytes, status)?;
    if let ControlFlow::Break(outcome) =
        run.check_current(&manifest, &manifest_bytes, etag.as_deref(), status)?
    {
        return Ok(outcome);
    }
    let (snapshot_bytes, snapshot_signature) = run.fetch_snapshot(&manifest)?;
    let snapshot = run.verify_snapshot(&manifest, &snapshot_bytes, &snapshot_signature, status)?;
    run.install(
        status,
        VerifiedFiles {
            manifest: &manifest,
            manifest_bytes,
            manifest_signature,
            snapshot: &snapshot,
            snapshot_bytes,
            snapshot_signature,
            etag,
        },
    )
}

/// A fetched file's bytes and its ETag.
type Body = (Vec<u8>, Option<String>);

/// What every step of one update needs.
struct Run<'a> {
    state: &'a State,
    keys: &'a Keyring,
    source: &'a dyn Transport,
    policy: Policy,
    name: String,
    /// The installed snapshot's header, when it still verifies with `keys`.
    installed: Option<crate::format::snapshot::Header>,
}

/// The four verified files of a publication and the manifest's ETag, ready to install.
struct VerifiedFiles<'a> {
    manifest: &'a verify::VerifiedManifest,
    manifest_bytes: Vec<u8>,
    manifest_signature: String,
    snapshot: &'a verify::VerifiedSnapshot,
    snapshot_bytes: Vec<u8>,
    snapshot_signature: String,
    etag: Option<String>,
}

impl Run<'_> {
    /// Step 2: the manifest, conditionally when a snapshot is installed. An
    /// unchanged manifest ends the update when the installed copy still
    /// verifies; else it is fetched again in full.
    fn fetch_manifest(&self, status: &Status) -> Result<ControlFlow<Outcome, Body>, UpdateError> {
        let etag = status
            .installed
            .as_ref()
            .and_then(|_| status.etags.get(&self.name))
            .cloned();
        let max = MAX_MANIFEST_LEN as u64;
        let mut fetched = self.source.fetch(MANIFEST_FILE, max, etag.as_deref())?;
        if matches!(fetched, Fetched::NotModified) {
            if let Some(installed) = status
                .installed
                .as_ref()
                .filter(|_| self.installed.is_some())
            {
                return Ok(ControlFlow::Break(Outcome::NotModified {
                    sequence: installed.sequence,
                    source: self.name.clone(),
                }));
            }
            // Unchanged at the source, but the installed copy no longer verifies
            // (damaged, or signed by a key revoked since): fetch it all again.
            fetched = self.source.fetch(MANIFEST_FILE, max, None)?;
        }
        match fetched {
            Fetched::Body { bytes, etag } => Ok(ControlFlow::Continue((bytes, etag))),
            Fetched::NotModified => Err(FetchError::Transport {
                name: MANIFEST_FILE.into(),
                message: "304 Not Modified to an unconditional request".into(),
            }
            .into()),
        }
    }

    /// Steps 3 to 5: the manifest's signature and expiry (freeze), rollback,
    /// and its times.
    fn verify_manifest(
        &self,
        bytes: &[u8],
        status: &Status,
    ) -> Result<(verify::VerifiedManifest, String), UpdateError> {
        let signature = fetch_signature(self.source, MANIFEST_FILE)?;
        let manifest = verify::verify_manifest(bytes, &signature, self.keys, self.policy)
            .map_err(|e| UpdateError::verify(MANIFEST_FILE, e))?;
        let offered = manifest.manifest.sequence;
        if offered < status.highest_sequence {
            return Err(UpdateError::Rollback {
                offered,
                highest: status.highest_sequence,
            });
        }
        self.check_times(
            MANIFEST_FILE,
            manifest.facts.created,
            manifest.facts.expires,
            status,
        )?;
        Ok((manifest, signature))
    }

    /// Whether the installed snapshot is the one offered: then the update
    /// ends (and a different manifest under the same sequence is a split view).
    fn check_current(
        &self,
        manifest: &verify::VerifiedManifest,
        bytes: &[u8],
        etag: Option<&str>,
        status: &mut Status,
    ) -> Result<ControlFlow<Outcome>, UpdateError> {
        let offered = manifest.manifest.sequence;
        let installed_ok = self.installed.is_some();
        let Some(installed) = status.installed.as_ref().filter(|i| i.sequence == offered) else {
            return Ok(ControlFlow::Continue(()));
        };
        if !installed_ok {
            // A copy too damaged to read, or signed by a key revoked since,
            // is simply replaced.
            return Ok(ControlFlow::Continue(()));
        }
        let dir = self.state.root().join("snapshots").join(&installed.dir);
        if let Ok(current) =
            published::read_capped(&dir.join(MANIFEST_FILE), MAX_MANIFEST_LEN as u64)
        {
            if current != bytes {
                return Err(UpdateError::Equivocation { sequence: offered });
            }
        }
        if let Some(etag) = etag.filter(|e| e.len() <= MAX_ETAG_LEN) {
            status.etags.insert(self.name.clone(), etag.to_string());
        }
        Ok(ControlFlow::Break(Outcome::Current {
            sequence: offered,
            source: self.name.clone(),
        }))
    }

    /// Step 6: the snapshot, never more than the manifest signs.
    fn fetch_snapshot(
        &self,
        manifest: &verify::VerifiedManifest,
    ) -> Result<(Vec<u8>, String), UpdateError> {
        let file = &manifest.manifest.snapshot.file;
        let size = manifest.manifest.snapshot.size;
        let max = self.policy.limits.snapshot_len();
        if size > max {
            return Err(FetchError::TooLarge {
                name: file.clone(),
                max,
            }
            .into());
        }
        let bytes = body(self.source.fetch(file, size, None)?, file)?;
        if bytes.len() as u64 != size {
            return Err(FetchError::Truncated {
                name: file.clone(),
                got: bytes.len() as u64,
                expected: size,
            }
            .into());
        }
        Ok((bytes, fetch_signature(self.source, file)?))
    }

    /// Step 7: signature, digest, structure, fill, the binding to the
    /// manifest, and the snapshot's times.
    fn verify_snapshot(
        &self,
        manifest: &verify::VerifiedManifest,
        bytes: &[u8],
        signature: &str,
        status: &Status,
    ) -> Result<verify::VerifiedSnapshot, UpdateError> {
        let file = &manifest.manifest.snapshot.file;
        let snapshot = verify::verify_snapshot(bytes, signature, self.keys, self.policy)
            .map_err(|e| UpdateError::verify(file, e))?;
        verify::check_binding(manifest, &snapshot).map_err(|e| UpdateError::verify(file, e))?;
        let header = &snapshot.snapshot.header;
        self.check_times(file, header.created, header.expires, status)?;
        // The salt-epoch rule against the installed snapshot, while its key
        // is still trusted (a thief's snapshot does not bind the honest next).
        if let Some(installed) = &self.installed {
            verify::check_epoch_step(installed, header)
                .map_err(|e| UpdateError::verify(file, VerifyError::SaltEpoch(e)))?;
        }
        Ok(snapshot)
    }

    /// Step 8: install. The switch is the atomic rewrite of status.json.
    fn install(
        &self,
        status: &mut Status,
        files: VerifiedFiles<'_>,
    ) -> Result<Outcome, UpdateError> {
        let offered = files.manifest.manifest.sequence;
        let file = &files.manifest.manifest.snapshot.file;
        let sig_name = |n: &str| signature_path(n.as_ref()).display().to_string();
        let dir = self.state.stage(
            offered,
            &[
                (file.clone(), files.snapshot_bytes),
                (sig_name(file), files.snapshot_signature.into_bytes()),
                (
                    sig_name(MANIFEST_FILE),
                    files.manifest_signature.into_bytes(),
                ),
                (MANIFEST_FILE.to_string(), files.manifest_bytes),
            ],
        )?;
        let previous = status
            .installed
            .as_ref()
            .map(|i| i.sequence)
            .filter(|&p| p != offered);
        let now = self.policy.now;
        status.installed = Some(Installed {
            sequence: offered,
            dir: dir.clone(),
            source: self.name.clone(),
            installed_at: now,
            created: files.snapshot.snapshot.header.created,
            signer_key: self
                .keys
                .find(files.snapshot.key_id)
                .ok()
                .map(|k| k.to_base64()),
        });
        status.highest_sequence = offered;
        let signer = files.snapshot.key_id.to_string();
        let highest = status.highest_by_key.entry(signer).or_insert(0);
        *highest = (*highest).max(offered);
        status.last_success = Some(now);
        match files.etag.filter(|e| e.len() <= MAX_ETAG_LEN) {
            Some(etag) => status.etags.insert(self.name.clone(), etag),
            None => status.etags.remove(&self.name),
        };
        self.state.save_status(status)?;
        self.state.prune(&dir);
        Ok(Outcome::Installed {
            previous,
            sequence: offered,
            source: self.name.clone(),
        })
    }

    fn check_times(
        &self,
        file: &str,
        created: i64,
        expires: i64,
        status: &Status,
    ) -> Result<(), UpdateError> {
        check_times(
            file,
            created,
            expires,
            status,
            self.installed.is_some(),
            self.policy,
        )
    }
}
