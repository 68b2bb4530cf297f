//! Whom clients, auditors and the publisher trust, through the real binaries:
//! key rotations judged from any pinned key and beside a lone file, a revoked
//! key's sequence numbers discarded, signed times bounded, planted statements
//! ignored, and signed JSON read one way only.

use crate::common::server::{static_files, Server};
use crate::common::*;
use hushlist::format::comment::{FileKind, SignedFacts};
use hushlist::format::number_key::Kdf;
use hushlist::format::rotation::sign_rotation;
use hushlist::format::signature::SecretKey;
use hushlist::format::time::now;
use hushlist::publish::{build_snapshot, sign_publication, BuildParams};
use hushlist::published;
use std::fs;
use std::path::Path;

fn client(lab: &Lab, args: &[&str]) -> Run {
    let state = lab.path("state");
    let mut all = vec!["--state-dir", s(&state)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

fn init(lab: &Lab, key: &Path, urls: &[String]) -> Run {
    let mut args = vec!["init", "--allow-http", "--key", s(key)];
    for u in urls {
        args.extend_from_slice(&["--url", u]);
    }
    client(lab, &args).expect(0)
}

fn update(lab: &Lab) -> Run {
    client(lab, &["update", "--timeout", "5", "--retries", "0"])
}

fn set_sources(lab: &Lab, urls: &[String]) {
    let path = lab.path("state/config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    config["sources"] = urls.to_vec().into();
    fs::write(&path, config.to_string()).unwrap();
}

fn secret(path: &Path) -> SecretKey {
    published::read_secret_key(path).unwrap()
}

/// Publishes into `dir` what `key` signs, with any sequence and times: what a
/// thief holding the key, or a broken publisher, can write.
fn publish_raw(
    dir: &Path,
    key: &SecretKey,
    sequence: u64,
    created: i64,
    expires: i64,
    previous: [u8; 32],
) {
    let params = BuildParams {
        sequence,
        created,
        expires,
        previous,
        kdf: Kdf::Blake3,
        salt: [sequence as u8; 32],
        epoch: hushlist::publish::SaltEpoch::starting(created, 86_400, Kdf::Blake3, [0xEE; 32]),
        contact: Default::default(),
        sealing: None,
        fp_rate: 1e-6,
    };
    let snapshot = build_snapshot(&["+13135550199".to_string()], &params).unwrap();
    published::write_publication(dir, &sign_publication(&snapshot, key)).unwrap();
}

fn digest(path: &Path) -> [u8; 32] {
    *blake3::hash(&fs::read(path).unwrap()).as_bytes()
}

const SNAP1: &str = "pub/snapshot-00000001.hushlist";

#[test]
fn a_revoked_keys_huge_sequence_is_discarded_once_the_revocation_verifies() {
    brick_then_recover(false);
}

#[test]
fn a_state_from_before_per_key_floors_recovers_too() {
    brick_then_recover(true);
}

/// A thief's huge sequence installed, then the publisher's revocation; with
/// `old_state`, the state is rewritten as a version without per-key floors wrote it.
fn brick_then_recover(old_state: bool) {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    // A thief with the publisher's key hides the rotation statements and serves
    // the highest sequence a manifest can carry.
    let thief_dir = lab.path("thief");
    let t = now();
    publish_raw(
        &thief_dir,
        &secret(&lab.key()),
        (1 << 53) - 1,
        t,
        t + 86_400,
        [0; 32],
    );
    let thief = Server::start(static_files(thief_dir));
    init(&lab, &lab.public(), &[thief.url()]);
    update(&lab).expect(0);
    if old_state {
        let path = lab.path("state/status.json");
        let mut status: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        status.as_object_mut().unwrap().remove("highest_by_key");
        fs::write(&path, status.to_string()).unwrap();
    }

    // The publisher revokes the stolen key and publishes #2 with the new one.
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    let honest = Server::start(static_files(lab.path("pub")));
    set_sources(&lab, &[honest.url()]);
    let r = update(&lab).expect(0);
    assert!(
        r.stdout.contains("REVOKED key")
            && r.stdout
                .contains("discarded the rollback floor #9007199254740991")
            && r.stdout.contains("-> #2"),
        "{}",
        r.stdout
    );
    client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
}

#[test]
fn when_mirrors_disagree_about_rotations_the_newest_verified_set_wins() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    // Mirror A (asked first): a thief with the old key, no rotation, its own #2.
    fs::create_dir_all(lab.path("thief")).unwrap();
    for f in [
        "snapshot-00000001.hushlist",
        "snapshot-00000001.hushlist.minisig",
    ] {
        fs::copy(
            lab.path(&format!("pub/{f}")),
            lab.path(&format!("thief/{f}")),
        )
        .unwrap();
    }
    // The thief has the key, not the publisher's ledger: it adopts the copy.
    lab.build(
        &lab.key(),
        "thief",
        "313 555 0199\n",
        &["--kdf", "blake3", "--adopt"],
    )
    .expect(0);
    // Mirror B: the publisher revoked the old key and published #2 with the new one.
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    let thief = Server::start(static_files(lab.path("thief")));
    let honest = Server::start(static_files(lab.path("pub")));
    init(&lab, &lab.public(), &[thief.url(), honest.url()]);
    let r = update(&lab).expect(0);
    assert!(
        r.stdout
            .contains(&format!("installed snapshot #2 from {}", honest.url())),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    client(&lab, &["check", "--region", "US", "-n", "313 555 0199"]).expect(0);
    client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
}

#[test]
fn verify_file_applies_the_statements_beside_it() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    // The old key's snapshot: revoked by rotation-000001.json beside it.
    let r = lab.verify(SNAP1, &[]).expect(1);
    assert!(r.stderr.contains("revoked"), "{}", r.stderr);
    // The new key's snapshot, with only the old key pinned: followed, and said.
    let r = lab.verify("pub/snapshot-00000002.hushlist", &[]).expect(0);
    assert!(
        r.stdout.contains("followed rotation statement 1") && r.stdout.contains("REVOKED key"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_newest_key_can_be_pinned_by_clients_and_auditors() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    let new_pub = lab.path("newkeys/new.pub");
    let r = run(
        &hushlist(),
        &["verify", "--key", s(&new_pub), s(&lab.path("pub"))],
    )
    .expect(0);
    assert!(
        r.stdout.contains("made before the pinned key"),
        "{}",
        r.stdout
    );

    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &new_pub, &[server.url()]);
    update(&lab).expect(0);
    client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
    let r = client(&lab, &["status"]).expect(0);
    assert!(
        r.stdout.contains("introduced by rotation 1 at"),
        "{}",
        r.stdout
    );

    let r = run(
        &hushlist(),
        &["audit", "--key", s(&new_pub), s(&lab.path("pub"))],
    )
    .expect(0);
    assert!(
        r.stdout.contains("(pinned)") && r.stdout.contains("REVOKED by rotation 1"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_snapshot_from_the_future_is_refused() {
    let lab = Lab::new();
    let t = now() + 86_400;
    publish_raw(
        &lab.path("pub"),
        &secret(&lab.key()),
        1,
        t,
        t + 86_400,
        [0; 32],
    );
    let r = lab.verify("pub", &[]).expect(1);
    assert!(r.stderr.contains("is in the future"), "{}", r.stderr);
    let r = lab.verify(SNAP1, &[]).expect(1);
    assert!(r.stderr.contains("is in the future"), "{}", r.stderr);
}

#[test]
fn a_snapshot_created_before_the_installed_one_is_refused() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &lab.public(), &[server.url()]);
    update(&lab).expect(0);
    let created = i64::from_le_bytes(
        fs::read(lab.path(SNAP1)).unwrap()[20..28]
            .try_into()
            .unwrap(),
    );
    publish_raw(
        &lab.path("pub"),
        &secret(&lab.key()),
        2,
        created - 3600,
        created + 86_400,
        digest(&lab.path(SNAP1)),
    );
    let r = update(&lab).expect(1);
    assert!(
        r.stderr
            .contains("is earlier than the installed snapshot #1"),
        "{}",
        r.stderr
    );
}

#[test]
fn validity_windows_are_capped_at_one_year() {
    let lab = Lab::new();
    let r = lab
        .publish("pub", LISTED, &["--valid-for", "400d"])
        .expect(2);
    assert!(r.stderr.contains("more than 366 days"), "{}", r.stderr);
    lab.publish("pub", LISTED, &["--valid-for", "366d"])
        .expect(0);

    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &lab.public(), &[server.url()]);
    update(&lab).expect(0);
    let t = now();
    publish_raw(
        &lab.path("pub"),
        &secret(&lab.key()),
        2,
        t,
        t + 5 * 365 * 86_400,
        digest(&lab.path(SNAP1)),
    );
    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains("longer than the 366 days"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rotation_whose_signed_time_differs_from_its_json_is_refused() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let old = secret(&lab.key());
    let new = SecretKey::from_seed(&[7; 32], hushlist::format::signature::KeyId(*b"TESTONLY"));
    let (json, _) = sign_rotation(&old, &new.public_key(), 1, now() - 60, false);
    let facts = SignedFacts {
        kind: FileKind::Rotation,
        sequence: 1,
        created: now() - 30,
        expires: now() - 30,
        blake3: *blake3::hash(&json).as_bytes(),
    };
    fs::write(lab.path("pub/rotation-000001.json"), &json).unwrap();
    fs::write(
        lab.path("pub/rotation-000001.json.minisig"),
        old.sign(&json, &facts.to_comment()).to_text(),
    )
    .unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("must both equal the statement's created"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_publisher_ignores_a_planted_rotation_statement() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    // Someone who can write the output directory plants a statement by their
    // own key "introducing" the publisher's key, and a #2 of their own.
    let planter = SecretKey::from_seed(&[9; 32], hushlist::format::signature::KeyId(*b"PLANTED!"));
    let own = secret(&lab.key()).public_key();
    let (json, sig) = sign_rotation(&planter, &own, 1, now() - 600, false);
    fs::write(lab.path("pub/rotation-000001.json"), json).unwrap();
    fs::write(lab.path("pub/rotation-000001.json.minisig"), sig).unwrap();
    let t = now();
    publish_raw(
        &lab.path("pub"),
        &planter,
        2,
        t,
        t + 86_400,
        digest(&lab.path(SNAP1)),
    );
    let r = lab.publish("pub", "313 555 0177\n", &[]).expect(2);
    assert!(r.stderr.contains("cannot chain"), "{}", r.stderr);
    assert!(!lab.path("pub/snapshot-00000003.hushlist").exists());
}

/// Re-signs `pub/manifest.json` after `edit`, as its key's holder could.
fn resign_manifest(lab: &Lab, edit: impl Fn(String) -> String) {
    let path = lab.path("pub/manifest.json");
    let json = edit(fs::read_to_string(&path).unwrap()).into_bytes();
    let old_sig = fs::read_to_string(lab.path("pub/manifest.json.minisig")).unwrap();
    let comment = old_sig
        .lines()
        .find_map(|l| l.strip_prefix("trusted comment: "))
        .unwrap();
    let mut facts = SignedFacts::parse(comment).unwrap();
    facts.blake3 = *blake3::hash(&json).as_bytes();
    fs::write(&path, &json).unwrap();
    fs::write(
        lab.path("pub/manifest.json.minisig"),
        secret(&lab.key())
            .sign(&json, &facts.to_comment())
            .to_text(),
    )
    .unwrap();
}

#[test]
fn signed_json_that_readers_could_read_differently_is_refused() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    resign_manifest(&lab, |j| {
        j.replace("\"hushlist-manifest\"", "\"hushlist\\u002dmanifest\"")
    });
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("not strict JSON") && r.stderr.contains("escape"),
        "{}",
        r.stderr
    );
    resign_manifest(&lab, |j| {
        j.replace("\"hushlist\\u002dmanifest\"", "\"hushlist-manifest\"")
    });
    lab.verify("pub", &[]).expect(0);
    resign_manifest(&lab, |j| j.replace("\"version\": 1", "\"version\": 1.0"));
    let r = lab.verify("pub", &[]).expect(1);
    assert!(r.stderr.contains("not a plain integer"), "{}", r.stderr);
}

#[test]
fn an_oversize_manifest_is_a_refusal() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let path = lab.path("pub/manifest.json");
    let mut json = fs::read_to_string(&path).unwrap();
    json.push_str(&" ".repeat(70 * 1024));
    fs::write(&path, json).unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("REFUSED") && r.stderr.contains("limit for a manifest"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rotation_statement_in_loose_json_is_refused() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let old = secret(&lab.key());
    let new = SecretKey::from_seed(&[7; 32], hushlist::format::signature::KeyId(*b"TESTONLY"));
    let t = now() - 60;
    let (json, _) = sign_rotation(&old, &new.public_key(), 1, t, false);
    // The same statement with its number written twice: readers keep the first,
    // the last, or fail.
    let json = String::from_utf8(json)
        .unwrap()
        .replacen("\"number\": 1,", "\"number\": 1,\n  \"number\": 1,", 1)
        .into_bytes();
    let facts = SignedFacts {
        kind: FileKind::Rotation,
        sequence: 1,
        created: t,
        expires: t,
        blake3: *blake3::hash(&json).as_bytes(),
    };
    fs::write(lab.path("pub/rotation-000001.json"), &json).unwrap();
    fs::write(
        lab.path("pub/rotation-000001.json.minisig"),
        old.sign(&json, &facts.to_comment()).to_text(),
    )
    .unwrap();
    let r = lab.verify("pub", &[]).expect(1);
    assert!(
        r.stderr.contains("not strict JSON") && r.stderr.contains("duplicate key"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_invented_history_before_the_pinned_key_cannot_hide_its_revocation() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    // A thief holding the publisher's key runs a mirror whose statement 1,
    // signed by a key of their own, claims to introduce the publisher's key.
    let thief_dir = lab.path("thief");
    fs::create_dir_all(&thief_dir).unwrap();
    for f in [
        "manifest.json",
        "manifest.json.minisig",
        "snapshot-00000001.hushlist",
        "snapshot-00000001.hushlist.minisig",
    ] {
        fs::copy(lab.path(&format!("pub/{f}")), thief_dir.join(f)).unwrap();
    }
    let stolen = secret(&lab.key());
    let own = SecretKey::from_seed(&[9; 32], hushlist::format::signature::KeyId(*b"THIEFKEY"));
    let (json, sig) = sign_rotation(&own, &stolen.public_key(), 1, now() - 600, false);
    fs::write(thief_dir.join("rotation-000001.json"), json).unwrap();
    fs::write(thief_dir.join("rotation-000001.json.minisig"), sig).unwrap();
    let thief = Server::start(static_files(thief_dir.clone()));
    init(&lab, &lab.public(), &[thief.url()]);
    let r = update(&lab).expect(0);
    assert!(
        r.stdout.contains("made before the pinned key"),
        "{}",
        r.stdout
    );

    // The publisher revokes the stolen key; the thief publishes #2 with it.
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    let t = now();
    publish_raw(
        &thief_dir,
        &stolen,
        2,
        t,
        t + 86_400,
        digest(&lab.path(SNAP1)),
    );
    let honest = Server::start(static_files(lab.path("pub")));
    set_sources(&lab, &[thief.url(), honest.url()]);
    let r = update(&lab).expect(0);
    assert!(
        r.stdout.contains("were forged") && r.stdout.contains(&format!("#2 from {}", honest.url())),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
}

/// `rotate-key --revoke-old` is written into the served directory before
/// the first build with the new key (133 s for 80 entries at the defaults,
/// minutes for a large list). In between, a client's update learns of the
/// revocation: its checks go on against the installed snapshot, with a
/// warning that names the revoked key, instead of failing until the build;
/// the next update installs the new key's snapshot and the warning goes.
#[test]
fn a_key_rotation_never_stops_a_clients_checks() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &lab.public(), &[server.url()]);
    update(&lab).expect(0);

    let new_key = lab.rotate_and_revoke();
    let r = update(&lab).expect(1);
    assert!(r.stderr.contains("revoked"), "{}", r.stderr);
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
    assert!(
        r.stderr
            .contains("REVOKED KEY: snapshot #1 was signed by key")
            && r.stderr.contains("(rotation statement 1)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("REVOKED KEY"),
        "the report says so too:\n{}",
        r.stdout
    );
    let status = client(&lab, &["status"]).expect(0);
    assert!(
        !status.stdout.contains("FAILS VERIFICATION"),
        "{}",
        status.stdout
    );

    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    update(&lab).expect(0);
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
    assert!(!r.stderr.contains("REVOKED KEY"), "{}", r.stderr);
}

/// Whoever can write the published directory (a host, a bucket a stateless
/// job restores) deleted the honest history and planted a statement
/// "attacker key introduces the publisher's key" with an attacker-signed
/// #41 (blake3, the attacker's salts and contact). The next plain build
/// carried all of it over and signed #42. Now the publisher continues only
/// from the snapshot its own ledger records, and says how to adopt a
/// directory it has checked.
#[test]
fn the_publisher_continues_only_from_what_its_ledger_records() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let site = lab.path("pub");
    for f in fs::read_dir(&site).unwrap() {
        fs::remove_file(f.unwrap().path()).unwrap();
    }
    let attacker = SecretKey::from_seed(&[5; 32], hushlist::format::signature::KeyId(*b"ATTACKER"));
    let publisher_key = published::read_public_key(&lab.public()).unwrap();
    let (json, sig) = sign_rotation(&attacker, &publisher_key, 1, now() - 3600, false);
    fs::write(site.join("rotation-000001.json"), json).unwrap();
    fs::write(site.join("rotation-000001.json.minisig"), sig).unwrap();
    publish_raw(&site, &attacker, 41, now() - 60, now() + 86_400, [0; 32]);

    let r = lab.publish("pub", LISTED, &[]);
    assert_ne!(
        r.code, 0,
        "nothing may be built on a planted history:\n{}",
        r.stdout
    );
    assert!(
        !site.join("snapshot-00000042.hushlist").exists(),
        "no #42 signed on the attacker's parameters"
    );
    assert!(
        r.stderr.contains("is not the one this publisher recorded") || r.stderr.contains("chain"),
        "{}",
        r.stderr
    );

    // A directory replaced by one the publisher cannot tell from its own
    // (another copy signed with its key): refused, then adopted on purpose.
    let copy = lab.path("copy");
    fs::create_dir_all(&copy).unwrap();
    lab.publish("mirror", LISTED, &[]).expect(0);
    lab.publish("mirror", LISTED, &[]).expect(0);
    for f in fs::read_dir(lab.path("mirror")).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, copy.join(f.file_name().unwrap())).unwrap();
    }
    let r = lab.publish("copy", LISTED, &[]).expect(2);
    assert!(
        r.stderr.contains("no record of publishing there") && r.stderr.contains("--adopt"),
        "{}",
        r.stderr
    );
    lab.publish("copy", LISTED, &["--adopt"]).expect(0);
    lab.publish("copy", LISTED, &[]).expect(0);
    assert!(copy.join("snapshot-00000004.hushlist").exists());
}

/// FORMAT.md §3 says an announced salt is never replaced: a snapshot whose
/// salt is neither the installed one's nor the one it announced (what a
/// key holder grinding a salt for a targeted false match would publish) is
/// refused by update and named by audit. The publisher's own --new-epoch
/// switches to the announced salt, so it passes both.
#[test]
fn a_salt_neither_kept_nor_announced_is_refused_and_audited() {
    let lab = Lab::new();
    let site = lab.path("pub");
    fs::create_dir_all(&site).unwrap();
    let key = secret(&lab.key());
    let t = now();
    publish_raw(&site, &key, 1, t - 120, t + 86_400, [0; 32]);
    let server = Server::start(static_files(site.clone()));
    init(&lab, &lab.public(), &[server.url()]);
    update(&lab).expect(0);
    // #2 with salt [2; 32]: #1 has [1; 32] and announced [0xEE; 32].
    publish_raw(&site, &key, 2, t - 60, t + 86_400, digest(&lab.path(SNAP1)));
    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains(
            "salt epoch: snapshot #2 uses a salt that is neither #1's nor the one #1 announced"
        ),
        "{}",
        r.stderr
    );
    let audit = run(&hushlist(), &["audit", "--key", s(&lab.public()), s(&site)]).expect(1);
    assert!(audit.stdout.contains("salt epoch"), "{}", audit.stdout);

    // The honest publisher: a build, then one with --new-epoch.
    let honest = Lab::new();
    honest.publish("pub", LISTED, &[]).expect(0);
    honest.publish("pub", LISTED, &["--new-epoch"]).expect(0);
    run(
        &hushlist(),
        &[
            "audit",
            "--key",
            s(&honest.public()),
            s(&honest.path("pub")),
        ],
    )
    .expect(0);
}
