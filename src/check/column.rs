//! One verdict per cell of a column, for callers that hold their inventory
//! as a data frame column (the Python binding, a Spark or Dask job) and want
//! an answer per row beside the findings.
//!
//! The verdicts come out of the same pass that records the findings
//! ([`super::Outcome`]): a column is read under the same rules, with the same
//! regions, as `hushlist check` reads a CSV's phone column, so a cell's
//! verdict and the report's findings can never disagree.

use super::ProblemKind;
use serde::Serialize;

/// What a cell turned out to be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CellStatus {
    /// At least one reading may be on the list.
    Match,
    /// A number, not on the list, but only possible (not valid) under the
    /// reading that should apply: a typo or a number read under the wrong
    /// region may hide a listed one.
    Doubtful,
    /// A valid number, not on the list.
    #[default]
    Clear,
    /// Nothing but white space, or a missing value.
    Empty,
    /// Text that is not a phone number ([`CellVerdict::reason`] says why).
    NotANumber,
    /// No readable text (bytes the encoding cannot decode).
    Unreadable,
}

impl CellStatus {
    /// The snake_case word a report and a data frame carry.
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Match => "match",
            CellStatus::Doubtful => "doubtful",
            CellStatus::Clear => "clear",
            CellStatus::Empty => "empty",
            CellStatus::NotANumber => "not_a_number",
            CellStatus::Unreadable => "unreadable",
        }
    }
}

/// The verdict on one cell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CellVerdict {
    /// What the cell is.
    pub status: CellStatus,
    /// The E.164 numbers that may be listed (a match), else every reading
    /// looked up (a national number read under several regions has one per
    /// region); several are joined by `, `. `None` when the cell holds no number.
    pub e164: Option<String>,
    /// For a match, whether every reading that matched is valid (allocated);
    /// otherwise whether every number in the cell is valid under the reading
    /// that should apply. `None` when it holds no number.
    pub valid: Option<bool>,
    /// Why the cell is not a number, as the report says it.
    pub reason: Option<String>,
    /// The kind of problem, as [`ProblemKind`] serializes (`letters`,
    /// `too_short`, `unreadable`...), for programs to branch on.
    pub kind: Option<ProblemKind>,
    /// What a reader must know of the verdict: how a match was read (the
    /// `+` added to digits, a region other than the row's), why a number is
    /// doubtful, or that the row's region was not understood.
    pub note: Option<String>,
    /// The region the row names when a match was read only under another
    /// one: likely another number altogether ([`super::Occurrence::row_region`]).
    pub row_region: Option<String>,
}

impl CellVerdict {
    /// Whether the cell may hold a listed number.
    pub fn matched(&self) -> bool {
        self.status == CellStatus::Match
    }

    pub(crate) fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        match &mut self.note {
            Some(n) if n.split("; ").any(|part| part == note) => {}
            Some(n) => {
                n.push_str("; ");
                n.push_str(&note);
            }
            None => self.note = Some(note),
        }
    }
}
