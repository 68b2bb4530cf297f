//! One reading of a cell, as FORMAT.md §2 states it (rules C1–C8 live in
//! [`crate::format::normalize::interpret`]): the regions a row is read under,
//! then each cell's readings or why it has none. `check`, `explain`, `prewarm`
//! and the publisher's list reader all read cells through here, so they agree
//! on every cell.

use super::input::SettingNames;
use super::regions::{RegionValues, UnknownRegionValue};
use super::ProblemKind;
use crate::format::normalize::{interpret, Interpretation, ReadOptions, Region};
use std::borrow::Cow;

/// The regions one row is read under.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRegions<'a> {
    /// The row's own region first, then the defaults (a national number on a
    /// "Deutschland" row may still be a UK mobile, and only reading it under
    /// every listed region can find it).
    pub regions: Cow<'a, [Region]>,
    /// The region the row's own cell names, when it names one.
    pub own: Option<Region>,
    /// The row's region cell names no region: the defaults were used.
    pub unknown: Option<UnknownRegionValue>,
}

/// The regions of a row whose region cell holds `text` (`None`: the input has
/// no region column), with `defaults` after the row's own.
pub fn row_regions<'a>(
    text: Option<&str>,
    defaults: &'a [Region],
    values: &RegionValues,
) -> RowRegions<'a> {
    match text.map(|t| values.read(t)) {
        None => RowRegions {
            regions: Cow::Borrowed(defaults),
            own: None,
            unknown: None,
        },
        Some(Ok(own)) => RowRegions {
            regions: Cow::Owned(row_first(own, defaults)),
            own: Some(own),
            unknown: None,
        },
        Some(Err(e)) => RowRegions {
            regions: Cow::Borrowed(defaults),
            own: None,
            unknown: Some(e),
        },
    }
}

/// `row` first, then the defaults other than it.
pub fn row_first(row: Region, defaults: &[Region]) -> Vec<Region> {
    let mut regions = vec![row];
    regions.extend(defaults.iter().filter(|r| **r != row));
    regions
}

/// What one cell holds.
#[derive(Debug, Clone, PartialEq)]
pub enum CellReading {
    /// Nothing but white space.
    Empty,
    /// Not a phone number: what kind of problem, and why in words.
    NotANumber(ProblemKind, String),
    /// Every reading a check looks up.
    Numbers(Vec<Interpretation>),
}

/// Reads one cell (its text, or why the row has none) under `regions`; a
/// reason names the settings as `names` does.
pub fn read_cell(
    value: &Result<String, String>,
    regions: &[Region],
    read: ReadOptions,
    names: &SettingNames,
) -> CellReading {
    match value {
        Err(reason) => CellReading::NotANumber(ProblemKind::Unreadable, reason.clone()),
        Ok(text) if text.trim().is_empty() => CellReading::Empty,
        Ok(text) => match interpret(text, regions, read) {
            Ok(readings) => CellReading::Numbers(readings),
            // Only the apostrophe a spreadsheet puts before text (C1): empty.
            Err(crate::format::normalize::NormalizeError::Empty) => CellReading::Empty,
            Err(e) => {
                let mut reason = names.not_a_number(e);
                if let Some(hint) = old_form_hint(text, e) {
                    reason.push_str(hint);
                }
                CellReading::NotANumber(ProblemKind::NotANumber(e), reason)
            }
        },
    }
}

/// What to say of a number written as its country no longer writes it. Only
/// said, never read another way: the reading rules (FORMAT.md section 2)
/// are the publisher's too, and a cell is read one way on both sides.
fn old_form_hint(text: &str, e: crate::format::normalize::NormalizeError) -> Option<&'static str> {
    let t = text.trim_start();
    let international = t.starts_with('+') || t.starts_with("00");
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.strip_prefix("00").unwrap_or(&digits);
    (e == crate::format::normalize::NormalizeError::TooLong
        && international
        && digits.len() == 13
        && digits.starts_with("521"))
    .then_some(
        "; Mexico dropped the mobile 1 after +52 in 2019: +52 1 55 1234 5678 is now \
         +52 55 1234 5678, and is checked only when written so",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: &str) -> Region {
        Region::parse(code).unwrap()
    }

    #[test]
    fn an_old_mexican_mobile_is_named_as_such() {
        let names = SettingNames::default();
        let r = read_cell(
            &Ok("+52 1 55 8765 4321".into()),
            &[],
            ReadOptions::default(),
            &names,
        );
        let CellReading::NotANumber(_, reason) = r else {
            panic!("+52 1 ... is too long under today's metadata");
        };
        assert!(reason.contains("Mexico dropped the mobile 1"), "{reason}");
        let r = read_cell(
            &Ok("+1 313 555 01421".into()),
            &[],
            ReadOptions::default(),
            &names,
        );
        if let CellReading::NotANumber(_, reason) = r {
            assert!(!reason.contains("Mexico"), "{reason}");
        }
    }

    #[test]
    fn the_rows_region_comes_first_and_an_unknown_one_falls_back_loudly() {
        let values = RegionValues::new();
        let defaults = [r("US"), r("GB")];
        let none = row_regions(None, &defaults, &values);
        assert_eq!((&none.regions[..], none.own), (&defaults[..], None));
        let de = row_regions(Some("Deutschland"), &defaults, &values);
        assert_eq!(&de.regions[..], &[r("DE"), r("US"), r("GB")]);
        assert_eq!(de.own, Some(r("DE")));
        let gb = row_regions(Some("GB"), &defaults, &values);
        assert_eq!(&gb.regions[..], &[r("GB"), r("US")], "no region twice");
        let odd = row_regions(Some("Atlantis"), &defaults, &values);
        assert_eq!(&odd.regions[..], &defaults[..]);
        assert!(odd.unknown.is_some(), "the fallback is said, not silent");
    }

    #[test]
    fn a_cell_is_empty_not_a_number_or_its_readings() {
        let read = ReadOptions::default();
        let us = [r("US")];
        assert_eq!(
            read_cell(&Ok("  ".into()), &us, read, &SettingNames::default()),
            CellReading::Empty
        );
        assert_eq!(
            read_cell(&Ok(" ' ".into()), &us, read, &SettingNames::default()),
            CellReading::Empty,
            "C1 trims the apostrophe: nothing is left"
        );
        assert!(matches!(
            read_cell(&Ok("reception".into()), &us, read, &SettingNames::default()),
            CellReading::NotANumber(ProblemKind::NotANumber(_), _)
        ));
        assert_eq!(
            read_cell(
                &Err("row too short".into()),
                &us,
                read,
                &SettingNames::default()
            ),
            CellReading::NotANumber(ProblemKind::Unreadable, "row too short".into())
        );
        match read_cell(
            &Ok("(313) 555-0101".into()),
            &us,
            read,
            &SettingNames::default(),
        ) {
            CellReading::Numbers(readings) => assert_eq!(readings[0].e164, "+13135550101"),
            other => panic!("{other:?}"),
        }
    }
}
