//! The entry point for programs that embed hushlist: a verified list, ready to
//! check numbers against.

use crate::check::report::SnapshotFacts;
use crate::check::run::{CheckError, CheckRun};
use crate::check::{CheckOptions, Checker, Outcome};
use crate::client::state::{self, State, StateError};
use crate::format::time;
use crate::published::{self, Files, Opened};
use crate::verify::{Keyring, Policy};
use std::io::BufRead;
use std::path::Path;

/// Why a list could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A file could not be read, or verification refused it (see
    /// [`published::Error::is_verification_failure`]).
    #[error(transparent)]
    Files(#[from] published::Error),
    /// The client's state directory is missing, locked or inconsistent.
    #[error(transparent)]
    State(#[from] StateError),
    /// The state holds no installed snapshot yet.
    #[error("no snapshot installed yet: the state has pinned keys but no verified snapshot")]
    NothingInstalled,
}

/// A snapshot whose signature, digest, structure, freshness and filter fill
/// have been verified: the only thing numbers are ever checked against.
#[derive(Debug)]
pub struct List {
    opened: Opened,
}

impl List {
    /// Opens and verifies a published directory (or a snapshot file with its
    /// `.minisig`) against the publisher's public key file, following the key
    /// rotation statements found beside it. Expired snapshots are refused.
    pub fn open(path: impl AsRef<Path>, public_key: impl AsRef<Path>) -> Result<Self, OpenError> {
        let key = published::read_public_key(public_key.as_ref())?;
        let policy = Policy::at(time::now());
        Self::open_with(path.as_ref(), &Keyring::pinned(key), policy)
    }

    /// Opens and verifies `path` with the given trusted keys and policy.
    pub fn open_with(path: &Path, keys: &Keyring, policy: Policy) -> Result<Self, OpenError> {
        Ok(List {
            opened: published::open(path, keys, policy)?,
        })
    }

    /// Verifies a publication held in memory (manifest, snapshot, their
    /// signatures and any rotation statements): for a caller that fetches
    /// the files itself, or a page with no file system. The same steps as
    /// [`List::open_with`], in the same order.
    pub fn from_bytes(files: Files, keys: &Keyring, policy: Policy) -> Result<Self, OpenError> {
        Ok(List {
            opened: published::open_files(files, keys, policy)?,
        })
    }

    /// Opens the snapshot that `hushlist update` installed in `state_dir`
    /// (`None`: the default state directory), verified with the pinned keys.
    /// Refused when the clock is behind a time the state has already seen.
    pub fn installed(state_dir: Option<&Path>, policy: Policy) -> Result<Self, OpenError> {
        let state = State::open(&state::resolve_dir(state_dir)?)?;
        State::clock_not_behind(&state.status()?, policy.now)?;
        let dir = state.installed_dir()?.ok_or(OpenError::NothingInstalled)?;
        Self::open_installed(&state, &dir, &state.keyring()?, policy)
    }

    /// Opens the installed snapshot with the state's keys. One signed by a
    /// key revoked after it was installed (the publisher rotated keys and
    /// has not published with the new one yet) stays usable, with a warning
    /// every report carries, until an update installs a snapshot signed by
    /// a current key: a rotation never stops a company's checks. Every other
    /// step (digest, structure, expiry, fill) is verified as always.
    fn open_installed(
        state: &State,
        dir: &Path,
        keys: &Keyring,
        policy: Policy,
    ) -> Result<Self, OpenError> {
        let refused = match Self::open_with(dir, keys, policy) {
            Err(OpenError::Files(e)) if e.is_verification_failure() => e,
            other => return other,
        };
        let status = state.status()?;
        let signer = status
            .installed
            .as_ref()
            .and_then(|i| i.signer_key.as_deref())
            .and_then(|k| crate::format::signature::PublicKey::from_text(k).ok())
            .filter(|k| keys.is_revoked(&k.id().to_string()));
        let Some(signer) = signer else {
            return Err(OpenError::Files(refused));
        };
        let revoked_by = keys
            .records()
            .iter()
            .find(|r| r.key_id == signer.id().to_string())
            .and_then(|r| r.revoked_by);
        let mut list = Self::open_with(dir, &Keyring::pinned(signer.clone()), policy)?;
        list.opened.snapshot.warnings.push(format!(
            "REVOKED KEY: snapshot #{} was signed by key {}, which the publisher revoked{} after \
             it was installed; it stays in use until an update installs a snapshot signed by a \
             current key",
            list.opened.snapshot.snapshot.header.sequence,
            signer.id(),
            revoked_by
                .map(|n| format!(" (rotation statement {n})"))
                .unwrap_or_default()
        ));
        Ok(list)
    }

    /// Opens what is given and takes the rest from the state in `state_dir`
    /// (`None`: the default state directory): the keys pinned there when no
    /// key file is given, the installed snapshot when no path is given. When
    /// the state is used at all, so is its clock check, or a clock set back
    /// would revive an expired installed snapshot.
    pub fn resolve(
        state_dir: Option<&Path>,
        public_key: Option<&Path>,
        path: Option<&Path>,
        policy: Policy,
    ) -> Result<Self, OpenError> {
        let state = if public_key.is_none() || path.is_none() {
            let state = State::open(&state::resolve_dir(state_dir)?)?;
            State::clock_not_behind(&state.status()?, policy.now)?;
            Some(state)
        } else {
            None
        };
        let keys = match (public_key, &state) {
            (Some(key), _) => Keyring::pinned(published::read_public_key(key)?),
            (None, Some(state)) => state.keyring()?,
            (None, None) => unreachable!("the state is opened when no key is given"),
        };
        match (path, &state) {
            (Some(path), _) => Self::open_with(path, &keys, policy),
            (None, Some(state)) => {
                let installed = state.installed_dir()?.ok_or(OpenError::NothingInstalled)?;
                Self::open_installed(state, &installed, &keys, policy)
            }
            (None, None) => unreachable!("the state is opened when no path is given"),
        }
    }

    /// The verified files.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// The facts a report cites: sequence, dates, key, digest, parameters, warnings.
    pub fn facts(&self) -> SnapshotFacts {
        SnapshotFacts::of(&self.opened)
    }

    /// Warnings raised while verifying (a stale list accepted, older metadata).
    pub fn warnings(&self) -> impl Iterator<Item = &String> {
        self.opened.warnings()
    }

    /// The id of the key that signed the snapshot.
    pub fn key_id(&self) -> String {
        self.opened.snapshot.key_id.to_string()
    }

    /// A checker for this list, for programs that look numbers up one by
    /// one themselves ([`crate::check::Checker::check`]).
    pub fn checker(&self) -> Checker<'_> {
        Checker::new(&self.opened.snapshot.snapshot).expect("parameters verified on open")
    }

    /// Starts a check run: add inputs with [`CheckRun::numbers`] and
    /// [`CheckRun::reader`], then take the [`Outcome`] with
    /// [`CheckRun::finish`]. Progress and cancellation are set on the run.
    pub fn start_check(&self, options: &CheckOptions) -> Result<CheckRun<'_>, CheckError> {
        CheckRun::new(&self.opened.snapshot.snapshot, options)
    }

    /// Checks each string as one number (source `--number`, lines counted from 1).
    pub fn check_numbers<I, S>(
        &self,
        numbers: I,
        options: &CheckOptions,
    ) -> Result<Outcome, CheckError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut run = self.start_check(options)?;
        run.numbers(numbers)?;
        Ok(run.finish())
    }

    /// Checks every row of a CSV, TSV or plain list, labelled `source` in findings.
    pub fn check_reader(
        &self,
        reader: impl BufRead + Send + 'static,
        source: &str,
        options: &CheckOptions,
    ) -> Result<Outcome, CheckError> {
        let mut run = self.start_check(options)?;
        run.reader(Box::new(reader), source)?;
        Ok(run.finish())
    }
}
