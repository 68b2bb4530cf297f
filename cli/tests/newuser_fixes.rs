//! What a new user trying the README stumbled on, checked through the binary.

use crate::common::*;

/// `check` against `pub/` without the `--region US` that `Lab::check` adds.
fn check_no_default_region(lab: &Lab, extra: &[&str]) -> Run {
    let (key, snap) = (lab.public(), lab.path("pub"));
    let mut args = vec!["check", "--key", s(&key), "--snapshot", s(&snap)];
    args.extend_from_slice(extra);
    run(&hushlist(), &args)
}

#[test]
fn a_run_that_checks_nothing_is_not_a_clean_result() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    // A national number without a region: not a number, so nothing was checked.
    let r = check_no_default_region(&lab, &["-n", "313 555 0142"]).expect(2);
    assert!(r.stdout.starts_with("NOTHING CHECKED"), "{}", r.stdout);
    assert!(r.stderr.contains("nothing was checked"), "{}", r.stderr);
}

#[test]
fn a_foreign_international_prefix_says_how_to_fix_it() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let r = lab
        .check("pub", &["-n", "00 44 20 7946 0958", "-n", "313 555 0101"])
        .expect(1);
    assert!(
        r.stdout
            .contains("international prefix none of the regions used dials: write it with +"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_excel_sep_line_and_a_late_latin1_byte_are_handled() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let mut bytes = b"sep=;\r\nName;Phone\r\n".to_vec();
    for i in 0..4000 {
        bytes.extend_from_slice(format!("P{i};313 555 {:04}\r\n", 1000 + i % 9000).as_bytes());
    }
    bytes.extend_from_slice(b"J\xfcrgen;313 555 0101\r\n");
    let path = lab.path("inv.csv");
    std::fs::write(&path, bytes).unwrap();
    let r = lab.check("pub", &[s(&path)]).expect(1);
    assert!(r.stdout.contains("delimiter semicolon"), "{}", r.stdout);
    assert!(
        r.stdout.contains("--encoding windows-1252") && r.stderr.contains("line 4003"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}

/// A JSON report for a ticket: redacted rows are absent (not an empty row),
/// a spreadsheet's exponent is not shown as the number's last digits, columns
/// are numbered as `--column` takes them, and a run from cron (no `$USER`)
/// still names its account.
#[test]
fn a_redacted_json_report_reads_right() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let path = lab.path("inv.csv");
    std::fs::write(
        &path,
        "Name,Site,Mobile\nAna,Berlin,(313) 555-0101\nBen,Paris,4.47701E+11\n",
    )
    .unwrap();
    let r = lab
        .check("pub", &["--format", "json", "--redact", s(&path)])
        .expect(1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found = &report["possible_matches"][0]["occurrences"][0];
    assert_eq!(found["input"], "…01");
    assert!(found["row"].is_null(), "{found}");
    let bad = &report["not_numbers"][0];
    assert_eq!(
        bad["input"], "…01",
        "the mantissa's digits, not the exponent's"
    );
    let columns = &report["inputs"][0]["layout"]["columns"];
    assert_eq!(columns[0]["position"], 3, "{columns}");
    assert_eq!(columns[0]["name"], "Mobile");
    let user = report["run"]["user"].as_str().unwrap();
    assert!(
        user.contains("(uid ") && user != "unknown",
        "the environment is cleared, so the account comes from the uid: {user}"
    );
}

/// Exports that used to lose numbers silently: an MSISDN column (E.164
/// digits without `+`), a stray quote that swallows rows, a row shifted by
/// an unquoted comma, a region column the file lacks, and a column list
/// that leaves a phone column out. Each is now found or named.
#[test]
fn shapes_that_hid_numbers_are_found_or_named() {
    let lab = Lab::new();
    lab.publish("pub", "+4917600000101\n+13135550142\n+13135550199\n", &[])
        .expect(0);
    let msisdn = lab.path("msisdn.csv");
    std::fs::write(&msisdn, "MSISDN;Kostenstelle\n4917600000101;4711\n").unwrap();
    let r = lab.check("pub", &["--region", "DE", s(&msisdn)]).expect(1);
    assert!(
        r.stdout
            .contains("+4917600000101: digits alone, read as an international number with + added"),
        "{}",
        r.stdout
    );

    let quote = lab.path("quote.csv");
    std::fs::write(
        &quote,
        "name,item,phone\nCal,\"13\"\" laptop,+1 212 555 0164\nDee,pad,+1 313 555 0142\nFay,\"desk\",+1 313 555 0110\n",
    )
    .unwrap();
    let shifted = lab.path("shifted.csv");
    std::fs::write(
        &shifted,
        "name,dept,phone\nSmith, John,Fleet,+1 313 555 0199\n",
    )
    .unwrap();
    // Dee's listed number sits in a line the stray quote swallowed: it is
    // read again and found, and the damaged file never ends clean (4).
    let r = lab
        .check(
            "pub",
            &["--region-column", "Contry", s(&quote), s(&shifted)],
        )
        .expect(4);
    assert!(
        r.stdout.contains("(line inside a quoted field)") && r.stdout.contains("+13135550142"),
        "{}",
        r.stdout
    );
    for expected in [
        "WARNING: line 2: a quoted field runs over 3 lines, to line 4",
        "shifted.csv:2 (the whole row): row has 4 fields where the header has 3",
        "region column: \"Contry\" is not in this file; its rows use the default regions",
    ] {
        assert!(r.stdout.contains(expected), "{expected}\n{}", r.stdout);
    }
    assert!(
        r.stderr.contains("a quoted field runs over 3 lines"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("Smith"),
        "no row content on stderr: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("region column \"Contry\" is in none of the inputs"),
        "{}",
        r.stderr
    );

    let columns = lab.path("columns.csv");
    std::fs::write(
        &columns,
        "Name,Desk Phone,Home Phone\nA,+1 313 555 0101,+1 313 555 0142\n",
    )
    .unwrap();
    let r = lab
        .check("pub", &["--column", "Desk Phone", s(&columns)])
        .expect(0);
    assert!(
        r.stdout
            .contains("not checked, though their headers name a phone: Home Phone"),
        "{}",
        r.stdout
    );
}

/// The second round: numbers in columns no header word names, floats and a
/// dropped `+` with spaces, two numbers on two lines of one cell, and a
/// doubtful second number in a cell. Each is found, or named, and
/// `--strict` no longer calls such a run complete.
#[test]
fn unnamed_columns_floats_and_cells_with_two_numbers() {
    let lab = Lab::new();
    lab.publish(
        "pub",
        "+13135550142\n+4930000020110\n+447700900462\n+12135550165\n",
        &[],
    )
    .expect(0);
    let home = lab.path("home.csv");
    std::fs::write(
        &home,
        "Name,Mobile,Home,Notes\nA,+1 313 555 0101,+1 313 555 0142,hello\nB,,(313) 555-0110,x\n",
    )
    .unwrap();
    let r = lab.check("pub", &["--strict", s(&home)]).expect(3);
    assert!(
        r.stdout.contains(
            "not checked, yet shaped like phone numbers: \"Home\" (2 of 2 filled cells); \
                       add each with --also-column to check it as well as the detected columns"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("the inputs have warnings"),
        "{}",
        r.stderr
    );

    let exports = lab.path("exports.csv");
    std::fs::write(
        &exports,
        "Name,Phone\nA,493000002011.0\nB,44 7700 900462\nC,\"020 7946 0011\r\n(213) 555-0165\"\n",
    )
    .unwrap();
    let r = lab
        .check("pub", &["--region", "DE", "--format", "json", s(&exports)])
        .expect(1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found: Vec<&str> = report["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["e164"].as_str().unwrap())
        .collect();
    assert_eq!(
        found,
        ["+447700900462", "+12135550165"],
        "the + dropped with spaces, and the second line of a cell"
    );
    // The float is read as its digits: a valid German number, not +49...0.
    let r = lab
        .check("pub", &["--region", "DE", "-n", "493000002011.0"])
        .expect(0);
    assert!(r.stdout.contains("1 checked"), "{}", r.stdout);

    // A doubtful second number in a cell is listed, not hidden by the first.
    let r = check_no_default_region(
        &lab,
        &["--region", "GB", "-n", "020 7946 0011 / (213) 555-0108"],
    )
    .expect(0);
    assert!(
        r.stdout.contains("DOUBTFUL NUMBERS") && r.stdout.contains("+442135550108"),
        "{}",
        r.stdout
    );
}

/// A JP employee's `090-4324-7611` is also a possible Indian number: read
/// as IN it hits a listed Indian number. Still looked up (a UK mobile on a
/// Deutschland row must be found), but never shown as an ordinary match:
/// every format says the row names another region, and the summary counts
/// such matches apart.
#[test]
fn a_match_read_under_another_region_than_the_rows_is_labelled_and_counted_apart() {
    let lab = Lab::new();
    lab.publish("pub", "+919043247611\n+13135550142\n", &[])
        .expect(0);
    let staff = lab.path("staff.csv");
    std::fs::write(
        &staff,
        "name,mobile,usageLocation\nTaro,090-4324-7611,JP\nAna,(313) 555-0142,US\n",
    )
    .unwrap();
    let args = [
        "--region",
        "IN,JP",
        "--region-column",
        "usageLocation",
        s(&staff),
    ];
    let table = check_no_default_region(&lab, &args).expect(1);
    assert!(
        table.stdout.starts_with("2 POSSIBLE MATCHES (2 numbers on 2 rows), 1 of them read under another region than their row's"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("[MATCHED ONLY WHEN READ AS IN; THIS ROW SAYS JP]"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("1 match read under another region than its row's is likely another number"),
        "{}",
        table.stdout
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = check_no_default_region(&lab, &json_args).expect(1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["summary"]["possible_matches"]["read_under_another_region"],
        1
    );
    let taro = v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["e164"] == "+919043247611")
        .expect("the IN reading matched");
    assert_eq!(taro["occurrences"][0]["row_region"], "JP");
    let ana = v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["e164"] == "+13135550142")
        .unwrap();
    assert!(
        ana["occurrences"][0]["row_region"].is_null(),
        "a US row read as US is ordinary"
    );
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let csv = check_no_default_region(&lab, &csv_args).expect(1);
    assert!(
        csv.stdout
            .contains("matched only when read as IN; this row says JP"),
        "{}",
        csv.stdout
    );
    let html = lab.path("report.html");
    let mut html_args = args.to_vec();
    html_args.extend(["--report", s(&html)]);
    check_no_default_region(&lab, &html_args).expect(1);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("matched only when read as IN; this row says JP"),
        "no label in HTML"
    );
}

/// A signed contact with bidi overrides, a line separator, a zero-width
/// space and a soft hyphen is shown escaped by verify, import and status,
/// in text and JSON alike (JSON stays valid, with the same value); a CSV
/// report neutralizes cells a spreadsheet would run, and leaves numbers be.
#[test]
fn invisible_characters_are_escaped_everywhere_and_csv_cells_never_run() {
    let lab = Lab::new();
    let name = "Help\u{202e}enil\u{2028}x\u{200b}y\u{ad}z\u{200f}";
    lab.publish(
        "pub",
        LISTED,
        &[
            "--publisher-name",
            name,
            "--publisher-contact",
            "confirm@example.org",
        ],
    )
    .expect(0);
    let invisible = [
        '\u{202e}', '\u{2028}', '\u{200b}', '\u{ad}', '\u{200f}', '\u{1b}',
    ];
    let clean = |what: &str, text: &str| {
        assert!(
            !text.contains(&invisible[..]),
            "{what} printed an invisible character raw:\n{text}"
        );
    };
    let key = lab.public();
    let pubdir = lab.path("pub");
    let verify = run(&hushlist(), &["verify", "--key", s(&key), s(&pubdir)]).expect(0);
    clean("verify", &verify.stdout);
    assert!(
        verify
            .stdout
            .contains("Help\\u202Eenil\\u2028x\\u200By\\u00ADz\\u200F"),
        "{}",
        verify.stdout
    );
    let json = run(
        &hushlist(),
        &["verify", "--format", "json", "--key", s(&key), s(&pubdir)],
    )
    .expect(0);
    clean("verify --format json", &json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("still JSON");
    assert!(
        v.to_string().contains('\u{202e}'),
        "the value is unchanged: {v}"
    );

    let state = lab.path("state");
    let env = [("HUSHLIST_STATE_DIR", s(&state))];
    run_full(
        &hushlist(),
        &[
            "init",
            "--key",
            s(&key),
            "--url",
            "https://example.invalid/",
        ],
        &env,
        "",
    )
    .expect(0);
    let import = run_full(&hushlist(), &["import", s(&pubdir)], &env, "").expect(0);
    clean("import", &import.stdout);
    let status = run_full(&hushlist(), &["status"], &env, "").expect(0);
    clean("status", &status.stdout);
    assert!(status.stdout.contains("\\u202E"), "{}", status.stdout);

    let inventory = lab.path("inventory.csv");
    std::fs::write(
        &inventory,
        "name,phone,notes\n=HYPERLINK(\"http://x.invalid\"),+1 313 555 0142,\"+cmd|' /C calc'!A0\"\nBen\u{1b}[31m,(313) 555-0199,@SUM(1)\n",
    )
    .unwrap();
    let csv = lab
        .check("pub", &["--format", "csv", s(&inventory)])
        .expect(1);
    clean("check --format csv", &csv.stdout);
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv.stdout.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let matched = rows
        .iter()
        .find(|r| &r[0] == "possible_match")
        .expect("a match");
    let fields: Vec<&str> = matched.iter().collect();
    assert!(
        fields.contains(&"'=HYPERLINK(\"http://x.invalid\")"),
        "{fields:?}"
    );
    assert!(fields.contains(&"'+cmd|' /C calc'!A0"), "{fields:?}");
    assert!(
        fields.contains(&"+1 313 555 0142"),
        "a number stays as written: {fields:?}"
    );
}

/// One column to add (`Alternate No.`, which no header word calls a phone)
/// and one to set aside (`Device`, phone-shaped digits that are not a phone):
/// no need to list every phone column of every file.
#[test]
fn one_column_is_added_and_one_set_aside_without_listing_the_rest() {
    let lab = Lab::new();
    lab.publish("pub", "+13135550142\n", &[]).expect(0);
    let hr = lab.path("hr.csv");
    std::fs::write(
        &hr,
        "Name,Mobile Phone,Alternate No.,Device\nAna,(313) 555-0101,(313) 555-0142,356938035643809\nBen,(313) 555-0150,,356938035643817\n",
    )
    .unwrap();
    // Without them: the listed alternate number is not checked, and the
    // device column's digits warn.
    let r = lab.check("pub", &["--strict", s(&hr)]).expect(3);
    assert!(r.stdout.contains("\"Device\""), "{}", r.stdout);
    assert!(!r.stdout.contains("+13135550142"), "{}", r.stdout);
    let r = lab
        .check(
            "pub",
            &[
                "--also-column",
                "Alternate No.",
                "--not-column",
                "Device",
                "--strict",
                s(&hr),
            ],
        )
        .expect(1);
    assert!(
        r.stdout.contains("also Alternate No. (as asked)")
            && r.stdout.contains("+13135550142")
            && !r.stdout.contains("shaped like phone numbers"),
        "{}",
        r.stdout
    );
    // From the config file too.
    let config = lab.path("config.toml");
    std::fs::write(
        &config,
        "also_column = \"Alternate No.\"\nnot_column = [\"Device\"]\n",
    )
    .unwrap();
    let r = lab
        .check_env(
            "pub",
            &["--strict", s(&hr)],
            &[("HUSHLIST_CONFIG", s(&config))],
        )
        .expect(1);
    assert!(
        r.stdout.contains("also Alternate No. (as asked)"),
        "{}",
        r.stdout
    );
}

/// Dates and device serials are never phone numbers, however phone-shaped
/// their digits: they are not warned about, so `--strict` can exit 0 on a
/// real HR export.
#[test]
fn dates_and_imeis_are_not_phone_shaped() {
    let lab = Lab::new();
    lab.publish("pub", "+13135550142\n", &[]).expect(0);
    let hr = lab.path("hr.csv");
    std::fs::write(
        &hr,
        "Name,Mobile Phone,Start Date,Joined,IMEI\nAna,(313) 555-0101,06-02-2024,2024-02-06,356938035643809\nBen,(313) 555-0150,11/29/2026,2026-11-29,356938035643817\n",
    )
    .unwrap();
    let r = lab.check("pub", &["--strict", s(&hr)]).expect(0);
    assert!(
        !r.stdout.contains("shaped like phone numbers"),
        "{}",
        r.stdout
    );
}
