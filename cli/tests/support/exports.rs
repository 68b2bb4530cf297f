//! Company exports as they really come out of HR and telecom-expense systems,
//! with their ground truth, for end-to-end tests of `hushlist check`.
//!
//! Each generator returns the file's exact bytes and, for every data row, which
//! column holds which phone number, under which region a national number is
//! meant, and what a careful reader must make of it: a number (and its E.164),
//! a number the export damaged, letters, a date, or an empty cell. `planted`
//! lists the E.164 numbers a test puts on its list: each must come out of a
//! run either as a match or as a warning naming its row.
//!
//! Only fictional numbers: UK 020 7946 0xxx, 0113 496 0xxx and 07700 900xxx
//! (Ofcom's drama ranges); US 555-01xx behind real area codes; German fixed
//! lines in Berlin's 030 23125 xxx block, which the Bundesnetzagentur keeps for
//! film and television. Germany has no such mobile block, so the mobile
//! numbers are 0151/0176 with the made-up subscriber part 2345 6xxx.
//!
//! `valid` is whether libphonenumber's metadata (9.0.42) counts the number as
//! allocated: the UK drama mobile range is not, so a run must check those
//! numbers but may flag them as only possible.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// UTF-8 byte-order mark, as Excel and many HR systems write it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a phone cell really holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Truth {
    /// A number: `e164` is the cell read under the cell's region (or on its
    /// own, when written in international format).
    Number { e164: String, valid: bool },
    /// Read under the row's region the cell is `read_as`, but the person meant
    /// `intended` (a UK mobile on a US or German row, its leading zero lost or
    /// kept). Only a warning can save the match.
    Misread {
        read_as: String,
        read_as_valid: bool,
        intended: String,
    },
    /// Excel's scientific notation destroyed the digits (`4.47701E+11`); no
    /// number can be read and the row must be reported.
    Destroyed { intended: String },
    /// A vanity number: not a number unless letters are allowed, then `e164`.
    Letters { e164: String },
    /// Not a phone number at all (a date typed into a phone column).
    NotANumber,
    /// An empty optional cell: counted apart, never a problem.
    Empty,
}

impl Truth {
    /// The number the person meant, when there is one.
    pub fn intended(&self) -> Option<&str> {
        match self {
            Truth::Number { e164, .. } => Some(e164),
            Truth::Misread { intended, .. } | Truth::Destroyed { intended } => Some(intended),
            Truth::Letters { e164 } => Some(e164),
            Truth::NotANumber | Truth::Empty => None,
        }
    }
}

/// One phone cell of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneCell {
    /// Its column's header name.
    pub column: &'static str,
    /// The cell as written in the file (decoded).
    pub raw: String,
    /// The region a national number in this cell is meant in: the row's
    /// country, or the company's home region when the file has no country.
    pub region: Option<&'static str>,
    pub truth: Truth,
}

/// One data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// Every field, decoded.
    pub fields: Vec<String>,
    /// The country cell as written, in files that have one.
    pub country: Option<String>,
    /// What that cell means (`None` when it is empty or says "N/A").
    pub country_region: Option<&'static str>,
    pub phones: Vec<PhoneCell>,
}

/// The text encoding of an export's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 starting with a byte-order mark.
    Utf8Bom,
    /// Windows-1252 (Latin-1 plus `€` and friends), no mark.
    Windows1252,
}

/// A generated export and its ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// A file name to write it under.
    pub file_name: &'static str,
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Always CRLF: both systems run on Windows.
    pub line_ending: &'static str,
    pub header: Vec<&'static str>,
    /// The columns that hold phone numbers; no other column ever does.
    pub phone_columns: Vec<&'static str>,
    /// The column naming each row's country, if any.
    pub region_column: Option<&'static str>,
    /// Where national numbers are meant when the file names no country.
    pub home_region: Option<&'static str>,
    pub rows: Vec<ExportRow>,
    /// E.164 numbers to put on the test list.
    pub planted: Vec<String>,
}

impl Export {
    /// Writes the bytes into `dir` and returns the path.
    pub fn write_in(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.file_name);
        std::fs::write(&path, &self.bytes).expect("write export");
        path
    }

    /// Where each planted number is: (line, column, cell).
    pub fn planted_cells(&self) -> Vec<(u64, &'static str, &PhoneCell)> {
        let mut out = Vec::new();
        for row in &self.rows {
            for cell in &row.phones {
                if cell
                    .truth
                    .intended()
                    .is_some_and(|n| self.planted.iter().any(|p| p == n))
                {
                    out.push((row.line, cell.column, cell));
                }
            }
        }
        out
    }

    /// The bytes decoded to text (BOM dropped).
    pub fn text(&self) -> String {
        match self.encoding {
            Encoding::Utf8Bom => {
                String::from_utf8(self.bytes[BOM.len()..].to_vec()).expect("UTF-8")
            }
            Encoding::Windows1252 => self.bytes.iter().map(|&b| cp1252_char(b)).collect(),
        }
    }
}

// ---------------------------------------------------------------- HR export

const HR_HEADER: [&str; 9] = [
    "Employee ID",
    "First Name",
    "Last Name",
    "Department",
    "Desk Phone",
    "Mobile Phone",
    "Country",
    "Start Date",
    "Cost Center",
];

fn number(
    raw: &str,
    region: Option<&'static str>,
    e164: &str,
    valid: bool,
) -> (String, Option<&'static str>, Truth) {
    let truth = Truth::Number {
        e164: e164.to_string(),
        valid,
    };
    (raw.to_string(), region, truth)
}

fn empty() -> (String, Option<&'static str>, Truth) {
    (String::new(), None, Truth::Empty)
}

/// What a country cell says, as `hushlist::check::regions` reads it.
fn country_region(country: &str) -> Option<&'static str> {
    match country {
        "UK" | "England" | "United Kingdom" => Some("GB"),
        "USA" | "United States" => Some("US"),
        "Deutschland" | "Germany" => Some("DE"),
        _ => None,
    }
}

/// An HR system's employee export: UTF-8 with BOM, CRLF, `,`, a desk and a
/// mobile column, a "Country" column in words, Excel damage, a vanity number,
/// a date in a phone column, empty optional cells, and 30 ordinary rows.
pub fn hr_export() -> Export {
    type Cell = (String, Option<&'static str>, Truth);
    struct Person {
        id: String,
        first: &'static str,
        last: &'static str,
        dept: &'static str,
        desk: Cell,
        mobile: Cell,
        country: &'static str,
        start: String,
        cost: &'static str,
    }
    let (gb, us, de) = (Some("GB"), Some("US"), Some("DE"));
    let person = |id: &str, first, last, dept, desk, mobile, country, start: &str, cost| Person {
        id: id.to_string(),
        first,
        last,
        dept,
        desk,
        mobile,
        country,
        start: start.to_string(),
        cost,
    };
    let mut people = vec![
        person(
            "E10001",
            "Olivia",
            "Hughes",
            "Sales, EMEA",
            number("020 7946 0321", gb, "+442079460321", true),
            number("07700 900417", gb, "+447700900417", false),
            "UK",
            "2019-03-01",
            "4711",
        ),
        // Excel's text marker kept in the export.
        person(
            "E10002",
            "Zoë",
            "Clarke",
            "Finance",
            empty(),
            number("'07700900109", gb, "+447700900109", false),
            "England",
            "2020-11-16",
            "4712",
        ),
        // Stored as a number by Excel: the leading zero is gone, which the
        // UK numbering plan tolerates.
        person(
            "E10003",
            "Tom",
            "Baker",
            "Engineering",
            number("+44 113 496 0123", gb, "+441134960123", true),
            number("7700900225", gb, "+447700900225", false),
            "United Kingdom",
            "2017-09-25",
            "CC-1020",
        ),
        person(
            "E10004",
            "Priya",
            "Shah",
            "Engineering",
            number("020 7946 0876", gb, "+442079460876", true),
            (
                "4.47701E+11".to_string(),
                gb,
                Truth::Destroyed {
                    intended: "+447700900312".into(),
                },
            ),
            "England",
            "2018-06-04",
            "",
        ),
        person(
            "E20001",
            "Michael",
            "Johnson",
            "Legal",
            number("(313) 555-0147", us, "+13135550147", true),
            number("+1 415 555 0188", us, "+14155550188", true),
            "USA",
            "2021-03-15",
            "4711",
        ),
        // A UK mobile, zero lost, on a US row: +1 770 090 0009 is no US number.
        person(
            "E20002",
            "Emily",
            "Davis",
            "Marketing",
            number("212-555-0101", us, "+12125550101", true),
            (
                "7700900009".to_string(),
                us,
                Truth::Misread {
                    read_as: "+17700900009".into(),
                    read_as_valid: false,
                    intended: "+447700900009".into(),
                },
            ),
            "United States",
            "2022-01-10",
            "0815",
        ),
        person(
            "E20003",
            "José",
            "García",
            "Support",
            (
                "(313) 555-HUSH".to_string(),
                us,
                Truth::Letters {
                    e164: "+13135554874".into(),
                },
            ),
            number("415.555.0123", us, "+14155550123", true),
            "USA",
            "2016-05-02",
            "4712",
        ),
        person(
            "E20004",
            "Ashley",
            "Miller",
            "HR",
            ("2021-06-14".to_string(), us, Truth::NotANumber),
            number("+1 (202) 555-0166", us, "+12025550166", true),
            "United States",
            "2021-06-14",
            "4711",
        ),
        // A UK number in international format on a US row is still a UK number.
        person(
            "E20005",
            "Daniel",
            "Wilson",
            "Legal",
            number("+44 20 7946 0555", us, "+442079460555", true),
            number("(313) 555-0199", us, "+13135550199", true),
            "USA",
            "2015-02-23",
            "4711",
        ),
        person(
            "E30001",
            "Jürgen",
            "Weiß",
            "Einkauf",
            number("030 23125 045", de, "+493023125045", true),
            number("0151 2345 6720", de, "+4915123456720", true),
            "Deutschland",
            "2014-04-01",
            "4711",
        ),
        person(
            "E30002",
            "Anna",
            "Schmidt",
            "Vertrieb",
            number("+49 30 23125 077", de, "+493023125077", true),
            number("0176 2345 6733", de, "+4917623456733", true),
            "Germany",
            "2023-08-01",
            "4712",
        ),
        // A UK mobile in UK national format on a German row: a valid German
        // fixed-line number to libphonenumber. Only trying the other listed
        // regions can reveal it.
        person(
            "E30003",
            "Lukas",
            "Becker",
            "IT",
            empty(),
            (
                "07700 900461".to_string(),
                de,
                Truth::Misread {
                    read_as: "+497700900461".into(),
                    read_as_valid: true,
                    intended: "+447700900461".into(),
                },
            ),
            "Deutschland",
            "2020-02-17",
            "0815",
        ),
        person(
            "E30004",
            "Sophie",
            "Wagner",
            "Personal",
            number("030 23125 012", de, "+493023125012", true),
            number("+49 (0)151 2345 6798", de, "+4915123456798", true),
            "Deutschland",
            "2012-10-01",
            "4711",
        ),
        // No usable country: only international numbers, which need none.
        person(
            "E40001",
            "Sam",
            "Taylor",
            "Consulting",
            empty(),
            number("+44 7700 900518", None, "+447700900518", false),
            "N/A",
            "2024-07-08",
            "4712",
        ),
        person(
            "E40002",
            "Chris",
            "Evans",
            "Consulting",
            number("+1 713 555 0123", None, "+17135550123", true),
            empty(),
            "",
            "2024-09-30",
            "",
        ),
    ];
    const FIRST: [&str; 10] = [
        "Amelia", "Noah", "Léa", "Ben", "Mia", "Felix", "Grace", "Jonas", "Ella", "Max",
    ];
    const LAST: [&str; 10] = [
        "Wright", "Young", "Roberts", "Hall", "Müller", "Fischer", "Walker", "Schäfer", "King",
        "Lewis",
    ];
    const DEPT: [&str; 5] = ["Sales, EMEA", "Finance", "Engineering", "Operations", "HR"];
    const COUNTRY: [&str; 6] = [
        "UK",
        "USA",
        "Deutschland",
        "England",
        "United States",
        "Germany",
    ];
    const COST: [&str; 5] = ["4711", "4712", "0815", "CC-1020", ""];
    for i in 0..30usize {
        let country = COUNTRY[i % 6];
        let region = country_region(country);
        let (desk, mobile) = match region {
            Some("GB") => (
                number(
                    &format!("020 7946 {:04}", 100 + i),
                    gb,
                    &format!("+4420794601{:02}", i),
                    true,
                ),
                number(
                    &format!("07700 900{}", 600 + i),
                    gb,
                    &format!("+447700900{}", 600 + i),
                    false,
                ),
            ),
            Some("US") => (
                number(
                    &format!("202-555-01{i:02}"),
                    us,
                    &format!("+120255501{i:02}"),
                    true,
                ),
                number(
                    &format!("(713) 555-01{}", 30 + i),
                    us,
                    &format!("+171355501{}", 30 + i),
                    true,
                ),
            ),
            _ => (
                number(
                    &format!("030 23125 {}", 100 + i),
                    de,
                    &format!("+4930231251{i:02}"),
                    true,
                ),
                number(
                    &format!("0151 2345 {}", 6800 + i),
                    de,
                    &format!("+491512345{}", 6800 + i),
                    true,
                ),
            ),
        };
        let desk = if i % 3 == 2 { empty() } else { desk };
        let mobile = if i % 5 == 4 { empty() } else { mobile };
        people.push(person(
            &format!("E5{i:04}"),
            FIRST[i % 10],
            LAST[(i * 3) % 10],
            DEPT[i % 5],
            desk,
            mobile,
            country,
            &format!(
                "20{:02}-{:02}-{:02}",
                10 + i % 15,
                1 + i % 12,
                1 + (i * 7) % 28
            ),
            COST[i % 5],
        ));
    }

    let mut text = String::new();
    push_record(&mut text, &HR_HEADER.map(String::from), b',');
    let mut rows = Vec::new();
    for (i, p) in people.into_iter().enumerate() {
        let fields = vec![
            p.id,
            p.first.to_string(),
            p.last.to_string(),
            p.dept.to_string(),
            p.desk.0.clone(),
            p.mobile.0.clone(),
            p.country.to_string(),
            p.start,
            p.cost.to_string(),
        ];
        push_record(&mut text, &fields, b',');
        let phones = [("Desk Phone", p.desk), ("Mobile Phone", p.mobile)]
            .into_iter()
            .map(|(column, (raw, region, truth))| PhoneCell {
                column,
                raw,
                region,
                truth,
            })
            .collect();
        rows.push(ExportRow {
            line: i as u64 + 2,
            fields,
            country: Some(p.country.to_string()),
            country_region: country_region(p.country),
            phones,
        });
    }
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(text.as_bytes());
    Export {
        file_name: "hr.csv",
        bytes,
        encoding: Encoding::Utf8Bom,
        delimiter: b',',
        line_ending: "\r\n",
        header: HR_HEADER.to_vec(),
        phone_columns: vec!["Desk Phone", "Mobile Phone"],
        region_column: Some("Country"),
        home_region: None,
        rows,
        planted: [
            "+442079460321",
            "+447700900109",
            "+447700900225",
            "+447700900312",
            "+13135550147",
            "+447700900009",
            "+12025550166",
            "+442079460555",
            "+493023125045",
            "+4915123456720",
            "+447700900461",
            "+447700900518",
            "+17135550123",
        ]
        .map(String::from)
        .to_vec(),
    }
}

// ---------------------------------------------------------- telecom export

const TELECOM_HEADER: [&str; 7] = [
    "Vertrag",
    "ICCID",
    "Rufnummer",
    "Nutzer",
    "Kostenstelle",
    "Tarif",
    "Betrag",
];

/// A Berlin company's telecom-expense export: Windows-1252, `;`, CRLF, one
/// number column ("Rufnummer") beside contract ids (`V-20000`), ICCIDs,
/// cost-centre codes (`4711`) and amounts with decimal commas; German numbers
/// in national format, a few UK and US ones in international format, and a
/// data-only SIM with no number.
pub fn telecom_export() -> Export {
    let de = Some("DE");
    let special: Vec<(&str, Truth, &str, &str, &str)> = vec![
        (
            "0151 2345 6701",
            num("+4915123456701", true),
            "Jürgen Weiß",
            "Business M",
            "39,95",
        ),
        (
            "030 23125 046",
            num("+493023125046", true),
            "Änne Köhler",
            "Festnetz Komfort",
            "24,90",
        ),
        (
            "+44 7700 900520",
            num("+447700900520", false),
            "Günther Groß",
            "Business L; Roaming Welt",
            "79,00",
        ),
        (
            "+1 212 555 0172",
            num("+12125550172", true),
            "Renée Lefèvre",
            "Business M",
            "39,95",
        ),
        ("", Truth::Empty, "Tablet Vertrieb", "Daten S", "9,99"),
        (
            "0049 176 2345 6711",
            num("+4917623456711", true),
            "Björn Müller",
            "Business L",
            "1.049,00",
        ),
        (
            "+49 (0)30 23125 078",
            num("+493023125078", true),
            "Søren Jæger",
            "Festnetz Komfort",
            "24,90",
        ),
        (
            "0176-23456712",
            num("+4917623456712", true),
            "Hélène Dubois",
            "Business M",
            "39,95",
        ),
        (
            "+44 20 7946 0444",
            num("+442079460444", true),
            "Käthe Schröder",
            "Business M",
            "41,20",
        ),
        (
            "+1 (415) 555-0177",
            num("+14155550177", true),
            "Ömer Akgül",
            "Business L",
            "88,15",
        ),
    ];
    const NAMES: [&str; 6] = [
        "Jörg Straßburger",
        "Lena Vogt",
        "Maximilian Öztürk",
        "Ursula Brückner",
        "Tobias Kraus",
        "Fritz Hübner",
    ];
    const TARIF: [&str; 4] = ["Business M", "Business L", "Daten S", "Festnetz Komfort"];
    const COST: [&str; 4] = ["4711", "4712", "0815", "4711"];
    let mut text = String::new();
    push_record(&mut text, &TELECOM_HEADER.map(String::from), b';');
    let mut rows = Vec::new();
    let mut add = |i: usize,
                   raw: String,
                   truth: Truth,
                   name: &str,
                   tarif: &str,
                   amount: String,
                   text: &mut String| {
        let fields = vec![
            format!("V-{}", 20000 + i),
            iccid(i),
            raw.clone(),
            name.to_string(),
            COST[i % 4].to_string(),
            tarif.to_string(),
            amount,
        ];
        push_record(text, &fields, b';');
        let region = if truth == Truth::Empty { None } else { de };
        rows.push(ExportRow {
            line: i as u64 + 2,
            fields,
            country: None,
            country_region: None,
            phones: vec![PhoneCell {
                column: "Rufnummer",
                raw,
                region,
                truth,
            }],
        });
    };
    for (i, (raw, truth, name, tarif, amount)) in special.into_iter().enumerate() {
        add(
            i,
            raw.to_string(),
            truth,
            name,
            tarif,
            amount.to_string(),
            &mut text,
        );
    }
    for j in 0..20usize {
        let i = 10 + j;
        let (raw, e164) = if j % 4 == 3 {
            (
                format!("030 23125 {}", 300 + j),
                format!("+49302312{}", 5300 + j),
            )
        } else {
            (
                format!("0151 2345 {}", 7000 + j),
                format!("+491512345{}", 7000 + j),
            )
        };
        let amount = format!("{},{:02}", 10 + (j * 7) % 60, (j * 13) % 100);
        add(
            i,
            raw,
            num(&e164, true),
            NAMES[j % 6],
            TARIF[j % 4],
            amount,
            &mut text,
        );
    }
    Export {
        file_name: "telecom.csv",
        bytes: to_cp1252(&text),
        encoding: Encoding::Windows1252,
        delimiter: b';',
        line_ending: "\r\n",
        header: TELECOM_HEADER.to_vec(),
        phone_columns: vec!["Rufnummer"],
        region_column: None,
        home_region: de,
        rows,
        planted: [
            "+4915123456701",
            "+493023125046",
            "+447700900520",
            "+12125550172",
            "+4917623456711",
        ]
        .map(String::from)
        .to_vec(),
    }
}

fn num(e164: &str, valid: bool) -> Truth {
    Truth::Number {
        e164: e164.to_string(),
        valid,
    }
}

/// A 19-digit ICCID (89 = telecom, 49 = Germany) with its Luhn check digit;
/// every fifth one has the 20-digit form some networks issue.
fn iccid(i: usize) -> String {
    let body = if i % 5 == 4 {
        format!("894902{:013}", 7_310_000_000 + i)
    } else {
        format!("894902{:012}", 1_230_000_000 + i)
    };
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

// ------------------------------------------------------------ CSV, encoding

/// Appends one CSV record with CRLF, quoting as Excel does.
fn push_record(out: &mut String, fields: &[String], delimiter: u8) {
    let delimiter = delimiter as char;
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([delimiter, '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    out.push_str(&quoted.join(&delimiter.to_string()));
    out.push_str("\r\n");
}

/// The Windows-1252 bytes 0x80..=0x9F that differ from Latin-1 (unused slots
/// map to U+FFFD).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

fn cp1252_char(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Encodes text as Windows-1252; a character it cannot hold is a bug in the
/// generator, not in the export.
pub fn to_cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => c as u8,
            _ => {
                let at = CP1252_HIGH.iter().position(|&h| h == c && h != '\u{FFFD}');
                0x80 + at.unwrap_or_else(|| panic!("{c:?} is not in Windows-1252")) as u8
            }
        })
        .collect()
}
