//! Sealed snapshots end to end with real processes on 127.0.0.1: the
//! publisher's evaluation service (`hushlist-publish serve`) behind a real
//! nginx terminating TLS, clients with tokens and quotas, prewarm across an
//! epoch switch, an offline check, and hostile services the client refuses.

use crate::common::server::{Reply, Request, Server};
use crate::common::*;
use crate::nginx::{free_port, make_ca, start_nginx_on};
use hushlist::format::filter;
use hushlist::format::number_key::Kdf;
use hushlist::format::sealed::{Blinded, OprfSeed};
use hushlist::publish::{build_snapshot, sign_publication, BuildParams, SaltEpoch, Sealing};
use hushlist::published::{read_secret_key, write_publication};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `hushlist-publish serve`, its log in a file.
struct Service {
    child: Child,
    port: u16,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Listening on `port` (0: any), so that a restart keeps the port the
    /// reverse proxy forwards to.
    fn start(lab: &Lab, out: &str, port: u16) -> Service {
        let listen = format!("127.0.0.1:{port}");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(lab.path("serve.log"))
            .unwrap();
        let before = log_of(lab).len();
        let child = Command::new(publisher())
            .env_clear()
            .arg("serve")
            .arg("--out")
            .arg(lab.path(out))
            .arg("--oprf-key")
            .arg(lab.path("keys/pub.oprf.key"))
            .arg("--db")
            .arg(lab.path("clients.db"))
            .args(["--listen", &listen, "--threads", "2"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        // The address is said on the log (standard error) once bound.
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            let log = log_of(lab);
            let said = log[before..]
                .split("listening on http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|p| p.parse().ok());
            if let Some(port) = said {
                break port;
            }
            assert!(Instant::now() < deadline, "serve did not start: {log}");
            std::thread::sleep(Duration::from_millis(20));
        };
        Service { child, port }
    }

    fn stop(mut self) {
        // SIGTERM: the graceful path a service manager takes.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/evaluate", self.port)
    }
}

fn log_of(lab: &Lab) -> String {
    fs::read_to_string(lab.path("serve.log")).unwrap_or_default()
}

fn oprf_keygen(lab: &Lab) {
    lab.publisher("keygen")
        .args(["--unencrypted", "--oprf", "--name", "pub", "--out-dir"])
        .arg(lab.path("keys"))
        .run()
        .expect(0);
}

fn add_client(lab: &Lab, name: &str, quota: u64) -> PathBuf {
    let token = lab.path(&format!("{name}.token"));
    let quota = quota.to_string();
    lab.publisher("clients")
        .arg("--db")
        .arg(lab.path("clients.db"))
        .args(["add", name, "--quota", &quota, "--token-file"])
        .arg(&token)
        .run()
        .expect(0);
    token
}

/// `hushlist --state-dir STATE ...` with a key cache and run memory of the lab's.
fn client(lab: &Lab, args: &[&str]) -> Cmd {
    Cmd::new(&hushlist())
        .env("HUSHLIST_CACHE_DIR", lab.path("cache"))
        .env("HUSHLIST_HISTORY_DIR", lab.path("runs"))
        .arg("--state-dir")
        .arg(lab.path("state"))
        .args(args)
}

/// Snapshot #1 of `pub/`, sealed, with a salt epoch that ended a minute ago
/// (built by the library: the publisher's clock cannot be moved), so that
/// the next build switches to the sealed epoch it announces.
fn publish_sealed_epoch_that_just_ended(lab: &Lab, evaluation_url: &str) {
    let now = hushlist::format::time::now();
    let seed = OprfSeed::from_key_file(&read_secret_key(&lab.path("keys/pub.oprf.key")).unwrap());
    let (salt, next_salt) = ([0x61; 32], [0x62; 32]);
    let sealed = |salt: &[u8; 32]| Kdf::Voprf {
        public_key: seed.epoch_key(salt).public_key(),
    };
    let created = now - 2 * 86_400;
    let params = BuildParams {
        sequence: 1,
        created,
        expires: now + 30 * 86_400,
        previous: [0; 32],
        kdf: sealed(&salt),
        salt,
        fp_rate: filter::DEFAULT_FP_RATE,
        epoch: SaltEpoch {
            start: created,
            next_start: now - 60,
            next_kdf: sealed(&next_salt),
            next_salt,
        },
        contact: Default::default(),
        sealing: Some(Sealing {
            seed,
            evaluation_url: evaluation_url.to_string(),
        }),
    };
    let numbers = vec!["+13135550142".to_string()];
    let key = read_secret_key(&lab.key()).unwrap();
    let publication = sign_publication(&build_snapshot(&numbers, &params).unwrap(), &key);
    write_publication(&lab.path("pub"), &publication).unwrap();
}

/// The numbers a table report lists as matches, in order.
fn matches(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("MATCH "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn a_sealed_list_is_checked_through_the_evaluation_service_behind_tls() {
    let lab = Lab::new();
    oprf_keygen(&lab);
    make_ca(&lab.path("tls"));
    let (http, https) = (free_port(), free_port());
    let evaluate = format!("https://127.0.0.1:{https}/evaluate");
    publish_sealed_epoch_that_just_ended(&lab, &evaluate);
    let service = Service::start(&lab, "pub", free_port());
    let proxy = format!(
        "location = /evaluate {{ proxy_pass http://127.0.0.1:{}; }}",
        service.port
    );
    let _nginx = start_nginx_on(
        &lab.path("nginx"),
        &lab.path("pub"),
        &lab.path("tls"),
        (http, https),
        &proxy,
    );
    let acme = add_client(&lab, "acme", 1000);
    let small = add_client(&lab, "small", 3);
    let (pubkey, ca) = (lab.public(), lab.path("tls/ca.pem"));
    let site = format!("https://127.0.0.1:{https}/");
    client(
        &lab,
        &[
            "init",
            "--key",
            s(&pubkey),
            "--url",
            &site,
            "--ca-cert",
            s(&ca),
        ],
    )
    .run()
    .expect(0);
    client(&lab, &["update"]).run().expect(0);

    // Auditors see the mode, the epoch's key and where evaluations happen.
    let status = client(&lab, &["status"]).run().expect(0);
    assert!(
        status.stdout.contains("hash     voprf (sealed")
            && status.stdout.contains(&format!("evaluations {evaluate}")),
        "{}",
        status.stdout
    );
    let snap = lab.path("pub/snapshot-00000001.hushlist");
    run_program("minisign", &["-Vm", s(&snap), "-p", s(&pubkey)]).expect(0);

    // Prewarm the announced (sealed) epoch: its keys come from the service.
    let inventory = fixtures().join("demo-inventory.csv");
    let prewarm = client(
        &lab,
        &[
            "prewarm",
            "--region",
            "US",
            "--token-file",
            s(&acme),
            s(&inventory),
        ],
    )
    .run()
    .expect(0);
    assert!(
        prewarm.stdout.contains("(voprf): 10 numbers evaluated"),
        "{}{}",
        prewarm.stdout,
        prewarm.stderr
    );
    assert!(
        prewarm.stderr.contains(&evaluate)
            && prewarm.stderr.contains("named by the signed snapshot"),
        "the service asked is said: {}",
        prewarm.stderr
    );

    // A quota is spent, then refused with 429 and the service's words.
    let few = [
        "-n",
        "313 555 0101",
        "-n",
        "313 555 0102",
        "-n",
        "313 555 0103",
    ];
    let mut args = vec!["check", "--region", "US", "--token-file", s(&small)];
    args.extend_from_slice(&few);
    client(&lab, &args).run().expect(0);
    let over = client(
        &lab,
        &[
            "check",
            "--region",
            "US",
            "--token-file",
            s(&small),
            "-n",
            "313 555 0104",
        ],
    )
    .run()
    .expect(2);
    assert!(
        over.stderr.contains("HTTP 429")
            && over.stderr.contains("quota_exhausted")
            && over.stderr.contains("retry after"),
        "{}",
        over.stderr
    );

    // Stopped, then restarted, the service keeps every client's usage.
    let listed = lab
        .publisher("clients")
        .arg("--db")
        .arg(lab.path("clients.db"))
        .arg("list")
        .run()
        .expect(0);
    assert!(
        listed.stdout.contains("acme  quota 1000") && listed.stdout.contains("used 10"),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("used 3"), "{}", listed.stdout);
    let port = service.port;
    service.stop();
    let _service = Service::start(&lab, "pub", port);

    // The publisher's next build switches to the announced sealed epoch.
    lab.publisher("build")
        .arg("--key")
        .arg(lab.key())
        .arg("--input")
        .arg(fixtures().join("demo-list.csv"))
        .args(["--column", "phone", "--region", "US", "--valid-for", "30d"])
        .args(["--kdf", "voprf", "--oprf-key"])
        .arg(lab.path("keys/pub.oprf.key"))
        .arg("--out")
        .arg(lab.path("pub"))
        .arg("--adopt")
        .run()
        .expect(0);
    // --force: nginx's ETag (mtime in seconds, size) may not have changed.
    let updated = client(&lab, &["update", "--force"]).run().expect(0);
    assert!(
        updated.stdout.contains("#1 -> #2"),
        "{}{}",
        updated.stdout,
        updated.stderr
    );

    // The audit names each snapshot's epoch key: the switch shows as a new one.
    let audit = client(&lab, &["audit", "--key", s(&pubkey), s(&lab.path("pub"))])
        .run()
        .expect(0);
    let keys: Vec<&str> = audit
        .stdout
        .lines()
        .filter_map(|l| l.split("voprf key ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap())
        .collect();
    assert!(
        keys.len() == 2 && keys[0] != keys[1] && audit.stdout.contains(&evaluate),
        "{}",
        audit.stdout
    );

    // Prewarmed: the first check of the new epoch needs no network at all.
    let offline = Cmd::new(Path::new("unshare"))
        .env("HUSHLIST_CACHE_DIR", lab.path("cache"))
        .env("HUSHLIST_HISTORY_DIR", lab.path("runs"))
        .args(["-n", s(&hushlist()), "--state-dir", s(&lab.path("state"))])
        .args(["check", "--region", "US", s(&inventory)])
        .run();
    assert_eq!(offline.code, 1, "{}{}", offline.stdout, offline.stderr);
    // The same matches as the Argon2id demo publication.
    let demo = Cmd::new(&hushlist())
        .args(["check", "--key"])
        .arg(fixtures().join("keys/demo-TEST-ONLY.pub"))
        .arg("--snapshot")
        .arg(fixtures().join("demo-published"))
        .args(["--region", "US", "--no-cache", "--no-history"])
        .arg(&inventory)
        .run()
        .expect(1);
    assert_eq!(matches(&offline.stdout), matches(&demo.stdout));
    assert_eq!(matches(&demo.stdout).len(), 3, "{}", demo.stdout);

    // A new epoch is a new quota: the client refused above is served again
    // (and 313 555 0104 is on the demo list).
    let refilled = client(
        &lab,
        &[
            "check",
            "--region",
            "US",
            "--token-file",
            s(&small),
            "-n",
            "313 555 0104",
            "-n",
            "(313) 555-0104",
            "--format",
            "json",
        ],
    )
    .run()
    .expect(1);
    assert!(
        refilled.stderr.contains("asking https://127.0.0.1"),
        "{}",
        refilled.stderr
    );
    // One number written twice is one evaluation, and counted once.
    let summary: serde_json::Value = serde_json::from_str(&refilled.stdout).unwrap();
    assert_eq!(summary["summary"]["hashed"], 1, "{}", refilled.stdout);
    assert!(log_of(&lab).contains("client=small count=1 outcome=ok"));

    // The log names clients, counts and outcomes, never an element.
    let log = log_of(&lab);
    assert!(
        log.contains("client=acme count=10 outcome=ok")
            && log.contains("client=small count=1 outcome=quota_exhausted"),
        "{log}"
    );
    assert!(
        !log.split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() >= 64),
        "no element bytes in the log: {log}"
    );
}

/// What a hostile evaluation service does to an honest answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hostile {
    /// Evaluates with another key, with a valid proof for that key.
    OtherKey,
    /// Swaps two evaluated elements of an honest answer.
    Swapped,
    /// Has other elements evaluated (a valid proof, on the wrong elements).
    WrongElements,
    /// Drops the last evaluated element.
    Fewer,
    /// Answers 200 with a page that is no evaluation.
    Garbage,
    /// Announces more bytes than it sends.
    Truncated,
    /// Sends bytes without end.
    Endless,
    /// Sends an honest answer a byte at a time, slower than the timeout.
    Slow,
    /// Redirects to the honest service (the token must not follow).
    Redirect,
}

/// POSTs `body` with `token` to the service on `port`; the status and body.
fn post(port: u16, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&answer[9..12]).parse().unwrap();
    (status, answer[split + 4..].to_vec())
}

fn tampered(mode: Hostile, honest: u16, req: &Request) -> Reply {
    use hushlist::format::evaluation::{Answer, Request as Asked};
    let token = req.header("authorization").unwrap_or_default().to_string();
    let asked: Asked = serde_json::from_slice(&req.body).unwrap();
    let (_, blinded) = asked.decode().unwrap();
    let ok = |answer: Answer| Reply::Full {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&answer).unwrap(),
    };
    let forward = |body: &[u8]| {
        let (status, body) = post(honest, &token, body);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice::<Answer>(&body).unwrap()
    };
    match mode {
        Hostile::OtherKey => {
            let other = OprfSeed::from_bytes([3; 32]).epoch_key(&[4; 32]);
            let (evaluated, proof) = other.evaluate(&blinded).unwrap();
            ok(Answer::new(&evaluated, &proof))
        }
        Hostile::Swapped => {
            let mut answer = forward(&req.body);
            answer.evaluated.swap(0, 1);
            ok(answer)
        }
        Hostile::WrongElements => {
            let mut elements = blinded.clone();
            elements[0] = Blinded::new(&["+15550000000".to_string()]).elements[0];
            let body = serde_json::to_vec(&Asked::new(&asked.decode().unwrap().0, &elements));
            ok(forward(&body.unwrap()))
        }
        Hostile::Fewer => {
            let mut answer = forward(&req.body);
            answer.evaluated.pop();
            ok(answer)
        }
        Hostile::Garbage => Reply::Full {
            status: 200,
            headers: vec![],
            body: b"<html><body>Welcome to the captive portal</body></html>".to_vec(),
        },
        Hostile::Truncated => {
            let body = serde_json::to_vec(&forward(&req.body)).unwrap();
            Reply::Truncated {
                announced: body.len() as u64,
                body: body[..body.len() / 2].to_vec(),
            }
        }
        Hostile::Endless => Reply::Endless,
        Hostile::Slow => Reply::Drip {
            body: serde_json::to_vec(&forward(&req.body)).unwrap(),
            delay: Duration::from_millis(100),
        },
        Hostile::Redirect => Reply::redirect(&format!("http://127.0.0.1:{honest}/evaluate")),
    }
}

#[test]
fn a_hostile_evaluation_service_is_refused_and_nothing_of_its_answers_is_kept() {
    let lab = Lab::new();
    oprf_keygen(&lab);
    lab.publish_sealed("pub", LISTED, &lab.path("keys/pub.oprf.key"))
        .expect(0);
    let honest = Service::start(&lab, "pub", 0);
    let token = add_client(&lab, "acme", 10_000);
    client(
        &lab,
        &[
            "init",
            "--allow-http",
            "--key",
            s(&lab.public()),
            "--url",
            "http://127.0.0.1:1/",
        ],
    )
    .run()
    .expect(0);
    client(&lab, &["import", s(&lab.path("pub"))])
        .run()
        .expect(0);

    let mode = std::sync::Arc::new(std::sync::Mutex::new(Hostile::Garbage));
    let (shared, port) = (mode.clone(), honest.port);
    let hostile = Server::start(move |req| tampered(*shared.lock().unwrap(), port, req));
    let check = |url: &str| {
        client(
            &lab,
            &[
                "check",
                "--region",
                "US",
                "--token-file",
                s(&token),
                "--evaluation-url",
                url,
                "--evaluation-timeout",
                "2",
                "-n",
                "313 555 0142",
                "-n",
                "313 555 0199",
            ],
        )
        .run()
    };
    let cases = [
        (
            Hostile::OtherKey,
            "proof does not verify against the snapshot's OPRF public key",
        ),
        (Hostile::Swapped, "proof does not verify"),
        (Hostile::WrongElements, "proof does not verify"),
        (Hostile::Fewer, "1 evaluated elements for 2 blinded ones"),
        (Hostile::Garbage, "the answer is not an evaluation"),
        (Hostile::Truncated, "answer cut off"),
        (Hostile::Endless, "answer longer than"),
        (Hostile::Slow, "within 2 s"),
        (Hostile::Redirect, "redirects are not followed"),
    ];
    let url = format!("{}/evaluate", hostile.url());
    for (case, says) in cases {
        *mode.lock().unwrap() = case;
        let started = Instant::now();
        let r = check(&url).expect(2);
        assert!(r.stderr.contains(says), "{case:?}: {}", r.stderr);
        assert!(
            r.stdout.is_empty() && !r.stderr.contains("MATCH"),
            "{case:?}: nothing concluded: {}",
            r.stdout
        );
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{case:?} took too long"
        );
    }
    // The token went with each request to the URL given, and nowhere else.
    assert!(hostile.requests().iter().all(|r| r
        .header("authorization")
        .is_some_and(|t| t.starts_with("Bearer hlt_"))));
    let redirected = log_of(&lab);
    assert_eq!(
        redirected.matches("outcome=ok").count(),
        5,
        "only the forwarding cases reached the honest service: {redirected}"
    );

    // Nothing from a refused answer was cached: without a service the
    // numbers cannot be checked; with the honest one they are.
    let r = check("http://127.0.0.1:1/evaluate").expect(2);
    assert!(r.stderr.contains("evaluation service"), "{}", r.stderr);
    let r = check(&honest.url()).expect(1);
    assert!(r.stdout.contains("MATCH +13135550142"), "{}", r.stdout);
}

#[test]
fn an_air_gapped_site_carries_blinded_numbers_out_and_checks_offline() {
    let lab = Lab::new();
    oprf_keygen(&lab);
    lab.publish_sealed("pub", LISTED, &lab.path("keys/pub.oprf.key"))
        .expect(0);
    let service = Service::start(&lab, "pub", 0);
    let token = add_client(&lab, "acme", 100);
    client(&lab, &["init", "--key", s(&lab.public())])
        .run()
        .expect(0);
    client(&lab, &["import", s(&lab.path("pub"))])
        .run()
        .expect(0);
    let numbers = ["-n", "313 555 0142", "-n", "313 555 0199"];

    // The air-gapped machine: blinded numbers out, blinds kept.
    let (request, response) = (
        lab.path("carry/request.json"),
        lab.path("carry/response.json"),
    );
    fs::create_dir_all(lab.path("carry")).unwrap();
    let mut args = vec![
        "prewarm",
        "--region",
        "US",
        "--epoch",
        "current",
        "--request-file",
    ];
    args.push(s(&request));
    args.extend_from_slice(&numbers);
    let wrote = client(&lab, &args).run().expect(0);
    assert!(
        wrote.stdout.contains("wrote 2 blinded numbers")
            && wrote.stdout.contains("hushlist evaluate"),
        "{}",
        wrote.stdout
    );
    let carried = fs::read_to_string(&request).unwrap();
    assert!(
        !carried.contains("3135550142") && !carried.contains("3135550199"),
        "only blinded values travel: {carried}"
    );

    // Any machine online, with no state and no snapshot.
    let evaluated = Cmd::new(&hushlist())
        .args(["evaluate", "--allow-http", "--request-file", s(&request)])
        .args([
            "--response-file",
            s(&response),
            "--evaluation-url",
            &service.url(),
        ])
        .args(["--token-file", s(&token)])
        .run()
        .expect(0);
    assert!(
        evaluated.stdout.contains("evaluated 2 blinded numbers"),
        "{}",
        evaluated.stdout
    );

    // A damaged answer is refused whole, and the request stays open.
    let mut damaged: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&response).unwrap()).unwrap();
    let answers = damaged["answers"][0]["evaluated"].as_array_mut().unwrap();
    answers.swap(0, 1);
    let bad = lab.write("carry/damaged.json", &damaged.to_string());
    let refused = client(
        &lab,
        &["prewarm", "--epoch", "current", "--response-file", s(&bad)],
    )
    .run()
    .expect(2);
    assert!(
        refused.stderr.contains("refused") && refused.stderr.contains("proof does not verify"),
        "{}",
        refused.stderr
    );

    client(
        &lab,
        &[
            "prewarm",
            "--epoch",
            "current",
            "--response-file",
            s(&response),
        ],
    )
    .run()
    .expect(0);
    let offline = Cmd::new(Path::new("unshare"))
        .env("HUSHLIST_CACHE_DIR", lab.path("cache"))
        .env("HUSHLIST_HISTORY_DIR", lab.path("runs"))
        .args(["-n", s(&hushlist()), "--state-dir", s(&lab.path("state"))])
        .args(["check", "--region", "US"])
        .args(numbers)
        .run();
    assert_eq!(offline.code, 1, "{}{}", offline.stdout, offline.stderr);
    assert!(
        offline.stdout.contains("MATCH +13135550142"),
        "{}",
        offline.stdout
    );
    assert!(
        !offline.stdout.contains("MATCH +13135550199"),
        "{}",
        offline.stdout
    );

    // A blind serves once.
    let again = client(
        &lab,
        &[
            "prewarm",
            "--epoch",
            "current",
            "--response-file",
            s(&response),
        ],
    )
    .run()
    .expect(2);
    assert!(again.stderr.contains("has finished"), "{}", again.stderr);
}
