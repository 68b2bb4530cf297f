//! Air-gapped sites and sealed snapshots: `prewarm --request-file` writes the
//! blinded numbers to carry out (the blinds stay in the state directory,
//! 0600), `hushlist evaluate` on any online machine asks the service and
//! writes the answers, and `prewarm --response-file` verifies them against
//! the verified snapshot and fills the key cache. Only blinded values travel.

use crate::exit::Exit;
use crate::{print, Failure};
use clap::{Parser, ValueEnum};
use hushlist::check::sealed::carried::{self, Pending, RequestFile, ResponseFile};
use hushlist::format::number_key::Kdf;
use hushlist::format::snapshot::Snapshot;
use hushlist::key_cache::{self, KeyCache};
use std::path::{Path, PathBuf};

/// Which salt epoch a carried request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Epoch {
    /// The epoch the installed snapshot is in (a first check).
    Current,
    /// The epoch it announces (ahead of the switch).
    Next,
}

/// The epoch's public key and salt, if it is sealed.
fn sealed_epoch(snapshot: &Snapshot, epoch: Epoch) -> Result<([u8; 32], [u8; 32]), Failure> {
    let h = &snapshot.header;
    let (kdf, salt) = match epoch {
        Epoch::Current => (h.kdf, h.salt),
        Epoch::Next => (h.next_kdf, h.next_salt),
    };
    match kdf {
        Kdf::Voprf { public_key } => Ok((public_key, salt)),
        other => {
            Err(Failure::error(format!(
            "the {} salt epoch is not sealed ({}): its keys are computed here, nothing to carry",
            if epoch == Epoch::Current { "current" } else { "next" },
            other.name()
        )))
        }
    }
}

fn cache(snapshot: &Snapshot, epoch: Epoch) -> Result<KeyCache, Failure> {
    let dir = key_cache::default_dir().ok_or_else(|| {
        Failure::error("no cache directory: set HUSHLIST_CACHE_DIR, XDG_CACHE_HOME or HOME")
    })?;
    match epoch {
        Epoch::Current => KeyCache::open(&dir, snapshot),
        Epoch::Next => KeyCache::open_next(&dir, snapshot),
    }
    .map_err(|e| Failure::error(format!("key cache {}: {e}", dir.display())))
}

fn pending_dir(state_dir: Option<&Path>) -> Result<PathBuf, Failure> {
    Ok(hushlist::client::state::resolve_dir(state_dir)?.join("pending-evaluations"))
}

/// Writes the request for the numbers not cached yet; keeps the blinds.
pub fn write_request(
    state_dir: Option<&Path>,
    snapshot: &Snapshot,
    epoch: Epoch,
    numbers: &[String],
    out: &Path,
) -> Result<Exit, Failure> {
    let (public_key, _) = sealed_epoch(snapshot, epoch)?;
    let cache = cache(snapshot, epoch)?;
    let missing: Vec<String> = numbers
        .iter()
        .filter(|n| cache.get(n).is_none())
        .cloned()
        .collect();
    if missing.is_empty() {
        return print(&format!(
            "all {} numbers are in the key cache already: nothing to carry\n",
            numbers.len()
        ))
        .map(|_| Exit::Success);
    }
    let (request, pending) = carried::prepare(&public_key, &missing);
    let id = pending.id.clone();
    let dir = pending_dir(state_dir)?;
    hushlist::files::create_private_dir(&dir)
        .map_err(|e| Failure::error(format!("{}: {e}", dir.display())))?;
    let kept = dir.join(format!("{id}.json"));
    let json = serde_json::to_vec(&pending).expect("serializes");
    hushlist::files::write_private_file(&kept, &json)
        .map_err(|e| Failure::error(format!("{}: {e}", kept.display())))?;
    let json = serde_json::to_vec_pretty(&request).expect("serializes");
    hushlist::files::write_private_file(out, &json)
        .map_err(|e| Failure::error(format!("{}: {e}", out.display())))?;
    print(&format!(
        "wrote {} blinded numbers ({} already cached) in {} batch(es) to {}: request {id}\n  \
         carry it to a machine that reaches {} and run there\n    \
         hushlist evaluate --request-file {} --response-file RESPONSE --evaluation-url {} --token-file TOKEN\n  \
         then here: hushlist prewarm --response-file RESPONSE\n  \
         (the blinds stay in {}, 0600; the file holds blinded values only)\n",
        missing.len(),
        numbers.len() - missing.len(),
        request.batches.len(),
        out.display(),
        snapshot.header.evaluation_url,
        out.display(),
        snapshot.header.evaluation_url,
        kept.display()
    ))
    .map(|_| Exit::Success)
}

/// Verifies a carried response and fills the key cache with its items, for
/// the epoch the request was made for (its key, kept with the blinds).
pub fn read_response(
    state_dir: Option<&Path>,
    snapshot: &Snapshot,
    file: &Path,
) -> Result<Exit, Failure> {
    let response: ResponseFile = read_json(file)?;
    if response.id.is_empty() || !response.id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Failure::error(format!(
            "{}: not a response to a request of this machine (its id is not hex)",
            file.display()
        )));
    }
    let kept = pending_dir(state_dir)?.join(format!("{}.json", response.id));
    if !kept.exists() {
        return Err(Failure::error(format!(
            "{}: answers request {}, which this state did not make or has finished \
             (no {})",
            file.display(),
            response.id,
            kept.display()
        )));
    }
    let pending: Pending = read_json(&kept)?;
    let epoch = [Epoch::Current, Epoch::Next]
        .into_iter()
        .find(|&e| {
            sealed_epoch(snapshot, e).is_ok_and(|(key, _)| {
                key.iter().map(|b| format!("{b:02x}")).collect::<String>() == pending.public_key
            })
        })
        .ok_or_else(|| {
            Failure::error(format!(
                "{}: request {} was made for an epoch key this snapshot names neither as current \
                 nor as next (an epoch that has passed): write a new request",
                file.display(),
                response.id
            ))
        })?;
    let (public_key, salt) = sealed_epoch(snapshot, epoch)?;
    let items = carried::finish(&pending, &response, &public_key, &salt).map_err(|e| {
        Failure::error(format!(
            "{}: refused, {e}; write a new request if the answer was damaged",
            file.display()
        ))
    })?;
    let mut cache = cache(snapshot, epoch)?;
    for (n, item) in &items {
        cache.insert(n, *item);
    }
    cache
        .flush()
        .map_err(|e| Failure::error(format!("key cache {}: {e}", cache.path().display())))?;
    // A used blind must not serve twice.
    let _ = std::fs::remove_file(&kept);
    print(&format!(
        "verified the answers to request {} ({} numbers, proofs against the snapshot's key {}) \
         and cached their keys for the {} epoch\n  cache {}\n",
        response.id,
        items.len(),
        hushlist::format::sealed::key_id(&public_key),
        if epoch == Epoch::Current {
            "current"
        } else {
            "next"
        },
        cache.path().display()
    ))
    .map(|_| Exit::Success)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    let mut file = hushlist::files::open_regular(path)
        .map_err(|e| Failure::error(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, 64 << 20), &mut bytes)
        .map_err(|e| Failure::error(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| Failure::error(format!("{}: {e}", path.display())))
}

#[derive(Parser)]
pub struct EvaluateArgs {
    /// The request file an air-gapped machine wrote (`prewarm --request-file`).
    #[arg(long, value_name = "FILE")]
    request_file: PathBuf,
    /// Where to write the answers, to carry back (`prewarm --response-file`).
    #[arg(long, value_name = "FILE")]
    response_file: PathBuf,
    /// The evaluation service: the URL `hushlist status` shows on the
    /// air-gapped machine.
    #[arg(long, value_name = "URL", env = "HUSHLIST_EVALUATION_URL")]
    evaluation_url: String,
    /// The file holding this company's token (keep it 0600); also
    /// HUSHLIST_TOKEN.
    #[arg(long, value_name = "FILE", env = "HUSHLIST_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// A CA certificate (PEM) to trust for the URL, besides the system's.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Allow a plain http:// URL (a test service).
    #[arg(long)]
    allow_http: bool,
    /// Seconds before one request is given up.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    timeout: u64,
}

/// `hushlist evaluate`: on an online machine, the request's batches asked
/// of the service. It sees blinded values only, and needs no snapshot.
#[cfg(feature = "http")]
pub fn evaluate(config: &crate::config::FileConfig, args: EvaluateArgs) -> Result<Exit, Failure> {
    use hushlist::client::transport::HttpOptions;
    let request: RequestFile = read_json(&args.request_file)?;
    let token = crate::evaluation_args::token(args.token_file.as_deref(), config)?
        .map(|(token, _)| token)
        .ok_or_else(|| {
            Failure::error(
                "no token: give --token-file FILE (or HUSHLIST_TOKEN_FILE, HUSHLIST_TOKEN)",
            )
        })?;
    let options = HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        ca_cert: args.ca_cert,
        allow_http: args.allow_http,
        ..HttpOptions::default()
    };
    let service = hushlist::client::evaluation::HttpEvaluator::new(
        &args.evaluation_url,
        Some(token),
        options,
    )
    .map_err(Failure::error)?;
    let count: usize = request.batches.iter().map(|b| b.blinded.len()).sum();
    let response = carried::answer_file(&service, &request)
        .map_err(|e| Failure::error(format!("{e}; no response was written")))?;
    let json = serde_json::to_vec_pretty(&response).expect("serializes");
    hushlist::files::write_private_file(&args.response_file, &json)
        .map_err(|e| Failure::error(format!("{}: {e}", args.response_file.display())))?;
    print(&format!(
        "evaluated {count} blinded numbers of request {} in {} batch(es) at {}; wrote {}\n  \
         carry it back: hushlist prewarm --response-file {} (it verifies every proof there)\n",
        request.id,
        response.answers.len(),
        hushlist::check::sealed::Evaluator::describe(&service),
        args.response_file.display(),
        args.response_file.display()
    ))
    .map(|_| Exit::Success)
}

/// Without HTTP support there is no service to ask.
#[cfg(not(feature = "http"))]
pub fn evaluate(_config: &crate::config::FileConfig, _args: EvaluateArgs) -> Result<Exit, Failure> {
    Err(Failure::error(
        "this build has no HTTP support: `hushlist evaluate` needs the full client",
    ))
}
