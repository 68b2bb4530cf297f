//! `hushlist-publish`: make keys, and turn a list of numbers into a signed snapshot.

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::input::{ColumnSpec, RowReader};
use hushlist::normalize::{normalize, Region};
use hushlist::number_key::{Kdf, DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T};
use hushlist::publish::{build_snapshot, sign_publication, BuildParams};
use hushlist::published::{self, MANIFEST_FILE};
use hushlist::signature::SecretKey;
use hushlist::time::{now, parse_duration, rfc3339};
use hushlist::verify::Policy;
use std::collections::BTreeSet;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "hushlist-publish",
    version,
    about = "Build and sign hushlist snapshots",
    after_help = "Exit codes: 0 success, 2 error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a signing key pair: NAME.pub (share it) and NAME.key (mode 0600, keep it secret).
    Keygen {
        /// Directory for the key files (created if missing).
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
        /// Base name of the key files.
        #[arg(long, default_value = "hushlist")]
        name: String,
    },
    /// Build the next snapshot from a list and publish it into a directory.
    Build(BuildArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum KdfChoice {
    /// Slow and memory-hard (default): sets the price of enumerating numbers.
    Argon2id,
    /// Fast: only for lists that are public anyway, and for tests.
    Blake3,
}

#[derive(Parser)]
struct BuildArgs {
    /// The secret key (mode 0600).
    #[arg(long, value_name = "SECRET")]
    key: PathBuf,
    /// The list: CSV, TSV or one number per line; `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The column holding numbers: a header name or a 1-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    column: Option<String>,
    /// Default region for numbers in national format.
    #[arg(long, value_name = "CC")]
    region: Option<String>,
    /// Hash function for number keys.
    #[arg(long, value_enum, default_value = "argon2id")]
    kdf: KdfChoice,
    /// Argon2id memory in KiB.
    #[arg(long, default_value_t = DEFAULT_ARGON2_M_KIB)]
    argon2_memory: u32,
    /// Argon2id passes.
    #[arg(long, default_value_t = DEFAULT_ARGON2_T)]
    argon2_passes: u32,
    /// Argon2id lanes.
    #[arg(long, default_value_t = DEFAULT_ARGON2_P)]
    argon2_lanes: u32,
    /// Target false-positive rate of the filter.
    #[arg(long, default_value_t = 1e-6)]
    fp_rate: f64,
    /// How long clients accept the snapshot (e.g. 30d, 12h, 1y).
    #[arg(long, default_value = "30d")]
    valid_for: String,
    /// The published directory; if it holds snapshot N, this builds N+1 chained to it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Refuse to publish if any row is not a phone number.
    #[arg(long)]
    strict: bool,
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the OS: {e}"))?;
    Ok(bytes)
}

fn keygen(out_dir: PathBuf, name: String) -> Result<(), String> {
    let key = SecretKey::generate().map_err(|e| format!("no randomness from the OS: {e}"))?;
    let (public, secret) =
        published::write_key_pair(&out_dir, &name, &key).map_err(|e| e.to_string())?;
    println!("key id      {}", key.id());
    println!(
        "public key  {}  (give this to clients and auditors)",
        public.display()
    );
    println!(
        "secret key  {}  (mode 0600; never share it)",
        secret.display()
    );
    Ok(())
}

fn build(args: BuildArgs) -> Result<(), String> {
    let started = Instant::now();
    let key = published::read_secret_key(&args.key).map_err(|e| e.to_string())?;
    let kdf = match args.kdf {
        KdfChoice::Argon2id => Kdf::Argon2id {
            m_kib: args.argon2_memory,
            t: args.argon2_passes,
            p: args.argon2_lanes,
        },
        KdfChoice::Blake3 => Kdf::Blake3,
    };
    kdf.validate().map_err(|e| e.to_string())?;
    let valid_for = parse_duration(&args.valid_for)?;
    if valid_for <= 0 {
        return Err("--valid-for must be positive".into());
    }
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(|e| e.to_string())?;

    // Chain to the snapshot already published here, if any; it must be ours.
    let (sequence, previous) = if args.out.join(MANIFEST_FILE).exists() {
        let policy = Policy {
            now: now(),
            allow_stale: true,
        };
        let latest = published::open_directory(&args.out, &key.public_key(), policy)
            .map_err(|e| format!("cannot chain to the existing publication: {e}"))?;
        (
            latest.snapshot.snapshot.header.sequence + 1,
            latest.snapshot.digest,
        )
    } else {
        (1, [0u8; 32])
    };

    let name = args.input.display().to_string();
    let input: Box<dyn io::BufRead + Send> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input).map_err(|e| format!("{name}: {e}"))?,
        ))
    };
    let column = args.column.as_deref().map(ColumnSpec::parse);
    let reader = RowReader::new(input, column.as_ref()).map_err(|e| format!("{name}: {e}"))?;
    let (mut rows, mut invalid) = (0u64, 0u64);
    let mut numbers = BTreeSet::new();
    for row in reader {
        let row = row.map_err(|e| format!("{name}: {e}"))?;
        rows += 1;
        match row
            .value
            .and_then(|v| normalize(&v, region).map_err(|e| format!("{v:?}: {e}")))
        {
            Ok(e164) => {
                numbers.insert(e164);
            }
            Err(reason) => {
                invalid += 1;
                eprintln!("hushlist-publish: {name}:{}: skipped, {reason}", row.line);
            }
        }
    }
    if args.strict && invalid > 0 {
        return Err(format!(
            "--strict: {invalid} row(s) are not phone numbers; nothing published"
        ));
    }
    let numbers: Vec<String> = numbers.into_iter().collect();
    let created = now();
    let params = BuildParams {
        sequence,
        created,
        expires: created + valid_for,
        previous,
        kdf,
        salt: random()?,
        filter_seed: random()?,
        fp_rate: args.fp_rate,
    };
    let snapshot = build_snapshot(&numbers, &params).map_err(|e| e.to_string())?;
    let publication = sign_publication(&snapshot, &key);
    let path = published::write_publication(&args.out, &publication).map_err(|e| e.to_string())?;
    let valid = rows - invalid;
    println!(
        "published snapshot #{sequence} to {}\n  {} entries from {rows} rows ({} duplicates merged, {invalid} not numbers)\n  \
         hash {}, filter {} bits / {} hashes, expires {}\n  file {} ({} bytes), took {:.1}s",
        args.out.display(),
        numbers.len(),
        valid - numbers.len() as u64,
        kdf.name(),
        snapshot.filter.bits(),
        snapshot.filter.hashes(),
        rfc3339(params.expires),
        path.display(),
        publication.snapshot.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Keygen { out_dir, name } => keygen(out_dir, name),
        Command::Build(args) => build(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hushlist-publish: {message}");
            ExitCode::from(2)
        }
    }
}
