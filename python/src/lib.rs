//! The Python binding: `hushlist.List` over the library's [`hushlist::List`].
//!
//! Only what Python cannot do well lives here: opening and verifying, the
//! check itself with the interpreter lock released, and moving Arrow buffers
//! in and out without a Python object per cell. Everything a program decides
//! (regions, reading rules, key cache, verdicts) is the library's, so the
//! package answers exactly as `hushlist check` does. The Python side
//! (`hushlist/__init__.py`) turns the serialized outcome into plain objects.

use hushlist::check::sealed::SharedEvaluator;
use hushlist::client::evaluation::{service_for, Service};
use hushlist::client::transport::HttpOptions;
use hushlist::{CellVerdict, CheckOptions, KeyCacheChoice, Outcome, Progress, Region};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

create_exception!(
    hushlist,
    HushlistError,
    PyException,
    "Base of every hushlist error."
);
create_exception!(
    hushlist,
    OpenError,
    HushlistError,
    "The list could not be opened (hushlist::OpenError)."
);
create_exception!(
    hushlist,
    VerificationError,
    OpenError,
    "Verification refused the list: signature, digest, rollback, expiry, structure."
);
create_exception!(
    hushlist,
    StateError,
    OpenError,
    "The client state directory is missing, locked or inconsistent."
);
create_exception!(
    hushlist,
    NothingInstalled,
    OpenError,
    "The state holds no installed snapshot yet (run `hushlist update`)."
);
create_exception!(
    hushlist,
    CheckError,
    HushlistError,
    "A check stopped (hushlist::CheckError)."
);
create_exception!(
    hushlist,
    InputError,
    CheckError,
    "The input could not be read as a list."
);
create_exception!(
    hushlist,
    EvaluationError,
    CheckError,
    "A sealed snapshot's keys could not be obtained from its evaluation service."
);
create_exception!(
    hushlist,
    MemoryBudgetError,
    CheckError,
    "One Argon2id hash needs more memory than the budget allows."
);

fn open_error(e: hushlist::OpenError) -> PyErr {
    let text = e.to_string();
    match e {
        hushlist::OpenError::Files(f) if f.is_verification_failure() => {
            VerificationError::new_err(text)
        }
        hushlist::OpenError::State(_) => StateError::new_err(text),
        hushlist::OpenError::NothingInstalled => NothingInstalled::new_err(text),
        _ => OpenError::new_err(text),
    }
}

fn check_error(e: hushlist::CheckError) -> PyErr {
    let text = e.to_string();
    match e {
        hushlist::CheckError::Input { .. } => InputError::new_err(text),
        hushlist::CheckError::Evaluation(_) => EvaluationError::new_err(text),
        hushlist::CheckError::MemoryBudget { .. } => MemoryBudgetError::new_err(text),
        hushlist::CheckError::Cancelled { .. } => PyKeyboardInterrupt::new_err(text),
        _ => CheckError::new_err(text),
    }
}

/// A verified list: nothing is ever checked against anything else.
#[pyclass(name = "List", module = "hushlist._native", frozen)]
struct PyList {
    inner: Arc<hushlist::List>,
}

/// What a check is given besides its cells, as `List.check` takes it.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct Settings {
    regions: Vec<String>,
    jobs: Option<usize>,
    key_cache: Option<PathBuf>,
    no_key_cache: bool,
    memory_budget: Option<u64>,
    evaluation_url: Option<String>,
    token: Option<String>,
    token_source: Option<String>,
    evaluation_timeout: f64,
    allow_http: bool,
    ca_cert: Option<PathBuf>,
    redact: bool,
    allow_letters: bool,
}

#[pymethods]
impl PyList {
    /// Opens and verifies a published directory (or a snapshot file with its
    /// `.minisig`) against the publisher's public key file.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf, public_key: PathBuf) -> PyResult<Self> {
        let list = py
            .detach(|| hushlist::List::open(&path, &public_key).map_err(Box::new))
            .map_err(|e| open_error(*e))?;
        Ok(PyList {
            inner: Arc::new(list),
        })
    }

    /// Opens the snapshot `hushlist update` installed in `state_dir`
    /// (`None`: the CLI's default state directory), with the pinned keys.
    #[staticmethod]
    #[pyo3(signature = (state_dir=None))]
    fn installed(py: Python<'_>, state_dir: Option<PathBuf>) -> PyResult<Self> {
        let policy = hushlist::Policy::at(hushlist::format::time::now());
        let list = py
            .detach(|| hushlist::List::installed(state_dir.as_deref(), policy).map_err(Box::new))
            .map_err(|e| open_error(*e))?;
        Ok(PyList {
            inner: Arc::new(list),
        })
    }

    /// The facts a report cites, as JSON.
    fn _facts_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.facts())
            .map_err(|e| HushlistError::new_err(e.to_string()))
    }

    /// Warnings raised while verifying.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().cloned().collect()
    }

    /// The id of the key that signed the snapshot.
    #[getter]
    fn key_id(&self) -> String {
        self.inner.key_id()
    }

    /// The snapshot's sequence number.
    #[getter]
    fn sequence(&self) -> u64 {
        self.header().sequence
    }

    /// Whether the snapshot's keys come from the publisher's evaluation service.
    #[getter]
    fn sealed(&self) -> bool {
        self.header().kdf.is_sealed()
    }

    /// The evaluation service the signed snapshot names, when sealed.
    #[getter]
    fn evaluation_url(&self) -> Option<String> {
        let h = self.header();
        h.has_sealed_epoch().then(|| h.evaluation_url.clone())
    }

    /// Checks each string as one number: `(outcome JSON, notices)`.
    fn _check(
        &self,
        py: Python<'_>,
        numbers: Vec<String>,
        settings: Settings,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(String, Vec<String>)> {
        let chosen = self.options(&settings)?;
        let ((), outcome, notices) = run_watched(py, progress, |cancel, report| {
            let mut run = self.start(&chosen, cancel, report)?;
            let notices = run.notices().to_vec();
            run.numbers(&numbers)?;
            Ok(((), run.finish(), notices))
        })?;
        Ok((outcome_json(&outcome)?, chosen.notices(notices)))
    }

    /// Checks a column of cells (an Arrow large_string array's buffers) with
    /// an optional column of row regions: `(outcome JSON, notices, columns)`.
    fn _check_column<'py>(
        &self,
        py: Python<'py>,
        cells: ArrowStrings<'py>,
        regions: Option<ArrowStrings<'py>>,
        source: String,
        settings: Settings,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(String, Vec<String>, Columns<'py>)> {
        let chosen = self.options(&settings)?;
        let cells_view = cells.view()?;
        let regions_view = regions.as_ref().map(ArrowStrings::view).transpose()?;
        if let Some(r) = &regions_view {
            if r.len != cells_view.len {
                return Err(PyValueError::new_err(format!(
                    "the region column has {} values, the cells {}",
                    r.len, cells_view.len
                )));
            }
        }
        let (verdicts, outcome, notices) = run_watched(py, progress, |cancel, report| {
            let mut run = self.start(&chosen, cancel, report)?;
            let notices = run.notices().to_vec();
            let rows = (0..cells_view.len).map(|i| {
                (
                    cells_view.get(i),
                    regions_view.as_ref().and_then(|r| r.get(i)),
                )
            });
            let verdicts = run.column(&source, rows)?;
            Ok((verdicts, run.finish(), notices))
        })?;
        let columns = py.detach(|| ColumnBuffers::of(&verdicts));
        // A million verdicts take a while to free: not on the caller's time.
        std::thread::spawn(move || drop(verdicts));
        Ok((
            outcome_json(&outcome)?,
            chosen.notices(notices),
            columns.into_py(py),
        ))
    }
}

/// The library's options for one call, and what was chosen on the caller's
/// behalf, to be said.
struct Chosen {
    options: CheckOptions,
    said: Vec<String>,
    /// The sealed snapshot's service: said only when the run asked it (a
    /// run whose keys are all cached asks nothing).
    service: Option<Arc<Service>>,
}

impl Chosen {
    fn notices(self, run: Vec<String>) -> Vec<String> {
        let mut all = self.said;
        if let Some(service) = self.service.filter(|s| s.asked()) {
            all.push(service.announcement().to_string());
        }
        all.extend(run);
        all
    }
}

impl PyList {
    /// A run of this list with the call's options, reporting to the watcher.
    fn start<'l>(
        &'l self,
        chosen: &Chosen,
        cancel: Arc<AtomicBool>,
        report: Box<dyn FnMut(&Progress) + Send + 'l>,
    ) -> Result<hushlist::CheckRun<'l>, hushlist::CheckError> {
        Ok(self
            .inner
            .start_check(&chosen.options)?
            .cancel_on(cancel)
            .on_progress(report))
    }

    fn header(&self) -> &hushlist::format::snapshot::Header {
        &self.inner.opened().snapshot.snapshot.header
    }

    /// The library's options from the Python call's.
    fn options(&self, s: &Settings) -> PyResult<Chosen> {
        let regions = s
            .regions
            .iter()
            .map(|r| Region::parse(r).map_err(|e| PyValueError::new_err(e.to_string())))
            .collect::<PyResult<Vec<_>>>()?;
        let mut options = CheckOptions::default()
            .with_regions(regions)
            .with_redact(s.redact)
            .with_read(hushlist::format::normalize::ReadOptions {
                allow_letters: s.allow_letters,
            })
            .with_key_cache(match (&s.key_cache, s.no_key_cache) {
                (_, true) => KeyCacheChoice::None,
                (Some(dir), false) => KeyCacheChoice::At(dir.clone()),
                (None, false) => KeyCacheChoice::Default,
            });
        if let Some(jobs) = s.jobs {
            if jobs == 0 {
                return Err(PyValueError::new_err("jobs must be at least 1"));
            }
            options = options.with_threads(jobs);
        }
        if let Some(bytes) = s.memory_budget {
            options = options.with_memory_budget(bytes);
        }
        let header = self.header();
        if !header.has_sealed_epoch() {
            let said = s
                .evaluation_url
                .iter()
                .map(|_| {
                    "evaluation_url ignored: this snapshot is not sealed, every key is computed here"
                        .to_string()
                })
                .collect();
            return Ok(Chosen {
                options,
                said,
                service: None,
            });
        }
        let (url, why) = service_for(header, s.evaluation_url.as_deref())
            .expect("the snapshot has a sealed epoch");
        let http = HttpOptions {
            timeout: Duration::from_secs_f64(s.evaluation_timeout.max(1.0)),
            ca_cert: s.ca_cert.clone(),
            allow_http: s.allow_http,
            ..HttpOptions::default()
        };
        let token = s.token.clone().map(|t| {
            let source = s
                .token_source
                .clone()
                .unwrap_or_else(|| "the caller".into());
            (t, source)
        });
        let service = Arc::new(
            Service::new(
                &url,
                why,
                token,
                http,
                "pass token_file= (or set HUSHLIST_TOKEN_FILE or HUSHLIST_TOKEN)",
            )
            .map_err(PyValueError::new_err)?,
        );
        options.evaluator = Some(SharedEvaluator(service.clone()));
        Ok(Chosen {
            options,
            said: Vec::new(),
            service: Some(service),
        })
    }
}

fn outcome_json(outcome: &Outcome) -> PyResult<String> {
    serde_json::to_string(outcome).map_err(|e| HushlistError::new_err(e.to_string()))
}

type Watched<T> = (T, Outcome, Vec<String>);

/// Runs `work` on a thread of its own with the interpreter lock released,
/// while the caller's thread waits: it reports progress to `progress` (on the
/// caller's thread, with the lock) and turns Ctrl-C into the run's cancel flag.
fn run_watched<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    work: impl FnOnce(
            Arc<AtomicBool>,
            Box<dyn FnMut(&Progress) + Send + '_>,
        ) -> Result<Watched<T>, hushlist::CheckError>
        + Send,
) -> PyResult<Watched<T>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let latest: Arc<Mutex<Option<Progress>>> = Arc::default();
    let reported = latest.clone();
    let report: Box<dyn FnMut(&Progress) + Send> = Box::new(move |p: &Progress| {
        *reported.lock().expect("progress lock") = Some(p.clone());
    });
    let flag = cancel.clone();
    let mut callback_error: Option<PyErr> = None;
    let result = std::thread::scope(|scope| {
        let handle = scope.spawn(move || work(flag, report));
        loop {
            let done = py.detach(|| {
                for _ in 0..10 {
                    if handle.is_finished() {
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                handle.is_finished()
            });
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                callback_error.get_or_insert(e);
            }
            let seen = latest.lock().expect("progress lock").take();
            if let (Some(p), Some(cb), None) = (seen, &progress, &callback_error) {
                let call = cb.call1(py, (p.source.clone(), p.source_rows, p.rows, p.matches));
                if let Err(e) = call {
                    cancel.store(true, Ordering::Relaxed);
                    callback_error = Some(e);
                }
            }
            if done {
                break;
            }
        }
        py.detach(|| handle.join())
    });
    let result = match result {
        Ok(r) => r,
        Err(_) => return Err(HushlistError::new_err("the check panicked")),
    };
    match (result, callback_error) {
        (Err(hushlist::CheckError::Cancelled { .. }), Some(e)) => Err(e),
        (r, _) => r.map_err(check_error),
    }
}

/// A string column handed over as an Arrow `large_string` array's buffers.
/// `(offsets, data, validity, offset, length)`, as `_columns.buffers` gives them.
#[derive(FromPyObject)]
struct ArrowStrings<'py>(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Option<Bound<'py, PyBytes>>,
    usize,
    usize,
);

/// Borrowed views of the buffers, checked once so reading a cell cannot fail.
struct StringsView<'a> {
    offsets: &'a [u8],
    data: &'a [u8],
    validity: Option<&'a [u8]>,
    offset: usize,
    len: usize,
}

impl<'py> ArrowStrings<'py> {
    fn view(&self) -> PyResult<StringsView<'_>> {
        let view = StringsView {
            offsets: self.0.as_bytes(),
            data: self.1.as_bytes(),
            validity: self.2.as_ref().map(|v| v.as_bytes()),
            offset: self.3,
            len: self.4,
        };
        let bad =
            |what: &str| PyValueError::new_err(format!("malformed Arrow string column: {what}"));
        if view.offsets.len() < (view.offset + view.len + 1) * 8 {
            return Err(bad("offsets too short"));
        }
        if view
            .validity
            .is_some_and(|v| v.len() * 8 < view.offset + view.len)
        {
            return Err(bad("validity bitmap too short"));
        }
        let mut last = view.at(view.offset);
        for i in 0..view.len {
            let next = view.at(view.offset + i + 1);
            if next < last || next > view.data.len() {
                return Err(bad("offsets out of order or past the data"));
            }
            if std::str::from_utf8(&view.data[last..next]).is_err() {
                return Err(bad("a cell is not UTF-8"));
            }
            last = next;
        }
        Ok(view)
    }
}

impl StringsView<'_> {
    fn at(&self, i: usize) -> usize {
        let b: [u8; 8] = self.offsets[i * 8..i * 8 + 8].try_into().expect("8 bytes");
        usize::try_from(i64::from_le_bytes(b)).unwrap_or(usize::MAX)
    }

    /// Cell `i` (`None`: null). Checked by [`ArrowStrings::view`].
    fn get(&self, i: usize) -> Option<&str> {
        let at = self.offset + i;
        if let Some(bits) = self.validity {
            if bits[at / 8] & (1 << (at % 8)) == 0 {
                return None;
            }
        }
        let text = &self.data[self.at(at)..self.at(at + 1)];
        Some(std::str::from_utf8(text).expect("checked in view"))
    }
}

/// A nullable string column being built, in Arrow's layout.
struct StringsOut {
    validity: Vec<u8>,
    offsets: Vec<u8>,
    data: Vec<u8>,
    len: usize,
    nulls: usize,
}

impl Default for StringsOut {
    fn default() -> Self {
        // Arrow's offsets start at 0, even for an empty column.
        StringsOut {
            validity: Vec::new(),
            offsets: 0i64.to_le_bytes().to_vec(),
            data: Vec::new(),
            len: 0,
            nulls: 0,
        }
    }
}

impl StringsOut {
    fn push(&mut self, value: Option<&str>) {
        if self.len.is_multiple_of(8) {
            self.validity.push(0);
        }
        match value {
            Some(text) => {
                *self.validity.last_mut().expect("pushed") |= 1 << (self.len % 8);
                self.data.extend_from_slice(text.as_bytes());
            }
            None => self.nulls += 1,
        }
        self.offsets
            .extend_from_slice(&(self.data.len() as i64).to_le_bytes());
        self.len += 1;
    }
}

/// The verdict columns, in Arrow's layout, before they become Python bytes.
struct ColumnBuffers {
    status: Vec<u8>,
    matched: Vec<u8>,
    valid_validity: Vec<u8>,
    valid_values: Vec<u8>,
    strings: [StringsOut; 5],
}

/// Status codes, in the order `hushlist._columns.STATUSES` lists them.
fn status_code(v: &CellVerdict) -> u8 {
    use hushlist::CellStatus::*;
    match v.status {
        Match => 0,
        Doubtful => 1,
        Clear => 2,
        Empty => 3,
        NotANumber => 4,
        Unreadable => 5,
        _ => 4,
    }
}

impl ColumnBuffers {
    fn of(verdicts: &[CellVerdict]) -> Self {
        let bitmap_len = verdicts.len().div_ceil(8);
        let mut out = ColumnBuffers {
            status: Vec::with_capacity(verdicts.len()),
            matched: vec![0; bitmap_len],
            valid_validity: vec![0; bitmap_len],
            valid_values: vec![0; bitmap_len],
            strings: Default::default(),
        };
        for (i, v) in verdicts.iter().enumerate() {
            out.status.push(status_code(v));
            if v.matched() {
                out.matched[i / 8] |= 1 << (i % 8);
            }
            if let Some(valid) = v.valid {
                out.valid_validity[i / 8] |= 1 << (i % 8);
                if valid {
                    out.valid_values[i / 8] |= 1 << (i % 8);
                }
            }
            let kind = v.kind.map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            });
            let [e164, reason, kind_out, note, row_region] = &mut out.strings;
            e164.push(v.e164.as_deref());
            reason.push(v.reason.as_deref());
            kind_out.push(kind.as_deref());
            note.push(v.note.as_deref());
            row_region.push(v.row_region.as_deref());
        }
        out
    }

    fn into_py(self, py: Python<'_>) -> Columns<'_> {
        let bytes = |b: &[u8]| PyBytes::new(py, b);
        let strings = self
            .strings
            .iter()
            .map(|s| {
                (
                    bytes(&s.validity),
                    bytes(&s.offsets),
                    bytes(&s.data),
                    s.nulls,
                )
            })
            .collect();
        (
            bytes(&self.status),
            bytes(&self.matched),
            bytes(&self.valid_validity),
            bytes(&self.valid_values),
            strings,
        )
    }
}

/// `(status codes, matched bitmap, valid's validity, valid's values,
/// [(validity, offsets, data, null count)] for e164, reason, kind, note, row_region)`.
type Columns<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Vec<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        usize,
    )>,
);

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyList>()?;
    m.add("HushlistError", py.get_type::<HushlistError>())?;
    m.add("OpenError", py.get_type::<OpenError>())?;
    m.add("VerificationError", py.get_type::<VerificationError>())?;
    m.add("StateError", py.get_type::<StateError>())?;
    m.add("NothingInstalled", py.get_type::<NothingInstalled>())?;
    m.add("CheckError", py.get_type::<CheckError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    m.add("MemoryBudgetError", py.get_type::<MemoryBudgetError>())?;
    m.add(
        "METADATA_VERSION",
        hushlist::format::normalize::METADATA_VERSION,
    )?;
    Ok(())
}
