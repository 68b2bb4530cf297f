//! A real nginx on 127.0.0.1 serves a published directory over HTTP and HTTPS
//! (with a CA made at test time), as the README tells publishers to do.

use crate::common::*;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    child: Child,
    pub http: u16,
    pub https: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is needed (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and a certificate for 127.0.0.1 signed by it.
pub fn make_ca(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend_from_slice(&ec);
    ca.extend_from_slice(&[
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=hushlist test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend_from_slice(&ec);
    csr.extend_from_slice(&[
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &csr);
    fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn start_nginx(prefix: &Path, root: &Path, tls: &Path) -> Nginx {
    start_nginx_on(prefix, root, tls, (free_port(), free_port()), "")
}

/// nginx serving `root` on the `(http, https)` ports, with `extra` lines
/// in its server block (a reverse proxy to the evaluation service).
pub fn start_nginx_on(
    prefix: &Path,
    root: &Path,
    tls: &Path,
    (http, https): (u16, u16),
    extra: &str,
) -> Nginx {
    fs::create_dir_all(prefix.join("tmp")).unwrap();
    let p = prefix.display();
    let conf = format!(
        r#"daemon off;
master_process off;
user root;
pid {p}/nginx.pid;
error_log {p}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/tmp; proxy_temp_path {p}/tmp; fastcgi_temp_path {p}/tmp;
    uwsgi_temp_path {p}/tmp; scgi_temp_path {p}/tmp;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{http};
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {tls}/server.pem;
        ssl_certificate_key {tls}/server.key;
        root {root};
        location = /manifest.json {{ add_header Cache-Control "no-cache"; }}
        location ^~ /downgrade/ {{ rewrite ^/downgrade/(.*)$ http://127.0.0.1:{http}/$1 redirect; }}
        location ~ \.hushlist$ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
        {extra}
    }}
}}
"#,
        tls = tls.display(),
        root = root.display()
    );
    fs::write(prefix.join("nginx.conf"), conf).unwrap();
    let nginx = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let child = Command::new(nginx)
        .args([
            "-p",
            &p.to_string(),
            "-c",
            &prefix.join("nginx.conf").display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx is needed (apt-get install nginx)");
    let server = Nginx { child, http, https };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", https)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {}",
            fs::read_to_string(prefix.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn client(lab: &Lab, state: &str, args: &[&str]) -> Run {
    let state = lab.path(state);
    let mut all = vec!["--state-dir", s(&state)];
    all.extend_from_slice(args);
    run(&hushlist(), &all)
}

#[test]
fn init_update_check_through_nginx_over_https_and_http() {
    let lab = Lab::new();
    lab.publish("pub", LISTED, &[]).expect(0);
    make_ca(&lab.path("tls"));
    let nginx = start_nginx(&lab.path("nginx"), &lab.path("pub"), &lab.path("tls"));
    let (key, ca) = (lab.public(), lab.path("tls/ca.pem"));
    let https = format!("https://127.0.0.1:{}/", nginx.https);

    client(
        &lab,
        "s1",
        &[
            "init",
            "--key",
            s(&key),
            "--url",
            &https,
            "--ca-cert",
            s(&ca),
        ],
    )
    .expect(0);
    let r = client(&lab, "s1", &["update"]).expect(0);
    assert!(
        r.stdout
            .contains("installed snapshot #1 from https://127.0.0.1"),
        "{}",
        r.stdout
    );
    client(
        &lab,
        "s1",
        &["check", "--region", "US", "-n", "(313) 555-0142"],
    )
    .expect(1);
    client(
        &lab,
        "s1",
        &["check", "--region", "US", "-n", "(313) 555-0143"],
    )
    .expect(0);
    let r = client(&lab, "s1", &["update"]).expect(0);
    assert!(
        r.stdout.contains("not modified"),
        "nginx answers If-None-Match with 304: {}",
        r.stdout
    );
    let log = fs::read_to_string(lab.path("nginx/access.log")).unwrap();
    assert!(log.contains("\"GET /manifest.json HTTP/1.1\" 304"), "{log}");

    // nginx's ETag is the modification time in whole seconds plus the size:
    // a publication within the same second could look unchanged.
    std::thread::sleep(Duration::from_millis(1100));
    lab.publish("pub", "313 555 0177\n", &[]).expect(0);
    let r = client(&lab, "s1", &["update"]).expect(0);
    assert!(r.stdout.contains("#1 -> #2"), "{}", r.stdout);
    let r = client(&lab, "s1", &["update", "--force"]).expect(0);
    assert!(
        r.stdout.contains("already current: snapshot #2"),
        "{}",
        r.stdout
    );

    // Without the test CA the certificate is not trusted: an error, nothing installed.
    client(&lab, "s2", &["init", "--key", s(&key), "--url", &https]).expect(0);
    let r = client(&lab, "s2", &["update", "--retries", "0"]).expect(2);
    assert!(
        r.stderr.contains("invalid peer certificate")
            && r.stderr
                .contains("give the certificate of the CA that issued it"),
        "{}",
        r.stderr
    );

    let http = format!("http://127.0.0.1:{}", nginx.http);
    let r = client(&lab, "s3", &["init", "--key", s(&key), "--url", &http]).expect(2);
    assert!(r.stderr.contains("--allow-http"), "{}", r.stderr);
    let r = client(
        &lab,
        "s3",
        &["init", "--allow-http", "--key", s(&key), "--url", &http],
    )
    .expect(0);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("http://"),
        "{}",
        r.stderr
    );
    client(&lab, "s3", &["update"]).expect(0);

    // An https:// source that redirects to http:// is refused, whatever was allowed.
    let down = format!("https://127.0.0.1:{}/downgrade/", nginx.https);
    client(
        &lab,
        "s4",
        &[
            "init",
            "--allow-http",
            "--key",
            s(&key),
            "--url",
            &down,
            "--ca-cert",
            s(&ca),
        ],
    )
    .expect(0);
    let r = client(&lab, "s4", &["update", "--retries", "0"]).expect(2);
    assert!(
        r.stderr
            .contains("refusing a redirect from https:// to http://"),
        "{}",
        r.stderr
    );
    client(
        &lab,
        "s3",
        &["check", "--region", "US", "-n", "313 555 0177"],
    )
    .expect(1);
}

/// An auditor with only the original key and a URL: a static host lists no
/// directory, so `audit URL` copies the history itself (names from the
/// format), `keys` gives the current key for stock minisign, and `verify URL`
/// judges the newest snapshot.
#[test]
fn an_auditor_audits_a_served_history_across_a_rotation_from_its_url() {
    let lab = Lab::new();
    for n in ["313 555 0101\n", "313 555 0102\n", "313 555 0103\n"] {
        lab.publish("pub", n, &[]).expect(0);
    }
    let new_key = lab.rotate_and_revoke();
    lab.build(&new_key, "pub", "313 555 0104\n", &["--kdf", "blake3"])
        .expect(0);
    make_ca(&lab.path("tls"));
    let nginx = start_nginx(&lab.path("nginx"), &lab.path("pub"), &lab.path("tls"));
    let (old, ca) = (lab.public(), lab.path("tls/ca.pem"));
    let https = format!("https://127.0.0.1:{}/", nginx.https);

    let copy = lab.path("copy");
    let r = lab
        .hushlist("audit")
        .arg("--key")
        .arg(&old)
        .arg("--ca-cert")
        .arg(&ca)
        .arg("--into")
        .arg(&copy)
        .arg(&https)
        .run()
        .expect(0);
    assert!(
        r.stdout
            .starts_with("CHAIN OK: 4 snapshot(s), 1 key rotation(s)"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr.contains("4 snapshot(s), 1 rotation statement(s)"),
        "{}",
        r.stderr
    );
    // The same head as auditing the publisher's own directory.
    let here = lab
        .hushlist("audit")
        .arg("--key")
        .arg(&old)
        .arg(lab.path("pub"))
        .run();
    assert_eq!(r.stdout, here.expect(0).stdout);

    // The current key, for stock minisign after the rotation.
    let current = lab.path("current.pub");
    let r = lab
        .hushlist("keys")
        .arg("--key")
        .arg(&old)
        .arg("--write-pub")
        .arg(&current)
        .arg(&copy)
        .run()
        .expect(0);
    assert!(
        r.stdout.contains("REVOKED by rotation statement 1") && r.stdout.contains("current"),
        "{}",
        r.stdout
    );
    let newest = copy.join("snapshot-00000004.hushlist");
    run_program("minisign", &["-Vm", s(&newest), "-p", s(&current)]).expect(0);
    assert_ne!(
        run_program("minisign", &["-Vm", s(&newest), "-p", s(&old)]).code,
        0,
        "the old key does not verify the new files"
    );

    let r = lab
        .hushlist("verify")
        .arg("--key")
        .arg(&old)
        .arg("--ca-cert")
        .arg(&ca)
        .arg("--into")
        .arg(lab.path("latest"))
        .arg(&https)
        .run()
        .expect(0);
    assert!(r.stdout.contains("snapshot #4"), "{}", r.stdout);
    assert!(
        !lab.path("latest/snapshot-00000001.hushlist").exists(),
        "verify copies the newest snapshot only"
    );

    // A copy never goes among other files; plain http must be asked for.
    let again = lab
        .hushlist("audit")
        .arg("--key")
        .arg(&old)
        .arg("--ca-cert")
        .arg(&ca)
        .arg("--into")
        .arg(&copy)
        .arg(&https)
        .run()
        .expect(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let http = format!("http://127.0.0.1:{}/", nginx.http);
    let plain = lab
        .hushlist("audit")
        .arg("--key")
        .arg(&old)
        .arg("--into")
        .arg(lab.path("plain"))
        .arg(&http)
        .run()
        .expect(2);
    assert!(plain.stderr.contains("--allow-http"), "{}", plain.stderr);
}
