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
