//! `hushlist`: verify snapshots and check numbers against them, offline.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// std's `eprintln!` panics when stderr is a closed pipe (`2>&1 | head`),
/// which turned a documented exit code into 101. Here the message is lost
/// and the exit code stays the one the table gives. Every module below sees
/// this one in place of std's.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod carried_cmd;
mod check_cmd;
mod config;
mod evaluation_args;
mod exit;
mod explain_cmd;
mod hints;
mod keys_cmd;
mod prewarm_cmd;
mod remote;
mod sources_cmd;
mod state_cmds;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use exit::{Exit, EXIT_CODES};
use hushlist::check::report::SnapshotFacts;
use hushlist::client::state::StateError;
use hushlist::format::filter::MaxFpRate;
use hushlist::published::{self, Opened};
use hushlist::verify::{Policy, Staleness};
use hushlist::{List, OpenError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hushlist", version, about = "Check phone numbers against a signed list, offline", after_help = EXIT_CODES)]
struct Cli {
    /// State directory (pinned key, sources, installed snapshot).
    /// Default: $XDG_DATA_HOME/hushlist or ~/.local/share/hushlist.
    #[arg(long, global = true, env = "HUSHLIST_STATE_DIR", value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Refuse a snapshot whose filter, judged by its bits alone, flags more
    /// numbers than this false-positive rate (at most 1e-2). Applies to every
    /// command that reads a snapshot.
    #[arg(
        long,
        global = true,
        env = "HUSHLIST_MAX_FP_RATE",
        default_value = "1e-4",
        value_name = "RATE"
    )]
    max_fp_rate: MaxFpRate,
    /// Refuse a snapshot file larger than this many MiB (at most 1025). Applies
    /// to every command that reads or downloads a snapshot.
    #[arg(
        long,
        global = true,
        env = "HUSHLIST_MAX_SNAPSHOT_MIB",
        default_value_t = 64,
        value_name = "MIB"
    )]
    max_snapshot_mib: u64,
    #[command(subcommand)]
    command: Command,
}

/// The limits given on the command line, set once before any command runs.
static LIMITS: std::sync::OnceLock<hushlist::Limits> = std::sync::OnceLock::new();

/// The verification policy at `now`, with the limits given on the command line.
pub fn policy(now: i64, allow_stale: bool) -> Policy {
    let mut policy = Policy {
        staleness: if allow_stale {
            Staleness::AcceptLoudly
        } else {
            Staleness::Refuse
        },
        ..Policy::at(now)
    };
    if let Some(&limits) = LIMITS.get() {
        policy.limits = limits;
    }
    policy
}

#[derive(Subcommand)]
enum Command {
    /// Verify a published directory or a snapshot file (the auditor's command).
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Check numbers against a verified snapshot; nothing leaves this machine.
    #[command(after_help = EXIT_CODES)]
    Check(check_cmd::CheckArgs),
    /// Show how each cell of the inputs would be read (columns, regions, E.164 or
    /// why not, valid or only possible), without a snapshot and without looking
    /// anything up.
    Explain(explain_cmd::ExplainArgs),
    /// Audit a published directory's whole history: every snapshot, the digest
    /// chain, key rotations, and the manifest pointing at the newest.
    #[command(after_help = EXIT_CODES)]
    Audit {
        /// The publisher's public key: the original one or any later one
        /// (rotations are followed from wherever it appears in the chain).
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
        /// The published directory, or its URL: every snapshot, rotation
        /// statement and the manifest are copied into --into DIR first.
        dir: PathBuf,
        #[command(flatten)]
        remote: remote::RemoteArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: VerifyFormat,
    },
    /// The keys rotation statements lead to from a pinned key, and the current
    /// one as a minisign .pub (for `minisign -V` after a rotation).
    Keys(keys_cmd::KeysArgs),
    /// Pin the publisher's key and record where to download snapshots from.
    Init(state_cmds::InitArgs),
    /// Download, verify and install the latest snapshot.
    #[command(after_help = EXIT_CODES)]
    Update(state_cmds::UpdateArgs),
    /// Install a snapshot from a local directory (air-gapped sites), with the same checks.
    #[command(after_help = EXIT_CODES)]
    Import {
        /// A copy of the published directory.
        dir: PathBuf,
    },
    /// Hash numbers ahead for the next salt epoch the snapshot announces
    /// (run after `update`, e.g. from cron), so the switch costs only lookups.
    Prewarm(prewarm_cmd::PrewarmArgs),
    /// Air-gapped sites, sealed snapshots: on a machine online, ask the
    /// evaluation service for the blinded numbers of a request file that
    /// `prewarm --request-file` wrote, and write the answers to carry back.
    Evaluate(carried_cmd::EvaluateArgs),
    /// Show the installed snapshot and the last update.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: VerifyFormat,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// List, add or remove the sources (mirrors) updates come from.
    Sources {
        #[command(subcommand)]
        command: sources_cmd::SourcesCommand,
    },
    /// Print the manual page (roff), e.g. `hushlist man > hushlist.1`; with
    /// --dir, write one page per subcommand there (hushlist-check.1...).
    Man {
        /// Directory for hushlist.1 and a page per subcommand.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
}

#[derive(Parser)]
struct VerifyArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// A published directory (manifest.json inside), its URL (the manifest,
    /// rotation statements and newest snapshot are copied into --into DIR
    /// first) or a snapshot file (FILE.minisig beside it); default: the
    /// installed snapshot.
    path: Option<PathBuf>,
    #[command(flatten)]
    remote: remote::RemoteArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
    /// Accept an expired snapshot, with a warning (air-gapped sites).
    #[arg(long)]
    allow_stale: bool,
}

/// A failure with the exit code it maps to.
pub struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    fn error(message: impl ToString) -> Self {
        Failure {
            exit: Exit::Error,
            message: message.to_string(),
        }
    }
}

impl From<published::Error> for Failure {
    fn from(e: published::Error) -> Self {
        Failure {
            exit: if e.is_verification_failure() {
                Exit::Refused
            } else {
                Exit::Error
            },
            message: hints::with(
                if e.is_verification_failure() {
                    format!("REFUSED: {e}")
                } else {
                    e.to_string()
                },
                hints::published(&e),
            ),
        }
    }
}

/// Writes `text` to standard output with control and format characters
/// escaped ([`render::terminal_safe`]): a signed contact or an input's cell
/// can never drive the terminal or reorder what it shows.
pub fn print(text: &str) -> Result<(), Failure> {
    let text = hushlist::check::render::terminal_safe(text);
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
        Failure::error(hints::with(e.to_string(), hints::state(&e)))
    }
}

/// The keys and the snapshot to use: explicit paths, else the state's.
pub fn open(
    state_dir: Option<&Path>,
    key: Option<&Path>,
    path: Option<&Path>,
    allow_stale: bool,
) -> Result<List, Failure> {
    let policy = policy(hushlist::format::time::now(), allow_stale);
    Ok(List::resolve(state_dir, key, path, policy)?)
}

impl From<OpenError> for Failure {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Files(e) => e.into(),
            OpenError::State(e) => e.into(),
            e @ OpenError::NothingInstalled => Failure::error(format!(
                "{e}; run `hushlist update` (an air-gapped site: `hushlist import DIR`), or give --snapshot"
            )),
            e => Failure::error(e),
        }
    }
}

fn verify(state_dir: Option<&Path>, args: VerifyArgs) -> Result<Exit, Failure> {
    let path = match &args.path {
        Some(p) => Some(remote::local_copy(p, &args.remote, false)?),
        None => None,
    };
    let list = open(
        state_dir,
        args.key.as_deref(),
        path.as_deref(),
        args.allow_stale,
    );
    match (list.as_ref().map(List::opened), args.format) {
        (Ok(opened), VerifyFormat::Text) => {
            let mut text = SnapshotFacts::of(opened).to_text();
            for line in trust_lines(opened) {
                text.push_str(&line);
                text.push('\n');
            }
            print(&text).map(|_| Exit::Success)
        }
        (Ok(opened), VerifyFormat::Json) => {
            let mut v = serde_json::to_value(SnapshotFacts::of(opened)).expect("serializes");
            v["valid"] = true.into();
            v["rotations"] = opened
                .rotations
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .into();
            v["trusted_keys"] = opened
                .keys
                .keys()
                .iter()
                .map(|k| k.id().to_string())
                .collect::<Vec<_>>()
                .into();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            ))
            .map(|_| Exit::Success)
        }
        (Err(_), VerifyFormat::Json) => {
            let Err(failure) = list else { unreachable!() };
            let v = serde_json::json!({"valid": false, "error": failure.message});
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            ))?;
            Err(failure)
        }
        (Err(_), VerifyFormat::Text) => list.map(|_| Exit::Success),
    }
}

/// Which keys and rotation statements a verification used: never guess silently.
fn trust_lines(opened: &Opened) -> Vec<String> {
    let mut lines: Vec<String> = opened.rotations.iter().map(|r| r.to_string()).collect();
    let ids: Vec<String> = opened
        .keys
        .keys()
        .iter()
        .map(|k| k.id().to_string())
        .collect();
    lines.push(format!(
        "verified with key {} (trusted: {})",
        opened.snapshot.key_id,
        ids.join(", ")
    ));
    lines
}

fn audit(key: &Path, dir: &Path, format: VerifyFormat) -> Result<Exit, Failure> {
    let key = published::read_public_key(key)?;
    let audit = hushlist::audit::audit(dir, &key, &policy(hushlist::format::time::now(), true))?;
    let text = match format {
        VerifyFormat::Text => audit.to_text(),
        VerifyFormat::Json => {
            let mut v = serde_json::to_value(&audit).expect("serializes");
            v["passed"] = audit.passed().into();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            )
        }
    };
    print(&text)?;
    Ok(if audit.passed() {
        Exit::Success
    } else {
        Exit::Refused
    })
}

/// Writes `hushlist.1` and `hushlist-SUBCOMMAND.1` (every option of each) into `dir`.
fn write_man_pages(dir: &Path) -> Result<Exit, Failure> {
    let fail = |e: std::io::Error| Failure::error(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut command = Cli::command();
    command.build();
    let mut pages = vec![("hushlist.1".to_string(), command.clone())];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("hushlist-{}", sub.get_name());
        pages.push((format!("{name}.1"), sub.clone().name(name)));
    }
    let mut written = Vec::new();
    for (file, page) in pages {
        let mut out = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut out)
            .map_err(|e| Failure::error(format!("man page: {e}")))?;
        std::fs::write(dir.join(&file), out).map_err(fail)?;
        written.push(file);
    }
    print(&format!(
        "wrote {} to {}\n",
        written.join(", "),
        dir.display()
    ))?;
    Ok(Exit::Success)
}

fn run(cli: Cli) -> Result<Exit, Failure> {
    let config = config::load().map_err(|e| Failure::error(format!("configuration file {e}")))?;
    let max_snapshot_len = cli
        .max_snapshot_mib
        .checked_mul(1 << 20)
        .filter(|&len| len <= published::MAX_SNAPSHOT_LEN.next_multiple_of(1 << 20))
        .ok_or_else(|| {
            Failure::error("--max-snapshot-mib: at most 1025 (MiB), the format's limit")
        })?;
    let _ = LIMITS.set(hushlist::Limits {
        max_fp_rate: cli.max_fp_rate,
        max_snapshot_len,
    });
    let state_dir = cli.state_dir.or_else(|| config.state_dir.clone());
    let state_dir = state_dir.as_deref();
    match cli.command {
        Command::Verify(args) => verify(state_dir, args),
        Command::Check(args) => check_cmd::check(state_dir, &config, args),
        Command::Explain(args) => explain_cmd::explain(state_dir, &config, args),
        Command::Audit {
            key,
            dir,
            remote,
            format,
        } => remote::local_copy(&dir, &remote, true).and_then(|dir| audit(&key, &dir, format)),
        Command::Keys(args) => keys_cmd::keys(state_dir, args),
        Command::Init(args) => state_cmds::init(state_dir, args),
        Command::Update(args) => state_cmds::update(state_dir, args),
        Command::Import { dir } => state_cmds::import(state_dir, dir),
        Command::Status { format } => state_cmds::status(state_dir, format),
        Command::Prewarm(args) => prewarm_cmd::prewarm(state_dir, &config, args),
        Command::Evaluate(args) => carried_cmd::evaluate(&config, args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hushlist", &mut out);
            print(&String::from_utf8_lossy(&out)).map(|_| Exit::Success)
        }
        Command::Sources { command } => sources_cmd::sources(state_dir, command),
        Command::Man { dir: Some(dir) } => write_man_pages(&dir),
        Command::Man { dir: None } => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Failure::error(format!("man page: {e}")))?;
            print(&String::from_utf8_lossy(&out)).map(|_| Exit::Success)
        }
    }
}

fn main() -> ExitCode {
    let result = run(Cli::parse());
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            eprintln!(
                "hushlist: {}",
                hushlist::check::render::terminal_safe(&failure.message)
            );
            ExitCode::from(failure.exit.code())
        }
    }
}
