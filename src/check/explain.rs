//! How each cell of the inputs would be read, with no list and no lookup:
//! the answer to "why was this row (not) checked?". The same reading as a
//! check ([`super::reading`]), told cell by cell.

use super::input::{InputOptions, Layout, Row, RowReader};
use super::reading::{read_cell, row_regions, CellReading};
use super::regions::RegionValues;
use super::render::visible;
use super::{regions_text, CheckError, CheckOptions, ProblemKind, NUMBERS_SOURCE};
use crate::format::normalize::ReadOptions;
use crate::format::number_key::NumberHasher;
use crate::format::snapshot::Snapshot;
use crate::key_cache::KeyCache;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::BufRead;

/// Every input's layout and every cell's readings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Explanation {
    /// How each input was read.
    pub inputs: Vec<ExplainedInput>,
    /// The default regions, as codes.
    pub default_regions: Vec<String>,
    /// Each cell (and each row whose shape is doubtful), in input order.
    pub cells: Vec<ExplainedCell>,
    /// What a check would cost against a snapshot, when one was given
    /// ([`Explanation::cost`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
}

/// How one input was read.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainedInput {
    /// Its name.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Encoding, delimiter, columns and warnings.
    pub layout: Layout,
}

/// One cell, and what it reads as.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainedCell {
    /// Which input.
    pub source: String,
    /// 1-based line.
    pub line: u64,
    /// The column's name.
    pub column: String,
    /// The cell as written.
    pub input: String,
    /// The regions it is read under, with what the row's region cell said.
    pub regions: String,
    /// What it reads as.
    pub result: CellVerdict,
}

/// What a cell reads as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CellVerdict {
    /// Not a number (or a row whose cells may have shifted).
    NotANumber {
        /// Why, in words.
        error: String,
        /// The kind of problem.
        kind: ProblemKind,
    },
    /// Nothing but white space.
    Empty {
        /// Always true.
        empty: bool,
    },
    /// Each reading a check would look up.
    Readings(Vec<ExplainedReading>),
}

/// One reading of a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExplainedReading {
    /// The E.164 form.
    pub e164: String,
    /// The region it was read in; `None` when written internationally.
    pub region: Option<String>,
    /// Whether the number is in an allocated range.
    pub valid: bool,
    /// Digits alone, read with `+` added.
    pub plus_added: bool,
}

/// Explains inputs one after another, as a check would read them.
pub struct Explainer {
    options: CheckOptions,
    values: RegionValues,
    explanation: Explanation,
}

impl Explainer {
    /// Reads with the regions, columns and reading rules of `options`.
    pub fn new(options: &CheckOptions) -> Self {
        Explainer {
            options: options.clone(),
            values: RegionValues::new(),
            explanation: Explanation {
                default_regions: options.regions.iter().map(|r| r.to_string()).collect(),
                ..Explanation::default()
            },
        }
    }

    /// Each string as one number, source `--number`.
    pub fn numbers<S: AsRef<str>>(&mut self, numbers: impl IntoIterator<Item = S>) {
        for (i, n) in numbers.into_iter().enumerate() {
            let row = Row::single(i as u64 + 1, n.as_ref());
            self.row(NUMBERS_SOURCE, None, &row);
        }
    }

    /// Every row of one input, labelled `source`.
    pub fn reader(
        &mut self,
        input: Box<dyn BufRead + Send>,
        source: &str,
    ) -> Result<(), CheckError> {
        let error = |error| CheckError::Input {
            input: source.to_string(),
            error,
        };
        let options: InputOptions = self.options.input.for_source(source);
        let reader = RowReader::new(input, &options).map_err(error)?;
        let layout = reader.layout().clone();
        let digest = reader.digest();
        let decode = reader.decode_problem();
        for row in reader {
            self.row(source, Some(&layout), &row.map_err(error)?);
        }
        let mut layout = layout;
        layout.warnings.extend(decode.warning());
        layout.warnings.extend(decode.multiline_warning());
        layout.warnings.extend(decode.unchecked_numbers_warning());
        self.explanation.inputs.push(ExplainedInput {
            name: source.to_string(),
            sha256: digest.hex(),
            layout,
        });
        Ok(())
    }

    /// The explanation of everything added.
    pub fn finish(self) -> Explanation {
        self.explanation
    }

    fn row(&mut self, source: &str, layout: Option<&Layout>, row: &Row) {
        let read: ReadOptions = self.options.read;
        let read_regions = row_regions(row.region.as_deref(), &self.options.regions, &self.values);
        let region_note = match (&row.region, &read_regions.unknown) {
            (None, _) => String::new(),
            (Some(_), Some(e)) => format!(" ({e}; defaults used)"),
            (Some(text), None) => format!(" (row says {text:?})"),
        };
        let cells = &mut self.explanation.cells;
        if let Some(problem) = &row.problem {
            cells.push(ExplainedCell {
                source: source.to_string(),
                line: row.line,
                column: "(the whole row)".into(),
                input: String::new(),
                regions: String::new(),
                result: CellVerdict::NotANumber {
                    error: problem.clone(),
                    kind: ProblemKind::Row,
                },
            });
        }
        let regions = format!("{}{region_note}", regions_text(&read_regions.regions));
        for cell in &row.cells {
            let column = layout
                .and_then(|l| l.columns.get(cell.column))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "number".into());
            let result = match read_cell(
                &cell.value,
                &read_regions.regions,
                read,
                &self.options.input.names,
            ) {
                CellReading::NotANumber(kind, error) => CellVerdict::NotANumber { error, kind },
                CellReading::Empty => CellVerdict::Empty { empty: true },
                CellReading::Numbers(readings) => CellVerdict::Readings(
                    readings
                        .into_iter()
                        .map(|r| ExplainedReading {
                            e164: r.e164,
                            region: r.region.map(|r| r.to_string()),
                            valid: r.valid,
                            plus_added: r.plus_added,
                        })
                        .collect(),
                ),
            };
            cells.push(ExplainedCell {
                source: source.to_string(),
                line: row.line,
                column,
                input: cell.value.clone().unwrap_or_default(),
                regions: regions.clone(),
                result,
            });
        }
    }
}

impl CellVerdict {
    /// In words: `+13135550101 valid as US`, `NOT A NUMBER: ...`, `empty`.
    pub fn text(&self) -> String {
        match self {
            CellVerdict::NotANumber { error, .. } => format!("NOT A NUMBER: {error}"),
            CellVerdict::Empty { .. } => "empty".into(),
            CellVerdict::Readings(readings) => readings
                .iter()
                .map(|r| {
                    format!(
                        "{} {}{}",
                        r.e164,
                        if r.valid { "valid" } else { "only possible" },
                        match (&r.region, r.plus_added) {
                            (Some(c), _) => format!(" as {c}"),
                            (None, true) => " (international, + added to the digits)".into(),
                            (None, false) => " (international)".into(),
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl Explanation {
    /// For people: each input's layout and warnings, then a line per cell,
    /// with control and format characters made visible.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for input in &self.inputs {
            let layout = &input.layout;
            let columns: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
            s.push_str(&visible(&format!(
                "{}: sha256 {}, {}, delimiter {}; columns {} ({}){}{}",
                input.name,
                input.sha256,
                layout.encoding,
                layout.delimiter_name(),
                columns.join(", "),
                layout.chosen,
                if layout.skipped.is_empty() {
                    String::new()
                } else {
                    format!("; not checked: {}", layout.skipped.join("; "))
                },
                layout
                    .region_column
                    .as_ref()
                    .map(|c| format!("; region column {}", c.name))
                    .unwrap_or_default()
            )));
            s.push('\n');
            for w in &layout.warnings {
                s.push_str(&visible(&format!("  WARNING: {w}")));
                s.push('\n');
            }
        }
        for c in &self.cells {
            s.push_str(&visible(&format!(
                "{}:{} {} {:?} [regions {}] -> {}",
                c.source,
                c.line,
                c.column,
                c.input,
                if c.regions.is_empty() {
                    "none"
                } else {
                    &c.regions
                },
                c.result.text()
            )));
            s.push('\n');
        }
        let (readings, distinct) = self.lookups();
        s.push_str(&format!(
            "a check would look up {readings} readings, {distinct} distinct: with a slow-hash \
             (Argon2id) snapshot, each distinct one not in the key cache costs one hash \
             (a check says how long one takes on this machine)\n"
        ));
        if let Some(cost) = &self.cost {
            s.push_str(&cost.to_text());
        }
        s
    }

    /// The readings a check would look up, and how many are distinct (what
    /// it would hash at most): the cost before it is spent.
    pub fn lookups(&self) -> (usize, usize) {
        let all = self
            .cells
            .iter()
            .map(|c| match &c.result {
                CellVerdict::Readings(readings) => readings.len(),
                _ => 0,
            })
            .sum();
        (all, self.distinct_readings().len())
    }

    fn distinct_readings(&self) -> BTreeSet<&str> {
        let mut distinct = BTreeSet::new();
        for c in &self.cells {
            if let CellVerdict::Readings(readings) = &c.result {
                distinct.extend(readings.iter().map(|r| r.e164.as_str()));
            }
        }
        distinct
    }

    /// What checking these readings against `snapshot` would cost here:
    /// the key cache is read (never written) to leave out what is cached,
    /// one hash is timed at the snapshot's parameters, and the threads are
    /// those a check with `options` would use.
    pub fn cost(&self, snapshot: &Snapshot, options: &CheckOptions) -> Result<Cost, CheckError> {
        let distinct = self.distinct_readings();
        let cached = match super::run::cache_dir(snapshot, &options.key_cache) {
            Some(dir) => KeyCache::peek(&dir, snapshot)
                .map(|cache| distinct.iter().filter(|n| cache.get(n).is_some()).count())
                .unwrap_or(0),
            None => 0,
        };
        let kdf = snapshot.header.kdf;
        let (threads, _) = super::run::hashing_threads(kdf, options)?;
        let threads = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let per_hash = NumberHasher::new(kdf, snapshot.header.salt)
            .map(|h| h.time_one())
            .unwrap_or_default();
        let to_hash = distinct.len() - cached;
        let sealed = kdf.is_sealed();
        Ok(Cost {
            distinct: distinct.len(),
            cached,
            to_hash,
            kdf: match kdf {
                crate::format::number_key::Kdf::Argon2id { m_kib, t, p } => {
                    format!("argon2id, m = {} MiB, t = {t}, p = {p}", m_kib >> 10)
                }
                other => other.name().to_string(),
            },
            per_hash_secs: per_hash.as_secs_f64(),
            threads,
            estimate_secs: per_hash.as_secs_f64() * to_hash.div_ceil(threads) as f64,
            requests: if sealed {
                to_hash.div_ceil(crate::format::sealed::MAX_BATCH)
            } else {
                0
            },
            evaluation_url: if sealed {
                snapshot.header.evaluation_url.clone()
            } else {
                String::new()
            },
        })
    }
}

/// What a check would cost before it is spent, measured on this machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cost {
    /// Distinct readings to look up.
    pub distinct: usize,
    /// Of those, already in the key cache (a lookup, no hash).
    pub cached: usize,
    /// Of those, to hash.
    pub to_hash: usize,
    /// The snapshot's hash and its parameters.
    pub kdf: String,
    /// One hash, timed here.
    pub per_hash_secs: f64,
    /// Threads the hashing would use.
    pub threads: usize,
    /// About how long the hashing would take.
    pub estimate_secs: f64,
    /// A sealed snapshot: requests to the evaluation service (0 otherwise).
    pub requests: usize,
    /// A sealed snapshot: where they go (empty otherwise).
    pub evaluation_url: String,
}

impl Cost {
    /// One line, for people.
    pub fn to_text(&self) -> String {
        if !self.evaluation_url.is_empty() {
            return format!(
                "against the installed snapshot (voprf, sealed): {} of {} distinct already in \
                 the key cache, {} to ask {} for, blinded, in {} request(s); no hashing here\n",
                self.cached, self.distinct, self.to_hash, self.evaluation_url, self.requests
            );
        }
        format!(
            "against the installed snapshot ({}): {} of {} distinct already in the key cache, \
             {} to hash at {:.2} s each on {} thread(s): about {}\n",
            self.kdf,
            self.cached,
            self.distinct,
            self.to_hash,
            self.per_hash_secs,
            self.threads,
            about(self.estimate_secs)
        )
    }
}

/// `42 s`, `7 min`, `2.5 h`: an estimate people read right.
pub fn about(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}
