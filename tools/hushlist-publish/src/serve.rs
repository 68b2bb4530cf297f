//! `hushlist-publish serve`: the evaluation service of sealed snapshots.
//!
//! `POST /evaluate` takes a batch of blinded elements with a client's token
//! and answers with the elements evaluated under the epoch's OPRF key and one
//! proof (FORMAT.md, "Evaluation protocol"); `GET /healthz` and `GET
//! /metrics` (Prometheus text) are for operators. The epochs served are the
//! sealed ones the published directory's newest snapshot names, re-read when
//! a newer snapshot appears, and each epoch's public key must be the one the
//! OPRF key gives. The service sees blinded elements only; it logs the
//! client, the count and the outcome, never element bytes.

use crate::clients::{Admission, Clients};

/// A log line on standard error. std's `eprintln!` panics when stderr is
/// closed (a pipe whose reader went away), which would drop the request
/// being served: here the line is lost and the service goes on.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
use crate::passphrase::read_key;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hushlist::format::evaluation::{Answer, ErrorBody, Request as EvalRequest, MAX_BODY_BYTES};
use hushlist::format::sealed::{EpochKey, OprfSeed, SealedError, MAX_BATCH};
use hushlist::format::snapshot::Snapshot;
use hushlist::format::time::now;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What `serve` is told.
pub struct ServeOptions {
    pub out: PathBuf,
    pub oprf_key: PathBuf,
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub max_batch: usize,
    pub threads: Option<usize>,
}

/// A sealed epoch being served.
struct Epoch {
    key: EpochKey,
    /// When a quota for it is renewed (the epoch after it starts), Unix seconds.
    ends: i64,
}

struct Loaded {
    /// The snapshot the epochs come from.
    file: PathBuf,
    sequence: u64,
    checked: Instant,
    epochs: BTreeMap<[u8; 32], Arc<Epoch>>,
}

#[derive(Default)]
struct Metrics {
    outcomes: Mutex<BTreeMap<&'static str, u64>>,
    evaluations: AtomicU64,
}

struct Service {
    dir: PathBuf,
    seed: OprfSeed,
    clients: Mutex<Clients>,
    loaded: Mutex<Loaded>,
    metrics: Metrics,
    max_batch: usize,
}

/// The sealed epochs of the newest snapshot in `dir`.
fn load(dir: &Path, seed: &OprfSeed) -> Result<Loaded, String> {
    let (sequence, file) = hushlist::published::snapshot_files(dir)
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or_else(|| format!("{}: no snapshot to serve the epochs of", dir.display()))?;
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let snapshot = Snapshot::decode_vec(bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let h = &snapshot.header;
    let length = h.next_epoch_start - h.epoch_start;
    let mut epochs = BTreeMap::new();
    for (kdf, salt, ends) in [
        (h.kdf, h.salt, h.next_epoch_start),
        (
            h.next_kdf,
            h.next_salt,
            h.next_epoch_start.saturating_add(length),
        ),
    ] {
        if let hushlist::format::number_key::Kdf::Voprf { public_key } = kdf {
            let key = seed.epoch_key(&salt);
            if key.public_key() != public_key {
                return Err(format!(
                    "{}: its sealed epoch's public key {} is not the one this OPRF key gives: \
                     wrong --oprf-key, or a snapshot this publisher did not build",
                    file.display(),
                    hex::encode(public_key)
                ));
            }
            epochs.insert(public_key, Arc::new(Epoch { key, ends }));
        }
    }
    if epochs.is_empty() {
        return Err(format!(
            "{}: snapshot #{sequence} has no sealed epoch (build with --kdf voprf)",
            file.display()
        ));
    }
    Ok(Loaded {
        file,
        sequence,
        checked: Instant::now(),
        epochs,
    })
}

impl Service {
    /// The epoch of `public_key`, re-reading the directory when a newer
    /// snapshot may have appeared (at most every two seconds).
    fn epoch(&self, public_key: &[u8; 32]) -> Option<Arc<Epoch>> {
        self.refreshed().epochs.get(public_key).cloned()
    }

    /// The epochs served, re-read first when a newer snapshot may have
    /// appeared (at most every two seconds; evaluations, health and
    /// metrics requests all look).
    fn refreshed(&self) -> std::sync::MutexGuard<'_, Loaded> {
        let mut loaded = self.loaded.lock().expect("not poisoned");
        if loaded.checked.elapsed() > Duration::from_secs(2) {
            loaded.checked = Instant::now();
            let newest = hushlist::published::snapshot_files(&self.dir)
                .ok()
                .and_then(|mut f| f.pop());
            if newest.is_some_and(|(_, f)| f != loaded.file) {
                match load(&self.dir, &self.seed) {
                    Ok(fresh) => {
                        eprintln!(
                            "hushlist-publish serve: now serving the sealed epochs of snapshot #{}",
                            fresh.sequence
                        );
                        *loaded = fresh;
                    }
                    // The epochs served so far stay: a bad new file stops nothing.
                    Err(e) => eprintln!("hushlist-publish serve: not reloaded: {e}"),
                }
            }
        }
        loaded
    }

    fn count(&self, outcome: &'static str) {
        *self
            .metrics
            .outcomes
            .lock()
            .expect("not poisoned")
            .entry(outcome)
            .or_default() += 1;
    }

    fn metrics_text(&self) -> String {
        let mut out = String::from(
            "# HELP hushlist_evaluate_requests_total Evaluation requests by outcome.\n\
             # TYPE hushlist_evaluate_requests_total counter\n",
        );
        for (outcome, n) in self.metrics.outcomes.lock().expect("not poisoned").iter() {
            out.push_str(&format!(
                "hushlist_evaluate_requests_total{{outcome=\"{outcome}\"}} {n}\n"
            ));
        }
        let loaded = self.refreshed();
        out.push_str(&format!(
            "# HELP hushlist_evaluations_total Blinded elements evaluated.\n\
             # TYPE hushlist_evaluations_total counter\n\
             hushlist_evaluations_total {}\n\
             # HELP hushlist_snapshot_sequence The snapshot whose sealed epochs are served.\n\
             # TYPE hushlist_snapshot_sequence gauge\n\
             hushlist_snapshot_sequence {}\n\
             # HELP hushlist_sealed_epochs Sealed epochs served.\n\
             # TYPE hushlist_sealed_epochs gauge\n\
             hushlist_sealed_epochs {}\n",
            self.metrics.evaluations.load(Ordering::Relaxed),
            loaded.sequence,
            loaded.epochs.len()
        ));
        out
    }
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Full::new(body.into()))
        .expect("a valid response")
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(&ErrorBody {
        error: code.into(),
        message: message.into(),
    })
    .expect("serializes");
    reply(status, "application/json", body)
}

async fn handle(service: Arc<Service>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/healthz") => {
            let sequence = service.refreshed().sequence;
            reply(
                StatusCode::OK,
                "text/plain",
                format!("ok: sealed epochs of snapshot #{sequence}\n"),
            )
        }
        (&Method::GET, "/metrics") => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            service.metrics_text(),
        ),
        (&Method::POST, "/evaluate") => {
            let (outcome, client, count, response) = evaluate(&service, request).await;
            service.count(outcome);
            eprintln!(
                "hushlist-publish serve: evaluate client={} count={count} outcome={outcome}",
                client.as_deref().unwrap_or("-")
            );
            response
        }
        (_, "/evaluate") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "POST a batch of blinded elements",
        ),
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such endpoint"),
    }
}

type Outcome = (&'static str, Option<String>, usize, Response<Full<Bytes>>);

async fn evaluate(service: &Arc<Service>, request: Request<Incoming>) -> Outcome {
    let token = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let Some(token) = token else {
        return (
            "unauthorized",
            None,
            0,
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an Authorization: Bearer token is required",
            ),
        );
    };
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return (
                "too_large",
                None,
                0,
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("a request body is at most {MAX_BODY_BYTES} bytes"),
                ),
            )
        }
        Err(e) => {
            return (
                "bad_request",
                None,
                0,
                error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("reading the body: {e}"),
                ),
            )
        }
    };
    let parsed = serde_json::from_slice::<EvalRequest>(&body)
        .map_err(|e| e.to_string())
        .and_then(|r| r.decode());
    let (public_key, blinded) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return (
                "bad_request",
                None,
                0,
                error(StatusCode::BAD_REQUEST, "bad_request", e),
            )
        }
    };
    let count = blinded.len();
    if count == 0 {
        return (
            "bad_request",
            None,
            0,
            error(StatusCode::BAD_REQUEST, "bad_request", "no blinded element"),
        );
    }
    if count > service.max_batch {
        return (
            "too_large",
            None,
            count,
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a batch holds at most {} elements", service.max_batch),
            ),
        );
    }
    let Some(epoch) = service.epoch(&public_key) else {
        return (
            "unknown_key",
            None,
            count,
            error(
                StatusCode::NOT_FOUND,
                "unknown_key",
                "no sealed epoch served here has this public key (update to the newest snapshot)",
            ),
        );
    };
    let ends = epoch.ends;
    let work = Arc::clone(service);
    let result = tokio::task::spawn_blocking(move || {
        // Counted before the work, in one transaction: concurrent requests
        // cannot both take the last of a quota.
        let admission =
            work.clients
                .lock()
                .expect("not poisoned")
                .admit(&token, &public_key, count as u64);
        match admission {
            Ok(Admission::Granted { client }) => (Ok(client), epoch.key.evaluate(&blinded)),
            other => (Err(other), Err(SealedError::BatchSize(0))),
        }
    })
    .await
    .expect("the evaluation does not panic");
    match result {
        (Ok(client), Ok((evaluated, proof))) => {
            service
                .metrics
                .evaluations
                .fetch_add(count as u64, Ordering::Relaxed);
            let body = serde_json::to_vec(&Answer::new(&evaluated, &proof)).expect("serializes");
            (
                "ok",
                Some(client),
                count,
                reply(StatusCode::OK, "application/json", body),
            )
        }
        (Ok(client), Err(e)) => (
            "bad_request",
            Some(client),
            count,
            error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
        ),
        (Err(Ok(Admission::UnknownToken)), _) => (
            "unauthorized",
            None,
            count,
            error(StatusCode::UNAUTHORIZED, "unauthorized", "unknown token"),
        ),
        (
            Err(Ok(Admission::OverQuota {
                client,
                used,
                quota,
            })),
            _,
        ) => {
            let retry = (ends - now()).max(1);
            let left = quota.saturating_sub(used);
            let what = if (count as u64) > quota {
                format!(
                    "a batch of {count} is more than the whole quota of {quota} per epoch: ask \
                     the publisher for a larger quota (nothing was counted)"
                )
            } else {
                format!(
                    "{used} of {quota} evaluations used in this epoch, {left} left: a batch of \
                     {count} would pass the quota, which starts again with the next epoch \
                     (nothing was counted)"
                )
            };
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "quota_exhausted", what);
            response
                .headers_mut()
                .insert("retry-after", retry.to_string().parse().expect("digits"));
            ("quota_exhausted", Some(client), count, response)
        }
        (Err(Ok(Admission::Granted { .. })), _) => unreachable!("granted goes to Ok"),
        (Err(Err(e)), _) => (
            "error",
            None,
            count,
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("client database: {e}"),
            ),
        ),
    }
}

/// Runs the service until SIGINT or SIGTERM, then lets requests in flight
/// finish (at most 10 s).
pub fn serve(options: ServeOptions, passphrase_file: Option<&Path>) -> Result<(), String> {
    let key = read_key(&options.oprf_key, passphrase_file)?;
    let seed = OprfSeed::from_key_file(&key);
    let loaded = load(&options.out, &seed)?;
    let clients = Clients::open(&options.db)?;
    if !(1..=MAX_BATCH).contains(&options.max_batch) {
        return Err(format!("--max-batch is 1 to {MAX_BATCH}"));
    }
    let sequence = loaded.sequence;
    let service = Arc::new(Service {
        dir: options.out.clone(),
        seed,
        clients: Mutex::new(clients),
        loaded: Mutex::new(loaded),
        metrics: Metrics::default(),
        max_batch: options.max_batch,
    });
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // The evaluations run on the blocking pool: bounding it is what bounds
    // the CPU the service takes (tokio's default allows 512 threads).
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    runtime
        .worker_threads(threads)
        .max_blocking_threads(threads);
    let runtime = runtime.enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("--listen {}: {e}", options.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!(
            "hushlist-publish serve: listening on http://{addr} (POST /evaluate, GET /healthz, \
             GET /metrics); sealed epochs of snapshot #{sequence}"
        );
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let service = Arc::clone(&service);
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(
                            TokioIo::new(stream),
                            hyper::service::service_fn(move |request| {
                                let service = Arc::clone(&service);
                                async move { Ok::<_, std::convert::Infallible>(handle(service, request).await) }
                            }),
                        );
                    let watched = graceful.watch(connection);
                    tokio::spawn(async move {
                        let _ = watched.await;
                    });
                }
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
            }
        }
        eprintln!("hushlist-publish serve: stopping; finishing the requests in flight");
        drop(listener);
        if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
            .await
            .is_err()
        {
            eprintln!("hushlist-publish serve: some connections were still open after 10 s");
        }
        eprintln!("hushlist-publish serve: stopped");
        Ok(())
    })
}
