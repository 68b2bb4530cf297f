//! Where a secret key's passphrase comes from: a file (`/dev/fd/3`), the
//! environment, or the terminal, in that order, and which one it was.

use hushlist::format::signature::SecretKey;
use hushlist::published;
use std::io::BufReader;
use std::path::Path;
use zeroize::Zeroizing;

/// Where automation puts the passphrase when there is no terminal.
pub const PASSPHRASE_ENV: &str = "HUSHLIST_PASSPHRASE";
/// minisign reads at most this much of a passphrase line.
const MAX_PASSPHRASE_LINE: u64 = 1025;

/// The passphrase, from `--passphrase-file`, else the environment, else the
/// terminal (asked twice when `confirm`). Says where it came from.
pub fn passphrase(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> Result<(Zeroizing<Vec<u8>>, &'static str), String> {
    use std::io::{BufRead, Read};
    if let Some(path) = file {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut line = Zeroizing::new(Vec::new());
        BufReader::new(f.take(MAX_PASSPHRASE_LINE))
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Ok((line, "--passphrase-file"));
    }
    if let Some(value) = std::env::var_os(PASSPHRASE_ENV) {
        let value = value
            .into_string()
            .map_err(|_| format!("{PASSPHRASE_ENV} is not UTF-8"))?;
        return Ok((Zeroizing::new(value.into_bytes()), PASSPHRASE_ENV));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(|p| Zeroizing::new(p.into_bytes()))
            .map_err(|e| {
                format!(
                    "no terminal to ask for the passphrase on ({e}); give it with \
                     --passphrase-file FILE or {PASSPHRASE_ENV}"
                )
            })
    };
    let first = ask(prompt)?;
    if confirm && ask("Passphrase (again): ")? != first {
        return Err("the two passphrases differ; nothing written".into());
    }
    Ok((first, "the terminal"))
}

/// Reads a secret key, asking for its passphrase only if it is encrypted.
pub fn read_key(path: &Path, passphrase_file: Option<&Path>) -> Result<SecretKey, String> {
    published::read_secret_key_with(path, || {
        let prompt = format!("Passphrase for {}: ", path.display());
        passphrase(passphrase_file, &prompt, false).map(|(p, _)| p)
    })
    .map_err(|e| e.to_string())
}
