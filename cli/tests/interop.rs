//! The sealed client side against an independent implementation: a pure
//! Python reader and service written from FORMAT.md and RFC 9497 alone
//! (`tests/interop/sealed_reader.py`, no code shared). It recomputes the
//! committed vectors (and the RFC's own), its client reads the real
//! service's answers, and the real client reads its service's answers: two
//! conforming implementations agree on every number.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn reader() -> PathBuf {
    repo().join("tests/interop/sealed_reader.py")
}

fn python(args: &[&str]) -> Run {
    let script = reader();
    let mut all = vec![s(&script)];
    all.extend_from_slice(args);
    run_program("python3", &all)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process that says `listening on http://127.0.0.1:PORT` on `stream`.
/// The stream is closed once read: a service must go on serving when its
/// log has nowhere to go (`serve` once dropped every request then).
fn listening(mut command: Command, on_stderr: bool) -> (Killed, u16) {
    let mut child = if on_stderr {
        command.stderr(Stdio::piped()).stdout(Stdio::null())
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::null())
    }
    .spawn()
    .unwrap();
    let stream: Box<dyn std::io::Read + Send> = if on_stderr {
        Box::new(child.stderr.take().unwrap())
    } else {
        Box::new(child.stdout.take().unwrap())
    };
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (Killed(child), port)
}

/// A sealed publication of LISTED whose OPRF key file has a seed the test
/// knows (so the independent service can hold the same key).
fn sealed_lab() -> (Lab, [u8; 32]) {
    let lab = Lab::new();
    let seed = [0x5a; 32];
    let key = hushlist::format::signature::SecretKey::from_seed(
        &seed,
        hushlist::format::signature::KeyId(*b"TESTOPRF"),
    );
    hushlist::published::write_secret_key(
        &lab.path("oprf"),
        "test.oprf.key",
        &key,
        hushlist::published::KeyProtection::Unencrypted,
    )
    .unwrap();
    lab.publish_sealed("pub", LISTED, &lab.path("oprf/test.oprf.key"))
        .expect(0);
    (lab, seed)
}

#[test]
fn the_independent_reader_recomputes_every_sealed_vector() {
    let r = python(&["vectors", s(&fixtures().join("vectors"))]).expect(0);
    assert!(!r.stdout.trim().is_empty(), "it says what it checked");
}

#[test]
fn the_independent_client_reads_the_real_services_answers() {
    let (lab, _) = sealed_lab();
    let mut serve = Command::new(publisher());
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--out"])
        .arg(lab.path("pub"))
        .arg("--oprf-key")
        .arg(lab.path("oprf/test.oprf.key"))
        .arg("--db")
        .arg(lab.path("clients.db"));
    let (_service, port) = listening(serve, true);
    let token = lab.path("acme.token");
    lab.publisher("clients")
        .arg("--db")
        .arg(lab.path("clients.db"))
        .args(["add", "acme", "--quota", "100", "--token-file"])
        .arg(&token)
        .run()
        .expect(0);
    let url = format!("http://127.0.0.1:{port}/evaluate");
    let snapshot = lab.path("pub/snapshot-00000001.hushlist");
    let r = python(&[
        "client",
        "--snapshot",
        s(&snapshot),
        "--url",
        &url,
        "--token-file",
        s(&token),
        "+13135550142",
        "+13135550101",
        "+13135550199",
    ])
    .expect(0);
    let found: Vec<(String, bool)> = r
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["e164"].as_str().unwrap().to_string(),
                v["match"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("+13135550142".to_string(), true),
            ("+13135550101".to_string(), true),
            ("+13135550199".to_string(), false)
        ]
    );
}

#[test]
fn the_real_client_reads_the_independent_services_answers() {
    let (lab, seed) = sealed_lab();
    let bytes = std::fs::read(lab.path("pub/snapshot-00000001.hushlist")).unwrap();
    let header = hushlist::format::snapshot::Snapshot::decode_vec(bytes)
        .unwrap()
        .header;
    let oprf_seed = blake3::derive_key(hushlist::format::sealed::OPRF_SEED_CONTEXT, &seed);
    let mut serve = Command::new("python3");
    serve
        .arg(reader())
        .args([
            "serve",
            "--port",
            "0",
            "--oprf-seed",
            &hex::encode(oprf_seed),
        ])
        .args(["--salt", &hex::encode(header.salt)])
        .args(["--salt", &hex::encode(header.next_salt)]);
    let (_service, port) = listening(serve, false);
    let token = lab.write("any.token", "hlt_independent\n");
    let url = format!("http://127.0.0.1:{port}/evaluate");
    let r = lab
        .check_env(
            "pub",
            &[
                "--evaluation-url",
                &url,
                "--allow-http",
                "--token-file",
                s(&token),
                "--no-cache",
                "--no-history",
                "-n",
                "313 555 0142",
                "-n",
                "313 555 0101",
                "-n",
                "313 555 0199",
            ],
            &[],
        )
        .expect(1);
    assert!(
        r.stdout.contains("MATCH +13135550142")
            && r.stdout.contains("MATCH +13135550101")
            && !r.stdout.contains("MATCH +13135550199"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}
