//! `hushlist check`: verify the snapshot, then check numbers from arguments,
//! files and stdin, and report. No network.

use crate::config::FileConfig;
use crate::exit::Exit;
use crate::{open, print, Failure};
use clap::{Args, Parser, ValueEnum};
use hushlist::check::input::{ColumnSpec, InputOptions, SettingNames};
use hushlist::check::render::{self, RunInfo};
use hushlist::check::{regions_text, CheckOptions, ProblemKind, SourceSummary};
use hushlist::format::normalize::{NormalizeError, ReadOptions, Region};
use hushlist::KeyCacheChoice;
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

/// An input's name, its reader, and its length when it is a regular file.
pub type OpenedInput = (String, Box<dyn io::BufRead + Send>, Option<u64>);

/// How to read inputs: shared by `check` and `explain`.
#[derive(Args, Clone)]
pub struct InputArgs {
    /// Default regions for numbers in national format (ISO codes): `--region DE,GB,US`
    /// or the flag repeated. A national number is checked under each region where it
    /// is a possible number, and a match names the reading that matched.
    #[arg(
        long,
        value_name = "CC[,CC...]",
        env = "HUSHLIST_REGION",
        value_delimiter = ','
    )]
    pub region: Vec<String>,
    /// A column holding each row's region (ISO code or country name such as UK,
    /// Deutschland), used where the file has it: a national number is read under
    /// the row's region first, then under each --region. An unknown value is
    /// warned about and the row uses --region alone.
    #[arg(long, value_name = "NAME|INDEX")]
    pub region_column: Option<String>,
    /// A column holding numbers (header name or 1-based index); repeat for several.
    /// Each file uses the listed columns it has. Default: every column whose header
    /// says phone (phone, mobile, Telefon, Rufnummer, téléphone, móvil...).
    #[arg(long, value_name = "NAME|INDEX")]
    pub column: Vec<String>,
    /// A column to check besides those chosen (a phone column no header word
    /// names, such as `Alternate No.`); repeat for several. Files without it
    /// are read as usual.
    #[arg(long, value_name = "NAME|INDEX")]
    pub also_column: Vec<String>,
    /// A column never to check nor warn about (such as `IMEI`), even when its
    /// header says phone; repeat for several.
    #[arg(long, value_name = "NAME|INDEX")]
    pub not_column: Vec<String>,
    /// The inputs' encoding (utf-8, windows-1252, shift_jis, gbk, latin1,
    /// utf-16le...), or one input's as FILE=LABEL (FILE: the path as given,
    /// or its file name); repeat for several. Default: from the BOM (which
    /// always decides), else UTF-8 if valid, else detected from the bytes.
    #[arg(long, value_name = "[FILE=]LABEL")]
    pub encoding: Vec<String>,
    /// Convert letters to digits (vanity numbers such as 1-800-FLOWERS) instead of
    /// reporting such cells as not numbers.
    #[arg(long)]
    pub allow_letters: bool,
    /// A number to check (repeatable).
    #[arg(long = "number", short = 'n', value_name = "N")]
    pub numbers: Vec<String>,
    /// Files to check (CSV, TSV or one number per line); `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Parser)]
pub struct CheckArgs {
    /// The publisher's public key (minisign format); default: the keys pinned by init.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The snapshot: a published directory or a snapshot file; default: the installed one.
    #[arg(long, value_name = "PATH")]
    snapshot: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Output format [default: table].
    #[arg(long, value_enum, env = "HUSHLIST_FORMAT")]
    format: Option<CheckFormat>,
    /// Write the report to FILE (created 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a self-contained HTML report for HR and legal (created 0600).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Keep only the last two digits of numbers and drop the rows' other fields
    /// in every output (for tickets and SIEM).
    #[arg(long)]
    redact: bool,
    /// Do not compare with the last run over the same inputs, nor remember
    /// this one (by default each possible match is marked NEW or not; the
    /// memory, in HUSHLIST_HISTORY_DIR or ~/.local/state/hushlist/runs, holds
    /// keyed digests, no number).
    #[arg(long)]
    no_history: bool,
    /// Cells that are not numbers make the run incomplete: exit 3 (no match) or
    /// 4 (possible matches) instead of 0 or 1. Empty cells never do.
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
    /// Memory the hashing may hold at once, in MiB [default: three quarters of
    /// the free memory, or of the cgroup's limit]. Each Argon2id hash holds
    /// the snapshot's memory cost, so this sets how many run at once; a
    /// snapshot whose one hash needs more is refused, not run out of memory.
    #[arg(long, value_name = "MIB", env = "HUSHLIST_MAX_MEMORY_MIB")]
    max_memory: Option<u64>,
    #[command(flatten)]
    evaluation: crate::evaluation_args::EvaluationArgs,
}

/// Writes `path` with mode 0600 through a new file renamed over it (never
/// through a symlink, never truncating its target): reports hold the company's numbers.
fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    hushlist::files::write_private_file(path, text.as_bytes()).map_err(|e| {
        // The error may name the temporary file beside the target; the
        // target is what the user gave.
        let why = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) if !dir.is_dir() => format!("there is no directory {}", dir.display()),
            _ => e.to_string(),
        };
        Failure::error(format!("cannot write {}: {why}", path.display()))
    })
}

/// The flags' values, else the config file's.
fn pick(flags: &[String], config: Vec<String>) -> Vec<String> {
    if flags.is_empty() {
        config
    } else {
        flags.to_vec()
    }
}

fn parse_format(text: &str) -> Result<CheckFormat, Failure> {
    CheckFormat::from_str(text, true).map_err(|_| {
        Failure::error(format!(
            "config: unknown format {text:?} (table, csv, json, jsonl)"
        ))
    })
}

impl InputArgs {
    /// The default regions: flags (or HUSHLIST_REGION), else the config file.
    pub fn regions(&self, config: &FileConfig) -> Result<Vec<Region>, Failure> {
        let given: Vec<String> = if self.region.is_empty() {
            config.regions()
        } else {
            self.region.clone()
        };
        let mut regions = Vec::new();
        for code in given.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            // A name as the region column takes it (UK, Deutschland) is read
            // the same way here, and said: every output lists the codes used.
            let region = match Region::parse(code) {
                Ok(region) => region,
                Err(e) => match hushlist::check::regions::region_from_value(code) {
                    Ok(region) => {
                        eprintln!("hushlist: --region {code:?} read as {region}");
                        region
                    }
                    Err(_) => return Err(Failure::error(e)),
                },
            };
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        Ok(regions)
    }

    /// The `--encoding` given for every input (the last one without `FILE=`).
    fn common_encoding(&self) -> Option<String> {
        self.encoding
            .iter()
            .rev()
            .find(|e| !e.contains('='))
            .cloned()
    }

    /// The `--encoding FILE=LABEL` pairs, and those that name no input.
    pub fn input_encodings(&self) -> (Vec<(String, String)>, Vec<String>) {
        let pairs: Vec<(String, String)> = self
            .encoding
            .iter()
            .filter_map(|e| e.rsplit_once('='))
            .map(|(file, label)| (file.to_string(), label.to_string()))
            .collect();
        let unmatched = pairs
            .iter()
            .filter(|(file, _)| {
                !self.files.iter().any(|f| {
                    f.as_os_str() == file.as_str()
                        || f.file_name().is_some_and(|n| n == file.as_str())
                })
            })
            .map(|(file, label)| format!("--encoding {file}={label}: no input is named {file}"))
            .collect();
        (pairs, unmatched)
    }

    /// Columns, region column and encoding: flags, else the config file.
    pub fn input_options(&self, config: &FileConfig) -> Result<InputOptions, Failure> {
        let columns = if self.column.is_empty() {
            config.columns()
        } else {
            self.column.clone()
        };
        let mut options = InputOptions::default()
            .with_columns(columns.iter().map(|c| ColumnSpec::parse(c)))
            .with_region_column(
                self.region_column
                    .clone()
                    .or_else(|| config.region_column.clone())
                    .as_deref()
                    .map(ColumnSpec::parse),
            )
            .with_encoding(self.common_encoding())
            .with_also_columns(
                pick(&self.also_column, config.also_columns())
                    .iter()
                    .map(|c| ColumnSpec::parse(c)),
            )
            .with_not_columns(
                pick(&self.not_column, config.not_columns())
                    .iter()
                    .map(|c| ColumnSpec::parse(c)),
            )
            // What a message tells the user to change, in this program's flags.
            .with_names(
                SettingNames::new("--column", "--encoding", "--region", "--allow-letters")
                    .with_also_column("--also-column"),
            );
        let (per_input, unmatched) = self.input_encodings();
        for warning in unmatched {
            eprintln!("hushlist: warning: {warning}");
        }
        for label in self.encoding.iter() {
            let (file, label) = label.rsplit_once('=').unwrap_or(("-", label));
            if file.is_empty() {
                return Err(Failure::error(format!(
                    "--encoding ={label}: no file name before `=` (FILE=LABEL, or LABEL for every input)"
                )));
            }
            if !hushlist::check::input::encoding_label_known(label) {
                return Err(Failure::error(format!(
                    "--encoding {label}: not an encoding label (utf-8, windows-1252, shift_jis, gbk, big5, euc-kr, latin1, utf-16le...)"
                )));
            }
        }
        for (file, label) in per_input {
            options = options.with_input_encoding(&file, &label);
        }
        Ok(options)
    }

    /// Opens each file (or stdin), with its length when it is a regular file.
    pub fn open_file(file: &Path) -> Result<OpenedInput, Failure> {
        if file.as_os_str() == "-" {
            return Ok(("-".into(), Box::new(BufReader::new(io::stdin())), None));
        }
        // Refuses FIFOs and devices without blocking on them.
        let f = hushlist::files::open_regular(file).map_err(Failure::error)?;
        let meta = f
            .metadata()
            .map_err(|e| Failure::error(format!("{}: {e}", file.display())))?;
        if !meta.is_file() {
            return Err(Failure::error(format!(
                "{}: not a regular file",
                file.display()
            )));
        }
        Ok((
            file.display().to_string(),
            Box::new(BufReader::with_capacity(1 << 16, f)),
            Some(meta.len()),
        ))
    }
}

/// Lines in a regular file, counted cheaply before checking so the progress
/// bar can show an ETA for numbers hashed.
fn count_lines(path: &Path) -> Option<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return Some(lines.max(1));
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// A progress bar on a terminal counting rows checked, nothing otherwise.
fn progress(total: Option<u64>, name: &str) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(len) => {
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        }
        None => {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {spinner} {pos} rows, {per_sec}")
                    .expect("valid template"),
            );
            bar
        }
    };
    bar.set_message(name.to_string());
    Some(bar)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

fn user_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".into())
}

/// The account running the program when the environment does not say (cron,
/// systemd units): its uid, named from /etc/passwd when listed there.
#[cfg(unix)]
fn account_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let (name, id) = (f.next()?, f.nth(1)?);
        (id.parse() == Ok(uid)).then(|| name.to_string())
    });
    Some(name.map_or_else(|| format!("uid {uid}"), |n| format!("{n} (uid {uid})")))
}

#[cfg(not(unix))]
fn account_name() -> Option<String> {
    None
}

/// The options that shaped the run, for the report.
fn options_used(args: &CheckArgs, regions: &[Region], input: &InputOptions) -> Vec<String> {
    let mut o = Vec::new();
    if !regions.is_empty() {
        o.push(format!(
            "--region {}",
            regions_text(regions).replace(' ', "")
        ));
    }
    for c in &input.columns {
        o.push(format!("--column {c}"));
    }
    for c in &input.also_columns {
        o.push(format!("--also-column {c}"));
    }
    for c in &input.not_columns {
        o.push(format!("--not-column {c}"));
    }
    if let Some(c) = &input.region_column {
        o.push(format!("--region-column {c}"));
    }
    if let Some(e) = &input.encoding {
        o.push(format!("--encoding {e}"));
    }
    for (file, label) in &input.encodings {
        o.push(format!("--encoding {file}={label}"));
    }
    if let Some(url) = &args.evaluation.evaluation_url {
        o.push(format!("--evaluation-url {url}"));
    }
    for (on, flag) in [
        (args.input.allow_letters, "--allow-letters"),
        (args.strict, "--strict"),
        (args.allow_stale, "--allow-stale"),
        (args.redact, "--redact"),
        (args.no_cache, "--no-cache"),
    ] {
        if on {
            o.push(flag.into());
        }
    }
    o
}

pub fn check(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: CheckArgs,
) -> Result<Exit, Failure> {
    if args.input.numbers.is_empty() && args.input.files.is_empty() {
        return Err(Failure::error(
            "nothing to check: give --number N, a FILE, or - to read stdin",
        ));
    }
    let format = match (args.format, &config.format) {
        (Some(f), _) => f,
        (None, Some(text)) => parse_format(text)?,
        (None, None) => CheckFormat::Table,
    };
    let regions = args.input.regions(config)?;
    let input_options = args.input.input_options(config)?;
    let mut options = CheckOptions::default()
        .with_regions(regions.clone())
        .with_input(input_options.clone())
        .with_read(ReadOptions {
            allow_letters: args.input.allow_letters,
        })
        .with_redact(args.redact)
        .with_key_cache(if args.no_cache || config.cache == Some(false) {
            KeyCacheChoice::None
        } else {
            KeyCacheChoice::Default
        });
    if let Some(jobs) = args.jobs.or(config.jobs) {
        options = options.with_threads(jobs);
    }
    if let Some(mib) = args.max_memory {
        options = options.with_memory_budget(mib.saturating_mul(1 << 20));
    }

    // Verify before reading a single number: a refused snapshot checks nothing.
    // Exit 1 means "possible match" here, so a refusal is an error (2).
    let list = open(
        state_dir,
        args.key.as_deref(),
        args.snapshot.as_deref(),
        args.allow_stale,
    )
    .map_err(|e| Failure {
        exit: Exit::Error,
        ..e
    })?;
    for w in list.warnings() {
        eprintln!("hushlist: warning: {}", render::visible(w));
    }
    if args.no_cache && list.opened().snapshot.snapshot.header.kdf.is_sealed() {
        eprintln!(
            "hushlist: warning: --no-cache on a sealed snapshot: every number not cached is \
             evaluated again, from this company's quota, on every run"
        );
    }
    options.evaluator = crate::evaluation_args::evaluator(
        state_dir,
        config,
        &args.evaluation,
        &list.opened().snapshot.snapshot.header,
    )?;
    let mut run = list.start_check(&options).map_err(|e| match e {
        e @ hushlist::CheckError::MemoryBudget { .. } => Failure::error(format!(
            "{e}; nothing was checked (raise --max-memory if the machine has it)"
        )),
        e => Failure::error(format!("--jobs: {e}")),
    })?;
    for w in run.notices() {
        eprintln!("hushlist: warning: {w}");
    }
    // The cost before it is spent: a slow hash is timed once, here.
    let header = &list.opened().snapshot.snapshot.header;
    if let hushlist::format::number_key::Kdf::Argon2id { .. } = header.kdf {
        if let Ok(hasher) = hushlist::format::number_key::NumberHasher::new(header.kdf, header.salt)
        {
            eprintln!(
                "hushlist: each number not in the key cache costs one {} hash: {:.2} s on this \
                 machine (hashed on the threads the memory budget allows); cached ones cost a lookup",
                header.kdf.name(),
                hasher.time_one().as_secs_f64()
            );
        }
    }
    run.numbers(&args.input.numbers).map_err(Failure::error)?;
    // One bar per file, moved by the run's progress reports.
    let bar: std::sync::Arc<std::sync::Mutex<Option<indicatif::ProgressBar>>> = Default::default();
    let shown = bar.clone();
    let mut run = run.on_progress(move |p| {
        if let Some(bar) = shown.lock().expect("not poisoned").as_ref() {
            bar.set_position(p.source_rows);
        }
    });
    // One input that cannot be read does not stop the others: it is said
    // here and in the report, and the run cannot end clean.
    let mut failures = Vec::new();
    for file in &args.input.files {
        let (name, input, len) = InputArgs::open_file(file)?;
        *bar.lock().expect("not poisoned") = progress(len.and_then(|_| count_lines(file)), &name);
        let read = run.reader(input, &name);
        if let Some(bar) = bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
        match read {
            Ok(()) => {}
            Err(e @ hushlist::CheckError::Input { .. }) => {
                let message = crate::hints::with(e.to_string(), crate::hints::check(&e));
                if args.input.files.len() > 1 {
                    eprintln!(
                        "hushlist: {}; the other inputs are still checked",
                        render::visible(&message)
                    );
                }
                failures.push(message);
            }
            Err(e) => {
                return Err(Failure::error(crate::hints::with(
                    e.to_string(),
                    crate::hints::check(&e),
                )))
            }
        }
        let summary = run.outcome().sources.iter().find(|s| s.name == name);
        for w in summary.into_iter().flat_map(|s| s.all_warnings()) {
            eprintln!("hushlist: warning: {name}: {w}");
        }
    }
    let mut outcome = run.finish();
    // A run over one input that failed, or where no input gave a row:
    // the error is the answer, as before any report.
    let others_read = args.input.files.len() + usize::from(!args.input.numbers.is_empty()) > 1;
    if !failures.is_empty() && (!others_read || outcome.rows == 0) {
        return Err(Failure::error(failures.join("; ")));
    }
    let history = remember_runs(&args);
    if let Some(memory) = &history {
        memory.mark(&mut outcome);
    }

    if let Some(spec) = &input_options.region_column {
        let files = outcome.sources.iter().filter_map(|s| s.layout.as_ref());
        if files.clone().count() > 0 && files.clone().all(|l| l.region_column.is_none()) {
            eprintln!(
                "hushlist: warning: region column {spec} is in none of the inputs: every row used the default regions"
            );
        }
    }
    let facts = list.facts();
    let run = RunInfo {
        generated_at: hushlist::format::time::rfc3339(hushlist::format::time::now()),
        host: host_name(),
        user: user_name(),
        tool: format!("hushlist {}", env!("CARGO_PKG_VERSION")),
        regions: regions.iter().map(Region::to_string).collect(),
        options: options_used(&args, &regions, &input_options),
        redact: args.redact,
    };
    let text = match format {
        CheckFormat::Table => render::check_table(&outcome, &facts, &run),
        CheckFormat::Csv => render::check_csv(&outcome, &facts, &run),
        CheckFormat::Json => render::check_json(&outcome, &facts, &run),
        CheckFormat::Jsonl => render::check_jsonl(&outcome, &facts, &run),
    };
    match &args.output {
        Some(path) => {
            write_private(path, &text)?;
            eprintln!(
                "hushlist: {}; report written to {}",
                render::verdict(&outcome),
                path.display()
            );
        }
        None => print(&text)?,
    }
    if let Some(path) = &args.report {
        write_private(path, &render::check_html(&outcome, &facts, &run))?;
    }
    // An incomplete run would forget the matches of what it could not read.
    if let (Some(memory), 0) = (&history, outcome.failed_inputs()) {
        match memory.save(&outcome) {
            Err(e) => eprintln!("hushlist: warning: this run is not remembered for the next: {e}"),
            // Said once, on the first run over these inputs: files appear.
            Ok(()) if outcome.previous_run.is_none() => eprintln!(
                "hushlist: this run's matches are remembered (keyed digests, no number) in {} \
                 so that the next run over these inputs marks what is NEW; --no-history turns it off",
                memory.dir().display()
            ),
            Ok(()) => {}
        }
    }
    if outcome.checked == 0 {
        let needs_region = regions.is_empty()
            && outcome
                .invalid
                .iter()
                .any(|p| p.kind == ProblemKind::NotANumber(NormalizeError::NeedsRegion));
        return Err(Failure::error(format!(
            "nothing was checked: every cell was empty or not a number (listed in the report){}",
            if needs_region {
                "; a national number needs --region"
            } else {
                ""
            }
        )));
    }
    let matched = !outcome.matches.is_empty();
    let why = || {
        if outcome.failed_inputs() > 0 {
            return format!(
                "{} could not be read to the end",
                if outcome.failed_inputs() == 1 {
                    "1 input".to_string()
                } else {
                    format!("{} inputs", outcome.failed_inputs())
                }
            );
        }
        if outcome.damaged() {
            return "a quote left open may have hidden rows (they were read again; fix the file)"
                .to_string();
        }
        let warned = outcome.sources.iter().any(SourceSummary::warned);
        match (outcome.invalid.len(), warned) {
            (0, _) => "the inputs have warnings (numbers may have gone unread)".to_string(),
            (n, false) => format!("{n} cell(s) are not phone numbers"),
            (n, true) => format!("{n} cell(s) are not phone numbers and the inputs have warnings"),
        }
    };
    // Rows a quote left open may have hidden were read again, but the file
    // is damaged: such a run never ends clean, --strict or not.
    let exit = Exit::of_check(
        matched,
        (args.strict && !outcome.complete()) || outcome.never_clean(),
    );
    match exit {
        Exit::IncompleteNoMatch => eprintln!(
            "hushlist: {}{} (listed in the report); no match among the rest",
            strict_label(args.strict, outcome.never_clean()),
            why()
        ),
        Exit::IncompleteMatch => eprintln!(
            "hushlist: {}{} (listed in the report); possible matches among the rest",
            strict_label(args.strict, outcome.never_clean()),
            why()
        ),
        _ => {}
    }
    Ok(exit)
}

/// The memory of runs over these inputs, unless `--no-history`; a memory
/// that cannot be opened is said, and the run goes on without it.
fn remember_runs(args: &CheckArgs) -> Option<hushlist::check::since::RunMemory> {
    if args.no_history {
        return None;
    }
    let dir = hushlist::check::since::default_dir()?;
    let mut inputs: Vec<String> = args
        .input
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    if !args.input.numbers.is_empty() {
        inputs.push("--number".into());
    }
    match hushlist::check::since::RunMemory::open(&dir, &inputs) {
        Ok(memory) => Some(memory),
        Err(e) => {
            eprintln!(
                "hushlist: warning: not comparing with the last run ({e}); --no-history silences this"
            );
            None
        }
    }
}

/// How the incomplete-run message starts: `--strict: ` when that flag made it so.
fn strict_label(strict: bool, damaged: bool) -> &'static str {
    if strict && !damaged {
        "--strict: "
    } else {
        "incomplete: "
    }
}
