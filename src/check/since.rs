//! What is new since the last run over the same inputs: the daily question.
//! A run's possible matches are remembered as keyed BLAKE3 digests of their
//! E.164 numbers (the key is random, local and 0600 beside them), so the
//! memory holds no number and cannot be tested against guesses without the
//! key; the reports it marks hold the numbers anyway.

use super::Outcome;
use crate::files::{create_private_dir, write_private_file};
use crate::format::time::{now, rfc3339};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// Where runs are remembered by default: `HUSHLIST_HISTORY_DIR`, else
/// `$XDG_STATE_HOME/hushlist/runs`, else `~/.local/state/hushlist/runs` (the
/// XDG directory for "actions history"; not the key cache, which holds only
/// number keys, nor the client state).
pub fn default_dir() -> Option<PathBuf> {
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("HUSHLIST_HISTORY_DIR")
        .or_else(|| env("XDG_STATE_HOME").map(|d| d.join("hushlist/runs")))
        .or_else(|| env("HOME").map(|h| h.join(".local/state/hushlist/runs")))
}

/// The largest memory file read: a run's matches, one digest each.
const MAX_MEMORY_LEN: u64 = 16 << 20;

#[derive(Serialize, Deserialize, Default)]
struct Remembered {
    /// When the run was.
    at: String,
    /// Keyed digests (hex) of the numbers it matched.
    matches: BTreeSet<String>,
}

/// The memory of runs over one set of inputs.
pub struct RunMemory {
    path: PathBuf,
    key: [u8; 32],
    previous: Option<Remembered>,
}

impl RunMemory {
    /// Opens the memory in `dir` for the run over `inputs` (their names as
    /// given: the same names, in any order, are the same inputs).
    pub fn open(dir: &Path, inputs: &[String]) -> io::Result<Self> {
        create_private_dir(dir).map_err(|e| e.into_cause())?;
        let key_path = dir.join("key");
        let key = match crate::published::read_capped(&key_path, 32) {
            Ok(bytes) if bytes.len() == 32 => bytes.try_into().expect("32 bytes"),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a 32-byte key", key_path.display()),
                ))
            }
            Err(_) if !key_path.exists() => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
                write_private_file(&key_path, &key).map_err(|e| e.into_cause())?;
                key
            }
            Err(e) => return Err(io::Error::other(e.to_string())),
        };
        let mut names: Vec<&str> = inputs.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let id = blake3::keyed_hash(&key, names.join("\0").as_bytes());
        let path = dir.join(format!("run-{}.json", &id.to_hex()[..32]));
        let previous = match crate::published::read_capped(&path, MAX_MEMORY_LEN) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?),
            Err(_) if !path.exists() => None,
            Err(e) => return Err(io::Error::other(e.to_string())),
        };
        Ok(RunMemory {
            path,
            key,
            previous,
        })
    }

    /// The directory the memory is kept in.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn digest(&self, e164: &str) -> String {
        blake3::keyed_hash(&self.key, e164.as_bytes())
            .to_hex()
            .to_string()
    }

    /// Marks each possible match new or not, against the last run remembered.
    pub fn mark(&self, outcome: &mut Outcome) {
        let Some(previous) = &self.previous else {
            return;
        };
        outcome.previous_run = Some(previous.at.clone());
        for f in &mut outcome.matches {
            f.new = Some(!previous.matches.contains(&self.digest(&f.e164)));
        }
    }

    /// Remembers this run's possible matches for the next one.
    pub fn save(&self, outcome: &Outcome) -> io::Result<()> {
        let remembered = Remembered {
            at: rfc3339(now()),
            matches: outcome
                .matches
                .iter()
                .map(|f| self.digest(&f.e164))
                .collect(),
        };
        let json = serde_json::to_vec(&remembered).expect("serializes");
        write_private_file(&self.path, &json).map_err(|e| e.into_cause())
    }
}

impl Outcome {
    /// Possible matches the last run over the same inputs did not have.
    pub fn new_matches(&self) -> usize {
        self.matches.iter().filter(|f| f.new == Some(true)).count()
    }
}
