//! Defaults from a configuration file, below flags and environment variables.
//!
//! `$HUSHLIST_CONFIG`, else `$XDG_CONFIG_HOME/hushlist/config.toml`, else
//! `~/.config/hushlist/config.toml`. Every key is optional:
//!
//! ```toml
//! region = ["DE", "GB", "US"]      # default regions for national numbers ("US" alone works too)
//! column = ["Desk Phone", "Mobile Phone"]   # number columns (default: every phone column)
//! region_column = "Country"        # each row's region, where a file has it
//! also_column = ["Alternate No."]  # checked besides the columns chosen
//! not_column = ["IMEI"]            # never checked nor warned about
//! format = "table"                 # check output: table, csv, json, jsonl
//! jobs = 4                         # hashing threads for check
//! cache = true                     # cache per-number keys between checks
//! token_file = "/etc/hushlist/token"   # sealed snapshots: this company's evaluation token (0600)
//! # evaluation_url = "https://..."  # sealed snapshots: another service than the snapshot names
//! # state_dir = "/var/lib/hushlist"  # only where the state really lives
//! ```

use serde::Deserialize;
use std::path::PathBuf;

/// The configuration file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub region: Option<OneOrMany>,
    pub column: Option<OneOrMany>,
    pub region_column: Option<String>,
    pub also_column: Option<OneOrMany>,
    pub not_column: Option<OneOrMany>,
    pub format: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub cache: Option<bool>,
    pub token_file: Option<PathBuf>,
    pub evaluation_url: Option<String>,
}

/// A setting written as one string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<String> {
        match self {
            // `region = "DE,GB"` reads like the flag.
            OneOrMany::One(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

impl FileConfig {
    /// The configured default regions.
    pub fn regions(&self) -> Vec<String> {
        self.region
            .as_ref()
            .map(OneOrMany::items)
            .unwrap_or_default()
    }

    /// The configured extra columns (a single name is never split at commas).
    pub fn also_columns(&self) -> Vec<String> {
        whole_names(&self.also_column)
    }

    /// The configured columns set aside.
    pub fn not_columns(&self) -> Vec<String> {
        whole_names(&self.not_column)
    }

    /// The configured number columns (a single name is never split at commas).
    pub fn columns(&self) -> Vec<String> {
        match &self.column {
            None => Vec::new(),
            Some(OneOrMany::One(s)) => vec![s.clone()],
            Some(OneOrMany::Many(v)) => v.clone(),
        }
    }
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
    if !path.exists() {
        // A file named on purpose and absent is a mistake, not a default.
        if std::env::var_os("HUSHLIST_CONFIG").is_some_and(|v| !v.is_empty()) {
            return Err(format!(
                "HUSHLIST_CONFIG names {}, which does not exist",
                path.display()
            ));
        }
        return Ok(FileConfig::default());
    }
    // A FIFO or device is refused rather than waited on.
    let mut file = hushlist::files::open_regular(&path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Column names as written: one string is one name (`"Alternate No., home"`
/// is never split at its comma).
fn whole_names(setting: &Option<OneOrMany>) -> Vec<String> {
    match setting {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s.clone()],
        Some(OneOrMany::Many(v)) => v.clone(),
    }
}
