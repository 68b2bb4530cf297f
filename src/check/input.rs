//! Streaming rows of phone numbers from CSV, TSV or plain lists, as companies
//! export them.
//!
//! Bytes are decoded first: a BOM decides (UTF-8, UTF-16), else UTF-8 when the
//! first 64 KiB are valid UTF-8, else Windows-1252 (what Excel and most European
//! exports write), unless `--encoding` says. The format is sniffed from the first
//! non-blank line: a comma, semicolon or tab makes it a delimited file (the most
//! frequent of the three wins), anything else a plain list with one number per
//! line. Which columns hold numbers is decided from the header's names alone
//! (see `check::columns`), or given; a file with a header is never read in a
//! column chosen from its contents. Everything chosen is recorded in the
//! [`Layout`], which every report prints. Line numbers count `\n`, `\r\n` and
//! lone `\r` endings.

use super::columns::{self, classify, ColumnKind};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Longest physical line accepted.
const MAX_LINE: u64 = 1 << 20;
/// A quoted field spanning more lines than this (its own included) is taken
/// for an unclosed quote and stops the file.
const MAX_RECORD_LINES: u64 = 20;
/// Bytes looked at to detect the encoding.
const SNIFF_BYTES: usize = 64 * 1024;

/// A column, by header name or 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnSpec {
    /// A header name, matched case-insensitively.
    Name(String),
    /// A 1-based column index.
    Index(usize),
}

impl ColumnSpec {
    /// `3` is the third column; anything else is a header name.
    pub fn parse(text: &str) -> Self {
        match text.trim().parse::<usize>() {
            Ok(i) if i > 0 => ColumnSpec::Index(i),
            _ => ColumnSpec::Name(text.trim().to_string()),
        }
    }
}

impl std::fmt::Display for ColumnSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnSpec::Name(n) => write!(f, "{n:?}"),
            ColumnSpec::Index(i) => write!(f, "column {i}"),
        }
    }
}

/// Which columns to read, and how to decode the bytes. Built with the
/// `with_*` methods: it grows without breaking callers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputOptions {
    /// Columns holding numbers; each file uses those it has. Empty: every
    /// column whose header names a phone.
    pub columns: Vec<ColumnSpec>,
    /// A column with each row's region (code or country name), used where present.
    pub region_column: Option<ColumnSpec>,
    /// An encoding label (`windows-1252`, `latin1`, `utf-16le`...); `None` detects.
    pub encoding: Option<String>,
    /// Labels for single inputs, over `encoding`: (the input's name or its
    /// file name, label). See [`InputOptions::for_source`].
    pub encodings: Vec<(String, String)>,
    /// Columns checked besides the ones chosen (a phone column no header
    /// word names: `Alternate No.`), where a file has them.
    pub also_columns: Vec<ColumnSpec>,
    /// Columns never checked nor warned about (`IMEI`), where a file has them.
    pub not_columns: Vec<ColumnSpec>,
    /// How the program in front names these settings in what it tells the user.
    pub names: SettingNames,
    /// The input's file name, once [`InputOptions::for_source`] chose these
    /// options for it: messages name it instead of `FILE`.
    pub(crate) source: Option<String>,
}

impl InputOptions {
    /// The columns holding numbers (none: every column whose header names a phone).
    pub fn with_columns(mut self, columns: impl IntoIterator<Item = ColumnSpec>) -> Self {
        self.columns = columns.into_iter().collect();
        self
    }

    /// A column naming each row's region.
    pub fn with_region_column(mut self, column: Option<ColumnSpec>) -> Self {
        self.region_column = column;
        self
    }

    /// An encoding label (`None`: detected).
    pub fn with_encoding(mut self, label: Option<String>) -> Self {
        self.encoding = label;
        self
    }

    /// An encoding label for one input: `source` is its name as the run is
    /// given it, or that name's last path component (`bill.csv` for
    /// `exports/bill.csv`).
    pub fn with_input_encoding(mut self, source: &str, label: &str) -> Self {
        self.encodings.push((source.to_string(), label.to_string()));
        self
    }

    /// The options for the input named `source`: its own encoding label
    /// when one was given for it (the last one given wins), else the common one.
    pub fn for_source(&self, source: &str) -> InputOptions {
        let file_name = std::path::Path::new(source)
            .file_name()
            .and_then(|n| n.to_str());
        let own = self
            .encodings
            .iter()
            .rev()
            .find(|(name, _)| name == source || Some(name.as_str()) == file_name);
        let mut options = match own {
            Some((_, label)) => InputOptions {
                encoding: Some(label.clone()),
                ..self.clone()
            },
            None => self.clone(),
        };
        options.source = Some(file_name.unwrap_or(source).to_string());
        options
    }

    /// Columns checked besides the ones chosen.
    pub fn with_also_columns(mut self, columns: impl IntoIterator<Item = ColumnSpec>) -> Self {
        self.also_columns = columns.into_iter().collect();
        self
    }

    /// Columns never checked nor warned about.
    pub fn with_not_columns(mut self, columns: impl IntoIterator<Item = ColumnSpec>) -> Self {
        self.not_columns = columns.into_iter().collect();
        self
    }

    /// How messages name the settings.
    pub fn with_names(mut self, names: SettingNames) -> Self {
        self.names = names;
        self
    }
}

/// How the program in front of the library names the settings a message may
/// ask its user to change: the CLI's `--column`, a binding's `columns=`. The
/// default is the library's own option names, so a message never names a
/// flag its reader does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettingNames {
    /// Which columns hold numbers ([`InputOptions::columns`]).
    pub column: String,
    /// The input's encoding ([`InputOptions::encoding`]).
    pub encoding: String,
    /// The default regions (`CheckOptions::regions`).
    pub region: String,
    /// Converting vanity letters (`ReadOptions::allow_letters`).
    pub allow_letters: String,
    /// Adding a column to the detected ones ([`InputOptions::also_columns`]),
    /// when the program has that setting: the fix for one more column, where
    /// naming the columns would replace the detected ones.
    pub also_column: Option<String>,
}

impl Default for SettingNames {
    fn default() -> Self {
        SettingNames::new("`columns`", "`encoding`", "`regions`", "`allow_letters`")
            .with_also_column("`also_columns`")
    }
}

impl SettingNames {
    /// Names for the four settings, as the user writes them.
    pub fn new(column: &str, encoding: &str, region: &str, allow_letters: &str) -> Self {
        SettingNames {
            column: column.into(),
            encoding: encoding.into(),
            region: region.into(),
            allow_letters: allow_letters.into(),
            also_column: None,
        }
    }

    /// How the program names [`InputOptions::also_columns`].
    pub fn with_also_column(mut self, name: &str) -> Self {
        self.also_column = Some(name.into());
        self
    }

    /// Why a cell is not a number, with the setting that would read it
    /// where there is one.
    pub fn not_a_number(&self, e: crate::format::normalize::NormalizeError) -> String {
        use crate::format::normalize::NormalizeError;
        match e {
            NormalizeError::NeedsRegion => format!("{e} ({})", self.region),
            NormalizeError::Letters => format!(
                "contains letters (vanity numbers are not converted; {} converts them)",
                self.allow_letters
            ),
            e => e.to_string(),
        }
    }
}

/// A column that is read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// 0-based position in the row. Reports give it 1-based, as `position`:
    /// what `--column N` takes.
    #[serde(rename = "position", serialize_with = "one_based")]
    pub index: usize,
    /// Its header name, or `column N` without a header.
    pub name: String,
}

fn one_based<S: serde::Serializer>(index: &usize, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(*index as u64 + 1)
}

/// How an input was read: what every report names, so nothing is chosen silently.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Layout {
    /// The encoding and how it was decided (`UTF-8`, `windows-1252 (detected)`...).
    pub encoding: String,
    /// The field delimiter; `None` for one number per line.
    pub delimiter: Option<char>,
    /// The header row, when there is one.
    pub headers: Option<Vec<String>>,
    /// The columns whose numbers are checked.
    pub columns: Vec<Column>,
    /// Columns that look phone-related but are not checked, each with the reason.
    pub skipped: Vec<String>,
    /// The column giving each row's region, when used.
    pub region_column: Option<Column>,
    /// The region column asked for, when this file lacks it (its rows use
    /// the default regions; other inputs may have it).
    pub region_column_absent: Option<String>,
    /// How the columns were chosen, in words.
    pub chosen: String,
    /// What the reader could not do as asked, or doubts (a region column
    /// this file lacks, phone columns left out by the columns asked for).
    pub warnings: Vec<String>,
    /// Why the encoding may be wrong (guessed from few bytes, or a label
    /// given that the bytes do not look like). A note, not a warning: digits
    /// read the same in every encoding a guess chooses between, so only
    /// names and text may look garbled; when no phone column is found, the
    /// error says it.
    pub encoding_doubt: Option<String>,
}

impl Layout {
    /// The delimiter in words.
    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            None => "none (one number per line)",
            Some(',') => "comma",
            Some(';') => "semicolon",
            Some('\t') => "tab",
            Some(_) => "other",
        }
    }
}

/// One checked cell of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Position of its column in [`Layout::columns`].
    pub column: usize,
    /// The text, or why the row has none in that column.
    pub value: Result<String, String>,
}

/// One data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number where the row starts.
    pub line: u64,
    /// All fields, as read.
    pub fields: Vec<String>,
    /// The cells to check, one per checked column.
    pub cells: Vec<Cell>,
    /// The row's own region (as written), from the region column, when not empty.
    pub region: Option<String>,
    /// Why the row's shape is doubtful (more fields than the header: its
    /// cells may have shifted), when it is.
    pub problem: Option<String>,
    /// A line inside a quoted field that spans lines, read again as a row
    /// of its own with the quote taken literally: a stray quote (`"Ann`)
    /// would otherwise hide the rows after it. Only its numbers count.
    pub reread: bool,
}

impl Row {
    /// A row holding just `value` (from a command-line argument, say).
    pub fn single(line: u64, value: &str) -> Row {
        Row {
            line,
            fields: vec![value.to_string()],
            cells: vec![Cell {
                column: 0,
                value: Ok(value.to_string()),
            }],
            region: None,
            problem: None,
            reread: false,
        }
    }
}

/// Errors that stop reading a file altogether (nothing of it is checked).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The input could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// None of the `--column` columns is in this file.
    #[error(
        "none of the columns asked for ({asked}) is in this file; its header has: {available}"
    )]
    NoListedColumn {
        /// The columns asked for.
        asked: String,
        /// The header's names.
        available: String,
    },
    /// No header name says it holds phone numbers.
    #[error(
        "no column name says it holds phone numbers; the header has: {available} (read as {encoding}){}",
        encoding_doubt.as_ref().map(|d| format!("; {d}")).unwrap_or_default()
    )]
    NoPhoneColumn {
        /// The header's names.
        available: String,
        /// The encoding the header was read in, and how it was decided.
        encoding: String,
        /// Why that encoding may be wrong, when it may be: garbled names
        /// are then the likelier cause.
        encoding_doubt: Option<String>,
    },
    /// Not text: a workbook or other binary file.
    #[error("not a text file: {0}")]
    NotText(&'static str),
    /// Several columns and no header: which one holds numbers cannot be told.
    #[error("no header row and {width} columns: which one holds the numbers cannot be told")]
    NoHeader {
        /// Fields in the first row.
        width: usize,
    },
    /// `--column NAME` on a file without a header.
    #[error("column {name:?} names a header, but this file has no header row")]
    NeedsHeader {
        /// The name asked for.
        name: String,
    },
    /// An encoding label that is not known.
    #[error("unknown encoding {0:?} (examples: utf-8, windows-1252, latin1, utf-16le)")]
    UnknownEncoding(String),
    /// The file is not a well-formed list (an unclosed quote, an endless line).
    #[error("line {line}: {reason}")]
    Malformed {
        /// Where the problem starts.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// A streaming reader of rows.
pub struct RowReader {
    csv: csv::Reader<Box<dyn Read + Send>>,
    layout: Layout,
    /// The first line holding bytes the chosen encoding cannot decode, shared
    /// with [`DecodeProblem`] handles.
    undecodable: Arc<Mutex<Option<u64>>>,
    /// Records whose quoted fields hold line breaks, shared with
    /// [`DecodeProblem`] handles.
    multiline: Arc<Mutex<Multiline>>,
    /// Per column not checked: cells shaped like phone numbers, and cells
    /// filled, shared with [`DecodeProblem`] handles.
    unchecked: Arc<Unchecked>,
    names: SettingNames,
    region_index: Option<usize>,
    pending: Option<Row>,
    /// Lines of the last record read again as rows, still to be returned.
    reread: VecDeque<Row>,
    newlines: Arc<Mutex<NewlineTracker>>,
    digest: Arc<Mutex<Sha256>>,
    /// Reused for every record: its buffers outlive one row.
    record: csv::ByteRecord,
}

/// Passes bytes through while hashing them (SHA-256 of the file as given).
struct HashingReader<R> {
    inner: R,
    digest: Arc<Mutex<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.lock().expect("not poisoned").update(&buf[..n]);
        Ok(n)
    }
}

/// Whether `label` names an encoding (WHATWG labels: `utf-8`, `shift_jis`,
/// `windows-1252`, `latin1`...), for a program that checks its arguments
/// before reading anything.
pub fn encoding_label_known(label: &str) -> bool {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_some()
}

/// The encoding a file is read in, how it was decided, and a doubt to
/// report when the decision may be wrong.
struct ChosenEncoding {
    encoding: &'static encoding_rs::Encoding,
    name: String,
    doubt: Option<String>,
}

/// Non-ASCII bytes below which a detected legacy encoding is called a guess.
const SURE_NON_ASCII: usize = 64;

/// Decides the encoding: a BOM first (it decides, even over a label given),
/// then the label given, then UTF-16 by its NULs, UTF-8 when the sample is
/// valid UTF-8, else Mozilla's detector (chardetng) over the sample: the
/// Japanese, Chinese and Korean legacy encodings and the Windows code pages.
fn choose_encoding(
    head: &[u8],
    label: Option<&str>,
    names: &SettingNames,
    file: &str,
) -> Result<ChosenEncoding, InputError> {
    let chosen = |encoding: &'static encoding_rs::Encoding, name: String| ChosenEncoding {
        encoding,
        name,
        doubt: None,
    };
    let given = label
        .map(|label| {
            encoding_rs::Encoding::for_label(label.trim().as_bytes())
                .ok_or_else(|| InputError::UnknownEncoding(label.to_string()))
        })
        .transpose()?;
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(head) {
        return Ok(chosen(
            enc,
            match given {
                Some(g) if g != enc => format!(
                    "{} (BOM; the {} given does not apply to this file)",
                    enc.name(),
                    g.name()
                ),
                _ => format!("{} (BOM)", enc.name()),
            },
        ));
    }
    if let Some(enc) = given {
        let mut c = chosen(enc, format!("{} (given)", enc.name()));
        // A label given for several files may not fit this one: say what
        // its bytes look like when that is something else.
        if let Some(detected) = detect_legacy(head).filter(|d| d.0 != enc && d.1 >= SURE_NON_ASCII)
        {
            c.doubt = Some(format!(
                "its bytes look like {}, not the {} given: if its names or text look \
                 garbled, give this file's encoding with {} {file}={}",
                detected.0.name(),
                enc.name(),
                names.encoding,
                detected.0.name()
            ));
        }
        return Ok(c);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err(InputError::NotText(
            "a ZIP archive: an Excel (.xlsx) or OpenDocument workbook? Save the sheet as CSV (UTF-8) and check that",
        ));
    }
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        return Err(InputError::NotText(
            "an old Excel (.xls) workbook? Save the sheet as CSV (UTF-8) and check that",
        ));
    }
    // UTF-16 without a BOM: ASCII text with a NUL beside every character.
    let nul_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = head.len() / 2;
    if half >= 8 && nul_at(1) * 10 >= half * 9 && nul_at(0) * 10 < half {
        return Ok(chosen(
            encoding_rs::UTF_16LE,
            "UTF-16LE (detected: no BOM)".into(),
        ));
    }
    if half >= 8 && nul_at(0) * 10 >= half * 9 && nul_at(1) * 10 < half {
        return Ok(chosen(
            encoding_rs::UTF_16BE,
            "UTF-16BE (detected: no BOM)".into(),
        ));
    }
    if head.contains(&0) {
        return Err(InputError::NotText(
            "binary data (NUL bytes), not a CSV file or a list of numbers",
        ));
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok(chosen(encoding_rs::UTF_8, "UTF-8".into())),
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() => Ok(chosen(encoding_rs::UTF_8, "UTF-8".into())),
        Err(_) => {
            let (enc, non_ascii) = detect_legacy(head).unwrap_or((encoding_rs::WINDOWS_1252, 0));
            let mut c = chosen(
                enc,
                format!(
                    "{} (detected: not UTF-8; {non_ascii} non-ASCII bytes in the sample{})",
                    enc.name(),
                    if non_ascii < SURE_NON_ASCII {
                        ", a guess"
                    } else {
                        ""
                    }
                ),
            );
            if non_ascii < SURE_NON_ASCII {
                c.doubt = Some(format!(
                    "its encoding was guessed as {} from only {non_ascii} non-ASCII bytes: if its \
                     names or text look garbled, give it with {} {file}=LABEL ({})",
                    enc.name(),
                    names.encoding,
                    likely_alternatives(enc)
                ));
            }
            Ok(c)
        }
    }
}

/// The encodings most often confused with `guess`, for a note that asks
/// the user to check.
fn likely_alternatives(guess: &'static encoding_rs::Encoding) -> &'static str {
    use encoding_rs::*;
    if guess == SHIFT_JIS || guess == EUC_JP {
        "Shift_JIS, EUC-JP"
    } else if guess == GBK || guess == GB18030 || guess == BIG5 {
        "GBK, Big5"
    } else if guess == EUC_KR {
        "EUC-KR"
    } else if guess == WINDOWS_1251 || guess == KOI8_R || guess == IBM866 {
        "windows-1251, KOI8-R, IBM866"
    } else {
        "windows-1252, windows-1250, ISO-8859-2, windows-1257"
    }
}

/// chardetng's guess for a sample that is not UTF-8 (ISO-2022-JP, an escape
/// encoding no export uses, left out), with the sample's non-ASCII byte
/// count: the evidence the guess rests on. `None` for pure ASCII.
fn detect_legacy(head: &[u8]) -> Option<(&'static encoding_rs::Encoding, usize)> {
    let non_ascii = head.iter().filter(|b| !b.is_ascii()).count();
    if non_ascii == 0 {
        return None;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // The sample is a prefix of the file: not its end.
    detector.feed(head, false);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    Some((guess, non_ascii))
}

/// Line numbers from byte offsets. The csv crate's own line counter skips
/// blank lines, so line breaks are recorded here as the bytes stream past (at
/// the offset of each break's last byte); only those not yet behind the current
/// record are kept, which bounds the queue by csv's read-ahead.
#[derive(Default)]
struct NewlineTracker {
    pending: VecDeque<u64>,
    lines_before: u64,
    bytes_read: u64,
    at_eof: bool,
}

impl NewlineTracker {
    fn line_at(&mut self, byte: u64) -> u64 {
        while self.pending.front().is_some_and(|&nl| nl < byte) {
            self.pending.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

struct CountingReader<R> {
    inner: R,
    offset: u64,
    /// Bytes since the last line break: one endless line is refused rather
    /// than buffered (a field of gigabytes costs several times its size).
    line_len: u64,
    /// A `\r` seen at this offset, not yet known to be followed by `\n`.
    carriage_return: Option<u64>,
    newlines: Arc<Mutex<NewlineTracker>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut tracker = self.newlines.lock().expect("not poisoned");
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            if let Some(cr) = self.carriage_return.take() {
                if b != b'\n' {
                    tracker.pending.push_back(cr);
                }
            }
            match b {
                b'\n' => tracker.pending.push_back(at),
                b'\r' => self.carriage_return = Some(at),
                _ => {}
            }
            if b == b'\n' || b == b'\r' {
                self.line_len = 0;
            } else {
                self.line_len += 1;
                if self.line_len > MAX_LINE {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "line {}: longer than {} KiB: not a CSV file or a list of numbers",
                            tracker.lines_before + tracker.pending.len() as u64 + 1,
                            MAX_LINE / 1024
                        ),
                    ));
                }
            }
        }
        if n == 0 {
            if let Some(cr) = self.carriage_return.take() {
                tracker.pending.push_back(cr);
            }
            tracker.at_eof = true;
        }
        self.offset += n as u64;
        tracker.bytes_read = self.offset;
        Ok(n)
    }
}

/// Line breaks inside a record's fields, counted as the tracker counts them.
fn breaks_in(field: &[u8]) -> u64 {
    let lone_cr = field
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(field.last() == Some(&b'\r'));
    (field.iter().filter(|&&b| b == b'\n').count() + lone_cr) as u64
}

/// The delimiter an Excel `sep=X` first line names.
fn excel_separator(line: &[u8]) -> Option<u8> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.strip_prefix(b"sep=") {
        Some([d]) if matches!(d, b',' | b';' | b'\t' | b'|') => Some(*d),
        _ => None,
    }
}

fn sniff_delimiter(line: &[u8]) -> Option<u8> {
    let mut best = None;
    let mut best_count = 0;
    for d in [b',', b';', b'\t'] {
        let count = line.iter().filter(|&&b| b == d).count();
        if count > best_count {
            best = Some(d);
            best_count = count;
        }
    }
    best
}

/// Whether `spec` names column `i` of a row whose fields (or header) are `names`.
fn spec_is(spec: &ColumnSpec, names: &[String], i: usize) -> bool {
    match spec {
        ColumnSpec::Name(n) => names
            .get(i)
            .is_some_and(|h| h.trim().to_lowercase() == n.to_lowercase()),
        ColumnSpec::Index(k) => *k == i + 1,
    }
}

fn looks_like_number(field: &str) -> bool {
    field.chars().filter(|c| c.is_numeric()).count() >= 7
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// A record: its first line and its fields.
type Record = (u64, Vec<String>);

impl RowReader {
    /// Starts reading `input`: decodes it, sniffs the format from the first
    /// non-blank line, and decides which columns to read.
    pub fn new(input: Box<dyn BufRead + Send>, options: &InputOptions) -> Result<Self, InputError> {
        let digest = Arc::new(Mutex::new(Sha256::new()));
        let mut raw = HashingReader {
            inner: input,
            digest: Arc::clone(&digest),
        };
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut raw).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
        let ChosenEncoding {
            encoding,
            name: encoding_name,
            doubt: encoding_doubt,
        } = choose_encoding(
            &head,
            options.encoding.as_deref(),
            &options.names,
            options.source.as_deref().unwrap_or("FILE"),
        )?;
        let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .build(Cursor::new(head).chain(raw));
        let mut input = BufReader::with_capacity(1 << 16, decoded);

        let mut prefix = Vec::new();
        let mut first = Vec::new();
        loop {
            first.clear();
            let n = input
                .by_ref()
                .take(MAX_LINE)
                .read_until(b'\n', &mut first)?;
            if n as u64 == MAX_LINE && first.last() != Some(&b'\n') {
                return Err(InputError::Malformed {
                    line: 1 + prefix.iter().filter(|&&b| b == b'\n').count() as u64,
                    reason: "a line longer than 1 MiB: not a CSV file or a list of numbers".into(),
                });
            }
            if n == 0 || !is_blank(&first) {
                break;
            }
            prefix.append(&mut first);
        }
        // Excel writes `sep=;` as a first line to name the delimiter.
        let excel_sep = excel_separator(&first);
        let delimiter = excel_sep.or_else(|| sniff_delimiter(&first));
        let newlines = Arc::new(Mutex::new(NewlineTracker::default()));
        prefix.extend_from_slice(&first);
        let replay: Box<dyn Read + Send> = Box::new(CountingReader {
            inner: Cursor::new(prefix).chain(input),
            offset: 0,
            line_len: 0,
            carriage_return: None,
            newlines: Arc::clone(&newlines),
        });
        let mut builder = csv::ReaderBuilder::new();
        builder.has_headers(false).flexible(true);
        match delimiter {
            Some(d) => builder.delimiter(d),
            // A plain list: one field per line, quotes are literal.
            None => builder.delimiter(b'\x1f').quoting(false),
        };
        let mut reader = RowReader {
            csv: builder.from_reader(replay),
            layout: Layout {
                encoding: encoding_name,
                delimiter: delimiter.map(char::from),
                headers: None,
                columns: Vec::new(),
                skipped: Vec::new(),
                region_column: None,
                region_column_absent: None,
                chosen: String::new(),
                warnings: Vec::new(),
                encoding_doubt,
            },
            region_index: None,
            undecodable: Arc::new(Mutex::new(None)),
            multiline: Arc::default(),
            unchecked: Arc::default(),
            names: options.names.clone(),
            pending: None,
            reread: VecDeque::new(),
            record: csv::ByteRecord::new(),
            newlines,
            digest,
        };
        if excel_sep.is_some() {
            // The `sep=` line itself is not the header.
            let _ = reader.read_record().transpose()?;
        }
        let Some((line, fields)) = reader.read_record().transpose()? else {
            reader.layout.chosen = "empty input".into();
            return Ok(reader);
        };
        let is_header = is_header(&fields, options);
        // No phone column by its header is no error yet when a column is
        // added by name (`--also-column`): the file may have that one.
        let chosen = match reader.choose_columns(&fields, is_header, options) {
            Err(e @ InputError::NoPhoneColumn { .. }) if !options.also_columns.is_empty() => {
                reader.layout.chosen = "no header word says phone".into();
                Some(e)
            }
            other => {
                other?;
                None
            }
        };
        reader.adjust_columns(&fields, is_header, options);
        if reader.layout.columns.is_empty() {
            return Err(chosen.unwrap_or(InputError::NoListedColumn {
                asked: "every column chosen was set aside".into(),
                available: fields.join(", "),
            }));
        }
        if is_header {
            let read: Vec<usize> = reader
                .layout
                .columns
                .iter()
                .map(|c| c.index)
                .chain(reader.region_index)
                .collect();
            // A column set aside on purpose is not warned about either.
            // A column set aside on purpose is not warned about either, nor
            // one whose name says date or serial.
            let set_aside = |i: &usize| {
                options.not_columns.iter().any(|s| spec_is(s, &fields, *i))
                    || columns::never_a_phone(&fields[*i])
            };
            reader.unchecked = Arc::new(Unchecked {
                columns: (0..fields.len())
                    .filter(|i| !read.contains(i) && !set_aside(i))
                    .map(|i| (i, fields[i].clone(), AtomicU64::new(0), AtomicU64::new(0)))
                    .collect(),
            });
            reader.layout.headers = Some(fields);
        } else {
            reader.pending = Some(reader.row(line, fields));
        }
        Ok(reader)
    }

    fn choose_columns(
        &mut self,
        first: &[String],
        is_header: bool,
        options: &InputOptions,
    ) -> Result<(), InputError> {
        let names: Vec<String> = first.iter().map(|f| f.trim().to_string()).collect();
        // A first line that holds data (an e-mail address, a long run of
        // digits) is not shown: errors never print row content.
        let available = || {
            let data = names
                .iter()
                .any(|n| n.contains('@') || n.chars().filter(char::is_ascii_digit).count() >= 5);
            if data {
                format!(
                    "{} fields, not shown: the first line looks like data, not a header",
                    names.len()
                )
            } else {
                names.join(", ")
            }
        };
        let find = |spec: &ColumnSpec| -> Result<Option<Column>, InputError> {
            match spec {
                ColumnSpec::Name(name) if is_header => Ok(names
                    .iter()
                    .position(|h| h.to_lowercase() == name.to_lowercase())
                    .map(|index| Column {
                        index,
                        name: names[index].clone(),
                    })),
                ColumnSpec::Name(name) => Err(InputError::NeedsHeader { name: name.clone() }),
                ColumnSpec::Index(i) => Ok((*i <= names.len()).then(|| Column {
                    index: i - 1,
                    name: if is_header {
                        names[i - 1].clone()
                    } else {
                        format!("column {i}")
                    },
                })),
            }
        };
        let layout = &mut self.layout;
        if let Some(spec) = &options.region_column {
            // A header name absent here is fine: other files may have it.
            layout.region_column = match spec {
                ColumnSpec::Name(_) if !is_header => None,
                spec => find(spec)?,
            };
            self.region_index = layout.region_column.as_ref().map(|c| c.index);
            if layout.region_column.is_none() {
                layout.region_column_absent = Some(spec.to_string());
            }
        }
        if !options.columns.is_empty() {
            let mut missing = Vec::new();
            for spec in &options.columns {
                match find(spec)? {
                    Some(c) if !layout.columns.contains(&c) => layout.columns.push(c),
                    Some(_) => {}
                    None => missing.push(spec.to_string()),
                }
            }
            if layout.columns.is_empty() {
                return Err(InputError::NoListedColumn {
                    asked: options
                        .columns
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    available: if is_header {
                        available()
                    } else {
                        format!("no header, {} column(s)", names.len())
                    },
                });
            }
            layout.chosen = if missing.is_empty() {
                format!("given ({})", options.names.column)
            } else {
                // Many columns asked for, over many files: a count, not the list
                // again on every file's line.
                let absent = match missing.len() {
                    n if n <= 3 => missing.join(", "),
                    n => format!("{n} of the {} columns asked for are", options.columns.len()),
                };
                format!(
                    "given ({}); {absent} not in this file",
                    options.names.column
                )
            };
            // Columns asked for by name must not hide other phone columns.
            if is_header {
                let left_out: Vec<&str> = names
                    .iter()
                    .enumerate()
                    .filter(|(i, n)| {
                        classify(n) == ColumnKind::Phone
                            && !layout.columns.iter().any(|c| c.index == *i)
                            && layout.region_column.as_ref().map(|c| c.index) != Some(*i)
                    })
                    .map(|(_, n)| n.as_str())
                    .collect();
                if !left_out.is_empty() {
                    layout.warnings.push(format!(
                        "not checked, though their headers name a phone: {} (not among the columns asked for)",
                        left_out.join(", ")
                    ));
                }
            }
            return Ok(());
        }
        if !is_header {
            if names.len() > 1 {
                return Err(InputError::NoHeader { width: names.len() });
            }
            layout.columns.push(Column {
                index: 0,
                name: if delimiter_is_none(layout) {
                    "the list".into()
                } else {
                    "column 1".into()
                },
            });
            layout.chosen = "no header row: the only column".into();
            return Ok(());
        }
        let kinds: Vec<ColumnKind> = names.iter().map(|n| classify(n)).collect();
        let pick = |kind| -> Vec<Column> {
            (0..names.len())
                .filter(|&i| kinds[i] == kind && Some(i) != layout_region(options, &names))
                .map(|index| Column {
                    index,
                    name: names[index].clone(),
                })
                .collect()
        };
        let phones = pick(ColumnKind::Phone);
        let bare = pick(ColumnKind::BareNumber);
        for i in 0..names.len() {
            if kinds[i] == ColumnKind::Describes {
                layout
                    .skipped
                    .push(format!("{} (describes a phone, holds no number)", names[i]));
            } else if let Some(why) = (kinds[i] == ColumnKind::Other)
                .then(|| columns::unchecked_reason(&names[i]))
                .flatten()
            {
                layout.skipped.push(format!("{} ({why})", names[i]));
            }
        }
        if !phones.is_empty() {
            for c in &bare {
                layout.skipped.push(format!(
                    "{} (only called a number; phone columns exist)",
                    c.name
                ));
            }
            layout.columns = phones;
            layout.chosen = "header names that say phone".into();
        } else if !bare.is_empty() {
            layout.columns = bare;
            layout.chosen = "header named only \"number\" (no column says phone)".into();
        } else {
            return Err(InputError::NoPhoneColumn {
                available: available(),
                encoding: layout.encoding.clone(),
                encoding_doubt: layout.encoding_doubt.clone(),
            });
        }
        Ok(())
    }

    /// Adds the `also` columns this file has and removes the `not` ones,
    /// saying so in the layout: nothing is chosen silently.
    fn adjust_columns(&mut self, names: &[String], is_header: bool, options: &InputOptions) {
        let layout = &mut self.layout;
        let mut added = Vec::new();
        for spec in &options.also_columns {
            if matches!(spec, ColumnSpec::Name(_)) && !is_header {
                continue;
            }
            if let Some(index) = (0..names.len()).find(|&i| spec_is(spec, names, i)) {
                if !layout.columns.iter().any(|c| c.index == index) {
                    let name = if is_header {
                        names[index].clone()
                    } else {
                        format!("column {}", index + 1)
                    };
                    added.push(name.clone());
                    layout.columns.push(Column { index, name });
                }
            }
        }
        let before = layout.columns.len();
        let mut removed = Vec::new();
        layout.columns.retain(|c| {
            let out = options
                .not_columns
                .iter()
                .any(|s| spec_is(s, names, c.index));
            if out {
                removed.push(c.name.clone());
            }
            !out
        });
        if !added.is_empty() {
            layout
                .chosen
                .push_str(&format!("; also {} (as asked)", added.join(", ")));
        }
        if layout.columns.len() < before {
            layout
                .chosen
                .push_str(&format!("; not {} (as asked)", removed.join(", ")));
        }
        for spec in &options.not_columns {
            if let Some(i) = (0..names.len()).find(|&i| spec_is(spec, names, i)) {
                let name = &names[i];
                if !removed.contains(name) {
                    layout.skipped.push(format!("{name} (set aside as asked)"));
                }
            }
        }
    }

    /// How the input was read.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// A handle to the SHA-256 of the bytes read so far: the whole file's once
    /// the rows are exhausted.
    pub fn digest(&self) -> InputDigest {
        InputDigest(Arc::clone(&self.digest))
    }

    /// A handle that tells, once the rows are read, the first line whose bytes
    /// the chosen encoding could not decode (a file that turns Windows-1252
    /// after the sample the encoding was chosen from).
    pub fn decode_problem(&self) -> DecodeProblem {
        DecodeProblem {
            line: Arc::clone(&self.undecodable),
            multiline: Arc::clone(&self.multiline),
            unchecked: Arc::clone(&self.unchecked),
            encoding: self.layout.encoding.clone(),
            names: self.names.clone(),
        }
    }

    /// The header row, when there is one.
    pub fn headers(&self) -> Option<&[String]> {
        self.layout.headers.as_deref()
    }

    /// Reads one record with the line it starts on. csv's own record positions
    /// point before skipped blank lines, so the line is counted back from the
    /// record's end (its terminator) less the line breaks quoted inside it.
    fn read_record(&mut self) -> Option<Result<Record, InputError>> {
        let result = self.csv.read_byte_record(&mut self.record);
        let record = &self.record;
        let end = self.csv.position().byte();
        let (last_line, ended_input) = {
            let mut tracker = self.newlines.lock().expect("not poisoned");
            (
                tracker.line_at(end.saturating_sub(1)),
                tracker.at_eof && end == tracker.bytes_read,
            )
        };
        match result {
            Ok(false) => None,
            Ok(true) => {
                let inner: u64 = record.iter().map(breaks_in).sum();
                // At end of input with no terminator, the last byte is a line break
                // inside the final field (an unclosed quote), which `last_line` did
                // not count but `inner` did.
                let unterminated = ended_input
                    && record
                        .iter()
                        .next_back()
                        .is_some_and(|f| matches!(f.last(), Some(b'\n' | b'\r')));
                let line = (last_line + u64::from(unterminated))
                    .saturating_sub(inner)
                    .max(1);
                if unterminated && inner > 0 {
                    // The last line break counted is the file's own end.
                    if let Some(salvaged) = self.salvage(line, inner) {
                        return Some(Ok(salvaged));
                    }
                    return Some(Err(InputError::Malformed {
                        line,
                        reason: "a quoted field is never closed (an unclosed quote?): the rest of the \
                                 file was read as one field, and nothing from this line on was checked"
                            .into(),
                    }));
                }
                if inner > 0 && inner < MAX_RECORD_LINES {
                    let mut m = self.multiline.lock().expect("not poisoned");
                    m.count += 1;
                    m.first.get_or_insert((line, inner + 1));
                }
                if inner >= MAX_RECORD_LINES {
                    if let Some(salvaged) = self.salvage(line, inner + 1) {
                        return Some(Ok(salvaged));
                    }
                    return Some(Err(InputError::Malformed {
                        line,
                        reason: format!(
                            "a quoted field runs over {} lines: an unclosed quote? (nothing after it was read)",
                            inner + 1
                        ),
                    }));
                }
                let plain = self.layout.delimiter.is_none();
                let fields = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .map(|f| if plain { unquote_line(f) } else { f })
                    .collect();
                Some(Ok((line, fields)))
            }
            Err(e) => Some(Err(match e.into_kind() {
                csv::ErrorKind::Io(io) => io.into(),
                other => InputError::Malformed {
                    line: last_line,
                    reason: format!("{other:?}"),
                },
            })),
        }
    }

    fn row(&self, line: u64, fields: Vec<String>) -> Row {
        for (index, _, shaped, filled) in &self.unchecked.columns {
            if let Some(field) = fields.get(*index).filter(|f| !f.trim().is_empty()) {
                filled.fetch_add(1, Ordering::Relaxed);
                if phone_shaped(field) {
                    shaped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if fields.iter().any(|f| f.contains('\u{fffd}')) {
            self.undecodable
                .lock()
                .expect("not poisoned")
                .get_or_insert(line);
        }
        let cells = self
            .layout
            .columns
            .iter()
            .enumerate()
            .map(|(column, c)| Cell {
                column,
                value: match fields.get(c.index) {
                    Some(v) if v.contains('\u{fffd}') => Err(format!(
                        "not valid {} text (give the right one with {})",
                        self.layout.encoding.split(' ').next().unwrap_or(""),
                        self.names.encoding
                    )),
                    Some(v) => Ok(v.clone()),
                    None => Err(format!(
                        "row has {} field(s); {} is missing",
                        fields.len(),
                        c.name
                    )),
                },
            })
            .collect();
        let region = self
            .region_index
            .and_then(|i| fields.get(i))
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        // A delimiter inside an unquoted field (`Smith, John`) shifts every
        // cell after it: the phone column then holds another field, and the
        // number sits past the header.
        let problem = self
            .layout
            .headers
            .as_ref()
            .filter(|h| fields.len() > h.len())
            .map(|h| {
                format!(
                    "row has {} fields where the header has {} (a delimiter inside an unquoted field?): \
                     its cells may have shifted, so a number in it may not have been checked",
                    fields.len(),
                    h.len()
                )
            });
        Row {
            line,
            fields,
            cells,
            region,
            problem,
            reread: false,
        }
    }

    /// A record a quote left open (never closed, or over the line limit):
    /// its lines are read again as rows when they look like rows, and the
    /// record itself is dropped (an empty record, which the caller skips).
    /// `None` when they do not: then the file stops, as before.
    fn salvage(&mut self, line: u64, lines: u64) -> Option<Record> {
        let fields: Vec<String> = self
            .record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let rows = self.reread_lines(line, &fields);
        if rows.is_empty() {
            return None;
        }
        let mut m = self.multiline.lock().expect("not poisoned");
        m.reread += rows.len() as u64;
        m.reread_first.get_or_insert(line);
        m.unclosed.get_or_insert((line, lines));
        drop(m);
        self.reread.extend(rows);
        Some((line, Vec::new()))
    }

    /// The lines of a record whose quoted field spans lines, each split
    /// with the quote taken literally, when they look like rows (as many
    /// fields as the header): what a stray quote swallowed. Lines that do
    /// not (an address over two lines) are text, as the record says.
    fn reread_lines(&self, line: u64, fields: &[String]) -> Vec<Row> {
        let delimiter = self.layout.delimiter;
        let text = fields.join(&delimiter.map(String::from).unwrap_or_default());
        let width = self.layout.headers.as_ref().map(Vec::len);
        let rows: Vec<Row> = text
            .split('\n')
            .enumerate()
            .filter_map(|(i, physical)| {
                let physical = physical.strip_suffix('\r').unwrap_or(physical);
                let parts: Vec<String> = match delimiter {
                    Some(d) => physical.split(d).map(str::to_string).collect(),
                    None => vec![physical.to_string()],
                };
                let row_shaped = match (delimiter, width) {
                    (None, _) => true,
                    (Some(_), Some(width)) => parts.len() == width,
                    (Some(_), None) => false,
                };
                (row_shaped && parts.iter().any(|p| !p.trim().is_empty())).then(|| {
                    let mut row = self.row(line + i as u64, parts);
                    row.reread = true;
                    row.problem = None;
                    row
                })
            })
            .collect();
        // One line alone that looks like a row is the record itself.
        if rows.len() > 1 {
            rows
        } else {
            Vec::new()
        }
    }
}

/// A plain list's line wholly in double quotes (a one-column CSV) is read
/// without them, `""` as `"`; any other quote is literal, so that a stray one
/// never joins lines.
fn unquote_line(line: String) -> String {
    let trimmed = line.trim();
    match trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|inner| !inner.replace("\"\"", "").contains('"'))
    {
        Some(inner) => inner.replace("\"\"", "\""),
        None => line,
    }
}

/// Columns not checked, each with its index, name, cells shaped like a phone
/// number and cells filled.
#[derive(Default)]
struct Unchecked {
    columns: Vec<(usize, String, AtomicU64, AtomicU64)>,
}

/// `+44 20 7946 0958`, `(313) 555-0142`, `4917600000101`: 7 to 15 digits
/// and only what numbers are written with. Used to warn, never to choose.
fn phone_shaped(field: &str) -> bool {
    let field = field.trim();
    if crate::format::normalize::looks_like_date(field) {
        return false;
    }
    let mut digits = 0;
    for b in field.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b' ' | b'+' | b'-' | b'(' | b')' | b'.' | b'/' => {}
            _ => return false,
        }
    }
    (7..=15).contains(&digits)
}

/// Records spanning several lines: the first, and how many.
#[derive(Default)]
struct Multiline {
    first: Option<(u64, u64)>,
    count: u64,
    /// Lines inside quoted fields read again as rows, and the first record holding them.
    reread: u64,
    reread_first: Option<u64>,
    /// A quoted field never closed, or over the line limit, whose lines were
    /// all read again: where it starts and how many lines it ran over.
    unclosed: Option<(u64, u64)>,
}

/// Where an input stopped decoding cleanly, or read records over several
/// lines, if it did.
#[derive(Clone)]
pub struct DecodeProblem {
    line: Arc<Mutex<Option<u64>>>,
    multiline: Arc<Mutex<Multiline>>,
    unchecked: Arc<Unchecked>,
    encoding: String,
    names: SettingNames,
}

impl DecodeProblem {
    /// A warning for the report, when columns that are not checked hold
    /// values shaped like phone numbers in at least half their filled cells
    /// (`Contact Number`, `WhatsApp`, a `Fax` that is really a mobile).
    pub fn unchecked_numbers_warning(&self) -> Option<String> {
        let found: Vec<String> = self
            .unchecked
            .columns
            .iter()
            .filter_map(|(_, name, shaped, filled)| {
                let (shaped, filled) = (
                    shaped.load(Ordering::Relaxed),
                    filled.load(Ordering::Relaxed),
                );
                (shaped > 0 && shaped * 2 >= filled)
                    .then(|| format!("{name:?} ({shaped} of {filled} filled cells)"))
            })
            .collect();
        (!found.is_empty()).then(|| {
            let fix = match &self.names.also_column {
                Some(also) => {
                    format!("add each with {also} to check it as well as the detected columns")
                }
                None => format!("name them with {} to check them", self.names.column),
            };
            format!(
                "not checked, yet shaped like phone numbers: {}; {fix}",
                found.join(", ")
            )
        })
    }

    /// Whether lines inside quoted fields looked like rows: legal CSV
    /// (addresses, notes) spans lines too, but a quote left open turns the
    /// rows after it into one field's text. Such lines are read again as
    /// rows; the input is damaged all the same.
    pub(crate) fn swallowed_rows(&self) -> bool {
        self.multiline.lock().expect("not poisoned").reread > 0
    }

    /// A warning for the report, when quoted fields held line breaks (see
    /// `swallowed_rows`).
    pub fn multiline_warning(&self) -> Option<String> {
        let m = self.multiline.lock().expect("not poisoned");
        if let Some((line, lines)) = m.unclosed {
            return Some(format!(
                "line {line}: a quoted field runs over {lines} lines (a quote left open?): its \
                 lines were read again one by one as rows, with the quote taken literally, and \
                 their numbers checked ({} line(s) read again in all); close the quote and check again",
                m.reread
            ));
        }
        let (line, lines) = m.first?;
        let others = match m.count - 1 {
            0 => String::new(),
            n => format!(" ({n} more record(s) span lines too)"),
        };
        if m.reread > 0 {
            return Some(format!(
                "line {line}: a quoted field runs over {lines} lines, to line {}{others}; {} line(s) \
                 inside quoted fields (from line {}) look like rows, as a quote left open makes \
                 them: they were also read as rows with the quote taken literally and their \
                 numbers checked; close the quote and check again",
                line + lines - 1,
                m.reread,
                m.reread_first.unwrap_or(line)
            ));
        }
        Some(format!(
            "line {line}: a quoted field runs over {lines} lines, to line {}{others}; the lines inside a \
             quoted field are read as its text, not as rows: if a quote was left open there, close it and check again",
            line + lines - 1
        ))
    }

    /// A warning for the report, when some line held undecodable bytes.
    pub fn warning(&self) -> Option<String> {
        self.line.lock().expect("not poisoned").map(|line| {
            format!(
                "line {line} (and maybe others) holds bytes that are not valid {}: its text shows U+FFFD replacement marks; \
                 if the file is Windows-1252 or Latin-1, check again with {} windows-1252",
                self.encoding.split(' ').next().unwrap_or(""),
                self.names.encoding
            )
        })
    }
}

/// The SHA-256 of an input's bytes as read so far.
#[derive(Clone)]
pub struct InputDigest(Arc<Mutex<Sha256>>);

impl InputDigest {
    /// Lower-case hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0.lock().expect("not poisoned").clone().finalize())
    }
}

fn delimiter_is_none(layout: &Layout) -> bool {
    layout.delimiter.is_none()
}

/// The region column's position when it is named in this header.
fn layout_region(options: &InputOptions, names: &[String]) -> Option<usize> {
    match &options.region_column {
        Some(ColumnSpec::Name(n)) => names
            .iter()
            .position(|h| h.to_lowercase() == n.to_lowercase()),
        Some(ColumnSpec::Index(i)) => Some(i - 1),
        None => None,
    }
}

/// Whether the first row names columns rather than holding data.
fn is_header(fields: &[String], options: &InputOptions) -> bool {
    let names: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
    let named = |spec: &ColumnSpec| matches!(spec, ColumnSpec::Name(n) if names.contains(&n.to_lowercase()));
    options.columns.iter().any(named)
        || options.region_column.as_ref().is_some_and(named)
        || fields.iter().any(|f| classify(f) != ColumnKind::Other)
        || !fields.iter().any(|f| looks_like_number(f))
}

impl Iterator for RowReader {
    type Item = Result<Row, InputError>;

    /// The next row; blank lines are skipped.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.pending.take() {
            return Some(Ok(row));
        }
        loop {
            if let Some(row) = self.reread.pop_front() {
                return Some(Ok(row));
            }
            return match self.read_record()? {
                Err(e) => Some(Err(e)),
                Ok((_, fields)) if fields.iter().all(|f| f.trim().is_empty()) => continue,
                Ok((line, fields)) => {
                    if fields.iter().any(|f| f.contains('\n')) {
                        let reread = self.reread_lines(line, &fields);
                        if !reread.is_empty() {
                            let mut m = self.multiline.lock().expect("not poisoned");
                            m.reread += reread.len() as u64;
                            m.reread_first.get_or_insert(line);
                        }
                        self.reread.extend(reread);
                    }
                    Some(Ok(self.row(line, fields)))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(bytes: &[u8], options: &InputOptions) -> Result<RowReader, InputError> {
        RowReader::new(Box::new(Cursor::new(bytes.to_vec())), options)
    }

    fn columns(specs: &[&str]) -> InputOptions {
        InputOptions {
            columns: specs.iter().map(|s| ColumnSpec::parse(s)).collect(),
            ..InputOptions::default()
        }
    }

    fn read(text: &str, options: &InputOptions) -> (Layout, Vec<Row>) {
        let r = open(text.as_bytes(), options).unwrap();
        let layout = r.layout().clone();
        (layout, r.map(Result::unwrap).collect())
    }

    fn values(row: &Row) -> Vec<Result<String, String>> {
        row.cells.iter().map(|c| c.value.clone()).collect()
    }

    /// A field of 20 lines is read (with a warning); 21 lines stop the file,
    /// as SECURITY.md says: "a quoted field over 20 lines stops the file".
    #[test]
    fn a_quoted_field_may_span_twenty_lines_and_no_more() {
        let field = |lines: usize| {
            let text: Vec<String> = (0..lines).map(|i| format!("note {i}")).collect();
            format!(
                "name,phone,notes\nAna,+1 313 555 0101,\"{}\"\n",
                text.join("\n")
            )
        };
        let r = open(field(20).as_bytes(), &InputOptions::default()).unwrap();
        let rows: Vec<_> = r.collect();
        assert!(rows.iter().all(Result::is_ok), "20 lines are read");
        let r = open(field(21).as_bytes(), &InputOptions::default()).unwrap();
        let error = r
            .into_iter()
            .find_map(Result::err)
            .expect("21 lines stop the file");
        assert!(error.to_string().contains("runs over 21 lines"), "{error}");
    }

    /// A stray quote turns the rows after it into one field's text: those
    /// lines are read again as rows, with the quote taken literally; lines
    /// of a real multi-line field (an address) are not.
    #[test]
    fn lines_a_stray_quote_swallowed_are_read_again_as_rows() {
        let text = "name,phone,city\n\"Ann,+1 313 555 0101,Leeds\nBen,+1 313 555 0142,York\nCy,+1 313 555 0150,Bath\"\n";
        let r = open(text.as_bytes(), &InputOptions::default()).unwrap();
        let problem = r.decode_problem();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        let reread: Vec<(u64, Vec<Result<String, String>>)> = rows
            .iter()
            .filter(|r| r.reread)
            .map(|r| (r.line, values(r)))
            .collect();
        assert_eq!(
            reread,
            [
                (2, vec![Ok("+1 313 555 0101".to_string())]),
                (3, vec![Ok("+1 313 555 0142".to_string())]),
                (4, vec![Ok("+1 313 555 0150".to_string())]),
            ]
        );
        assert!(problem.swallowed_rows());
        assert!(problem
            .multiline_warning()
            .unwrap()
            .contains("look like rows"));

        let address = "name,phone,address\nAna,+1 313 555 0101,\"1 Main St\nLeeds\"\n";
        let r = open(address.as_bytes(), &InputOptions::default()).unwrap();
        let problem = r.decode_problem();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert!(
            rows.iter().all(|r| !r.reread),
            "an address is text, not rows"
        );
        assert!(!problem.swallowed_rows());
    }

    #[test]
    fn plain_list_with_blank_lines_and_crlf() {
        let (layout, rows) = read(
            "\n+1 313 555 0101\r\n\r\n(313) 555-0102\r\n",
            &InputOptions::default(),
        );
        assert_eq!(layout.headers, None);
        assert_eq!(layout.delimiter, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, values(&rows[0])),
            (2, vec![Ok("+1 313 555 0101".into())])
        );
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn every_phone_column_is_read_and_named() {
        let (layout, rows) = read(
            "\u{feff}Name,Desk Phone,Mobile Phone,phone_type,Hotel\r\nAna,020 7946 0958,07700 900109,mobile,Ritz\r\n",
            &InputOptions::default(),
        );
        let names: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Desk Phone", "Mobile Phone"]);
        assert!(
            layout.skipped[0].starts_with("phone_type"),
            "{:?}",
            layout.skipped
        );
        assert_eq!(layout.encoding, "UTF-8 (BOM)");
        assert_eq!(
            values(&rows[0]),
            vec![Ok("020 7946 0958".into()), Ok("07700 900109".into())]
        );
    }

    #[test]
    fn hotel_is_not_tel_and_a_bare_number_column_is_used() {
        let (layout, _) = read(
            "Name,Hotel,Number\nAna,Ritz,3135550101\n",
            &InputOptions::default(),
        );
        assert_eq!(layout.columns[0].name, "Number");
    }

    #[test]
    fn no_phone_header_is_an_error_listing_the_headers() {
        let err = open(
            b"Vertrag;ICCID;Kostenstelle\nV-20000;8949;4711\n",
            &InputOptions::default(),
        )
        .err()
        .unwrap();
        let text = err.to_string();
        assert!(matches!(err, InputError::NoPhoneColumn { .. }));
        assert!(text.contains("Vertrag, ICCID, Kostenstelle"), "{text}");
    }

    #[test]
    fn listed_columns_are_used_where_present_and_their_absence_is_an_error() {
        let opts = columns(&["Desk", "Mobile"]);
        let (layout, rows) = read("id;Mobile;note\n1;3135550101;x\n2\n", &opts);
        assert_eq!(layout.columns.len(), 1);
        assert!(
            layout.chosen.contains("\"Desk\" not in this file"),
            "{}",
            layout.chosen
        );
        assert!(rows[1].cells[0]
            .value
            .as_ref()
            .unwrap_err()
            .contains("missing"));
        let err = open(b"id,fax\n1,2\n", &opts).err().unwrap();
        assert!(err.to_string().contains("id, fax"), "{err}");
        let (_, rows) = read("a\t3135550101\n", &columns(&["2"]));
        assert_eq!(values(&rows[0]), vec![Ok("3135550101".into())]);
    }

    #[test]
    fn headerless_files_with_several_columns_need_a_column() {
        let err = open(b"Alice,+13135550101\n", &InputOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, InputError::NoHeader { width: 2 }), "{err}");
        assert!(
            !err.to_string().contains("313"),
            "no content in errors: {err}"
        );
    }

    #[test]
    fn region_column_is_read_per_row_and_never_checked() {
        let opts = InputOptions {
            region_column: Some(ColumnSpec::parse("Country")),
            ..InputOptions::default()
        };
        let (layout, rows) = read("phone,country\n020 7946 0958,GB\n(313) 555-0101,\n", &opts);
        assert_eq!(layout.region_column.as_ref().unwrap().name, "country");
        assert_eq!(rows[0].region.as_deref(), Some("GB"));
        assert_eq!(rows[1].region, None);
        // A file without the region column still reads its numbers.
        let (layout, _) = read("phone\n020 7946 0958\n", &opts);
        assert_eq!(layout.region_column, None);
    }

    #[test]
    fn windows_1252_exports_are_decoded() {
        let bytes = b"Nutzer;Rufnummer\r\nJ\xfcrgen Gro\xdf;030 901820\r\n".to_vec();
        let r = open(&bytes, &InputOptions::default()).unwrap();
        assert!(
            r.layout().encoding.starts_with("windows-1252"),
            "{}",
            r.layout().encoding
        );
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert_eq!(rows[0].fields[0], "Jürgen Groß");
        assert_eq!(values(&rows[0]), vec![Ok("030 901820".into())]);
    }

    #[test]
    fn utf16_with_a_bom_is_decoded() {
        let text = "Phone\r\n+1 313 555 0101\r\n";
        let mut bytes = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (layout, rows) = {
            let r = open(&bytes, &InputOptions::default()).unwrap();
            let l = r.layout().clone();
            (l, r.map(Result::unwrap).collect::<Vec<_>>())
        };
        assert_eq!(layout.encoding, "UTF-16LE (BOM)");
        assert_eq!(values(&rows[0]), vec![Ok("+1 313 555 0101".into())]);
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn the_digest_is_the_sha256_of_the_bytes_given() {
        let bytes = b"phone\n+13135550101\n";
        let r = open(bytes, &InputOptions::default()).unwrap();
        let digest = r.digest();
        let _: Vec<_> = r.collect();
        assert_eq!(digest.hex(), hex::encode(Sha256::digest(bytes)));
    }

    /// A quote never closed swallows the rest of the file into one field:
    /// every line of it that looks like a row is read again, none lost.
    #[test]
    fn an_unclosed_quote_loses_no_row_it_swallowed() {
        let mut text = String::from("name,phone\nAna,\"3135550101\n");
        for i in 0..30 {
            text.push_str(&format!("Row{i},31355501{i:02}\n"));
        }
        let r = open(text.as_bytes(), &InputOptions::default()).unwrap();
        let problem = r.decode_problem();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, (2..=32).collect::<Vec<u64>>());
        assert!(rows.iter().all(|r| r.reread));
        assert_eq!(values(&rows[0]), vec![Ok("3135550101".to_string())]);
        assert_eq!(values(&rows[30]), vec![Ok("3135550129".to_string())]);
        assert!(problem.swallowed_rows());
        let warning = problem.multiline_warning().unwrap();
        assert!(
            warning.starts_with("line 2: a quoted field runs over 31 lines"),
            "{warning}"
        );
    }

    /// What a quote swallowed and that does not look like rows (one field
    /// where the header has three) cannot be read again: the file stops.
    #[test]
    fn an_unclosed_quote_over_lines_that_are_not_rows_stops_the_file() {
        let mut text = String::from("name,phone,notes\nAna,3135550101,\"see below\n");
        for i in 0..30 {
            text.push_str(&format!("note line {i}\n"));
        }
        let results: Vec<_> = open(text.as_bytes(), &InputOptions::default())
            .unwrap()
            .collect();
        match results.last() {
            Some(Err(InputError::Malformed { line, reason })) => {
                assert_eq!(*line, 2);
                assert!(reason.contains("unclosed quote"), "{reason}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn an_endless_line_is_refused_not_buffered() {
        let mut text = b"phone\n".to_vec();
        text.extend(std::iter::repeat_n(b'1', 3 << 20));
        let results: Vec<_> = open(&text, &InputOptions::default()).unwrap().collect();
        assert!(
            matches!(results.last(), Some(Err(_))),
            "an error ends the rows"
        );
    }

    #[test]
    fn a_one_column_csv_is_read_without_its_quotes() {
        let (layout, rows) = read(
            "\"phone\"\n\"+1 313 555 0101\"\n\"say \"\"hi\"\"\"\n313 \"555\" 0102\n",
            &InputOptions::default(),
        );
        assert_eq!(layout.delimiter, None);
        assert_eq!(layout.headers.as_deref(), Some(&["phone".to_string()][..]));
        let cells: Vec<_> = rows.iter().map(values).collect();
        assert_eq!(
            cells,
            [
                vec![Ok("+1 313 555 0101".to_string())],
                vec![Ok("say \"hi\"".to_string())],
                vec![Ok("313 \"555\" 0102".to_string())],
            ]
        );
    }

    #[test]
    fn excel_sep_lines_name_the_delimiter() {
        let (layout, rows) = read(
            "sep=;\r\nName;Phone\r\nAna;313 555 0101\r\n",
            &InputOptions::default(),
        );
        assert_eq!(layout.delimiter, Some(';'));
        assert_eq!(layout.headers.unwrap(), ["Name", "Phone"]);
        assert_eq!(
            (rows[0].line, values(&rows[0])),
            (3, vec![Ok("313 555 0101".into())])
        );
    }

    #[test]
    fn an_unclosed_quote_at_the_end_reads_the_lines_after_it_again() {
        let text =
            "Name,Phone\n\"Smith, J\",313 555 0142\n\"Unclosed,313 555 0143\nC,313 555 0144\n";
        let rows: Vec<Row> = open(text.as_bytes(), &InputOptions::default())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        type Read = (u64, bool, Vec<Result<String, String>>);
        let read: Vec<Read> = rows.iter().map(|r| (r.line, r.reread, values(r))).collect();
        assert_eq!(
            read,
            [
                (2, false, vec![Ok("313 555 0142".to_string())]),
                (3, true, vec![Ok("313 555 0143".to_string())]),
                (4, true, vec![Ok("313 555 0144".to_string())]),
            ]
        );
    }

    #[test]
    fn bytes_that_turn_windows_1252_late_are_reported() {
        let mut bytes = b"Name;Phone\n".to_vec();
        for i in 0..4000 {
            bytes.extend_from_slice(format!("Person {i};030 901820\n").as_bytes());
        }
        bytes.extend_from_slice(b"J\xfcrgen;0176 00000101\n");
        let r = open(&bytes, &InputOptions::default()).unwrap();
        let problem = r.decode_problem();
        let _: Vec<_> = r.collect();
        let warning = problem.warning().expect("reported");
        assert!(
            warning.starts_with("line 4002") && warning.contains("`encoding` windows-1252"),
            "{warning}"
        );
    }

    #[test]
    fn cr_endings_count_lines() {
        let (_, rows) = read("313 555 0101\r\r313 555 0102\r", &InputOptions::default());
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
        let (layout, rows) = read(
            "\u{feff}\nphone,name\n313 555 0101,Ana\n",
            &InputOptions::default(),
        );
        assert!(
            layout.headers.is_some(),
            "a BOM before a blank line still sniffs the CSV"
        );
        assert_eq!(rows[0].line, 3);
    }

    #[test]
    fn workbooks_and_binary_files_are_refused_and_utf16_without_bom_is_read() {
        for (bytes, says) in [
            (&b"PK\x03\x04\x14\x00\x06\x00rest of a zip"[..], ".xlsx"),
            (
                &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1][..],
                ".xls",
            ),
            (&b"a\x00\x00\x00b\x00c"[..], "binary"),
        ] {
            let error = open(bytes, &InputOptions::default())
                .err()
                .expect("refused");
            assert!(error.to_string().contains(says), "{error}");
        }
        let utf16: Vec<u8> = "Name,Phone\r\nAna,+1 313 555 0101\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let reader = open(&utf16, &InputOptions::default()).unwrap();
        assert_eq!(reader.layout().encoding, "UTF-16LE (detected: no BOM)");
        let rows: Vec<Row> = reader.map(Result::unwrap).collect();
        assert_eq!(rows[0].cells[0].value, Ok("+1 313 555 0101".into()));
    }

    #[test]
    fn a_first_line_of_data_is_not_echoed() {
        let error = open(
            b"Alice Smith,alice@corp.example,,Fleet\n",
            &InputOptions::default(),
        )
        .err()
        .expect("no phone column");
        let text = error.to_string();
        assert!(!text.contains("alice"), "{text}");
        assert!(text.contains("4 fields, not shown"), "{text}");
    }
}
