//! One runner for every refusal vector in `fixtures/vectors/refusals/`: each
//! directory is a publication and its `case.txt` says which error must refuse
//! it (`expect:`, the variant) and what the message says (`message:`). A new
//! case is a new directory; no code changes. The library verifies at the
//! case's `now`; the real `hushlist verify` must agree at the real time.

use crate::common::*;
use hushlist::published;
use hushlist::{Keyring, List, OpenError, Policy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    fixtures().join("vectors/refusals")
}

fn key_file() -> PathBuf {
    fixtures().join("vectors/test-vector-key.pub")
}

/// The `key: value` lines of a `case.txt` (`#` starts a comment line).
fn read_case(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("case.txt"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("{}: not `key: value`: {l}", dir.display()));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// The name of the variant that refused: the verification step's when
/// verification refused, else the file error's.
fn variant(e: &OpenError) -> String {
    let debug = match e {
        OpenError::Files(published::Error::Verify { source, .. }) => format!("{source:?}"),
        OpenError::Files(other) => format!("{other:?}"),
        other => format!("{other:?}"),
    };
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_refusal_vector_is_refused_by_the_step_it_names() {
    let key = published::read_public_key(&key_file()).unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("fixtures/vectors/refusals exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "only {} refusal vectors", dirs.len());
    let mut refused = 0;
    for dir in &dirs {
        let case = read_case(dir);
        let field = |k: &str| {
            case.get(k)
                .unwrap_or_else(|| panic!("{}: no `{k}:` line", dir.display()))
                .as_str()
        };
        let now: i64 = field("now").parse().expect("now is Unix seconds");
        let (expect, message) = (field("expect"), field("message"));
        let exit: i32 = field("exit").parse().expect("exit is a number");
        let opened = List::open_with(dir, &Keyring::pinned(key.clone()), Policy::at(now));
        let cli = run(&hushlist(), &["verify", "--key", s(&key_file()), s(dir)]);
        match (expect, opened) {
            ("accept", Ok(_)) => {
                cli.expect(exit);
            }
            ("accept", Err(e)) => panic!("{}: refused: {e}", dir.display()),
            (_, Ok(_)) => panic!("{}: accepted, wanted {expect}", dir.display()),
            (_, Err(e)) => {
                assert_eq!(variant(&e), expect, "{}: {e}", dir.display());
                assert!(
                    e.to_string().contains(message),
                    "{}: message {e:?} lacks {message:?}",
                    dir.display()
                );
                let said = e.to_string();
                assert!(
                    said.matches(s(dir)).count() <= 1,
                    "{}: names a path twice: {said}",
                    dir.display()
                );
                let cli = cli.expect(exit);
                assert!(
                    cli.stderr.contains(message),
                    "{}: hushlist verify said {}",
                    dir.display(),
                    cli.stderr
                );
                refused += 1;
            }
        }
    }
    assert_eq!(refused, dirs.len() - 1, "one control, every other refused");
}
