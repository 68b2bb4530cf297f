//! Checking numbers against a verified snapshot: normalize, derive the key with
//! the snapshot's salt, look it up. No network, ever.
//!
//! Rows are processed in batches so memory stays flat however long the input;
//! within a batch the (slow) hashing runs on all cores. Only possible matches
//! and rows that are not numbers are kept for the report.
//!
//! Programs usually reach this through [`crate::List`], which verifies the
//! snapshot first; [`check_input`] and [`Checker`] are the steps underneath.

pub mod input;
pub mod report;

use crate::check::input::{InputError, InputOptions, Row, RowReader};
use crate::client::key_cache::KeyCache;
use crate::format::filter::{self, Filter};
use crate::format::normalize::{normalize, Region};
use crate::format::number_key::{BadKdfParams, Kdf, NumberHasher};
use crate::format::snapshot::Snapshot;
use rayon::prelude::*;
use std::io::BufRead;

/// Rows hashed together; large enough to keep every core busy.
const BATCH_ROWS: usize = 4096;

/// Looks numbers up in one snapshot.
pub struct Checker<'a> {
    hasher: NumberHasher,
    filter: &'a Filter,
    cache: Option<KeyCache>,
}

impl<'a> Checker<'a> {
    /// A checker for a snapshot that has been verified.
    pub fn new(snapshot: &'a Snapshot) -> Result<Self, BadKdfParams> {
        Ok(Checker {
            hasher: NumberHasher::new(snapshot.header.kdf, snapshot.header.salt)?,
            filter: &snapshot.filter,
            cache: None,
        })
    }

    /// Uses (and fills) a cache of items. Only worth it for slow hashes: with
    /// BLAKE3 the hash is cheaper than the cache lookup, so the cache is ignored.
    pub fn with_cache(mut self, cache: KeyCache) -> Self {
        if self.hasher.kdf() != Kdf::Blake3 {
            self.cache = Some(cache);
        }
        self
    }

    /// The cache in use, if any.
    pub fn cache(&self) -> Option<&KeyCache> {
        self.cache.as_ref()
    }

    /// Whether an E.164 number may be on the list.
    pub fn contains_e164(&self, e164: &str) -> bool {
        self.filter.contains_item(self.item(e164).0)
    }

    /// The filter item of a number, and whether it was computed (not cached).
    fn item(&self, e164: &str) -> (u64, bool) {
        match self.cache.as_ref().and_then(|c| c.get(e164)) {
            Some(item) => (item, false),
            None => (filter::item(&self.hasher.key(e164)), true),
        }
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
    /// Numbers whose item came from the cache.
    pub cached: u64,
    /// Possible matches, in input order.
    pub matches: Vec<Finding>,
    /// Rows that are not numbers, in input order.
    pub invalid: Vec<Finding>,
    /// Header names per source, for reports that label fields.
    pub headers: Vec<(String, Vec<String>)>,
}

/// How to read and check rows.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Region for numbers in national format, unless a row names its own.
    pub region: Option<Region>,
    /// Columns to read.
    pub input: InputOptions,
}

struct Checked {
    result: Result<(String, bool), String>,
    new_item: Option<u64>,
}

impl Outcome {
    /// The header names of `source`, when it had a header row.
    pub fn headers_of(&self, source: &str) -> Option<&Vec<String>> {
        self.headers
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, h)| h)
    }

    /// Checks every row from `rows`, labelled `source`, adding to the totals;
    /// `on_batch` runs after each batch (for progress reports).
    pub fn check_rows<I>(
        &mut self,
        checker: &mut Checker<'_>,
        default_region: Option<Region>,
        source: &str,
        rows: I,
        on_batch: &mut dyn FnMut(&Outcome),
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
            let shared: &Checker<'_> = checker;
            let results: Vec<Checked> = batch
                .par_iter()
                .map(|row| check_row(shared, default_region, row))
                .collect();
            for (row, checked) in batch.drain(..).zip(results) {
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
                match checked.result {
                    Ok((e164, hit)) => {
                        self.valid += 1;
                        match (checked.new_item, checker.cache.as_mut()) {
                            (Some(item), Some(cache)) => cache.insert(&e164, item),
                            (None, Some(_)) => self.cached += 1,
                            _ => {}
                        }
                        if hit {
                            self.matches.push(finding(Some(e164), None));
                        }
                    }
                    Err(reason) => self.invalid.push(finding(None, Some(reason))),
                }
            }
            if let Some(cache) = checker.cache.as_mut() {
                // A cache that cannot be written only costs speed next time.
                let _ = cache.flush();
            }
            on_batch(self);
        }
        Ok(())
    }
}

fn check_row(checker: &Checker<'_>, default_region: Option<Region>, row: &Row) -> Checked {
    let fail = |reason: String| Checked {
        result: Err(reason),
        new_item: None,
    };
    let text = match &row.value {
        Ok(text) => text,
        Err(reason) => return fail(reason.clone()),
    };
    let region = match &row.region {
        None => default_region,
        Some(code) => match Region::parse(code) {
            Ok(r) => Some(r),
            Err(e) => return fail(e.to_string()),
        },
    };
    let e164 = match normalize(text, region) {
        Ok(e164) => e164,
        Err(e) => return fail(format!("{e}")),
    };
    let (item, computed) = checker.item(&e164);
    Checked {
        result: Ok((e164, checker.filter.contains_item(item))),
        new_item: computed.then_some(item),
    }
}

/// Checks every row of one input (CSV, TSV or plain list) against a verified
/// snapshot: the one call a program needs. `source` labels the findings.
pub fn check_input(
    snapshot: &Snapshot,
    input: Box<dyn BufRead + Send>,
    source: &str,
    options: &CheckOptions,
) -> Result<Outcome, InputError> {
    let mut checker =
        Checker::new(snapshot).map_err(|e| InputError::Io(std::io::Error::other(e)))?;
    let reader = RowReader::new(input, &options.input)?;
    let mut outcome = Outcome::default();
    if let Some(h) = reader.headers() {
        outcome.headers.push((source.to_string(), h.to_vec()));
    }
    outcome.check_rows(&mut checker, options.region, source, reader, &mut |_| {})?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::number_key::Kdf;
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
                epoch: crate::publish::SaltEpoch::starting(0, 1_000_000, Kdf::Blake3, [0xEE; 32]),
                contact: Default::default(),
                fp_rate: 1e-6,
            },
        )
        .unwrap()
    }

    #[test]
    fn hits_misses_and_invalid_rows_are_counted_in_order() {
        let snapshot = snapshot(&["+13135550101", "+13135550199"]);
        let mut checker = Checker::new(&snapshot).unwrap();
        let us = Some(Region::parse("US").unwrap());
        let rows = [
            "(313) 555-0101",
            "313 555 0150",
            "not a number",
            "+1 313 555 0199",
        ]
        .iter()
        .enumerate()
        .map(|(i, v)| Ok(Row::single(i as u64 + 1, v)));
        let mut outcome = Outcome::default();
        outcome
            .check_rows(&mut checker, us, "test", rows, &mut |_| {})
            .unwrap();
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
