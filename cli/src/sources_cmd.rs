//! `hushlist sources list|add|remove`: change mirrors without touching what the
//! client has seen (highest sequence, clock), so no rollback window opens.

use crate::{print, Failure};
use clap::Subcommand;
use hushlist::client::state::{self, State};
use std::path::Path;

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// List the sources, in the order they are tried.
    List,
    /// Add a source (tried after the existing ones unless --first).
    Add {
        /// Base URL of a published directory (https://...).
        url: String,
        /// Try it before the others.
        #[arg(long)]
        first: bool,
        /// Accept an http:// source (signatures still decide, but anyone on the
        /// path sees which list is fetched and can withhold it).
        #[arg(long)]
        allow_http: bool,
    },
    /// Remove a source.
    Remove {
        /// The URL, as listed.
        url: String,
    },
}

pub fn sources(state_dir: Option<&Path>, command: SourcesCommand) -> Result<u8, Failure> {
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let mut config = state.config()?;
    match command {
        SourcesCommand::List => {}
        SourcesCommand::Add {
            url,
            first,
            allow_http,
        } => {
            if url.starts_with("http://") && !allow_http {
                return Err(Failure::error(format!(
                    "{url}: an http:// source needs --allow-http (prefer https://)"
                )));
            }
            if url.starts_with("http://") {
                eprintln!("hushlist: warning: {url} is plain HTTP: signatures still decide, but the path can see and withhold the list");
            }
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Failure::error(format!(
                    "{url}: sources must be https:// (or, with --allow-http, http://) URLs"
                )));
            }
            if config.sources.contains(&url) {
                return Err(Failure::error(format!("{url} is already a source")));
            }
            if first {
                config.sources.insert(0, url);
            } else {
                config.sources.push(url);
            }
            state.save_config(&config)?;
        }
        SourcesCommand::Remove { url } => {
            let before = config.sources.len();
            config.sources.retain(|s| *s != url);
            if config.sources.len() == before {
                return Err(Failure::error(format!(
                    "{url} is not a source (see `hushlist sources list`)"
                )));
            }
            state.save_config(&config)?;
        }
    }
    let text = if config.sources.is_empty() {
        "no sources (air-gapped: `hushlist import DIR`)\n".to_string()
    } else {
        config
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}\n", i + 1))
            .collect()
    };
    print(&text)?;
    Ok(0)
}
