//! Load test of a sealed snapshot's evaluation service (`hushlist-publish
//! serve`): CLIENTS threads, each a real client with its own connection and
//! token, send REQUESTS batches of BATCH fresh random E.164 numbers, blinded,
//! and verify every answer's proof against the snapshot's OPRF public key
//! before counting it. Prints requests, errors by kind, elements evaluated,
//! wall time, evaluations/s and request latency percentiles (the round trip
//! of one `POST /evaluate`; blinding and verifying are timed apart).
//!
//! ```sh
//! cargo build --release --example evaluation_load
//! target/release/examples/evaluation_load SITE/SNAPSHOT_FILE_OR_SITE \
//!     http://127.0.0.1:8080/evaluate TOKENS 50 15s 100
//! ```
//!
//! TOKENS is a token file (`hushlist-publish clients add --token-file`), or a
//! directory of them: client i uses the i-th file (by name, cycling). REQUESTS
//! is a count per client, or a duration such as `15s` for which every client
//! keeps asking. The snapshot is only decoded for its public key and salt, not
//! verified: point it at your own publication. Exits 1 if any request failed.
//! Each request spends BATCH evaluations of the token's quota.

use hushlist::check::sealed::{EvaluationError, Evaluator};
use hushlist::format::number_key::Kdf;
use hushlist::format::sealed::Blinded;
use hushlist::format::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// How long the clients go on.
#[derive(Clone, Copy)]
enum Run {
    Requests(u64),
    For(Duration),
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// Kind -> (count, first message).
    errors: BTreeMap<String, (u64, String)>,
    elements: u64,
    blinding: Duration,
    verifying: Duration,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("evaluation_load: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [snapshot, url, tokens, clients, requests, batch] = &args[..] else {
        return Err(
            "usage: evaluation_load SNAPSHOT URL TOKEN_FILE|TOKEN_DIR CLIENTS \
                    REQUESTS|SECSs BATCH"
                .into(),
        );
    };
    let (public_key, salt) = epoch(Path::new(snapshot))?;
    let tokens = read_tokens(Path::new(tokens))?;
    let clients: usize = clients.parse().map_err(|_| "CLIENTS: a number")?;
    let batch: usize = batch.parse().map_err(|_| "BATCH: a number")?;
    let run = match requests.strip_suffix('s') {
        Some(secs) => Run::For(Duration::from_secs_f64(
            secs.parse()
                .map_err(|_| "REQUESTS: a count or seconds such as 15s")?,
        )),
        None => Run::Requests(requests.parse().map_err(|_| "REQUESTS: a count")?),
    };
    if clients == 0 || batch == 0 {
        return Err("CLIENTS and BATCH are at least 1".into());
    }
    let evaluators = (0..clients)
        .map(|i| connect(url, tokens[i % tokens.len()].clone()))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "evaluation_load: {clients} clients ({} tokens), batches of {batch}, key {}…",
        tokens.len(),
        hex::encode(&public_key[..8])
    );

    let barrier = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = evaluators
        .into_iter()
        .map(|evaluator| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                client(&*evaluator, &public_key, &salt, batch, run, Instant::now())
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let tallies: Vec<Tally> = threads
        .into_iter()
        .map(|t| t.join().expect("a client does not panic"))
        .collect();
    let wall = started.elapsed();
    Ok(report(tallies, wall))
}

/// The public key and salt of the snapshot's current, sealed epoch.
fn epoch(path: &Path) -> Result<([u8; 32], [u8; 32]), String> {
    let file = if path.is_dir() {
        hushlist::published::snapshot_files(path)
            .map_err(|e| e.to_string())?
            .pop()
            .ok_or_else(|| format!("{}: no snapshot", path.display()))?
            .1
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let header = Snapshot::decode_vec(bytes)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .header;
    match header.kdf {
        Kdf::Voprf { public_key } => Ok((public_key, header.salt)),
        _ => Err(format!("{}: not a sealed snapshot", file.display())),
    }
}

/// The token of a file, or of each file of a directory (by name).
fn read_tokens(path: &Path) -> Result<Vec<String>, String> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    let tokens = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|t| t.trim().to_string())
                .map_err(|e| format!("{}: {e}", f.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if tokens.is_empty() {
        return Err(format!("{}: no token file", path.display()));
    }
    Ok(tokens)
}

#[cfg(feature = "http")]
fn connect(url: &str, token: String) -> Result<Box<dyn Evaluator>, String> {
    use hushlist::client::evaluation::HttpEvaluator;
    use hushlist::client::transport::HttpOptions;
    let options = HttpOptions {
        allow_http: true,
        ..Default::default()
    };
    Ok(Box::new(HttpEvaluator::new(url, Some(token), options)?))
}

#[cfg(not(feature = "http"))]
fn connect(_url: &str, _token: String) -> Result<Box<dyn Evaluator>, String> {
    Err("built without the http feature (on by default)".into())
}

/// One client's loop: blind fresh numbers, ask, verify, count.
fn client(
    evaluator: &dyn Evaluator,
    public_key: &[u8; 32],
    salt: &[u8; 32],
    batch: usize,
    run: Run,
    started: Instant,
) -> Tally {
    let mut tally = Tally::default();
    for sent in 0u64.. {
        match run {
            Run::Requests(n) if sent >= n => break,
            Run::For(d) if started.elapsed() >= d => break,
            _ => {}
        }
        let t = Instant::now();
        let blinded = Blinded::new(&random_numbers(batch));
        tally.blinding += t.elapsed();

        let t = Instant::now();
        let answer = evaluator.evaluate(public_key, &blinded.elements);
        tally.latencies.push(t.elapsed());

        let t = Instant::now();
        let outcome = answer.and_then(|a| {
            blinded
                .finalize(&a.evaluated, &a.proof, public_key, salt)
                .map_err(|error| EvaluationError::Refused {
                    service: evaluator.describe(),
                    error,
                })
        });
        tally.verifying += t.elapsed();
        match outcome {
            Ok(keys) => tally.elements += keys.len() as u64,
            Err(e) => {
                let kind = match &e {
                    EvaluationError::Service {
                        status: Some(s), ..
                    } => format!("HTTP {s}"),
                    EvaluationError::Service { status: None, .. } => "no answer".into(),
                    EvaluationError::Refused { .. } => "answer refused".into(),
                    _ => "other".into(),
                };
                tally.errors.entry(kind).or_insert((0, e.to_string())).0 += 1;
            }
        }
    }
    tally
}

/// `n` random numbers of the North American plan, E.164.
fn random_numbers(n: usize) -> Vec<String> {
    let mut bytes = vec![0u8; 8 * n];
    getrandom::fill(&mut bytes).expect("randomness from the OS");
    bytes
        .chunks_exact(8)
        .map(|c| {
            let r = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            let area = 200 + r % 800;
            let exchange = 200 + (r / 800) % 800;
            let line = (r / 640_000) % 10_000;
            format!("+1{area}{exchange}{line:04}")
        })
        .collect()
}

/// Prints the summary; true when no request failed.
fn report(tallies: Vec<Tally>, wall: Duration) -> bool {
    let mut all = Tally::default();
    for t in tallies {
        all.latencies.extend(t.latencies);
        all.elements += t.elements;
        all.blinding += t.blinding;
        all.verifying += t.verifying;
        for (kind, (n, message)) in t.errors {
            all.errors.entry(kind).or_insert((0, message)).0 += n;
        }
    }
    let requests = all.latencies.len();
    let failed: u64 = all.errors.values().map(|(n, _)| n).sum();
    all.latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let pick = |q: f64| {
        let rank = ((q * requests as f64).ceil() as usize).clamp(1, requests.max(1));
        all.latencies.get(rank - 1).copied().map_or(0.0, ms)
    };
    let per_request = |d: Duration| ms(d) / requests.max(1) as f64;
    let rate = all.elements as f64 / wall.as_secs_f64();

    println!("requests:  {requests} ({failed} failed)");
    if all.errors.is_empty() {
        println!("errors:    none");
    }
    for (kind, (n, message)) in &all.errors {
        println!("errors:    {kind}: {n} (first: {message})");
    }
    println!("elements:  {} evaluated and verified", all.elements);
    println!("wall:      {:.2} s", wall.as_secs_f64());
    println!("rate:      {rate:.0} evaluations/s");
    println!(
        "latency:   p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pick(0.50),
        pick(0.90),
        pick(0.99),
        pick(1.0)
    );
    println!(
        "client:    {:.1} ms blinding, {:.1} ms verifying per request (mean)",
        per_request(all.blinding),
        per_request(all.verifying)
    );
    // One line for scripts.
    println!(
        "summary requests={requests} errors={failed} elements={} wall_s={:.3} \
         eval_per_s={rate:.0} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        all.elements,
        wall.as_secs_f64(),
        pick(0.50),
        pick(0.90),
        pick(0.99),
        pick(1.0)
    );
    failed == 0
}
