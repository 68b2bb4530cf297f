//! A check run: one list, inputs added one after another, one outcome. It
//! owns what a program would otherwise decide around the loop: the key
//! cache, the thread count (a pool of its own, never the process-global
//! one), progress reports, cancellation and what redaction leaves out.

use super::column::CellVerdict;
use super::input::{InputError, Row, RowReader};
use super::{CheckOptions, Checker, Outcome};
use crate::format::number_key::Kdf;
use crate::format::snapshot::Snapshot;
use crate::key_cache::{self, KeyCache};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The source name findings from [`CheckRun::numbers`] carry.
pub const NUMBERS_SOURCE: &str = "--number";

/// Which per-number key cache a check uses: it pays only for slow hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyCacheChoice {
    /// The default location (`$XDG_CACHE_HOME/hushlist/keys`), the CLI's.
    #[default]
    Default,
    /// A cache directory of the caller's.
    At(PathBuf),
    /// No cache: every reading is hashed.
    None,
}

/// Where a run stands, reported after each batch of rows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The input being read.
    pub source: String,
    /// Rows read from it so far.
    pub source_rows: u64,
    /// Rows read from every input so far.
    pub rows: u64,
    /// Possible matches (distinct numbers) so far.
    pub matches: usize,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// An input could not be read as a list (the rows before it were checked).
    #[error("{input}: {error}")]
    Input {
        /// Which input.
        input: String,
        /// What is wrong with it.
        error: InputError,
    },
    /// The cancel flag was raised; the outcome so far is kept in the run.
    #[error("cancelled after {rows} rows")]
    Cancelled {
        /// Rows checked before stopping.
        rows: u64,
    },
    /// One Argon2id hash needs more memory than the budget allows.
    #[error(
        "one hash of this snapshot needs {} MiB (Argon2id m), more than the memory budget of {} MiB",
        .per_hash >> 20, .budget >> 20
    )]
    MemoryBudget {
        /// Bytes one hash holds.
        per_hash: u64,
        /// The budget, bytes.
        budget: u64,
    },
    /// A sealed snapshot's keys could not be obtained (the rows before the
    /// batch concerned were checked).
    #[error(transparent)]
    Evaluation(#[from] super::sealed::EvaluationError),
    /// The thread pool asked for could not be started.
    #[error("cannot start {threads} checking threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why not.
        reason: String,
    },
}

/// What [`CheckRun::on_progress`] calls.
type ProgressReport<'l> = Box<dyn FnMut(&Progress) + Send + 'l>;

/// A check in progress. Made by [`crate::List::start_check`].
pub struct CheckRun<'l> {
    checker: Checker<'l>,
    options: CheckOptions,
    pool: Option<rayon::ThreadPool>,
    progress: Option<ProgressReport<'l>>,
    cancel: Option<Arc<AtomicBool>>,
    outcome: Outcome,
    cache_dir: Option<PathBuf>,
    notices: Vec<String>,
}

impl<'l> CheckRun<'l> {
    pub(crate) fn new(snapshot: &'l Snapshot, options: &CheckOptions) -> Result<Self, CheckError> {
        let checker = Checker::new(snapshot)
            .expect("parameters verified on open")
            .with_evaluator(options.evaluator.clone());
        let (checker, cache_dir, notice) = with_cache(checker, snapshot, &options.key_cache);
        let mut notices: Vec<String> = notice.into_iter().collect();
        let (threads, notice) = hashing_threads(snapshot.header.kdf, options)?;
        notices.extend(notice);
        let pool = match threads {
            None => None,
            Some(threads) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads.max(1))
                    .build()
                    .map_err(|e| CheckError::Threads {
                        threads,
                        reason: e.to_string(),
                    })?,
            ),
        };
        Ok(CheckRun {
            checker,
            options: options.clone(),
            pool,
            progress: None,
            cancel: None,
            outcome: Outcome::default(),
            cache_dir,
            notices,
        })
    }

    /// Calls `report` after each batch of rows (a few thousand with a fast
    /// hash, a few dozen with a slow one).
    pub fn on_progress(mut self, report: impl FnMut(&Progress) + Send + 'l) -> Self {
        self.progress = Some(Box::new(report));
        self
    }

    /// Stops the run at the next batch once `flag` is set (from a signal
    /// handler or another thread); what was checked stays in the outcome.
    pub fn cancel_on(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// The key cache in use, if any.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache_dir.as_deref()
    }

    /// What the run decided on its own and the caller should show (a key
    /// cache that could not be opened, so the run goes on without it).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Checks each string as one number, source [`NUMBERS_SOURCE`], lines
    /// counted from 1 in the order given.
    pub fn numbers<I, S>(&mut self, numbers: I) -> Result<(), CheckError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        // Collected first: rows are read on another thread, and the caller's
        // iterator need not be `Send`.
        let rows: Vec<Result<Row, InputError>> = numbers
            .into_iter()
            .enumerate()
            .map(|(i, n)| Ok(Row::single(i as u64 + 1, n.as_ref())))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        self.rows(NUMBERS_SOURCE, None, rows.into_iter())
    }

    /// Checks a column of cells, each its own row (lines counted from 1 in
    /// the order given), labelled `source` in findings: one verdict per
    /// cell, in order, and the findings added to the outcome as for any
    /// input. Each cell comes with its row's region value (`None`: the
    /// defaults), read as a region column is (`Deutschland`, `UK`, `+49`);
    /// a missing cell (`None`) is empty.
    pub fn column<I, S, R>(
        &mut self,
        source: &str,
        cells: I,
    ) -> Result<Vec<CellVerdict>, CheckError>
    where
        I: IntoIterator<Item = (Option<S>, Option<R>)>,
        S: AsRef<str>,
        R: AsRef<str>,
    {
        let rows: Vec<Result<Row, InputError>> = cells
            .into_iter()
            .enumerate()
            .map(|(i, (cell, region))| {
                let mut row = Row::single(i as u64 + 1, cell.as_ref().map_or("", |c| c.as_ref()));
                row.region = region
                    .map(|r| r.as_ref().trim().to_string())
                    .filter(|r| !r.is_empty());
                Ok(row)
            })
            .collect();
        let expected = rows.len();
        self.outcome.verdicts = Some(Vec::with_capacity(expected));
        let result = self.rows(source, None, rows.into_iter());
        let verdicts = self.outcome.verdicts.take().unwrap_or_default();
        result?;
        debug_assert_eq!(verdicts.len(), expected, "one verdict per cell");
        Ok(verdicts)
    }

    /// Checks every row of a CSV, TSV or plain list labelled `source`: its
    /// layout, its SHA-256 (left out when redacting: the digest of a short
    /// input gives its numbers back to anyone who tries candidates) and what
    /// reading it warned about go in the source's summary.
    ///
    /// An input that cannot be read to its end is an error, and is recorded
    /// in the outcome too ([`super::SourceSummary::failed`]): the run may go on with
    /// the next input, and its report then says it is incomplete.
    pub fn reader(
        &mut self,
        input: Box<dyn BufRead + Send>,
        source: &str,
    ) -> Result<(), CheckError> {
        let result = self.read_input(input, source);
        if let Err(CheckError::Input { error, .. }) = &result {
            self.outcome.source_mut(source).failed = Some(error.to_string());
        }
        result
    }

    fn read_input(
        &mut self,
        input: Box<dyn BufRead + Send>,
        source: &str,
    ) -> Result<(), CheckError> {
        let input_error = |error| CheckError::Input {
            input: source.to_string(),
            error,
        };
        let options = self.options.input.for_source(source);
        let reader = RowReader::new(input, &options).map_err(input_error)?;
        let layout = reader.layout().clone();
        let digest = reader.digest();
        let decode = reader.decode_problem();
        self.rows(source, Some(&layout), reader)?;
        let redact = self.options.redact;
        let summary = self.outcome.source_mut(source);
        summary.sha256 = Some(if redact {
            "redacted".into()
        } else {
            digest.hex()
        });
        summary.note_reading(&decode);
        Ok(())
    }

    fn rows<I>(
        &mut self,
        source: &str,
        layout: Option<&super::input::Layout>,
        rows: I,
    ) -> Result<(), CheckError>
    where
        I: Iterator<Item = Result<Row, InputError>> + Send,
    {
        let before = self.outcome.rows;
        let cancel = self.cancel.clone();
        let progress = &mut self.progress;
        let mut on_batch = |o: &Outcome| {
            if let Some(report) = progress.as_mut() {
                report(&Progress {
                    source: source.to_string(),
                    source_rows: o.rows - before,
                    rows: o.rows,
                    matches: o.matches.len(),
                });
            }
            !cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
        };
        let (outcome, checker, options) = (&mut self.outcome, &mut self.checker, &self.options);
        let go = || outcome.check_rows(checker, options, source, layout, rows, &mut on_batch);
        let finished = match &self.pool {
            Some(pool) => pool.install(go),
            None => go(),
        }?;
        if finished {
            Ok(())
        } else {
            Err(CheckError::Cancelled {
                rows: self.outcome.rows,
            })
        }
    }

    /// What the run found so far (the whole outcome once every input is in).
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The outcome, ending the run.
    pub fn finish(self) -> Outcome {
        self.outcome
    }
}

/// The checker with the cache `choice` names, the directory used, and why a
/// cache asked for is not used. Only slow hashes use one; opening it removes
/// the idle caches of other salts in the same directory (key_cache::IDLE_PRUNE_SECS).
/// The threads a run hashes on (`None`: rayon's default, every core) and,
/// when the memory budget allows fewer than asked, the notice that says so.
/// One place decides, for a check and for its estimate.
pub(crate) fn hashing_threads(
    kdf: Kdf,
    options: &CheckOptions,
) -> Result<(Option<usize>, Option<String>), CheckError> {
    let threads = options.threads;
    let Kdf::Argon2id { m_kib, .. } = kdf else {
        return Ok((threads, None));
    };
    let per_hash = u64::from(m_kib) * 1024;
    let wanted =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let Some(budget) = options.memory_budget.or_else(super::memory::default_budget) else {
        return Ok((threads, None));
    };
    let fit = super::memory::hashing_threads(per_hash, budget, wanted)
        .map_err(|per_hash| CheckError::MemoryBudget { per_hash, budget })?;
    if fit < wanted {
        let notice = format!(
            "hashing on {fit} thread(s), not {wanted}: each Argon2id hash holds {} MiB \
             and the memory budget is {} MiB",
            per_hash >> 20,
            budget >> 20
        );
        return Ok((Some(fit), Some(notice)));
    }
    Ok((threads, None))
}

/// The key cache directory a choice names, if the snapshot's hash is worth
/// caching at all.
pub(crate) fn cache_dir(snapshot: &Snapshot, choice: &KeyCacheChoice) -> Option<PathBuf> {
    match choice {
        _ if !snapshot.header.kdf.is_slow() => None,
        KeyCacheChoice::Default => key_cache::default_dir(),
        KeyCacheChoice::At(dir) => Some(dir.clone()),
        KeyCacheChoice::None => None,
    }
}

fn with_cache<'l>(
    checker: Checker<'l>,
    snapshot: &Snapshot,
    choice: &KeyCacheChoice,
) -> (Checker<'l>, Option<PathBuf>, Option<String>) {
    let Some(dir) = cache_dir(snapshot, choice) else {
        return (checker, None, None);
    };
    match KeyCache::open(&dir, snapshot) {
        Ok(cache) => (checker.with_cache(cache), Some(dir), None),
        Err(e) => {
            let why = format!(
                "key cache {} unusable ({e}); checking without it",
                dir.display()
            );
            (checker, None, Some(why))
        }
    }
}
