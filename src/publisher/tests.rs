//! The publisher's decisions, each a pure function: the salt-epoch schedule,
//! the signing order, and what a list cell stands for.

use super::*;

const DAY: i64 = 86_400;
const ARGON: Kdf = Kdf::Argon2id {
    m_kib: 19 * 1024,
    t: 2,
    p: 1,
};

fn header(sequence: u64, epoch_start: i64, next_epoch_start: i64) -> Header {
    Header {
        sequence,
        created: epoch_start,
        expires: epoch_start + 30 * DAY,
        previous: [0; 32],
        entries: 1,
        normalization: 2,
        metadata_version: "test".into(),
        kdf: Kdf::Blake3,
        salt: [1; 32],
        fp_rate: 1e-12,
        epoch_start,
        next_epoch_start,
        next_kdf: ARGON,
        next_salt: [2; 32],
        contact: Contact::default(),
        evaluation_url: String::new(),
    }
}

/// Draws 3, 4, 5...: a test can tell which draw ended up where.
fn counter(first: u8) -> impl FnMut() -> Result<[u8; 32], PublisherError> {
    let mut n = first;
    move || {
        n += 1;
        Ok([n - 1; 32])
    }
}

#[test]
fn a_first_snapshot_draws_a_salt_and_announces_a_different_next_one() {
    let choice = choose_salt_epoch(None, false, ARGON, 1000, 30 * DAY, &mut counter(3)).unwrap();
    assert_eq!(choice.decision, EpochDecision::First);
    assert_eq!((choice.kdf, choice.salt), (ARGON, [3; 32]));
    assert_eq!(choice.epoch.start, 1000);
    assert_eq!(choice.epoch.next_start, 1000 + 30 * DAY);
    assert_eq!(choice.epoch.next_salt, [4; 32]);
    assert_eq!(choice.epoch.next_kdf, ARGON);
}

#[test]
fn a_next_salt_equal_to_the_current_one_is_drawn_again() {
    let mut draws = vec![[9; 32], [7; 32], [7; 32]];
    let mut draw = move || Ok(draws.pop().unwrap());
    let choice = choose_salt_epoch(None, false, ARGON, 0, DAY, &mut draw).unwrap();
    assert_eq!(choice.salt, [7; 32]);
    assert_eq!(choice.epoch.next_salt, [9; 32]);
}

#[test]
fn within_an_epoch_the_salt_and_the_announcement_are_kept() {
    let h = header(5, 0, 30 * DAY);
    let choice = choose_salt_epoch(
        Some(&h),
        false,
        Kdf::Blake3,
        10 * DAY,
        30 * DAY,
        &mut counter(3),
    )
    .unwrap();
    assert_eq!(choice.decision, EpochDecision::Kept { from: 5 });
    assert_eq!((choice.kdf, choice.salt), (Kdf::Blake3, [1; 32]));
    assert_eq!(choice.epoch.next_salt, [2; 32]);
    assert_eq!(choice.epoch.next_start, 30 * DAY);
    assert!(!choice.deferred, "the current parameters were asked for");
    let other = Kdf::Argon2id {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    let choice =
        choose_salt_epoch(Some(&h), false, other, 10 * DAY, 30 * DAY, &mut counter(3)).unwrap();
    assert!(choice.deferred, "new parameters wait for the next switch");
    assert_eq!(choice.kdf, Kdf::Blake3);
}

#[test]
fn at_the_switch_the_announced_salt_takes_over_on_schedule() {
    let h = header(5, 0, 30 * DAY);
    let choice =
        choose_salt_epoch(Some(&h), false, ARGON, 31 * DAY, 30 * DAY, &mut counter(3)).unwrap();
    assert_eq!(choice.decision, EpochDecision::Switched { from: 5 });
    assert_eq!((choice.kdf, choice.salt), (ARGON, [2; 32]));
    assert_eq!(choice.epoch.start, 30 * DAY, "the schedule is kept");
    assert_eq!(choice.epoch.next_start, 60 * DAY);
    assert_eq!(choice.epoch.next_salt, [3; 32]);
}

#[test]
fn after_a_gap_longer_than_an_epoch_the_schedule_restarts_now() {
    let h = header(5, 0, 30 * DAY);
    let now = 75 * DAY;
    let choice = choose_salt_epoch(Some(&h), false, ARGON, now, 30 * DAY, &mut counter(3)).unwrap();
    assert_eq!(choice.salt, [2; 32], "still the announced salt");
    assert_eq!(choice.epoch.start, now);
    assert_eq!(choice.epoch.next_start, now + 30 * DAY);
}

#[test]
fn a_new_epoch_starts_now_with_the_announced_salt_and_the_parameters_given() {
    let h = header(5, 0, 30 * DAY);
    let choice =
        choose_salt_epoch(Some(&h), true, ARGON, 10 * DAY, 30 * DAY, &mut counter(3)).unwrap();
    assert_eq!(choice.decision, EpochDecision::NewEpoch);
    assert_eq!(
        (choice.kdf, choice.salt),
        (ARGON, h.next_salt),
        "no salt clients were not told of"
    );
    assert_eq!(choice.epoch.start, 10 * DAY);
    assert_eq!(choice.epoch.next_salt, [3; 32], "a fresh announcement");
}

#[test]
fn keys_sign_in_chain_order() {
    let order: Vec<String> = ["A", "B", "C"].map(String::from).to_vec();
    let snaps = |keys: &[&str]| -> Vec<(u64, String)> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| (i as u64 + 1, k.to_string()))
            .collect()
    };
    let pos = |keys: &[&str]| -> Vec<usize> {
        keys.iter()
            .map(|k| order.iter().position(|o| o == k).unwrap())
            .collect()
    };
    for ok in [&["A", "A", "B", "C"][..], &["B", "B"], &["A", "C"], &[]] {
        assert!(
            signing_order(&snaps(ok), &pos(ok), &order).is_ok(),
            "{ok:?}"
        );
    }
    let back = ["A", "C", "B"];
    match signing_order(&snaps(&back), &pos(&back), &order) {
        Err(PublisherError::SigningOrder {
            sequence,
            key_id,
            later_key,
            later_sequence,
        }) => assert_eq!(
            (
                sequence,
                key_id.as_str(),
                later_key.as_str(),
                later_sequence
            ),
            (3, "B", "C", 2)
        ),
        other => panic!("expected a signing-order refusal, got {:?}", other.err()),
    }
}

#[test]
fn a_list_cell_is_one_number_read_one_way() {
    let us = [Region::parse("US").unwrap()];
    let read = ReadOptions::default();
    assert_eq!(
        list_entry("+1 313 555 0101", &[], read).unwrap(),
        "+13135550101"
    );
    assert_eq!(
        list_entry("(313) 555-0101", &us, read).unwrap(),
        "+13135550101"
    );
    assert_eq!(
        list_entry("3135550101", &[], read),
        Err(EntryProblem::DigitsAlone),
        "the client would also read it as +3135550101: nobody listed that"
    );
    assert_eq!(
        list_entry("313 555 0101 / 313 555 0102", &us, read),
        Err(EntryProblem::SeveralNumbers)
    );
    assert!(matches!(
        list_entry("call reception", &us, read),
        Err(EntryProblem::NotANumber(_))
    ));
}

#[test]
fn durations_clients_would_refuse_are_refused_before_any_work() {
    use super::{check_durations, PublisherError};
    let day = 86_400;
    assert!(check_durations(0, 30 * day, 30 * day, false).is_ok());
    assert!(matches!(
        check_durations(0, 367 * day, 30 * day, false),
        Err(PublisherError::Validity(_))
    ));
    assert!(
        check_durations(0, 367 * day, 30 * day, true).is_ok(),
        "fixtures only"
    );
    assert!(matches!(
        check_durations(0, 0, 30 * day, false),
        Err(PublisherError::Validity(_))
    ));
    assert!(matches!(
        check_durations(0, 30 * day, 401 * day, false),
        Err(PublisherError::SaltEpoch(_))
    ));
    assert!(matches!(
        check_durations(0, 30 * day, day - 1, false),
        Err(PublisherError::SaltEpoch(_))
    ));
}
