//! Checking numbers against a verified snapshot: normalize, derive the key with
//! the snapshot's salt, look it up. No I/O and no network.
//!
//! Rows are processed in batches so memory stays flat however long the input;
//! within a batch the (slow) hashing runs on all cores. Only possible matches
//! and rows that are not numbers are kept for the report.

use crate::filter::Filter;
use crate::input::{InputError, Row};
use crate::normalize::{normalize, Region};
use crate::number_key::{BadKdfParams, NumberHasher};
use crate::snapshot::Snapshot;
use rayon::prelude::*;

/// Rows hashed together; large enough to keep every core busy.
const BATCH_ROWS: usize = 4096;

/// Looks numbers up in one snapshot.
pub struct Checker<'a> {
    hasher: NumberHasher,
    filter: &'a Filter,
}

impl<'a> Checker<'a> {
    /// A checker for a snapshot that has been verified.
    pub fn new(snapshot: &'a Snapshot) -> Result<Self, BadKdfParams> {
        Ok(Checker {
            hasher: NumberHasher::new(snapshot.header.kdf, snapshot.header.salt)?,
            filter: &snapshot.filter,
        })
    }

    /// Whether an E.164 number may be on the list.
    pub fn contains_e164(&self, e164: &str) -> bool {
        self.filter.contains(&self.hasher.key(e164))
    }

    /// Normalizes `text` and looks it up: `Ok((e164, possible_match))`, or why
    /// it is not a number.
    pub fn check(&self, text: &str, region: Option<Region>) -> Result<(String, bool), String> {
        let e164 = normalize(text, region).map_err(|e| e.to_string())?;
        let hit = self.contains_e164(&e164);
        Ok((e164, hit))
    }
}

/// One reported row: a possible match or a row that is not a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which input (file name, `-` for stdin, `--number`).
    pub source: String,
    /// 1-based line in that input (the argument's position for `--number`).
    pub line: u64,
    /// The number field as read.
    pub input: String,
    /// All the row's fields, so the finding can be traced to a person or device.
    pub fields: Vec<String>,
    /// The normalized number, for possible matches.
    pub e164: Option<String>,
    /// Why the row is not a number, for invalid rows.
    pub reason: Option<String>,
}

/// Totals and findings of a check run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Data rows read.
    pub rows: u64,
    /// Rows that normalized.
    pub valid: u64,
    /// Possible matches, in input order.
    pub matches: Vec<Finding>,
    /// Rows that are not numbers, in input order.
    pub invalid: Vec<Finding>,
    /// Header names per source, for reports that label fields.
    pub headers: Vec<(String, Vec<String>)>,
}

impl Outcome {
    /// Checks every row from `rows`, labelled `source`, adding to the totals.
    pub fn check_rows<I>(
        &mut self,
        checker: &Checker,
        region: Option<Region>,
        source: &str,
        rows: I,
    ) -> Result<(), InputError>
    where
        I: Iterator<Item = Result<Row, InputError>>,
    {
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut rows = rows.peekable();
        while rows.peek().is_some() {
            batch.clear();
            for row in rows.by_ref().take(BATCH_ROWS) {
                batch.push(row?);
            }
            let results: Vec<Result<(String, bool), String>> = batch
                .par_iter()
                .map(|row| match &row.value {
                    Ok(text) => checker.check(text, region),
                    Err(reason) => Err(reason.clone()),
                })
                .collect();
            for (row, result) in batch.drain(..).zip(results) {
                self.rows += 1;
                let input = row.value.clone().unwrap_or_default();
                let finding = |e164, reason| Finding {
                    source: source.to_string(),
                    line: row.line,
                    input: input.clone(),
                    fields: row.fields.clone(),
                    e164,
                    reason,
                };
                match result {
                    Ok((e164, hit)) => {
                        self.valid += 1;
                        if hit {
                            self.matches.push(finding(Some(e164), None));
                        }
                    }
                    Err(reason) => self.invalid.push(finding(None, Some(reason))),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number_key::Kdf;
    use crate::publish::{build_snapshot, BuildParams};

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
                filter_seed: *blake3::hash(b"seed").as_bytes(),
                fp_rate: 1e-6,
            },
        )
        .unwrap()
    }

    #[test]
    fn hits_misses_and_invalid_rows_are_counted_in_order() {
        let snapshot = snapshot(&["+13135550101", "+13135550199"]);
        let checker = Checker::new(&snapshot).unwrap();
        let us = Some(Region::parse("US").unwrap());
        let rows = [
            "(313) 555-0101",
            "313 555 0150",
            "not a number",
            "+1 313 555 0199",
        ]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok(Row {
                line: i as u64 + 1,
                fields: vec![v.to_string()],
                value: Ok(v.to_string()),
            })
        });
        let mut outcome = Outcome::default();
        outcome.check_rows(&checker, us, "test", rows).unwrap();
        assert_eq!((outcome.rows, outcome.valid), (4, 3));
        let lines: Vec<u64> = outcome.matches.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![1, 4]);
        assert_eq!(outcome.matches[0].e164.as_deref(), Some("+13135550101"));
        assert_eq!(outcome.invalid[0].line, 3);
        assert_eq!(
            outcome.invalid[0].reason.as_deref(),
            Some("not a phone number")
        );
    }
}
