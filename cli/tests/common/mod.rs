//! Shared helpers: run the real binaries in fresh temporary directories.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn hushlist() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hushlist"))
}

/// The publisher binary lives in another workspace crate; `cargo test --workspace`
/// builds it beside ours before any test runs.
pub fn publisher() -> PathBuf {
    let path =
        hushlist().with_file_name(format!("hushlist-publish{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not built: run `cargo test --workspace`",
        path.display()
    );
    path
}

/// The workspace root (this crate lives in `cli/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

pub fn fixtures() -> PathBuf {
    repo().join("fixtures")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

pub fn run(bin: &Path, args: &[&str]) -> Run {
    run_with_stdin(bin, args, "")
}

pub fn run_with_stdin(bin: &Path, args: &[&str], stdin: &str) -> Run {
    run_full(bin, args, &[], stdin)
}

/// Runs `bin` with a clean environment plus `env`.
pub fn run_full(bin: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

/// Runs an arbitrary program (minisign, unshare).
pub fn run_program(program: &str, args: &[&str]) -> Run {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed by this test (apt-get install {program}): {e}")
        });
    Run::from(out)
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A temporary work area with a fresh key pair and helpers to publish into it.
pub struct Lab {
    pub dir: tempfile::TempDir,
}

impl Lab {
    pub fn new() -> Self {
        let lab = Lab {
            dir: tempfile::tempdir().unwrap(),
        };
        run(
            &publisher(),
            &[
                "keygen",
                "--unencrypted",
                "--out-dir",
                s(&lab.path("keys")),
                "--name",
                "pub",
            ],
        )
        .expect(0);
        lab
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn key(&self) -> PathBuf {
        self.path("keys/pub.key")
    }

    pub fn public(&self) -> PathBuf {
        self.path("keys/pub.pub")
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Publishes `numbers` (one per line) into `out` with the fast hash.
    pub fn publish(&self, out: &str, numbers: &str, extra: &[&str]) -> Run {
        let mut args = vec!["--kdf", "blake3"];
        args.extend_from_slice(extra);
        self.build(&self.key(), out, numbers, &args)
    }

    /// Runs `hushlist-publish build` with `key` (default hash unless `extra` says otherwise).
    pub fn build(&self, key: &Path, out: &str, numbers: &str, extra: &[&str]) -> Run {
        let list = self.write(&format!("{out}.list.txt"), numbers);
        let out = self.path(out);
        let mut args = vec![
            "build",
            "--key",
            s(key),
            "--input",
            s(&list),
            "--region",
            "US",
            "--out",
            s(&out),
        ];
        args.extend_from_slice(extra);
        run(&publisher(), &args)
    }

    /// Makes a new key pair and publishes into `pub/` a statement, signed by the
    /// lab's key, that introduces it and revokes the lab's key. Returns the new
    /// secret key's path.
    pub fn rotate_and_revoke(&self) -> PathBuf {
        let dir = self.path("newkeys");
        run(
            &publisher(),
            &[
                "keygen",
                "--unencrypted",
                "--out-dir",
                s(&dir),
                "--name",
                "new",
            ],
        )
        .expect(0);
        let (old, new_pub, out) = (self.key(), dir.join("new.pub"), self.path("pub"));
        run(
            &publisher(),
            &[
                "rotate-key",
                "--key",
                s(&old),
                "--new-key",
                s(&new_pub),
                "--out",
                s(&out),
                "--revoke-old",
            ],
        )
        .expect(0);
        dir.join("new.key")
    }

    pub fn check(&self, snapshot: &str, extra: &[&str]) -> Run {
        self.check_env(snapshot, extra, &[])
    }

    /// [`Lab::check`] with `env` added to the clean environment.
    pub fn check_env(&self, snapshot: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let snap = self.path(snapshot);
        let public = self.public();
        let mut args = vec![
            "check",
            "--key",
            s(&public),
            "--snapshot",
            s(&snap),
            "--region",
            "US",
        ];
        args.extend_from_slice(extra);
        run_full(&hushlist(), &args, env, "")
    }

    pub fn verify(&self, path: &str, extra: &[&str]) -> Run {
        let p = self.path(path);
        let public = self.public();
        let mut args = vec!["verify", "--key", s(&public), s(&p)];
        args.extend_from_slice(extra);
        run(&hushlist(), &args)
    }
}

pub const LISTED: &str = "(313) 555-0101\n+1 313 555 0142\n";
