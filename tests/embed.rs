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

#[test]
fn a_program_checks_strings_and_an_inventory_in_a_few_calls() {
    let list = demo();
    let options = CheckOptions {
        regions: vec![Region::parse("US").unwrap()],
        ..CheckOptions::default()
    };
    // Ben Okafor's phone from the demo inventory is listed; 555-0199 is not.
    let outcome = list.check_numbers(["313.555.0142", "(313) 555-0199", "not a phone"], &options);
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
    let prepared = list.checker_with_cache(&KeyCacheChoice::At(at.clone()));
    assert_eq!(prepared.cache_dir.as_deref(), slow.then_some(at.as_path()));
    assert!(prepared.warning.is_none(), "{:?}", prepared.warning);
    let none = list.checker_with_cache(&KeyCacheChoice::None);
    assert!(none.cache_dir.is_none() && none.warning.is_none());
    // A cache that cannot be opened is a warning, and the check goes on.
    if slow {
        let blocked = cache.path().join("file");
        std::fs::write(&blocked, "not a directory").unwrap();
        let prepared = list.checker_with_cache(&KeyCacheChoice::At(blocked.join("keys")));
        assert!(prepared.cache_dir.is_none());
        assert!(prepared.warning.unwrap().contains("unusable"));
    }
}
