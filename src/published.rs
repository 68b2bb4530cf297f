//! Published directories and key files on disk.
//!
//! A published directory holds `manifest.json`, `manifest.json.minisig`, and
//! every snapshot with its `.minisig`. Reads are size-capped before allocation;
//! writes go to a temporary file that is synced and renamed, so a reader never
//! sees half a file.

use crate::format::comment::FileKind;
use crate::format::manifest::MAX_MANIFEST_LEN;
use crate::format::rotation::{rotation_file_name, MAX_ROTATION_LEN};
use crate::format::signature::{
    KdfLimits, KeyError, PublicKey, SecretKey, SecretKeyFile, MAX_SIGNATURE_FILE_LEN,
};
use crate::publish::Publication;
use crate::verify::{
    self, Followed, Keyring, Policy, VerifiedManifest, VerifiedSnapshot, VerifyError,
};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Appended to a file's name to name its detached signature.
pub const SIGNATURE_SUFFIX: &str = ".minisig";
// The snapshot size limits belong to the verification policy; named here too
// for the programs that read published directories.
pub use crate::verify::{DEFAULT_MAX_SNAPSHOT_LEN, MAX_SNAPSHOT_LEN};
/// Largest key file read.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// A failure to read, verify or write published files; each names its file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is larger than this client accepts.
    #[error("{}: {size} bytes is more than the {max}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A snapshot larger than this client accepts.
    #[error(
        "{}: {size} bytes is more than this client's limit of {max} bytes for a snapshot",
        path.display()
    )]
    SnapshotTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the size the manifest signs).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Verification refused the file.
    #[error("{}: {source}", path.display())]
    Verify {
        /// The file.
        path: PathBuf,
        /// The failed step.
        source: VerifyError,
    },
    /// A key file is unusable.
    #[error("{}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: KeyError,
    },
    /// A secret key file that others can read (refused, as ssh does).
    #[error(
        "{}: secret key file is accessible by others (mode {mode:03o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    InsecureKeyFile {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// An encrypted secret key whose passphrase could not be had.
    #[error("{}: the secret key is encrypted and {reason}", path.display())]
    Passphrase {
        /// The key file.
        path: PathBuf,
        /// Why there is no passphrase.
        reason: String,
    },
    /// A key directory that group or others can write: they could swap the keys.
    #[error(
        "{}: key directory is writable by others (mode {mode:03o}); run `chmod 700 {}` or choose another directory",
        path.display(),
        path.display()
    )]
    InsecureKeyDir {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Refusing to overwrite.
    #[error("{}: already exists; refusing to overwrite", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl Error {
    /// Whether the failure is a refusal of the contents (as opposed to trouble reading them).
    pub fn is_verification_failure(&self) -> bool {
        matches!(self, Error::Verify { .. })
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a whole file, refusing one larger than `max` before reading it.
pub(crate) fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, Error> {
    // A FIFO or device would hang the reader or never end: regular files only.
    let file = crate::files::open_regular(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.into_cause(),
    })?;
    let size = file.metadata().map_err(io_err(path))?.len();
    if size > max {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size,
            max,
        });
    }
    let mut bytes = Vec::new();
    // A refusal the user can act on, not an abort, when the memory is not there.
    bytes
        .try_reserve_exact(size as usize)
        .map_err(|_| Error::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("not enough memory to read its {size} bytes"),
            ),
        })?;
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() as u64 > max {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

fn read_text_capped(path: &Path, max: u64) -> Result<String, Error> {
    let bytes = read_capped(path, max)?;
    String::from_utf8(bytes).map_err(|_| Error::Io {
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"),
    })
}

/// The detached signature's path for `file`.
pub(crate) fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(SIGNATURE_SUFFIX);
    PathBuf::from(name)
}

/// Reads a minisign public key file.
pub fn read_public_key(path: &Path) -> Result<PublicKey, Error> {
    let text = read_text_capped(path, MAX_KEY_FILE_LEN)?;
    PublicKey::from_text(&text).map_err(|source| Error::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads an unencrypted secret key file, refusing one that group or others
/// can access; an encrypted one is refused as needing a passphrase (see
/// [`read_secret_key_with`]).
pub fn read_secret_key(path: &Path) -> Result<SecretKey, Error> {
    read_secret_key_with(path, || Err("no passphrase was given".into()))
}

/// Reads a secret key file, refusing one that group or others can access. For
/// an encrypted key, `passphrase` is called once for the passphrase (it may
/// prompt); a plain key never calls it.
pub fn read_secret_key_with(
    path: &Path,
    passphrase: impl FnOnce() -> Result<zeroize::Zeroizing<Vec<u8>>, String>,
) -> Result<SecretKey, Error> {
    let key_err = |source| Error::Key {
        path: path.to_path_buf(),
        source,
    };
    match read_secret_key_file(path)? {
        SecretKeyFile::Plain(key) => Ok(key),
        SecretKeyFile::Encrypted(encrypted) => {
            let passphrase = passphrase().map_err(|reason| Error::Passphrase {
                path: path.to_path_buf(),
                reason,
            })?;
            encrypted.decrypt(&passphrase).map_err(key_err)
        }
    }
}

fn read_secret_key_file(path: &Path) -> Result<SecretKeyFile, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(io_err(path))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::InsecureKeyFile {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let text = zeroize::Zeroizing::new(read_text_capped(path, MAX_KEY_FILE_LEN)?);
    SecretKeyFile::parse(&text).map_err(|source| Error::Key {
        path: path.to_path_buf(),
        source,
    })
}

fn create_new(path: &Path, mode: u32) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            Error::Exists {
                path: path.to_path_buf(),
            }
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// How a new secret key file is protected.
pub enum KeyProtection<'a> {
    /// Encrypted with this passphrase, in minisign's format and with minisign's
    /// scrypt settings.
    Passphrase(&'a [u8]),
    /// Stored in the clear, protected by file mode alone.
    Unencrypted,
}

/// Creates `dir` (and missing parents) with mode 0700 whatever the umask, and
/// refuses a key directory that group or others can write.
fn create_key_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir).map_err(io_err(dir))?.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(Error::InsecureKeyDir {
                path: dir.to_path_buf(),
                mode,
            });
        }
    }
    Ok(())
}

/// Writes `NAME.pub` and `NAME.key` (mode 0600) into `dir` (created 0700 if
/// missing), never overwriting.
pub fn write_key_pair(
    dir: &Path,
    name: &str,
    key: &SecretKey,
    protection: KeyProtection<'_>,
) -> Result<(PathBuf, PathBuf), Error> {
    let public = dir.join(format!("{name}.pub"));
    if public.exists() {
        return Err(Error::Exists { path: public });
    }
    let secret = write_secret_key(dir, &format!("{name}.key"), key, protection)?;
    let mut file = create_new(&public, 0o644)?;
    file.write_all(key.public_key().to_file_text().as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(io_err(&public))?;
    Ok((public, secret))
}

/// Writes a secret key alone as `dir/file_name` (mode 0600, `dir` 0700),
/// never over an existing file: the evaluation service's OPRF key file,
/// which has no public half anyone should pin.
pub fn write_secret_key(
    dir: &Path,
    file_name: &str,
    key: &SecretKey,
    protection: KeyProtection<'_>,
) -> Result<PathBuf, Error> {
    create_key_dir(dir)?;
    let secret = dir.join(file_name);
    if secret.exists() {
        return Err(Error::Exists { path: secret });
    }
    let encrypt = |passphrase: &[u8]| {
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| Error::Io {
            path: secret.clone(),
            source: io::Error::other(format!("no randomness from the OS: {e}")),
        })?;
        key.to_encrypted_file_text(passphrase, salt, KdfLimits::MINISIGN)
            .map_err(|source| Error::Key {
                path: secret.clone(),
                source,
            })
    };
    let text = match protection {
        KeyProtection::Passphrase(p) => encrypt(p)?,
        KeyProtection::Unencrypted => key.to_file_text(),
    };
    let mut file = create_new(&secret, 0o600)?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(io_err(&secret))?;
    Ok(secret)
}

/// Writes `bytes` to `path` atomically: a synced temporary file, then a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut file = create_new(&tmp, mode)?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes a publication into `dir`: the snapshot and its signature first, the
/// manifest (the pointer clients follow) last.
pub fn write_publication(dir: &Path, publication: &Publication) -> Result<PathBuf, Error> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let snapshot = dir.join(&publication.snapshot_name);
    if snapshot.exists() {
        return Err(Error::Exists { path: snapshot });
    }
    write_atomic(&snapshot, &publication.snapshot, 0o644)?;
    write_atomic(
        &signature_path(&snapshot),
        publication.snapshot_signature.as_bytes(),
        0o644,
    )?;
    let manifest = dir.join(MANIFEST_FILE);
    write_atomic(
        &signature_path(&manifest),
        publication.manifest_signature.as_bytes(),
        0o644,
    )?;
    write_atomic(&manifest, &publication.manifest, 0o644)?;
    Ok(snapshot)
}

/// The snapshot files in a published directory, by sequence (from their
/// canonical names), oldest first; none when the directory does not exist.
pub fn snapshot_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_err(dir))?,
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let seq: u64 = name
                .strip_prefix("snapshot-")?
                .strip_suffix(".hushlist")?
                .parse()
                .ok()?;
            (crate::publish::snapshot_file_name(seq) == name).then_some((seq, e.path()))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// A verified snapshot read from disk, with the manifest that named it (if read
/// from a published directory).
#[derive(Debug)]
pub struct Opened {
    /// The snapshot file.
    pub path: PathBuf,
    /// The verified snapshot.
    pub snapshot: VerifiedSnapshot,
    /// The verified manifest, when PATH was a directory.
    pub manifest: Option<VerifiedManifest>,
    /// The rotation statements found beside it and followed from the given keys.
    pub rotations: Vec<Followed>,
    /// The keys it was verified with, after those statements.
    pub keys: Keyring,
}

impl Opened {
    /// All warnings from the manifest and the snapshot.
    pub fn warnings(&self) -> impl Iterator<Item = &String> {
        self.manifest
            .iter()
            .flat_map(|m| m.warnings.iter())
            .chain(self.snapshot.warnings.iter())
    }
}

fn verify_at<T>(path: &Path, result: Result<T, VerifyError>) -> Result<T, Error> {
    result.map_err(|source| Error::Verify {
        path: path.to_path_buf(),
        source,
    })
}

/// Opens and verifies a snapshot file (with `FILE.minisig` beside it),
/// following the rotation statements found beside it (FORMAT.md §8).
pub(crate) fn open_snapshot_file(
    path: &Path,
    keys: &Keyring,
    policy: Policy,
) -> Result<Opened, Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (keys, rotations) = follow_rotations_noted(dir, keys)?;
    let mut opened = read_and_verify_snapshot(path, None, &keys, policy)?;
    verify_at(
        path,
        verify::check_not_future("snapshot", opened.snapshot.snapshot.header.created, policy),
    )?;
    opened.rotations = rotations;
    opened.keys = keys;
    Ok(opened)
}

/// Opens and verifies a snapshot file with exactly `keys`, following no
/// statement (a publisher or auditor that has already followed them).
pub(crate) fn open_snapshot_file_with(
    path: &Path,
    keys: &Keyring,
    policy: Policy,
) -> Result<Opened, Error> {
    read_and_verify_snapshot(path, None, keys, policy)
}

/// Reads a snapshot no larger than the policy's limit (and than `signed_size`,
/// the size a verified manifest gives, when there is one), then verifies it
/// holding its bytes once.
fn read_and_verify_snapshot(
    path: &Path,
    signed_size: Option<u64>,
    keys: &Keyring,
    policy: Policy,
) -> Result<Opened, Error> {
    let limit = policy.limits.snapshot_len();
    let too_large = |size| Error::SnapshotTooLarge {
        path: path.to_path_buf(),
        size,
        max: limit,
    };
    if let Some(signed) = signed_size.filter(|&s| s > limit) {
        return Err(too_large(signed));
    }
    let signature = read_signature(path, FileKind::Snapshot)?;
    let data = match read_capped(path, signed_size.unwrap_or(limit)) {
        // The cap is the size the manifest signs: a longer file is not the one it names.
        Err(Error::TooLarge { size, max, .. }) if signed_size.is_some() => {
            return Err(Error::Verify {
                path: path.to_path_buf(),
                source: VerifyError::Mismatch {
                    what: "size",
                    signed_in: "manifest",
                    signed: max.to_string(),
                    actual_in: "snapshot",
                    actual: size.to_string(),
                },
            });
        }
        Err(Error::TooLarge { size, .. }) => return Err(too_large(size)),
        other => other?,
    };
    let snapshot = verify_at(
        path,
        verify::verify_snapshot_vec(data, &signature, keys, policy),
    )?;
    Ok(Opened {
        path: path.to_path_buf(),
        snapshot,
        manifest: None,
        rotations: Vec::new(),
        keys: keys.clone(),
    })
}

/// Reads `file`'s detached signature. A missing one is a file error; one that is
/// too long or not text is a malformed signature (a refusal).
fn read_signature(file: &Path, kind: FileKind) -> Result<String, Error> {
    let path = signature_path(file);
    let malformed = |reason| Error::Verify {
        path: path.clone(),
        source: VerifyError::Signature {
            kind,
            source: crate::format::signature::SignatureError::Malformed(reason),
        },
    };
    match read_capped(&path, MAX_SIGNATURE_FILE_LEN as u64) {
        Err(Error::TooLarge { .. }) => Err(malformed("file too long")),
        Err(e) => Err(e),
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| malformed("not UTF-8 text")),
    }
}

/// Applies the rotation statements present in `dir` (`rotation-000001.json`...)
/// that `keys` has not applied yet, in order, stopping at the first missing
/// one; returns the keys and the statements followed. An auditor's way to
/// the current key: it needs no snapshot to verify.
pub fn follow_rotations_noted(
    dir: &Path,
    keys: &Keyring,
) -> Result<(Keyring, Vec<Followed>), Error> {
    let mut keys = keys.clone();
    let followed = keys.follow(
        |n| read_rotation(dir, n),
        |n, source| Error::Verify {
            path: dir.join(rotation_file_name(n)),
            source,
        },
        |_| Ok(()),
    )?;
    Ok((keys, followed))
}

/// Reads rotation statement `n` and its signature from `dir`, if present. A
/// statement larger than any accepted one is refused, not truncated.
pub(crate) fn read_rotation(dir: &Path, n: u64) -> Result<Option<(Vec<u8>, String)>, Error> {
    let path = dir.join(rotation_file_name(n));
    if fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let signature = read_signature(&path, FileKind::Rotation)?;
    let data = match read_capped(&path, MAX_ROTATION_LEN as u64) {
        Err(Error::TooLarge { size, .. }) => {
            return Err(Error::Verify {
                path,
                source: VerifyError::Rotation(format!(
                    "rotation statement of {size} bytes is larger than the {MAX_ROTATION_LEN}-byte limit"
                )),
            })
        }
        other => other?,
    };
    Ok(Some((data, signature)))
}

/// Opens and verifies a published directory: key rotations found there, the
/// manifest, then the snapshot it names, then that the two agree.
pub fn open_directory(dir: &Path, keys: &Keyring, policy: Policy) -> Result<Opened, Error> {
    let (ring, rotations) = follow_rotations_noted(dir, keys)?;
    let keys = &ring;
    let manifest_path = dir.join(MANIFEST_FILE);
    let signature = read_signature(&manifest_path, FileKind::Manifest)?;
    // Larger than any manifest: a refusal of what was published, not a read error.
    let data = match read_capped(&manifest_path, MAX_MANIFEST_LEN as u64) {
        Err(Error::TooLarge { size, max, .. }) => {
            return Err(Error::Verify {
                path: manifest_path,
                source: VerifyError::Manifest(format!(
                    "{size} bytes is larger than the {max}-byte limit for a manifest"
                )),
            })
        }
        other => other?,
    };
    let manifest = verify_at(
        &manifest_path,
        verify::verify_manifest(&data, &signature, keys, policy),
    )?;
    verify_at(
        &manifest_path,
        verify::check_not_future("manifest", manifest.facts.created, policy),
    )?;
    let snapshot_path = dir.join(&manifest.manifest.snapshot.file);
    // The signed size caps the read: a longer file is refused before it is read.
    let signed_size = Some(manifest.manifest.snapshot.size);
    let mut opened = read_and_verify_snapshot(&snapshot_path, signed_size, keys, policy)?;
    verify_at(
        &snapshot_path,
        verify::check_binding(&manifest, &opened.snapshot),
    )?;
    opened.manifest = Some(manifest);
    opened.rotations = rotations;
    opened.keys = ring;
    Ok(opened)
}

/// Opens a published directory or a snapshot file, whichever `path` is.
pub fn open(path: &Path, keys: &Keyring, policy: Policy) -> Result<Opened, Error> {
    if !path.exists() {
        // Said of the path given, not of the `.minisig` a snapshot file would have.
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "no such published directory or snapshot file",
            ),
        });
    }
    if path.is_dir() {
        open_directory(path, keys, policy)
    } else {
        open_snapshot_file(path, keys, policy)
    }
}

/// A published directory's files held in memory: what a caller with its own
/// HTTP, or a page that fetched them, has. Rotation statements come in order
/// (`rotation-000001.json` first), each with its signature.
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// `manifest.json`.
    pub manifest: Vec<u8>,
    /// `manifest.json.minisig`.
    pub manifest_signature: String,
    /// The snapshot the manifest names.
    pub snapshot: Vec<u8>,
    /// Its `.minisig`.
    pub snapshot_signature: String,
    /// The rotation statements and their signatures.
    pub rotations: Vec<(Vec<u8>, String)>,
}

impl From<Publication> for Files {
    fn from(p: Publication) -> Self {
        Files {
            manifest: p.manifest,
            manifest_signature: p.manifest_signature,
            snapshot: p.snapshot,
            snapshot_signature: p.snapshot_signature,
            rotations: Vec::new(),
        }
    }
}

/// Verifies a publication held in memory exactly as [`open_directory`]
/// verifies one on disk: rotations, manifest, snapshot, then that the two
/// agree. Errors name the file each part would be on disk.
pub(crate) fn open_files(files: Files, keys: &Keyring, policy: Policy) -> Result<Opened, Error> {
    let mut ring = keys.clone();
    let rotations = ring.follow(
        |n| {
            let statement = files.rotations.get(n as usize - 1).cloned();
            match &statement {
                Some((data, _)) if data.len() > MAX_ROTATION_LEN => Err(Error::Verify {
                    path: PathBuf::from(rotation_file_name(n)),
                    source: VerifyError::Rotation(format!(
                        "rotation statement of {} bytes is larger than the {MAX_ROTATION_LEN}-byte limit",
                        data.len()
                    )),
                }),
                _ => Ok(statement),
            }
        },
        |n, source| Error::Verify {
            path: PathBuf::from(rotation_file_name(n)),
            source,
        },
        |_| Ok(()),
    )?;
    let manifest_path = PathBuf::from(MANIFEST_FILE);
    if files.manifest.len() > MAX_MANIFEST_LEN {
        return Err(Error::Verify {
            path: manifest_path,
            source: VerifyError::Manifest(format!(
                "{} bytes is larger than the {MAX_MANIFEST_LEN}-byte limit for a manifest",
                files.manifest.len()
            )),
        });
    }
    let manifest = verify_at(
        &manifest_path,
        verify::verify_manifest(&files.manifest, &files.manifest_signature, &ring, policy),
    )?;
    verify_at(
        &manifest_path,
        verify::check_not_future("manifest", manifest.facts.created, policy),
    )?;
    let snapshot_path = PathBuf::from(&manifest.manifest.snapshot.file);
    let limit = policy.limits.snapshot_len();
    let size = files.snapshot.len() as u64;
    if size > limit {
        return Err(Error::SnapshotTooLarge {
            path: snapshot_path,
            size,
            max: limit,
        });
    }
    let snapshot = verify_at(
        &snapshot_path,
        verify::verify_snapshot_vec(files.snapshot, &files.snapshot_signature, &ring, policy),
    )?;
    verify_at(&snapshot_path, verify::check_binding(&manifest, &snapshot))?;
    Ok(Opened {
        path: snapshot_path,
        snapshot,
        manifest: Some(manifest),
        rotations,
        keys: ring,
    })
}
