//! The export generators other tests rely on: deterministic, byte-exact as
//! the systems write them, and with ground truth that the library's own
//! normalization and region reading confirm.

use crate::exports;

use exports::{hr_export, telecom_export, Encoding, Export, Truth};
use hushlist::check::regions::region_from_value;
use hushlist::format::normalize::{normalize, Region};

fn region(code: Option<&str>) -> Option<Region> {
    code.map(|c| Region::parse(c).expect("a region"))
}

/// Splits CRLF records and quoted fields; enough for what the generators write.
fn parse(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let body = text.strip_suffix("\r\n").expect("ends with CRLF");
    body.split("\r\n")
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        chars.next();
                        fields.last_mut().unwrap().push('"');
                    }
                    '"' => quoted = !quoted,
                    c if c == delimiter && !quoted => fields.push(String::new()),
                    c => fields.last_mut().unwrap().push(c),
                }
            }
            fields
        })
        .collect()
}

fn both() -> [Export; 2] {
    [hr_export(), telecom_export()]
}

#[test]
fn generators_are_deterministic() {
    assert_eq!(hr_export(), hr_export());
    assert_eq!(telecom_export(), telecom_export());
}

#[test]
fn the_bytes_hold_exactly_the_rows_of_the_ground_truth() {
    for export in both() {
        let text = export.text();
        assert!(
            !text.replace("\r\n", "").contains(['\r', '\n']),
            "CRLF only"
        );
        let records = parse(&text, export.delimiter as char);
        assert_eq!(records[0], export.header, "{}", export.file_name);
        assert_eq!(records.len(), export.rows.len() + 1);
        for (record, row) in records[1..].iter().zip(&export.rows) {
            assert_eq!(record, &row.fields, "line {}", row.line);
            assert_eq!(row.fields.len(), export.header.len());
        }
        let lines: Vec<u64> = export.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, (2..export.rows.len() as u64 + 2).collect::<Vec<_>>());
    }
}

#[test]
fn hr_export_is_utf8_with_a_byte_order_mark() {
    let hr = hr_export();
    assert_eq!(hr.encoding, Encoding::Utf8Bom);
    assert!(hr.bytes.starts_with(exports::BOM));
    assert!(hr.text().contains("Zoë,Clarke"));
    assert!(hr.text().contains("\"Sales, EMEA\""));
}

#[test]
fn telecom_export_is_windows_1252_with_semicolons() {
    let telecom = telecom_export();
    assert!(
        String::from_utf8(telecom.bytes.clone()).is_err(),
        "not UTF-8"
    );
    // "Weiß" as Windows-1252 bytes.
    assert!(telecom.bytes.windows(4).any(|w| w == b"Wei\xDF"));
    assert!(telecom.text().contains(";\"Business L; Roaming Welt\";"));
    assert!(telecom.text().contains("V-20000;"));
}

#[test]
fn phone_cells_sit_in_their_columns() {
    for export in both() {
        for row in &export.rows {
            for cell in &row.phones {
                assert!(export.phone_columns.contains(&cell.column));
                let at = export.header.iter().position(|h| *h == cell.column);
                assert_eq!(row.fields[at.unwrap()], cell.raw, "line {}", row.line);
            }
            assert_eq!(row.phones.len(), export.phone_columns.len());
        }
    }
}

#[test]
fn ground_truth_normalizes_as_claimed() {
    let mut kinds = std::collections::BTreeSet::new();
    for export in both() {
        for row in &export.rows {
            for cell in &row.phones {
                let at = format!("{} line {} {}", export.file_name, row.line, cell.column);
                let read = normalize(&cell.raw, region(cell.region));
                match &cell.truth {
                    Truth::Number { e164, .. } => {
                        kinds.insert("number");
                        assert_eq!(read.as_deref(), Ok(e164.as_str()), "{at}");
                    }
                    Truth::Misread {
                        read_as, intended, ..
                    } => {
                        kinds.insert("misread");
                        assert_eq!(read.as_deref(), Ok(read_as.as_str()), "{at}");
                        assert_ne!(read_as, intended, "{at}");
                    }
                    Truth::Destroyed { .. } => {
                        kinds.insert("destroyed");
                        assert!(read.is_err(), "{at}: {read:?}");
                    }
                    Truth::Letters { e164 } => {
                        // What libphonenumber makes of the letters; hushlist
                        // must not, unless letters are allowed.
                        kinds.insert("letters");
                        assert_eq!(read.as_deref(), Ok(e164.as_str()), "{at}");
                        assert!(cell.raw.chars().any(|c| c.is_ascii_alphabetic()));
                    }
                    Truth::NotANumber => {
                        kinds.insert("date");
                        let parts: Vec<usize> = cell.raw.split('-').map(str::len).collect();
                        assert_eq!(parts, [4, 2, 2], "{at}: date-shaped");
                    }
                    Truth::Empty => {
                        kinds.insert("empty");
                        assert_eq!(cell.raw, "", "{at}");
                    }
                }
                if let Some(n) = cell.truth.intended() {
                    assert_eq!(normalize(n, None).as_deref(), Ok(n), "{at}: E.164");
                }
            }
        }
    }
    assert_eq!(kinds.len(), 6, "every kind of cell is exercised: {kinds:?}");
}

#[test]
fn country_cells_mean_what_the_ground_truth_says() {
    let hr = hr_export();
    let mut named = 0;
    for row in &hr.rows {
        let country = row.country.as_deref().unwrap();
        match row.country_region {
            Some(code) => {
                named += 1;
                assert_eq!(
                    region_from_value(country).map(|r| r.to_string()),
                    Ok(code.to_string()),
                    "{country:?}"
                );
            }
            None if country.is_empty() => {}
            None => assert!(region_from_value(country).is_err(), "{country:?}"),
        }
    }
    assert!(named > 30);
    for value in [
        "UK",
        "England",
        "USA",
        "United States",
        "Deutschland",
        "Germany",
    ] {
        assert!(hr.rows.iter().any(|r| r.country.as_deref() == Some(value)));
    }
}

#[test]
fn planted_numbers_each_sit_in_one_cell() {
    for export in both() {
        let cells = export.planted_cells();
        assert_eq!(cells.len(), export.planted.len(), "{}", export.file_name);
        for p in &export.planted {
            assert_eq!(normalize(p, None).as_deref(), Ok(p.as_str()));
        }
    }
    let hr = hr_export();
    let kinds: Vec<&str> = hr
        .planted_cells()
        .iter()
        .map(|(_, _, c)| match c.truth {
            Truth::Number { .. } => "number",
            Truth::Misread { .. } => "misread",
            Truth::Destroyed { .. } => "destroyed",
            _ => "other",
        })
        .collect();
    for kind in ["number", "misread", "destroyed"] {
        assert!(kinds.contains(&kind), "a planted {kind} number");
    }
}

#[test]
fn no_other_column_reads_as_a_planted_number() {
    for export in both() {
        for row in &export.rows {
            let home = region(row.country_region.or(export.home_region).or(Some("DE")));
            for (field, name) in row.fields.iter().zip(&export.header) {
                if export.phone_columns.contains(name) {
                    continue;
                }
                if let Ok(e164) = normalize(field, home) {
                    assert!(
                        !export.planted.contains(&e164),
                        "{} line {} {name}",
                        export.file_name,
                        row.line
                    );
                }
            }
        }
    }
}
