//! The evaluation protocol of sealed snapshots (FORMAT.md, "Evaluation
//! protocol"): one JSON request of blinded elements, one JSON answer of
//! evaluated elements and a proof. The client and the service both read
//! and write it here, so they cannot drift apart.

use super::sealed::{ELEMENT_LEN, MAX_BATCH, PROOF_LEN};
use serde::{Deserialize, Serialize};

/// The largest request or answer body either side reads: a full batch in
/// hex with room for the JSON around it, pretty-printed or with spaces
/// after the commas (other writers' defaults).
pub const MAX_BODY_BYTES: usize = MAX_BATCH * (2 * ELEMENT_LEN + 8) + 4096;

/// `POST` body: the epoch's public key and the blinded elements, hex.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The OPRF public key of the epoch asked for (the signed header's).
    pub public_key: String,
    /// Blinded elements, 1 to [`MAX_BATCH`].
    pub blinded: Vec<String>,
}

/// A successful answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// One evaluated element per blinded element, in order.
    pub evaluated: Vec<String>,
    /// The batched DLEQ proof (64 bytes: two scalars).
    pub proof: String,
}

/// The body of every error answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `quota_exhausted`, `bad_request`,
    /// `too_large`, `unknown_key`, `not_found`, `method_not_allowed`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

fn fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(text).map_err(|_| format!("{what} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{what} is not {N} bytes"))
}

impl Request {
    /// The request for `blinded` under `public_key`.
    pub fn new(public_key: &[u8; ELEMENT_LEN], blinded: &[[u8; ELEMENT_LEN]]) -> Self {
        Request {
            public_key: hex::encode(public_key),
            blinded: blinded.iter().map(hex::encode).collect(),
        }
    }

    /// The public key and elements, with lengths checked (not yet whether
    /// they are group elements: the evaluation does that).
    pub fn decode(&self) -> Result<([u8; ELEMENT_LEN], Vec<[u8; ELEMENT_LEN]>), String> {
        let key = fixed(&self.public_key, "public_key")?;
        let blinded = self
            .blinded
            .iter()
            .enumerate()
            .map(|(i, b)| fixed(b, &format!("blinded element {i}")))
            .collect::<Result<_, _>>()?;
        Ok((key, blinded))
    }
}

impl Answer {
    /// The answer carrying `evaluated` and `proof`.
    pub fn new(evaluated: &[[u8; ELEMENT_LEN]], proof: &[u8; PROOF_LEN]) -> Self {
        Answer {
            evaluated: evaluated.iter().map(hex::encode).collect(),
            proof: hex::encode(proof),
        }
    }

    /// The elements and proof, with lengths checked.
    pub fn decode(&self) -> Result<(Vec<[u8; ELEMENT_LEN]>, [u8; PROOF_LEN]), String> {
        let evaluated = self
            .evaluated
            .iter()
            .enumerate()
            .map(|(i, e)| fixed(e, &format!("evaluated element {i}")))
            .collect::<Result<_, _>>()?;
        Ok((evaluated, fixed(&self.proof, "proof")?))
    }
}
