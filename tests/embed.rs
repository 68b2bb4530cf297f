//! The embedding API, as a program uses it: `List` over the committed demo
//! publication (real files, real signatures), no command line involved.

use hushlist::{CheckOptions, List, OpenError, Region};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn demo() -> List {
    List::open(
        fixtures().join("demo-published"),
        fixtures().join("keys/demo-TEST-ONLY.pub"),
    )
    .expect("the demo publication verifies")
}

/// A list of `numbers` with the fast hash, signed by a new key and verified
/// from memory: no file is written.
fn blake3_list(numbers: &[&str]) -> List {
    use hushlist::format::number_key::Kdf;
    use hushlist::format::signature::SecretKey;
    use hushlist::publish::{build_snapshot, sign_publication, BuildParams, SaltEpoch};
    let now = hushlist::format::time::now();
    let numbers: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
    let params = BuildParams {
        sequence: 1,
        created: now - 60,
        expires: now + 86_400,
        previous: [0; 32],
        kdf: Kdf::Blake3,
        salt: [9; 32],
        epoch: SaltEpoch::starting(now - 60, 30 * 86_400, Kdf::Blake3, [8; 32]),
        contact: Default::default(),
        sealing: None,
        fp_rate: 1e-9,
    };
    let key = SecretKey::generate().unwrap();
    let publication = sign_publication(&build_snapshot(&numbers, &params).unwrap(), &key);
    let keys = hushlist::Keyring::pinned(key.public_key());
    List::from_bytes(publication.into(), &keys, hushlist::Policy::at(now)).unwrap()
}

#[test]
fn from_bytes_verifies_in_memory_and_refuses_a_changed_byte() {
    let list = blake3_list(&["+13135550101"]);
    assert_eq!(list.facts().sequence, 1);
    let demo = std::fs::read(fixtures().join("demo-published/snapshot-00000001.hushlist")).unwrap();
    let read = |name: &str| std::fs::read(fixtures().join("demo-published").join(name)).unwrap();
    let text = |name: &str| String::from_utf8(read(name)).unwrap();
    let mut files = hushlist::Files {
        manifest: read("manifest.json"),
        manifest_signature: text("manifest.json.minisig"),
        snapshot: demo,
        snapshot_signature: text("snapshot-00000001.hushlist.minisig"),
        rotations: Vec::new(),
    };
    let key =
        hushlist::published::read_public_key(&fixtures().join("keys/demo-TEST-ONLY.pub")).unwrap();
    let keys = hushlist::Keyring::pinned(key);
    let policy = hushlist::Policy::at(hushlist::format::time::now());
    assert!(List::from_bytes(files.clone(), &keys, policy).is_ok());
    let last = files.snapshot.len() - 1;
    files.snapshot[last] ^= 1;
    match List::from_bytes(files, &keys, policy) {
        Err(OpenError::Files(e)) => {
            assert!(e.is_verification_failure(), "{e}");
            assert!(
                e.to_string().starts_with("snapshot-00000001.hushlist: "),
                "{e}"
            );
        }
        other => panic!("a changed byte must be refused, got {other:?}"),
    }
}

#[test]
fn a_program_checks_strings_and_an_inventory_in_a_few_calls() {
    let list = demo();
    let options = CheckOptions::default().with_regions([Region::parse("US").unwrap()]);
    // Ben Okafor's phone from the demo inventory is listed; 555-0199 is not.
    let outcome = list
        .check_numbers(["313.555.0142", "(313) 555-0199", "not a phone"], &options)
        .unwrap();
    assert_eq!((outcome.rows, outcome.checked), (3, 2));
    let hits: Vec<_> = outcome.matches.iter().map(|f| f.e164.as_str()).collect();
    assert_eq!(hits, ["+13135550142"]);
    assert_eq!(outcome.invalid[0].line, 3);

    let file = std::fs::File::open(fixtures().join("demo-inventory.csv")).unwrap();
    let outcome = list
        .check_reader(std::io::BufReader::new(file), "inventory", &options)
        .unwrap();
    assert_eq!(outcome.matches.len(), 3, "{:?}", outcome.matches);
    assert_eq!(list.facts().sequence, 1);
    assert_eq!(list.key_id(), list.facts().key_id);
}

#[test]
fn a_list_signed_by_another_key_is_refused_as_a_verification_failure() {
    let other =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/vectors/test-vector-key.pub");
    match List::open(fixtures().join("demo-published"), other) {
        Err(OpenError::Files(e)) => assert!(e.is_verification_failure(), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn resolve_opens_what_is_given_and_needs_the_state_only_for_the_rest() {
    let policy = hushlist::Policy::at(hushlist::format::time::now());
    let key = fixtures().join("keys/demo-TEST-ONLY.pub");
    let dir = fixtures().join("demo-published");
    let list =
        List::resolve(None, Some(&key), Some(&dir), policy).expect("explicit files need no state");
    assert_eq!(list.facts().sequence, 1);
    let empty = tempfile::tempdir().unwrap();
    match List::resolve(Some(empty.path()), None, Some(&dir), policy) {
        Err(OpenError::State(_)) => {}
        other => panic!("no key and no state must be a state error, got {other:?}"),
    }
}

#[test]
fn the_key_cache_is_the_callers_choice_and_is_used_only_for_slow_hashes() {
    use hushlist::format::number_key::Kdf;
    use hushlist::KeyCacheChoice;
    let list = demo();
    let slow = list.opened().snapshot.snapshot.header.kdf != Kdf::Blake3;
    let cache = tempfile::tempdir().unwrap();
    let at = cache.path().join("keys");
    let with = |choice| CheckOptions::default().with_key_cache(choice);
    let run = list
        .start_check(&with(KeyCacheChoice::At(at.clone())))
        .unwrap();
    assert_eq!(run.cache_dir(), slow.then_some(at.as_path()));
    assert!(run.notices().is_empty(), "{:?}", run.notices());
    let none = list.start_check(&with(KeyCacheChoice::None)).unwrap();
    assert!(none.cache_dir().is_none() && none.notices().is_empty());
    // A cache that cannot be opened is a notice, and the check goes on.
    if slow {
        let blocked = cache.path().join("file");
        std::fs::write(&blocked, "not a directory").unwrap();
        let mut run = list
            .start_check(&with(KeyCacheChoice::At(blocked.join("keys"))))
            .unwrap();
        assert!(run.cache_dir().is_none());
        assert!(run.notices()[0].contains("unusable"));
        run.numbers(["+1 313 555 0142"]).unwrap();
        assert_eq!(run.finish().checked, 1);
    }
}

#[test]
fn a_run_reports_progress_stops_when_cancelled_and_uses_its_own_threads() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let list = blake3_list(&["+13135560007"]);
    let options = CheckOptions::default()
        .with_regions([Region::parse("US").unwrap()])
        .with_threads(1);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let cancel = Arc::new(AtomicBool::new(false));
    let raise = cancel.clone();
    let mut run = list
        .start_check(&options)
        .unwrap()
        .on_progress(move |p| {
            log.lock().unwrap().push(p.clone());
            raise.store(true, Ordering::Relaxed);
        })
        .cancel_on(cancel);
    // More rows than one batch, so the flag raised after the first batch
    // stops the run before the rows end.
    let rows: String = (0..10_000).map(|i| format!("(313) 556-{i:04}\n")).collect();
    let error = run
        .reader(Box::new(std::io::Cursor::new(rows.into_bytes())), "many")
        .expect_err("a raised flag stops the run");
    match error {
        hushlist::CheckError::Cancelled { rows } => assert!(rows > 0 && rows < 10_000, "{rows}"),
        other => panic!("expected a cancellation, got {other}"),
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one report, then the stop: {seen:?}");
    assert_eq!(seen[0].source, "many");
    assert_eq!(run.outcome().rows, seen[0].rows, "what was checked is kept");
    assert_eq!(
        run.outcome().matches.len(),
        1,
        "the first batch's match is kept"
    );
}

#[test]
fn a_list_is_an_owning_handle_that_threads_can_share() {
    fn send_sync<T: Send + Sync + 'static>(_: &T) {}
    let list = std::sync::Arc::new(demo());
    send_sync(&list);
    let shared = list.clone();
    let outcome = std::thread::spawn(move || {
        shared
            .check_numbers(
                ["313.555.0142"],
                &CheckOptions::default().with_regions([Region::parse("US").unwrap()]),
            )
            .unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(outcome.matches.len(), 1);
}

#[test]
fn an_outcome_serializes_with_problem_kinds_a_program_can_branch_on() {
    use hushlist::check::ProblemKind;
    use hushlist::format::normalize::NormalizeError;
    let list = blake3_list(&["+13135550101"]);
    let outcome = list
        .check_numbers(
            ["+1 313 555 0101", "313 555 0101", "2026-11-29"],
            &CheckOptions::default(),
        )
        .unwrap();
    let kinds: Vec<ProblemKind> = outcome.invalid.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::NotANumber(NormalizeError::NeedsRegion),
            ProblemKind::NotANumber(NormalizeError::Date)
        ]
    );
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["invalid"][0]["kind"], "needs_region");
    assert_eq!(json["invalid"][1]["kind"], "date");
    assert_eq!(json["matches"][0]["e164"], "+13135550101");
    assert_eq!(json["checked"], 1);
}

#[test]
fn a_column_gets_one_verdict_per_cell_from_the_same_pass_as_the_findings() {
    use hushlist::CellStatus;
    let list = blake3_list(&["+13135550101", "+919043247611"]);
    let options = CheckOptions::default()
        .with_regions([Region::parse("US").unwrap(), Region::parse("IN").unwrap()]);
    let mut run = list.start_check(&options).unwrap();
    let cells: Vec<(Option<&str>, Option<&str>)> = vec![
        (Some("(313) 555-0101"), None),
        (Some("+1 212 555 0134"), None),
        (None, None),
        (Some("   "), Some("Japan")),
        (Some("reception"), None),
        (Some("090-4324-7611"), Some("JP")),
        (Some("313-555-0101"), Some("Atlantis")),
        (Some("313 555 01"), None),
    ];
    let verdicts = run.column("phones", cells).unwrap();
    let outcome = run.finish();
    let status: Vec<CellStatus> = verdicts.iter().map(|v| v.status).collect();
    assert_eq!(
        status,
        [
            CellStatus::Match,
            CellStatus::Clear,
            CellStatus::Empty,
            CellStatus::Empty,
            CellStatus::NotANumber,
            CellStatus::Match,
            CellStatus::Match,
            CellStatus::Doubtful,
        ],
        "{verdicts:#?}"
    );
    assert_eq!(verdicts[0].e164.as_deref(), Some("+13135550101"));
    assert_eq!(verdicts[1].e164.as_deref(), Some("+12125550134"));
    assert_eq!(verdicts[1].valid, Some(true));
    assert!(verdicts[4].reason.is_some() && verdicts[4].kind.is_some());
    // A JP row's number matched only when read as Indian: said, not hidden.
    assert_eq!(verdicts[5].e164.as_deref(), Some("+919043247611"));
    assert_eq!(verdicts[5].row_region.as_deref(), Some("JP"));
    assert!(verdicts[5].note.as_deref().unwrap().contains("read as IN"));
    // An unknown region falls back to the defaults, and the verdict says so.
    let note = verdicts[6].note.as_deref().unwrap_or_default();
    assert!(note.contains("Atlantis"), "{note}");
    // The same pass recorded the findings: every matched cell is a finding's row.
    let mut finding_rows: Vec<u64> = outcome
        .matches
        .iter()
        .flat_map(|f| f.occurrences.iter().map(|o| o.line))
        .collect();
    finding_rows.sort_unstable();
    let matched_rows: Vec<u64> = (1..=verdicts.len() as u64)
        .filter(|&l| verdicts[l as usize - 1].matched())
        .collect();
    assert_eq!(finding_rows, matched_rows);
    assert_eq!(outcome.rows, 8);
    assert_eq!(verdicts[7].valid, Some(false));
    assert!(verdicts[7].note.is_some(), "a doubtful number says why");
    assert_eq!(outcome.invalid.len(), 1);
    assert_eq!(outcome.warnings.len(), 1);
    assert_eq!(outcome.region_problems.len(), 1);
}
