//! Defaults from a configuration file, below flags and environment variables.
//!
//! `$HUSHLIST_CONFIG`, else `$XDG_CONFIG_HOME/hushlist/config.toml`, else
//! `~/.config/hushlist/config.toml`. Every key is optional:
//!
//! ```toml
//! region = "US"          # default region for national numbers
//! format = "table"       # check output: table, csv, json, jsonl
//! state_dir = "/var/lib/hushlist"
//! jobs = 4               # hashing threads for check
//! cache = true           # cache per-number keys between checks
//! ```

use serde::Deserialize;
use std::path::PathBuf;

/// The configuration file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub region: Option<String>,
    pub format: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub cache: Option<bool>,
}

fn path() -> Option<PathBuf> {
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("HUSHLIST_CONFIG")
        .or_else(|| env("XDG_CONFIG_HOME").map(|d| d.join("hushlist/config.toml")))
        .or_else(|| env("HOME").map(|h| h.join(".config/hushlist/config.toml")))
}

/// Loads the file; a missing file is an empty configuration, a malformed one an error.
pub fn load() -> Result<FileConfig, String> {
    let Some(path) = path() else {
        return Ok(FileConfig::default());
    };
    match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
    }
}
