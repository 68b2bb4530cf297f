//! `hushlist-publish keygen` and `rotate-key`: make a key pair, and sign the
//! statement that introduces a new key.

use crate::passphrase::{passphrase, read_key};
use hushlist::format::signature::SecretKey;
use hushlist::format::time::now;
use hushlist::published::{self, KeyProtection};
use hushlist::publisher::{Ledger, Publisher};
use std::path::{Path, PathBuf};

pub fn keygen(
    out_dir: PathBuf,
    name: String,
    unencrypted: bool,
    oprf: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let key = SecretKey::generate().map_err(|e| format!("no randomness from the OS: {e}"))?;
    if oprf {
        return oprf_keygen(&out_dir, &name, &key, unencrypted, passphrase_file);
    }
    let secret_note;
    let (public, secret) = if unencrypted {
        secret_note = "unencrypted: protect it by file mode (0600)".to_string();
        published::write_key_pair(&out_dir, &name, &key, KeyProtection::Unencrypted)
    } else {
        let (phrase, from) =
            passphrase(passphrase_file, "Passphrase for the new secret key: ", true)
                .map_err(|e| format!("{e}; or pass --unencrypted for a key without one"))?;
        secret_note = format!(
            "encrypted with the passphrase from {from} (scrypt, minisign's format); mode 0600"
        );
        published::write_key_pair(&out_dir, &name, &key, KeyProtection::Passphrase(&phrase))
    }
    .map_err(|e| e.to_string())?;
    println!("key id      {}", key.id());
    println!(
        "public key  {}  (give this to clients and auditors)",
        public.display()
    );
    println!(
        "secret key  {}  ({secret_note}; never share it)",
        secret.display()
    );
    Ok(())
}

pub fn rotate_key(
    key: PathBuf,
    new_key: PathBuf,
    out: PathBuf,
    revoke_old: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let key_file = key;
    let key = read_key(&key_file, passphrase_file)?;
    let new = published::read_public_key(&new_key).map_err(|e| e.to_string())?;
    let key_id = key.id().to_string();
    let rotated = Publisher::open(&out, key)
        .and_then(|p| p.rotate(&new, revoke_old, now()))
        .map_err(|e| e.to_string())?;
    // The new key's builds look for the ledger beside the new key.
    let (old, new_ledger) = (
        Ledger::beside_key(&key_file, &out),
        Ledger::beside_key(&new_key, &out),
    );
    if old.carry_to(&new_ledger).map_err(|e| e.to_string())? {
        println!("ledger copied to {}", new_ledger.path().display());
    }
    let path = rotated.path;
    println!(
        "wrote {}: key {} introduces key {}{}\nbuild the next snapshot with the new secret key",
        path.display(),
        key_id,
        new.id(),
        if revoke_old {
            ", and revokes the old key"
        } else {
            ""
        }
    );
    Ok(())
}

/// The OPRF key of sealed snapshots: a secret key file with no public half
/// to hand out (the epochs' public keys go into the signed snapshots).
fn oprf_keygen(
    out_dir: &Path,
    name: &str,
    key: &SecretKey,
    unencrypted: bool,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let file = format!("{name}.oprf.key");
    let (path, note) = if unencrypted {
        let path = published::write_secret_key(out_dir, &file, key, KeyProtection::Unencrypted);
        (
            path,
            "unencrypted: protect it by file mode (0600)".to_string(),
        )
    } else {
        let (phrase, from) = passphrase(passphrase_file, "Passphrase for the OPRF key: ", true)
            .map_err(|e| format!("{e}; or pass --unencrypted for a key without one"))?;
        let path =
            published::write_secret_key(out_dir, &file, key, KeyProtection::Passphrase(&phrase));
        (
            path,
            format!("encrypted with the passphrase from {from}; mode 0600"),
        )
    };
    let path = path.map_err(|e| e.to_string())?;
    println!(
        "OPRF key    {}  ({note}; the evaluation service and sealed builds need it; \
         never share it: whoever holds it can test any number against sealed snapshots)",
        path.display()
    );
    Ok(())
}
