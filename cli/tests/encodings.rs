//! Exports in the encodings offices still write (a Japanese carrier bill in
//! Shift_JIS, Chinese, Taiwanese and Korean HR files, French, Polish and
//! Russian ones from Excel), checked in one run with no encoding flag; a
//! label given for every input that does not fit one; one input that cannot
//! be read among others that can.

use crate::common::*;
use std::fs;

/// (file, encoding, header, one row's cells; the phone in the second cell).
const EXPORTS: &[(&str, &str, &str, &str)] = &[
    (
        "bill-sjis.csv",
        "shift_jis",
        "請求書番号,電話番号,契約者名,利用金額,備考",
        "INV-{i},090-4324-76{i},山田 太郎,1200円,通話料金および基本料金",
    ),
    (
        "bill-eucjp.csv",
        "euc_jp",
        "請求書番号,電話番号,契約者名,備考",
        "INV-{i},080-1111-22{i},佐藤 花子,基本料金のみ",
    ),
    (
        "hr-gbk.csv",
        "gbk",
        "员工编号,手机号码,姓名,部门",
        "{i},138 0013 80{i},王小明,销售部门北京分公司",
    ),
    (
        "hr-big5.csv",
        "big5",
        "員工編號,手機號碼,姓名,部門",
        "{i},0912 345 6{i},陳大文,業務部門台北分公司",
    ),
    (
        "hr-euckr.csv",
        "euc_kr",
        "사번,휴대전화,이름,부서",
        "{i},010-1234-56{i},김철수,영업부 서울지사",
    ),
    (
        "rh-cp1252.csv",
        "cp1252",
        "Matricule;Téléphone portable;Nom;Société",
        "{i};06 12 34 {i} 56;Lefèvre Hélène;Société Générale à Paris",
    ),
    (
        "kadry-cp1250.csv",
        "cp1250",
        "Nr;Telefon komórkowy;Nazwisko;Dział",
        "{i};601 234 5{i};Wiśniewski Łukasz;Dział sprzedaży Łódź",
    ),
    (
        "kadry-cp1251.csv",
        "cp1251",
        "Таб.номер;Мобильный телефон;Фамилия;Отдел",
        "{i};+7 912 345-{i}-67;Иванов Пётр;Отдел продаж Москва",
    ),
];

/// The listed numbers: row 05 of the Shift_JIS bill and of the French file.
const LISTED_HERE: &str = "+819043247605\n+33612340556\n";

/// Writes every export (20 rows each) in its encoding with Python's codecs,
/// an encoder independent of the one under test.
fn write_exports(lab: &Lab) {
    for (file, codec, header, row) in EXPORTS {
        let rows: Vec<String> = (0..20)
            .map(|i| row.replace("{i}", &format!("{i:02}")))
            .collect();
        let text = format!("{header}\r\n{}\r\n", rows.join("\r\n"));
        let script = format!(
            "import sys; open(sys.argv[1], 'wb').write(sys.stdin.read().encode('{codec}'))"
        );
        let out = lab.path(file);
        let r = Cmd::new(std::path::Path::new("/usr/bin/env"))
            .args(["python3", "-c", &script])
            .arg(&out)
            .stdin(text)
            .run();
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
    }
}

fn exports(lab: &Lab) -> Vec<String> {
    EXPORTS
        .iter()
        .map(|e| lab.path(e.0).to_str().unwrap().to_string())
        .collect()
}

fn check(lab: &Lab, extra: &[&str], files: &[String]) -> Run {
    let mut args = vec!["--region", "JP,CN,TW,KR,FR,PL,RU"];
    args.extend_from_slice(extra);
    args.extend(files.iter().map(String::as_str));
    // Beside the US region Lab::check gives.
    lab.check("pub", &args)
}

#[test]
fn eight_legacy_encodings_are_detected_in_one_run() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    write_exports(&lab);
    let r = check(&lab, &[], &exports(&lab)).expect(1);
    for name in [
        "Shift_JIS",
        "EUC-JP",
        "GBK",
        "Big5",
        "EUC-KR",
        "windows-1252",
        "windows-1250",
        "windows-1251",
    ] {
        assert!(
            r.stdout.contains(&format!("{name} (detected: not UTF-8")),
            "{name} not named as detected:\n{}",
            r.stdout
        );
    }
    assert!(r.stdout.starts_with("2 POSSIBLE MATCHES"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("bill-sjis.csv:7 電話番号 \"090-4324-7605\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Téléphone portable \"06 12 34 05 56\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{fffd}'), "nothing decoded to U+FFFD");
}

#[test]
fn one_label_for_every_input_is_doubted_where_it_does_not_fit_and_fixed_per_file() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    write_exports(&lab);
    let files = vec![exports(&lab)[0].clone(), exports(&lab)[5].clone()];
    // windows-1252 for both: the French file reads, the bill's header is
    // garbled; the bill is reported with the likely encoding, the rest checked.
    let r = check(&lab, &["--encoding", "windows-1252"], &files).expect(4);
    assert!(
        r.stderr.contains("its bytes look like Shift_JIS")
            && r.stderr.contains("--encoding bill-sjis.csv=Shift_JIS")
            && r.stderr.contains("the other inputs are still checked"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("(INCOMPLETE: 1 input not checked in full)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("NOT CHECKED: no column name says"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+33612340556"),
        "the French file still checked"
    );
    // Its own label, by file name: both read, both matches found, exit 1.
    let r = check(
        &lab,
        &[
            "--encoding",
            "windows-1252",
            "--encoding",
            "bill-sjis.csv=shift_jis",
        ],
        &files,
    )
    .expect(1);
    assert!(r.stdout.contains("Shift_JIS (given)") && r.stdout.contains("windows-1252 (given)"));
    assert!(r.stdout.starts_with("2 POSSIBLE MATCHES"), "{}", r.stdout);
    // A label for a file that is not an input is said, not ignored.
    let r = check(&lab, &["--encoding", "nope.csv=gbk"], &files[1..]).expect(1);
    assert!(
        r.stderr
            .contains("--encoding nope.csv=gbk: no input is named nope.csv"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bom_decides_and_says_the_label_given_did_not_apply() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice("電話番号,氏名\r\n090-4324-7605,山田\r\n".as_bytes());
    let file = lab.path("bom.csv");
    fs::write(&file, bytes).unwrap();
    let r = lab
        .check(
            "pub",
            &["--region", "JP", "--encoding", "shift_jis", s(&file)],
        )
        .expect(1);
    assert!(
        r.stdout
            .contains("UTF-8 (BOM; the Shift_JIS given does not apply to this file)"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_workbook_among_exports_is_reported_and_the_others_checked() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    write_exports(&lab);
    let xlsx = lab.path("phones.xlsx");
    fs::write(&xlsx, b"PK\x03\x04\x14\x00\x06\x00rest of a workbook").unwrap();
    let mut files = exports(&lab);
    files.insert(1, s(&xlsx).to_string());
    let r = check(&lab, &[], &files).expect(4);
    assert!(
        r.stderr.contains("phones.xlsx: not a text file"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("(INCOMPLETE: 1 input not checked in full)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.starts_with("2 POSSIBLE MATCHES"), "{}", r.stdout);
    let json = check(&lab, &["--format", "json"], &files).expect(4);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["summary"]["complete"], false);
    let failed: Vec<&serde_json::Value> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["failed"].is_null())
        .collect();
    assert_eq!(failed.len(), 1, "{}", json.stdout);
    // Alone, a workbook is the error it always was: nothing to report.
    lab.check("pub", &[s(&xlsx)]).expect(2);
}

#[test]
fn a_bad_encoding_argument_is_refused_before_anything_is_read() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    write_exports(&lab);
    let files = exports(&lab);
    let r = check(&lab, &["--encoding", "bill-sjis.csv=cp-9999"], &files).expect(2);
    assert!(
        r.stderr
            .contains("--encoding cp-9999: not an encoding label"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no report: {}", r.stdout);
    let r = check(&lab, &["--encoding", "=gbk"], &files).expect(2);
    assert!(r.stderr.contains("no file name before `=`"), "{}", r.stderr);
    // One input that fails alone is the error, with no report.
    let r = lab
        .check("pub", &["--encoding", "windows-1252", &files[0]])
        .expect(2);
    assert!(r.stdout.is_empty(), "no report: {}", r.stdout);
}

/// `2>&1 | head` closes stderr early: the exit code stays the documented
/// one. A pipe whose reader is already closed makes every write fail.
#[test]
fn a_closed_stderr_keeps_the_documented_exit_code() {
    let lab = Lab::new();
    lab.publish("pub", LISTED_HERE, &[]).expect(0);
    write_exports(&lab);
    let files = exports(&lab);
    let script = "import os, subprocess, sys\n\
                  r, w = os.pipe(); os.close(r)\n\
                  p = subprocess.run(sys.argv[1:], stderr=w, stdout=subprocess.DEVNULL)\n\
                  print(p.returncode)";
    let r = Cmd::new(std::path::Path::new("/usr/bin/env"))
        .args(["python3", "-c", script])
        .arg(hushlist())
        .args(["check", "--key"])
        .arg(lab.public())
        .arg("--snapshot")
        .arg(lab.path("pub"))
        .args(["--region", "JP", "--encoding", "windows-1252", &files[0]])
        .run();
    assert_eq!(r.stdout.trim(), "2", "{}", r.stderr);
}
