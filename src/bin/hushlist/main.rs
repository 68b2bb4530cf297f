//! `hushlist`: verify snapshots and check numbers against them, offline.

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::check::{Checker, Outcome};
use hushlist::input::{ColumnSpec, RowReader};
use hushlist::normalize::Region;
use hushlist::published::{self, Opened};
use hushlist::report::{self, SnapshotFacts};
use hushlist::rotation::Keyring;
use hushlist::state::{self, Config, State, StateError};
use hushlist::update::UpdateError;
use hushlist::verify::Policy;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  check:          0 no listed number, 1 at least one possible match, 2 error
  verify:         0 valid, 1 refused (signature, digest, expiry, format...), 2 error
  update, import: 0 updated or already current, 1 refused (signature, rollback, expiry,
                  mix-and-match...), 2 error (network, files, state); the installed
                  snapshot is unchanged on 1 and 2
  init, status:   0 success, 2 error";

#[derive(Parser)]
#[command(name = "hushlist", version, about = "Check phone numbers against a signed list, offline", after_help = EXIT_CODES)]
struct Cli {
    /// State directory (pinned key, sources, installed snapshot).
    /// Default: $XDG_DATA_HOME/hushlist or ~/.local/share/hushlist.
    #[arg(long, global = true, env = "HUSHLIST_STATE_DIR", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a published directory or a snapshot file (the auditor's command).
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Check numbers against a verified snapshot; nothing leaves this machine.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Pin the publisher's key and record where to download snapshots from.
    Init(InitArgs),
    /// Download, verify and install the latest snapshot.
    #[command(after_help = EXIT_CODES)]
    Update(UpdateArgs),
    /// Install a snapshot from a local directory (air-gapped sites), with the same checks.
    #[command(after_help = EXIT_CODES)]
    Import {
        /// A copy of the published directory.
        dir: PathBuf,
    },
    /// Show the installed snapshot and the last update.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: VerifyFormat,
    },
}

#[derive(Parser)]
struct InitArgs {
    /// The publisher's public key, obtained out of band. It is pinned: only it,
    /// and keys it introduces by signed rotation, are ever trusted.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// Base URL of the published directory; repeat for mirrors, tried in order.
    #[arg(long = "url", value_name = "URL", required = true)]
    urls: Vec<String>,
    /// Extra CA certificate (PEM) to trust, for TLS-inspecting proxies.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

#[derive(Parser)]
struct UpdateArgs {
    /// Connect timeout, and the time limit for each file, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    timeout: u64,
    /// Further attempts per file after a transient failure, with backoff.
    #[arg(long, default_value_t = 2, value_name = "N")]
    retries: u32,
    /// Extra CA certificate (PEM); overrides the one given to init.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Download the manifest even if the server says it is unchanged (HTTP 304).
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum VerifyFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Table,
    Csv,
    Json,
}

#[derive(Parser)]
struct VerifyArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// A published directory (manifest.json inside) or a snapshot file
    /// (FILE.minisig beside it); default: the installed snapshot.
    path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
    /// Accept an expired snapshot, with a warning (air-gapped sites).
    #[arg(long)]
    allow_stale: bool,
}

#[derive(Parser)]
struct CheckArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The snapshot: a published directory or a snapshot file; default: the installed one.
    #[arg(long, value_name = "PATH")]
    snapshot: Option<PathBuf>,
    /// Default region for numbers in national format (ISO code such as US, GB).
    #[arg(long, value_name = "CC")]
    region: Option<String>,
    /// The column holding numbers in CSV/TSV input: a header name or a 1-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    column: Option<String>,
    /// A number to check (repeatable).
    #[arg(long = "number", short = 'n', value_name = "N")]
    numbers: Vec<String>,
    /// Files to check (CSV, TSV or one number per line); `-` reads stdin.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: CheckFormat,
    /// Treat rows that are not numbers as an error (exit 2).
    #[arg(long)]
    strict: bool,
    /// Accept an expired snapshot, with a warning (air-gapped sites).
    #[arg(long)]
    allow_stale: bool,
}

/// A failure with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn error(message: impl ToString) -> Self {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl From<published::Error> for Failure {
    fn from(e: published::Error) -> Self {
        Failure {
            code: if e.is_verification_failure() { 1 } else { 2 },
            message: if e.is_verification_failure() {
                format!("REFUSED: {e}")
            } else {
                e.to_string()
            },
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::error(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        Failure::error(e)
    }
}

/// The keys and the snapshot to use: explicit paths, else the state's.
fn open(
    state_dir: Option<&Path>,
    key: Option<&Path>,
    path: Option<&Path>,
    allow_stale: bool,
) -> Result<Opened, Failure> {
    let policy = Policy {
        now: hushlist::time::now(),
        allow_stale,
    };
    let state = || State::open(&state::resolve_dir(state_dir)?);
    let keys = match key {
        Some(key) => Keyring::pinned(published::read_public_key(key)?),
        None => state()?.keyring()?,
    };
    let installed;
    let path = match path {
        Some(path) => path,
        None => {
            installed = state()?.installed_dir()?.ok_or_else(|| {
                Failure::error(
                    "no snapshot installed yet: run `hushlist update` (or give --snapshot)",
                )
            })?;
            &installed
        }
    };
    Ok(published::open(path, &keys, policy)?)
}

fn verify(state_dir: Option<&Path>, args: VerifyArgs) -> Result<u8, Failure> {
    let opened = open(
        state_dir,
        args.key.as_deref(),
        args.path.as_deref(),
        args.allow_stale,
    );
    match (opened, args.format) {
        (Ok(opened), VerifyFormat::Text) => print(&SnapshotFacts::of(&opened).to_text()).map(|_| 0),
        (Ok(opened), VerifyFormat::Json) => {
            let mut v = serde_json::to_value(SnapshotFacts::of(&opened)).expect("serializes");
            v["valid"] = true.into();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            ))
            .map(|_| 0)
        }
        (Err(failure), VerifyFormat::Json) => {
            let v = serde_json::json!({"valid": false, "error": failure.message});
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            ))?;
            Err(failure)
        }
        (Err(failure), VerifyFormat::Text) => Err(failure),
    }
}

fn check(state_dir: Option<&Path>, args: CheckArgs) -> Result<u8, Failure> {
    if args.numbers.is_empty() && args.files.is_empty() {
        return Err(Failure::error(
            "nothing to check: give --number N, a FILE, or - to read stdin",
        ));
    }
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(Failure::error)?;
    let column = args.column.as_deref().map(ColumnSpec::parse);
    // Verify before reading a single number: a refused snapshot checks nothing.
    // Exit 1 means "possible match" here, so a refusal is an error (2).
    let opened = open(
        state_dir,
        args.key.as_deref(),
        args.snapshot.as_deref(),
        args.allow_stale,
    )
    .map_err(|e| Failure { code: 2, ..e })?;
    for w in opened.warnings() {
        eprintln!("hushlist: warning: {w}");
    }
    let checker = Checker::new(&opened.snapshot.snapshot).map_err(Failure::error)?;
    let mut outcome = Outcome::default();

    let numbers = args.numbers.iter().enumerate().map(|(i, n)| {
        Ok(hushlist::input::Row {
            line: i as u64 + 1,
            fields: vec![n.clone()],
            value: Ok(n.clone()),
        })
    });
    outcome
        .check_rows(&checker, region, "--number", numbers)
        .map_err(Failure::error)?;
    for file in &args.files {
        let (name, input): (String, Box<dyn io::BufRead + Send>) = if file.as_os_str() == "-" {
            ("-".into(), Box::new(BufReader::new(io::stdin())))
        } else {
            let f = std::fs::File::open(file)
                .map_err(|e| Failure::error(format!("{}: {e}", file.display())))?;
            (file.display().to_string(), Box::new(BufReader::new(f)))
        };
        let reader = RowReader::new(input, column.as_ref())
            .map_err(|e| Failure::error(format!("{name}: {e}")))?;
        if let Some(h) = reader.headers() {
            outcome.headers.push((name.clone(), h.to_vec()));
        }
        outcome
            .check_rows(&checker, region, &name, reader)
            .map_err(|e| Failure::error(format!("{name}: {e}")))?;
    }

    let facts = SnapshotFacts::of(&opened);
    let text = match args.format {
        CheckFormat::Table => report::check_table(&outcome, &facts),
        CheckFormat::Csv => report::check_csv(&outcome),
        CheckFormat::Json => report::check_json(&outcome, &facts),
    };
    print(&text)?;
    if args.strict && !outcome.invalid.is_empty() {
        return Err(Failure::error(format!(
            "--strict: {} row(s) are not phone numbers (listed above)",
            outcome.invalid.len()
        )));
    }
    Ok(if outcome.matches.is_empty() { 0 } else { 1 })
}

fn init(state_dir: Option<&Path>, args: InitArgs) -> Result<u8, Failure> {
    let root = state::resolve_dir(state_dir)?;
    let key = published::read_public_key(&args.key)?;
    for url in &args.urls {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Failure::error(format!(
                "{url}: sources must be http:// or https:// URLs"
            )));
        }
    }
    if let Some(ca) = &args.ca_cert {
        std::fs::metadata(ca).map_err(|e| Failure::error(format!("{}: {e}", ca.display())))?;
    }
    let config = Config {
        sources: args.urls,
        ca_cert: args.ca_cert.map(|p| std::path::absolute(&p).unwrap_or(p)),
    };
    State::init(&root, &key, &config)?;
    print(&format!(
        "initialized {}\n  pinned key {}\n  sources    {}\nnext: hushlist update\n",
        root.display(),
        key.id(),
        config.sources.join(", ")
    ))?;
    Ok(0)
}

fn update_failure(e: UpdateError) -> Failure {
    fn refused(e: &UpdateError) -> bool {
        match e {
            UpdateError::Verify { .. }
            | UpdateError::Rollback { .. }
            | UpdateError::Equivocation { .. }
            | UpdateError::InstalledInvalid(_) => true,
            UpdateError::AllSourcesFailed(all) => all.iter().any(|(_, e)| refused(e)),
            _ => false,
        }
    }
    let code = if refused(&e) { 1 } else { 2 };
    let prefix = if code == 1 { "REFUSED: " } else { "" };
    Failure {
        code,
        message: format!("update failed, installed snapshot unchanged: {prefix}{e}"),
    }
}

#[cfg(feature = "http")]
fn update(state_dir: Option<&Path>, args: UpdateArgs) -> Result<u8, Failure> {
    use hushlist::transport::{HttpOptions, HttpTransport, Transport};
    use std::io::IsTerminal;
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let config = state.config()?;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        retries: args.retries,
        ca_cert: args.ca_cert.or(config.ca_cert),
        progress: io::stderr().is_terminal(),
        ..HttpOptions::default()
    };
    let sources = config
        .sources
        .iter()
        .map(|url| {
            HttpTransport::new(url, options.clone()).map(|t| Box::new(t) as Box<dyn Transport>)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::error)?;
    let outcome = hushlist::update::update(&state, &sources, hushlist::time::now(), !args.force)
        .map_err(update_failure)?;
    print(&format!("{outcome}\n"))?;
    Ok(0)
}

#[cfg(not(feature = "http"))]
fn update(_: Option<&Path>, _: UpdateArgs) -> Result<u8, Failure> {
    Err(Failure::error(
        "this build has no HTTP support (feature `http`); use `hushlist import DIR`",
    ))
}

fn import(state_dir: Option<&Path>, dir: PathBuf) -> Result<u8, Failure> {
    use hushlist::transport::{DirTransport, Transport};
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let sources: Vec<Box<dyn Transport>> = vec![Box::new(DirTransport { dir })];
    let outcome = hushlist::update::update(&state, &sources, hushlist::time::now(), false)
        .map_err(update_failure)?;
    print(&format!("{outcome}\n"))?;
    Ok(0)
}

fn status(state_dir: Option<&Path>, format: VerifyFormat) -> Result<u8, Failure> {
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let status = state.status()?;
    let config = state.config()?;
    let keys = state.keyring()?;
    let now = hushlist::time::now();
    let installed = match state.installed_dir()? {
        None => None,
        Some(dir) => {
            let policy = Policy {
                now,
                allow_stale: true,
            };
            Some(published::open_directory(&dir, &keys, policy).map(|o| SnapshotFacts::of(&o)))
        }
    };
    let t = |secs: Option<i64>| secs.map(hushlist::time::rfc3339);
    let mut v = serde_json::json!({
        "state_dir": state.root().display().to_string(),
        "sources": config.sources,
        "trusted_keys": keys.keys().iter().map(|k| k.id().to_string()).collect::<Vec<_>>(),
        "highest_sequence_seen": status.highest_sequence,
        "last_success": t(status.last_success),
        "installed": null,
    });
    if let (Some(facts), Some(i)) = (&installed, &status.installed) {
        v["installed"] = match facts {
            Ok(f) => {
                let expires = hushlist::time::parse_rfc3339(&f.expires).unwrap_or(0);
                let created = hushlist::time::parse_rfc3339(&f.created).unwrap_or(0);
                serde_json::json!({
                    "sequence": f.sequence, "created": f.created, "expires": f.expires,
                    "age_hours": (now - created) / 3600, "expired": now >= expires,
                    "entries": f.entries, "key_id": f.key_id, "source": i.source,
                    "installed_at": hushlist::time::rfc3339(i.installed_at), "blake3": f.blake3,
                })
            }
            Err(e) => serde_json::json!({"sequence": i.sequence, "error": e.to_string()}),
        };
    }
    let text = match format {
        VerifyFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("serializes")
        ),
        VerifyFormat::Text => {
            let mut s = format!(
                "state      {}\nsources    {}\nkeys       {}\n",
                state.root().display(),
                config.sources.join(", "),
                v["trusted_keys"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
            let i = &v["installed"];
            if i.is_null() {
                s.push_str("installed  nothing yet: run `hushlist update`\n");
            } else if let Some(e) = i["error"].as_str() {
                s.push_str(&format!(
                    "installed  #{} FAILS VERIFICATION: {e}\n",
                    i["sequence"]
                ));
            } else {
                s.push_str(&format!(
                    "installed  snapshot #{} from {}\n  created  {} ({} hours ago)\n  expires  {}{}\n  entries  {}\n  key      {}\n",
                    i["sequence"], i["source"].as_str().unwrap_or(""), i["created"].as_str().unwrap_or(""), i["age_hours"],
                    i["expires"].as_str().unwrap_or(""), if i["expired"] == true { " (EXPIRED: run hushlist update)" } else { "" },
                    i["entries"], i["key_id"].as_str().unwrap_or("")
                ));
            }
            s.push_str(&format!(
                "last update {}\n",
                v["last_success"].as_str().unwrap_or("never")
            ));
            s
        }
    };
    print(&text)?;
    Ok(0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let state_dir = cli.state_dir.as_deref();
    let result = match cli.command {
        Command::Verify(args) => verify(state_dir, args),
        Command::Check(args) => check(state_dir, args),
        Command::Init(args) => init(state_dir, args),
        Command::Update(args) => update(state_dir, args),
        Command::Import { dir } => import(state_dir, dir),
        Command::Status { format } => status(state_dir, format),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("hushlist: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
