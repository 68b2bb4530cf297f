//! Another user on the same machine: state, cache and lock paths they could
//! control are refused, outputs never go through a symlink, FIFOs are never
//! read, and a hostile mirror cannot grow `status.json`.
#![cfg(unix)]

use crate::common::server::{file_reply, Reply, Server};
use crate::common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn client(lab: &Lab, args: &[&str]) -> Run {
    let state = lab.path("state");
    let mut all = vec!["--state-dir", s(&state)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

fn installed_from(lab: &Lab, server: &Server) {
    client(
        lab,
        &[
            "init",
            "--allow-http",
            "--key",
            s(&lab.public()),
            "--url",
            &server.url(),
        ],
    )
    .expect(0);
    client(lab, &["update", "--timeout", "5", "--retries", "0"]).expect(0);
}

#[test]
fn a_state_directory_others_can_write_is_refused() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(crate::common::server::static_files(lab.path("pub")));
    installed_from(&lab, &server);
    let state = lab.path("state");
    fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
    let r = client(&lab, &["status"]).expect(2);
    assert!(
        r.stderr.contains("writable by group or others"),
        "{}",
        r.stderr
    );
    let r = client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(2);
    assert!(r.stderr.contains("refusing to use it"), "{}", r.stderr);
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    client(&lab, &["check", "--region", "US", "-n", "313 555 0142"]).expect(1);

    // A lock that is a symlink (to a file another user wants clobbered) is refused.
    fs::remove_file(state.join("lock")).unwrap();
    fs::write(lab.path("victim"), "keep").unwrap();
    std::os::unix::fs::symlink(lab.path("victim"), state.join("lock")).unwrap();
    let r = client(&lab, &["update", "--retries", "0"]).expect(2);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
}

#[test]
fn status_json_may_not_point_outside_the_state() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let server = Server::start(crate::common::server::static_files(lab.path("pub")));
    installed_from(&lab, &server);
    let path = lab.path("state/status.json");
    let mut status: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    status["installed"]["dir"] = "../../elsewhere".into();
    fs::write(&path, status.to_string()).unwrap();
    let r = client(&lab, &["status"]).expect(2);
    assert!(
        r.stderr.contains("not a plain directory name"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_key_cache_others_can_write_is_not_used() {
    let lab = Lab::new();
    lab.build(
        &lab.key(),
        "pub",
        LISTED,
        &["--argon2-memory", "64", "--argon2-passes", "1"],
    )
    .expect(0);
    let cache = lab.path("cache");
    fs::create_dir(&cache).unwrap();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o777)).unwrap();
    let (key, snap) = (lab.public(), lab.path("pub"));
    let r = run_full(
        &hushlist(),
        &[
            "check",
            "--key",
            s(&key),
            "--snapshot",
            s(&snap),
            "--region",
            "US",
            "-n",
            "313 555 0142",
        ],
        &[("HUSHLIST_CACHE_DIR", s(&cache))],
        "",
    )
    .expect(1);
    assert!(
        r.stderr.contains("writable by group or others"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 0, "nothing cached");
}

#[test]
fn output_and_report_never_write_through_a_symlink() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let precious = lab.write("precious.txt", "do not truncate me\n");
    let out = lab.path("out.csv");
    let html = lab.path("report.html");
    std::os::unix::fs::symlink(&precious, &out).unwrap();
    std::os::unix::fs::symlink(&precious, &html).unwrap();
    lab.check(
        "pub",
        &[
            "-n",
            "313 555 0142",
            "--format",
            "csv",
            "--output",
            s(&out),
            "--report",
            s(&html),
        ],
    )
    .expect(1);
    assert_eq!(
        fs::read_to_string(&precious).unwrap(),
        "do not truncate me\n"
    );
    for p in [&out, &html] {
        let meta = fs::symlink_metadata(p).unwrap();
        assert!(meta.is_file(), "{} replaced by a new file", p.display());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}

/// Runs hushlist, killing it after `secs`: a FIFO must be refused, not waited on.
fn run_with_deadline(args: &[&str], secs: u64) -> Option<Run> {
    let mut child = Command::new(hushlist())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[test]
fn a_fifo_is_refused_where_a_file_is_read() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let fifo = lab.path("key.pub");
    run_program("mkfifo", &[s(&fifo)]).expect(0);
    let pub_dir = lab.path("pub");
    let r = run_with_deadline(&["verify", "--key", s(&fifo), s(&pub_dir)], 10)
        .expect("hung reading a FIFO");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
}

#[test]
fn huge_etags_are_not_stored() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    let dir = lab.path("pub");
    let server = Server::start(move |req| match file_reply(&dir, req) {
        Reply::Full {
            status: 200,
            mut headers,
            body,
        } if req.path == "/manifest.json" => {
            headers.retain(|(k, _)| k != "ETag");
            headers.push(("ETag".into(), format!("\"{}\"", "e".repeat(60_000))));
            Reply::Full {
                status: 200,
                headers,
                body,
            }
        }
        other => other,
    });
    installed_from(&lab, &server);
    let status = fs::read_to_string(lab.path("state/status.json")).unwrap();
    assert!(status.len() < 4096, "status.json is {} bytes", status.len());
}
