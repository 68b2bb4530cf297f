//! Where `check` and `prewarm` get a sealed snapshot's keys: the evaluation
//! service the signed snapshot names (or another given on purpose), with
//! this company's token. Said on standard error, never guessed silently.

use crate::config::FileConfig;
use crate::Failure;
use clap::Args;
use hushlist::check::sealed::SharedEvaluator;
use hushlist::format::snapshot::Header;
use std::path::{Path, PathBuf};

/// How to reach the evaluation service of a sealed snapshot.
#[derive(Args, Clone)]
pub struct EvaluationArgs {
    /// Sealed snapshots: ask this evaluation service instead of the one the
    /// signed snapshot names (a mirror, a test service). Its answers are
    /// verified against the snapshot's key all the same.
    #[arg(long, value_name = "URL", env = "HUSHLIST_EVALUATION_URL")]
    pub evaluation_url: Option<String>,
    /// Sealed snapshots: the file holding this company's token for the
    /// evaluation service (keep it 0600). Also HUSHLIST_TOKEN (the token
    /// itself) or `token_file` in the configuration. Never give the token
    /// on the command line.
    #[arg(long, value_name = "FILE", env = "HUSHLIST_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Sealed snapshots: seconds before a request to the evaluation service
    /// (connecting, sending, the whole answer) is given up.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        env = "HUSHLIST_EVALUATION_TIMEOUT"
    )]
    pub evaluation_timeout: u64,
    /// Sealed snapshots: allow a plain http:// evaluation URL (a test
    /// service; anyone on the path sees who asks and how many, never the
    /// numbers). A state made with `init --allow-http` allows it too.
    #[arg(long)]
    pub allow_http: bool,
}

/// The token: from the file given or configured, else HUSHLIST_TOKEN.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
fn read_token(
    args: &EvaluationArgs,
    config: &FileConfig,
) -> Result<Option<(String, String)>, Failure> {
    token(args.token_file.as_deref(), config)
}

/// The token from `file`, else the configured `token_file`, else
/// HUSHLIST_TOKEN, with where it came from (for messages; never the token).
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub fn token(
    file: Option<&Path>,
    config: &FileConfig,
) -> Result<Option<(String, String)>, Failure> {
    if let Some(path) = file {
        return token_from_file(path).map(|t| Some((t, format!("token file {}", path.display()))));
    }
    if let Some(path) = &config.token_file {
        return token_from_file(path).map(|t| {
            Some((
                t,
                format!(
                    "token file {} (token_file in the configuration)",
                    path.display()
                ),
            ))
        });
    }
    Ok(std::env::var("HUSHLIST_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| (t, "HUSHLIST_TOKEN".to_string())))
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
fn token_from_file(path: &Path) -> Result<String, Failure> {
    let mut file = hushlist::files::open_regular(path)
        .map_err(|e| Failure::error(format!("token file {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = file.metadata() {
            if meta.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "hushlist: warning: token file {} can be read by others (mode {:o}); \
                     `chmod 600` it: whoever reads it spends this company's quota",
                    path.display(),
                    meta.permissions().mode() & 0o777
                );
            }
        }
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(&mut file, 4096), &mut text)
        .map_err(|e| Failure::error(format!("token file {}: {e}", path.display())))?;
    let token = text.trim().to_string();
    if token.is_empty() {
        return Err(Failure::error(format!(
            "token file {} is empty",
            path.display()
        )));
    }
    Ok(token)
}

/// The evaluator for a snapshot with a sealed epoch (`None` otherwise),
/// after saying which service it asks and why that one.
#[cfg(feature = "http")]
pub fn evaluator(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: &EvaluationArgs,
    header: &Header,
) -> Result<Option<SharedEvaluator>, Failure> {
    use hushlist::client::transport::HttpOptions;
    let given = args
        .evaluation_url
        .clone()
        .or(config.evaluation_url.clone());
    let Some((url, why)) = hushlist::client::evaluation::service_for(header, given.as_deref())
    else {
        if args.evaluation_url.is_some() {
            eprintln!(
                "hushlist: warning: --evaluation-url ignored: this snapshot is not sealed, \
                 every key is computed here"
            );
        }
        return Ok(None);
    };
    // The state's transport settings (init --ca-cert, --allow-http) apply to
    // the service as to the downloads.
    let transport = hushlist::client::state::resolve_dir(state_dir)
        .ok()
        .filter(|d| d.join("config.json").exists())
        .and_then(|d| hushlist::client::state::State::open(&d).ok())
        .and_then(|s| s.config().ok())
        .unwrap_or_default();
    let token = read_token(args, config)?;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(args.evaluation_timeout.max(1)),
        ca_cert: transport.ca_cert,
        allow_http: args.allow_http || transport.allow_http,
        ..HttpOptions::default()
    };
    let service = hushlist::client::evaluation::Service::new(
        &url,
        why,
        token,
        options,
        "give --token-file FILE (or HUSHLIST_TOKEN_FILE, HUSHLIST_TOKEN, token_file in the \
         configuration); an air-gapped site carries them out with `hushlist prewarm --epoch \
         current --request-file FILE`",
    )
    .map_err(Failure::error)?;
    Ok(Some(SharedEvaluator(std::sync::Arc::new(Announced {
        service,
        said: std::sync::atomic::AtomicBool::new(false),
    }))))
}

/// The service, said on standard error when it is first asked (a run whose
/// keys are all cached asks nothing and says nothing).
#[cfg(feature = "http")]
struct Announced {
    service: hushlist::client::evaluation::Service,
    said: std::sync::atomic::AtomicBool,
}

#[cfg(feature = "http")]
impl hushlist::check::sealed::Evaluator for Announced {
    fn describe(&self) -> String {
        hushlist::check::sealed::Evaluator::describe(&self.service)
    }

    fn evaluate(
        &self,
        public_key: &[u8; 32],
        blinded: &[[u8; 32]],
    ) -> Result<hushlist::check::sealed::Evaluation, hushlist::check::sealed::EvaluationError> {
        if self.service.has_token() && !self.said.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("hushlist: {}", self.service.announcement());
        }
        self.service.evaluate(public_key, blinded)
    }
}

/// Without HTTP support a sealed snapshot can only use what is cached.
#[cfg(not(feature = "http"))]
pub fn evaluator(
    _state_dir: Option<&Path>,
    _config: &FileConfig,
    _args: &EvaluationArgs,
    header: &Header,
) -> Result<Option<SharedEvaluator>, Failure> {
    if header.has_sealed_epoch() {
        eprintln!(
            "hushlist: warning: this build has no HTTP support: a sealed snapshot's numbers \
             not in the key cache cannot be checked"
        );
    }
    Ok(None)
}
