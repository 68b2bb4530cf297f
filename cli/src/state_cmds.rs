//! `init`, `update`, `import` and `status`: the client's local state.

use crate::exit::Exit;
use crate::{print, Failure, VerifyFormat};
use clap::Parser;
use hushlist::check::report::SnapshotFacts;
use hushlist::client::sources::{redact, SourceUrl};
use hushlist::client::state::{self, Config, State};
use hushlist::client::update::{Options, UpdateError};
use hushlist::published;
use std::path::{Path, PathBuf};

#[derive(Parser)]
pub struct InitArgs {
    /// The publisher's public key, obtained out of band. It is pinned: only it,
    /// and keys it introduces by signed rotation, are ever trusted.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// Base URL of the published directory; repeat for mirrors, tried in order.
    /// None for an air-gapped site that only ever runs `hushlist import`.
    #[arg(long = "url", value_name = "URL")]
    urls: Vec<String>,
    /// Extra CA certificate (PEM) to trust, for TLS-inspecting proxies.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Accept http:// sources. Signatures still decide what is installed, but
    /// anyone on the path sees what is fetched and can withhold new statements
    /// and snapshots until they expire: use https:// wherever possible.
    #[arg(long)]
    allow_http: bool,
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
    /// Trust the current clock although an earlier run saw a later time (after
    /// a clock that ran ahead was corrected).
    #[arg(long)]
    accept_clock: bool,
    /// Print nothing when already current (for cron, which mails any output);
    /// a new snapshot and every failure are still reported.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn init(state_dir: Option<&Path>, args: InitArgs) -> Result<Exit, Failure> {
    let root = state::resolve_dir(state_dir)?;
    let key = published::read_public_key(&args.key)?;
    for url in &args.urls {
        let source = SourceUrl::parse(url, args.allow_http).map_err(|e| {
            Failure::error(format!(
                "{e}; use https://, or pass --allow-http to accept it knowingly"
            ))
        })?;
        if source.is_plain_http() {
            eprintln!(
                "hushlist: warning: {} is plain http:// (--allow-http): signatures still decide \
                 what is installed, but anyone on the path sees what is fetched and can withhold \
                 updates until the installed snapshot expires",
                source.shown()
            );
        }
    }
    if let Some(ca) = &args.ca_cert {
        std::fs::metadata(ca).map_err(|e| Failure::error(format!("{}: {e}", ca.display())))?;
    }
    let config = Config {
        sources: args.urls,
        ca_cert: args.ca_cert.map(|p| std::path::absolute(&p).unwrap_or(p)),
        allow_http: args.allow_http,
    };
    State::init(&root, &key, &config)?;
    print(&if config.sources.is_empty() {
        format!(
            "initialized {}\n  pinned key {}\n  sources    none: bring publications with `hushlist import DIR`\n             (or add a mirror later with `hushlist sources add URL`)\n",
            root.display(),
            key.id()
        )
    } else {
        format!(
            "initialized {}\n  pinned key {}\n  sources    {}\nnext: hushlist update\n",
            root.display(),
            key.id(),
            config
                .sources
                .iter()
                .map(|url| redact(url))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok(Exit::Success)
}

fn update_failure(e: UpdateError) -> Failure {
    fn refused(e: &UpdateError) -> bool {
        match e {
            UpdateError::Verify { .. }
            | UpdateError::Time { .. }
            | UpdateError::Rollback { .. }
            | UpdateError::Equivocation { .. } => true,
            UpdateError::AllSourcesFailed(all) => all.iter().any(|(_, e)| refused(e)),
            _ => false,
        }
    }
    let (exit, prefix) = if refused(&e) {
        (Exit::Refused, "REFUSED: ")
    } else {
        (Exit::Error, "")
    };
    Failure {
        exit,
        message: crate::hints::with(
            format!("update failed, installed snapshot unchanged: {prefix}{e}"),
            crate::hints::update(&e),
        ),
    }
}

#[cfg(feature = "http")]
pub fn update(state_dir: Option<&Path>, args: UpdateArgs) -> Result<Exit, Failure> {
    use hushlist::client::transport::{HttpOptions, HttpTransport, Transport};
    use std::io::{self, IsTerminal};
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let config = state.config()?;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        retries: args.retries,
        ca_cert: args.ca_cert.or(config.ca_cert),
        progress: io::stderr().is_terminal().then(download_bar),
        allow_http: config.allow_http,
        ..HttpOptions::default()
    };
    if config.sources.is_empty() {
        return Err(Failure::error(
            "no sources: this state was set up for `hushlist import DIR` only; add one with `hushlist sources add URL`",
        ));
    }
    let sources = config
        .sources
        .iter()
        .map(|url| {
            HttpTransport::new(url, options.clone()).map(|t| Box::new(t) as Box<dyn Transport>)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::error)?;
    let outcome = hushlist::client::update::update(
        &state,
        &sources,
        Options {
            conditional: !args.force,
            accept_clock: args.accept_clock,
            ..limited_options()
        },
    )
    .map_err(update_failure)?;
    let news = !outcome.notes.is_empty()
        || matches!(
            outcome.outcome,
            hushlist::client::update::Outcome::Installed { .. }
        );
    if !args.quiet || news {
        print(&format!("{outcome}\n"))?;
    }
    Ok(Exit::Success)
}

/// A progress bar on stderr for large downloads, drawn as the library reports bytes.
#[cfg(feature = "http")]
pub fn download_bar() -> hushlist::client::transport::Progress {
    use std::sync::{Arc, Mutex};
    let bar: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);
    Arc::new(move |name: &str, done: u64, total: u64| {
        let mut bar = bar.lock().expect("not poisoned");
        let b = bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_message(name.to_string());
            b
        });
        b.set_position(done);
        if done >= total {
            b.finish_and_clear();
            *bar = None;
        }
    })
}

#[cfg(not(feature = "http"))]
pub fn update(_: Option<&Path>, _: UpdateArgs) -> Result<Exit, Failure> {
    Err(Failure::error(
        "this build has no HTTP support (feature `http`); use `hushlist import DIR`",
    ))
}

/// Update options now, with the limits given on the command line.
fn limited_options() -> Options {
    let policy = crate::policy(hushlist::format::time::now(), false);
    Options {
        limits: policy.limits,
        ..Options::at(policy.now)
    }
}

pub fn import(state_dir: Option<&Path>, dir: PathBuf) -> Result<Exit, Failure> {
    use hushlist::client::transport::{DirTransport, Transport};
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let sources: Vec<Box<dyn Transport>> = vec![Box::new(DirTransport { dir })];
    let outcome = hushlist::client::update::update(
        &state,
        &sources,
        Options {
            conditional: false,
            ..limited_options()
        },
    )
    .map_err(update_failure)?;
    print(&format!("{outcome}\n"))?;
    Ok(Exit::Success)
}

/// What `status` reports.
#[derive(serde::Serialize)]
struct StatusReport {
    state_dir: String,
    sources: Vec<String>,
    trusted_keys: Vec<String>,
    keys: Vec<hushlist::verify::KeyRecord>,
    highest_sequence_seen: u64,
    last_success: Option<String>,
    installed: Option<InstalledReport>,
}

// One report per `status` run: the size of its variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(serde::Serialize)]
#[serde(untagged)]
enum InstalledReport {
    Valid {
        sequence: u64,
        created: String,
        expires: String,
        age_hours: i64,
        expired: bool,
        entries: u64,
        key_id: String,
        source: String,
        installed_at: String,
        blake3: String,
        publisher: Box<hushlist::format::snapshot::Contact>,
        next_salt_from: String,
        hash: String,
        next_hash: String,
        evaluation_url: String,
        #[serde(skip)]
        confirm: Vec<String>,
    },
    Invalid {
        sequence: u64,
        error: String,
    },
}

impl StatusReport {
    fn to_text(&self) -> String {
        let mut s = format!(
            "state      {}\nsources    {}\nkeys       {} trusted\n",
            self.state_dir,
            if self.sources.is_empty() {
                "none (publications come with `hushlist import DIR`)".to_string()
            } else {
                self.sources.join(", ")
            },
            self.trusted_keys.join(", ")
        );
        for k in &self.keys {
            let introduced = match (k.introduced_by, &k.introduced_at) {
                (n, Some(at)) => format!("introduced by rotation {n} at {at}"),
                (_, None) => "pinned".to_string(),
            };
            let revoked = match (k.revoked_by, &k.revoked_at) {
                (Some(n), Some(at)) => format!(", REVOKED by rotation {n} at {at}"),
                _ => String::new(),
            };
            s.push_str(&format!("  key {}  {introduced}{revoked}\n", k.key_id));
        }
        match &self.installed {
            None if self.sources.is_empty() => {
                s.push_str("installed  nothing yet: run `hushlist import DIR`\n")
            }
            None => s.push_str(
                "installed  nothing yet: run `hushlist update` (or `hushlist import DIR`)\n",
            ),
            Some(InstalledReport::Invalid { sequence, error }) => s.push_str(&format!(
                "installed  #{sequence} FAILS VERIFICATION: {error}\n"
            )),
            Some(InstalledReport::Valid {
                sequence,
                created,
                expires,
                age_hours,
                expired,
                entries,
                key_id,
                source,
                confirm,
                next_salt_from,
                hash,
                next_hash,
                evaluation_url,
                ..
            }) => {
                let stale = if *expired {
                    " (EXPIRED: run hushlist update)"
                } else {
                    ""
                };
                s.push_str(&format!(
                    "installed  snapshot #{sequence} from {source}\n  created  {created} ({age_hours} hours ago)\n  \
                     expires  {expires}{stale}\n  entries  {entries}\n  key      {key_id}\n  hash     {hash}\n"
                ));
                if !evaluation_url.is_empty() {
                    s.push_str(&format!(
                        "  evaluations {evaluation_url} (sealed: numbers not in the key cache are asked there, blinded)\n"
                    ));
                }
                for line in confirm.iter().take(2) {
                    s.push_str(&format!("  {line}\n"));
                }
                s.push_str(&format!(
                    "  next salt from {next_salt_from}, {next_hash} (`hushlist prewarm FILE` gets its keys ahead)\n"
                ));
            }
        }
        s.push_str(&format!(
            "last update {}\n",
            self.last_success.as_deref().unwrap_or("never")
        ));
        s
    }
}

pub fn status(state_dir: Option<&Path>, format: VerifyFormat) -> Result<Exit, Failure> {
    let state = State::open(&state::resolve_dir(state_dir)?)?;
    let status = state.status()?;
    let keys = state.keyring()?;
    let now = hushlist::format::time::now();
    let installed = match (state.installed_dir()?, &status.installed) {
        (Some(_), Some(installed)) => {
            // Expired is reported, not refused: status describes, check decides.
            let policy = crate::policy(now, true);
            // The library's judgement of the installed snapshot, as check
            // makes it (a key revoked after it was installed is a warning).
            Some(match hushlist::List::installed(state_dir, policy) {
                Ok(list) => {
                    let opened = list.opened();
                    let header = &opened.snapshot.snapshot.header;
                    let facts = SnapshotFacts::of(opened);
                    let confirm = hushlist::check::report::confirmation_lines(&facts);
                    InstalledReport::Valid {
                        publisher: Box::new(facts.publisher.clone()),
                        next_salt_from: hushlist::format::time::rfc3339(header.next_epoch_start),
                        hash: facts.hash_summary(),
                        next_hash: facts.next_hash_summary(),
                        evaluation_url: facts.evaluation_url.clone(),
                        confirm,
                        sequence: header.sequence,
                        created: facts.created,
                        expires: facts.expires,
                        age_hours: (now - header.created) / 3600,
                        expired: now >= header.expires,
                        entries: header.entries,
                        key_id: facts.key_id,
                        source: installed.source.clone(),
                        installed_at: hushlist::format::time::rfc3339(installed.installed_at),
                        blake3: facts.blake3,
                    }
                }
                Err(e) => InstalledReport::Invalid {
                    sequence: installed.sequence,
                    error: e.to_string(),
                },
            })
        }
        _ => None,
    };
    let report = StatusReport {
        state_dir: state.root().display().to_string(),
        sources: state.config()?.sources.iter().map(|s| redact(s)).collect(),
        trusted_keys: keys.keys().iter().map(|k| k.id().to_string()).collect(),
        keys: keys.records().to_vec(),
        highest_sequence_seen: status.highest_sequence,
        last_success: status.last_success.map(hushlist::format::time::rfc3339),
        installed,
    };
    let text = match format {
        VerifyFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("serializes")
        ),
        VerifyFormat::Text => report.to_text(),
    };
    print(&text)?;
    Ok(Exit::Success)
}
