//! init -> update -> check against real HTTP servers on 127.0.0.1, honest and
//! hostile. Every refusal must name what failed and keep the last good snapshot.

use crate::common::server::{file_reply, static_files, Reply, Server};
use crate::common::*;
use std::fs;
use std::path::Path;
use std::time::Duration;

fn client(lab: &Lab, args: &[&str]) -> Run {
    let state = lab.path("state");
    let mut all = vec!["--state-dir", s(&state)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

fn init(lab: &Lab, urls: &[String]) {
    let key = lab.public();
    let mut args = vec!["init", "--allow-http", "--key", s(&key)];
    for u in urls {
        args.extend_from_slice(&["--url", u]);
    }
    client(lab, &args).expect(0);
}

fn update(lab: &Lab) -> Run {
    client(lab, &["update", "--timeout", "2", "--retries", "0"])
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A lab with snapshot #1 published in `pub/` and installed in the client.
fn installed() -> (Lab, Server) {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &[server.url()]);
    let r = update(&lab).expect(0);
    assert!(r.stdout.contains("installed snapshot #1"), "{}", r.stdout);
    (lab, server)
}

/// Records in the state that an earlier run saw a time a day from now.
fn seen_a_day_ahead(lab: &Lab) {
    let status_path = lab.path("state/status.json");
    let mut status: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&status_path).unwrap()).unwrap();
    status["latest_clock"] = (hushlist::format::time::now() + 86_400).into();
    fs::write(&status_path, status.to_string()).unwrap();
}

fn still_on_snapshot_1(lab: &Lab) {
    let r = client(lab, &["status", "--format", "json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["installed"]["sequence"], 1, "{}", r.stdout);
    client(lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
}

#[test]
fn happy_path_then_unchanged_manifest_costs_a_304() {
    let (lab, server) = installed();
    client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
    client(&lab, &["check", "--region", "US", "-n", "313 555 0199"]).expect(0);
    client(&lab, &["verify"]).expect(0);
    let status = client(&lab, &["status"]).expect(0);
    assert!(
        status
            .stdout
            .contains("installed  snapshot #1 from http://127.0.0.1"),
        "{}",
        status.stdout
    );

    let before = server.requests().len();
    let r = update(&lab).expect(0);
    assert!(r.stdout.contains("not modified"), "{}", r.stdout);
    let after = server.requests();
    let manifest_requests: Vec<_> = after[before..]
        .iter()
        .filter(|r| r.path == "/manifest.json")
        .collect();
    assert_eq!(manifest_requests.len(), 1);
    assert!(manifest_requests[0].header("If-None-Match").is_some());
    assert!(
        !after[before..].iter().any(|r| r.path.contains("snapshot")),
        "an unchanged manifest must not download the snapshot: {:?}",
        server.paths()
    );

    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    let r = update(&lab).expect(0);
    assert!(
        r.stdout.contains("updated: snapshot #1 -> #2"),
        "{}",
        r.stdout
    );
    client(&lab, &["check", "--region", "US", "-n", "313 555 0177"]).expect(1);
}

#[test]
fn wrong_key_is_refused() {
    let lab = Lab::new();
    let other = Lab::new();
    other.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(other.path("pub")));
    init(&lab, &[server.url()]);
    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains("manifest signature: signed by key")
            && r.stderr.contains("not by the pinned key"),
        "{}",
        r.stderr
    );
    let r = client(&lab, &["check", "-n", "+13135550142"]).expect(2);
    assert!(r.stderr.contains("no snapshot installed"), "{}", r.stderr);
}

#[test]
fn rollback_is_refused() {
    let (lab, _server) = installed();
    copy_dir(&lab.path("pub"), &lab.path("old"));
    lab.publish("pub", LISTED, &[]).expect(0);
    update(&lab).expect(0);
    let old = Server::start(static_files(lab.path("old")));
    let state = lab.path("state/config.json");
    let config = fs::read_to_string(&state).unwrap();
    let config = config.replace(&format!("http://127.0.0.1:{}", _server.port), &old.url());
    fs::write(&state, config).unwrap();
    let r = update(&lab).expect(1);
    assert!(
        r.stderr
            .contains("rollback: the source offers snapshot #1, older than #2"),
        "{}",
        r.stderr
    );
}

#[test]
fn expired_manifest_is_refused_as_a_freeze() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &["--valid-for", "1s"]).expect(0);
    std::thread::sleep(Duration::from_millis(2100));
    let server = Server::start(static_files(lab.path("pub")));
    init(&lab, &[server.url()]);
    let r = update(&lab).expect(1);
    assert!(r.stderr.contains("manifest expired at"), "{}", r.stderr);
}

/// Serves `pub/` but answers requests for the snapshot with `reply`.
fn hostile_snapshot(lab: &Lab, reply: impl Fn(Vec<u8>) -> Reply + Send + Sync + 'static) -> Server {
    let dir = lab.path("pub");
    Server::start(move |req| {
        if req.path.ends_with(".hushlist") {
            reply(fs::read(dir.join(req.path.trim_start_matches('/'))).unwrap())
        } else {
            file_reply(&dir, req)
        }
    })
}

fn attack_after_install(
    reply: impl Fn(Vec<u8>) -> Reply + Send + Sync + 'static,
    expect: &str,
    code: i32,
) {
    let (lab, server) = installed();
    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    let hostile = hostile_snapshot(&lab, reply);
    let config = lab.path("state/config.json");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace(&server.url(), &hostile.url());
    fs::write(&config, text).unwrap();
    let r = update(&lab).expect(code);
    assert!(
        r.stderr.contains(expect),
        "wanted {expect:?} in:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("installed snapshot unchanged"),
        "{}",
        r.stderr
    );
    still_on_snapshot_1(&lab);
}

#[test]
fn truncated_body_is_refused() {
    attack_after_install(
        |bytes| Reply::Truncated {
            announced: bytes.len() as u64,
            body: bytes[..bytes.len() / 2].to_vec(),
        },
        "truncated download",
        2,
    );
}

#[test]
fn endless_body_is_cut_at_the_signed_size() {
    attack_after_install(|_| Reply::Endless, "endless data: more than the", 2);
}

#[test]
fn slow_drip_times_out() {
    attack_after_install(
        |bytes| Reply::Drip {
            body: bytes,
            delay: Duration::from_millis(50),
        },
        "slow retrieval",
        2,
    );
}

#[test]
fn snapshot_altered_in_transit_is_refused() {
    attack_after_install(
        |mut bytes| {
            let at = bytes.len() - 1;
            bytes[at] ^= 1;
            Reply::Full {
                status: 200,
                headers: vec![],
                body: bytes,
            }
        },
        "snapshot signature: signature does not match",
        1,
    );
}

#[test]
fn manifest_naming_another_snapshot_is_mix_and_match() {
    let (lab, _server) = installed();
    lab.publish("pub", "313 555 0178\n", &[]).expect(0);
    // Snapshot #2 of another publication by the same key (validly signed, same
    // size) in place of the #2 that pub's manifest names.
    lab.publish("b", "313 555 0177\n", &[]).expect(0);
    lab.publish("b", "313 555 0179\n", &[]).expect(0);
    for suffix in ["", ".minisig"] {
        let name = format!("snapshot-00000002.hushlist{suffix}");
        fs::copy(
            lab.path(&format!("b/{name}")),
            lab.path(&format!("pub/{name}")),
        )
        .unwrap();
    }
    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains("mix-and-match: blake3 digest"),
        "{}",
        r.stderr
    );
    still_on_snapshot_1(&lab);
}

#[test]
fn redirect_loop_is_named() {
    let lab = Lab::new();
    let server = Server::start(|req| Reply::redirect(&req.path));
    init(&lab, &[server.url()]);
    let r = update(&lab).expect(2);
    assert!(r.stderr.contains("redirect loop"), "{}", r.stderr);
}

#[test]
fn garbage_manifest_is_refused() {
    let lab = Lab::new();
    let server = Server::start(|req| match req.path.as_str() {
        "/manifest.json" | "/manifest.json.minisig" => Reply::Full {
            status: 200,
            headers: vec![],
            body: format!("garbage for {}\n", req.path).into_bytes(),
        },
        _ => Reply::status(404),
    });
    init(&lab, &[server.url()]);
    let r = update(&lab).expect(1);
    assert!(
        r.stderr
            .contains("manifest signature: malformed signature file"),
        "{}",
        r.stderr
    );
}

#[test]
fn failing_first_mirror_falls_back_to_the_second() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let good = Server::start(static_files(lab.path("pub")));
    for status in [404, 500] {
        let bad = Server::start(move |_| Reply::status(status));
        let state = lab.path("state");
        let _ = fs::remove_dir_all(&state);
        init(&lab, &[bad.url(), good.url()]);
        let r = update(&lab).expect(0);
        assert!(
            r.stdout
                .contains(&format!("installed snapshot #1 from {}", good.url())),
            "{}",
            r.stdout
        );
        assert!(!bad.requests().is_empty());
    }
    // Both failing: every source's reason is listed.
    let dead = Server::start(|_| Reply::status(500));
    let _ = fs::remove_dir_all(lab.path("state"));
    init(&lab, &[dead.url(), dead.url()]);
    let r = update(&lab).expect(2);
    assert!(
        r.stderr.contains("every source failed") && r.stderr.contains("HTTP 500"),
        "{}",
        r.stderr
    );
}

#[test]
fn killed_mid_download_keeps_the_last_good_snapshot() {
    let (lab, server) = installed();
    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    let slow = hostile_snapshot(&lab, |bytes| Reply::Drip {
        body: bytes,
        delay: Duration::from_millis(20),
    });
    let config = lab.path("state/config.json");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace(&server.url(), &slow.url());
    fs::write(&config, text).unwrap();
    let state = lab.path("state");
    let mut child = std::process::Command::new(hushlist())
        .args(["--state-dir", s(&state), "update", "--timeout", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !slow.paths().iter().any(|p| p.ends_with(".hushlist"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    still_on_snapshot_1(&lab);
    // The lock died with the process: the next update goes through.
    let config_text = fs::read_to_string(&config)
        .unwrap()
        .replace(&slow.url(), &server.url());
    fs::write(&config, config_text).unwrap();
    update(&lab).expect(0);
}

#[test]
fn nothing_derived_from_checked_numbers_is_ever_sent() {
    let (lab, server) = installed();
    let number = "313 555 0142";
    client(&lab, &["check", "--region", "US", "-n", number]).expect(1);
    let inventory = lab.write("inv.csv", "phone\n313 555 0142\n313 555 0150\n");
    client(&lab, &["check", "--region", "US", s(&inventory)]).expect(1);
    lab.publish("pub", LISTED, &[]).expect(0);
    update(&lab).expect(0);
    let requests = server.requests();
    assert!(requests.len() >= 4, "{:?}", server.paths());
    let agents: std::collections::BTreeSet<_> = requests
        .iter()
        .map(|r| r.header("User-Agent").map(String::from))
        .collect();
    assert_eq!(
        agents.len(),
        1,
        "one User-Agent for every client and request: {agents:?}"
    );
    for r in &requests {
        for needle in ["5550142", "555-0142", "0142", "5550150"] {
            assert!(
                !r.raw.contains(needle),
                "request carries {needle}: {}",
                r.raw
            );
        }
        let allowed = r.path == "/manifest.json"
            || r.path.starts_with("/snapshot-")
            || r.path.starts_with("/rotation-")
            || r.path.ends_with(".minisig");
        assert!(allowed, "unexpected request {}", r.path);
    }
}

#[test]
fn rotated_key_is_followed_and_a_revoked_key_refused() {
    let (lab, _server) = installed();
    let old_key = lab.key();
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    let r = update(&lab).expect(0);
    assert!(r.stdout.contains("#1 -> #2"), "{}", r.stdout);
    let status = client(&lab, &["status", "--format", "json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        v["trusted_keys"].as_array().unwrap().len(),
        1,
        "the old key was revoked: {v}"
    );
    // An auditor holding only the original key follows the rotation too.
    lab.verify("pub", &[]).expect(0);

    // The old (revoked) key signs a publication of its own: refused.
    let fresh = lab.path("attacker");
    for _ in 0..3 {
        lab.build(&old_key, "attacker", "313 555 0188\n", &["--kdf", "blake3"])
            .expect(0);
    }
    let evil = Server::start(static_files(fresh));
    let config = lab.path("state/config.json");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace(&_server.url(), &evil.url());
    fs::write(&config, text).unwrap();
    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains("which rotation statement 1 revoked"),
        "{}",
        r.stderr
    );
}

#[test]
fn import_from_a_directory_applies_the_same_checks() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    client(
        &lab,
        &[
            "init",
            "--key",
            s(&lab.public()),
            "--url",
            "https://mirror.invalid/list",
        ],
    )
    .expect(0);
    let r = client(&lab, &["import", s(&lab.path("pub"))]).expect(0);
    assert!(r.stdout.contains("installed snapshot #1"), "{}", r.stdout);
    copy_dir(&lab.path("pub"), &lab.path("usb"));
    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    copy_dir(&lab.path("pub"), &lab.path("usb2"));
    let snap = lab.path("usb2/snapshot-00000002.hushlist");
    let mut bytes = fs::read(&snap).unwrap();
    bytes[300] ^= 4;
    fs::write(&snap, bytes).unwrap();
    let r = client(&lab, &["import", s(&lab.path("usb2"))]).expect(1);
    assert!(r.stderr.contains("snapshot signature"), "{}", r.stderr);
    still_on_snapshot_1(&lab);
    client(&lab, &["import", s(&lab.path("pub"))]).expect(0);
}

#[test]
fn concurrent_run_is_locked_out_and_a_clock_stepped_back_is_detected() {
    let (lab, _server) = installed();
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(lab.path("state/lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let r = update(&lab).expect(2);
    assert!(
        r.stderr
            .contains("another hushlist update or import is running"),
        "{}",
        r.stderr
    );
    drop(lock);

    seen_a_day_ahead(&lab);
    let r = update(&lab).expect(2);
    assert!(
        r.stderr.contains("system clock") && r.stderr.contains("behind"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_revocation_seen_on_one_mirror_binds_the_next() {
    let (lab, server) = installed();
    // Mirror A: the publisher rotated to K2, revoking K1, but #2 is not there yet.
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0177\n", &["--kdf", "blake3"])
        .expect(0);
    fs::remove_file(lab.path("pub/snapshot-00000002.hushlist")).unwrap();
    // Mirror B: whoever holds K1 serves a #2 of their own, without the rotation.
    copy_dir(&lab.path("pub"), &lab.path("thief"));
    for f in fs::read_dir(lab.path("thief")).unwrap() {
        let p = f.unwrap().path();
        if !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("snapshot-00000001")
        {
            fs::remove_file(p).unwrap();
        }
    }
    // The thief has the key, not the publisher's ledger: it adopts the copy.
    lab.build(
        &lab.key(),
        "thief",
        "313 555 0199\n",
        &["--kdf", "blake3", "--adopt"],
    )
    .expect(0);
    let thief = Server::start(static_files(lab.path("thief")));
    let config = lab.path("state/config.json");
    let text = fs::read_to_string(&config).unwrap().replace(
        &format!("\"{}\"", server.url()),
        &format!("\"{}\", \"{}\"", server.url(), thief.url()),
    );
    fs::write(&config, text).unwrap();

    let r = update(&lab).expect(1);
    assert!(
        r.stderr.contains("which rotation statement 1 revoked"),
        "{}",
        r.stderr
    );
    // The revocation stuck: nothing new signed by K1 is accepted (the
    // thief's #2 was not installed), and the installed #1, accepted before
    // the revocation, stays in use with a warning naming the revoked key
    // until the publisher's #2 arrives (SECURITY.md, key rotation).
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
    assert!(
        r.stderr.contains("REVOKED KEY: snapshot #1"),
        "{}",
        r.stderr
    );
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0199"]).expect(0);
    assert!(
        !r.stdout.contains("#2"),
        "the thief's #2 is not in use:\n{}",
        r.stdout
    );
}

#[test]
fn object_stores_answering_403_for_missing_files_work() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let dir = lab.path("pub");
    let s3 = Server::start(move |req| match file_reply(&dir, req) {
        Reply::Full { status: 404, .. } => Reply::status(403),
        other => other,
    });
    init(&lab, &[s3.url()]);
    update(&lab).expect(0);
}

#[test]
fn a_damaged_installed_copy_is_fetched_again() {
    let (lab, _server) = installed();
    let installed = lab.path("state/snapshots/00000001/snapshot-00000001.hushlist");
    let mut bytes = fs::read(&installed).unwrap();
    bytes[200] ^= 1;
    fs::write(&installed, bytes).unwrap();
    client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(2);
    let r = update(&lab).expect(0);
    assert!(r.stdout.contains("installed snapshot #1"), "{}", r.stdout);
    still_on_snapshot_1(&lab);
}

#[test]
fn check_refuses_a_clock_set_back_until_accepted() {
    let (lab, _server) = installed();
    seen_a_day_ahead(&lab);
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(2);
    assert!(
        r.stderr.contains("system clock") && r.stderr.contains("--accept-clock"),
        "{}",
        r.stderr
    );
    client(&lab, &["update", "--accept-clock"]).expect(0);
    client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
}

/// A site that reaches the world only through its proxy: `update` goes
/// through `HTTP_PROXY` (absolute-form requests to the proxy), and the
/// mirror's own name is never looked up.
#[test]
fn updates_go_through_the_system_proxy() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let site = lab.path("pub");
    const MIRROR: &str = "http://mirror.hushlist.invalid";
    let proxy = Server::start(move |req| match req.path.strip_prefix(MIRROR) {
        Some(path) => file_reply(
            &site,
            &crate::common::server::Request {
                path: path.to_string(),
                ..req.clone()
            },
        ),
        None => Reply::status(502),
    });
    init(&lab, &[format!("{MIRROR}/")]);
    let state = lab.path("state");
    let proxy_url = proxy.url();
    let r = run_full(
        &hushlist(),
        &[
            "--state-dir",
            s(&state),
            "update",
            "--timeout",
            "5",
            "--retries",
            "0",
        ],
        &[("HTTP_PROXY", proxy_url.as_str())],
        "",
    )
    .expect(0);
    assert!(r.stdout.contains("installed snapshot #1"), "{}", r.stdout);
    let paths = proxy.paths();
    assert!(
        paths
            .iter()
            .any(|p| p == &format!("{MIRROR}/manifest.json")),
        "the proxy was asked for the mirror's files: {paths:?}"
    );
    client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);
}
