//! Format version 2 through the real binaries: salt epochs and the key cache,
//! prewarming for the next epoch, the derived filter seed against a targeted
//! false match, the publisher's contact in every output, version 1 refused.

use crate::common::*;
use crate::vectors;
use hushlist::format::filter::{self, Filter};
use hushlist::format::number_key::{Kdf, NumberHasher};
use hushlist::format::snapshot::Snapshot;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams, SaltEpoch};
use std::fs;
use std::path::Path;
use std::time::Instant;

const SMALL_ARGON2: [&str; 4] = ["--argon2-memory", "1024", "--argon2-passes", "1"];
const CONTACT: [&str; 8] = [
    "--publisher-name",
    "Example Helpline",
    "--publisher-contact",
    "confirm@example.org",
    "--confirm-url",
    "https://example.org/confirm",
    "--confirm-text",
    "Send us the number and the report date.",
];

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// An inventory of `n` US numbers, the first two of them listed (LISTED).
fn inventory(lab: &Lab, n: usize) -> std::path::PathBuf {
    let mut text = String::from("(313) 555-0101\n+1 313 555 0142\n");
    for i in 0..n - 2 {
        text.push_str(&format!("212 555 {:04}\n", 1000 + i));
    }
    lab.write("inventory.txt", &text)
}

/// `hushlist check` of `input` against `pub/` with the cache in `cache`; the JSON report.
fn check_cached(lab: &Lab, input: &Path, cache: &Path) -> serde_json::Value {
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
        s(input),
    ];
    json(&run_full(&hushlist(), &args, &[("HUSHLIST_CACHE_DIR", s(cache))], "").expect(1))
}

fn header(lab: &Lab, sequence: u64) -> hushlist::format::snapshot::Header {
    let path = lab.path(&format!("pub/snapshot-{sequence:08}.hushlist"));
    Snapshot::decode(&fs::read(path).unwrap()).unwrap().header
}

#[test]
fn two_daily_snapshots_in_one_epoch_share_the_salt_and_the_cache() {
    let lab = Lab::new();
    let input = inventory(&lab, 40);
    let cache = lab.path("cache");
    let first_build = lab
        .build(&lab.key(), "pub", LISTED, &SMALL_ARGON2)
        .expect(0);
    assert!(
        first_build
            .stdout
            .contains("salt epoch: new salt (first snapshot)"),
        "{}",
        first_build.stdout
    );
    let first = check_cached(&lab, &input, &cache);
    assert_eq!(first["summary"]["from_cache"], 0);

    // The next day's snapshot, with one more listed number.
    let next_day = format!("{LISTED}212 555 1000\n");
    let second_build = lab
        .build(&lab.key(), "pub", &next_day, &SMALL_ARGON2)
        .expect(0);
    assert!(
        second_build.stdout.contains("same salt as snapshot #1"),
        "{}",
        second_build.stdout
    );
    let (one, two) = (header(&lab, 1), header(&lab, 2));
    assert_eq!(one.salt, two.salt);
    assert_eq!(
        one.next_salt, two.next_salt,
        "the announced salt never changes"
    );
    assert_eq!(one.next_epoch_start, two.next_epoch_start);
    assert!(two.next_epoch_start - two.epoch_start == 30 * 86_400);

    let second = check_cached(&lab, &input, &cache);
    assert_eq!(
        second["summary"]["from_cache"], 40,
        "every number comes from the cache: {}",
        second["summary"]
    );
    assert_eq!(second["possible_matches"].as_array().unwrap().len(), 3);
}

/// Publishes, as snapshot #1 of `pub/`, a list whose salt epoch ended a
/// minute ago (built by the library: the publisher's clock cannot be moved).
fn publish_epoch_that_just_ended(lab: &Lab) {
    let now = hushlist::format::time::now();
    let small = Kdf::Argon2id {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    let numbers: Vec<String> = ["+13135550101", "+13135550142"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let created = now - 2 * 86_400;
    let params = BuildParams {
        sequence: 1,
        created,
        expires: now + 30 * 86_400,
        previous: [0; 32],
        kdf: small,
        salt: [0x51; 32],
        fp_rate: filter::DEFAULT_FP_RATE,
        epoch: SaltEpoch {
            start: created,
            next_start: now - 60,
            next_kdf: small,
            next_salt: [0x52; 32],
        },
        contact: Default::default(),
        sealing: None,
    };
    let key = hushlist::published::read_secret_key(&lab.key()).unwrap();
    let publication = sign_publication(&build_snapshot(&numbers, &params).unwrap(), &key);
    hushlist::published::write_publication(&lab.path("pub"), &publication).unwrap();
}

#[test]
fn an_epoch_switch_costs_lookups_only_after_prewarming() {
    let lab = Lab::new();
    publish_epoch_that_just_ended(&lab);
    let input = inventory(&lab, 30);
    let (warm, cold) = (lab.path("warm-cache"), lab.path("cold-cache"));
    for cache in [&warm, &cold] {
        assert_eq!(
            check_cached(&lab, &input, cache)["summary"]["from_cache"],
            0
        );
    }
    let (key, snap) = (lab.public(), lab.path("pub"));
    let prewarm = run_full(
        &hushlist(),
        &[
            "prewarm",
            "--key",
            s(&key),
            "--snapshot",
            s(&snap),
            "--region",
            "US",
            s(&input),
        ],
        &[("HUSHLIST_CACHE_DIR", s(&warm))],
        "",
    )
    .expect(0);
    assert!(
        prewarm
            .stdout
            .contains("30 numbers hashed, 0 already cached"),
        "{}",
        prewarm.stdout
    );
    // The cost is said before it is spent, and progress without a terminal.
    assert!(
        prewarm.stderr.contains(
            "hushlist: prewarm: 30 distinct numbers to hash for the next epoch (argon2id)"
        ) && prewarm.stderr.contains("one hash took")
            && prewarm
                .stderr
                .contains("hushlist: prewarm: 30/30 hashed (100%)"),
        "{}",
        prewarm.stderr
    );

    // The ended epoch's #1 was written by hand: the publisher adopts it.
    let adopt = [&SMALL_ARGON2[..], &["--adopt"]].concat();
    let build = lab.build(&lab.key(), "pub", LISTED, &adopt).expect(0);
    assert!(
        build
            .stdout
            .contains("switched to the salt announced in snapshot #1"),
        "{}",
        build.stdout
    );
    let two = header(&lab, 2);
    assert_eq!(two.salt, [0x52; 32]);
    assert_ne!(two.next_salt, [0x52; 32]);

    let warm_check = check_cached(&lab, &input, &warm);
    assert_eq!(
        warm_check["summary"]["from_cache"], 30,
        "prewarmed: lookups only"
    );
    let cold_check = check_cached(&lab, &input, &cold);
    assert_eq!(
        cold_check["summary"]["from_cache"], 0,
        "not prewarmed: hashes again"
    );
    assert_eq!(
        warm_check["possible_matches"], cold_check["possible_matches"],
        "prewarmed answers equal computed ones"
    );
    // The old epoch's cache stays until idle (another list sharing the
    // directory may be using it: key_cache::IDLE_PRUNE_SECS); the current one
    // is the prewarmed file.
    assert_eq!(fs::read_dir(&warm).unwrap().count(), 2);
}

#[test]
fn the_contact_is_shown_by_verify_status_and_json_reports() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &CONTACT).expect(0);
    let text = lab.verify("pub", &[]).expect(0).stdout;
    for want in [
        "publisher        Example Helpline, confirm@example.org",
        "confirm at       https://example.org/confirm",
        "salt epoch       since",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let v = json(&lab.verify("pub", &["--format", "json"]).expect(0));
    assert_eq!(v["publisher"]["name"], "Example Helpline");
    assert_eq!(
        v["publisher"]["confirm_text"],
        "Send us the number and the report date."
    );
    let report = json(
        &lab.check("pub", &["--format", "json", "-n", "313 555 0101"])
            .expect(1),
    );
    assert_eq!(
        report["snapshot"]["publisher"]["contact"],
        "confirm@example.org"
    );

    // A bare snapshot file carries it too.
    let v = json(
        &lab.verify("pub/snapshot-00000001.hushlist", &["--format", "json"])
            .expect(0),
    );
    assert_eq!(v["publisher"]["confirm_url"], "https://example.org/confirm");

    // The next build without flags keeps it, and says so.
    let again = lab.publish("pub", LISTED, &[]).expect(0);
    assert!(again.stdout.contains("carried over from snapshot #1"));

    let state = lab.path("state");
    let env = [("HUSHLIST_STATE_DIR", s(&state))];
    let key = lab.public();
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
    run_full(&hushlist(), &["import", s(&lab.path("pub"))], &env, "").expect(0);
    let status = run_full(&hushlist(), &["status"], &env, "")
        .expect(0)
        .stdout;
    for want in [
        "Publisher: Example Helpline, confirm@example.org",
        "To confirm a match: https://example.org/confirm - Send us the number",
    ] {
        assert!(status.contains(want), "{want:?} missing from:\n{status}");
    }
    let status = json(&run_full(&hushlist(), &["status", "--format", "json"], &env, "").expect(0));
    assert_eq!(
        status["installed"]["publisher"]["name"], "Example Helpline",
        "{status}"
    );
}

#[test]
fn a_contact_with_control_characters_is_refused_by_the_publisher() {
    let lab = Lab::new();
    let r = lab
        .publish("pub", LISTED, &["--publisher-name", "Evil\u{1b}[2J"])
        .expect(2);
    assert!(r.stderr.contains("control character"), "{}", r.stderr);
    let r = lab
        .publish("pub", LISTED, &["--confirm-url", "http://example.org"])
        .expect(2);
    assert!(r.stderr.contains("https://"), "{}", r.stderr);
}

#[test]
fn version_1_is_refused_with_its_message() {
    let v1 = fixtures().join("vectors/v1/snapshot-vector.hushlist");
    let key = fixtures().join("vectors/test-vector-key.pub");
    let r = run(&hushlist(), &["verify", "--key", s(&key), s(&v1)]).expect(1);
    assert!(
        r.stderr
            .contains("snapshot format version 1 is no longer accepted")
            && r.stderr
                .contains("rebuild it with a current hushlist-publish"),
        "{}",
        r.stderr
    );
    // The signature itself is fine: stock minisign accepts the old file.
    run_program("minisign", &["-V", "-q", "-p", s(&key), "-m", s(&v1)]).expect(0);
}

#[test]
fn the_committed_v2_vectors_for_seeds_and_over_fill_have_not_drifted() {
    let committed: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixtures().join("vectors/vectors.json")).unwrap())
            .unwrap();
    let computed = vectors::compute();
    for section in ["seed_derivation", "over_fill", "entries_consistency"] {
        assert_eq!(computed[section], committed[section], "{section} drifted");
    }
    let refused: Vec<bool> = committed["over_fill"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["refused"].as_bool().unwrap())
        .collect();
    assert_eq!(
        refused,
        [false, true, false, true, false, true, false, true],
        "each boundary pair: exactly at the maximum is accepted, one bit more is refused"
    );
    let bytes = fs::read(fixtures().join("vectors/snapshot-vector.hushlist")).unwrap();
    let snapshot = Snapshot::decode(&bytes).unwrap();
    assert_eq!(
        hex::encode(snapshot.filter.seed()),
        committed["seed_derivation"]["seed"].as_str().unwrap()
    );
}

/// What a publisher could do with a free seed: keep the list's keys, redraw the
/// seed and re-insert until `target` is a false positive. Returns the tries and
/// the filter that makes it match.
fn grind_free_seed(keys: &[[u8; 32]], target: &[u8; 32]) -> (u64, Filter) {
    for tries in 1u64.. {
        let seed = *blake3::hash(&tries.to_le_bytes()).as_bytes();
        let mut f = Filter::new(keys.len() as u64, 1e-2, &seed).unwrap();
        keys.iter().for_each(|k| f.insert(k));
        if f.contains(target) {
            return (tries, f);
        }
    }
    unreachable!()
}

#[test]
fn a_targeted_false_match_needs_a_full_rebuild_per_try() {
    let lab = Lab::new();
    let numbers: Vec<String> = (0..1000).map(|i| format!("+1313555{i:04}")).collect();
    let target = "+12125550100";
    let salt = [0x33; 32];
    let hasher = NumberHasher::new(Kdf::Blake3, salt).unwrap();
    let keys: Vec<[u8; 32]> = numbers.iter().map(|n| hasher.key(n)).collect();

    // Against a free seed, grinding succeeds with cheap re-insertions only.
    let started = Instant::now();
    let (tries, forged) = grind_free_seed(&keys, &hasher.key(target));
    let free_per_try = started.elapsed().as_secs_f64() / tries as f64;
    eprintln!(
        "free seed: {target} matched after {tries} tries, {:.3} ms per try",
        free_per_try * 1e3
    );

    // Signed and published, that filter is refused: its seed does not derive.
    let params = BuildParams {
        sequence: 1,
        created: hushlist::format::time::now(),
        expires: hushlist::format::time::now() + 86_400,
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt,
        fp_rate: 1e-2,
        epoch: SaltEpoch::starting(hushlist::format::time::now(), 86_400, Kdf::Blake3, [1; 32]),
        contact: Default::default(),
        sealing: None,
    };
    let mut snapshot = build_snapshot(&numbers, &params).unwrap();
    snapshot.filter = forged;
    let key = hushlist::published::read_secret_key(&lab.key()).unwrap();
    hushlist::published::write_publication(&lab.path("pub"), &sign_publication(&snapshot, &key))
        .unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("is not derived from the salt"),
        "{}",
        r.stderr
    );
    let r = lab.check("pub", &["-n", target]).expect(2);
    assert!(
        r.stderr.contains("is not derived from the salt"),
        "{}",
        r.stderr
    );

    // With the derived seed, a try is a new salt: every key of the list again,
    // with the slow hash. One try, measured through the publisher at the
    // default parameters on a 50-number list.
    let list: String = numbers[..50].iter().map(|n| format!("{n}\n")).collect();
    let started = Instant::now();
    lab.build(&lab.key(), "rebuild", &list, &["--new-epoch"])
        .expect(0);
    let rebuild = started.elapsed().as_secs_f64();
    let per_number = rebuild / 50.0;
    eprintln!(
        "derived seed: one try = one rebuild: {rebuild:.2} s for 50 numbers ({:.1} ms per number, \
         so {:.1} s per try for a 1,000-number list, {:.0}x the free-seed try)",
        per_number * 1e3,
        per_number * 1000.0,
        per_number * 1000.0 / free_per_try
    );
    assert!(
        per_number * 1000.0 > 100.0 * free_per_try,
        "a rebuild must cost far more than a re-insertion"
    );
}

#[test]
fn the_publishers_key_cache_hashes_only_new_numbers_within_an_epoch() {
    let lab = Lab::new();
    let cache = lab.path("publisher-cache");
    let mut args = SMALL_ARGON2.to_vec();
    args.extend_from_slice(&["--key-cache", s(&cache)]);
    let first = lab.build(&lab.key(), "pub", LISTED, &args).expect(0);
    assert!(
        first
            .stdout
            .contains("key cache: 0 of 2 numbers already hashed"),
        "{}",
        first.stdout
    );
    let next_day = format!("{LISTED}212 555 1000\n");
    let second = lab.build(&lab.key(), "pub", &next_day, &args).expect(0);
    assert!(
        second
            .stdout
            .contains("key cache: 2 of 3 numbers already hashed"),
        "{}",
        second.stdout
    );
    // Cached items are the numbers' true items: every listed number is found.
    let snapshot =
        Snapshot::decode(&fs::read(lab.path("pub/snapshot-00000002.hushlist")).unwrap()).unwrap();
    assert_eq!(snapshot.header.entries, 3);
    let hasher = NumberHasher::new(snapshot.header.kdf, snapshot.header.salt).unwrap();
    for n in ["+13135550101", "+13135550142", "+12125551000"] {
        assert!(snapshot.filter.contains(&hasher.key(n)), "{n}");
    }
    lab.check("pub", &["-n", "212 555 1000"]).expect(1);

    let inside = lab.path("pub/cache");
    let mut bad = SMALL_ARGON2.to_vec();
    bad.extend_from_slice(&["--key-cache", s(&inside)]);
    let r = lab.build(&lab.key(), "pub", LISTED, &bad).expect(2);
    assert!(
        r.stderr.contains("inside the published directory"),
        "{}",
        r.stderr
    );
}
