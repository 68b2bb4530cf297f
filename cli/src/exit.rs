//! The exit codes: the table the help text prints (and the README copies)
//! and the one function that turns a result into a code, side by side so
//! they cannot drift apart.

/// The table, as `--help` shows it.
pub const EXIT_CODES: &str = "\
Exit codes:
  check:          0 no listed number, 1 at least one possible match, 2 error (nothing
                  concluded; for a sealed snapshot also an evaluation service that
                  cannot be reached, refuses the token or quota, or whose answer fails
                  verification: nothing of that answer is kept); with --strict, when some cells were not numbers
                  or an input had a warning (numbers may have gone unread), and
                  always when a quote left open may have hidden rows (they are
                  read again, but the file is damaged):
                  3 no match among the rest, 4 possible matches among the rest
  explain:        0 success, 2 error
  prewarm:        0 success, 2 error (what was hashed or verified before it is kept)
  verify:         0 valid, 1 refused (signature, digest, expiry, format...), 2 error
  audit:          0 the whole chain verifies, 1 a problem was found, 2 error
  update, import: 0 updated or already current, 1 refused (signature, rollback, expiry,
                  mix-and-match...), 2 error (network, files, state); the installed
                  snapshot is unchanged on 1 and 2
  init, status:   0 success, 2 error";

/// What a command concluded, as its exit code says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (check: no listed number).
    Success,
    /// 1 (check): at least one possible match.
    PossibleMatch,
    /// 1 (verify, audit, update, import): the files were refused.
    Refused,
    /// 2: an error; nothing was concluded.
    Error,
    /// 3 (check --strict): some cells or inputs could not be read; no match among the rest.
    IncompleteNoMatch,
    /// 4 (check --strict): some could not be read; possible matches among the rest.
    IncompleteMatch,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::PossibleMatch | Exit::Refused => 1,
            Exit::Error => 2,
            Exit::IncompleteNoMatch => 3,
            Exit::IncompleteMatch => 4,
        }
    }

    /// A check's conclusion: whether anything matched, and whether `--strict`
    /// found the run incomplete.
    pub fn of_check(matched: bool, strict_incomplete: bool) -> Exit {
        match (matched, strict_incomplete) {
            (false, false) => Exit::Success,
            (true, false) => Exit::PossibleMatch,
            (false, true) => Exit::IncompleteNoMatch,
            (true, true) => Exit::IncompleteMatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the table documents is one `Exit` gives, and back.
    #[test]
    fn the_table_documents_every_code_and_no_other() {
        let all = [
            Exit::Success,
            Exit::PossibleMatch,
            Exit::Refused,
            Exit::Error,
            Exit::IncompleteNoMatch,
            Exit::IncompleteMatch,
        ];
        for exit in all {
            let code = exit.code().to_string();
            assert!(
                EXIT_CODES.contains(&format!("{code} ")),
                "{exit:?} ({code}) not in the table"
            );
        }
        for code in 0..=9u8 {
            let documented = EXIT_CODES.contains(&format!(" {code} "));
            assert_eq!(
                documented,
                all.iter().any(|e| e.code() == code),
                "code {code}"
            );
        }
    }
}
