//! Setting up and running the client day to day: air-gapped sites, changing
//! mirrors, quiet cron runs, manual pages.

use crate::common::server::{static_files, Server};
use crate::common::*;
use std::fs;

fn client(lab: &Lab, args: &[&str]) -> Run {
    let state = lab.path("state");
    let mut all = vec!["--state-dir", s(&state)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

fn highest_seen(lab: &Lab) -> serde_json::Value {
    let status: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(lab.path("state/status.json")).unwrap()).unwrap();
    status["highest_sequence"].clone()
}

/// A publication served over plain HTTP on 127.0.0.1, and a client state
/// initialized with it as its one source.
fn served_client(lab: &Lab) -> Server {
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    let key = lab.public();
    client(
        lab,
        &[
            "init",
            "--key",
            s(&key),
            "--url",
            &server.url(),
            "--allow-http",
        ],
    )
    .expect(0);
    server
}

#[test]
fn an_air_gapped_site_pins_a_key_without_a_url_and_imports() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let key = lab.public();
    let r = client(&lab, &["init", "--key", s(&key)]).expect(0);
    assert!(r.stdout.contains("hushlist import DIR"), "{}", r.stdout);
    let r = client(&lab, &["update"]).expect(2);
    assert!(r.stderr.contains("no sources"), "{}", r.stderr);
    let site = lab.path("pub");
    client(&lab, &["import", s(&site)]).expect(0);
    client(&lab, &["check", "--region", "US", "-n", "313 555 0101"]).expect(1);
}

#[test]
fn sources_change_without_losing_what_was_seen() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    let key = lab.public();
    let url = server.url();
    client(
        &lab,
        &["init", "--key", s(&key), "--url", &url, "--allow-http"],
    )
    .expect(0);
    client(&lab, &["update", "--timeout", "5", "--retries", "0"]).expect(0);
    assert_eq!(highest_seen(&lab), 1);

    client(&lab, &["sources", "add", "https://mirror.invalid/list"]).expect(0);
    let r = client(
        &lab,
        &["sources", "add", "https://first.invalid/list", "--first"],
    )
    .expect(0);
    assert_eq!(
        r.stdout,
        format!("1. https://first.invalid/list\n2. {url}\n3. https://mirror.invalid/list\n")
    );
    client(&lab, &["sources", "add", &url]).expect(2);
    client(&lab, &["sources", "remove", "https://first.invalid/list"]).expect(0);
    client(&lab, &["sources", "remove", "https://nowhere.invalid/"]).expect(2);
    let r = client(&lab, &["sources", "list"]).expect(0);
    assert_eq!(
        r.stdout,
        format!("1. {url}\n2. https://mirror.invalid/list\n")
    );
    assert_eq!(
        highest_seen(&lab),
        1,
        "the rollback floor survives source changes"
    );
}

#[test]
fn a_quiet_update_says_nothing_when_current_and_speaks_when_it_installs() {
    let lab = Lab::new();
    let _server = served_client(&lab);
    let args = ["update", "--quiet", "--timeout", "5", "--retries", "0"];
    let first = client(&lab, &args).expect(0);
    assert!(
        first.stdout.contains("installed snapshot #1"),
        "{}",
        first.stdout
    );
    let again = client(&lab, &args).expect(0);
    assert_eq!((again.stdout.as_str(), again.stderr.as_str()), ("", ""));
}

#[test]
fn man_pages_cover_every_subcommand_and_option() {
    let dir = tempfile::tempdir().unwrap();
    run(&hushlist(), &["man", "--dir", s(dir.path())]).expect(0);
    let check = fs::read_to_string(dir.path().join("hushlist-check.1")).unwrap();
    for option in [
        "region\\-column",
        "redact",
        "strict",
        "encoding",
        "allow\\-letters",
    ] {
        assert!(
            check.contains(option),
            "{option} missing from hushlist-check.1"
        );
    }
    for sub in [
        "explain", "sources", "update", "verify", "audit", "import", "status", "init",
    ] {
        assert!(
            dir.path().join(format!("hushlist-{sub}.1")).exists(),
            "{sub}"
        );
    }
    assert!(!dir.path().join("hushlist-help.1").exists());
}

/// Issue 15/16: `sources add --allow-http` exited 0 without recording the
/// permission, so the next `update` asked for the flag the user had just given.
#[test]
fn an_http_source_added_with_allow_http_is_updated_from() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(static_files(lab.path("pub")));
    let key = lab.public();
    client(&lab, &["init", "--key", s(&key)]).expect(0);
    let url = server.url();
    let refused = client(&lab, &["sources", "add", &url]).expect(2);
    assert!(
        refused.stderr.contains("--allow-http"),
        "{}",
        refused.stderr
    );
    client(&lab, &["sources", "add", &url, "--allow-http"]).expect(0);
    let r = client(&lab, &["update", "--timeout", "5", "--retries", "0"]).expect(0);
    assert!(r.stdout.contains("installed snapshot #1"), "{}", r.stdout);
}

/// Issue 16 item 13: a password in a source URL is never shown, neither by
/// `sources list` nor in an update's error.
#[test]
fn a_password_in_a_source_url_is_never_shown() {
    let lab = Lab::new();
    let key = lab.public();
    let secret_url = "http://reader:s3cretPW@127.0.0.1:9/list";
    let r = client(
        &lab,
        &[
            "init",
            "--key",
            s(&key),
            "--url",
            secret_url,
            "--allow-http",
        ],
    )
    .expect(0);
    assert!(!r.stdout.contains("s3cretPW"), "{}", r.stdout);
    assert!(!r.stderr.contains("s3cretPW"), "{}", r.stderr);
    assert!(
        r.stdout.contains("http://reader:***@127.0.0.1:9/list"),
        "{}",
        r.stdout
    );
    let r = client(&lab, &["sources", "list"]).expect(0);
    assert_eq!(r.stdout, "1. http://reader:***@127.0.0.1:9/list\n");
    for format in ["text", "json"] {
        let r = client(&lab, &["status", "--format", format]).expect(0);
        assert!(!r.stdout.contains("s3cretPW"), "{}", r.stdout);
        assert!(r.stdout.contains("reader:***@"), "{}", r.stdout);
    }
    let r = client(&lab, &["update", "--timeout", "2", "--retries", "0"]).expect(2);
    assert!(!r.stderr.contains("s3cretPW"), "{}", r.stderr);
    // The password still reaches the request: removing by the listed form works.
    client(
        &lab,
        &["sources", "remove", "http://reader:***@127.0.0.1:9/list"],
    )
    .expect(0);
}

/// Issue 16 item 10: with `STATE/snapshots` a symbolic link, `update`'s prune
/// deleted every entry of the link's target. It now refuses to write or delete
/// through the link, and says so.
#[cfg(unix)]
#[test]
fn update_never_deletes_through_a_linked_snapshots_directory() {
    let lab = Lab::new();
    let _server = served_client(&lab);
    client(&lab, &["update", "--timeout", "5", "--retries", "0"]).expect(0);
    let elsewhere = lab.path("elsewhere");
    fs::rename(lab.path("state/snapshots"), &elsewhere).unwrap();
    fs::write(elsewhere.join("victim.txt"), "not hushlist's").unwrap();
    std::os::unix::fs::symlink(&elsewhere, lab.path("state/snapshots")).unwrap();
    lab.publish("pub", LISTED, &[]).expect(0);
    let r = client(&lab, &["update", "--timeout", "5", "--retries", "0"]).expect(2);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    assert!(
        elsewhere.join("victim.txt").exists(),
        "deleted through the link"
    );
    assert!(elsewhere.join("00000001").exists());
}
