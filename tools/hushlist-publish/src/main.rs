//! `hushlist-publish`: make keys, and turn a list of numbers into a signed snapshot.

mod passphrase;

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::check::input::{ColumnSpec, InputOptions};
use hushlist::format::filter::DEFAULT_FP_RATE;
use hushlist::format::normalize::{ReadOptions, Region};
use hushlist::format::number_key::{Kdf, DEFAULT_ARGON2_M_KIB, DEFAULT_ARGON2_P, DEFAULT_ARGON2_T};
use hushlist::format::signature::SecretKey;
use hushlist::format::snapshot::Contact;
use hushlist::format::time::{now, parse_duration, rfc3339};
use hushlist::published::{self, KeyProtection};
use hushlist::publisher::{
    check_durations, os_random, read_list, EntryProblem, EpochChoice, EpochDecision, Ledger,
    ListOptions, NextPlan, Publisher, PublisherError,
};
use passphrase::{passphrase, read_key};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
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
    },
    /// Build the next snapshot from a list and publish it into a directory.
    Build(Box<BuildArgs>),
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
    let valid_for = parse_duration(&args.valid_for).map_err(|e| format!("--valid-for: {e}"))?;
    let epoch_length =
        parse_duration(&args.salt_epoch).map_err(|e| format!("--salt-epoch: {e}"))?;
    check_durations(now(), valid_for, epoch_length, args.test_fixture_validity).map_err(|e| {
        format!(
            "--valid-for {} --salt-epoch {}: {e}",
            args.valid_for, args.salt_epoch
        )
    })?;
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(|e| e.to_string())?;

    let ledger = match &args.ledger_dir {
        Some(dir) => Ledger::in_dir(dir, &args.out),
        None => Ledger::beside_key(&args.key, &args.out),
    };
    let publisher = Publisher::open(&args.out, key)
        .map_err(|e| e.to_string())?
        .with_ledger(ledger, args.adopt);
    let contact = contact(&args)?;

    let name = args.input.display().to_string();
    let input: Box<dyn io::BufRead + Send> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input).map_err(|e| format!("{name}: {e}"))?,
        ))
    };
    let options = ListOptions::new(
        InputOptions {
            columns: args.column.iter().map(|c| ColumnSpec::parse(c)).collect(),
            region_column: args.region_column.as_deref().map(ColumnSpec::parse),
            ..InputOptions::default()
        },
        region,
        ReadOptions {
            allow_letters: args.allow_letters,
        },
    );
    let list = read_list(input, &options).map_err(|e| {
        use hushlist::check::input::InputError;
        let hint = match &e {
            InputError::NoPhoneColumn { .. } => "; name the column(s) with --column",
            InputError::NoHeader { .. } => "; say which holds the numbers with --column N",
            InputError::NeedsHeader { .. } => "; give --column a column number",
            _ => "",
        };
        format!("{name}: {e}{hint}")
    })?;
    for skipped in &list.skipped {
        // The list is sensitive: name the line, never the content, unless asked.
        let shown = match (&skipped.text, args.show_rows) {
            (Some(v), true) => format!(
                " {:?}",
                v.chars().filter(|c| !c.is_control()).collect::<String>()
            ),
            _ => String::new(),
        };
        let reason = match &skipped.problem {
            EntryProblem::DigitsAlone if region.is_none() => {
                "digits alone: write the number with + (or give --region for a national number)"
                    .to_string()
            }
            EntryProblem::DigitsAlone => format!(
                "digits alone, and not a number of --region {}: write the number with +",
                region.map(|r| r.to_string()).unwrap_or_default()
            ),
            problem => problem.to_string(),
        };
        eprintln!(
            "hushlist-publish: {name}:{}:{shown} skipped, {reason}",
            skipped.line
        );
    }
    let (rows, invalid) = (list.rows, list.skipped.len() as u64);
    if args.strict && invalid > 0 {
        return Err(format!(
            "--strict: {invalid} row(s) are not phone numbers; nothing published"
        ));
    }
    let numbers = list.numbers;
    let created = now();
    let plan = NextPlan {
        kdf,
        fp_rate: args.fp_rate,
        created,
        expires: created + valid_for,
        epoch_length,
        new_epoch: args.new_epoch,
        contact,
        key_cache: args.key_cache.as_deref(),
    };
    let next = publisher
        .next(&numbers, plan, &mut os_random)
        .map_err(|e| match e {
            PublisherError::CacheInsidePublication(dir) => format!(
                "--key-cache {}: inside the published directory, it would publish the list's keys",
                dir.display()
            ),
            e @ PublisherError::NotOurHistory { .. } => format!(
                "{e}. If this history is yours and nothing is missing from it (the first build \
                 with a ledger, keys moved to another directory), run again with --adopt"
            ),
            e @ PublisherError::WouldBeRefused(_) => format!(
                "{e}; a larger --fp-rate than the clients' maximum (1e-4 by default) cannot \
                 pass, and with a tiny list an unlucky salt can set too few bits: \
                 --new-epoch draws a new one"
            ),
            e => e.to_string(),
        })?;
    if let Some(from) = next.contact_carried_over {
        println!("publisher contact carried over from snapshot #{from}");
    }
    let c = &next.params.contact;
    if c.name.is_empty() || c.contact.is_empty() {
        eprintln!(
            "hushlist-publish: warning: no publisher name or contact given (--publisher-name, \
             --publisher-contact or --publisher-config): reports cannot tell people whom to call \
             to confirm a match"
        );
    }
    let path = next.write(&args.out).map_err(|e| e.to_string())?;
    let (params, snapshot, publication) = (&next.params, &next.snapshot, &next.publication);
    let sequence = params.sequence;
    let epoch_note = epoch_note(&next.epoch, kdf);
    let cache_note = match &next.cache {
        None => String::new(),
        Some((hits, file)) => format!(
            "\n  key cache: {hits} of {} numbers already hashed for this salt ({})",
            numbers.len(),
            file.display()
        ),
    };
    println!(
        "published snapshot #{sequence} to {}\n  {} entries from {rows} rows ({} duplicates merged, {invalid} skipped)\n  \
         hash {}, filter {} bits / {} hashes, expires {}\n  {epoch_note}{cache_note}\n  publisher: {}\n  file {} ({} bytes), took {:.1}s",
        args.out.display(),
        numbers.len(),
        list.entries.saturating_sub(numbers.len() as u64),
        params.kdf.name(),
        snapshot.filter.bits(),
        snapshot.filter.hashes(),
        rfc3339(params.expires),
        contact_summary(&params.contact),
        path.display(),
        publication.snapshot.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn kdf_text(kdf: Kdf) -> String {
    match kdf {
        Kdf::Argon2id { m_kib, t, p } => format!("argon2id m={m_kib} KiB t={t} p={p}"),
        Kdf::Blake3 => "blake3".into(),
    }
}

/// What the salt-epoch choice was, in the words the build prints.
fn epoch_note(choice: &EpochChoice, asked: Kdf) -> String {
    let e = &choice.epoch;
    let next = format!(
        "next salt from {} ({}), announced in this snapshot",
        rfc3339(e.next_start),
        kdf_text(e.next_kdf)
    );
    let mut note = match choice.decision {
        EpochDecision::Kept { from } => format!(
            "salt epoch: same salt as snapshot #{from} (since {}, {}); {next}",
            rfc3339(e.start),
            kdf_text(choice.kdf)
        ),
        EpochDecision::Switched { from } => format!(
            "salt epoch: switched to the salt announced in snapshot #{from} ({}); {next}",
            kdf_text(choice.kdf)
        ),
        EpochDecision::First => format!("salt epoch: new salt (first snapshot); {next}"),
        _ => format!("salt epoch: new salt (--new-epoch); {next}"),
    };
    if choice.deferred {
        note.push_str(&format!(
            "\n  note: the hash parameters given ({}) are announced at the next switch, as clients \
             hash for the announced ones; --new-epoch applies them now",
            kdf_text(asked)
        ));
    }
    note
}

/// The publisher's contact: the config file, overridden by flags; `None` when
/// neither is given (the publisher then carries the previous snapshot's over,
/// and says so).
fn contact(args: &BuildArgs) -> Result<Option<Contact>, String> {
    let given = args.publisher_config.is_some()
        || args.publisher_name.is_some()
        || args.publisher_contact.is_some()
        || args.confirm_url.is_some()
        || args.confirm_text.is_some();
    if !given {
        return Ok(None);
    }
    let mut c = match &args.publisher_config {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_slice::<Contact>(&text)
                .map_err(|e| format!("{}: not a publisher contact: {e}", path.display()))?
        }
        None => Contact::default(),
    };
    let set = |field: &mut String, value: &Option<String>| {
        if let Some(v) = value {
            *field = v.trim().to_string();
        }
    };
    set(&mut c.name, &args.publisher_name);
    set(&mut c.contact, &args.publisher_contact);
    set(&mut c.confirm_url, &args.confirm_url);
    set(&mut c.confirm_text, &args.confirm_text);
    c.validate()?;
    Ok(Some(c))
}

fn contact_summary(c: &Contact) -> String {
    if c.is_empty() {
        return "none given".into();
    }
    let mut parts: Vec<&str> = [&c.name, &c.contact, &c.confirm_url]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if !c.confirm_text.is_empty() {
        parts.push("(confirmation text given)");
    }
    parts.join(", ")
}

fn rotate_key(
    key: PathBuf,
    new_key: PathBuf,
    out: PathBuf,
    revoke_old: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let key_file = key;
    let key = read_key(&key_file, passphrase_file)?;
    let new = published::read_public_key(&new_key).map_err(|e| e.to_string())?;
    let key_id = key.id().to_string();
    let rotated = Publisher::open(&out, key)
        .and_then(|p| p.rotate(&new, revoke_old, now()))
        .map_err(|e| e.to_string())?;
    // The new key's builds look for the ledger beside the new key.
    let (old, new_ledger) = (
        Ledger::beside_key(&key_file, &out),
        Ledger::beside_key(&new_key, &out),
    );
    if old.carry_to(&new_ledger).map_err(|e| e.to_string())? {
        println!("ledger copied to {}", new_ledger.path().display());
    }
    let path = rotated.path;
    println!(
        "wrote {}: key {} introduces key {}{}\nbuild the next snapshot with the new secret key",
        path.display(),
        key_id,
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
        Command::Build(args) => build(*args, passphrase_file),
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
