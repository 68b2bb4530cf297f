//! The keys of a sealed epoch: obtained from the publisher's evaluation
//! service, blinded, and checked against the public key of the verified
//! snapshot before anything is kept.
//!
//! The service sees blinded elements only (uniformly random group elements
//! whatever the numbers), the client token and how many; it answers with the
//! evaluated elements and one proof that the snapshot's key was used on
//! them. A batch whose answer fails any step is refused whole: nothing from
//! it is cached or looked up.

use crate::format::filter;
use crate::format::sealed::{Blinded, SealedError, ELEMENT_LEN, MAX_BATCH, PROOF_LEN};
use std::sync::Arc;

/// One answer of the evaluation service, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// One evaluated element per blinded element, in order.
    pub evaluated: Vec<[u8; ELEMENT_LEN]>,
    /// The batched DLEQ proof.
    pub proof: [u8; PROOF_LEN],
}

/// Why the keys of a sealed epoch could not be obtained. Nothing from the
/// batch concerned was kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// No evaluation service was given to a check of a sealed snapshot.
    #[error(
        "this snapshot is sealed: the keys of numbers not in the key cache come from the \
         publisher's evaluation service, and none was given"
    )]
    NoService,
    /// The service could not be reached, or answered with an error.
    #[error("evaluation service {service}: {message}")]
    Service {
        /// The service, as shown (no token, no password).
        service: String,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// What went wrong, in words.
        message: String,
    },
    /// The answer arrived but is not a valid evaluation of what was sent
    /// under the snapshot's key.
    #[error(
        "evaluation service {service}: answer refused, {error}; nothing from this batch was kept"
    )]
    Refused {
        /// The service, as shown.
        service: String,
        /// The step that failed.
        error: SealedError,
    },
}

/// What evaluates blinded elements: the publisher's service over HTTPS
/// ([`crate::client::evaluation::HttpEvaluator`]), or a program's own way
/// to carry a request to it (a file for an air-gapped site).
pub trait Evaluator: Send + Sync {
    /// The service, as messages name it (no secret in it).
    fn describe(&self) -> String;

    /// Evaluates `blinded` (1 to [`MAX_BATCH`] elements) under the key
    /// whose public half is `public_key`. The answer is checked by the
    /// caller, never trusted.
    fn evaluate(
        &self,
        public_key: &[u8; ELEMENT_LEN],
        blinded: &[[u8; ELEMENT_LEN]],
    ) -> Result<Evaluation, EvaluationError>;
}

/// An evaluator shared by the threads of a run.
#[derive(Clone)]
pub struct SharedEvaluator(pub Arc<dyn Evaluator>);

impl std::fmt::Debug for SharedEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Evaluator({})", self.0.describe())
    }
}

/// The filter items of `numbers` in a sealed epoch (`public_key`, `salt`),
/// in order: blinded here, evaluated by `evaluator` in batches of at most
/// [`MAX_BATCH`], each answer's proof verified before it is unblinded.
/// `done` is told how many numbers have their items after each batch.
pub fn sealed_items(
    evaluator: &dyn Evaluator,
    public_key: &[u8; ELEMENT_LEN],
    salt: &[u8; 32],
    numbers: &[String],
    done: &mut dyn FnMut(usize),
) -> Result<Vec<u64>, EvaluationError> {
    let mut items = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(MAX_BATCH) {
        let blinded = Blinded::new(chunk);
        let answer = evaluator.evaluate(public_key, &blinded.elements)?;
        let keys = blinded
            .finalize(&answer.evaluated, &answer.proof, public_key, salt)
            .map_err(|error| EvaluationError::Refused {
                service: evaluator.describe(),
                error,
            })?;
        items.extend(keys.iter().map(filter::item));
        done(items.len());
    }
    Ok(items)
}

/// Requests carried by hand, for a site that can never reach the service:
/// the air-gapped machine writes a [`RequestFile`](carried::RequestFile) of blinded elements and
/// keeps the blinds ([`Pending`](carried::Pending), secret, in its state directory); any
/// online machine turns the request into a [`ResponseFile`](carried::ResponseFile) with
/// [`answer_file`](carried::answer_file), seeing blinded values only; the air-gapped machine then
/// verifies and finishes it with [`finish`](carried::finish).
pub mod carried {
    use super::{EvaluationError, Evaluator};
    use crate::format::evaluation::{Answer, Request};
    use crate::format::filter;
    use crate::format::sealed::{Blinded, SealedError, ELEMENT_LEN, MAX_BATCH};
    use serde::{Deserialize, Serialize};

    /// What `type` says in a request file.
    pub const REQUEST_TYPE: &str = "hushlist-evaluation-request";
    /// What `type` says in a response file.
    pub const RESPONSE_TYPE: &str = "hushlist-evaluation-response";

    /// The blinded batches, as carried to an online machine.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RequestFile {
        /// [`REQUEST_TYPE`].
        #[serde(rename = "type")]
        pub kind: String,
        /// Names the request, so its answer finds its blinds.
        pub id: String,
        /// One request of the evaluation protocol per batch.
        pub batches: Vec<Request>,
    }

    /// The answers, as carried back.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ResponseFile {
        /// [`RESPONSE_TYPE`].
        #[serde(rename = "type")]
        pub kind: String,
        /// The request's id.
        pub id: String,
        /// One answer per batch, in order.
        pub answers: Vec<Answer>,
    }

    /// What the air-gapped machine keeps until the answer comes back: the
    /// numbers and their blinds. Secret (a blind links its element to its
    /// number): written 0600 in the state directory, removed once used.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Pending {
        /// The request's id.
        pub id: String,
        /// The epoch's public key, hex.
        pub public_key: String,
        /// Per batch: its numbers and their kept blinds (hex, 64 bytes each).
        pub batches: Vec<(Vec<String>, Vec<String>)>,
    }

    /// Blinds `numbers` for the epoch of `public_key`: the file to carry and
    /// what to keep, under a new random id.
    pub fn prepare(public_key: &[u8; ELEMENT_LEN], numbers: &[String]) -> (RequestFile, Pending) {
        let mut id = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut id);
        let id = hex::encode(id);
        let id = id.as_str();
        let mut batches = Vec::new();
        let mut kept = Vec::new();
        for chunk in numbers.chunks(MAX_BATCH) {
            let blinded = Blinded::new(chunk);
            batches.push(Request::new(public_key, &blinded.elements));
            kept.push((
                chunk.to_vec(),
                blinded.saved().iter().map(hex::encode).collect(),
            ));
        }
        (
            RequestFile {
                kind: REQUEST_TYPE.into(),
                id: id.into(),
                batches,
            },
            Pending {
                id: id.into(),
                public_key: hex::encode(public_key),
                batches: kept,
            },
        )
    }

    /// On the online machine: each batch evaluated by `evaluator`, in order.
    pub fn answer_file(
        evaluator: &dyn Evaluator,
        request: &RequestFile,
    ) -> Result<ResponseFile, EvaluationError> {
        let invalid = |m: String| EvaluationError::Service {
            service: "the request file".into(),
            status: None,
            message: m,
        };
        if request.kind != REQUEST_TYPE {
            return Err(invalid(format!("type is not {REQUEST_TYPE:?}")));
        }
        let mut answers = Vec::with_capacity(request.batches.len());
        for batch in &request.batches {
            let (key, blinded) = batch.decode().map_err(invalid)?;
            let answer = evaluator.evaluate(&key, &blinded)?;
            answers.push(Answer::new(&answer.evaluated, &answer.proof));
        }
        Ok(ResponseFile {
            kind: RESPONSE_TYPE.into(),
            id: request.id.clone(),
            answers,
        })
    }

    /// Why a carried answer cannot be used. Nothing of it is kept.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum CarriedError {
        /// The response answers another request.
        #[error("the response answers request {got}, not {expected}")]
        OtherRequest {
            /// The pending request's id.
            expected: String,
            /// The response's.
            got: String,
        },
        /// A file is not what it claims.
        #[error("{0}")]
        Malformed(String),
        /// The pending request is for another key than the one given.
        #[error("the request was made for another epoch's key than the snapshot's")]
        OtherKey,
        /// A batch's answer fails verification.
        #[error("batch {batch}: {error}; nothing from the response was kept")]
        Refused {
            /// Its position, from 1.
            batch: usize,
            /// The step that failed.
            error: SealedError,
        },
    }

    /// On the air-gapped machine: every batch's proof verified against
    /// `public_key` (from the verified snapshot), then the numbers' filter
    /// items. All or nothing.
    pub fn finish(
        pending: &Pending,
        response: &ResponseFile,
        public_key: &[u8; ELEMENT_LEN],
        salt: &[u8; 32],
    ) -> Result<Vec<(String, u64)>, CarriedError> {
        let malformed = CarriedError::Malformed;
        if response.kind != RESPONSE_TYPE {
            return Err(malformed(format!("type is not {RESPONSE_TYPE:?}")));
        }
        if response.id != pending.id {
            return Err(CarriedError::OtherRequest {
                expected: pending.id.clone(),
                got: response.id.clone(),
            });
        }
        if pending.public_key != hex::encode(public_key) {
            return Err(CarriedError::OtherKey);
        }
        if response.answers.len() != pending.batches.len() {
            return Err(malformed(format!(
                "{} answers for {} batches",
                response.answers.len(),
                pending.batches.len()
            )));
        }
        let mut items = Vec::new();
        for (i, ((numbers, kept), answer)) in
            pending.batches.iter().zip(&response.answers).enumerate()
        {
            let kept: Vec<[u8; 64]> = kept
                .iter()
                .map(|h| {
                    hex::decode(h)
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| malformed("a kept blind is not 64 bytes of hex".into()))
                })
                .collect::<Result<_, _>>()?;
            let refused = |error| CarriedError::Refused {
                batch: i + 1,
                error,
            };
            let blinded = Blinded::from_saved(numbers, &kept).map_err(refused)?;
            let (evaluated, proof) = answer.decode().map_err(malformed)?;
            let keys = blinded
                .finalize(&evaluated, &proof, public_key, salt)
                .map_err(refused)?;
            items.extend(numbers.iter().cloned().zip(keys.iter().map(filter::item)));
        }
        Ok(items)
    }
}
