//! A local copy of a served publication, for an auditor: a static host lists
//! no directory, so the names come from the format itself (FORMAT.md §1): the
//! manifest, rotation statements numbered from 1 until one is missing, and
//! snapshots numbered from 1 to the manifest's sequence. Every read is capped
//! as `update` caps it; nothing is trusted here: the copy is verified
//! afterwards (`audit`, `verify`) exactly as a directory is.

use crate::client::transport::{absent, body, FetchError, Transport};
use crate::format::manifest::{Manifest, MAX_MANIFEST_LEN};
use crate::format::rotation::{rotation_file_name, MAX_ROTATION_LEN};
use crate::format::signature::MAX_SIGNATURE_FILE_LEN;
use crate::publish::snapshot_file_name;
use crate::published::{MANIFEST_FILE, SIGNATURE_SUFFIX};
use crate::verify::{Limits, MAX_ROTATIONS};
use std::path::{Path, PathBuf};

/// Which files to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The manifest, every rotation statement and every snapshot: an audit's.
    History,
    /// The manifest, every rotation statement and the newest snapshot: a
    /// `verify`'s.
    Latest,
}

/// Snapshots a copy holds at most: a manifest's sequence is not trusted
/// before the copy is verified, and must not send the copier after a
/// billion files.
pub const MAX_MIRROR_SNAPSHOTS: u64 = 100_000;

/// What was copied.
#[derive(Debug, Default)]
pub struct Mirrored {
    /// Where.
    pub dir: PathBuf,
    /// Snapshots copied, by sequence.
    pub snapshots: Vec<u64>,
    /// Snapshots the manifest implies that the host does not have.
    pub missing: Vec<u64>,
    /// Rotation statements copied.
    pub rotations: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// A file could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The manifest is not one (its sequence names the snapshots to copy).
    #[error("{MANIFEST_FILE}: {0}")]
    Manifest(String),
    /// More snapshots than a copy holds.
    #[error(
        "{MANIFEST_FILE} names snapshot #{0}: more than the {MAX_MIRROR_SNAPSHOTS} snapshots a copy holds"
    )]
    TooManySnapshots(u64),
    /// The copy could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

struct Copier<'a> {
    source: &'a dyn Transport,
    dir: &'a Path,
    bytes: u64,
}

impl Copier<'_> {
    /// Copies `name` and its signature; `Ok(false)` when the host has no `name`.
    fn copy(&mut self, name: &str, max: u64) -> Result<bool, MirrorError> {
        let data = match self.source.fetch(name, max, None) {
            Err(e) if absent(&e) => return Ok(false),
            other => body(other?, name)?,
        };
        let sig_name = format!("{name}{SIGNATURE_SUFFIX}");
        let signature = body(
            self.source
                .fetch(&sig_name, MAX_SIGNATURE_FILE_LEN as u64, None)?,
            &sig_name,
        )?;
        self.write(name, &data)?;
        self.write(&sig_name, &signature)?;
        Ok(true)
    }

    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), MirrorError> {
        let path = self.dir.join(name);
        crate::files::write_private_file(&path, bytes).map_err(|e| MirrorError::Write {
            path: path.clone(),
            source: e.into_cause(),
        })?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// Copies the publication `source` serves into `dir` (created, and refused
/// if it exists: a copy is never mixed with other files).
pub fn mirror(
    source: &dyn Transport,
    dir: &Path,
    scope: Scope,
    limits: &Limits,
) -> Result<Mirrored, MirrorError> {
    let write_err = |source| MirrorError::Write {
        path: dir.to_path_buf(),
        source,
    };
    if dir.exists() {
        return Err(write_err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "already exists: a copy goes into a new directory, never among other files",
        )));
    }
    crate::files::create_private_dir(dir).map_err(|e| write_err(e.into_cause()))?;
    let mut copier = Copier {
        source,
        dir,
        bytes: 0,
    };
    if !copier.copy(MANIFEST_FILE, MAX_MANIFEST_LEN as u64)? {
        return Err(FetchError::NotFound {
            name: MANIFEST_FILE.into(),
        }
        .into());
    }
    let manifest = std::fs::read(dir.join(MANIFEST_FILE)).map_err(write_err)?;
    let manifest = Manifest::from_json(&manifest).map_err(MirrorError::Manifest)?;
    let newest = manifest.sequence;
    if newest > MAX_MIRROR_SNAPSHOTS {
        return Err(MirrorError::TooManySnapshots(newest));
    }
    let mut out = Mirrored {
        dir: dir.to_path_buf(),
        ..Mirrored::default()
    };
    for n in 1..=MAX_ROTATIONS {
        if !copier.copy(&rotation_file_name(n), MAX_ROTATION_LEN as u64)? {
            break;
        }
        out.rotations = n;
    }
    let first = match scope {
        Scope::History => 1,
        Scope::Latest => newest.max(1),
    };
    for n in first..=newest {
        if copier.copy(&snapshot_file_name(n), limits.snapshot_len())? {
            out.snapshots.push(n);
        } else {
            out.missing.push(n);
        }
    }
    out.bytes = copier.bytes;
    Ok(out)
}
