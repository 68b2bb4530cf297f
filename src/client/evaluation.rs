//! The publisher's evaluation service over HTTP(S): a sealed snapshot's keys
//! for the numbers not cached yet. Only blinded elements and the client's
//! token leave the machine; the answer is checked by [`crate::check::sealed`]
//! against the verified snapshot's public key before anything is kept.

use crate::check::sealed::{Evaluation, EvaluationError, Evaluator};
use crate::client::sources::redact;
use crate::client::transport::{client_builder, error_text, HttpOptions};
use crate::format::evaluation::{Answer, ErrorBody, Request, MAX_BODY_BYTES};
use crate::format::sealed::ELEMENT_LEN;
use std::io::Read;
use std::time::Instant;
use zeroize::Zeroizing;

/// An evaluation service at one URL, with the client's token.
pub struct HttpEvaluator {
    url: String,
    shown: String,
    token: Option<Zeroizing<String>>,
    client: reqwest::blocking::Client,
    options: HttpOptions,
}

impl HttpEvaluator {
    /// The service at `url` (`https://`, or `http://` when the options allow
    /// it), sending `token` as a bearer token. Redirects are not followed: the
    /// token goes to the URL given and nowhere else.
    pub fn new(url: &str, token: Option<String>, options: HttpOptions) -> Result<Self, String> {
        let plain = url.starts_with("http://");
        if !(url.starts_with("https://") || plain && options.allow_http) {
            return Err(format!(
                "evaluation URL {}: https:// only{}",
                redact(url),
                if plain {
                    " (a plain http:// test service needs --allow-http)"
                } else {
                    ""
                }
            ));
        }
        if token
            .as_deref()
            .is_some_and(|t| t.is_empty() || t.bytes().any(|b| !b.is_ascii_graphic()))
        {
            return Err("the evaluation token must be printable ASCII without spaces".into());
        }
        let client = client_builder(&options)?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(HttpEvaluator {
            url: url.to_string(),
            shown: redact(url),
            token: token.map(Zeroizing::new),
            client,
            options,
        })
    }

    fn failed(&self, status: Option<u16>, message: String) -> EvaluationError {
        EvaluationError::Service {
            service: self.shown.clone(),
            status,
            message,
        }
    }

    /// The body, at most [`MAX_BODY_BYTES`], read within the timeout.
    fn body(
        &self,
        response: reqwest::blocking::Response,
        started: Instant,
    ) -> Result<Vec<u8>, String> {
        let announced = response.content_length();
        if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(format!(
                "answer of {} bytes, more than {MAX_BODY_BYTES}",
                announced.unwrap_or(0)
            ));
        }
        let mut bytes = Vec::new();
        let mut reader = response.take(MAX_BODY_BYTES as u64 + 1);
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if started.elapsed() > self.options.timeout {
                return Err(format!(
                    "no complete answer within {} s",
                    self.options.timeout.as_secs()
                ));
            }
            let n = reader
                .read(&mut chunk)
                .map_err(|e| format!("answer cut off: {e}"))?;
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..n]);
            if bytes.len() > MAX_BODY_BYTES {
                return Err(format!("answer longer than {MAX_BODY_BYTES} bytes"));
            }
        }
        if announced.is_some_and(|n| n != bytes.len() as u64) {
            return Err(format!(
                "answer cut off: {} of {} bytes",
                bytes.len(),
                announced.unwrap_or(0)
            ));
        }
        Ok(bytes)
    }
}

impl Evaluator for HttpEvaluator {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn evaluate(
        &self,
        public_key: &[u8; ELEMENT_LEN],
        blinded: &[[u8; ELEMENT_LEN]],
    ) -> Result<Evaluation, EvaluationError> {
        let body =
            serde_json::to_vec(&Request::new(public_key, blinded)).expect("a request serializes");
        let started = Instant::now();
        let mut request = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.as_str());
        }
        let response = request.send().map_err(|e| {
            if e.is_timeout() {
                self.failed(
                    None,
                    format!("no answer within {} s", self.options.timeout.as_secs()),
                )
            } else {
                self.failed(None, error_text(e))
            }
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = self
            .body(response, started)
            .map_err(|m| self.failed(Some(status.as_u16()), m))?;
        if !status.is_success() {
            // The service's own words, when it gave some; shown as text only.
            let said = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| format!("{}: {}", b.error, b.message))
                .unwrap_or_else(|_| "no error body".into());
            let said: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
            let hint = match status.as_u16() {
                401 => "; the token was refused: check the token file the publisher gave you",
                429 => "; this client's quota of evaluations is used up",
                300..=399 => "; redirects are not followed (the token goes to the URL given only)",
                _ => "",
            };
            let retry = retry_after
                .map(|r| format!("; retry after {r} s"))
                .unwrap_or_default();
            return Err(self.failed(
                Some(status.as_u16()),
                format!("HTTP {} ({said}){hint}{retry}", status.as_u16()),
            ));
        }
        let answer: Answer = serde_json::from_slice(&bytes).map_err(|e| {
            self.failed(
                Some(status.as_u16()),
                format!("the answer is not an evaluation: {e}"),
            )
        })?;
        let (evaluated, proof) = answer.decode().map_err(|m| {
            self.failed(
                Some(status.as_u16()),
                format!("the answer is not an evaluation: {m}"),
            )
        })?;
        Ok(Evaluation { evaluated, proof })
    }
}

/// Which service a sealed snapshot's keys are asked from, and why that one:
/// `given` (a mirror, a test service) instead of the one the signed snapshot
/// names. `None` when the snapshot has no sealed epoch.
pub fn service_for(
    header: &crate::format::snapshot::Header,
    given: Option<&str>,
) -> Option<(String, &'static str)> {
    if !header.has_sealed_epoch() {
        return None;
    }
    Some(match given {
        Some(url) => (url.to_string(), "given instead of the snapshot's"),
        None => (
            header.evaluation_url.clone(),
            "named by the signed snapshot",
        ),
    })
}

/// A sealed snapshot's service as every program asks it: never without a
/// token (a request without one would only be refused, after showing the
/// service who asks), a refused token said with where it came from, and
/// whether it was asked at all remembered, so that a program says which
/// service it asked only when it did (a run whose keys are all cached asks
/// nothing).
pub struct Service {
    inner: HttpEvaluator,
    token_source: Option<String>,
    no_token_hint: String,
    asked: std::sync::atomic::AtomicBool,
    announcement: String,
}

impl Service {
    /// The service at `url`, chosen for reason `why` ([`service_for`]), with
    /// the token and where it came from. `no_token_hint` is how the program
    /// says to give a token (its flags or arguments).
    pub fn new(
        url: &str,
        why: &str,
        token: Option<(String, String)>,
        options: HttpOptions,
        no_token_hint: &str,
    ) -> Result<Self, String> {
        let plain = if url.starts_with("http://") {
            "; plain http: anyone on the path sees who asks and how many, never the numbers"
        } else {
            ""
        };
        let (token, token_source) = match token {
            Some((token, source)) => (Some(token), Some(source)),
            None => (None, None),
        };
        let inner = HttpEvaluator::new(url, token, options)?;
        let announcement = format!(
            "sealed snapshot: asking {} ({why}) for the keys of numbers not in the key cache, \
             blinded; token from {}{plain}",
            inner.describe(),
            token_source.as_deref().unwrap_or("nowhere")
        );
        Ok(Service {
            inner,
            token_source,
            no_token_hint: no_token_hint.to_string(),
            asked: std::sync::atomic::AtomicBool::new(false),
            announcement,
        })
    }

    /// Which service, why it, and where the token came from: for a program
    /// to say once it was asked.
    pub fn announcement(&self) -> &str {
        &self.announcement
    }

    /// Whether it has a token to ask with.
    pub fn has_token(&self) -> bool {
        self.token_source.is_some()
    }

    /// Whether a request was made.
    pub fn asked(&self) -> bool {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Evaluator for Service {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn evaluate(
        &self,
        public_key: &[u8; ELEMENT_LEN],
        blinded: &[[u8; ELEMENT_LEN]],
    ) -> Result<Evaluation, EvaluationError> {
        let Some(source) = &self.token_source else {
            return Err(EvaluationError::Service {
                service: self.inner.describe(),
                status: None,
                message: format!(
                    "{} number(s) not in the key cache and no token: {}",
                    blinded.len(),
                    self.no_token_hint
                ),
            });
        };
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner
            .evaluate(public_key, blinded)
            .map_err(|e| match e {
                EvaluationError::Service {
                    service,
                    status: Some(401),
                    message,
                } => EvaluationError::Service {
                    service,
                    status: Some(401),
                    message: format!("{message} (the token came from {source})"),
                },
                e => e,
            })
    }
}
