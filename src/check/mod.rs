//! Checking numbers against a verified snapshot: read each cell, interpret it
//! under the default regions, derive the key with the snapshot's salt, look it
//! up. No network, ever.
//!
//! Rows are processed in batches so memory stays flat however long the input;
//! within a batch the hashing runs on all cores (small batches for slow hashes,
//! so the key cache is written often and an interrupted run resumes). Matches
//! and doubtful numbers are grouped by E.164 with every row that holds them.
//!
//! Programs usually reach this through [`crate::List`], which verifies the
//! snapshot first and starts a [`CheckRun`]; [`Checker`] is the step underneath.

pub mod column;
pub(crate) mod columns;
pub mod explain;
pub mod input;
pub mod memory;
// The workspace's programs read cells and region names with these; a
// program of its own goes through `List` and `CheckRun`.
#[doc(hidden)]
pub mod reading;
#[doc(hidden)]
pub mod regions;
pub mod render;
pub mod report;
pub(crate) mod run;
pub mod sealed;
pub mod since;

pub use run::{CheckError, CheckRun, KeyCacheChoice, Progress, NUMBERS_SOURCE};
pub use sealed::{Evaluation, EvaluationError, Evaluator, SharedEvaluator};

use crate::format::filter::{self, Filter};
use crate::format::normalize::{
    interpret, valid_elsewhere, Interpretation, NormalizeError, ReadOptions, Region,
    METADATA_VERSION,
};
use crate::format::number_key::{BadKdfParams, Kdf, NumberHasher};
use crate::format::snapshot::Snapshot;
use crate::key_cache::KeyCache;
use input::{InputError, InputOptions, Layout, Row};
use rayon::prelude::*;
use reading::CellReading;
use serde::Serialize;
use std::collections::HashMap;

/// Rows hashed together with a fast hash; enough to keep every core busy.
const FAST_BATCH_ROWS: usize = 4096;
/// Rows hashed together with a slow hash: a fraction of a second of work, so
/// progress moves and an interrupted run loses almost nothing.
const SLOW_BATCH_ROWS: usize = 32;

/// Where the keys of numbers come from.
enum Keys {
    /// Hashed here.
    Local(NumberHasher),
    /// A sealed epoch: from the evaluation service, before each batch.
    Sealed {
        public_key: [u8; 32],
        salt: [u8; 32],
    },
}

/// Looks numbers up in one snapshot.
pub struct Checker<'a> {
    keys: Keys,
    // A sealed epoch's items obtained in this run (also cached when a cache is in use).
    obtained: HashMap<String, u64>,
    // The sealed numbers already counted as obtained in this run: one
    // evaluation each, however often they appear.
    counted: std::collections::HashSet<String>,
    evaluator: Option<sealed::SharedEvaluator>,
    filter: &'a Filter,
    cache: Option<KeyCache>,
    // Region cells repeat ("UK", "UK", "Germany"...): read each value once.
    region_values: regions::RegionValues,
}

impl<'a> Checker<'a> {
    /// A checker for a snapshot that has been verified.
    pub fn new(snapshot: &'a Snapshot) -> Result<Self, BadKdfParams> {
        let h = &snapshot.header;
        let keys = match h.kdf {
            Kdf::Voprf { public_key } => Keys::Sealed {
                public_key,
                salt: h.salt,
            },
            kdf => Keys::Local(NumberHasher::new(kdf, h.salt)?),
        };
        Ok(Checker {
            keys,
            obtained: HashMap::new(),
            counted: Default::default(),
            evaluator: None,
            filter: &snapshot.filter,
            cache: None,
            region_values: regions::RegionValues::new(),
        })
    }

    /// Uses (and fills) a cache of items. Only worth it for slow hashes: with
    /// BLAKE3 the hash is cheaper than the cache lookup, so the cache is ignored.
    pub(crate) fn with_cache(mut self, cache: KeyCache) -> Self {
        if self.slow() {
            self.cache = Some(cache);
        }
        self
    }

    /// The cache in use, if any.
    pub fn cache(&self) -> Option<&KeyCache> {
        self.cache.as_ref()
    }

    /// Asks `evaluator` for the keys of a sealed epoch (ignored otherwise).
    pub fn with_evaluator(mut self, evaluator: Option<sealed::SharedEvaluator>) -> Self {
        self.evaluator = evaluator;
        self
    }

    fn slow(&self) -> bool {
        !matches!(&self.keys, Keys::Local(h) if h.kdf() == Kdf::Blake3)
    }

    fn is_sealed(&self) -> bool {
        matches!(self.keys, Keys::Sealed { .. })
    }

    /// Whether an E.164 number may be on the list. In a sealed epoch its key
    /// is asked for first when neither cached nor obtained already.
    pub fn contains_e164(&mut self, e164: &str) -> Result<bool, sealed::EvaluationError> {
        self.obtain(&[e164.to_string()])?;
        Ok(self.filter.contains_item(self.item(e164).0))
    }

    /// The filter item of a number, and whether it was computed or obtained
    /// in this run (not cached). A sealed epoch's numbers are obtained
    /// before their batch is checked ([`Checker::obtain`]).
    fn item(&self, e164: &str) -> (u64, bool) {
        if let Some(item) = self.cache.as_ref().and_then(|c| c.get(e164)) {
            return (item, false);
        }
        match &self.keys {
            Keys::Local(hasher) => (filter::item(&hasher.key(e164)), true),
            Keys::Sealed { .. } => (
                *self
                    .obtained
                    .get(e164)
                    .expect("a sealed epoch's items are obtained before their batch"),
                true,
            ),
        }
    }

    /// In a sealed epoch, obtains the items of `numbers` that are neither
    /// cached nor obtained yet from the evaluation service (nothing to do
    /// otherwise). Returns how many were asked for.
    pub(crate) fn obtain(&mut self, numbers: &[String]) -> Result<usize, sealed::EvaluationError> {
        let Keys::Sealed { public_key, salt } = self.keys else {
            return Ok(0);
        };
        let mut missing: Vec<String> = numbers
            .iter()
            .filter(|n| {
                !self.obtained.contains_key(*n)
                    && self.cache.as_ref().and_then(|c| c.get(n)).is_none()
            })
            .cloned()
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(0);
        }
        let evaluator = self
            .evaluator
            .as_ref()
            .ok_or(sealed::EvaluationError::NoService)?;
        let items = sealed::sealed_items(&*evaluator.0, &public_key, &salt, &missing, &mut |_| {})?;
        let asked = missing.len();
        self.obtained.extend(missing.into_iter().zip(items));
        Ok(asked)
    }

    /// Interprets `text` under `regions` and looks every reading up:
    /// `(reading, possible match)` pairs, or why it is not a number (or, in
    /// a sealed epoch, why its key could not be obtained).
    pub fn check(
        &mut self,
        text: &str,
        regions: &[Region],
    ) -> Result<Vec<(Interpretation, bool)>, String> {
        let readings =
            interpret(text, regions, ReadOptions::default()).map_err(|e| e.to_string())?;
        let numbers: Vec<String> = readings.iter().map(|r| r.e164.clone()).collect();
        self.obtain(&numbers).map_err(|e| e.to_string())?;
        Ok(readings
            .into_iter()
            .map(|r| {
                let hit = self.filter.contains_item(self.item(&r.e164).0);
                (r, hit)
            })
            .collect())
    }
}

/// Characters of a cell or field a report shows at most, half from its start
/// and half from its end: each finding echoes its cell and row, and a cell
/// of up to 32 numbers (FORMAT.md C2) in a 1 MiB line must not make a report,
/// or the memory that holds it, 32 times the input.
pub const ECHO_MAX_CHARS: usize = 1024;

/// `text`, cut in the middle when longer than [`ECHO_MAX_CHARS`]. The cut is
/// marked without digits, so a redacted echo's last two digits stay the text's.
pub(crate) fn echo(text: &str) -> String {
    let count = text.chars().count();
    if count <= ECHO_MAX_CHARS {
        return text.to_string();
    }
    let half = ECHO_MAX_CHARS / 2;
    let head_end = text.char_indices().nth(half).map_or(text.len(), |(i, _)| i);
    let tail_start = text
        .char_indices()
        .nth(count - half)
        .map_or(text.len(), |(i, _)| i);
    format!("{} …[cut]… {}", &text[..head_end], &text[tail_start..])
}

/// Fields a report echoes of a row at most, each cut as [`ECHO_MAX_CHARS`] says.
pub const ECHO_MAX_FIELDS: usize = 64;

fn echo_fields(fields: &[String]) -> Vec<String> {
    let mut shown: Vec<String> = fields
        .iter()
        .take(ECHO_MAX_FIELDS)
        .map(|f| echo(f))
        .collect();
    if fields.len() > ECHO_MAX_FIELDS {
        shown.push(format!(
            "…[{} more fields cut]",
            fields.len() - ECHO_MAX_FIELDS
        ));
    }
    shown
}

/// Where a number was found: one cell of one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Which input (file name, `-` for stdin, `--number`).
    pub source: String,
    /// 1-based line in that input (the argument's position for `--number`).
    pub line: u64,
    /// The column's name.
    pub column: String,
    /// The cell as written.
    pub input: String,
    /// All the row's fields, so the finding can be traced to a person or device.
    pub fields: Vec<String>,
    /// The region the row names, when the number was read under another
    /// one (a JP row's `090-4324-7611` read as an Indian number): such a
    /// match is likely another number altogether, and is said and counted apart.
    pub row_region: Option<String>,
}

impl Occurrence {
    /// `matched only when read as IN; this row says JP`, when it was.
    pub fn region_note(&self, finding: &Finding) -> Option<String> {
        let row = self.row_region.as_ref()?;
        Some(match &finding.region {
            Some(read) => format!("matched only when read as {read}; this row says {row}"),
            None => format!("read as written; this row says {row}"),
        })
    }
}

/// A number, with every row that holds it: a possible match or a doubtful number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The E.164 form looked up.
    pub e164: String,
    /// The default region that gave this reading; `None` when the number was
    /// written in international format.
    pub region: Option<String>,
    /// Whether the number is in a range the metadata knows as allocated.
    pub valid: bool,
    /// Why the number is doubtful, and what it would be elsewhere.
    pub note: Option<String>,
    /// Every cell that holds it, in input order.
    pub occurrences: Vec<Occurrence>,
    /// Whether the last run over the same inputs did not find it; `None`
    /// when no earlier run is known ([`since::RunMemory`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<bool>,
}

/// What kind of problem a [`Problem`] is: what a program branches on (the
/// `reason` beside it is for people). Serialized as one snake_case word:
/// `row`, `unreadable`, `unknown_region`, or the reason a cell is not a
/// number (`needs_region`, `letters`, `date`, `too_short`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The whole row could not be read as a record.
    Row,
    /// The row has no readable text in this column (a missing field, bytes
    /// the encoding cannot decode).
    Unreadable,
    /// The row's region cell names no region this tool knows; the default
    /// regions were used.
    UnknownRegion,
    /// The cell's text is not a phone number, for this reason.
    #[serde(untagged)]
    NotANumber(NormalizeError),
}

/// A cell or row that could not be checked as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Which input.
    pub source: String,
    /// 1-based line.
    pub line: u64,
    /// The column's name.
    pub column: String,
    /// The cell as written.
    pub input: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, and what happened instead.
    pub reason: String,
    /// All the row's fields.
    #[serde(skip)]
    pub fields: Vec<String>,
}

/// How one input was read and what it held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    /// File name, `-` for stdin, `--number` for arguments.
    pub name: String,
    /// How it was read (encoding, delimiter, columns); `None` for arguments.
    pub layout: Option<Layout>,
    /// SHA-256 of its bytes, once completely read.
    pub sha256: Option<String>,
    /// Data rows read.
    pub rows: u64,
    /// Cells read in the checked columns.
    pub cells: u64,
    /// Of those, empty ones (not problems: optional cells).
    pub empty: u64,
    /// Cells that are numbers and were checked.
    pub checked: u64,
    /// Cells that are not numbers (listed as problems, not checked).
    pub not_numbers: u64,
    /// Bytes the encoding could not decode, and where.
    pub encoding_problem: Option<String>,
    /// What else reading it warned about (records over several lines).
    pub warnings: Vec<String>,
    /// Lines inside quoted fields that looked like rows (a quote left
    /// open?) and were read again as rows: the input is damaged.
    pub reread_rows: u64,
    /// Whether a quote left open may have hidden rows (they were read
    /// again, but the file needs fixing): a run over it is never clean.
    pub damaged: bool,
    /// Why the input stopped before its end (unreadable, no phone column, a
    /// malformed line): what was read before counts, the rest was not
    /// checked, and a run over it is never clean.
    pub failed: Option<String>,
}

impl SourceSummary {
    /// Takes what reading the input found besides its cells: undecodable
    /// bytes, records over several lines, unchecked columns of phone-shaped
    /// values.
    pub(crate) fn note_reading(&mut self, read: &input::DecodeProblem) {
        self.encoding_problem = read.warning();
        self.damaged = read.swallowed_rows();
        self.warnings.extend(read.multiline_warning());
        self.warnings.extend(read.unchecked_numbers_warning());
    }

    /// Every warning about this input, as reports show them.
    pub fn all_warnings(&self) -> impl Iterator<Item = &String> {
        self.layout
            .iter()
            .flat_map(|l| &l.warnings)
            .chain(&self.encoding_problem)
            .chain(&self.warnings)
    }

    /// Whether numbers in it may have gone unread (a quoted field over
    /// several lines, phone columns not checked): `--strict` counts it.
    pub fn warned(&self) -> bool {
        !self.warnings.is_empty() || self.layout.as_ref().is_some_and(|l| !l.warnings.is_empty())
    }
}

/// Totals and findings of a check run. Serializes (with serde) to what a
/// binding hands its caller; the reports in [`render`] are for people and tools.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// Every input, in order.
    pub sources: Vec<SourceSummary>,
    /// Data rows read.
    pub rows: u64,
    /// Cells read in checked columns.
    pub cells: u64,
    /// Empty cells.
    pub empty: u64,
    /// Cells that were numbers and were checked.
    pub checked: u64,
    /// Readings looked up: a national number read under several regions counts
    /// once per reading (the false-match expectation scales with this).
    pub lookups: u64,
    /// Checked cells whose every reading is only possible, not valid.
    pub possible_only: u64,
    /// Keys that came from the cache.
    pub cached: u64,
    /// Keys computed (hashed) in this run.
    pub hashed: u64,
    /// Possible matches, one per number, in order of first occurrence.
    pub matches: Vec<Finding>,
    /// Numbers checked but doubtful (only possible for the region used), one per number.
    pub warnings: Vec<Finding>,
    /// Cells that are not numbers.
    pub invalid: Vec<Problem>,
    /// Row regions that were not understood (the default regions were used).
    pub region_problems: Vec<Problem>,
    /// When the last run over the same inputs was, if one is remembered
    /// ([`since::RunMemory`]): what [`Finding::new`] compares with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_run: Option<String>,
    #[serde(skip)]
    match_index: HashMap<String, usize>,
    #[serde(skip)]
    warning_index: HashMap<String, usize>,
    // One verdict per cell, kept only while a column is checked
    // ([`CheckRun::column`]).
    #[serde(skip)]
    pub(crate) verdicts: Option<Vec<column::CellVerdict>>,
}

/// How to read and check rows. Built from the default with the `with_*`
/// methods, so new options never break a caller:
/// `CheckOptions::default().with_regions([Region::parse("US")?])`.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Regions for numbers in national format (each reading is checked),
    /// unless a row names its own.
    pub regions: Vec<Region>,
    /// Columns, region column and encoding.
    pub input: InputOptions,
    /// Letters and other reading rules.
    pub read: ReadOptions,
    /// Hashing threads; `None`: rayon's default pool (one per core).
    pub threads: Option<usize>,
    /// Which per-number key cache to use (slow hashes only).
    pub key_cache: run::KeyCacheChoice,
    /// Leave out what gives inputs back (their SHA-256): reports may leave the company.
    pub redact: bool,
    /// Bytes the hashing may hold at once; `None`: [`memory::default_budget`].
    /// With Argon2id it sets how many hashes run at once.
    pub memory_budget: Option<u64>,
    /// Where a sealed snapshot's keys are asked for (unused otherwise).
    pub evaluator: Option<SharedEvaluator>,
}

impl CheckOptions {
    /// The default regions for national numbers.
    pub fn with_regions(mut self, regions: impl IntoIterator<Item = Region>) -> Self {
        self.regions = regions.into_iter().collect();
        self
    }

    /// How inputs are read (columns, region column, encoding).
    pub fn with_input(mut self, input: InputOptions) -> Self {
        self.input = input;
        self
    }

    /// The reading rules (letters).
    pub fn with_read(mut self, read: ReadOptions) -> Self {
        self.read = read;
        self
    }

    /// The number of hashing threads.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The key cache.
    pub fn with_key_cache(mut self, choice: run::KeyCacheChoice) -> Self {
        self.key_cache = choice;
        self
    }

    /// The memory hashing may hold at once, in bytes.
    pub fn with_memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = Some(bytes);
        self
    }

    /// The evaluation service of a sealed snapshot.
    pub fn with_evaluator(mut self, evaluator: impl Evaluator + 'static) -> Self {
        self.evaluator = Some(SharedEvaluator(std::sync::Arc::new(evaluator)));
        self
    }

    /// Whether to leave out the inputs' digests.
    pub fn with_redact(mut self, redact: bool) -> Self {
        self.redact = redact;
        self
    }
}

/// What one cell turned out to be.
enum CellResult {
    Empty,
    NotANumber(ProblemKind, String),
    Numbers {
        readings: Vec<(Interpretation, bool, Option<u64>)>,
    },
}

struct RowResult {
    cells: Vec<CellResult>,
    region_problem: Option<String>,
    /// The region the row itself names, whose reading decides whether a
    /// national number is doubtful.
    row_region: Option<Region>,
}

impl Outcome {
    /// Possible matches (cells) read under another region than their row
    /// names ([`Occurrence::row_region`]): counted apart, as they are likely
    /// other numbers.
    pub fn other_region_matches(&self) -> usize {
        self.matches
            .iter()
            .flat_map(|f| &f.occurrences)
            .filter(|o| o.row_region.is_some())
            .count()
    }

    /// Distinct numbers among the possible matches, the rows and the cells
    /// holding them (a row can hold a number in two columns).
    pub fn match_counts(&self) -> (usize, usize, usize) {
        let places = || self.matches.iter().flat_map(|f| &f.occurrences);
        let rows: std::collections::HashSet<(&str, u64)> =
            places().map(|o| (o.source.as_str(), o.line)).collect();
        // Two numbers of one cell are two matches in one cell.
        let cells: std::collections::HashSet<(&str, u64, &str)> = places()
            .map(|o| (o.source.as_str(), o.line, o.column.as_str()))
            .collect();
        (self.matches.len(), rows.len(), cells.len())
    }

    /// Whose row an occurrence is in, for a one-line summary: the values of
    /// the columns whose names say so (`Name`, `Employee`, `氏名`;
    /// not a phone column such as `Employee Phone`), or, when the input has none (or no header), the
    /// row's first fields, marked `row starts:` so a reader does not take
    /// them for a name. At most `max_chars` characters.
    pub fn holder(&self, o: &Occurrence, max_chars: usize) -> String {
        let headers = self
            .sources
            .iter()
            .find(|s| s.name == o.source)
            .and_then(|s| s.layout.as_ref())
            .and_then(|l| l.headers.as_ref());
        let named: Vec<&str> = headers
            .map(|h| {
                h.iter()
                    .enumerate()
                    .filter(|(_, name)| columns::names_a_holder(name))
                    .filter_map(|(i, _)| o.fields.get(i))
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .take(3)
                    .collect()
            })
            .unwrap_or_default();
        let text = if named.is_empty() {
            let start: Vec<&str> = o.fields.iter().take(4).map(String::as_str).collect();
            if start.is_empty() {
                return String::new();
            }
            format!("row starts: {}", start.join(" | "))
        } else {
            named.join(", ")
        };
        let mut cut: String = text.chars().take(max_chars).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        cut
    }

    /// Whether an input's quotes may have hidden rows ([`SourceSummary::damaged`]).
    pub fn damaged(&self) -> bool {
        self.sources.iter().any(|s| s.damaged)
    }

    /// Inputs that could not be read to their end ([`SourceSummary::failed`]).
    pub fn failed_inputs(&self) -> usize {
        self.sources.iter().filter(|s| s.failed.is_some()).count()
    }

    /// Whether listed numbers may have gone unread whatever the caller's
    /// strictness: a damaged input or one not read to its end.
    pub fn never_clean(&self) -> bool {
        self.damaged() || self.failed_inputs() > 0
    }

    /// Whether every non-empty cell was a number (nothing left unchecked).
    pub fn complete(&self) -> bool {
        // Warnings about an input (rows read as text inside a quoted field,
        // phone columns not checked) mean numbers may have gone unread.
        self.invalid.is_empty()
            && !self.sources.iter().any(SourceSummary::warned)
            && self.failed_inputs() == 0
    }

    /// The summary of `source`, added when first seen.
    pub(crate) fn source_mut(&mut self, name: &str) -> &mut SourceSummary {
        match self.sources.iter().position(|s| s.name == name) {
            Some(i) => &mut self.sources[i],
            None => {
                self.sources.push(SourceSummary {
                    name: name.to_string(),
                    ..SourceSummary::default()
                });
                self.sources.last_mut().expect("just pushed")
            }
        }
    }

    /// Checks every row from `rows`, labelled `source`, adding to the totals;
    /// `on_batch` runs after each batch (for progress reports) and says
    /// whether to go on. `layout` names the columns the rows' cells come
    /// from. `Ok(false)`: stopped by `on_batch` before the rows ended.
    pub(crate) fn check_rows<I>(
        &mut self,
        checker: &mut Checker<'_>,
        options: &CheckOptions,
        source: &str,
        layout: Option<&Layout>,
        rows: I,
        on_batch: &mut dyn FnMut(&Outcome) -> bool,
    ) -> Result<bool, CheckError>
    where
        I: Iterator<Item = Result<Row, InputError>> + Send,
    {
        if let Some(layout) = layout {
            self.source_mut(source).layout = Some(layout.clone());
        } else {
            self.source_mut(source);
        }
        let column_name = |i: usize| {
            layout
                .and_then(|l| l.columns.get(i))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "number".into())
        };
        let batch_rows = if checker.slow() && !checker.is_sealed() {
            SLOW_BATCH_ROWS
        } else {
            FAST_BATCH_ROWS
        };
        // Reading (decoding, CSV, SHA-256) runs on its own thread, a batch
        // ahead, while the previous batch is checked: on two cores that turns
        // a serial third of the work into overlapped work.
        std::thread::scope(|scope| {
            let (send, batches) = std::sync::mpsc::sync_channel(2);
            scope.spawn(move || read_batches(rows, batch_rows, &send));
            for batch in batches {
                let mut batch = batch.map_err(|error| CheckError::Input {
                    input: source.to_string(),
                    error,
                })?;
                if checker.is_sealed() {
                    // One request (or a few) per batch, before its rows are checked.
                    let numbers = batch_readings(checker, options, &batch);
                    checker.obtain(&numbers)?;
                }
                let shared: &Checker<'_> = checker;
                let results: Vec<RowResult> = batch
                    .par_iter()
                    .map(|row| check_row(shared, options, row))
                    .collect();
                for (row, result) in batch.drain(..).zip(results) {
                    self.record_row(checker, options, source, &column_name, row, result);
                }
                if let Some(cache) = checker.cache.as_mut() {
                    // A cache that cannot be written only costs speed next time.
                    let _ = cache.flush();
                }
                if !on_batch(self) {
                    // Dropping the receiver stops the reading thread.
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn record_row(
        &mut self,
        checker: &mut Checker<'_>,
        options: &CheckOptions,
        source: &str,
        column_name: &dyn Fn(usize) -> String,
        row: Row,
        result: RowResult,
    ) {
        let at = self.source_index(source);
        if row.reread {
            // Its numbers count; its other cells are the text of a field,
            // as the record read first says.
            self.sources[at].reread_rows += 1;
            self.record_reread(checker, options, source, column_name, row, result);
            return;
        }
        self.rows += 1;
        self.sources[at].rows += 1;
        if let Some(reason) = &row.problem {
            self.sources[at].not_numbers += 1;
            self.invalid.push(Problem {
                source: source.to_string(),
                line: row.line,
                column: "(the whole row)".into(),
                input: String::new(),
                kind: ProblemKind::Row,
                reason: reason.clone(),
                fields: echo_fields(&row.fields),
            });
        }
        // Only a column's verdicts carry it; a report has region_problems.
        let region_note = self
            .verdicts
            .is_some()
            .then(|| result.region_problem.clone())
            .flatten();
        if let Some(reason) = result.region_problem {
            self.region_problems.push(Problem {
                source: source.to_string(),
                line: row.line,
                column: "region".into(),
                input: echo(row.region.as_deref().unwrap_or_default()),
                kind: ProblemKind::UnknownRegion,
                reason,
                fields: echo_fields(&row.fields),
            });
        }
        // Strings are built only for what is reported: most cells are checked
        // numbers that match nothing.
        for (cell, outcome) in row.cells.iter().zip(result.cells) {
            let input = || echo(cell.value.as_deref().unwrap_or_default());
            self.cells += 1;
            self.sources[at].cells += 1;
            let mut verdict = self.verdicts.is_some().then(|| column::CellVerdict {
                note: region_note.clone(),
                ..Default::default()
            });
            match outcome {
                CellResult::Empty => {
                    self.sources[at].empty += 1;
                    self.empty += 1;
                    if let Some(v) = verdict.as_mut() {
                        // No number: the row's region does not matter to it.
                        v.status = column::CellStatus::Empty;
                        v.note = None;
                    }
                }
                CellResult::NotANumber(kind, reason) => {
                    if let Some(v) = verdict.as_mut() {
                        v.status = if kind == ProblemKind::Unreadable {
                            column::CellStatus::Unreadable
                        } else {
                            column::CellStatus::NotANumber
                        };
                        v.kind = Some(kind);
                        v.reason = Some(reason.clone());
                    }
                    self.sources[at].not_numbers += 1;
                    self.invalid.push(Problem {
                        source: source.to_string(),
                        line: row.line,
                        column: column_name(cell.column),
                        input: input(),
                        kind,
                        reason,
                        fields: echo_fields(&row.fields),
                    });
                }
                CellResult::Numbers { readings } => {
                    self.sources[at].checked += 1;
                    self.checked += 1;
                    let occurrence = |reading: &Interpretation| Occurrence {
                        source: source.to_string(),
                        line: row.line,
                        column: column_name(cell.column),
                        input: input(),
                        fields: echo_fields(&row.fields),
                        row_region: match (result.row_region, reading.region) {
                            (Some(own), Some(read)) if own != read => Some(own.to_string()),
                            _ => None,
                        },
                    };
                    // A number is sound when the reading that should apply is
                    // valid: the row's own region's when it names one (a valid
                    // reading elsewhere does not make a UK row's number sound),
                    // else any reading's.
                    // Each number of the cell (one, or several in `a, b`)
                    // is judged on its own readings.
                    let sound_of = |part: usize| {
                        readings.iter().any(|(r, _, _)| {
                            r.part == part
                                && r.valid
                                && (result.row_region.is_none()
                                    || r.region.is_none()
                                    || r.region == result.row_region)
                        })
                    };
                    let parts = readings.iter().map(|(r, _, _)| r.part).max().unwrap_or(0) + 1;
                    let sound: Vec<bool> = (0..parts).map(sound_of).collect();
                    if sound.contains(&false) {
                        self.possible_only += 1;
                    }
                    // A doubtful number with no match is listed once, under the
                    // reading that should apply (the hint names the others).
                    let any_hit: Vec<bool> = (0..parts)
                        .map(|p| readings.iter().any(|(r, hit, _)| r.part == p && *hit))
                        .collect();
                    let primary: Vec<usize> = (0..parts)
                        .map(|p| {
                            let of_part = || {
                                readings
                                    .iter()
                                    .enumerate()
                                    .filter(move |(_, (r, _, _))| r.part == p)
                            };
                            of_part()
                                .find(|(_, (r, _, _))| {
                                    result.row_region.is_some() && r.region == result.row_region
                                })
                                .or_else(|| of_part().next())
                                .map_or(0, |(i, _)| i)
                        })
                        .collect();
                    if let Some(v) = verdict.as_mut() {
                        let matched = any_hit.contains(&true);
                        v.status = match (matched, sound.contains(&false)) {
                            (true, _) => column::CellStatus::Match,
                            (false, true) => column::CellStatus::Doubtful,
                            (false, false) => column::CellStatus::Clear,
                        };
                        // A match shows the readings that matched, and is
                        // valid only if they are; otherwise every reading
                        // looked up is shown, as none of them is a guess.
                        let shown: Vec<&Interpretation> = readings
                            .iter()
                            .filter(|(_, hit, _)| *hit || !matched)
                            .map(|(r, _, _)| r)
                            .collect();
                        v.valid = Some(if matched {
                            shown.iter().all(|r| r.valid)
                        } else {
                            !sound.contains(&false)
                        });
                        let mut numbers: Vec<&str> = Vec::with_capacity(shown.len());
                        for r in shown {
                            if !numbers.contains(&r.e164.as_str()) {
                                numbers.push(&r.e164);
                            }
                        }
                        v.e164 = Some(numbers.join(", "));
                    }
                    for (i, (reading, hit, new_item)) in readings.into_iter().enumerate() {
                        self.lookups += 1;
                        let first = new_item.is_some()
                            && (!checker.is_sealed()
                                || checker.counted.insert(reading.e164.clone()));
                        match (new_item, first, checker.cache.as_mut()) {
                            (Some(item), true, Some(cache)) => {
                                cache.insert(&reading.e164, item);
                                self.hashed += 1;
                            }
                            (Some(_), true, None) => self.hashed += 1,
                            _ => self.cached += 1,
                        }
                        if hit {
                            let note =
                                reading_note(&input(), &reading, sound[reading.part], options);
                            let at = add(
                                &mut self.matches,
                                &mut self.match_index,
                                &reading,
                                note,
                                occurrence(&reading),
                            );
                            if let Some(v) = verdict.as_mut() {
                                let finding = &self.matches[at];
                                let place = finding.occurrences.last().expect("just added");
                                if let Some(region) = place.region_note(finding) {
                                    v.add_note(region);
                                    v.row_region.clone_from(&place.row_region);
                                }
                                if let Some(note) = &finding.note {
                                    v.add_note(note.as_str());
                                }
                            }
                        } else if !sound[reading.part]
                            && !any_hit[reading.part]
                            && i == primary[reading.part]
                        {
                            let known = self.warning_index.contains_key(&reading.e164);
                            let note = if known {
                                None
                            } else {
                                reading_note(&input(), &reading, false, options)
                            };
                            let at = add(
                                &mut self.warnings,
                                &mut self.warning_index,
                                &reading,
                                note,
                                occurrence(&reading),
                            );
                            if let Some(note) = &self.warnings[at].note {
                                if let Some(v) = verdict.as_mut() {
                                    if v.status == column::CellStatus::Doubtful {
                                        v.add_note(note.as_str());
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let (Some(v), Some(all)) = (verdict, self.verdicts.as_mut()) {
                all.push(v);
            }
        }
    }

    /// A line read again from inside a quoted field: only the cells that
    /// are numbers are recorded, each marked where it came from.
    fn record_reread(
        &mut self,
        checker: &mut Checker<'_>,
        options: &CheckOptions,
        source: &str,
        column_name: &dyn Fn(usize) -> String,
        mut row: Row,
        mut result: RowResult,
    ) {
        let numbers: Vec<usize> = (0..result.cells.len())
            .filter(|&i| matches!(result.cells[i], CellResult::Numbers { .. }))
            .collect();
        row.cells = numbers.iter().map(|&i| row.cells[i].clone()).collect();
        result.cells = std::mem::take(&mut result.cells)
            .into_iter()
            .filter(|c| matches!(c, CellResult::Numbers { .. }))
            .collect();
        result.region_problem = None;
        let rows = self.rows;
        let at = self.source_index(source);
        let source_rows = self.sources[at].rows;
        let marked = |i: usize| format!("{} (line inside a quoted field)", column_name(i));
        row.reread = false;
        self.record_row(checker, options, source, &marked, row, result);
        // Its cells count as checked, not as rows read: the record that
        // holds the line was counted already.
        self.rows = rows;
        self.sources[at].rows = source_rows;
    }

    fn source_index(&mut self, name: &str) -> usize {
        // The current source is the last one almost always.
        match self.sources.iter().rposition(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.source_mut(name);
                self.sources.len() - 1
            }
        }
    }
}

/// Sends `rows` in batches until they end, the receiver hangs up, or a read
/// fails (the error is sent instead of the partial batch: the run stops there).
fn read_batches<I>(
    mut rows: I,
    batch_rows: usize,
    send: &std::sync::mpsc::SyncSender<Result<Vec<Row>, InputError>>,
) where
    I: Iterator<Item = Result<Row, InputError>>,
{
    loop {
        let mut batch = Vec::with_capacity(batch_rows);
        for row in rows.by_ref().take(batch_rows) {
            match row {
                Ok(row) => batch.push(row),
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            }
        }
        let last = batch.len() < batch_rows;
        if batch.is_empty() || send.send(Ok(batch)).is_err() || last {
            return;
        }
    }
}

/// Adds an occurrence to the finding for its number, creating it first.
fn add(
    list: &mut Vec<Finding>,
    index: &mut HashMap<String, usize>,
    reading: &Interpretation,
    note: Option<String>,
    occurrence: Occurrence,
) -> usize {
    let at = *index.entry(reading.e164.clone()).or_insert_with(|| {
        list.push(Finding {
            e164: reading.e164.clone(),
            region: reading.region.map(|r| r.to_string()),
            valid: reading.valid,
            note,
            occurrences: Vec::new(),
            new: None,
        });
        list.len() - 1
    });
    list[at].occurrences.push(occurrence);
    at
}

/// What a match read from digits alone says: the `+` was the tool's doing.
pub const PLUS_ADDED_NOTE: &str = "digits alone, read as an international number with + added \
     (an MSISDN column, or a spreadsheet that dropped the +)";

/// What a finding says about how its number was read: the `+` the tool
/// added, and why a number that is not sound is doubtful.
fn reading_note(
    input: &str,
    reading: &Interpretation,
    sound: bool,
    options: &CheckOptions,
) -> Option<String> {
    let doubt = (!sound || !reading.valid).then(|| doubt_note(input, reading, options));
    match (reading.plus_added, doubt) {
        (false, doubt) => doubt,
        (true, _) if reading.valid => Some(PLUS_ADDED_NOTE.to_string()),
        (true, doubt) => Some(format!("{PLUS_ADDED_NOTE}; {}", doubt.unwrap_or_default())),
    }
}

/// Regions named first in hints, by how often company inventories hold them.
const COMMON_REGIONS: &[&str] = &[
    "GB", "US", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "CA", "AU", "IN", "PL", "SE",
    "NO", "DK", "FI", "PT", "MX", "BR",
];

/// Why a number is only possible, and where it would be valid.
fn doubt_note(input: &str, reading: &Interpretation, options: &CheckOptions) -> String {
    let Some(region) = reading.region else {
        return format!(
            "not in a range allocated in numbering-plan metadata {METADATA_VERSION} (a new range, or a typo)"
        );
    };
    let mut elsewhere = valid_elsewhere(input, &[region]);
    // The regions the user listed first, then the ones company inventories
    // most often hold, then the rest: a hint, not a guess.
    elsewhere.sort_by_key(|(r, _)| {
        let code = r.to_string();
        let common = COMMON_REGIONS.iter().position(|c| *c == code);
        (
            !options.regions.contains(r),
            common.unwrap_or(usize::MAX),
            code,
        )
    });
    let mut seen = std::collections::HashSet::new();
    elsewhere.retain(|(_, e164)| seen.insert(e164.clone()));
    let shown: Vec<String> = elsewhere
        .iter()
        .take(3)
        .map(|(r, e)| format!("{r} {e}"))
        .collect();
    match elsewhere.len() {
        0 => format!("not a valid {region} number (possible length only)"),
        n if n > shown.len() => format!(
            "not a valid {region} number; valid as {} (and in {} other regions)",
            shown.join(", "),
            n - shown.len()
        ),
        _ => format!("not a valid {region} number; valid as {}", shown.join(", ")),
    }
}

/// Every reading the rows of `batch` give, as [`check_row`] reads them.
fn batch_readings(checker: &Checker<'_>, options: &CheckOptions, batch: &[Row]) -> Vec<String> {
    let mut numbers = Vec::new();
    for row in batch {
        let row_regions = reading::row_regions(
            row.region.as_deref(),
            &options.regions,
            &checker.region_values,
        );
        for cell in &row.cells {
            if let CellReading::Numbers(readings) = reading::read_cell(
                &cell.value,
                &row_regions.regions,
                options.read,
                &options.input.names,
            ) {
                numbers.extend(readings.into_iter().map(|r| r.e164));
            }
        }
    }
    numbers
}

fn check_row(checker: &Checker<'_>, options: &CheckOptions, row: &Row) -> RowResult {
    // Read once: the row's own region, or why its cell names none.
    let row_regions = reading::row_regions(
        row.region.as_deref(),
        &options.regions,
        &checker.region_values,
    );
    let region_problem = row_regions.unknown.as_ref().map(|e| {
        format!(
            "{e}; used {}",
            if options.regions.is_empty() {
                "no region (only international numbers can be read)".to_string()
            } else {
                regions_text(&options.regions)
            }
        )
    });
    let row_region = row_regions.own;
    let cells = row
        .cells
        .iter()
        .map(|cell| {
            match reading::read_cell(
                &cell.value,
                &row_regions.regions,
                options.read,
                &options.input.names,
            ) {
                CellReading::Empty => CellResult::Empty,
                CellReading::NotANumber(kind, reason) => CellResult::NotANumber(kind, reason),
                CellReading::Numbers(readings) => CellResult::Numbers {
                    readings: readings
                        .into_iter()
                        .map(|r| {
                            let (item, computed) = checker.item(&r.e164);
                            let hit = checker.filter.contains_item(item);
                            (r, hit, computed.then_some(item))
                        })
                        .collect(),
                },
            }
        })
        .collect();
    RowResult {
        cells,
        region_problem,
        row_region,
    }
}

pub use reading::row_first;

/// `DE, GB, US`.
pub fn regions_text(regions: &[Region]) -> String {
    regions
        .iter()
        .map(Region::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::number_key::Kdf;
    use crate::publish::{build_snapshot, BuildParams};
    use std::io::BufRead;

    fn check_input(
        snapshot: &Snapshot,
        input: Box<dyn BufRead + Send>,
        source: &str,
        options: &CheckOptions,
    ) -> Result<Outcome, run::CheckError> {
        let mut run = run::CheckRun::new(snapshot, options)?;
        run.reader(input, source)?;
        Ok(run.finish())
    }

    fn snapshot(numbers: &[&str]) -> Snapshot {
        let numbers: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
        build_snapshot(
            &numbers,
            &BuildParams {
                sequence: 1,
                created: 0,
                expires: 10,
                previous: [0; 32],
                kdf: Kdf::Blake3,
                salt: [1; 32],
                epoch: crate::publish::SaltEpoch::starting(0, 1_000_000, Kdf::Blake3, [0xEE; 32]),
                contact: Default::default(),
                sealing: None,
                fp_rate: 1e-6,
            },
        )
        .unwrap()
    }

    fn run(snapshot: &Snapshot, regions: &[&str], text: &str) -> Outcome {
        let options = CheckOptions {
            regions: regions.iter().map(|r| Region::parse(r).unwrap()).collect(),
            ..CheckOptions::default()
        };
        check_input(
            snapshot,
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            "test",
            &options,
        )
        .unwrap()
    }

    #[test]
    fn hits_misses_empty_and_invalid_cells_are_counted_apart() {
        let snapshot = snapshot(&["+13135550101", "+13135550199"]);
        let outcome = run(
            &snapshot,
            &["US"],
            "Name,Desk Phone,Mobile Phone\nAna,(313) 555-0101,\nBen,313 555 0150,V-20000\nCy,,+1 313 555 0199\nDi,2026-11-29,(313) 555-0101\n",
        );
        assert_eq!((outcome.rows, outcome.cells, outcome.empty), (4, 8, 2));
        assert_eq!(outcome.checked, 4);
        assert_eq!(outcome.invalid.len(), 2, "{:?}", outcome.invalid);
        assert!(outcome.invalid[0].reason.contains("letters"));
        assert!(outcome.invalid[1].reason.contains("date"));
        let numbers: Vec<&str> = outcome.matches.iter().map(|f| f.e164.as_str()).collect();
        assert_eq!(numbers, ["+13135550101", "+13135550199"]);
        let lines: Vec<u64> = outcome.matches[0]
            .occurrences
            .iter()
            .map(|o| o.line)
            .collect();
        assert_eq!(lines, [2, 5], "one finding per number, every row under it");
        assert_eq!(outcome.match_counts(), (2, 3, 3));
        assert_eq!(outcome.matches[0].occurrences[1].column, "Mobile Phone");
    }

    #[test]
    fn a_national_number_is_checked_under_every_listed_region() {
        let snapshot = snapshot(&["+447700900461"]);
        let outcome = run(&snapshot, &["DE", "GB", "US"], "phone\n07700 900461\n");
        assert_eq!(outcome.matches.len(), 1);
        assert_eq!(outcome.matches[0].region.as_deref(), Some("GB"));
        assert!(outcome.lookups >= 2, "every possible reading is looked up");
    }

    #[test]
    fn a_long_cell_or_row_is_echoed_cut_in_the_middle() {
        assert_eq!(echo("+1 313 555 0101"), "+1 313 555 0101");
        let long = format!("313 555 0101{}313 555 0142", " ".repeat(300_000));
        let cut = echo(&long);
        assert!(cut.len() < ECHO_MAX_CHARS + 20, "{}", cut.len());
        assert!(cut.starts_with("313 555 0101") && cut.ends_with("313 555 0142"));
        assert_eq!(render::redact_number(&cut), "…42", "the cut adds no digit");
        let wide: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let shown = echo_fields(&wide);
        assert_eq!(shown.len(), ECHO_MAX_FIELDS + 1);
        assert_eq!(shown.last().unwrap(), "…[36 more fields cut]");
        let ja = "電話".repeat(600);
        assert!(echo(&ja).starts_with("電話"), "cut on a character boundary");
    }

    #[test]
    fn an_only_possible_number_is_checked_and_warned_with_a_hint() {
        let snapshot = snapshot(&["+13135550101"]);
        let options = CheckOptions {
            input: InputOptions {
                region_column: Some(input::ColumnSpec::parse("country")),
                ..InputOptions::default()
            },
            ..CheckOptions::default()
        };
        let outcome = check_input(
            &snapshot,
            Box::new(std::io::Cursor::new(
                b"phone,country\n7911123456,US\n".to_vec(),
            )),
            "t",
            &options,
        )
        .unwrap();
        assert_eq!(outcome.checked, 1);
        assert_eq!(outcome.possible_only, 1);
        let w = &outcome.warnings[0];
        // libphonenumber's example UK mobile, its leading zero lost, on a US row.
        assert_eq!(w.e164, "+17911123456");
        let note = w.note.as_deref().unwrap();
        assert!(
            note.starts_with("not a valid US number; valid as GB +447911123456"),
            "{note}"
        );
    }

    #[test]
    fn an_international_number_is_read_whatever_its_rows_region() {
        let snapshot = snapshot(&["+4930901820"]);
        let options = CheckOptions {
            input: InputOptions {
                region_column: Some(input::ColumnSpec::parse("Land")),
                ..InputOptions::default()
            },
            ..CheckOptions::default()
        };
        let outcome = check_input(
            &snapshot,
            Box::new(std::io::Cursor::new(
                b"Telefon,Land\n+49 30 901820,Atlantis\n".to_vec(),
            )),
            "t",
            &options,
        )
        .unwrap();
        assert_eq!(outcome.matches.len(), 1);
        assert_eq!(
            outcome.region_problems.len(),
            1,
            "the unknown region is warned about"
        );
    }

    /// Rows are read a batch ahead on another thread: every row of every
    /// batch is counted, whether the last batch is full or not, and a read
    /// error several batches in still stops the run.
    #[test]
    fn rows_read_ahead_are_all_checked_and_a_late_error_stops_the_run() {
        let snapshot = snapshot(&["+13135550101"]);
        let numbers = |n: usize| -> String {
            (0..n)
                .map(|i| format!("(313) 556-{:04}\n", i % 10_000))
                .collect()
        };
        for rows in [
            FAST_BATCH_ROWS,
            2 * FAST_BATCH_ROWS,
            2 * FAST_BATCH_ROWS + 1,
        ] {
            let text = format!("{}(313) 555-0101\n", numbers(rows - 1));
            let outcome = run(&snapshot, &["US"], &text);
            assert_eq!((outcome.rows, outcome.checked), (rows as u64, rows as u64));
            assert_eq!(outcome.matches.len(), 1, "the last row's match is found");
        }
        let rows: String = numbers(3 * FAST_BATCH_ROWS)
            .lines()
            .map(|n| format!("Ana,{n}\n"))
            .collect();
        let late = format!("Name,Phone\n{rows}Ben,\"(313) 555-0101\n");
        let error = check_input(
            &snapshot,
            Box::new(std::io::Cursor::new(late.into_bytes())),
            "test",
            &CheckOptions::default(),
        )
        .map(|o| o.rows)
        .expect_err("an unclosed quote after three batches is an error");
        assert!(error.to_string().contains("never closed"), "{error}");
    }
}
