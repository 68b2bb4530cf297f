//! How each cell of the inputs would be read, with no list and no lookup:
//! the answer to "why was this row (not) checked?". The same reading as a
//! check ([`super::reading`]), told cell by cell.

use super::input::{InputOptions, Layout, Row, RowReader};
use super::reading::{read_cell, row_regions, CellReading};
use super::regions::RegionValues;
use super::render::visible;
use super::{regions_text, CheckError, CheckOptions, ProblemKind, NUMBERS_SOURCE};
use crate::format::normalize::ReadOptions;
use serde::Serialize;
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
        s
    }

    /// The readings a check would look up, and how many are distinct (what
    /// it would hash at most): the cost before it is spent.
    pub fn lookups(&self) -> (usize, usize) {
        let mut all = 0;
        let mut distinct = std::collections::HashSet::new();
        for c in &self.cells {
            if let CellVerdict::Readings(readings) = &c.result {
                all += readings.len();
                distinct.extend(readings.iter().map(|r| r.e164.as_str()));
            }
        }
        (all, distinct.len())
    }
}
