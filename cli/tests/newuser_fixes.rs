//! What a new user trying the README stumbled on, checked through the binary.

mod common;
use common::*;

#[test]
fn a_run_that_checks_nothing_is_not_a_clean_result() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let (key, snap) = (lab.public(), lab.path("pub"));
    // A national number without a region: not a number, so nothing was checked.
    let r = run(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&key),
            "--snapshot",
            s(&snap),
            "-n",
            "313 555 0142",
        ],
    )
    .expect(2);
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
