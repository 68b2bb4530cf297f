//! Generated HR and telecom exports with known ground truth, checked in one run
//! through the real binary: every listed number is found or flagged on its own
//! row, and no cell is read as a number it is not.

use crate::exports;

use crate::common::*;
use exports::{hr_export, telecom_export, Export, Truth};
use std::collections::BTreeSet;

type Place = (String, u64, String);

fn places(v: &serde_json::Value, key: &str) -> BTreeSet<Place> {
    let mut out = BTreeSet::new();
    for f in v[key].as_array().unwrap() {
        for o in f["occurrences"].as_array().unwrap() {
            out.insert(place(o));
        }
    }
    out
}

fn place(o: &serde_json::Value) -> Place {
    (
        o["source"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string(),
        o["line"].as_u64().unwrap(),
        o["column"].as_str().unwrap().to_string(),
    )
}

#[test]
fn every_listed_number_is_found_or_flagged_and_nothing_else_is_read() {
    let lab = Lab::new();
    let (hr, telecom) = (hr_export(), telecom_export());
    let list: String = hr
        .planted
        .iter()
        .chain(&telecom.planted)
        .map(|n| format!("{n}\n"))
        .collect();
    lab.publish("pub", &list, &[]).expect(0);
    let (hr_path, tel_path) = (
        hr.write_in(lab.dir.path()),
        telecom.write_in(lab.dir.path()),
    );
    let (key, snap) = (lab.public(), lab.path("pub"));
    let r = run(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&key),
            "--snapshot",
            s(&snap),
            "--region-column",
            "Country",
            "--region",
            "DE,GB,US",
            "--format",
            "json",
            s(&hr_path),
            s(&tel_path),
        ],
    );
    assert!(r.code == 1, "exit {}: {}", r.code, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let matched = places(&v, "possible_matches");
    let doubtful = places(&v, "doubtful_numbers");
    let not_numbers: BTreeSet<Place> = v["not_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();

    for export in [&hr, &telecom] {
        let name = export.file_name.to_string();
        for row in &export.rows {
            for cell in &row.phones {
                let here = (name.clone(), row.line, cell.column.to_string());
                let planted = cell
                    .truth
                    .intended()
                    .is_some_and(|n| export.planted.iter().any(|p| p == n));
                match &cell.truth {
                    Truth::Number { .. } if planted => {
                        assert!(
                            matched.contains(&here),
                            "listed number missed at {here:?}: {:?}",
                            cell.raw
                        )
                    }
                    Truth::Misread { .. } if planted => assert!(
                        matched.contains(&here) || doubtful.contains(&here),
                        "misread listed number neither found nor flagged at {here:?}: {:?}",
                        cell.raw
                    ),
                    Truth::Destroyed { .. } | Truth::Letters { .. } | Truth::NotANumber => assert!(
                        not_numbers.contains(&here),
                        "{here:?} {:?} should be reported as not a number",
                        cell.raw
                    ),
                    Truth::Empty => assert!(
                        !not_numbers.contains(&here),
                        "empty cell listed at {here:?}"
                    ),
                    _ => {}
                }
            }
        }
        check_columns(export, &v);
    }
    // Only phone columns are ever read.
    let phone_columns: BTreeSet<&str> = hr
        .phone_columns
        .iter()
        .chain(&telecom.phone_columns)
        .copied()
        .collect();
    for (_, _, column) in matched.iter().chain(&doubtful).chain(&not_numbers) {
        assert!(
            phone_columns.contains(column.as_str()),
            "read a non-phone column {column}"
        );
    }
}

/// The report names exactly the export's phone columns for its file.
fn check_columns(export: &Export, v: &serde_json::Value) {
    let input = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"].as_str().unwrap().ends_with(export.file_name))
        .unwrap();
    let columns: Vec<&str> = input["layout"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, export.phone_columns, "{}", export.file_name);
}
