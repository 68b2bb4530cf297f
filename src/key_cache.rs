//! A local cache of filter items per number, for one salt and set of hash
//! parameters, so that re-checking the same inventory within a salt epoch (every
//! snapshot of the epoch shares the salt) costs only lookups instead of one slow
//! hash per number. The cache of the next epoch, announced in the snapshot, is
//! kept too, so that it can be filled ahead of the switch (`hushlist prewarm`).
//!
//! The cache is as sensitive as the company's list of numbers: its index is a
//! fast hash keyed by a value in the file's own header (lookups must be cheap),
//! so whoever can read the file can recover the cached numbers by trying every
//! number at BLAKE3 speed (measured: all NANP numbers in about 16 minutes on one
//! core). It is therefore created 0600 in a 0700 directory, holds no number in
//! clear, and `--no-cache` turns it off. Whoever can write it can also make a
//! listed number look clean, as they could by replacing the program. Layout:
//!
//! ```text
//! "HLCACHE1" (8 bytes) || cache id (32) || records of 24 bytes:
//!     BLAKE3-keyed(cache id, E.164)[0..16] || filter item (u64, little-endian)
//! ```
//!
//! The cache id is `BLAKE3-derive-key("hushlist v1 key cache id", kdf || salt)`
//! with the 45 bytes of hash algorithm, parameters and salt as the snapshot
//! header stores them (bytes 94..139 for the current epoch, 171..216 for the
//! next), followed for a sealed epoch by its OPRF public key (from the sealed
//! block): a new salt or key never reuses entries, the same ones always do.

use crate::format::number_key::{Kdf, KEY_LEN};
use crate::format::snapshot::{kdf_and_salt_bytes, Snapshot};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HLCACHE1";
const RECORD_LEN: usize = 24;
const HEADER_LEN: usize = 8 + 32;

/// Cached filter items for one snapshot.
pub struct KeyCache {
    id: [u8; 32],
    path: PathBuf,
    items: HashMap<[u8; 16], u64>,
    pending: Vec<([u8; 16], u64)>,
}

/// The default cache directory: `$HUSHLIST_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/hushlist`, else `~/.cache/hushlist`.
pub fn default_dir() -> Option<PathBuf> {
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("HUSHLIST_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("hushlist")))
        .or_else(|| env("HOME").map(|h| h.join(".cache/hushlist")))
}

fn cache_id(kdf: Kdf, salt: &[u8; KEY_LEN]) -> [u8; 32] {
    let mut material = kdf_and_salt_bytes(kdf, salt).to_vec();
    // A sealed epoch's keys depend on the OPRF key too: its public half.
    if let Kdf::Voprf { public_key } = kdf {
        material.extend_from_slice(&public_key);
    }
    blake3::derive_key("hushlist v1 key cache id", &material)
}

fn file_name(id: &[u8; 32]) -> String {
    format!("{}.cache", &hex::encode(id)[..32])
}

/// The records of a cache file for `id`, and where its whole records end;
/// `None` when the file is not such a cache (wrong magic, another salt's).
fn records(bytes: &[u8], id: &[u8; 32]) -> Option<(HashMap<[u8; 16], u64>, usize)> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC || bytes[8..HEADER_LEN] != id[..] {
        return None;
    }
    let whole = HEADER_LEN + (bytes.len() - HEADER_LEN) / RECORD_LEN * RECORD_LEN;
    let items = bytes[HEADER_LEN..whole]
        .chunks_exact(RECORD_LEN)
        .map(|record| {
            let lookup: [u8; 16] = record[..16].try_into().expect("16 bytes");
            let item = u64::from_le_bytes(record[16..].try_into().expect("8 bytes"));
            (lookup, item)
        })
        .collect();
    Some((items, whole))
}

/// A cache of another salt not opened for this long is removed. Several
/// lists (or one list's past epochs) may share a directory: removing every
/// other salt's cache at once made two lists delete each other's, and each
/// check re-hashed everything. Opening a cache marks it used.
pub const IDLE_PRUNE_SECS: u64 = 40 * 86_400;

impl KeyCache {
    /// Opens (or starts) the cache for `snapshot`'s salt in `dir`, removing the
    /// caches there of other salts that were not used for [`IDLE_PRUNE_SECS`]
    /// (the next salt the snapshot announces is always kept).
    /// A damaged file is discarded, not trusted.
    pub fn open(dir: &Path, snapshot: &Snapshot) -> io::Result<Self> {
        let h = &snapshot.header;
        Self::open_salt(dir, (h.kdf, h.salt), (h.next_kdf, h.next_salt))
    }

    /// Opens (or starts) the cache for the next salt epoch that `snapshot`
    /// announces, to fill it before the switch; prunes as [`KeyCache::open`].
    pub fn open_next(dir: &Path, snapshot: &Snapshot) -> io::Result<Self> {
        let h = &snapshot.header;
        Self::open_salt(dir, (h.next_kdf, h.next_salt), (h.kdf, h.salt))
    }

    /// Opens (or starts) the cache for `current` hash parameters and salt,
    /// removing the idle caches of other salts but never `keep` (the
    /// publisher keeps its own list's items this way through an epoch).
    pub fn open_salt(
        dir: &Path,
        current: (Kdf, [u8; KEY_LEN]),
        keep: (Kdf, [u8; KEY_LEN]),
    ) -> io::Result<Self> {
        crate::files::create_private_dir(dir)?;
        let id = cache_id(current.0, &current.1);
        let keep = [file_name(&id), file_name(&cache_id(keep.0, &keep.1))];
        let name = file_name(&id);
        // Only files named as this module names them: the directory may be shared.
        let ours = |n: &str| {
            n.strip_suffix(".cache")
                .is_some_and(|stem| stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        for entry in fs::read_dir(dir)?.flatten() {
            let other = entry.file_name();
            let other = other.to_string_lossy();
            let idle = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > IDLE_PRUNE_SECS);
            if ours(&other)
                && !keep.iter().any(|k| *k == other)
                && entry.file_type().is_ok_and(|t| t.is_file())
                && idle
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        let path = dir.join(name);
        let mut cache = KeyCache {
            id,
            path,
            items: HashMap::new(),
            pending: Vec::new(),
        };
        match File::open(&cache.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
            Ok(mut file) => {
                // Used now: another list's check sharing the directory keeps it.
                let _ = OpenOptions::new()
                    .write(true)
                    .open(&cache.path)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes)?;
                match records(&bytes, &id) {
                    None => fs::remove_file(&cache.path)?,
                    Some((items, whole)) => {
                        // A trailing partial record (an interrupted append) is cut
                        // off, so that later appends stay aligned.
                        if whole != bytes.len() {
                            OpenOptions::new()
                                .write(true)
                                .open(&cache.path)?
                                .set_len(whole as u64)?;
                        }
                        cache.items = items;
                    }
                }
            }
        }
        Ok(cache)
    }

    /// Reads `snapshot`'s cache in `dir` as it is, changing nothing: no
    /// directory made, nothing pruned, marked or repaired (what an estimate
    /// may do; a check opens with [`KeyCache::open`]). A missing or damaged
    /// file reads as empty.
    pub fn peek(dir: &Path, snapshot: &Snapshot) -> io::Result<Self> {
        let h = &snapshot.header;
        let id = cache_id(h.kdf, &h.salt);
        let path = dir.join(file_name(&id));
        let items = match fs::read(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
            Ok(bytes) => records(&bytes, &id)
                .map(|(items, _)| items)
                .unwrap_or_default(),
        };
        Ok(KeyCache {
            id,
            path,
            items,
            pending: Vec::new(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries cached.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn lookup(&self, e164: &str) -> [u8; 16] {
        blake3::keyed_hash(&self.id, e164.as_bytes()).as_bytes()[..16]
            .try_into()
            .expect("16 bytes")
    }

    /// The cached item of an E.164 number.
    pub fn get(&self, e164: &str) -> Option<u64> {
        self.items.get(&self.lookup(e164)).copied()
    }

    /// Remembers an item; written by [`KeyCache::flush`].
    pub fn insert(&mut self, e164: &str, item: u64) {
        let lookup = self.lookup(e164);
        if self.items.insert(lookup, item).is_none() {
            self.pending.push((lookup, item));
        }
    }

    /// Appends the new entries to the file (created 0600).
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&self.path)?;
        let mut out = Vec::with_capacity(HEADER_LEN + self.pending.len() * RECORD_LEN);
        if file.metadata()?.len() == 0 {
            out.extend_from_slice(MAGIC);
            out.extend_from_slice(&self.id);
        }
        for (lookup, item) in self.pending.drain(..) {
            out.extend_from_slice(&lookup);
            out.extend_from_slice(&item.to_le_bytes());
        }
        file.write_all(&out)?;
        file.sync_data()
    }
}

/// What [`prewarm_next`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prewarmed {
    /// Numbers hashed now.
    pub hashed: usize,
    /// Numbers found in the cache already.
    pub cached: usize,
    /// The cache file.
    pub path: PathBuf,
}

/// Hashes distinct E.164 `numbers` with the next salt epoch's salt and
/// parameters that `snapshot` announces, on all cores, into that epoch's cache
/// in `dir`: after the switch, checking them costs only lookups.
pub fn prewarm_next(dir: &Path, snapshot: &Snapshot, numbers: &[String]) -> io::Result<Prewarmed> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    prewarm_next_on(dir, snapshot, numbers, cores, &mut |_| {})
}

/// How far a prewarm has come, after each slice written to the cache.
#[derive(Clone, Copy, Debug)]
pub struct PrewarmProgress {
    /// Numbers hashed so far in this run.
    pub hashed: usize,
    /// Numbers this run hashes in all (those not cached yet).
    pub to_hash: usize,
    /// Time spent hashing so far.
    pub elapsed: std::time::Duration,
}

/// [`prewarm_next`] hashing on `threads` threads of a pool of its own (each
/// Argon2id hash holds its memory cost: the caller sizes this to its budget).
pub fn prewarm_next_on(
    dir: &Path,
    snapshot: &Snapshot,
    numbers: &[String],
    threads: usize,
    progress: &mut (dyn FnMut(PrewarmProgress) + Send),
) -> io::Result<Prewarmed> {
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(io::Error::other)?;
    pool.install(|| prewarm_in_pool(dir, snapshot, numbers, threads, progress))
}

/// Why a prewarm of a sealed epoch stopped. Every batch verified before
/// the failure is in the cache; nothing from the failed one is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealedPrewarmError {
    /// The cache could not be read or written.
    #[error("key cache: {0}")]
    Cache(#[from] io::Error),
    /// The evaluations could not be obtained, or were refused.
    #[error(transparent)]
    Evaluation(#[from] crate::check::sealed::EvaluationError),
    /// The next epoch announced is not sealed.
    #[error("the next salt epoch is not sealed")]
    NotSealed,
}

/// [`prewarm_next`] for a sealed next epoch: the keys of `numbers` not
/// cached yet are obtained from `evaluator` in batches, each answer's proof
/// checked against the next epoch's public key from the (verified)
/// `snapshot` before the batch is written to the cache.
pub fn prewarm_next_sealed(
    dir: &Path,
    snapshot: &Snapshot,
    numbers: &[String],
    evaluator: &dyn crate::check::sealed::Evaluator,
    progress: &mut dyn FnMut(PrewarmProgress),
) -> Result<Prewarmed, SealedPrewarmError> {
    let h = &snapshot.header;
    let Kdf::Voprf { public_key } = h.next_kdf else {
        return Err(SealedPrewarmError::NotSealed);
    };
    fill_next(
        dir,
        snapshot,
        numbers,
        crate::format::sealed::MAX_BATCH,
        |chunk| {
            crate::check::sealed::sealed_items(
                evaluator,
                &public_key,
                &h.next_salt,
                chunk,
                &mut |_| {},
            )
            .map_err(SealedPrewarmError::from)
        },
        progress,
    )
}

/// Fills the next epoch's cache in `dir` with the items `items_of` gives
/// for the `numbers` not cached yet, `slice` at a time, each slice written
/// before the next is asked for (an interrupted run keeps what it paid
/// for) and reported to `progress`.
fn fill_next<E: From<io::Error>>(
    dir: &Path,
    snapshot: &Snapshot,
    numbers: &[String],
    slice: usize,
    mut items_of: impl FnMut(&[String]) -> Result<Vec<u64>, E>,
    progress: &mut dyn FnMut(PrewarmProgress),
) -> Result<Prewarmed, E> {
    let mut cache = KeyCache::open_next(dir, snapshot)?;
    let missing: Vec<String> = numbers
        .iter()
        .filter(|n| cache.get(n).is_none())
        .cloned()
        .collect();
    let started = std::time::Instant::now();
    let mut hashed = 0;
    for chunk in missing.chunks(slice.max(1)) {
        let items = items_of(chunk)?;
        for (n, item) in chunk.iter().zip(items) {
            cache.insert(n, item);
        }
        cache.flush()?;
        hashed += chunk.len();
        progress(PrewarmProgress {
            hashed,
            to_hash: missing.len(),
            elapsed: started.elapsed(),
        });
    }
    Ok(Prewarmed {
        hashed: missing.len(),
        cached: numbers.len() - missing.len(),
        path: cache.path().to_path_buf(),
    })
}

fn prewarm_in_pool(
    dir: &Path,
    snapshot: &Snapshot,
    numbers: &[String],
    threads: usize,
    progress: &mut (dyn FnMut(PrewarmProgress) + Send),
) -> io::Result<Prewarmed> {
    use rayon::prelude::*;
    let h = &snapshot.header;
    let hasher = crate::format::number_key::NumberHasher::new(h.next_kdf, h.next_salt)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    // Slices small enough (a few hashes a thread: a few seconds at
    // Argon2id's defaults) that progress is reported as it goes.
    let slice = match h.next_kdf {
        crate::format::number_key::Kdf::Blake3 => 4096,
        _ => threads * 8,
    };
    fill_next(
        dir,
        snapshot,
        numbers,
        slice,
        |chunk| {
            Ok::<_, io::Error>(
                chunk
                    .par_iter()
                    .map(|n| crate::format::filter::item(&hasher.key(n)))
                    .collect(),
            )
        },
        progress,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::number_key::Kdf;
    use crate::publish::{build_snapshot, BuildParams};

    fn snapshot(salt: u8) -> Snapshot {
        snapshot_then(salt, 0xEE)
    }

    fn snapshot_then(salt: u8, next: u8) -> Snapshot {
        let params = BuildParams {
            sequence: 1,
            created: 0,
            expires: 10,
            previous: [0; 32],
            kdf: Kdf::Argon2id {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            salt: [salt; 32],
            epoch: crate::publish::SaltEpoch::starting(
                0,
                1_000_000,
                Kdf::Argon2id {
                    m_kib: 64,
                    t: 1,
                    p: 1,
                },
                [next; 32],
            ),
            contact: Default::default(),
            sealing: None,
            fp_rate: 1e-6,
        };
        build_snapshot(&["+13135550101".to_string()], &params).unwrap()
    }

    #[test]
    fn entries_survive_reopen_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let snap = snapshot(1);
        let mut cache = KeyCache::open(dir.path(), &snap).unwrap();
        cache.insert("+13135550101", 42);
        cache.flush().unwrap();
        let again = KeyCache::open(dir.path(), &snap).unwrap();
        assert_eq!(again.get("+13135550101"), Some(42));
        assert_eq!(again.get("+13135550102"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(again.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let raw = fs::read(again.path()).unwrap();
        assert!(
            !raw.windows(12).any(|w| w == b"+13135550101"),
            "numbers are never stored"
        );
    }

    /// Two lists sharing a directory keep their caches; one unused for
    /// longer than [`IDLE_PRUNE_SECS`] (a past epoch, a list no longer
    /// checked) is removed.
    #[test]
    fn another_snapshot_starts_afresh_and_only_an_idle_cache_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = KeyCache::open(dir.path(), &snapshot(1)).unwrap();
        cache.insert("+13135550101", 42);
        cache.flush().unwrap();
        let first = cache.path().to_path_buf();
        let mut other = KeyCache::open(dir.path(), &snapshot(2)).unwrap();
        assert!(other.is_empty());
        other.insert("+13135550101", 7);
        other.flush().unwrap();
        assert!(first.exists(), "another list's cache in use is kept");
        let again = KeyCache::open(dir.path(), &snapshot(1)).unwrap();
        assert_eq!(again.get("+13135550101"), Some(42), "and still hits");
        let long_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(IDLE_PRUNE_SECS + 86_400);
        OpenOptions::new()
            .write(true)
            .open(&first)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        KeyCache::open(dir.path(), &snapshot(2)).unwrap();
        assert!(!first.exists(), "an idle cache of another salt goes");
    }

    #[test]
    fn the_next_epochs_cache_is_kept_and_becomes_current_at_the_switch() {
        let dir = tempfile::tempdir().unwrap();
        let now = snapshot_then(1, 2);
        let mut current = KeyCache::open(dir.path(), &now).unwrap();
        current.insert("+13135550101", 1);
        current.flush().unwrap();
        let mut next = KeyCache::open_next(dir.path(), &now).unwrap();
        next.insert("+13135550101", 2);
        next.flush().unwrap();
        // Reopening the current one must not prune the prewarmed next one.
        let again = KeyCache::open(dir.path(), &now).unwrap();
        assert_eq!(again.get("+13135550101"), Some(1));
        assert!(next.path().exists());
        // After the switch, the next salt is current: the prewarmed entries hit;
        // the old epoch's cache goes once idle.
        let switched = KeyCache::open(dir.path(), &snapshot_then(2, 3)).unwrap();
        assert_eq!(switched.get("+13135550101"), Some(2));
    }

    #[test]
    fn a_torn_append_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let snap = snapshot(1);
        let mut cache = KeyCache::open(dir.path(), &snap).unwrap();
        cache.insert("+13135550101", 42);
        cache.flush().unwrap();
        let mut f = OpenOptions::new().append(true).open(cache.path()).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        let mut reopened = KeyCache::open(dir.path(), &snap).unwrap();
        assert_eq!(reopened.len(), 1);
        reopened.insert("+13135550102", 7);
        reopened.flush().unwrap();
        let again = KeyCache::open(dir.path(), &snap).unwrap();
        assert_eq!(
            again.get("+13135550102"),
            Some(7),
            "appends after a torn one stay aligned"
        );
        assert_eq!(again.get("+13135550101"), Some(42));
    }

    #[test]
    fn other_files_in_a_shared_directory_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("thumbnails.cache"), "not ours").unwrap();
        KeyCache::open(dir.path(), &snapshot(1)).unwrap();
        assert!(dir.path().join("thumbnails.cache").exists());
    }
}
