//! `hushlist-publish`: make keys, and turn a list of numbers into a signed snapshot.

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::check::input::{ColumnSpec, InputOptions, RowReader};
use hushlist::format::normalize::{normalize, Region};
use hushlist::format::number_key::{Kdf, DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T};
use hushlist::format::rotation::{rotation_file_name, sign_rotation, RotationStatement};
use hushlist::format::signature::{PublicKey, SecretKey};
use hushlist::format::time::{now, parse_duration, rfc3339, MAX_TIME};
use hushlist::publish::{build_snapshot, sign_publication, BuildParams};
use hushlist::published::{self, KeyProtection};
use hushlist::verify::Keyring;
use hushlist::verify::Policy;
use std::collections::BTreeSet;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zeroize::Zeroizing;

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
    /// Read the secret key's passphrase from the first line of FILE (such as
    /// /dev/fd/3) instead of asking on the terminal. The environment variable
    /// HUSHLIST_PASSPHRASE is the other way to give it without a terminal.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

/// Where automation puts the passphrase when there is no terminal.
const PASSPHRASE_ENV: &str = "HUSHLIST_PASSPHRASE";
/// minisign reads at most this much of a passphrase line.
const MAX_PASSPHRASE_LINE: u64 = 1025;

#[derive(Subcommand)]
enum Command {
    /// Create a signing key pair: NAME.pub (share it) and NAME.key (encrypted with a
    /// passphrase unless --unencrypted; mode 0600 in a 0700 directory; keep it secret).
    Keygen {
        /// Directory for the key files (created 0700 if missing; refused if others can write it).
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
        /// Base name of the key files.
        #[arg(long, default_value = "hushlist")]
        name: String,
        /// Store the secret key unencrypted, protected by file mode alone (as
        /// `minisign -G -W`). Without it the key is encrypted with a passphrase.
        #[arg(long)]
        unencrypted: bool,
    },
    /// Build the next snapshot from a list and publish it into a directory.
    Build(BuildArgs),
    /// Introduce a new signing key with a statement signed by the current one.
    RotateKey {
        /// The current secret key (the one clients trust now).
        #[arg(long, value_name = "SECRET")]
        key: PathBuf,
        /// The new public key (make it with `keygen`).
        #[arg(long, value_name = "PUB")]
        new_key: PathBuf,
        /// The published directory.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Revoke the current key: clients refuse its signatures from now on.
        #[arg(long)]
        revoke_old: bool,
    },
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

/// The passphrase, from `--passphrase-file`, else the environment, else the
/// terminal (asked twice when `confirm`). Says where it came from.
fn passphrase(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> Result<(Zeroizing<Vec<u8>>, &'static str), String> {
    use std::io::{BufRead, Read};
    if let Some(path) = file {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut line = Zeroizing::new(Vec::new());
        BufReader::new(f.take(MAX_PASSPHRASE_LINE))
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Ok((line, "--passphrase-file"));
    }
    if let Some(value) = std::env::var_os(PASSPHRASE_ENV) {
        let value = value
            .into_string()
            .map_err(|_| format!("{PASSPHRASE_ENV} is not UTF-8"))?;
        return Ok((Zeroizing::new(value.into_bytes()), PASSPHRASE_ENV));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(|p| Zeroizing::new(p.into_bytes()))
            .map_err(|e| {
                format!(
                    "no terminal to ask for the passphrase on ({e}); give it with \
                     --passphrase-file FILE or {PASSPHRASE_ENV}"
                )
            })
    };
    let first = ask(prompt)?;
    if confirm && ask("Passphrase (again): ")? != first {
        return Err("the two passphrases differ; nothing written".into());
    }
    Ok((first, "the terminal"))
}

/// Reads a secret key, asking for its passphrase only if it is encrypted.
fn read_key(path: &Path, passphrase_file: Option<&Path>) -> Result<SecretKey, String> {
    published::read_secret_key_with(path, || {
        let prompt = format!("Passphrase for {}: ", path.display());
        passphrase(passphrase_file, &prompt, false).map(|(p, _)| p)
    })
    .map_err(|e| e.to_string())
}

fn keygen(
    out_dir: PathBuf,
    name: String,
    unencrypted: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let key = SecretKey::generate().map_err(|e| format!("no randomness from the OS: {e}"))?;
    let secret_note;
    let (public, secret) = if unencrypted {
        secret_note = "unencrypted: protect it by file mode (0600)".to_string();
        published::write_key_pair(&out_dir, &name, &key, KeyProtection::Unencrypted)
    } else {
        let (phrase, from) =
            passphrase(passphrase_file, "Passphrase for the new secret key: ", true)
                .map_err(|e| format!("{e}; or pass --unencrypted for a key without one"))?;
        secret_note = format!(
            "encrypted with the passphrase from {from} (scrypt, minisign's format); mode 0600"
        );
        published::write_key_pair(&out_dir, &name, &key, KeyProtection::Passphrase(&phrase))
    }
    .map_err(|e| e.to_string())?;
    println!("key id      {}", key.id());
    println!(
        "public key  {}  (give this to clients and auditors)",
        public.display()
    );
    println!(
        "secret key  {}  ({secret_note}; never share it)",
        secret.display()
    );
    Ok(())
}

fn build(args: BuildArgs, passphrase_file: Option<&Path>) -> Result<(), String> {
    let started = Instant::now();
    let key = read_key(&args.key, passphrase_file)?;
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
    if valid_for <= 0 || now().checked_add(valid_for).is_none_or(|t| t > MAX_TIME) {
        return Err(format!(
            "--valid-for {}: must be positive and end before the year 10000",
            args.valid_for
        ));
    }
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(|e| e.to_string())?;

    // Chain to the newest snapshot file here, if any; it must be ours. The
    // newest file, not the manifest: a run interrupted between writing the two
    // then heals on the next build instead of blocking it.
    let newest = published::snapshot_files(&args.out)
        .map_err(|e| e.to_string())?
        .pop();
    let (sequence, previous) = match newest.map(|(_, path)| path) {
        Some(path) => {
            let policy = Policy {
                now: now(),
                allow_stale: true,
            };
            let ring = directory_keyring(&args.out, &key)?;
            let latest = published::open_snapshot_file(&path, &ring, policy)
                .map_err(|e| format!("cannot chain to the existing publication: {e}"))?;
            (
                latest.snapshot.snapshot.header.sequence + 1,
                latest.snapshot.digest,
            )
        }
        None => (1, [0u8; 32]),
    };

    let name = args.input.display().to_string();
    let input: Box<dyn io::BufRead + Send> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input).map_err(|e| format!("{name}: {e}"))?,
        ))
    };
    let options = InputOptions {
        column: args.column.as_deref().map(ColumnSpec::parse),
        region_column: None,
    };
    let reader = RowReader::new(input, &options).map_err(|e| format!("{name}: {e}"))?;
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

/// The keys of the directory's publication history: the first rotation
/// statement's old key (or `key` when there is none) and every key introduced
/// since. `key` must be current after all the statements: publishing with a
/// key the directory never introduced, or revoked, would break every client.
fn directory_keyring(dir: &Path, key: &SecretKey) -> Result<Keyring, String> {
    let first = dir.join(rotation_file_name(1));
    let start = if first.exists() {
        let text = std::fs::read(&first).map_err(|e| format!("{}: {e}", first.display()))?;
        let statement: RotationStatement =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", first.display()))?;
        PublicKey::from_text(&statement.old_public_key)
            .map_err(|e| format!("{}: {e}", first.display()))?
    } else {
        key.public_key()
    };
    let current = published::follow_rotations(dir, &Keyring::pinned(start.clone()))
        .map_err(|e| e.to_string())?;
    current.find(key.id()).map_err(|e| {
        format!(
            "key {} is not a current key of {}: {e} (use rotate-key to introduce it)",
            key.id(),
            dir.display()
        )
    })?;
    let mut every = vec![start];
    for n in 1..=current.applied {
        let path = dir.join(rotation_file_name(n));
        let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let statement: RotationStatement =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        every.push(
            PublicKey::from_text(&statement.new_public_key)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        );
    }
    Ok(Keyring::history(every, current.applied))
}

fn rotate_key(
    key: PathBuf,
    new_key: PathBuf,
    out: PathBuf,
    revoke_old: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let key = read_key(&key, passphrase_file)?;
    let new = published::read_public_key(&new_key).map_err(|e| e.to_string())?;
    if new.id() == key.id() {
        return Err("the new key is the current key".into());
    }
    let ring = directory_keyring(&out, &key)?;
    let number = ring.applied + 1;
    let (json, signature) = sign_rotation(&key, &new, number, now(), revoke_old);
    let path = out.join(rotation_file_name(number));
    published::write_atomic(
        &published::signature_path(&path),
        signature.as_bytes(),
        0o644,
    )
    .map_err(|e| e.to_string())?;
    published::write_atomic(&path, &json, 0o644).map_err(|e| e.to_string())?;
    println!(
        "wrote {}: key {} introduces key {}{}\nbuild the next snapshot with the new secret key",
        path.display(),
        key.id(),
        new.id(),
        if revoke_old {
            ", and revokes the old key"
        } else {
            ""
        }
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let passphrase_file = cli.passphrase_file.as_deref();
    let result = match cli.command {
        Command::Keygen {
            out_dir,
            name,
            unencrypted,
        } => keygen(out_dir, name, unencrypted, passphrase_file),
        Command::Build(args) => build(args, passphrase_file),
        Command::RotateKey {
            key,
            new_key,
            out,
            revoke_old,
        } => rotate_key(key, new_key, out, revoke_old, passphrase_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hushlist-publish: {message}");
            ExitCode::from(2)
        }
    }
}
