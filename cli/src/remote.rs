//! `audit URL` and `verify URL`: an auditor points at a served publication
//! and the program copies what it needs into a new directory it names, then
//! verifies that copy exactly as a directory given on the command line.

use crate::Failure;
use clap::Args;
use std::path::{Path, PathBuf};

/// How to fetch a served publication.
#[derive(Args, Debug, Clone)]
pub struct RemoteArgs {
    /// When the publication is a URL: the new directory the files are copied
    /// into (default: hushlist-copy-TIME in the current directory).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// A CA certificate (PEM) to trust for the URL, besides the system's.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Allow a plain http:// URL (a test server; everything is verified anyway).
    #[arg(long)]
    pub allow_http: bool,
    /// Seconds before a stalled download is given up.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
}

fn is_url(target: &Path) -> bool {
    target
        .to_str()
        .is_some_and(|t| t.starts_with("https://") || t.starts_with("http://"))
}

/// `target` itself, or, for a URL, the directory its files were copied into
/// (`Latest`: manifest, rotations and newest snapshot; `History`: every snapshot).
pub fn local_copy(target: &Path, remote: &RemoteArgs, history: bool) -> Result<PathBuf, Failure> {
    if !is_url(target) {
        return Ok(target.to_path_buf());
    }
    copy(target.to_str().expect("a URL is text"), remote, history)
}

#[cfg(feature = "http")]
fn copy(url: &str, remote: &RemoteArgs, history: bool) -> Result<PathBuf, Failure> {
    use hushlist::client::mirror::{mirror, Scope};
    use hushlist::client::transport::{HttpOptions, HttpTransport};
    use std::io::IsTerminal;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(remote.timeout.max(1)),
        ca_cert: remote.ca_cert.clone(),
        allow_http: remote.allow_http,
        progress: std::io::stderr()
            .is_terminal()
            .then(crate::state_cmds::download_bar),
        ..HttpOptions::default()
    };
    let transport = HttpTransport::new(url, options).map_err(|e| {
        Failure::error(if url.starts_with("http://") && !remote.allow_http {
            format!("{e}; --allow-http allows a plain http:// URL")
        } else {
            e
        })
    })?;
    let dir = remote.into.clone().unwrap_or_else(|| {
        let now = hushlist::format::time::rfc3339(hushlist::format::time::now());
        PathBuf::from(format!("hushlist-copy-{}", now.replace(':', "")))
    });
    let scope = if history {
        Scope::History
    } else {
        Scope::Latest
    };
    let copied = mirror(&transport, &dir, scope, &hushlist::Limits::default())
        .map_err(|e| Failure::error(format!("copying {url}: {e}")))?;
    eprintln!(
        "hushlist: copied {url} into {} ({} snapshot(s), {} rotation statement(s), {} bytes){}",
        dir.display(),
        copied.snapshots.len(),
        copied.rotations,
        copied.bytes,
        match copied.missing.len() {
            0 => String::new(),
            n => format!("; {n} snapshot(s) the manifest implies are not served"),
        }
    );
    Ok(dir)
}

#[cfg(not(feature = "http"))]
fn copy(url: &str, _: &RemoteArgs, _: bool) -> Result<PathBuf, Failure> {
    Err(Failure::error(format!(
        "{url}: this hushlist was built without HTTP; copy the directory and give its path"
    )))
}
