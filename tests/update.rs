//! Updates driven through the library with an injected clock and a directory
//! transport: expiry, rollback and a clock set back are judged at the times
//! the test names, with no sleeping and no server.

use hushlist::client::state::{Config, State};
use hushlist::client::transport::{DirTransport, Transport};
use hushlist::client::update::{update, Options, Outcome, UpdateError};
use hushlist::format::number_key::Kdf;
use hushlist::format::signature::SecretKey;
use hushlist::publisher::{os_random, NextPlan, Publisher};
use hushlist::verify::VerifyError;
use std::path::Path;

const DAY: i64 = 86_400;
/// A fixed "now" for the publisher: the tests move the client's clock around it.
const T0: i64 = 1_900_000_000;

/// The publisher's key (a test key, made from a fixed seed each time).
fn key() -> SecretKey {
    SecretKey::from_seed(&[3; 32], hushlist::format::signature::KeyId(*b"UPDTEST1"))
}

fn publish(site: &Path, created: i64, valid_for: i64) {
    let numbers = vec!["+13135550142".to_string()];
    let plan = NextPlan {
        kdf: Kdf::Blake3,
        fp_rate: 1e-9,
        created,
        expires: created + valid_for,
        epoch_length: 30 * DAY,
        new_epoch: false,
        contact: None,
        key_cache: None,
        oprf: None,
        evaluation_url: None,
    };
    Publisher::open(site, key())
        .unwrap()
        .next(&numbers, plan, &mut os_random)
        .unwrap()
        .write(site)
        .unwrap();
}

struct Setup {
    _dir: tempfile::TempDir,
    state: State,
    site: std::path::PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let config = Config {
        sources: vec![],
        ca_cert: None,
        allow_http: false,
    };
    let state = State::init(&dir.path().join("state"), &key().public_key(), &config).unwrap();
    Setup {
        _dir: dir,
        state,
        site,
    }
}

// The library's own error type, as callers get it.
#[allow(clippy::result_large_err)]
fn run(s: &Setup, now: i64) -> Result<Outcome, UpdateError> {
    let sources: Vec<Box<dyn Transport>> = vec![Box::new(DirTransport {
        dir: s.site.clone(),
    })];
    update(&s.state, &sources, Options::at(now)).map(|u| u.outcome)
}

#[test]
fn a_manifest_past_its_expiry_is_refused_as_a_freeze_at_the_time_given() {
    let s = setup();
    publish(&s.site, T0, DAY);
    assert!(matches!(
        run(&s, T0 + 60),
        Ok(Outcome::Installed { sequence: 1, .. })
    ));
    match run(&s, T0 + DAY + 1) {
        Err(UpdateError::Verify {
            source: VerifyError::Expired { .. },
            ..
        }) => {}
        other => panic!("an expired manifest must be refused, got {other:?}"),
    }
}

#[test]
fn an_older_snapshot_is_a_rollback_and_a_clock_set_back_is_refused() {
    let s = setup();
    publish(&s.site, T0, 30 * DAY);
    let first = std::fs::read(s.site.join("manifest.json")).unwrap();
    let first_sig = std::fs::read(s.site.join("manifest.json.minisig")).unwrap();
    publish(&s.site, T0 + 3600, 30 * DAY);
    assert!(matches!(
        run(&s, T0 + 7200),
        Ok(Outcome::Installed { sequence: 2, .. })
    ));
    // The source goes back to #1.
    std::fs::write(s.site.join("manifest.json"), first).unwrap();
    std::fs::write(s.site.join("manifest.json.minisig"), first_sig).unwrap();
    assert!(matches!(
        run(&s, T0 + 7300),
        Err(UpdateError::Rollback {
            offered: 1,
            highest: 2
        })
    ));
    // A clock a day behind what this state has seen.
    match run(&s, T0 - DAY) {
        Err(UpdateError::State(e)) => assert!(e.to_string().contains("behind"), "{e}"),
        other => panic!("a clock set back must be refused, got {other:?}"),
    }
}
