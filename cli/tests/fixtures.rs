//! The committed fixtures: demo data that the README runs, and vectors that pin
//! the format. A change that alters a single bit of the format fails here.

use crate::common::*;
use crate::vectors;
use hushlist::format::filter::Filter;
use hushlist::format::snapshot::Snapshot;
use hushlist::verify::{verify_snapshot, Policy};
use std::fs;

#[test]
fn vectors_have_not_drifted() {
    let committed: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixtures().join("vectors/vectors.json")).unwrap())
            .unwrap();
    let computed = vectors::compute();
    for section in [
        "normalization",
        "number_keys",
        "filter",
        "signature",
        "snapshot",
        "sealed",
    ] {
        assert_eq!(
            computed[section], committed[section],
            "{section} vectors drifted: if the format change is intended, bump the format version and run tools/regen-fixtures.sh"
        );
    }
    let publication = vectors::snapshot_publication();
    assert_eq!(
        fs::read(fixtures().join("vectors/snapshot-vector.hushlist")).unwrap(),
        publication.snapshot
    );
    let sealed = vectors::sealed_snapshot_publication();
    assert_eq!(
        fs::read(fixtures().join("vectors/sealed-snapshot-vector.hushlist")).unwrap(),
        sealed.snapshot
    );
}

#[test]
fn refusal_vectors_have_not_drifted() {
    let root = fixtures().join("vectors/refusals");
    let cases = crate::refusal_cases::cases();
    for case in &cases {
        let dir = root.join(case.name);
        let regen = "run tools/regen-fixtures.sh if the change is intended";
        assert_eq!(
            fs::read_to_string(dir.join("case.txt")).unwrap_or_default(),
            case.case_text(),
            "{}/case.txt drifted: {regen}",
            case.name
        );
        for (name, bytes) in &case.files {
            assert!(
                fs::read(dir.join(name)).ok().as_ref() == Some(bytes),
                "{}/{name} drifted: {regen}",
                case.name
            );
        }
    }
    let committed = fs::read_dir(&root).unwrap().count();
    assert_eq!(
        committed,
        cases.len(),
        "a committed case the generator does not make"
    );
}

#[test]
fn filter_vector_positions_are_the_bits_the_crate_sets() {
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fixtures().join("vectors/vectors.json")).unwrap())
            .unwrap();
    let bytes = fs::read(fixtures().join("vectors/snapshot-vector.hushlist")).unwrap();
    let snapshot = Snapshot::decode(&bytes).unwrap();
    let bits = &snapshot.filter.as_section()[hushlist::format::filter::SECTION_HEADER_LEN..];
    let mut expected = std::collections::BTreeSet::new();
    for item in v["filter"]["items"].as_array().unwrap() {
        for p in item["positions"].as_array().unwrap() {
            expected.insert(p.as_u64().unwrap());
        }
    }
    let actual: std::collections::BTreeSet<u64> = (0..bits.len() as u64 * 8)
        .filter(|&i| bits[(i / 8) as usize] & (1 << (i % 8)) != 0)
        .collect();
    assert_eq!(
        actual, expected,
        "set bits differ from the documented derivation"
    );
    let rebuilt = Filter::from_section(snapshot.filter.as_section()).unwrap();
    assert_eq!(rebuilt.bits(), v["filter"]["bits"].as_u64().unwrap());
}

#[test]
fn vector_snapshot_verifies_with_hushlist_and_minisign() {
    let dir = fixtures().join("vectors");
    let key = hushlist::published::read_public_key(&dir.join("test-vector-key.pub")).unwrap();
    let bytes = fs::read(dir.join("snapshot-vector.hushlist")).unwrap();
    let sig = fs::read_to_string(dir.join("snapshot-vector.hushlist.minisig")).unwrap();
    let policy = Policy::at(hushlist::format::time::now());
    let verified = verify_snapshot(
        &bytes,
        &sig,
        &hushlist::verify::Keyring::pinned(key),
        policy,
    )
    .unwrap();
    let mut checker = hushlist::check::Checker::new(&verified.snapshot).unwrap();
    for n in vectors::SNAPSHOT_NUMBERS {
        assert!(checker.contains_e164(n).unwrap());
    }
    assert!(!checker.contains_e164("+13135550102").unwrap());
    run_program(
        "minisign",
        &[
            "-V",
            "-p",
            s(&dir.join("test-vector-key.pub")),
            "-m",
            s(&dir.join("snapshot-vector.hushlist")),
        ],
    )
    .expect(0);
}

/// The publisher's evaluation, in process: the real OPRF key of the vectors.
struct VectorService(hushlist::format::sealed::EpochKey);

impl hushlist::check::sealed::Evaluator for VectorService {
    fn describe(&self) -> String {
        "the vectors' OPRF key".into()
    }
    fn evaluate(
        &self,
        _public_key: &[u8; 32],
        blinded: &[[u8; 32]],
    ) -> Result<hushlist::check::sealed::Evaluation, hushlist::check::sealed::EvaluationError> {
        let (evaluated, proof) = self.0.evaluate(blinded).unwrap();
        Ok(hushlist::check::sealed::Evaluation { evaluated, proof })
    }
}

#[test]
fn sealed_vector_verifies_with_both_tools_and_its_numbers_are_found() {
    let dir = fixtures().join("vectors");
    let file = dir.join("sealed-snapshot-vector.hushlist");
    let pubkey = dir.join("test-vector-key.pub");
    run_program("minisign", &["-V", "-p", s(&pubkey), "-m", s(&file)]).expect(0);
    let key = hushlist::published::read_public_key(&pubkey).unwrap();
    let sig = fs::read_to_string(dir.join("sealed-snapshot-vector.hushlist.minisig")).unwrap();
    let verified = verify_snapshot(
        &fs::read(&file).unwrap(),
        &sig,
        &hushlist::verify::Keyring::pinned(key),
        Policy::at(hushlist::format::time::now()),
    )
    .unwrap();
    let header = &verified.snapshot.header;
    assert_eq!(header.version(), 3);
    assert_eq!(header.evaluation_url, vectors::TEST_EVALUATION_URL);
    let service = VectorService(vectors::oprf_seed().epoch_key(&vectors::salt()));
    let mut checker = hushlist::check::Checker::new(&verified.snapshot)
        .unwrap()
        .with_evaluator(Some(hushlist::check::sealed::SharedEvaluator(
            std::sync::Arc::new(service),
        )));
    for n in vectors::SNAPSHOT_NUMBERS {
        assert!(checker.contains_e164(n).unwrap(), "{n}");
    }
    assert!(!checker.contains_e164("+13135550102").unwrap());
    // Without a service, a sealed snapshot cannot be looked up: said, not guessed.
    let mut alone = hushlist::check::Checker::new(&verified.snapshot).unwrap();
    assert_eq!(
        alone.contains_e164("+13135550101"),
        Err(hushlist::check::sealed::EvaluationError::NoService)
    );
}

#[test]
fn demo_publication_verifies_with_both_tools() {
    let key = fixtures().join("keys/demo-TEST-ONLY.pub");
    let demo = fixtures().join("demo-published");
    let r = run(&hushlist(), &["verify", "--key", s(&key), s(&demo)]).expect(0);
    assert!(r.stdout.contains("entries          48"), "{}", r.stdout);
    for file in ["manifest.json", "snapshot-00000001.hushlist"] {
        run_program(
            "minisign",
            &["-V", "-p", s(&key), "-m", s(&demo.join(file))],
        )
        .expect(0);
    }
}

#[test]
fn demo_check_finds_the_planted_numbers() {
    let key = fixtures().join("keys/demo-TEST-ONLY.pub");
    let demo = fixtures().join("demo-published");
    let inventory = fixtures().join("demo-inventory.csv");
    let r = run(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&key),
            "--snapshot",
            s(&demo),
            "--region",
            "US",
            "--format",
            "json",
            s(&inventory),
        ],
    )
    .expect(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let employees: Vec<&str> = v["possible_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["occurrences"][0]["row"]["employee"].as_str().unwrap())
        .collect();
    assert_eq!(employees, ["Ben Okafor", "Dev Patel", "Farid Haddad"]);
    assert_eq!(v["summary"]["not_numbers"], 2);
    assert_eq!(v["summary"]["rows"], 12);
}

#[test]
fn demo_key_is_marked_as_a_test_key() {
    for file in ["demo-TEST-ONLY.pub", "demo-TEST-ONLY.key"] {
        let text = fs::read_to_string(fixtures().join("keys").join(file)).unwrap();
        assert!(text.starts_with("untrusted comment: TEST-ONLY"), "{file}");
    }
}
