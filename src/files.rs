//! Files and directories that hold what only this user may read or change:
//! the state (pinned keys, installed snapshot), the key cache, reports about
//! the company's numbers.
//!
//! As ssh does with `~/.ssh`, an existing path that another user owns, or that
//! others may write, is refused: whoever controls it could plant a key, hide a
//! match, or read the numbers. New files are created without following links
//! and never truncate what a path already names.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a private path is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateError {
    /// Owned by someone else, or writable by others.
    #[error(
        "{}: {reason}; refusing to use it (as ssh does): another user could plant or read \
         what it holds. Fix: {fix}",
        path.display()
    )]
    Insecure {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// Not the kind of file expected (a symlink, FIFO, device, directory).
    #[error("{}: {what}; refusing to use it", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is.
        what: String,
    },
    /// Reading, creating or renaming failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl From<PrivateError> for io::Error {
    fn from(e: PrivateError) -> io::Error {
        let kind = match &e {
            PrivateError::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::PermissionDenied,
        };
        io::Error::new(kind, e.to_string())
    }
}

impl PrivateError {
    /// The cause without the path, for a caller whose own error names the
    /// path already (so that no message says it twice).
    pub(crate) fn into_cause(self) -> io::Error {
        match self {
            PrivateError::Io { source, .. } => source,
            PrivateError::NotRegular { what, .. } => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what}; refusing to use it"),
            ),
            PrivateError::Insecure { reason, fix, .. } => io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{reason}; refusing to use it. Fix: {fix}"),
            ),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PrivateError + '_ {
    move |source| PrivateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The effective user id of this process (Linux: the owner of `/proc/self`;
/// elsewhere the owner of a file this process creates).
#[cfg(unix)]
fn current_uid() -> io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = fs::metadata("/proc/self") {
        return Ok(m.uid());
    }
    let probe = tempfile_probe()?;
    let uid = fs::metadata(&probe)?.uid();
    let _ = fs::remove_file(&probe);
    Ok(uid)
}

#[cfg(unix)]
fn tempfile_probe() -> io::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!(".hushlist-uid-{}", std::process::id()));
    let _ = fs::remove_file(&path);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok(path)
}

/// Refuses `meta` (of `path`) unless this user owns it and others cannot write it.
#[cfg(unix)]
fn check_owner(path: &Path, meta: &fs::Metadata) -> Result<(), PrivateError> {
    use std::os::unix::fs::MetadataExt;
    let uid = current_uid().map_err(io_err(path))?;
    let mode = meta.mode() & 0o7777;
    if meta.uid() != uid {
        return Err(PrivateError::Insecure {
            path: path.to_path_buf(),
            reason: format!("owned by user {}, not by this user ({uid})", meta.uid()),
            fix: "remove it, or choose another path (another user made it: do not reuse it)"
                .to_string(),
        });
    }
    if mode & 0o022 != 0 {
        return Err(PrivateError::Insecure {
            path: path.to_path_buf(),
            reason: format!("writable by group or others (mode {mode:03o})"),
            fix: format!("`chmod go-w {}`", path.display()),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_: &Path, _: &fs::Metadata) -> Result<(), PrivateError> {
    Ok(())
}

/// Checks an existing private directory (owned by this user, not writable by
/// others); `Ok(false)` when it does not exist. A symbolic link to it is
/// judged by what it points to: users move state and caches with links, and
/// planting one needs write access to the directory above.
pub fn check_private_dir(path: &Path) -> Result<bool, PrivateError> {
    let meta = match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        other => other.map_err(io_err(path))?,
    };
    if !meta.is_dir() {
        return Err(PrivateError::NotRegular {
            path: path.to_path_buf(),
            what: describe(&meta, "a directory"),
        });
    }
    check_owner(path, &meta)?;
    Ok(true)
}

/// Creates `path` (and missing parents) with mode 0700, or checks the existing
/// one with [`check_private_dir`].
pub fn create_private_dir(path: &Path) -> Result<(), PrivateError> {
    if check_private_dir(path)? {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(io_err(path))?;
    // Re-check what is there now: another user may have won a race to create it.
    check_private_dir(path)?;
    Ok(())
}

/// Checks an existing private file (a regular file, not a symlink, owned by
/// this user, not writable by others); `Ok(false)` when it does not exist.
pub fn check_private_file(path: &Path) -> Result<bool, PrivateError> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        other => other.map_err(io_err(path))?,
    };
    if !meta.is_file() {
        return Err(PrivateError::NotRegular {
            path: path.to_path_buf(),
            what: describe(&meta, "a regular file"),
        });
    }
    check_owner(path, &meta)?;
    Ok(true)
}

fn describe(meta: &fs::Metadata, wanted: &str) -> String {
    let t = meta.file_type();
    let what = if t.is_symlink() {
        "a symbolic link".to_string()
    } else if t.is_dir() {
        "a directory".to_string()
    } else if t.is_file() {
        "a regular file".to_string()
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                "a FIFO".to_string()
            } else if t.is_socket() {
                "a socket".to_string()
            } else {
                "a device".to_string()
            }
        }
        #[cfg(not(unix))]
        "not a regular file".to_string()
    };
    format!("is {what}, not {wanted}")
}

/// Opens a file for reading without blocking on a FIFO, and refuses anything
/// but a regular file (a FIFO would hang the reader; a device has no end).
pub fn open_regular(path: &Path) -> Result<File, PrivateError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking only so that opening a FIFO cannot hang; a regular file
        // ignores the flag.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(PrivateError::NotRegular {
            path: path.to_path_buf(),
            what: describe(&meta, "a regular file"),
        });
    }
    Ok(file)
}

/// Writes `bytes` to `path` with mode 0600 without ever following a link or
/// truncating what `path` names: a new file (created exclusively, with
/// `O_NOFOLLOW`) beside it, synced, then renamed over it. A rename replaces a
/// symbolic link itself, never its target. An existing path that is not a
/// regular file or a symlink (a FIFO, a directory) is refused.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), PrivateError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !(meta.is_file() || meta.file_type().is_symlink()) => {
            return Err(PrivateError::NotRegular {
                path: path.to_path_buf(),
                what: describe(&meta, "a regular file"),
            })
        }
        _ => {}
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| PrivateError::Io {
        path: path.to_path_buf(),
        source: io::Error::other(format!("no randomness from the OS: {e}")),
    })?;
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(random)));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let result = (|| {
        let mut file = options.open(&tmp).map_err(io_err(&tmp))?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_directory_others_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("state");
        create_private_dir(&d).unwrap();
        assert_eq!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        let err = create_private_dir(&d).unwrap_err().to_string();
        assert!(err.contains("writable by group or others"), "{err}");
    }

    #[test]
    fn writing_replaces_a_symlink_never_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("report.html");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private_file(&link, b"report").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
        assert!(!fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&link).unwrap(), "report");
    }
}
