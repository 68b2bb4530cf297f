//! `hushlist prewarm`: hash an inventory for the next salt epoch, which the
//! installed snapshot announces, so that the first check after the switch costs
//! only lookups. Run it from cron after `hushlist update`. No network.

use crate::{open, print, Failure};
use clap::Parser;
use hushlist::check::input::{ColumnSpec, InputOptions, RowReader};
use hushlist::client::key_cache;
use hushlist::format::normalize::{normalize, Region};
use hushlist::format::number_key::Kdf;
use hushlist::format::time::rfc3339;
use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};

#[derive(Parser)]
pub struct PrewarmArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The snapshot: a published directory or a snapshot file; default: the installed one.
    #[arg(long, value_name = "PATH")]
    snapshot: Option<PathBuf>,
    /// Default region for numbers in national format (ISO code such as US, GB).
    #[arg(long, value_name = "CC", env = "HUSHLIST_REGION")]
    region: Option<String>,
    /// The column holding numbers in CSV/TSV input: a header name or a 1-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    column: Option<String>,
    /// The inventory files you check (CSV, TSV or one number per line).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

pub fn prewarm(state_dir: Option<&Path>, args: PrewarmArgs) -> Result<u8, Failure> {
    let opened = open(
        state_dir,
        args.key.as_deref(),
        args.snapshot.as_deref(),
        false,
    )
    .map_err(|e| Failure { code: 2, ..e })?;
    let header = &opened.snapshot.snapshot.header;
    if header.next_kdf == Kdf::Blake3 {
        return print("the next salt epoch uses the fast hash: nothing to prewarm\n").map(|_| 0);
    }
    let dir = key_cache::default_dir().ok_or_else(|| {
        Failure::error("no cache directory: set HUSHLIST_CACHE_DIR, XDG_CACHE_HOME or HOME")
    })?;
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(Failure::error)?;
    let options = InputOptions {
        column: args.column.as_deref().map(ColumnSpec::parse),
        region_column: None,
    };
    let (mut numbers, mut invalid) = (BTreeSet::new(), 0u64);
    for file in &args.files {
        let name = file.display().to_string();
        let f = std::fs::File::open(file).map_err(|e| Failure::error(format!("{name}: {e}")))?;
        let reader = RowReader::new(Box::new(BufReader::new(f)), &options)
            .map_err(|e| Failure::error(format!("{name}: {e}")))?;
        for row in reader {
            let row = row.map_err(|e| Failure::error(format!("{name}: {e}")))?;
            match row.value.map(|v| normalize(&v, region)) {
                Ok(Ok(e164)) => {
                    numbers.insert(e164);
                }
                _ => invalid += 1,
            }
        }
    }
    let numbers: Vec<String> = numbers.into_iter().collect();
    let done = key_cache::prewarm_next(&dir, &opened.snapshot.snapshot, &numbers)
        .map_err(|e| Failure::error(format!("key cache {}: {e}", dir.display())))?;
    print(&format!(
        "prewarmed the salt epoch from {} ({}): {} numbers hashed, {} already cached, {invalid} rows not numbers\n  cache {}\n",
        rfc3339(header.next_epoch_start),
        header.next_kdf.name(),
        done.hashed,
        done.cached,
        done.path.display()
    ))
    .map(|_| 0)
}
