//! `init`, `update`, `import` and `status`: the client's local state.

use crate::{print, Failure, VerifyFormat};
use clap::Parser;
use hushlist::published;
use hushlist::report::SnapshotFacts;
use hushlist::state::{self, Config, State};
use hushlist::update::UpdateError;
use hushlist::verify::Policy;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Parser)]
pub struct InitArgs {
    /// The publisher's public key, obtained out of band. It is pinned: only it,
    /// and keys it introduces by signed rotation, are ever trusted.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// Base URL of the published directory; repeat for mirrors, tried in order.
    #[arg(long = "url", value_name = "URL", required = true)]
    urls: Vec<String>,
    /// Extra CA certificate (PEM) to trust, for TLS-inspecting proxies.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

#[derive(Parser)]
pub struct UpdateArgs {
    /// Connect timeout, and the time limit for each file, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    timeout: u64,
    /// Further attempts per file after a transient failure, with backoff.
    #[arg(long, default_value_t = 2, value_name = "N")]
    retries: u32,
    /// Extra CA certificate (PEM); overrides the one given to init.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Download the manifest even if the server says it is unchanged (HTTP 304).
    #[arg(long)]
    force: bool,
}

pub fn init(state_dir: Option<&Path>, args: InitArgs) -> Result<u8, Failure> {
    let root = state::resolve_dir(state_dir)?;
    let key = published::read_public_key(&args.key)?;
    for url in &args.urls {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Failure::error(format!(
                "{url}: sources must be http:// or https:// URLs"
            )));
        }
    }
    if let Some(ca) = &args.ca_cert {
        std::fs::metadata(ca).map_err(|e| Failure::error(format!("{}: {e}", ca.display())))?;
    }
    let config = Config {
        sources: args.urls,
        ca_cert: args.ca_cert.map(|p| std::path::absolute(&p).unwrap_or(p)),
    };
    State::init(&root, &key, &config)?;
    print(&format!(
        "initialized {}\n  pinned key {}\n  sources    {}\nnext: hushlist update\n",
        root.display(),
        key.id(),
        config.sources.join(", ")
    ))?;
    Ok(0)
}

fn update_failure(e: UpdateError) -> Failure {
    fn refused(e: &UpdateError) -> bool {
        match e {
            UpdateError::Verify { .. }
            | UpdateError::Rollback { .. }
            | UpdateError::Equivocation { .. }
            | UpdateError::InstalledInvalid(_) => true,
            UpdateError::AllSourcesFailed(all) => all.iter().any(|(_, e)| refused(e)),
            _ => false,
        }
    }
    let code = if refused(&e) { 1 } else { 2 };
    let prefix = if code == 1 { "REFUSED: " } else { "" };
    Failure {
        code,
        message: format!("update failed, installed snapshot unchanged: {prefix}{e}"),
    }
}

#[cfg(feature = "http")]
pub fn update(state_dir: Option<&Path>, args: UpdateArgs) -> Result<u8, Failure> {
    use hushlist::transport::{HttpOptions, HttpTransport, Transport};
    use std::io::IsTerminal;
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let config = state.config()?;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        retries: args.retries,
        ca_cert: args.ca_cert.or(config.ca_cert),
        progress: io::stderr().is_terminal(),
        ..HttpOptions::default()
    };
    let sources = config
        .sources
        .iter()
        .map(|url| {
            HttpTransport::new(url, options.clone()).map(|t| Box::new(t) as Box<dyn Transport>)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::error)?;
    let outcome = hushlist::update::update(&state, &sources, hushlist::time::now(), !args.force)
        .map_err(update_failure)?;
    print(&format!("{outcome}\n"))?;
    Ok(0)
}

#[cfg(not(feature = "http"))]
pub fn update(_: Option<&Path>, _: UpdateArgs) -> Result<u8, Failure> {
    Err(Failure::error(
        "this build has no HTTP support (feature `http`); use `hushlist import DIR`",
    ))
}

pub fn import(state_dir: Option<&Path>, dir: PathBuf) -> Result<u8, Failure> {
    use hushlist::transport::{DirTransport, Transport};
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let sources: Vec<Box<dyn Transport>> = vec![Box::new(DirTransport { dir })];
    let outcome = hushlist::update::update(&state, &sources, hushlist::time::now(), false)
        .map_err(update_failure)?;
    print(&format!("{outcome}\n"))?;
    Ok(0)
}

pub fn status(state_dir: Option<&Path>, format: VerifyFormat) -> Result<u8, Failure> {
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let status = state.status()?;
    let config = state.config()?;
    let keys = state.keyring()?;
    let now = hushlist::time::now();
    let installed = match state.installed_dir()? {
        None => None,
        Some(dir) => {
            let policy = Policy {
                now,
                allow_stale: true,
            };
            Some(published::open_directory(&dir, &keys, policy).map(|o| SnapshotFacts::of(&o)))
        }
    };
    let t = |secs: Option<i64>| secs.map(hushlist::time::rfc3339);
    let mut v = serde_json::json!({
        "state_dir": state.root().display().to_string(),
        "sources": config.sources,
        "trusted_keys": keys.keys().iter().map(|k| k.id().to_string()).collect::<Vec<_>>(),
        "highest_sequence_seen": status.highest_sequence,
        "last_success": t(status.last_success),
        "installed": null,
    });
    if let (Some(facts), Some(i)) = (&installed, &status.installed) {
        v["installed"] = match facts {
            Ok(f) => {
                let expires = hushlist::time::parse_rfc3339(&f.expires).unwrap_or(0);
                let created = hushlist::time::parse_rfc3339(&f.created).unwrap_or(0);
                serde_json::json!({
                    "sequence": f.sequence, "created": f.created, "expires": f.expires,
                    "age_hours": (now - created) / 3600, "expired": now >= expires,
                    "entries": f.entries, "key_id": f.key_id, "source": i.source,
                    "installed_at": hushlist::time::rfc3339(i.installed_at), "blake3": f.blake3,
                })
            }
            Err(e) => serde_json::json!({"sequence": i.sequence, "error": e.to_string()}),
        };
    }
    let text = match format {
        VerifyFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("serializes")
        ),
        VerifyFormat::Text => {
            let mut s = format!(
                "state      {}\nsources    {}\nkeys       {}\n",
                state.root().display(),
                config.sources.join(", "),
                v["trusted_keys"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
            let i = &v["installed"];
            if i.is_null() {
                s.push_str("installed  nothing yet: run `hushlist update`\n");
            } else if let Some(e) = i["error"].as_str() {
                s.push_str(&format!(
                    "installed  #{} FAILS VERIFICATION: {e}\n",
                    i["sequence"]
                ));
            } else {
                s.push_str(&format!(
                    "installed  snapshot #{} from {}\n  created  {} ({} hours ago)\n  expires  {}{}\n  entries  {}\n  key      {}\n",
                    i["sequence"], i["source"].as_str().unwrap_or(""), i["created"].as_str().unwrap_or(""), i["age_hours"],
                    i["expires"].as_str().unwrap_or(""), if i["expired"] == true { " (EXPIRED: run hushlist update)" } else { "" },
                    i["entries"], i["key_id"].as_str().unwrap_or("")
                ));
            }
            s.push_str(&format!(
                "last update {}\n",
                v["last_success"].as_str().unwrap_or("never")
            ));
            s
        }
    };
    print(&text)?;
    Ok(0)
}
