//! `hushlist keys`: the keys a chain of rotation statements leads to from a
//! pinned key, and the current one as a minisign `.pub`, so that an auditor
//! can run stock `minisign -V` on files signed after a rotation.

use crate::exit::Exit;
use crate::remote::{local_copy, RemoteArgs};
use crate::{print, Failure};
use clap::Args;
use hushlist::client::state::{self, State};
use hushlist::published;
use hushlist::Keyring;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct KeysArgs {
    /// The key to start from (minisign format); with a publication. Default:
    /// the keys pinned by init, as the last update left them.
    #[arg(long, value_name = "PUB", requires = "publication")]
    key: Option<PathBuf>,
    /// A published directory or its URL, whose rotation statements are followed.
    publication: Option<PathBuf>,
    /// Write the current key, as minisign's `.pub`, to this new file.
    #[arg(long, value_name = "FILE")]
    write_pub: Option<PathBuf>,
    #[command(flatten)]
    remote: RemoteArgs,
}

pub fn keys(state_dir: Option<&Path>, args: KeysArgs) -> Result<Exit, Failure> {
    let (keyring, source) = match (&args.key, &args.publication) {
        (Some(key), Some(publication)) => {
            let dir = local_copy(publication, &args.remote, false)?;
            let pinned = Keyring::pinned(published::read_public_key(key)?);
            let (keyring, _) = published::follow_rotations_noted(&dir, &pinned)?;
            (
                keyring,
                format!("the rotation statements in {}", dir.display()),
            )
        }
        _ => {
            let state = State::open(&state::resolve_dir(state_dir)?)?;
            (state.keyring()?, "this client's pinned keys".to_string())
        }
    };
    let current = keyring.newest();
    let mut text = format!("keys from {source}:\n");
    for r in keyring.records() {
        let origin = match (&r.introduced_by, &r.introduced_at) {
            (0, _) => "pinned".to_string(),
            (n, Some(at)) => format!("introduced by rotation statement {n} ({at})"),
            (n, None) => format!("introduced by rotation statement {n}"),
        };
        let state = match (&r.revoked_by, &r.revoked_at) {
            (Some(n), Some(at)) => format!("REVOKED by rotation statement {n} ({at})"),
            (Some(n), None) => format!("REVOKED by rotation statement {n}"),
            _ if r.key_id == current.id().to_string() => "current".into(),
            _ => "trusted".into(),
        };
        text.push_str(&format!("  {}  {origin}; {state}\n", r.key_id));
    }
    print(&text)?;
    if let Some(path) = &args.write_pub {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| {
                Failure::error(if e.kind() == std::io::ErrorKind::AlreadyExists {
                    format!("{}: already exists; give a new file name", path.display())
                } else {
                    format!("{}: {e}", path.display())
                })
            })?;
        file.write_all(current.to_file_text().as_bytes())
            .map_err(|e| Failure::error(format!("{}: {e}", path.display())))?;
        eprintln!(
            "hushlist: wrote the current key {} to {} (for `minisign -V -p {}`)",
            current.id(),
            path.display(),
            path.display()
        );
    }
    Ok(Exit::Success)
}
