//! The committed HR and telecom exports (fixtures/demo-*-export.csv) checked as
//! a company would: both files in one run, no --column, a region column in one
//! of them, three default regions. Every listed number is found or flagged with
//! its row; nothing is read as a number it is not; every output names what it
//! checked.

use crate::common::*;
use std::fs;

fn demo_args<'a>(extra: &[&'a str], paths: &'a [String; 4]) -> Vec<&'a str> {
    let mut args = vec![
        "check",
        "--key",
        &paths[0],
        "--snapshot",
        &paths[1],
        "--region-column",
        "Country",
        "--region",
        "DE,GB,US",
    ];
    args.extend_from_slice(extra);
    args.push(&paths[2]);
    args.push(&paths[3]);
    args
}

fn paths() -> [String; 4] {
    let f = fixtures();
    [
        "keys/demo-TEST-ONLY.pub",
        "demo-published",
        "demo-hr-export.csv",
        "demo-telecom-export.csv",
    ]
    .map(|p| f.join(p).display().to_string())
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// (source file name, line, column, E.164) of every cell in a list of findings.
fn cells(findings: &serde_json::Value) -> Vec<(String, u64, String, String)> {
    let mut out = Vec::new();
    for f in findings.as_array().unwrap() {
        for o in f["occurrences"].as_array().unwrap() {
            let source = o["source"].as_str().unwrap();
            out.push((
                source.rsplit('/').next().unwrap().to_string(),
                o["line"].as_u64().unwrap(),
                o["column"].as_str().unwrap().to_string(),
                f["e164"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn one_run_over_both_exports_finds_or_flags_every_listed_number() {
    let paths = paths();
    let r = run(&hushlist(), &demo_args(&["--format", "json"], &paths)).expect(1);
    let v = json(&r);
    let hr = "demo-hr-export.csv".to_string();
    let tel = "demo-telecom-export.csv".to_string();
    let c = |s: &String, l, col: &str, e: &str| (s.clone(), l, col.to_string(), e.to_string());
    assert_eq!(
        cells(&v["possible_matches"]),
        vec![
            // The spreadsheet's text apostrophe, and a GB mobile whose leading 0 was lost.
            c(&hr, 3, "Mobile Phone", "+447700900225"),
            c(&hr, 4, "Mobile Phone", "+447700900351"),
            c(&hr, 5, "Desk Phone", "+13135550110"),
            // "Deutschland" in the Country column.
            c(&hr, 7, "Desk Phone", "+493000002011"),
            // Windows-1252, semicolons, no "phone" in English: Rufnummer.
            c(&tel, 2, "Rufnummer", "+4917600000101"),
            // A UK mobile in national format in a Berlin export: the GB reading.
            c(&tel, 5, "Rufnummer", "+447700900462"),
            c(&tel, 6, "Rufnummer", "+13135550188"),
        ],
        "{}",
        r.stdout
    );
    let gb = v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["e164"] == "+447700900462")
        .unwrap();
    assert_eq!(gb["region"], "GB", "a match names the reading that matched");
    assert_eq!(
        gb["occurrences"][0]["row"]["Nutzer"], "Renée Dubois",
        "Windows-1252 names decode"
    );

    // Doubtful: checked, no match, but only possible for the region used.
    assert_eq!(
        cells(&v["doubtful_numbers"]),
        vec![
            c(&hr, 2, "Mobile Phone", "+447700900109"),
            c(&hr, 11, "Mobile Phone", "+17700900009"),
            c(&tel, 4, "Rufnummer", "+447700900461"),
        ]
    );
    let us_row = &v["doubtful_numbers"][1];
    assert!(
        us_row["note"]
            .as_str()
            .unwrap()
            .starts_with("not a valid US number"),
        "{us_row}"
    );

    // Not numbers: a vanity number and spreadsheet damage; never contract ids,
    // ICCIDs, cost centres, dates or amounts, which are in no checked column.
    let reasons: Vec<(u64, &str)> = v["not_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].1.contains("letters") && reasons[1].1.contains("scientific"));
    assert_eq!(v["regions_not_recognised"][0]["input"], "Atlantis");

    let s = &v["summary"];
    assert_eq!(
        (s["rows"].as_u64(), s["empty"].as_u64()),
        (Some(18), Some(8))
    );
    assert_eq!(s["possible_matches"]["numbers"], 7);
    assert_eq!(s["complete"], false);

    // Every input is named with its digest, encoding, delimiter and columns.
    let inputs = v["inputs"].as_array().unwrap();
    let bytes = fs::read(&paths[3]).unwrap();
    assert_eq!(inputs[1]["sha256"], sha256_hex(&bytes));
    assert!(inputs[1]["layout"]["encoding"]
        .as_str()
        .unwrap()
        .starts_with("windows-1252"));
    assert_eq!(inputs[1]["layout"]["delimiter"], ";");
    assert_eq!(inputs[0]["layout"]["columns"][1]["name"], "Mobile Phone");
    assert_eq!(inputs[0]["layout"]["region_column"]["name"], "Country");
    assert_eq!(v["run"]["regions"], serde_json::json!(["DE", "GB", "US"]));
    assert!(v["run"]["options"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("--region-column \"Country\"")));
    assert!(v["summary"]["expected_false_matches"].as_f64().unwrap() > 0.0);
}

fn sha256_hex(bytes: &[u8]) -> String {
    // Computed independently of hushlist: the sha256sum program.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    fs::write(&p, bytes).unwrap();
    let out = run_program("sha256sum", &[s(&p)]);
    out.stdout.split(' ').next().unwrap().to_string()
}

#[test]
fn the_table_csv_and_html_name_columns_regions_and_digests() {
    let paths = paths();
    let table = run(&hushlist(), &demo_args(&[], &paths)).expect(1);
    for needle in [
        "7 POSSIBLE MATCHES (7 numbers on 7 rows)",
        "expected false matches in this run: ",
        "default regions: DE, GB, US",
        "columns checked: Desk Phone, Mobile Phone (header names that say phone)",
        "not checked: Phone Type (describes a phone, holds no number)",
        "columns checked: Rufnummer",
        "windows-1252 (detected: not UTF-8; 11 non-ASCII bytes in the sample, a guess), delimiter semicolon",
        "+447700900462 (read as GB)",
        "DOUBTFUL NUMBERS",
        "REGIONS NOT RECOGNISED",
        "Renée Dubois",
    ] {
        assert!(
            table.stdout.contains(needle),
            "{needle:?} missing:\n{}",
            table.stdout
        );
    }
    let csv = run(&hushlist(), &demo_args(&["--format", "csv"], &paths)).expect(1);
    let inputs: Vec<&str> = csv
        .stdout
        .lines()
        .filter(|l| l.starts_with("input,"))
        .collect();
    assert_eq!(inputs.len(), 2);
    assert!(inputs[0].contains("sha256") && inputs[0].contains("Desk Phone; Mobile Phone"));

    let lab = Lab::new();
    let html = lab.path("r.html");
    run(&hushlist(), &demo_args(&["--report", s(&html)], &paths)).expect(1);
    let page = fs::read_to_string(&html).unwrap();
    for needle in [
        "Doubtful numbers",
        "What was checked",
        "Rufnummer",
        "This run",
        "Host",
        "--region DE,GB,US",
    ] {
        assert!(
            page.contains(needle),
            "{needle:?} missing from the HTML report"
        );
    }
}

#[test]
fn redacted_reports_keep_two_digits_and_no_row_fields() {
    let paths = paths();
    let r = run(
        &hushlist(),
        &demo_args(&["--redact", "--format", "json"], &paths),
    )
    .expect(1);
    assert!(
        !r.stdout.contains("+447700900462") && !r.stdout.contains("Renée"),
        "{}",
        r.stdout
    );
    let v = json(&r);
    assert_eq!(v["possible_matches"][0]["e164"], "…25");
    assert_eq!(v["run"]["redact"], true);
    let table = run(&hushlist(), &demo_args(&["--redact"], &paths)).expect(1);
    assert!(
        !table.stdout.contains("Jack") && table.stdout.contains("…25"),
        "{}",
        table.stdout
    );
}

#[test]
fn strict_keeps_matches_apart_from_completeness() {
    let paths = paths();
    // Cells that are not numbers: incomplete, and matches were found.
    run(&hushlist(), &demo_args(&["--strict"], &paths)).expect(4);
}

#[test]
fn explain_shows_every_reading_without_a_snapshot() {
    let paths = paths();
    let r = run(&hushlist(), &["explain", "--region", "DE,GB,US", &paths[3]]).expect(0);
    assert!(
        r.stdout.contains("Rufnummer \"07700 900462\" [regions DE, GB, US] -> +497700900462 valid as DE; +447700900462 only possible as GB"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"\" [regions DE, GB, US] -> empty"),
        "{}",
        r.stdout
    );
    // The cost before it is spent: the count of what a check would hash.
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("a check would look up ") && last.contains(" distinct"),
        "{last}"
    );
    let hr = run(
        &hushlist(),
        &[
            "explain",
            "--region-column",
            "Country",
            "--format",
            "json",
            &paths[2],
        ],
    )
    .expect(0);
    let v = json(&hr);
    let cells = v["cells"].as_array().unwrap();
    let liam = cells.iter().find(|c| c["input"] == "7700900009").unwrap();
    assert_eq!(liam["result"][0]["e164"], "+17700900009");
    assert_eq!(liam["result"][0]["valid"], false);
    assert!(liam["regions"]
        .as_str()
        .unwrap()
        .contains("row says \"US\""));
}

#[test]
fn a_file_without_a_phone_column_is_an_error_naming_its_headers_not_a_guess() {
    let lab = Lab::new();
    let paths = paths();
    let export = lab.write(
        "contracts.csv",
        "Vertrag;ICCID;Kostenstelle\nV-20000;89490200000000000011;4711\n",
    );
    let r = run(
        &hushlist(),
        &[
            "check",
            "--key",
            &paths[0],
            "--snapshot",
            &paths[1],
            s(&export),
        ],
    )
    .expect(2);
    assert!(
        r.stderr.contains("Vertrag, ICCID, Kostenstelle") && r.stderr.contains("--column"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("V-20000"),
        "row content never reaches stderr"
    );
}

#[test]
fn terminal_escapes_in_fields_are_shown_not_obeyed() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let inventory = lab.write(
        "inv.csv",
        "employee,phone\n\u{1b}[2J\u{1b}]0;owned\u{7}Eve\u{202e},313 555 0101\n",
    );
    let r = lab.check("pub", &[s(&inventory)]).expect(1);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{202e}'),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\\u{1b}[2J") && r.stdout.contains("\\u{202e}"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_printed_number_checks_as_itself() {
    // 011 46 0052321 0958 read from the US once printed +460523210958, which
    // normalized to another number: a re-check of the report missed.
    let lab = Lab::new();
    lab.publish("pub", "+46 523 210 958\n", &[]).expect(0);
    let first = lab
        .check("pub", &["--format", "json", "-n", "011 46 0052321 0958"])
        .expect(1);
    let v: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let printed = v["possible_matches"][0]["e164"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(printed, "+46523210958");
    lab.check("pub", &["-n", &printed]).expect(1);
}
