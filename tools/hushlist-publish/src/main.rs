//! `hushlist-publish`: make keys, and turn a list of numbers into a signed snapshot.

mod build;
mod clients;
mod keys;
mod passphrase;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::format::filter::DEFAULT_FP_RATE;
use hushlist::format::number_key::{DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T};
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Make the OPRF key of sealed snapshots instead (NAME.oprf.key alone,
        /// stored as a signing key is): `build --kdf voprf` and `serve` use it.
        #[arg(long)]
        oprf: bool,
    },
    /// Build the next snapshot from a list and publish it into a directory.
    Build(Box<BuildArgs>),
    /// Run the evaluation service of sealed snapshots (plain HTTP: put it
    /// behind a TLS reverse proxy, as the README shows).
    Serve {
        /// The published directory: its newest snapshot names the sealed
        /// epochs served (re-read when a newer one appears).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The OPRF key (`keygen --oprf`).
        #[arg(long, value_name = "SECRET")]
        oprf_key: PathBuf,
        /// The client database (SQLite; created 0600): tokens, quotas, usage.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
        /// Largest batch of blinded elements one request may carry.
        #[arg(long, default_value_t = hushlist::format::sealed::MAX_BATCH, value_name = "N")]
        max_batch: usize,
        /// Threads evaluating at once, which bounds the CPU the service takes
        /// [default: one per core].
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
    },
    /// Register the companies that may ask the evaluation service, and their quotas.
    Clients {
        /// The client database `serve` uses.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[command(subcommand)]
        command: ClientsCommand,
    },
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

#[derive(Subcommand)]
enum ClientsCommand {
    /// Register a client: its token goes to --token-file (0600) for you to
    /// hand over; only the token's hash is kept.
    Add {
        /// The client's name, as logs and `list` show it.
        name: String,
        /// Evaluations it may have per salt epoch (one per distinct number
        /// checked, counting each region a national number is read under).
        #[arg(long, value_name = "N")]
        quota: u64,
        /// Where to write the token (a new file, mode 0600).
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
    },
    /// Change a client's quota per epoch.
    Quota {
        /// The client.
        name: String,
        /// The new quota.
        quota: u64,
    },
    /// List the clients, their quotas and their usage per epoch.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum KdfChoice {
    /// Slow and memory-hard (default): sets the price of enumerating numbers.
    Argon2id,
    /// Fast: only for lists that are public anyway, and for tests.
    Blake3,
    /// Sealed: a number's key needs the publisher's OPRF key, so the snapshot
    /// cannot be tested offline; clients ask `hushlist-publish serve`
    /// (--oprf-key and --evaluation-url).
    Voprf,
}

#[derive(Parser)]
struct BuildArgs {
    /// The secret key (mode 0600).
    #[arg(long, value_name = "SECRET")]
    key: PathBuf,
    /// The list: CSV, TSV or one number per line; `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The column holding numbers: a header name or a 1-based index; repeat for
    /// several. Default: every column whose header says phone.
    #[arg(long, value_name = "NAME|INDEX")]
    column: Vec<String>,
    /// Default region for numbers in national format.
    #[arg(long, value_name = "CC")]
    region: Option<String>,
    /// A column holding each row's region (ISO code or country name such as UK,
    /// Deutschland): a national number is read under its row's region. A row
    /// whose region is not known is skipped and named.
    #[arg(long, value_name = "NAME|INDEX")]
    region_column: Option<String>,
    /// Hash function for number keys.
    #[arg(long, value_enum, default_value = "argon2id")]
    kdf: KdfChoice,
    /// The OPRF key (`keygen --oprf`), needed while an epoch is sealed.
    #[arg(long, value_name = "SECRET")]
    oprf_key: Option<PathBuf>,
    /// Where clients ask for evaluations (https:// URL of `serve`, usually
    /// behind a reverse proxy), signed into sealed snapshots; default: the
    /// newest snapshot's.
    #[arg(long, value_name = "URL")]
    evaluation_url: Option<String>,
    /// Argon2id memory in KiB.
    #[arg(long, default_value_t = DEFAULT_ARGON2_M_KIB)]
    argon2_memory: u32,
    /// Argon2id passes.
    #[arg(long, default_value_t = DEFAULT_ARGON2_T)]
    argon2_passes: u32,
    /// Argon2id lanes.
    #[arg(long, default_value_t = DEFAULT_ARGON2_P)]
    argon2_lanes: u32,
    /// Target false-positive rate of the filter (default 1e-12: a match is exact in practice).
    #[arg(long, default_value_t = DEFAULT_FP_RATE)]
    fp_rate: f64,
    /// How long one salt is used (e.g. 30d). Snapshots within an epoch share
    /// the salt, so clients re-hash their numbers once per epoch, not per
    /// snapshot; one enumeration of the numbering plan then reveals the list's
    /// changes for a whole epoch (SECURITY.md). The next epoch's salt is
    /// announced in every snapshot so clients can hash ahead.
    #[arg(long, default_value = "30d", value_name = "DURATION")]
    salt_epoch: String,
    /// Keep the list's number keys in DIR (created 0700, files 0600) so that
    /// a build within the same salt epoch hashes only numbers new to the list.
    /// DIR holds what the list holds: keep it as private as the list, and
    /// never inside the published directory.
    #[arg(long, value_name = "DIR")]
    key_cache: Option<PathBuf>,
    /// Start a new salt epoch now, with a fresh salt and the hash parameters
    /// given (instead of keeping the salt, or switching to the announced one).
    #[arg(long)]
    new_epoch: bool,
    /// Publisher contact from a JSON file: {"name", "contact", "confirm_url",
    /// "confirm_text"}; the flags below override its fields.
    #[arg(long, value_name = "FILE")]
    publisher_config: Option<PathBuf>,
    /// The publisher's name, signed into the snapshot and shown with every match.
    #[arg(long, value_name = "NAME")]
    publisher_name: Option<String>,
    /// How to reach the publisher (e-mail address or telephone number).
    #[arg(long, value_name = "CONTACT")]
    publisher_contact: Option<String>,
    /// Where the procedure to confirm a match is described (https:// URL).
    #[arg(long, value_name = "URL")]
    confirm_url: Option<String>,
    /// The procedure to confirm a match, in a few sentences.
    #[arg(long, value_name = "TEXT")]
    confirm_text: Option<String>,
    /// How long clients accept the snapshot (e.g. 30d, 12h, 1y); at most 366
    /// days, the longest window clients accept.
    #[arg(long, default_value = "30d")]
    valid_for: String,
    /// For test fixtures only: let --valid-for exceed 366 days. Clients'
    /// `update` refuses such a snapshot; `verify` and `check --snapshot` accept it.
    #[arg(long, hide = true)]
    test_fixture_validity: bool,
    /// Convert letters to digits (vanity numbers such as 1-800-FLOWERS) instead
    /// of skipping such rows.
    #[arg(long)]
    allow_letters: bool,
    /// The published directory; if it holds snapshot N, this builds N+1 chained to it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Refuse to publish if any row is not a phone number.
    #[arg(long)]
    strict: bool,
    /// Where this publisher records the newest snapshot it wrote into each
    /// published directory [default: hushlist-publish-ledger/ beside --key].
    /// A build continues only from the snapshot recorded, so whoever can
    /// write --out cannot choose what is signed next.
    #[arg(long, value_name = "DIR")]
    ledger_dir: Option<PathBuf>,
    /// Take --out as it is although the ledger does not record its newest
    /// snapshot (a first build with a ledger, a restore you have audited,
    /// keys moved to another directory); it is then recorded.
    #[arg(long)]
    adopt: bool,
    /// Include the content of skipped rows in the messages (by default only
    /// their line numbers: the list is sensitive and stderr ends up in cron mail
    /// and logs).
    #[arg(long)]
    show_rows: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let passphrase_file = cli.passphrase_file.as_deref();
    let result = match cli.command {
        Command::Keygen {
            out_dir,
            name,
            unencrypted,
            oprf,
        } => keys::keygen(out_dir, name, unencrypted, oprf, passphrase_file),
        Command::Build(args) => build::build(*args, passphrase_file),
        Command::Serve {
            out,
            oprf_key,
            db,
            listen,
            max_batch,
            threads,
        } => serve::serve(
            serve::ServeOptions {
                out,
                oprf_key,
                db,
                listen,
                max_batch,
                threads,
            },
            passphrase_file,
        ),
        Command::Clients { db, command } => clients::command(&db, command),
        Command::RotateKey {
            key,
            new_key,
            out,
            revoke_old,
        } => keys::rotate_key(key, new_key, out, revoke_old, passphrase_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hushlist-publish: {message}");
            ExitCode::from(2)
        }
    }
}
