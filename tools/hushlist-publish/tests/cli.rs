//! The publisher's command line. (This integration test also makes
//! `cargo test --workspace` build the `hushlist-publish` binary, which the
//! end-to-end tests of the `hushlist` package run.)

use std::process::Command;

fn publish(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hushlist-publish"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let (code, out, _) = publish(&["--help"]);
    assert_eq!(code, 0);
    for word in ["keygen", "build", "rotate-key", "Exit codes"] {
        assert!(out.contains(word), "{word} missing from:\n{out}");
    }
}

#[test]
fn missing_key_is_an_error_that_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.key");
    let (code, _, err) = publish(&[
        "build",
        "--key",
        missing.to_str().unwrap(),
        "--input",
        "-",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("nope.key") && err.contains("No such file"),
        "{err}"
    );
}
