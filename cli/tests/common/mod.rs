//! Shared helpers: run the real binaries in fresh temporary directories.
#![allow(dead_code)]

pub mod server;

use std::ffi::OsStr;
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
    Cmd::new(bin).args(args).run()
}

pub fn run_with_stdin(bin: &Path, args: &[&str], stdin: &str) -> Run {
    Cmd::new(bin).args(args).stdin(stdin).run()
}

/// Runs `bin` with a clean environment plus `env`.
pub fn run_full(bin: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut cmd = Cmd::new(bin).args(args).stdin(stdin);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

/// One run of a real binary, built up as
/// `lab.hushlist("check").args([..]).env("K", "v").stdin("..").run()`.
/// The environment starts empty but for `PATH`, so a developer's own
/// `HUSHLIST_*` variables or `~/.config` never leak into a test.
pub struct Cmd {
    command: Command,
    stdin: Vec<u8>,
}

impl Cmd {
    pub fn new(bin: &Path) -> Self {
        let mut command = Command::new(bin);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        Cmd {
            command,
            stdin: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Self {
        self.stdin = text.into();
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn run(mut self) -> Run {
        use std::io::Write;
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", self.command.get_program()));
        // A program that exits before reading its input closes the pipe: that
        // is its answer, not the test's failure.
        let _ = child.stdin.take().unwrap().write_all(&self.stdin);
        Run::from(child.wait_with_output().unwrap())
    }
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
        lab.publisher("keygen")
            .args(["--unencrypted", "--name", "pub", "--out-dir"])
            .arg(lab.path("keys"))
            .run()
            .expect(0);
        lab
    }

    /// `hushlist SUBCOMMAND`, to be given its arguments.
    pub fn hushlist(&self, subcommand: &str) -> Cmd {
        Cmd::new(&hushlist()).arg(subcommand)
    }

    /// `hushlist-publish SUBCOMMAND`, to be given its arguments.
    pub fn publisher(&self, subcommand: &str) -> Cmd {
        Cmd::new(&publisher()).arg(subcommand)
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

    /// Publishes `numbers` into `out` sealed with the OPRF key file
    /// `oprf_key`, naming an evaluation service no test reaches (clients
    /// are given the real one with --evaluation-url).
    pub fn publish_sealed(&self, out: &str, numbers: &str, oprf_key: &Path) -> Run {
        let oprf_key = oprf_key.to_str().unwrap();
        let args = ["--kdf", "voprf", "--oprf-key", oprf_key];
        let url = ["--evaluation-url", "https://127.0.0.1:1/evaluate"];
        self.build(&self.key(), out, numbers, &[&args[..], &url[..]].concat())
    }

    /// Runs `hushlist-publish build` with `key` (default hash unless `extra` says otherwise).
    pub fn build(&self, key: &Path, out: &str, numbers: &str, extra: &[&str]) -> Run {
        let list = self.write(&format!("{out}.list.txt"), numbers);
        self.publisher("build")
            .arg("--key")
            .arg(key)
            .arg("--input")
            .arg(list)
            .args(["--region", "US", "--out"])
            .arg(self.path(out))
            .args(extra)
            .run()
    }

    /// Makes a new key pair and publishes into `pub/` a statement, signed by the
    /// lab's key, that introduces it and revokes the lab's key. Returns the new
    /// secret key's path.
    pub fn rotate_and_revoke(&self) -> PathBuf {
        let dir = self.path("newkeys");
        self.publisher("keygen")
            .args(["--unencrypted", "--name", "new", "--out-dir"])
            .arg(&dir)
            .run()
            .expect(0);
        self.publisher("rotate-key")
            .arg("--key")
            .arg(self.key())
            .arg("--new-key")
            .arg(dir.join("new.pub"))
            .arg("--out")
            .arg(self.path("pub"))
            .arg("--revoke-old")
            .run()
            .expect(0);
        dir.join("new.key")
    }

    pub fn check(&self, snapshot: &str, extra: &[&str]) -> Run {
        self.check_env(snapshot, extra, &[])
    }

    /// [`Lab::check`] with `env` added to the clean environment.
    pub fn check_env(&self, snapshot: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self
            .hushlist("check")
            .arg("--key")
            .arg(self.public())
            .arg("--snapshot")
            .arg(self.path(snapshot))
            .args(["--region", "US"])
            .args(extra);
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        cmd.run()
    }

    pub fn verify(&self, path: &str, extra: &[&str]) -> Run {
        self.hushlist("verify")
            .arg("--key")
            .arg(self.public())
            .arg(self.path(path))
            .args(extra)
            .run()
    }
}

pub const LISTED: &str = "(313) 555-0101\n+1 313 555 0142\n";
