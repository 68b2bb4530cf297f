//! `hushlist check`: verify the snapshot, then check numbers from arguments,
//! files and stdin, and report. No network.

use crate::config::FileConfig;
use crate::{open, print, Failure};
use clap::{Parser, ValueEnum};
use hushlist::check::input::{ColumnSpec, InputOptions, Row, RowReader};
use hushlist::check::report::{self, SnapshotFacts};
use hushlist::check::{Checker, Outcome};
use hushlist::client::key_cache::{self, KeyCache};
use hushlist::format::normalize::Region;
use std::io::{self, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// A table and summary for people.
    Table,
    /// One line per finding, with the row's own columns.
    Csv,
    /// One JSON document.
    Json,
    /// One JSON object per line, then a summary line.
    Jsonl,
}

#[derive(Parser)]
pub struct CheckArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The snapshot: a published directory or a snapshot file; default: the installed one.
    #[arg(long, value_name = "PATH")]
    snapshot: Option<PathBuf>,
    /// Default region for numbers in national format (ISO code such as US, GB).
    #[arg(long, value_name = "CC", env = "HUSHLIST_REGION")]
    region: Option<String>,
    /// A column holding each row's region code, used instead of --region when not empty.
    #[arg(long, value_name = "NAME|INDEX")]
    region_column: Option<String>,
    /// The column holding numbers in CSV/TSV input: a header name or a 1-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    column: Option<String>,
    /// A number to check (repeatable).
    #[arg(long = "number", short = 'n', value_name = "N")]
    numbers: Vec<String>,
    /// Files to check (CSV, TSV or one number per line); `-` reads stdin.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output format [default: table].
    #[arg(long, value_enum, env = "HUSHLIST_FORMAT")]
    format: Option<CheckFormat>,
    /// Write the report to FILE (created 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a self-contained HTML report for HR and legal (created 0600).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Treat rows that are not numbers as an error (exit 2).
    #[arg(long)]
    strict: bool,
    /// Accept an expired snapshot, with a warning (air-gapped sites).
    #[arg(long)]
    allow_stale: bool,
    /// Hashing threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N", env = "HUSHLIST_JOBS")]
    jobs: Option<usize>,
    /// Do not read or write the local cache of per-number keys.
    #[arg(long)]
    no_cache: bool,
}

/// Writes `path` with mode 0600 through a new file renamed over it (never
/// through a symlink, never truncating its target): reports hold the company's numbers.
fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    hushlist::client::private::write_private_file(path, text.as_bytes()).map_err(Failure::error)
}

fn parse_format(text: &str) -> Result<CheckFormat, Failure> {
    CheckFormat::from_str(text, true).map_err(|_| {
        Failure::error(format!(
            "config: unknown format {text:?} (table, csv, json, jsonl)"
        ))
    })
}

/// A progress bar on a terminal, nothing otherwise.
fn progress(len: Option<u64>, name: &str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = match len {
        Some(len) => {
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {percent}% {pos}/{len} bytes, ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        }
        None => {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {spinner} {pos} rows")
                    .expect("valid template"),
            );
            bar
        }
    };
    bar.set_message(name.to_string());
    Some(bar)
}

pub fn check(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: CheckArgs,
) -> Result<u8, Failure> {
    if args.numbers.is_empty() && args.files.is_empty() {
        return Err(Failure::error(
            "nothing to check: give --number N, a FILE, or - to read stdin",
        ));
    }
    let format = match (args.format, &config.format) {
        (Some(f), _) => f,
        (None, Some(text)) => parse_format(text)?,
        (None, None) => CheckFormat::Table,
    };
    let region = args
        .region
        .as_deref()
        .or(config.region.as_deref())
        .map(Region::parse)
        .transpose()
        .map_err(Failure::error)?;
    if let Some(jobs) = args.jobs.or(config.jobs) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| Failure::error(format!("--jobs: {e}")))?;
    }
    let input_options = InputOptions {
        column: args.column.as_deref().map(ColumnSpec::parse),
        region_column: args.region_column.as_deref().map(ColumnSpec::parse),
    };

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
    let snapshot = &opened.snapshot.snapshot;
    let mut checker = Checker::new(snapshot).map_err(Failure::error)?;
    // The cache pays only for slow hashes; opening it also prunes other snapshots' caches.
    let slow_hash = snapshot.header.kdf != hushlist::format::number_key::Kdf::Blake3;
    if slow_hash && !args.no_cache && config.cache != Some(false) {
        if let Some(dir) = key_cache::default_dir() {
            match KeyCache::open(&dir, snapshot) {
                Ok(cache) => checker = checker.with_cache(cache),
                Err(e) => eprintln!(
                    "hushlist: warning: key cache {} unusable ({e}); checking without it",
                    dir.display()
                ),
            }
        }
    }

    let mut outcome = Outcome::default();
    let numbers = args
        .numbers
        .iter()
        .enumerate()
        .map(|(i, n)| Ok(Row::single(i as u64 + 1, n)));
    outcome
        .check_rows(&mut checker, region, "--number", numbers, &mut |_| {})
        .map_err(Failure::error)?;
    for file in &args.files {
        let (name, input, len): (String, Box<dyn io::BufRead + Send>, Option<u64>) =
            if file.as_os_str() == "-" {
                ("-".into(), Box::new(BufReader::new(io::stdin())), None)
            } else {
                let f = std::fs::File::open(file)
                    .map_err(|e| Failure::error(format!("{}: {e}", file.display())))?;
                let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                (
                    file.display().to_string(),
                    Box::new(BufReader::with_capacity(1 << 16, f)),
                    len,
                )
            };
        let reader = RowReader::new(input, &input_options)
            .map_err(|e| Failure::error(format!("{name}: {e}")))?;
        if let Some(h) = reader.headers() {
            outcome.headers.push((name.clone(), h.to_vec()));
        }
        let bar = progress(len, &name);
        let counter = reader.byte_counter();
        let rows_before = outcome.rows;
        outcome
            .check_rows(&mut checker, region, &name, reader, &mut |o| {
                if let Some(bar) = &bar {
                    bar.set_position(if len.is_some() {
                        counter.bytes()
                    } else {
                        o.rows - rows_before
                    });
                }
            })
            .map_err(|e| Failure::error(format!("{name}: {e}")))?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }

    let facts = SnapshotFacts::of(&opened);
    let text = match format {
        CheckFormat::Table => report::check_table(&outcome, &facts),
        CheckFormat::Csv => report::check_csv(&outcome),
        CheckFormat::Json => report::check_json(&outcome, &facts),
        CheckFormat::Jsonl => report::check_jsonl(&outcome, &facts),
    };
    match &args.output {
        Some(path) => {
            write_private(path, &text)?;
            eprintln!(
                "hushlist: {} possible match(es), {} row(s) not numbers; report written to {}",
                outcome.matches.len(),
                outcome.invalid.len(),
                path.display()
            );
        }
        None => print(&text)?,
    }
    if let Some(path) = &args.report {
        let html = report::check_html(
            &outcome,
            &facts,
            &hushlist::format::time::rfc3339(hushlist::format::time::now()),
        );
        write_private(path, &html)?;
    }
    if args.strict && !outcome.invalid.is_empty() {
        return Err(Failure::error(format!(
            "--strict: {} row(s) are not phone numbers (listed in the report)",
            outcome.invalid.len()
        )));
    }
    Ok(if outcome.matches.is_empty() { 0 } else { 1 })
}
