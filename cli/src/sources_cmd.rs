//! `hushlist sources list|add|remove`: change mirrors without touching what the
//! client has seen (highest sequence, clock), so no rollback window opens.

use crate::exit::Exit;
use crate::{print, Failure};
use clap::Subcommand;
use hushlist::client::sources::{redact, SourceError, SourceUrl};
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

pub fn sources(state_dir: Option<&Path>, command: SourcesCommand) -> Result<Exit, Failure> {
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let mut config = state.config()?;
    match command {
        SourcesCommand::List => {}
        SourcesCommand::Add {
            url,
            first,
            allow_http,
        } => {
            // A permission given once holds for the state: the transport
            // reads it from the configuration on every update.
            let allowed = allow_http || config.allow_http;
            let source = SourceUrl::parse(&url, allowed).map_err(|e| {
                Failure::error(match e {
                    SourceError::HttpNotAllowed { .. } => {
                        format!("{e}; prefer https://, or pass --allow-http to accept it knowingly")
                    }
                    e => e.to_string(),
                })
            })?;
            if source.is_plain_http() {
                eprintln!(
                    "hushlist: warning: {} is plain HTTP: signatures still decide, but the path can see and withhold the list",
                    source.shown()
                );
                config.allow_http = true;
            }
            if config.sources.contains(&url) {
                return Err(Failure::error(format!(
                    "{} is already a source",
                    source.shown()
                )));
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
            config.sources.retain(|s| *s != url && redact(s) != url);
            if config.sources.len() == before {
                return Err(Failure::error(format!(
                    "{} is not a source (see `hushlist sources list`)",
                    redact(&url)
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
            .map(|(i, s)| format!("{}. {}\n", i + 1, redact(s)))
            .collect()
    };
    print(&text)?;
    Ok(Exit::Success)
}
