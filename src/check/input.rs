//! Streaming rows of phone numbers from CSV, TSV or plain lists.
//!
//! The format is sniffed from the first non-blank line: a comma, semicolon or
//! tab makes it a delimited file (the most frequent of the three wins), anything
//! else a plain list with one number per line. The first row is a header when
//! `--column` names a column, or when the chosen field holds no digit. Fields
//! that are not valid UTF-8 (a Windows-1252 export, say) are read with
//! replacement characters, so only a number field that is not text makes its
//! row invalid. Line numbers count `\n`, `\r\n` and lone `\r` endings.

use std::collections::VecDeque;
use std::io::{self, BufRead, Cursor, Read};
use std::sync::{Arc, Mutex};

/// Longest line read while sniffing the format.
const MAX_FIRST_LINE: u64 = 1 << 20;
/// A quoted field spanning more lines than this is taken for an unclosed quote.
const MAX_RECORD_LINES: u64 = 20;

/// Which column holds the number.
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

/// One data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number where the row starts.
    pub line: u64,
    /// All fields, as read.
    pub fields: Vec<String>,
    /// The field holding the number, or why there is none.
    pub value: Result<String, String>,
    /// The row's own region code, from `--region-column`, when that field is not empty.
    pub region: Option<String>,
}

impl Row {
    /// A row holding just `value` (from a command-line argument, say).
    pub fn single(line: u64, value: &str) -> Row {
        Row {
            line,
            fields: vec![value.to_string()],
            value: Ok(value.to_string()),
            region: None,
        }
    }
}

/// Which columns to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputOptions {
    /// The number column; guessed when `None`.
    pub column: Option<ColumnSpec>,
    /// A column with each row's region code (ISO 3166), overriding the default region.
    pub region_column: Option<ColumnSpec>,
}

/// Header words that name a phone column outright, and a weaker hint.
const PHONE_HEADER_WORDS: [&str; 6] = ["phone", "mobile", "msisdn", "cell", "tel", "handy"];
const NUMBER_HEADER_WORD: &str = "number";

/// Errors that stop reading altogether.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The input could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// `--column NAME` is not in the header.
    #[error("no column named {name:?}; the header has: {available}")]
    NoSuchColumn {
        /// The requested name.
        name: String,
        /// The header's names.
        available: String,
    },
    /// More than one column looks like the phone column.
    #[error("several columns could hold the numbers ({candidates}); choose one with --column")]
    AmbiguousColumn {
        /// The candidates' names.
        candidates: String,
    },
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
    headers: Option<Vec<String>>,
    column: usize,
    region_column: Option<usize>,
    pending: Option<Row>,
    newlines: Arc<Mutex<NewlineTracker>>,
}

/// Reports how many bytes a [`RowReader`] has consumed.
#[derive(Clone)]
pub struct ByteCounter(Arc<Mutex<NewlineTracker>>);

impl ByteCounter {
    /// Bytes consumed so far (read ahead by the CSV parser's buffer).
    pub fn bytes(&self) -> u64 {
        self.0.lock().expect("not poisoned").bytes_read
    }
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

fn guess_column(first: &[String]) -> usize {
    first
        .iter()
        .position(|f| f.chars().filter(|c| c.is_numeric()).count() >= 7)
        .unwrap_or(0)
}

/// The phone column of a header: a name with a phone word beats one with
/// "number"; a tie at the top is ambiguous.
fn phone_column(lower: &[String], names: &[String]) -> Result<usize, InputError> {
    let rank = |h: &str| {
        if PHONE_HEADER_WORDS.iter().any(|w| h.contains(w)) {
            2
        } else if h.contains(NUMBER_HEADER_WORD) {
            1
        } else {
            0
        }
    };
    let best = lower.iter().map(|h| rank(h)).max().unwrap_or(0);
    if best == 0 {
        return Ok(0);
    }
    let top: Vec<usize> = (0..lower.len())
        .filter(|&i| rank(&lower[i]) == best)
        .collect();
    match top[..] {
        [one] => Ok(one),
        _ => Err(InputError::AmbiguousColumn {
            candidates: top
                .iter()
                .map(|&i| names[i].as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// A record: its first line, its fields (lossily decoded), and which fields were not UTF-8.
type Record = (u64, Vec<String>, Vec<bool>);

impl RowReader {
    /// Starts reading `input`, sniffing its format from the first non-blank line.
    pub fn new(
        mut input: Box<dyn BufRead + Send>,
        options: &InputOptions,
    ) -> Result<Self, InputError> {
        let mut prefix = Vec::new();
        let mut first = Vec::new();
        loop {
            first.clear();
            let n = input
                .by_ref()
                .take(MAX_FIRST_LINE)
                .read_until(b'\n', &mut first)?;
            if n as u64 == MAX_FIRST_LINE && first.last() != Some(&b'\n') {
                return Err(InputError::Malformed {
                    line: 1 + prefix.iter().filter(|&&b| b == b'\n').count() as u64,
                    reason: "a line longer than 1 MiB: not a CSV file or a list of numbers".into(),
                });
            }
            if prefix.is_empty() && first.starts_with(b"\xef\xbb\xbf") {
                first.drain(..3);
            }
            if n == 0 || !is_blank(&first) {
                break;
            }
            prefix.append(&mut first);
        }
        let delimiter = sniff_delimiter(&first);
        let newlines = Arc::new(Mutex::new(NewlineTracker::default()));
        prefix.extend_from_slice(&first);
        let replay: Box<dyn Read + Send> = Box::new(CountingReader {
            inner: Cursor::new(prefix).chain(input),
            offset: 0,
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
            headers: None,
            column: 0,
            region_column: None,
            pending: None,
            newlines,
        };
        let Some((line, fields, not_text)) = reader.read_record().transpose()? else {
            return Ok(reader);
        };
        let column = options.column.as_ref();
        let lower: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        let has_digit = |f: &String| f.chars().any(|c| c.is_numeric());
        let is_header = match column {
            _ if matches!(options.region_column, Some(ColumnSpec::Name(_))) => true,
            Some(ColumnSpec::Name(_)) => true,
            Some(ColumnSpec::Index(i)) => fields.get(i - 1).is_some_and(|f| !has_digit(f)),
            None => !has_digit(&fields[guess_column(&fields)]),
        };
        let find = |spec: &ColumnSpec| match spec {
            ColumnSpec::Name(name) => lower
                .iter()
                .position(|h| *h == name.to_lowercase())
                .ok_or_else(|| InputError::NoSuchColumn {
                    name: name.clone(),
                    available: fields.join(", "),
                }),
            ColumnSpec::Index(i) => Ok(i - 1),
        };
        reader.region_column = options.region_column.as_ref().map(find).transpose()?;
        reader.column = match column {
            Some(spec) => find(spec)?,
            None if is_header => phone_column(&lower, &fields)?,
            None => guess_column(&fields),
        };
        if is_header {
            reader.headers = Some(fields);
        } else {
            reader.pending = Some(reader.row(line, fields, &not_text));
        }
        Ok(reader)
    }

    /// A handle that reports the bytes of input consumed so far, usable while
    /// the reader itself is being iterated elsewhere (for progress bars).
    pub fn byte_counter(&self) -> ByteCounter {
        ByteCounter(Arc::clone(&self.newlines))
    }

    /// The header row, when there is one.
    pub fn headers(&self) -> Option<&[String]> {
        self.headers.as_deref()
    }

    /// Reads one record with the line it starts on. csv's own record positions
    /// point before skipped blank lines, so the line is counted back from the
    /// record's end (its terminator) less the line breaks quoted inside it.
    fn read_record(&mut self) -> Option<Result<Record, InputError>> {
        let mut record = csv::ByteRecord::new();
        let result = self.csv.read_byte_record(&mut record);
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
                if inner > MAX_RECORD_LINES {
                    return Some(Err(InputError::Malformed {
                        line,
                        reason: format!(
                            "a quoted field runs over {} lines: an unclosed quote? (nothing after it was read)",
                            inner + 1
                        ),
                    }));
                }
                let not_text = record
                    .iter()
                    .map(|f| std::str::from_utf8(f).is_err())
                    .collect();
                let fields = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                Some(Ok((line, fields, not_text)))
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

    fn row(&self, line: u64, fields: Vec<String>, not_text: &[bool]) -> Row {
        let value = match fields.get(self.column) {
            Some(_) if not_text.get(self.column) == Some(&true) => {
                Err("not valid UTF-8 text".into())
            }
            Some(v) => Ok(v.clone()),
            None => Err(format!(
                "row has {} field(s); column {} is missing",
                fields.len(),
                self.column + 1
            )),
        };
        let region = self
            .region_column
            .and_then(|i| fields.get(i))
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        Row {
            line,
            fields,
            value,
            region,
        }
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, InputError>;

    /// The next row; blank lines are skipped.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.pending.take() {
            return Some(Ok(row));
        }
        loop {
            return match self.read_record()? {
                Err(e) => Some(Err(e)),
                Ok((_, fields, _)) if fields.iter().all(|f| f.trim().is_empty()) => continue,
                Ok((line, fields, not_text)) => Some(Ok(self.row(line, fields, &not_text))),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, column: Option<ColumnSpec>) -> (Option<Vec<String>>, Vec<Row>) {
        let options = InputOptions {
            column,
            region_column: None,
        };
        let r = RowReader::new(Box::new(Cursor::new(text.as_bytes().to_vec())), &options).unwrap();
        let headers = r.headers().map(|h| h.to_vec());
        (headers, r.map(Result::unwrap).collect())
    }

    #[test]
    fn plain_list_with_blank_lines_and_crlf() {
        let (h, rows) = read("\n+1 313 555 0101\r\n\r\n(313) 555-0102\r\n", None);
        assert_eq!(h, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].value.as_deref()),
            (2, Ok("+1 313 555 0101"))
        );
        assert_eq!(
            (rows[1].line, rows[1].value.as_deref()),
            (4, Ok("(313) 555-0102"))
        );
    }

    #[test]
    fn csv_header_detected_and_phone_column_chosen() {
        let (h, rows) = read(
            "\u{feff}name,Mobile Phone\nAlice,\"313, 555 0101\"\nBob,3135550102\n",
            None,
        );
        assert_eq!(h.unwrap(), vec!["name", "Mobile Phone"]);
        assert_eq!(rows[0].value.as_deref(), Ok("313, 555 0101"));
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn column_by_name_index_and_missing() {
        let text = "id;phone;note\n1;3135550101;x\n2\n";
        let (_, rows) = read(text, Some(ColumnSpec::parse("PHONE")));
        assert_eq!(rows[0].value.as_deref(), Ok("3135550101"));
        assert!(rows[1].value.as_ref().unwrap_err().contains("missing"));
        let (_, rows) = read("a\t3135550101\n", Some(ColumnSpec::parse("2")));
        assert_eq!(rows[0].value.as_deref(), Ok("3135550101"));
        let options = InputOptions {
            column: Some(ColumnSpec::parse("fax")),
            region_column: None,
        };
        let err = RowReader::new(Box::new(Cursor::new(text.as_bytes().to_vec())), &options);
        assert!(matches!(err, Err(InputError::NoSuchColumn { .. })));
    }

    #[test]
    fn region_column_is_read_per_row() {
        let text = "phone,country\n020 7946 0958,GB\n(313) 555-0101,\n";
        let options = InputOptions {
            column: None,
            region_column: Some(ColumnSpec::parse("Country")),
        };
        let r = RowReader::new(Box::new(Cursor::new(text.as_bytes().to_vec())), &options).unwrap();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert_eq!(rows[0].region.as_deref(), Some("GB"));
        assert_eq!(rows[1].region, None);
        assert_eq!(rows[0].value.as_deref(), Ok("020 7946 0958"));
    }

    #[test]
    fn headerless_csv_guesses_the_number_column() {
        let (h, rows) = read("Alice,+13135550101\n", None);
        assert_eq!(h, None);
        assert_eq!(rows[0].value.as_deref(), Ok("+13135550101"));
    }

    #[test]
    fn invalid_utf8_row_is_reported_not_dropped() {
        let mut bytes = b"3135550101\n".to_vec();
        bytes.extend_from_slice(b"31\xff35550102\n3135550103\n");
        let r = RowReader::new(Box::new(Cursor::new(bytes)), &InputOptions::default()).unwrap();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].line, 2);
        assert!(rows[1].value.is_err());
    }

    #[test]
    fn the_phone_column_beats_other_numbers_and_ties_are_refused() {
        let (h, rows) = read(
            "Account Number,Employee,Mobile Phone\n2125550199,Ben,313.555.0142\n",
            None,
        );
        assert_eq!(h.unwrap()[2], "Mobile Phone");
        assert_eq!(rows[0].value.as_deref(), Ok("313.555.0142"));
        let options = InputOptions::default();
        let both = "Work Phone,Mobile Phone\n3135550101,3135550102\n";
        let err = RowReader::new(Box::new(Cursor::new(both.as_bytes().to_vec())), &options);
        assert!(matches!(err, Err(InputError::AmbiguousColumn { .. })));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_not_a_silent_loss() {
        let mut text = String::from("name,phone\nAna,\"3135550101\n");
        for i in 0..30 {
            text.push_str(&format!("Row{i},31355501{i:02}\n"));
        }
        let r = RowReader::new(
            Box::new(Cursor::new(text.into_bytes())),
            &InputOptions::default(),
        )
        .unwrap();
        let results: Vec<_> = r.collect();
        match results.last() {
            Some(Err(InputError::Malformed { line, reason })) => {
                assert_eq!(*line, 2);
                assert!(reason.contains("unclosed quote"), "{reason}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn latin1_names_keep_their_rows_and_cr_endings_count_lines() {
        let bytes = b"name,phone\r\nJos\xe9,313 555 0101\r\nAna,31\xff3\r\n".to_vec();
        let r = RowReader::new(Box::new(Cursor::new(bytes)), &InputOptions::default()).unwrap();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert_eq!(rows[0].value.as_deref(), Ok("313 555 0101"));
        assert!(rows[0].fields[0].starts_with("Jos"));
        assert_eq!(rows[1].value, Err("not valid UTF-8 text".into()));
        assert_eq!(rows[1].line, 3);

        let (_, rows) = read("313 555 0101\r\r313 555 0102\r", None);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
        let (h, rows) = read("\u{feff}\nphone,name\n313 555 0101,Ana\n", None);
        assert!(
            h.is_some(),
            "a BOM before a blank line still sniffs the CSV"
        );
        assert_eq!(rows[0].line, 3);
    }
}
