//! keygen -> build -> verify (hushlist and minisign) -> check, through the real binaries.

use crate::common::*;

#[test]
fn full_path_hit_miss_and_tampered() {
    let lab = Lab::new();
    let built = lab.publish("pub", LISTED, &[]).expect(0);
    assert!(
        built.stdout.contains("published snapshot #1"),
        "{}",
        built.stdout
    );

    let v = lab.verify("pub", &[]).expect(0);
    assert!(v.stdout.starts_with("VALID: snapshot #1"), "{}", v.stdout);
    assert!(v.stdout.contains("entries          2"), "{}", v.stdout);
    for file in ["manifest.json", "snapshot-00000001.hushlist"] {
        let m = run_program(
            "minisign",
            &[
                "-V",
                "-p",
                s(&lab.public()),
                "-m",
                s(&lab.path(&format!("pub/{file}"))),
            ],
        );
        let m = m.expect(0);
        assert!(m.stdout.contains("hushlist-"), "{}", m.stdout);
    }

    let hit = lab.check("pub", &["--number", "313.555.0142"]).expect(1);
    assert!(
        hit.stdout.contains("1 POSSIBLE MATCH") && hit.stdout.contains("+13135550142"),
        "{}",
        hit.stdout
    );
    let miss = lab.check("pub", &["--number", "313 555 0199"]).expect(0);
    assert!(miss.stdout.starts_with("NO MATCH"), "{}", miss.stdout);

    let snap = lab.path("pub/snapshot-00000001.hushlist");
    let mut bytes = std::fs::read(&snap).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&snap, bytes).unwrap();
    let tampered = lab.check("pub", &["--number", "313.555.0142"]).expect(2);
    assert!(
        tampered.stderr.contains("REFUSED") && tampered.stderr.contains("signature"),
        "{}",
        tampered.stderr
    );
    assert!(
        tampered.stdout.is_empty(),
        "nothing may be checked against a refused snapshot"
    );
}

#[test]
fn argon2id_default_round_trip() {
    let lab = Lab::new();
    lab.build(&lab.key(), "pub", "phone\n3135550101\n", &[])
        .expect(0);
    let v = lab.verify("pub", &["--format", "json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(json["hash"]["algorithm"], "argon2id");
    assert_eq!(json["hash"]["memory_kib"], 131072);
    assert_eq!(json["sequence"], 1);
    lab.check("pub", &["-n", "+1 313 555 0101"]).expect(1);
    lab.check("pub", &["-n", "+1 313 555 0102"]).expect(0);
}

#[test]
fn second_build_chains_to_the_first() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let first: serde_json::Value =
        serde_json::from_str(&lab.verify("pub", &["--format", "json"]).expect(0).stdout).unwrap();
    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    let second: serde_json::Value =
        serde_json::from_str(&lab.verify("pub", &["--format", "json"]).expect(0).stdout).unwrap();
    assert_eq!(second["sequence"], 2);
    assert_eq!(second["previous"], first["blake3"]);
    assert!(
        lab.path("pub/snapshot-00000001.hushlist").exists(),
        "history is kept"
    );
    // The new list replaces the old one.
    lab.check("pub", &["-n", "313 555 0177"]).expect(1);
    lab.check("pub", &["-n", "313 555 0101"]).expect(0);
}

#[test]
fn malformed_rows_are_reported_and_the_rest_published() {
    let lab = Lab::new();
    let r = lab
        .publish(
            "pub",
            "313 555 0101\nhello\n\n555 0102\n313 555 0103\n313-555-0101\n",
            &[],
        )
        .expect(0);
    assert!(r.stderr.contains(":2: skipped, no digits"), "{}", r.stderr);
    assert!(r.stderr.contains(":4: skipped, "), "{}", r.stderr);
    // The list is sensitive: cron mail gets line numbers, never the rows.
    assert!(
        !r.stderr.contains("hello") && !r.stderr.contains("555 0102"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("2 entries from 5 rows (1 duplicates merged, 2 skipped)"),
        "{}",
        r.stdout
    );
    lab.check("pub", &["-n", "3135550103"]).expect(1);

    let strict = lab
        .publish("strict", "313 555 0101\nhello\n", &["--strict"])
        .expect(2);
    assert!(strict.stderr.contains("--strict"), "{}", strict.stderr);
    assert!(!lab.path("strict/manifest.json").exists());
}

#[test]
fn check_reports_bad_rows_with_line_numbers_and_checks_the_rest() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let inventory = lab.write(
        "inv.csv",
        "employee,phone\nAna,313 555 0150\nBob,n/a\n\nCy,\"(313) 555-0142\"\nDi,313 555 0151\n",
    );
    let r = lab.check("pub", &[s(&inventory)]).expect(1);
    assert!(
        r.stdout.contains("inv.csv:5") && r.stdout.contains("Cy | (313) 555-0142"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("inv.csv:3 phone \"n/a\": no digits"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "1 POSSIBLE MATCH (1 row): 4 rows read; 4 cells: 3 checked, 0 empty, 1 not numbers"
        ),
        "{}",
        r.stdout
    );

    let json = lab
        .check("pub", &["--format", "json", s(&inventory)])
        .expect(1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["summary"]["possible_matches"]["numbers"], 1);
    assert_eq!(
        v["possible_matches"][0]["occurrences"][0]["row"]["employee"],
        "Cy"
    );
    assert_eq!(v["not_numbers"][0]["line"], 3);

    let csv = lab
        .check("pub", &["--format", "csv", s(&inventory)])
        .expect(1);
    assert!(
        csv.stdout.contains("possible_match,") && csv.stdout.contains("invalid,"),
        "{}",
        csv.stdout
    );

    // --strict: a script still tells matches from none when the run is incomplete.
    lab.check("pub", &["--strict", s(&inventory)]).expect(4);
    let clean = lab.write(
        "clean.csv",
        "employee,phone\nAna,313 555 0150\nBob,n/a\nCy,\n",
    );
    lab.check("pub", &["--strict", s(&clean)]).expect(3);
    let complete = lab.write("complete.csv", "employee,phone\nAna,313 555 0150\nCy,\n");
    lab.check("pub", &["--strict", s(&complete)]).expect(0);
}

#[test]
fn stdin_is_read_with_dash() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let snap = lab.path("pub");
    let r = run_with_stdin(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&lab.public()),
            "--snapshot",
            s(&snap),
            "--region",
            "US",
            "-",
        ],
        "313 555 0199\n313 555 0101\n",
    )
    .expect(1);
    assert!(r.stdout.contains("-:2"), "{}", r.stdout);
}

#[test]
fn check_needs_no_network() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let (h, k, p) = (hushlist(), lab.public(), lab.path("pub"));
    let args = [
        "-n",
        s(&h),
        "check",
        "--key",
        s(&k),
        "--snapshot",
        s(&p),
        "--region",
        "US",
        "-n",
        "313 555 0142",
    ];
    let r = run_program("unshare", &args);
    assert_eq!(
        r.code, 1,
        "check in an empty network namespace: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("+13135550142"));
}

/// The client's extra readings never reach a list: a list entry of digits
/// alone is refused (not published as +digits), and so is an entry holding
/// two numbers, so nothing unlisted can match.
#[test]
fn a_list_entry_is_one_number_read_one_way() {
    let lab = Lab::new();
    let r = lab
        .publish(
            "pub",
            "4917600000101\n+1 313 555 0142, +1 313 555 0199\n3135550101\n",
            &[],
        )
        .expect(0);
    assert!(
        r.stderr.contains(":1: skipped, digits alone"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(":2: skipped, holds several numbers"),
        "{}",
        r.stderr
    );
    lab.check("pub", &["-n", "+49 176 00000101"]).expect(0);
    lab.check("pub", &["-n", "+1 313 555 0142"]).expect(0);
    lab.check("pub", &["-n", "313 555 0101"]).expect(1);
}

/// At `--fp-rate 1e-2` no filter passes a default client (maximum 1e-4):
/// `build` used to exit 0 and publish it; it now refuses and writes nothing.
#[test]
fn build_never_publishes_what_default_clients_refuse() {
    let lab = Lab::new();
    // Enough entries to fill the filter as sized (a list below 1,000 is sized for 1,000).
    let list: String = (0..2000).map(|i| format!("+1 313 555 {i:04}\n")).collect();
    let r = lab.publish("pub", &list, &["--fp-rate", "0.01"]).expect(2);
    assert!(
        r.stderr
            .contains("would be refused by clients, so nothing was written")
            && r.stderr.contains("over-filled"),
        "{}",
        r.stderr
    );
    assert!(!lab.path("pub/manifest.json").exists());
    lab.publish("pub", &list, &["--fp-rate", "1e-4"]).expect(0);
    lab.verify("pub", &[]).expect(0);
}
