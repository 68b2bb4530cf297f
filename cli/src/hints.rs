//! What the user can do about a library error: the library's messages say
//! what is wrong in neutral words (a binding shows them too); the flags and
//! commands that fix it are this program's to name.

use hushlist::client::state::StateError;
use hushlist::published;
use hushlist::verify::VerifyError;

/// The hint for a state error, if there is one.
pub fn state(e: &StateError) -> Option<&'static str> {
    match e {
        StateError::NotInitialized(_) => {
            Some("run `hushlist init --key PUB --url URL` first (or pass --key and --snapshot)")
        }
        StateError::ClockWentBack { .. } => Some(
            "if that earlier time was the wrong one, `hushlist update --accept-clock` forgets it",
        ),
        StateError::NoHome => Some("set --state-dir or HUSHLIST_STATE_DIR"),
        _ => None,
    }
}

/// The hint for a refused or unreadable published file, if there is one.
pub fn published(e: &published::Error) -> Option<&'static str> {
    match e {
        published::Error::Verify {
            source: VerifyError::Expired { .. },
            ..
        } => Some("--allow-stale overrides, loudly"),
        published::Error::SnapshotTooLarge { .. } => {
            Some("if the publisher's list really is this large, raise it with --max-snapshot-mib")
        }
        _ => None,
    }
}

/// The hint for a refused update, if there is one.
pub fn update(e: &hushlist::client::update::UpdateError) -> Option<&'static str> {
    use hushlist::client::update::UpdateError;
    use hushlist::format::signature::SignatureError;
    match e {
        UpdateError::State(e) => state(e),
        UpdateError::Verify {
            source:
                VerifyError::Signature {
                    source: SignatureError::RevokedKey { .. },
                    ..
                },
            ..
        } => Some(
            "the publisher rotated its key and has not yet published a snapshot signed by the new \
             one; the installed snapshot stays in use, with a REVOKED KEY warning, until it does \
             (run update again after the publisher's next build)",
        ),
        UpdateError::AllSourcesFailed(all) => all.iter().find_map(|(_, e)| update(e)),
        _ => None,
    }
}

/// The hint for an input that cannot be read as asked, if there is one.
pub fn input(e: &hushlist::check::input::InputError) -> Option<&'static str> {
    use hushlist::check::input::InputError;
    match e {
        InputError::NoPhoneColumn {
            encoding_doubt: Some(_),
            ..
        } => Some("if the names read right, name the column(s) with --column"),
        InputError::NoPhoneColumn { .. } => Some("name the column(s) with --column"),
        InputError::NoHeader { .. } => Some("say which holds the numbers with --column N"),
        InputError::NeedsHeader { .. } => Some("give --column a column number"),
        _ => None,
    }
}

/// The hint for a check run that stopped, if there is one.
pub fn check(e: &hushlist::CheckError) -> Option<&'static str> {
    match e {
        hushlist::CheckError::Input { error, .. } => input(error),
        _ => None,
    }
}

/// `message`, then the hint after a semicolon.
pub fn with(message: String, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => format!("{message}; {hint}"),
        None => message,
    }
}
