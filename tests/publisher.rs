//! The publishing API as a program uses it: `Publisher` over a real directory,
//! read back through `List`, with no command line involved.

use hushlist::format::number_key::Kdf;
use hushlist::format::signature::SecretKey;
use hushlist::format::snapshot::Contact;
use hushlist::format::time;
use hushlist::publisher::{os_random, EpochDecision, NextPlan};
use hushlist::{CheckOptions, Keyring, List, Policy, Publisher, PublisherError};

const DAY: i64 = 86_400;

fn plan(now: i64, contact: Option<Contact>) -> NextPlan<'static> {
    NextPlan {
        kdf: Kdf::Blake3,
        fp_rate: 1e-12,
        created: now,
        expires: now + 30 * DAY,
        epoch_length: 30 * DAY,
        new_epoch: false,
        contact,
        key_cache: None,
        oprf: None,
        evaluation_url: None,
    }
}

#[test]
fn a_publisher_chains_keeps_the_salt_rotates_and_clients_follow() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let key = SecretKey::generate().unwrap();
    let pinned = Keyring::pinned(key.public_key());
    let now = time::now();
    let contact = Contact {
        name: "Test Helpline".into(),
        contact: "confirm@example.org".into(),
        ..Contact::default()
    };
    let numbers = vec!["+13135550101".to_string(), "+442079460958".to_string()];

    let publisher = Publisher::open(&site, key).unwrap();
    let first = publisher
        .next(&numbers, plan(now, Some(contact.clone())), &mut os_random)
        .unwrap();
    assert_eq!(first.params.sequence, 1);
    assert_eq!(first.epoch.decision, EpochDecision::First);
    first.write(&site).unwrap();

    let second = publisher
        .next(&numbers[..1], plan(now, None), &mut os_random)
        .unwrap();
    assert_eq!(second.params.sequence, 2);
    assert_eq!(
        second.params.previous,
        *blake3::hash(&first.publication.snapshot).as_bytes(),
        "chained to the first snapshot's digest"
    );
    assert_eq!(second.epoch.decision, EpochDecision::Kept { from: 1 });
    assert_eq!(second.params.salt, first.params.salt);
    assert_eq!(second.contact_carried_over, Some(1));
    assert_eq!(second.params.contact, contact);
    second.write(&site).unwrap();

    let options = CheckOptions::default();
    let list = List::open_with(&site, &pinned, Policy::at(now)).unwrap();
    assert_eq!(list.facts().sequence, 2);
    let outcome = list
        .check_numbers(["+1 313 555 0101", "+44 20 7946 0958"], &options)
        .unwrap();
    let hits: Vec<_> = outcome.matches.iter().map(|f| f.e164.as_str()).collect();
    assert_eq!(
        hits,
        ["+13135550101"],
        "the second list dropped the UK number"
    );

    // A key the directory never introduced cannot chain to it.
    let stranger = Publisher::open(&site, SecretKey::generate().unwrap()).unwrap();
    assert!(matches!(
        stranger.next(&numbers, plan(now, None), &mut os_random),
        Err(PublisherError::Chain(_))
    ));

    // Rotation: the old key introduces the new one, which then publishes;
    // a client that pinned the old key follows the statement.
    let new = SecretKey::generate().unwrap();
    let rotated = publisher.rotate(&new.public_key(), false, now).unwrap();
    assert_eq!(rotated.number, 1);
    assert!(matches!(
        publisher.rotate(&pinned.keys()[0], false, now),
        Err(PublisherError::SameKey)
    ));
    let third = Publisher::open(&site, new)
        .unwrap()
        .next(&numbers, plan(now, None), &mut os_random)
        .unwrap();
    assert_eq!(third.params.sequence, 3);
    third.write(&site).unwrap();
    let list = List::open_with(&site, &pinned, Policy::at(now)).unwrap();
    assert_eq!(list.facts().sequence, 3);
    let signed_by =
        hushlist::format::signature::SignatureFile::parse(&third.publication.snapshot_signature)
            .unwrap()
            .key_id
            .to_string();
    assert_eq!(list.key_id(), signed_by);
}

/// At a target of 1e-4, the default client's maximum, a filter sized
/// exactly for the target was refused as over-filled about half the time;
/// sized with the margin, every salt gives a snapshot clients accept. At
/// 1e-2 no filter can pass a default client: nothing is written.
#[test]
fn the_publisher_never_writes_what_a_default_client_refuses() {
    use hushlist::format::signature::SecretKey;
    use hushlist::publisher::{os_random, NextPlan, Publisher, PublisherError};
    use hushlist::{List, Policy};
    let now = hushlist::format::time::now();
    let numbers: Vec<String> = (0..2000).map(|i| format!("+1313555{i:04}")).collect();
    let plan = |fp_rate| NextPlan {
        kdf: hushlist::format::number_key::Kdf::Blake3,
        fp_rate,
        created: now,
        expires: now + 86_400,
        epoch_length: 30 * 86_400,
        new_epoch: true,
        contact: None,
        key_cache: None,
        oprf: None,
        evaluation_url: None,
    };
    for _ in 0..18 {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let pinned = hushlist::Keyring::pinned(key.public_key());
        let next = Publisher::open(dir.path(), key)
            .unwrap()
            .next(&numbers, plan(1e-4), &mut os_random)
            .expect("a filter sized with the margin passes a default client");
        next.write(dir.path()).unwrap();
        List::open_with(dir.path(), &pinned, Policy::at(now)).expect("and clients accept it");
    }
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    let refused =
        Publisher::open(dir.path(), key)
            .unwrap()
            .next(&numbers, plan(1e-2), &mut os_random);
    match refused {
        Err(e @ PublisherError::WouldBeRefused(_)) => {
            assert!(e.to_string().contains("over-filled"), "{e}")
        }
        Err(e) => panic!("expected WouldBeRefused, got {e}"),
        Ok(_) => panic!("a 1e-2 filter cannot pass a default client"),
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}
