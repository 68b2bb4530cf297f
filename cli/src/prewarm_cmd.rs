//! `hushlist prewarm`: hash an inventory for the next salt epoch, which the
//! installed snapshot announces, so that the first check after the switch costs
//! only lookups. Run it from cron after `hushlist update`. No network.

use crate::check_cmd::InputArgs;
use crate::config::FileConfig;
use crate::exit::Exit;
use crate::{open, print, Failure};
use clap::Parser;
use hushlist::check::explain::about;
use hushlist::check::input::RowReader;
use hushlist::check::memory;
use hushlist::check::reading::{read_cell, row_regions, CellReading};
use hushlist::check::regions::RegionValues;
use hushlist::format::normalize::ReadOptions;
use hushlist::format::number_key::Kdf;
use hushlist::format::time::rfc3339;
use hushlist::key_cache;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Parser)]
pub struct PrewarmArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The snapshot: a published directory or a snapshot file; default: the installed one.
    #[arg(long, value_name = "PATH")]
    snapshot: Option<PathBuf>,
    /// The inventories, read exactly as `check` reads them (the same options).
    #[command(flatten)]
    input: InputArgs,
    /// Hashing threads [default: all cores, within --max-memory].
    #[arg(long, short = 'j', value_name = "N", env = "HUSHLIST_JOBS")]
    jobs: Option<usize>,
    /// Memory the hashing may hold at once, in MiB [default: three quarters of
    /// the free memory, or of the cgroup's limit], as for `check`.
    #[arg(long, value_name = "MIB", env = "HUSHLIST_MAX_MEMORY_MIB")]
    max_memory: Option<u64>,
    #[command(flatten)]
    evaluation: crate::evaluation_args::EvaluationArgs,
    /// Sealed snapshots, air-gapped sites: write the blinded numbers not
    /// cached yet to FILE (blinded values only), to carry to a machine
    /// online for `hushlist evaluate`; the blinds stay in the state directory.
    #[arg(long, value_name = "FILE", conflicts_with = "response_file")]
    request_file: Option<PathBuf>,
    /// Sealed snapshots, air-gapped sites: verify the answers `hushlist
    /// evaluate` wrote for a request of this state, and cache the keys
    /// (no inventory needed).
    #[arg(long, value_name = "FILE")]
    response_file: Option<PathBuf>,
    /// With --request-file: the epoch to get keys for, the next one (ahead
    /// of the switch) or the current one (a first check). A response goes
    /// to the epoch its request was made for.
    #[arg(long, value_enum, default_value = "next", value_name = "EPOCH")]
    epoch: crate::carried_cmd::Epoch,
}

pub fn prewarm(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: PrewarmArgs,
) -> Result<Exit, Failure> {
    let list = open(
        state_dir,
        args.key.as_deref(),
        args.snapshot.as_deref(),
        false,
    )
    .map_err(|e| Failure {
        exit: Exit::Error,
        ..e
    })?;
    let opened = list.opened();
    let header = &opened.snapshot.snapshot.header;
    if let Some(file) = &args.response_file {
        return crate::carried_cmd::read_response(state_dir, &opened.snapshot.snapshot, file);
    }
    if header.next_kdf == Kdf::Blake3 && args.request_file.is_none() {
        return print("the next salt epoch uses the fast hash: nothing to prewarm\n")
            .map(|_| Exit::Success);
    }
    let dir = key_cache::default_dir().ok_or_else(|| {
        Failure::error("no cache directory: set HUSHLIST_CACHE_DIR, XDG_CACHE_HOME or HOME")
    })?;
    let regions = args.input.regions(config)?;
    let options = args.input.input_options(config)?;
    let read = ReadOptions {
        allow_letters: args.input.allow_letters,
    };
    let region_values = RegionValues::new();
    let (mut numbers, mut invalid) = (BTreeSet::new(), 0u64);
    let mut unknown_regions = 0u64;
    let names = options.names.clone();
    let mut add = |value: &Result<String, String>, regions: &[hushlist::Region]| match read_cell(
        value, regions, read, &names,
    ) {
        // Every reading check would look up.
        CellReading::Numbers(readings) => numbers.extend(readings.into_iter().map(|r| r.e164)),
        CellReading::NotANumber(..) => invalid += 1,
        CellReading::Empty => {}
    };
    for n in &args.input.numbers {
        add(&Ok(n.clone()), &regions);
    }
    for file in &args.input.files {
        let (name, input, _) = InputArgs::open_file(file)?;
        let reader = RowReader::new(input, &options).map_err(|e| {
            Failure::error(crate::hints::with(
                format!("{name}: {e}"),
                crate::hints::input(&e),
            ))
        })?;
        for row in reader {
            let row = row.map_err(|e| Failure::error(format!("{name}: {e}")))?;
            let row_regions = row_regions(row.region.as_deref(), &regions, &region_values);
            unknown_regions += u64::from(row_regions.unknown.is_some());
            for cell in &row.cells {
                add(&cell.value, &row_regions.regions);
            }
        }
    }
    if unknown_regions > 0 {
        eprintln!(
            "hushlist: warning: {unknown_regions} row(s) name no region in their region column; \
             read under the default regions ({}), as check reads them",
            hushlist::check::regions_text(&regions)
        );
    }
    let numbers: Vec<String> = numbers.into_iter().collect();
    if let Some(out) = &args.request_file {
        return crate::carried_cmd::write_request(
            state_dir,
            &opened.snapshot.snapshot,
            args.epoch,
            &numbers,
            out,
        );
    }
    if header.next_kdf.is_sealed() {
        return prewarm_sealed(state_dir, config, &args, &list, &dir, &numbers, invalid);
    }
    let wanted = args
        .jobs
        .or(config.jobs)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = match (
        header.next_kdf,
        args.max_memory
            .map(|m| m << 20)
            .or_else(memory::default_budget),
    ) {
        (Kdf::Argon2id { m_kib, .. }, Some(budget)) => {
            let per_hash = u64::from(m_kib) * 1024;
            let fit = memory::hashing_threads(per_hash, budget, wanted).map_err(|per_hash| {
                Failure::error(format!(
                    "one hash of the next epoch needs {} MiB (Argon2id m), more than the memory \
                     budget of {} MiB; nothing was prewarmed (raise --max-memory if the machine has it)",
                    per_hash >> 20,
                    budget >> 20
                ))
            })?;
            if fit < wanted {
                eprintln!(
                    "hushlist: hashing on {fit} thread(s), not {wanted}: each Argon2id hash holds {} MiB \
                     and the memory budget is {} MiB",
                    per_hash >> 20,
                    budget >> 20
                );
            }
            fit
        }
        _ => wanted,
    };
    // The cost before it is spent: one hash timed here, at the next epoch's
    // parameters, times the numbers, over the threads.
    let per_hash =
        hushlist::format::number_key::NumberHasher::new(header.next_kdf, header.next_salt)
            .map(|h| h.time_one())
            .unwrap_or_default();
    eprintln!(
        "hushlist: prewarm: {} distinct numbers to hash for the next epoch ({}) unless cached; one hash took {:.2} s here, so at most about {} on {threads} thread(s)",
        numbers.len(),
        header.next_kdf.name(),
        per_hash.as_secs_f64(),
        about(per_hash.as_secs_f64() * numbers.len() as f64 / threads as f64)
    );
    // A line every 30 s and at the end, terminal or not (cron, systemd).
    let mut last = std::time::Instant::now();
    let mut report = |p: key_cache::PrewarmProgress| {
        if last.elapsed().as_secs() < 30 && p.hashed < p.to_hash {
            return;
        }
        last = std::time::Instant::now();
        let left = p.elapsed.as_secs_f64() / p.hashed.max(1) as f64 * (p.to_hash - p.hashed) as f64;
        eprintln!(
            "hushlist: prewarm: {}/{} hashed ({}%), about {} left",
            p.hashed,
            p.to_hash,
            p.hashed * 100 / p.to_hash.max(1),
            about(left)
        );
    };
    let done = key_cache::prewarm_next_on(
        &dir,
        &opened.snapshot.snapshot,
        &numbers,
        threads,
        &mut report,
    )
    .map_err(|e| Failure::error(format!("key cache {}: {e}", dir.display())))?;
    print(&format!(
        "prewarmed the salt epoch from {} ({}): {} numbers hashed, {} already cached, {invalid} cells not numbers\n  cache {}\n",
        rfc3339(header.next_epoch_start),
        header.next_kdf.name(),
        done.hashed,
        done.cached,
        done.path.display()
    ))
    .map(|_| Exit::Success)
}

/// A sealed next epoch: its keys come from the evaluation service, in
/// batches, each verified against the next epoch's public key.
fn prewarm_sealed(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: &PrewarmArgs,
    list: &hushlist::List,
    dir: &Path,
    numbers: &[String],
    invalid: u64,
) -> Result<Exit, Failure> {
    let snapshot = &list.opened().snapshot.snapshot;
    let header = &snapshot.header;
    let evaluator = crate::evaluation_args::evaluator(state_dir, config, &args.evaluation, header)?
        .ok_or_else(|| Failure::error("this build cannot reach an evaluation service"))?;
    eprintln!(
        "hushlist: prewarm: {} distinct numbers for the next epoch (voprf, public key {}) unless cached: one request per {} numbers",
        numbers.len(),
        hushlist::format::sealed::key_id(&next_public_key(header)),
        hushlist::format::sealed::MAX_BATCH
    );
    let mut report = |p: key_cache::PrewarmProgress| {
        eprintln!(
            "hushlist: prewarm: {}/{} evaluated and verified",
            p.hashed, p.to_hash
        );
    };
    let done = key_cache::prewarm_next_sealed(dir, snapshot, numbers, &*evaluator.0, &mut report)
        .map_err(|e| match e {
        key_cache::SealedPrewarmError::Cache(e) => {
            Failure::error(format!("key cache {}: {e}", dir.display()))
        }
        e => Failure::error(format!(
            "{e}; the batches verified before it are cached, run prewarm again to go on"
        )),
    })?;
    print(&format!(
        "prewarmed the salt epoch from {} (voprf): {} numbers evaluated, {} already cached, {invalid} cells not numbers\n  cache {}\n",
        rfc3339(header.next_epoch_start),
        done.hashed,
        done.cached,
        done.path.display()
    ))
    .map(|_| Exit::Success)
}

fn next_public_key(header: &hushlist::format::snapshot::Header) -> [u8; 32] {
    match header.next_kdf {
        Kdf::Voprf { public_key } => public_key,
        _ => [0; 32],
    }
}
