//! Secret keys: passphrase-encrypted in minisign's format, interchangeable with
//! the stock `minisign` both ways, and a key directory others cannot write.

use crate::common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

const PASSPHRASE: &str = "TEST-ONLY correct horse battery staple";

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Runs a shell line with `$P` set to the publisher, no controlling terminal
/// (`setsid`), and a clean environment plus `env`.
fn sh(line: &str, env: &[(&str, &str)]) -> Run {
    let out = Command::new("setsid")
        .args(["-w", "sh", "-c", line])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("P", publisher())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("setsid and sh are needed by this test");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `minisign` with `input` on its standard input (it reads the passphrase
/// there when standard input is not a terminal).
fn minisign(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new("minisign")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("minisign is needed by this test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn keygen_under_umask_000_makes_private_directories() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a/b/keys");
    sh(
        &format!(
            "umask 000; exec \"$P\" keygen --unencrypted --out-dir {}",
            s(&out)
        ),
        &[],
    )
    .expect(0);
    for d in [dir.path().join("a"), dir.path().join("a/b"), out.clone()] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    assert_eq!(mode(&out.join("hushlist.key")), 0o600);
}

#[test]
fn keygen_refuses_a_directory_others_can_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared");
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let r = run(
        &publisher(),
        &["keygen", "--unencrypted", "--out-dir", s(&out)],
    )
    .expect(2);
    assert!(r.stderr.contains("writable by others"), "{}", r.stderr);
    assert!(fs::read_dir(&out).unwrap().next().is_none(), "wrote a key");
}

#[test]
fn keygen_without_a_passphrase_or_terminal_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let r = sh(&format!("exec \"$P\" keygen --out-dir {}", s(&out)), &[]).expect(2);
    assert!(
        r.stderr.contains("--passphrase-file")
            && r.stderr.contains("HUSHLIST_PASSPHRASE")
            && r.stderr.contains("--unencrypted"),
        "{}",
        r.stderr
    );
    assert!(!out.join("hushlist.key").exists());
}

#[test]
fn hushlist_key_signs_with_minisign_and_wrong_passphrase_is_named() {
    let lab = Lab::new();
    let keys = lab.path("enc");
    let r = run_full(
        &publisher(),
        &["keygen", "--out-dir", s(&keys), "--name", "enc"],
        &[("HUSHLIST_PASSPHRASE", PASSPHRASE)],
        "",
    )
    .expect(0);
    assert!(r.stdout.contains("encrypted"), "{}", r.stdout);
    let (secret, public) = (keys.join("enc.key"), keys.join("enc.pub"));
    assert!(!fs::read_to_string(&secret).unwrap().contains("unencrypted"));

    // The stock minisign decrypts it with the passphrase and signs.
    let msg = lab.write("m.txt", "signed by minisign with a hushlist key\n");
    minisign(
        &["-S", "-s", s(&secret), "-m", s(&msg)],
        &format!("{PASSPHRASE}\n"),
    )
    .expect(0);
    run_program("minisign", &["-V", "-p", s(&public), "-m", s(&msg)]).expect(0);
    let refused = minisign(
        &["-S", "-s", s(&secret), "-m", s(&msg)],
        "not the passphrase\n",
    );
    assert!(
        refused.code != 0 && refused.stderr.contains("Wrong password"),
        "{}",
        refused.stderr
    );

    // hushlist-publish reads it from a file (here a file descriptor) ...
    let list = lab.write("list.txt", LISTED);
    let pw = lab.write("pw.txt", &format!("{PASSPHRASE}\n"));
    let build = |out: &str, pw: &Path| {
        sh(
            &format!(
                "exec 3<{}; exec \"$P\" build --key {} --input {} --region US --kdf blake3 \
                 --out {} --passphrase-file /dev/fd/3",
                s(pw),
                s(&secret),
                s(&list),
                s(&lab.path(out))
            ),
            &[],
        )
    };
    build("pub", &pw).expect(0);
    run(
        &hushlist(),
        &["verify", "--key", s(&public), s(&lab.path("pub"))],
    )
    .expect(0);
    // ... and names a wrong one, publishing nothing.
    let wrong = lab.write("wrong.txt", "not the passphrase\n");
    let r = build("pub2", &wrong).expect(2);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert!(!lab.path("pub2/manifest.json").exists());
    // Without any passphrase and no terminal: an error that says what to do.
    let r = sh(
        &format!(
            "exec \"$P\" build --key {} --input {} --region US --kdf blake3 --out {}",
            s(&secret),
            s(&list),
            s(&lab.path("pub3"))
        ),
        &[],
    )
    .expect(2);
    assert!(
        r.stderr.contains("encrypted") && r.stderr.contains("--passphrase-file"),
        "{}",
        r.stderr
    );
}

#[test]
fn minisign_key_signs_with_hushlist_publish() {
    let lab = Lab::new();
    let (secret, public) = (lab.path("ms.key"), lab.path("ms.pub"));
    minisign(
        &["-G", "-p", s(&public), "-s", s(&secret)],
        &format!("{PASSPHRASE}\n{PASSPHRASE}\n"),
    )
    .expect(0);
    let list = lab.write("list.txt", LISTED);
    run_full(
        &publisher(),
        &[
            "build",
            "--key",
            s(&secret),
            "--input",
            s(&list),
            "--region",
            "US",
            "--kdf",
            "blake3",
            "--out",
            s(&lab.path("pub")),
        ],
        &[("HUSHLIST_PASSPHRASE", PASSPHRASE)],
        "",
    )
    .expect(0);
    let snapshot = lab.path("pub/snapshot-00000001.hushlist");
    run_program("minisign", &["-V", "-p", s(&public), "-m", s(&snapshot)]).expect(0);
    run(
        &hushlist(),
        &["verify", "--key", s(&public), s(&lab.path("pub"))],
    )
    .expect(0);
}
