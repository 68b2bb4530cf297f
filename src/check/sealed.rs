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
