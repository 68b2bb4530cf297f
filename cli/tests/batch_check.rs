//! Batch checking as a company does it: messy inventories, every output
//! format, the key cache, configuration.

use crate::common::*;
use std::fs;

/// A publication listing the numbers that the messy inventory spells in many ways.
fn listed() -> Lab {
    let lab = Lab::new();
    lab.publish(
        "pub",
        "+1 313 555 0101\n+1 313 555 0102\n+1 313 555 0103\n+1 313 555 0104\n+1 313 555 0105\n\
         +1 313 555 0106\n+1 313 555 0107\n+44 20 7946 0958\n+44 20 7946 0959\n+49 30 901820\n",
        &[],
    )
    .expect(0);
    lab
}

fn check(lab: &Lab, args: &[&str]) -> Run {
    let (key, snap) = (lab.public(), lab.path("pub"));
    let mut all = vec!["check", "--key", s(&key), "--snapshot", s(&snap)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The lines of every cell that matched, in input order.
fn matched_lines(v: &serde_json::Value) -> Vec<u64> {
    let mut lines: Vec<u64> = v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["occurrences"].as_array().unwrap().iter())
        .map(|o| o["line"].as_u64().unwrap())
        .collect();
    lines.sort();
    lines
}

#[test]
fn every_input_quirk_is_normalized() {
    let lab = listed();
    // BOM, CRLF, a blank line, quoted fields with commas and quotes, and one
    // spelling per quirk; every listed number appears once.
    let csv = "\u{feff}employee,phone,country\r\n\
        Ana,(313) 555-0101,\r\n\
        Ben,tel:+1-313-555-0102,\r\n\
        \r\n\
        Cy,\"313.555.0103 ext. 12\",\r\n\
        Di,011 1 313 555 0104,\r\n\
        \"Eve, Jr.\",\"+1 (313) 555 0105\",\r\n\
        Fay,３１３５５５０１０６,\r\n\
        Gus,001 313 555 0107,DE\r\n\
        Hal,+44 (0)20 7946 0958,\r\n\
        Ida,020 7946 0959,GB\r\n\
        Jo,030 901820,de\r\n\
        \"Kai \"\"K\"\"\",313 555 0199,\r\n\
        Lu,not a phone,\r\n";
    let input = lab.write("inv.csv", csv);
    let r = check(
        &lab,
        &[
            "--region",
            "US",
            "--region-column",
            "country",
            "--format",
            "json",
            s(&input),
        ],
    )
    .expect(1);
    let v = json(&r);
    assert_eq!(
        matched_lines(&v),
        vec![2, 3, 5, 6, 7, 8, 9, 10, 11, 12],
        "{}",
        r.stdout
    );
    assert_eq!(v["summary"]["rows"], 12);
    assert_eq!(v["not_numbers"][0]["line"], 14);
    assert_eq!(v["not_numbers"][0]["column"], "phone");
    assert_eq!(
        v["possible_matches"][4]["occurrences"][0]["row"]["employee"],
        "Eve, Jr."
    );
    assert_eq!(v["possible_matches"][8]["e164"], "+442079460959");
    assert_eq!(
        v["possible_matches"][8]["region"], "GB",
        "the row's region read it"
    );
}

#[test]
fn tsv_semicolons_and_plain_lists_are_sniffed() {
    let lab = listed();
    let tsv = lab.write(
        "inv.tsv",
        "name\tmobile\nA\t313 555 0101\nB\t313 555 0150\n",
    );
    assert_eq!(
        matched_lines(&json(
            &check(&lab, &["--region", "US", "--format", "json", s(&tsv)]).expect(1)
        )),
        [2]
    );
    let semi = lab.write(
        "inv.txt",
        "id;Phone Number\n1;313 555 0150\n2;+1 313 555 0102\n",
    );
    assert_eq!(
        matched_lines(&json(
            &check(&lab, &["--region", "US", "--format", "json", s(&semi)]).expect(1)
        )),
        [3]
    );
    let plain = lab.write("plain.txt", "313 555 0150\n\n(313) 555-0103\n");
    assert_eq!(
        matched_lines(&json(
            &check(&lab, &["--region", "US", "--format", "json", s(&plain)]).expect(1)
        )),
        [3]
    );
    let by_index = lab.write("idx.csv", "313 555 0150,313 555 0104\n");
    let r = check(
        &lab,
        &[
            "--region",
            "US",
            "--column",
            "2",
            "--format",
            "json",
            s(&by_index),
        ],
    )
    .expect(1);
    assert_eq!(matched_lines(&json(&r)), [1]);
}

#[test]
fn every_output_format_keeps_the_row_and_the_bad_rows() {
    let lab = listed();
    let input = lab.write(
        "inv.csv",
        "employee,phone\nAna,313 555 0101\nBob,garbage\nCy,313 555 0150\n",
    );
    let table = check(&lab, &["--region", "US", s(&input)]).expect(1);
    assert!(
        table.stdout.starts_with(
            "1 POSSIBLE MATCH (1 row): 3 rows read; 3 cells: 2 checked, 0 empty, 1 not numbers"
        ),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("Ana | 313 555 0101")
            && table.stdout.contains("phone \"garbage\": no digits"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("Confirm every match with the list's publisher")
            && table
                .stdout
                .contains("expected false matches in this run: "),
        "{}",
        table.stdout
    );

    let csv = check(&lab, &["--region", "US", "--format", "csv", s(&input)]).expect(1);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "status,source,line,column,input,e164,region,valid,note,row..."
    );
    assert!(
        lines[1].starts_with("input,") && lines[1].contains("sha256"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("possible_match,")
            && lines[2].ends_with(",2,phone,313 555 0101,+13135550101,US,true,,Ana,313 555 0101"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("invalid,") && lines[3].contains(",3,phone,garbage,,,,no digits"),
        "{}",
        lines[3]
    );
    assert!(lines[4].starts_with("summary,"), "{}", lines[4]);

    let jsonl = check(&lab, &["--region", "US", "--format", "jsonl", s(&input)]).expect(1);
    let objects: Vec<serde_json::Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 4);
    assert_eq!(objects[0]["type"], "possible_match");
    assert_eq!(objects[0]["occurrences"][0]["row"]["employee"], "Ana");
    assert_eq!(objects[1]["type"], "invalid");
    assert_eq!(objects[2]["type"], "input");
    assert_eq!(objects[2]["layout"]["columns"][0]["name"], "phone");
    assert_eq!(objects[3]["type"], "summary");
    assert_eq!(objects[3]["summary"]["possible_matches"]["numbers"], 1);
    assert!(objects[3]["snapshot"]["sequence"].is_u64());
}

#[test]
fn reports_written_to_files_are_private_and_self_contained() {
    use std::os::unix::fs::PermissionsExt;
    let lab = listed();
    let input = lab.write(
        "inv.csv",
        "employee,phone\n<script>alert(1)</script>,313 555 0101\nBob,n/a\n",
    );
    let (out, html) = (lab.path("report.json"), lab.path("report.html"));
    fs::write(&out, "old").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o644)).unwrap();
    let r = check(
        &lab,
        &[
            "--region",
            "US",
            "--format",
            "json",
            "--output",
            s(&out),
            "--report",
            s(&html),
            s(&input),
        ],
    )
    .expect(1);
    assert!(
        r.stdout.is_empty() && r.stderr.contains("report written to"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    for path in [&out, &html] {
        assert_eq!(
            fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            path.display()
        );
    }
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["possible_matches"]["numbers"], 1);
    let page = fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("1 POSSIBLE MATCH"));
    assert!(page.contains("How to confirm a possible match"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>"));
    assert!(page.contains("+13135550101") && page.contains("n/a"));
    for external in ["src=", "href=", "http://", "https://", "@import", "url("] {
        assert!(
            !page.contains(external),
            "HTML report must be self-contained, found {external}"
        );
    }
}

#[test]
fn the_key_cache_makes_a_recheck_lookups_only() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    let small_argon2 = ["--argon2-memory", "1024", "--argon2-passes", "1"];
    lab.build(&lab.key(), "pub", "313 555 0101\n", &small_argon2)
        .expect(0);
    let cache = lab.path("cache");
    let input = lab.write("inv.txt", "313 555 0101\n313 555 0102\n313 555 0103\n");
    let (key, snap) = (lab.public(), lab.path("pub"));
    let args = [
        "check",
        "--key",
        s(&key),
        "--snapshot",
        s(&snap),
        "--region",
        "US",
        "--format",
        "json",
        s(&input),
    ];
    let env = [("HUSHLIST_CACHE_DIR", s(&cache))];
    let first = json(&run_full(&hushlist(), &args, &env, "").expect(1));
    assert_eq!(first["summary"]["from_cache"], 0);
    let files: Vec<_> = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let second = json(&run_full(&hushlist(), &args, &env, "").expect(1));
    assert_eq!(second["summary"]["from_cache"], 3);
    assert_eq!(
        second["possible_matches"], first["possible_matches"],
        "cached answers equal computed ones"
    );

    let mut no_cache = args.to_vec();
    no_cache.push("--no-cache");
    let third = json(&run_full(&hushlist(), &no_cache, &env, "").expect(1));
    assert_eq!(third["summary"]["from_cache"], 0);
    // --jobs limits the hashing threads without changing answers.
    let mut one_job = no_cache.clone();
    one_job.extend_from_slice(&["--jobs", "1"]);
    assert_eq!(
        json(&run_full(&hushlist(), &one_job, &env, "").expect(1))["possible_matches"],
        first["possible_matches"]
    );
}

#[test]
fn defaults_come_from_the_config_file_and_environment() {
    let lab = listed();
    let config = lab.write("config.toml", "region = \"US\"\nformat = \"jsonl\"\n");
    let input = lab.write("inv.txt", "313 555 0101\n");
    let (key, snap) = (lab.public(), lab.path("pub"));
    let base = ["check", "--key", s(&key), "--snapshot", s(&snap), s(&input)];
    let env = [("HUSHLIST_CONFIG", s(&config))];
    let r = run_full(&hushlist(), &base, &env, "").expect(1);
    assert!(
        r.stdout
            .lines()
            .last()
            .unwrap()
            .contains("\"type\":\"summary\""),
        "{}",
        r.stdout
    );
    // The environment beats the file; a flag beats both.
    let env2 = [("HUSHLIST_CONFIG", s(&config)), ("HUSHLIST_FORMAT", "csv")];
    let r = run_full(&hushlist(), &base, &env2, "").expect(1);
    assert!(r.stdout.starts_with("status,source"), "{}", r.stdout);
    let mut flagged = base.to_vec();
    flagged.extend_from_slice(&["--format", "table"]);
    let r = run_full(&hushlist(), &flagged, &env2, "").expect(1);
    assert!(r.stdout.starts_with("1 POSSIBLE MATCH"), "{}", r.stdout);

    let bad = lab.write("bad.toml", "regoin = \"US\"\n");
    let r = run_full(&hushlist(), &base, &[("HUSHLIST_CONFIG", s(&bad))], "").expect(2);
    assert!(
        r.stderr.contains("bad.toml") && r.stderr.contains("regoin"),
        "{}",
        r.stderr
    );
}

#[test]
fn completions_and_man_page_come_from_the_cli_definitions() {
    let bash = run(&hushlist(), &["completions", "bash"]).expect(0);
    assert!(bash.stdout.contains("complete") && bash.stdout.contains("--region-column"));
    let zsh = run(&hushlist(), &["completions", "zsh"]).expect(0);
    assert!(zsh.stdout.contains("#compdef hushlist"));
    let man = run(&hushlist(), &["man"]).expect(0);
    assert!(
        man.stdout.contains(".TH hushlist") && man.stdout.contains("Exit codes"),
        "{}",
        &man.stdout[..200]
    );
}

#[test]
fn an_interrupted_check_keeps_its_keys_and_the_rerun_resumes() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let lab = Lab::new();
    // Slow enough (Argon2id, 8 MiB, 3 passes) that the run is still hashing when interrupted.
    let params = ["--argon2-memory", "8192", "--argon2-passes", "3"];
    lab.build(&lab.key(), "pub", "313 555 0101\n", &params)
        .expect(0);
    let numbers: String = (0..2000)
        .map(|i| format!("+1 212 555 {:04}\n", i % 10_000))
        .collect();
    let input = lab.write("inv.txt", &numbers);
    let cache = lab.path("cache");
    let (key, snap) = (lab.public(), lab.path("pub"));
    let args = [
        "check",
        "--key",
        s(&key),
        "--snapshot",
        s(&snap),
        "--format",
        "json",
        s(&input),
    ];
    let mut child = Command::new(hushlist())
        .args(args)
        .env_clear()
        .env("HUSHLIST_CACHE_DIR", &cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once some batches have reached the cache file.
    let started = Instant::now();
    let cached_bytes = || {
        fs::read_dir(&cache)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .and_then(|e| e.metadata().ok())
            .map_or(0, |m| m.len())
    };
    while cached_bytes() < 40 + 24 * 32 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no key was cached"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    run_program("kill", &["-INT", &child.id().to_string()]);
    let status = child.wait().unwrap();
    assert!(!status.success(), "the check was interrupted");
    let kept = (cached_bytes() - 40) / 24;
    assert!((32..2000).contains(&kept), "{kept} keys kept");

    let rerun =
        json(&run_full(&hushlist(), &args, &[("HUSHLIST_CACHE_DIR", s(&cache))], "").expect(0));
    assert_eq!(
        rerun["summary"]["from_cache"], kept,
        "every key computed before Ctrl-C was reused"
    );
    assert_eq!(rerun["summary"]["hashed"], 2000 - kept);
}

#[test]
fn the_config_file_holds_column_and_region_lists() {
    let lab = listed();
    let config = lab.write(
        "config.toml",
        "region = [\"DE\", \"US\"]\ncolumn = [\"Desk\", \"Cell\"]\nformat = \"json\"\n",
    );
    let input = lab.write(
        "inv.csv",
        "Name,Desk,Cell,Fax\nAna,313 555 0150,030 901820,313 555 0101\n",
    );
    let (key, snap) = (lab.public(), lab.path("pub"));
    let r = run_full(
        &hushlist(),
        &["check", "--key", s(&key), "--snapshot", s(&snap), s(&input)],
        &[("HUSHLIST_CONFIG", s(&config))],
        "",
    )
    .expect(1);
    let v = json(&r);
    // The Berlin number in the Cell column, read under DE; Fax was not asked for.
    assert_eq!(v["possible_matches"][0]["e164"], "+4930901820");
    assert_eq!(v["possible_matches"][0]["region"], "DE");
    assert_eq!(v["summary"]["cells"], 2);
    assert_eq!(v["run"]["regions"], serde_json::json!(["DE", "US"]));
}

/// Two lists checked from one cache directory (two publishers, one
/// company): each keeps its cache, so a recheck against either hashes nothing.
#[test]
fn two_lists_sharing_a_cache_directory_keep_each_others_caches() {
    let lab = Lab::new();
    let small_argon2 = ["--argon2-memory", "1024", "--argon2-passes", "1"];
    lab.build(&lab.key(), "one", "313 555 0101\n", &small_argon2)
        .expect(0);
    lab.build(&lab.key(), "two", "313 555 0102\n", &small_argon2)
        .expect(0);
    let cache = lab.path("cache");
    let input = lab.write("inv.txt", "313 555 0101\n313 555 0102\n313 555 0103\n");
    let env = [("HUSHLIST_CACHE_DIR", s(&cache))];
    let check = |list: &str| {
        json(
            &lab.check_env(list, &["--format", "json", s(&input)], &env)
                .expect(1),
        )
    };
    check("one");
    check("two");
    let again = check("one");
    assert_eq!(again["summary"]["from_cache"], 3, "{}", again["summary"]);
    assert_eq!(again["summary"]["hashed"], 0, "{}", again["summary"]);
    assert_eq!(
        fs::read_dir(&cache).unwrap().count(),
        2,
        "one cache per list"
    );
}

/// Argon2id holds its memory cost per hash: a check within a memory budget
/// runs fewer hashes at once and says so, and one whose single hash does not
/// fit is refused with a message instead of being killed.
#[test]
fn the_memory_budget_sets_the_hashing_threads_or_refuses() {
    let lab = Lab::new();
    let argon2_64mib = ["--argon2-memory", "65536", "--argon2-passes", "1"];
    lab.build(&lab.key(), "pub", "313 555 0101\n", &argon2_64mib)
        .expect(0);
    let check = |extra: &[&str]| {
        let mut args = vec!["--no-cache", "-n", "313 555 0101", "-n", "313 555 0102"];
        args.extend_from_slice(extra);
        lab.check("pub", &args)
    };
    let r = check(&["--max-memory", "32"]).expect(2);
    assert!(
        r.stderr
            .contains("needs 64 MiB (Argon2id m), more than the memory budget of 32 MiB"),
        "{}",
        r.stderr
    );
    let r = check(&["--max-memory", "100", "--jobs", "4"]).expect(1);
    assert!(
        r.stderr.contains("hashing on 1 thread(s), not 4"),
        "{}",
        r.stderr
    );
}

/// A long row echoed once per finding made a report many times its input
/// (a 700 KB row with two listed numbers in one cell gave 2 MB in every
/// format): each cell and field is now echoed cut in the middle, so the
/// report stays small and still says where the match is.
#[test]
fn a_long_row_is_echoed_cut_not_once_per_finding() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let others: Vec<String> = (200..230).map(|i| format!("313 555 {i:04}")).collect();
    let cell = format!(
        "313 555 0101 / 313 555 0142 / {}{}",
        others.join(" / "),
        " ".repeat(300_000)
    );
    let input = format!("phone,notes\n\"{cell}\",{}\n", "x".repeat(400_000));
    let file = lab.write("long.csv", &input);
    for format in ["table", "csv", "json", "jsonl"] {
        let r = lab.check("pub", &["--format", format, s(&file)]).expect(1);
        assert!(
            r.stdout.len() < 20_000,
            "{format}: {} bytes of report for one row",
            r.stdout.len()
        );
        assert!(r.stdout.contains("…[cut]…"), "{format}: the cut is said");
    }
    let r = lab.check("pub", &[s(&file)]).expect(1);
    assert!(
        r.stdout
            .starts_with("2 POSSIBLE MATCHES (2 numbers on 1 row)"),
        "two numbers of one cell are one cell: {}",
        &r.stdout[..200]
    );
    assert!(
        r.stdout.contains("long.csv:2 phone"),
        "{}",
        &r.stdout[..2000]
    );
}

/// The daily question: which matches are new since yesterday's run over the
/// same exports. The memory holds keyed digests, never a number.
#[test]
fn a_daily_run_marks_what_is_new_since_the_last_one() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let cache = lab.path("history");
    let env = [("HUSHLIST_HISTORY_DIR", s(&cache))];
    let file = lab.write(
        "inventory.csv",
        "phone,name\n313 555 0101,Ann\n313 555 0199,Bob\n",
    );
    let first = lab.check_env("pub", &[s(&file)], &env).expect(1);
    assert!(
        !first.stdout.contains("since the run of"),
        "{}",
        first.stdout
    );
    assert!(!first.stdout.contains("NEW"), "{}", first.stdout);
    assert!(
        first.stderr.contains("this run's matches are remembered")
            && first.stderr.contains("--no-history"),
        "the first run says what it keeps: {}",
        first.stderr
    );
    lab.write(
        "inventory.csv",
        "phone,name\n313 555 0101,Ann\n313 555 0199,Bob\n+1 313 555 0142,Cem\n",
    );
    let second = lab.check_env("pub", &[s(&file)], &env).expect(1);
    assert!(
        second
            .stdout
            .starts_with("2 POSSIBLE MATCHES (2 numbers on 2 rows), 1 NEW since the run of"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("  NEW +13135550142"),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("NEW +13135550101"),
        "{}",
        second.stdout
    );
    let json = lab
        .check_env("pub", &["--format", "json", s(&file)], &env)
        .expect(1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["summary"]["new_since_last_run"], 0,
        "the third run saw both"
    );
    assert!(v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["new"] == false));
    // Without history: no comparison, nothing said.
    let plain = lab
        .check_env("pub", &["--no-history", s(&file)], &env)
        .expect(1);
    assert!(
        !plain.stdout.contains("since the run of"),
        "{}",
        plain.stdout
    );
    for entry in std::fs::read_dir(&cache).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("3135550142") && !text.contains("3135550101"));
    }
}

#[test]
fn explain_prices_a_check_against_the_installed_snapshot_without_touching_the_cache() {
    let lab = Lab::new();
    let small_argon2 = ["--argon2-memory", "1024", "--argon2-passes", "1"];
    lab.build(&lab.key(), "pub", "313 555 0101\n", &small_argon2)
        .expect(0);
    let (state, cache) = (lab.path("state"), lab.path("cache"));
    let input = lab.write("inv.txt", "313 555 0101\n313 555 0102\n313 555 0102\n");
    let with_env = |cmd: Cmd| {
        cmd.env("HUSHLIST_STATE_DIR", &state)
            .env("HUSHLIST_CACHE_DIR", &cache)
    };
    let explain = || {
        with_env(lab.hushlist("explain"))
            .args(["--region", "US", "--format", "json"])
            .arg(&input)
            .run()
            .expect(0)
    };
    // Nothing installed: the readings are counted, and it says why no time.
    let bare = explain();
    assert!(
        bare.stderr
            .contains("no snapshot installed here, so no time estimate"),
        "{}",
        bare.stderr
    );
    assert!(json(&bare).get("cost").is_none());

    with_env(lab.hushlist("init"))
        .arg("--key")
        .arg(lab.public())
        .args(["--url", "https://127.0.0.1:9/"])
        .run()
        .expect(0);
    with_env(lab.hushlist("import"))
        .arg(lab.path("pub"))
        .run()
        .expect(0);
    let before = json(&explain())["cost"].clone();
    assert_eq!(before["distinct"], 2, "{before}");
    assert_eq!(before["cached"], 0);
    assert_eq!(before["to_hash"], 2);
    assert_eq!(before["kdf"], "argon2id, m = 1 MiB, t = 1, p = 1");
    assert!(before["per_hash_secs"].as_f64().unwrap() > 0.0);
    assert!(!cache.exists(), "an estimate writes no cache");

    with_env(lab.hushlist("check"))
        .args(["--region", "US"])
        .arg(&input)
        .run()
        .expect(1);
    let after = json(&explain())["cost"].clone();
    assert_eq!(
        (after["cached"].clone(), after["to_hash"].clone()),
        (2.into(), 0.into())
    );
    assert_eq!(after["estimate_secs"], 0.0);
    let text = with_env(lab.hushlist("explain"))
        .args(["--region", "US"])
        .arg(&input)
        .run()
        .expect(0);
    assert!(
        text.stdout.contains(
            "against the installed snapshot (argon2id, m = 1 MiB, t = 1, p = 1): 2 of 2 distinct \
             already in the key cache, 0 to hash"
        ),
        "{}",
        text.stdout
    );
}
