//! `hushlist`: verify snapshots and check numbers against them, offline.

use clap::{Parser, Subcommand, ValueEnum};
use hushlist::check::{Checker, Outcome};
use hushlist::input::{ColumnSpec, RowReader};
use hushlist::normalize::Region;
use hushlist::published::{self, Opened};
use hushlist::report::{self, SnapshotFacts};
use hushlist::verify::Policy;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  check:   0 no listed number, 1 at least one possible match, 2 error
  verify:  0 valid, 1 refused (signature, digest, rollback, expiry, format...), 2 error";

#[derive(Parser)]
#[command(name = "hushlist", version, about = "Check phone numbers against a signed list, offline", after_help = EXIT_CODES)]
struct Cli {
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
    /// The publisher's public key (minisign format), obtained out of band.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// A published directory (manifest.json inside) or a snapshot file (FILE.minisig beside it).
    path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
    /// Accept an expired snapshot, with a warning (air-gapped sites).
    #[arg(long)]
    allow_stale: bool,
}

#[derive(Parser)]
struct CheckArgs {
    /// The publisher's public key (minisign format).
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// The snapshot: a published directory or a snapshot file.
    #[arg(long, value_name = "PATH")]
    snapshot: PathBuf,
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

fn open(key: &Path, path: &Path, allow_stale: bool) -> Result<Opened, published::Error> {
    let key = published::read_public_key(key)?;
    let policy = Policy {
        now: hushlist::time::now(),
        allow_stale,
    };
    published::open(path, &key, policy)
}

fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    match (open(&args.key, &args.path, args.allow_stale), args.format) {
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
        (Err(e), VerifyFormat::Json) => {
            let failure = Failure::from(e);
            let v = serde_json::json!({"valid": false, "error": failure.message});
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            ))?;
            Err(failure)
        }
        (Err(e), VerifyFormat::Text) => Err(e.into()),
    }
}

fn check(args: CheckArgs) -> Result<u8, Failure> {
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
    let opened = open(&args.key, &args.snapshot, args.allow_stale).map_err(|e| Failure {
        code: 2,
        ..Failure::from(e)
    })?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(args) => verify(args),
        Command::Check(args) => check(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("hushlist: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
