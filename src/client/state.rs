//! The client's local state: pinned key and keyring, sources, the installed
//! snapshot, and what has been seen (highest sequence, latest clock reading).
//!
//! ```text
//! STATE/config.json      sources (mirrors, in order) and an extra CA certificate
//! STATE/keyring.json     the pinned key, and keys it rotated to
//! STATE/status.json      highest sequence seen, installed snapshot, last success, ETags
//! STATE/snapshots/N/     the installed publication (manifest, snapshot, signatures)
//! STATE/lock             held by a running update
//! ```
//!
//! Every file is replaced atomically, and the installed snapshot changes only
//! by rewriting `status.json` after the new copy is complete on disk, so a crash
//! at any moment leaves the last good snapshot installed.

use crate::files::{self, PrivateError};
use crate::format::manifest::is_plain_file_name;
use crate::format::signature::PublicKey;
use crate::published::{self, write_atomic, Error};
use crate::verify::Keyring;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// How far the clock may step back between runs before it is treated as tampering.
pub const CLOCK_TOLERANCE_SECS: i64 = 300;

/// Sources and transport settings, written by `hushlist init`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URLs of the published directory, tried in order.
    pub sources: Vec<String>,
    /// Extra CA certificate (PEM) for TLS-inspecting proxies.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// http:// sources were explicitly allowed (`init --allow-http`).
    #[serde(default)]
    pub allow_http: bool,
}

/// The installed snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// Its sequence number.
    pub sequence: u64,
    /// Directory under `snapshots/`.
    pub dir: String,
    /// Where it came from (URL or imported path).
    pub source: String,
    /// When it was installed (Unix seconds).
    pub installed_at: i64,
    /// Its signed `created` time (Unix seconds): a later update may not go back
    /// before it. 0 in states written by older versions.
    #[serde(default)]
    pub created: i64,
    /// The key that signed it, as trusted when it was installed (base64
    /// line): a revocation learnt later leaves it usable, loudly, until a
    /// snapshot by a current key is installed. Absent in older states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_key: Option<String>,
}

/// What the client has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Highest sequence ever accepted: anything lower is a rollback.
    pub highest_sequence: u64,
    /// The installed snapshot, once there is one.
    pub installed: Option<Installed>,
    /// Last successful update or import (Unix seconds).
    pub last_success: Option<i64>,
    /// Latest clock reading seen by any run, to detect a clock stepped backward.
    pub latest_clock: i64,
    /// ETag of each source's manifest, for conditional requests.
    #[serde(default)]
    pub etags: BTreeMap<String, String>,
    /// The highest sequence accepted from each signing key (by key id): the
    /// rollback floor counts only keys that are still trusted.
    #[serde(default)]
    pub highest_by_key: BTreeMap<String, u64>,
}

/// Problems with the state directory itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No state yet.
    #[error("no hushlist state in {0}")]
    NotInitialized(PathBuf),
    /// `init` on an existing state.
    #[error("{0} is already initialized; remove it to pin another key")]
    AlreadyInitialized(PathBuf),
    /// Another process holds the lock.
    #[error("another hushlist update or import is running (lock {0} is held)")]
    Locked(PathBuf),
    /// The clock is behind a reading from an earlier run.
    #[error(
        "the system clock ({now}) is behind a time already seen by hushlist ({seen}); \
         expiry checks cannot be trusted until the clock is fixed"
    )]
    ClockWentBack {
        /// Now, RFC 3339.
        now: String,
        /// The latest earlier reading, RFC 3339.
        seen: String,
    },
    /// No home directory to put the default state in.
    #[error("cannot find a state directory: there is no home directory to put it in")]
    NoHome,
    /// A state file is corrupt.
    #[error("{}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `snapshots/` is a symbolic link or not a directory: copies are
    /// written and old ones deleted only inside the state directory itself.
    #[error("{}: not a directory of the state's own (a symbolic link or another kind of file); refusing to write or delete through it: put the real directory back in its place (or choose the state directory where it lives)", .0.display())]
    SnapshotsNotOwn(PathBuf),
    /// Reading or writing failed.
    #[error(transparent)]
    Files(#[from] Error),
    /// A state path another user owns or may write, or not the kind of file expected.
    #[error(transparent)]
    Insecure(#[from] PrivateError),
}

/// The state directory: `explicit`, else `$HUSHLIST_STATE_DIR`, else
/// `$XDG_DATA_HOME/hushlist`, else `~/.local/share/hushlist`.
pub fn resolve_dir(explicit: Option<&Path>) -> Result<PathBuf, StateError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = env("HUSHLIST_STATE_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = env("XDG_DATA_HOME") {
        return Ok(dir.join("hushlist"));
    }
    env("HOME")
        .map(|h| h.join(".local/share/hushlist"))
        .ok_or(StateError::NoHome)
}

/// An opened state directory.
pub struct State {
    root: PathBuf,
}

/// Held while an update or import runs; released on drop.
pub struct Lock {
    _file: File,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| {
        StateError::Files(Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Largest state file read.
const MAX_STATE_FILE_LEN: u64 = 1 << 20;

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StateError> {
    files::check_private_file(path)?;
    let bytes = published::read_capped(path, MAX_STATE_FILE_LEN)?;
    serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StateError> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("serializes");
    bytes.push(b'\n');
    Ok(write_atomic(path, &bytes, 0o600)?)
}

impl State {
    /// Creates the state: pins `key` and records the sources.
    pub fn init(root: &Path, key: &PublicKey, config: &Config) -> Result<State, StateError> {
        if root.join("keyring.json").exists() {
            return Err(StateError::AlreadyInitialized(root.to_path_buf()));
        }
        files::create_private_dir(root)?;
        files::create_private_dir(&root.join("snapshots"))?;
        let state = State {
            root: root.to_path_buf(),
        };
        write_json(&state.root.join("config.json"), config)?;
        write_json(&state.root.join("status.json"), &Status::default())?;
        write_atomic(
            &state.root.join("keyring.json"),
            &Keyring::pinned(key.clone()).to_json(),
            0o600,
        )?;
        Ok(state)
    }

    /// Opens an initialized state.
    pub fn open(root: &Path) -> Result<State, StateError> {
        if !root.join("keyring.json").exists() {
            return Err(StateError::NotInitialized(root.to_path_buf()));
        }
        files::check_private_dir(root)?;
        Ok(State {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the update lock, failing at once if another run holds it.
    pub fn lock(&self) -> Result<Lock, StateError> {
        let path = self.root.join("lock");
        files::check_private_file(&path)?;
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let file = options.open(&path).map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(StateError::Locked(path)),
            Err(fs::TryLockError::Error(e)) => Err(io_err(&path)(e)),
        }
    }

    /// Sources and settings.
    pub fn config(&self) -> Result<Config, StateError> {
        read_json(&self.root.join("config.json"))
    }

    /// Replaces the sources and settings (the rollback and freshness memory in
    /// `status.json` is untouched, so changing mirrors never resets it).
    pub fn save_config(&self, config: &Config) -> Result<(), StateError> {
        write_json(&self.root.join("config.json"), config)
    }

    /// The trusted keys.
    pub fn keyring(&self) -> Result<Keyring, StateError> {
        let path = self.root.join("keyring.json");
        files::check_private_file(&path)?;
        let bytes = published::read_capped(&path, MAX_STATE_FILE_LEN)?;
        Keyring::from_json(&bytes).map_err(|reason| StateError::Corrupt { path, reason })
    }

    /// Saves the trusted keys.
    pub(crate) fn save_keyring(&self, keys: &Keyring) -> Result<(), StateError> {
        Ok(write_atomic(
            &self.root.join("keyring.json"),
            &keys.to_json(),
            0o600,
        )?)
    }

    /// What has been seen.
    pub fn status(&self) -> Result<Status, StateError> {
        let path = self.root.join("status.json");
        let status: Status = read_json(&path)?;
        // The installed copy's directory is joined to the state path: only a
        // plain name may stay inside it.
        if let Some(installed) = &status.installed {
            if !is_plain_file_name(&installed.dir) {
                return Err(StateError::Corrupt {
                    path,
                    reason: format!(
                        "installed.dir {:?} is not a plain directory name under snapshots/",
                        installed.dir
                    ),
                });
            }
        }
        Ok(status)
    }

    /// Saves what has been seen.
    pub(crate) fn save_status(&self, status: &Status) -> Result<(), StateError> {
        write_json(&self.root.join("status.json"), status)
    }

    /// Forgets the latest time seen (after a clock that ran ahead was corrected).
    pub(crate) fn forget_clock(status: &mut Status) {
        status.latest_clock = 0;
    }

    /// Records `now` as seen, refusing if the clock went back past the tolerance.
    pub(crate) fn check_clock(&self, status: &mut Status, now: i64) -> Result<(), StateError> {
        Self::clock_not_behind(status, now)?;
        status.latest_clock = status.latest_clock.max(now);
        Ok(())
    }

    /// Refuses `now` if it is behind a time already seen (beyond the tolerance):
    /// an expiry check against a clock set back would revive an expired list.
    pub(crate) fn clock_not_behind(status: &Status, now: i64) -> Result<(), StateError> {
        if now + CLOCK_TOLERANCE_SECS < status.latest_clock {
            return Err(StateError::ClockWentBack {
                now: crate::format::time::rfc3339(now),
                seen: crate::format::time::rfc3339(status.latest_clock),
            });
        }
        Ok(())
    }

    /// The installed publication's directory, if any.
    pub fn installed_dir(&self) -> Result<Option<PathBuf>, StateError> {
        Ok(self
            .status()?
            .installed
            .map(|i| self.root.join("snapshots").join(i.dir)))
    }

    /// Writes a verified publication into `snapshots/`, complete and synced,
    /// and returns the directory name. The caller then points `status.json` at it.
    pub fn stage(&self, sequence: u64, files: &[(String, Vec<u8>)]) -> Result<String, StateError> {
        let snapshots = self.snapshots_dir()?;
        if fs::symlink_metadata(&snapshots).is_err() {
            fs::create_dir(&snapshots).map_err(io_err(&snapshots))?;
        }
        let name = format!("{sequence:08}");
        let staging = snapshots.join(format!(".staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir(&staging).map_err(io_err(&staging))?;
        for (file, bytes) in files {
            write_atomic(&staging.join(file), bytes, 0o644)?;
        }
        let target = snapshots.join(&name);
        if target.exists() {
            // Left by a run that died before switching to it: never the installed one,
            // because an installed sequence is never installed again.
            fs::remove_dir_all(&target).map_err(io_err(&target))?;
        }
        fs::rename(&staging, &target).map_err(io_err(&target))?;
        // The rename must be durable before status.json points at the new copy.
        File::open(&snapshots)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&snapshots))?;
        Ok(name)
    }

    /// `STATE/snapshots`, refused when it is a symbolic link or not a
    /// directory: a link there would make `prune` delete whatever it points at.
    /// Missing is fine (it is created by `stage`).
    fn snapshots_dir(&self) -> Result<PathBuf, StateError> {
        let snapshots = self.root.join("snapshots");
        match fs::symlink_metadata(&snapshots) {
            Ok(m) if !m.file_type().is_dir() => Err(StateError::SnapshotsNotOwn(snapshots)),
            _ => Ok(snapshots),
        }
    }

    /// Removes snapshot copies other than the installed one, and leftovers of
    /// interrupted runs.
    pub fn prune(&self, keep: &str) {
        let Ok(snapshots) = self.snapshots_dir() else {
            return;
        };
        let Ok(entries) = fs::read_dir(snapshots) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name() == keep {
                continue;
            }
            // A symbolic link is removed itself, never followed.
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    let _ = fs::remove_dir_all(entry.path());
                }
                Ok(_) => {
                    let _ = fs::remove_file(entry.path());
                }
                Err(_) => {}
            }
        }
    }
}
