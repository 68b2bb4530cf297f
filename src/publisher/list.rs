//! Reading the publisher's list: the same rows, columns and region cells a
//! check reads (`check::input`, `check::reading`), but each entry is one
//! number read one way ([`list_entry`]): under the row's own region when its
//! region cell names one, else under the default region.

use super::{list_entry, EntryProblem};
use crate::check::input::{InputError, InputOptions, Layout, RowReader};
use crate::check::reading::row_regions;
use crate::check::regions::RegionValues;
use crate::format::normalize::{ReadOptions, Region};
use std::collections::BTreeSet;
use std::io::BufRead;

/// How a list file is read.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ListOptions {
    /// Columns (default: every column whose header says phone) and region column.
    pub input: InputOptions,
    /// The region of national numbers on rows that name none.
    pub region: Option<Region>,
    /// Letters and other reading rules.
    pub read: ReadOptions,
}

impl ListOptions {
    /// Reads `input`'s columns, national numbers in `region`.
    pub fn new(input: InputOptions, region: Option<Region>, read: ReadOptions) -> Self {
        ListOptions {
            input,
            region,
            read,
        }
    }
}

/// A cell that is not a list entry, named by its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line.
    pub line: u64,
    /// The cell as written. The list is sensitive: show it only when asked.
    pub text: Option<String>,
    /// Why it is not an entry.
    pub problem: EntryProblem,
}

/// What a list held.
#[derive(Clone, Debug)]
pub struct ListRead {
    /// The distinct E.164 entries, sorted.
    pub numbers: Vec<String>,
    /// Data rows read.
    pub rows: u64,
    /// Cells that were entries (before duplicates were merged).
    pub entries: u64,
    /// Cells that were not, in input order.
    pub skipped: Vec<Skipped>,
    /// How the file was read (encoding, delimiter, columns).
    pub layout: Layout,
}

/// Reads every row of a list (CSV, TSV or one number per line). Empty cells
/// are not entries and not problems. A row whose region cell names no known
/// region is skipped, not read under the default: a list entry is read one
/// way, and the way the row asks for is unknown.
pub fn read_list(
    input: Box<dyn BufRead + Send>,
    options: &ListOptions,
) -> Result<ListRead, InputError> {
    let reader = RowReader::new(input, &options.input)?;
    let layout = reader.layout().clone();
    let defaults: Vec<Region> = options.region.into_iter().collect();
    let values = RegionValues::new();
    let mut numbers = BTreeSet::new();
    let (mut rows, mut entries, mut skipped) = (0, 0, Vec::new());
    for row in reader {
        let row = row?;
        rows += 1;
        let regions = row_regions(row.region.as_deref(), &defaults, &values);
        let regions: &[Region] = match (regions.own, &regions.unknown) {
            (Some(_), _) => &regions.regions[..1],
            (None, None) => &defaults,
            (None, Some(unknown)) => {
                skipped.push(Skipped {
                    line: row.line,
                    text: row.region.clone(),
                    problem: EntryProblem::UnknownRegion(unknown.to_string()),
                });
                continue;
            }
        };
        for cell in &row.cells {
            let read = match &cell.value {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => list_entry(text, regions, options.read),
                Err(reason) => Err(EntryProblem::Unreadable(reason.clone())),
            };
            match read {
                Ok(e164) => {
                    entries += 1;
                    numbers.insert(e164);
                }
                Err(problem) => skipped.push(Skipped {
                    line: row.line,
                    text: cell.value.clone().ok(),
                    problem,
                }),
            }
        }
    }
    Ok(ListRead {
        numbers: numbers.into_iter().collect(),
        rows,
        entries,
        skipped,
        layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::input::ColumnSpec;

    fn read(text: &str, region: Option<&str>, region_column: Option<&str>) -> ListRead {
        let options = ListOptions::new(
            InputOptions {
                region_column: region_column.map(ColumnSpec::parse),
                ..InputOptions::default()
            },
            region.map(|r| Region::parse(r).unwrap()),
            ReadOptions::default(),
        );
        read_list(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            &options,
        )
        .unwrap()
    }

    #[test]
    fn entries_are_merged_sorted_and_bad_cells_are_named_by_line() {
        let list = read(
            "date,phone\n2026-01-01,(313) 555-0142\n2026-01-02,+1 313 555 0142\n2026-01-03,\n2026-01-04,call me\n2026-01-05,+44 20 7946 0958\n",
            Some("US"),
            None,
        );
        assert_eq!(list.numbers, ["+13135550142", "+442079460958"]);
        assert_eq!((list.rows, list.entries), (5, 3));
        assert_eq!(list.skipped.len(), 1, "{:?}", list.skipped);
        assert_eq!(list.skipped[0].line, 5);
        assert!(matches!(
            list.skipped[0].problem,
            EntryProblem::NotANumber(_)
        ));
    }

    #[test]
    fn a_rows_region_reads_its_number_and_an_unknown_one_skips_the_row() {
        let list = read(
            "phone,country\n020 7946 0958,UK\n(313) 555-0142,\n030 901820,Atlantis\n",
            Some("US"),
            Some("country"),
        );
        assert_eq!(list.numbers, ["+13135550142", "+442079460958"]);
        assert_eq!(list.skipped.len(), 1);
        assert_eq!(list.skipped[0].line, 4);
        assert!(matches!(
            list.skipped[0].problem,
            EntryProblem::UnknownRegion(_)
        ));
    }
}
