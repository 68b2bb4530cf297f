//! Streaming rows of phone numbers from CSV, TSV or plain lists.
//!
//! The format is sniffed from the first non-blank line: a comma, semicolon or
//! tab makes it a delimited file (the most frequent of the three wins), anything
//! else a plain list with one number per line. The first row is a header when
//! `--column` names a column, or when the chosen field holds no digit.

use std::collections::VecDeque;
use std::io::{self, BufRead, Cursor, Read};
use std::sync::{Arc, Mutex};

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

/// Header names that suggest a phone-number column, for automatic choice.
const PHONE_HEADER_WORDS: [&str; 6] = ["phone", "number", "msisdn", "tel", "mobile", "cell"];

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
/// blank lines, so the newlines are counted here as the bytes stream past; only
/// those not yet behind the current record are kept (bounded by csv's buffer).
#[derive(Default)]
struct NewlineTracker {
    pending: VecDeque<u64>,
    lines_before: u64,
    bytes_read: u64,
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
    newlines: Arc<Mutex<NewlineTracker>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut tracker = self.newlines.lock().expect("not poisoned");
        for (i, _) in buf[..n].iter().enumerate().filter(|&(_, &b)| b == b'\n') {
            tracker.pending.push_back(self.offset + i as u64);
        }
        self.offset += n as u64;
        tracker.bytes_read = self.offset;
        Ok(n)
    }
}

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
}

fn record_fields(record: &csv::StringRecord) -> Vec<String> {
    record.iter().map(|f| f.to_string()).collect()
}

fn sniff_delimiter(line: &str) -> Option<u8> {
    let mut best = None;
    let mut best_count = 0;
    for d in [b',', b';', b'\t'] {
        let count = line.bytes().filter(|&b| b == d).count();
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

impl RowReader {
    /// Starts reading `input`, sniffing its format from the first non-blank line.
    pub fn new(
        mut input: Box<dyn BufRead + Send>,
        options: &InputOptions,
    ) -> Result<Self, InputError> {
        let column = options.column.as_ref();
        let mut prefix = String::new();
        let mut first = String::new();
        loop {
            first.clear();
            if input.read_line(&mut first)? == 0 || !first.trim().is_empty() {
                break;
            }
            prefix.push_str(&first);
        }
        if prefix.is_empty() {
            if let Some(rest) = first.strip_prefix('\u{feff}') {
                first = rest.to_string();
            }
        }
        let delimiter = sniff_delimiter(&first);
        let newlines = Arc::new(Mutex::new(NewlineTracker::default()));
        let replay: Box<dyn Read + Send> = Box::new(CountingReader {
            inner: Cursor::new(format!("{prefix}{first}")).chain(input),
            offset: 0,
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
        let (line, fields) = match reader.read_record() {
            None => return Ok(reader),
            Some(Ok((line, Ok(fields)))) => (line, fields),
            Some(Ok((line, Err(_)))) => (line, Vec::new()),
            Some(Err(e)) => return Err(e),
        };
        if fields.is_empty() {
            reader.pending = Some(Row {
                line,
                fields,
                value: Err("not valid UTF-8 text".into()),
                region: None,
            });
            return Ok(reader);
        }
        let lower: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        let is_header = match column {
            _ if matches!(options.region_column, Some(ColumnSpec::Name(_))) => true,
            Some(ColumnSpec::Name(_)) => true,
            Some(ColumnSpec::Index(i)) => fields
                .get(i - 1)
                .is_some_and(|f| !f.chars().any(|c| c.is_numeric())),
            None => !fields[guess_column(&fields)]
                .chars()
                .any(|c| c.is_numeric()),
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
            None if is_header => lower
                .iter()
                .position(|h| PHONE_HEADER_WORDS.iter().any(|w| h.contains(w)))
                .unwrap_or(0),
            None => guess_column(&fields),
        };
        if is_header {
            reader.headers = Some(fields);
        } else {
            reader.pending = Some(reader.row(line, fields));
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
    /// record's end (its terminator) less the newlines quoted inside it.
    #[allow(clippy::type_complexity)]
    fn read_record(&mut self) -> Option<Result<(u64, Result<Vec<String>, ()>), InputError>> {
        let mut record = csv::StringRecord::new();
        let result = self.csv.read_record(&mut record);
        let end = self.csv.position().byte();
        let last_line = self
            .newlines
            .lock()
            .expect("not poisoned")
            .line_at(end.saturating_sub(1));
        match result {
            Ok(false) => None,
            Ok(true) => {
                let inner: usize = record.iter().map(|f| f.matches('\n').count()).sum();
                Some(Ok((last_line - inner as u64, Ok(record_fields(&record)))))
            }
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Utf8 { .. } => Some(Ok((last_line, Err(())))),
                csv::ErrorKind::Io(io) => Some(Err(io.into())),
                other => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{other:?}"),
                )
                .into())),
            },
        }
    }

    fn row(&self, line: u64, fields: Vec<String>) -> Row {
        let value = match fields.get(self.column) {
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

    /// The next row; blank lines are skipped. A row that is not valid UTF-8 is
    /// returned with an error value (and its line), not dropped.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.pending.take() {
            return Some(Ok(row));
        }
        loop {
            return match self.read_record()? {
                Err(e) => Some(Err(e)),
                Ok((line, Err(()))) => Some(Ok(Row {
                    line,
                    fields: Vec::new(),
                    value: Err("not valid UTF-8 text".into()),
                    region: None,
                })),
                Ok((_, Ok(fields))) if fields.iter().all(|f| f.trim().is_empty()) => continue,
                Ok((line, Ok(fields))) => Some(Ok(self.row(line, fields))),
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
}
