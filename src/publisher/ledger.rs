//! What the publisher itself wrote into a published directory, kept outside
//! it (beside its secret key by default): the sequence and digest of the
//! newest snapshot it published there. Whoever can write the directory
//! (a web host, a bucket a stateless job restores) could otherwise choose
//! what the publisher signs next: the chain, the hash, the salts and the
//! contact are all carried over from the newest snapshot found there.

use super::PublisherError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The directory beside a key file that holds its ledgers.
pub const LEDGER_DIR: &str = "hushlist-publish-ledger";

/// The newest snapshot a publisher wrote into one directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The published directory, as given (for people reading the file).
    pub out: String,
    /// The newest snapshot's sequence.
    pub sequence: u64,
    /// Its BLAKE3 digest, hex.
    pub blake3: String,
}

/// Where a publisher's record of one published directory is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    path: PathBuf,
    out: PathBuf,
}

impl Ledger {
    /// The ledger of `out` in `dir` (a directory of the publisher's own,
    /// created 0700): one file per published directory.
    pub fn in_dir(dir: &Path, out: &Path) -> Self {
        let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        let id = blake3::hash(out.as_os_str().as_encoded_bytes()).to_hex();
        Ledger {
            path: dir.join(format!("{}.json", &id[..32])),
            out,
        }
    }

    /// The ledger of `out` beside `key_file` (in [`LEDGER_DIR`] there):
    /// as private as the key, and found again by the next key made in the
    /// same directory after a rotation.
    pub fn beside_key(key_file: &Path, out: &Path) -> Self {
        let dir = key_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self::in_dir(&dir.join(LEDGER_DIR), out)
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The record, if the publisher has written one.
    pub fn read(&self) -> Result<Option<Record>, PublisherError> {
        let bad = |why: String| PublisherError::Ledger(format!("{}: {why}", self.path.display()));
        match crate::files::open_regular(&self.path).map_err(std::io::Error::from) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(bad(e.to_string())),
            Ok(file) => {
                use std::io::Read;
                let mut text = String::new();
                file.take(64 * 1024)
                    .read_to_string(&mut text)
                    .map_err(|e| bad(e.to_string()))?;
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| bad(format!("not a publisher ledger: {e}")))
            }
        }
    }

    /// Records `sequence` with `digest` as the newest snapshot written.
    pub fn write(&self, sequence: u64, digest: &[u8; 32]) -> Result<(), PublisherError> {
        let bad = |why: String| PublisherError::Ledger(format!("{}: {why}", self.path.display()));
        if let Some(dir) = self.path.parent() {
            crate::files::create_private_dir(dir).map_err(|e| bad(e.to_string()))?;
        }
        let record = Record {
            out: self.out.display().to_string(),
            sequence,
            blake3: hex::encode(digest),
        };
        let text = serde_json::to_string_pretty(&record).expect("serializes") + "\n";
        crate::files::write_private_file(&self.path, text.as_bytes())
            .map_err(|e| bad(e.to_string()))
    }
}

impl Ledger {
    /// Copies this ledger's record to `other` (the new key's, after a
    /// rotation to a key kept in another directory); whether there was one.
    pub fn carry_to(&self, other: &Ledger) -> Result<bool, PublisherError> {
        if other.path == self.path {
            return Ok(false);
        }
        let Some(record) = self.read()? else {
            return Ok(false);
        };
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&record.blake3, &mut digest)
            .map_err(|e| PublisherError::Ledger(format!("{}: {e}", self.path.display())))?;
        other.write(record.sequence, &digest)?;
        Ok(true)
    }
}

/// Whether the directory's newest snapshot (`found`: sequence and digest)
/// is the one the ledger records. `adopt` takes the directory as it is.
pub fn check(
    record: Option<&Record>,
    found: Option<(u64, [u8; 32])>,
    adopt: bool,
) -> Result<(), PublisherError> {
    if adopt {
        return Ok(());
    }
    match (record, found) {
        (None, None) => Ok(()),
        (Some(r), Some((sequence, digest)))
            if r.sequence == sequence && r.blake3 == hex::encode(digest) =>
        {
            Ok(())
        }
        (record, found) => Err(PublisherError::NotOurHistory {
            recorded: record.map(|r| r.sequence),
            recorded_blake3: record.map(|r| r.blake3.clone()).unwrap_or_default(),
            found: found.map(|(s, _)| s),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recorded_newest_snapshot_continues_the_chain() {
        let record = Record {
            out: "site".into(),
            sequence: 3,
            blake3: hex::encode([7; 32]),
        };
        assert!(check(None, None, false).is_ok(), "a first publication");
        assert!(check(Some(&record), Some((3, [7; 32])), false).is_ok());
        for (record, found) in [
            (Some(&record), Some((41, [9; 32]))), // planted history
            (Some(&record), Some((3, [9; 32]))),  // same number, other file
            (Some(&record), None),                // a wiped directory
            (None, Some((3, [7; 32]))),           // never recorded here
        ] {
            assert!(
                matches!(
                    check(record, found, false),
                    Err(PublisherError::NotOurHistory { .. })
                ),
                "{record:?} {found:?}"
            );
            assert!(
                check(record, found, true).is_ok(),
                "adopt takes it as it is"
            );
        }
    }

    #[test]
    fn a_ledger_is_written_privately_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::beside_key(&dir.path().join("keys/hushlist.key"), Path::new("site"));
        assert_eq!(ledger.read().unwrap(), None);
        ledger.write(5, &[1; 32]).unwrap();
        let record = ledger.read().unwrap().unwrap();
        assert_eq!((record.sequence, record.blake3), (5, hex::encode([1; 32])));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(ledger.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "0600");
        }
        let other = Ledger::beside_key(&dir.path().join("keys/hushlist.key"), Path::new("mirror"));
        assert_ne!(
            other.path(),
            ledger.path(),
            "one record per published directory"
        );
    }
}
