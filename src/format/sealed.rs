//! Sealed number keys: a number's key needs the publisher's secret.
//!
//! A salted slow hash only sets the price of testing every number of a plan
//! against a downloaded snapshot. In a sealed snapshot the key of a number is
//! derived from an oblivious PRF of it (RFC 9497, VOPRF mode, suite
//! ristretto255-SHA512) under a key only the publisher holds: the client
//! blinds the number, the publisher's evaluation service applies the key to
//! the blinded element without learning the number, and proves (one batched
//! DLEQ proof) that it used the key whose public half the signed snapshot
//! names. Testing a number then takes a request the service counts, not a
//! CPU-second.
//!
//! ```text
//! input  = "hushlist/v1/number-key" || 0x00 || E.164      (as every mode)
//! output = VOPRF(skS, input)                            (64 bytes, RFC 9497)
//! key    = BLAKE3-keyed(salt, "hushlist/v3/sealed-key" || 0x00 || output)
//! ```
//!
//! One OPRF key per salt epoch, derived from the publisher's OPRF seed and the
//! epoch's salt (RFC 9497 DeriveKeyPair, info = `"hushlist/v3/epoch-key" ||
//! salt`): a new salt is a new key, announced with it, and the publisher keeps
//! one secret however many epochs pass.

use super::number_key::{KEY_LEN, NUMBER_KEY_DOMAIN};
use rand_core::OsRng;
use voprf::{
    BlindedElement, EvaluationElement, Group, Proof, Ristretto255, VoprfClient, VoprfServer,
};

/// Domain of the step from an OPRF output to a number key.
pub const SEALED_KEY_DOMAIN: &[u8] = b"hushlist/v3/sealed-key\0";
/// Prefix of the DeriveKeyPair info; the epoch's salt follows.
pub const EPOCH_KEY_INFO: &[u8] = b"hushlist/v3/epoch-key";
/// A compressed ristretto255 element: a public key, a blinded or an evaluated element.
pub const ELEMENT_LEN: usize = 32;
/// A DLEQ proof: two scalars.
pub const PROOF_LEN: usize = 64;
/// A VOPRF output (SHA-512).
pub const OUTPUT_LEN: usize = 64;
/// Elements one request may carry (RFC 9497 allows 2^16 - 1 per proof).
pub const MAX_BATCH: usize = 4096;

/// Why an evaluation cannot be used. Nothing from a refused batch is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealedError {
    /// Bytes that are not a canonical, non-identity ristretto255 element.
    #[error("{what} {index} is not a valid ristretto255 element")]
    BadElement {
        /// Which kind of element.
        what: &'static str,
        /// Its position, from 0.
        index: usize,
    },
    /// A public key that is not a valid element.
    #[error("the OPRF public key is not a valid ristretto255 element")]
    BadPublicKey,
    /// The proof is not two canonical scalars.
    #[error("the proof is not two canonical scalars")]
    BadProof,
    /// The answer holds another number of elements than were asked.
    #[error("{got} evaluated elements for {asked} blinded ones")]
    CountMismatch {
        /// Sent.
        asked: usize,
        /// Received.
        got: usize,
    },
    /// The proof does not show the snapshot's key was used on these elements.
    #[error(
        "the evaluation's proof does not verify against the snapshot's OPRF public key \
         (another key, or elements changed)"
    )]
    ProofFailed,
    /// A batch over [`MAX_BATCH`] or empty.
    #[error("a batch holds 1 to {MAX_BATCH} elements, not {0}")]
    BatchSize(usize),
}

/// The OPRF input of a number: the same message every mode hashes.
pub fn oprf_input(e164: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(NUMBER_KEY_DOMAIN.len() + e164.len());
    input.extend_from_slice(NUMBER_KEY_DOMAIN);
    input.extend_from_slice(e164.as_bytes());
    input
}

/// The number key from an OPRF output, bound to the epoch's salt.
pub fn key_from_output(salt: &[u8; KEY_LEN], output: &[u8]) -> [u8; KEY_LEN] {
    let mut hasher = blake3::Hasher::new_keyed(salt);
    hasher.update(SEALED_KEY_DOMAIN);
    hasher.update(output);
    *hasher.finalize().as_bytes()
}

/// How messages and reports name an epoch's public key: its first 8 bytes
/// in hex (the whole key is in the signed header; this is for people
/// comparing two outputs).
pub fn key_id(public_key: &[u8; ELEMENT_LEN]) -> String {
    hex::encode(&public_key[..8])
}

/// Whether `bytes` are a public key a client can use.
pub fn valid_public_key(bytes: &[u8; ELEMENT_LEN]) -> bool {
    public_element(bytes).is_ok()
}

fn public_element(bytes: &[u8; ELEMENT_LEN]) -> Result<<Ristretto255 as Group>::Elem, SealedError> {
    // Canonical, and not the identity (voprf's decoding refuses both).
    Ristretto255::deserialize_elem(bytes).map_err(|_| SealedError::BadPublicKey)
}

/// Context of the OPRF seed's derivation from an OPRF key file's secret bytes.
pub const OPRF_SEED_CONTEXT: &str = "hushlist v3 oprf seed";

/// The publisher's one OPRF secret, from which every epoch's key derives.
/// Never printed: its `Debug` says only that it is secret.
#[derive(Clone)]
pub struct OprfSeed(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for OprfSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OprfSeed(secret)")
    }
}

impl OprfSeed {
    /// The seed an OPRF key file holds: a secret key file in the signing
    /// key's format (encrypted the same way), its 32 secret bytes derived
    /// with [`OPRF_SEED_CONTEXT`] so they serve one purpose only.
    pub fn from_key_file(key: &crate::format::signature::SecretKey) -> Self {
        OprfSeed(zeroize::Zeroizing::new(blake3::derive_key(
            OPRF_SEED_CONTEXT,
            key.secret_seed().as_ref(),
        )))
    }

    /// A seed given directly (test vectors).
    pub fn from_bytes(seed: [u8; 32]) -> Self {
        OprfSeed(zeroize::Zeroizing::new(seed))
    }

    /// The key of the epoch whose salt is `salt`.
    pub fn epoch_key(&self, salt: &[u8; KEY_LEN]) -> EpochKey {
        EpochKey::derive(&self.0, salt)
    }
}

/// One salt epoch's OPRF key, held by the publisher and its service only.
pub struct EpochKey {
    server: VoprfServer<Ristretto255>,
}

impl EpochKey {
    /// The epoch's key pair: DeriveKeyPair(seed, info = [`EPOCH_KEY_INFO`] || salt).
    pub fn derive(seed: &[u8; 32], salt: &[u8; KEY_LEN]) -> Self {
        let mut info = EPOCH_KEY_INFO.to_vec();
        info.extend_from_slice(salt);
        let server = VoprfServer::new_from_seed(seed, &info)
            .expect("DeriveKeyPair fails with probability 2^-255 per counter, 256 counters");
        EpochKey { server }
    }

    /// The public key (`pkS`), as the signed header carries it.
    pub fn public_key(&self) -> [u8; ELEMENT_LEN] {
        Ristretto255::serialize_elem(self.server.get_public_key()).into()
    }

    /// The key of a number, evaluated directly (the publisher's own list).
    pub fn number_key(&self, salt: &[u8; KEY_LEN], e164: &str) -> [u8; KEY_LEN] {
        key_from_output(salt, &self.output(e164))
    }

    /// The VOPRF output of a number (RFC 9497 Evaluate), what a client's
    /// Finalize gives after a verified evaluation.
    pub fn output(&self, e164: &str) -> [u8; OUTPUT_LEN] {
        let output = self
            .server
            .evaluate(&oprf_input(e164))
            .expect("input is shorter than 2^16 bytes");
        output.into()
    }

    /// Evaluates a batch of blinded elements with one proof; each element
    /// must be canonical and not the identity.
    pub fn evaluate(
        &self,
        blinded: &[[u8; ELEMENT_LEN]],
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, [u8; PROOF_LEN]), SealedError> {
        self.evaluate_with(&mut OsRng, blinded)
    }

    /// [`EpochKey::evaluate`] with the proof's nonce drawn from `nonce_seed`
    /// (BLAKE3-derive-key XOF), for test vectors that must not drift. Any
    /// nonce gives a valid proof; never use a fixed one in a service.
    pub fn evaluate_for_vectors(
        &self,
        blinded: &[[u8; ELEMENT_LEN]],
        nonce_seed: &[u8; 32],
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, [u8; PROOF_LEN]), SealedError> {
        let mut rng = VectorRng(
            blake3::Hasher::new_derive_key("hushlist v3 vector proof nonce")
                .update(nonce_seed)
                .finalize_xof(),
        );
        self.evaluate_with(&mut rng, blinded)
    }

    fn evaluate_with<R: rand_core::RngCore + rand_core::CryptoRng>(
        &self,
        rng: &mut R,
        blinded: &[[u8; ELEMENT_LEN]],
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, [u8; PROOF_LEN]), SealedError> {
        if blinded.is_empty() || blinded.len() > MAX_BATCH {
            return Err(SealedError::BatchSize(blinded.len()));
        }
        let elements = blinded
            .iter()
            .enumerate()
            .map(|(index, b)| {
                BlindedElement::<Ristretto255>::deserialize(b).map_err(|_| {
                    SealedError::BadElement {
                        what: "blinded element",
                        index,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .server
            .batch_blind_evaluate(rng, &elements)
            .map_err(|_| SealedError::BatchSize(blinded.len()))?;
        let evaluated = result
            .messages
            .iter()
            .map(|m| m.serialize().into())
            .collect();
        Ok((evaluated, result.proof.serialize().into()))
    }
}

/// Deterministic bytes for test vectors only.
struct VectorRng(blake3::OutputReader);

impl rand_core::RngCore for VectorRng {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

// Not a source of secrets: it exists so that committed vectors do not drift.
impl rand_core::CryptoRng for VectorRng {}

/// A batch of numbers, blinded: the elements go to the service, the blinds
/// stay with the client.
pub struct Blinded {
    numbers: Vec<String>,
    states: Vec<VoprfClient<Ristretto255>>,
    /// What is sent: one element per number, in order.
    pub elements: Vec<[u8; ELEMENT_LEN]>,
}

impl Blinded {
    /// Blinds each number with a fresh random scalar.
    pub fn new(numbers: &[String]) -> Self {
        let mut states = Vec::with_capacity(numbers.len());
        let mut elements = Vec::with_capacity(numbers.len());
        for n in numbers {
            let blind = VoprfClient::<Ristretto255>::blind(&oprf_input(n), &mut OsRng)
                .expect("input is shorter than 2^16 bytes");
            elements.push(blind.message.serialize().into());
            states.push(blind.state);
        }
        Blinded {
            numbers: numbers.to_vec(),
            states,
            elements,
        }
    }

    /// Blinds each number with the blind given (32-byte scalars, little
    /// endian, canonical and not zero), for test vectors. A client uses
    /// [`Blinded::new`]: a blind used twice links the two requests.
    #[cfg(feature = "test-vectors")]
    pub fn with_blinds(numbers: &[String], blinds: &[[u8; 32]]) -> Result<Self, SealedError> {
        let mut states = Vec::with_capacity(numbers.len());
        let mut elements = Vec::with_capacity(numbers.len());
        for (index, (n, blind)) in numbers.iter().zip(blinds).enumerate() {
            let scalar =
                Ristretto255::deserialize_scalar(blind).map_err(|_| SealedError::BadElement {
                    what: "blind",
                    index,
                })?;
            let blind =
                VoprfClient::<Ristretto255>::deterministic_blind_unchecked(&oprf_input(n), scalar)
                    .map_err(|_| SealedError::BadElement {
                        what: "blind",
                        index,
                    })?;
            elements.push(blind.message.serialize().into());
            states.push(blind.state);
        }
        Ok(Blinded {
            numbers: numbers.to_vec(),
            states,
            elements,
        })
    }

    /// What the client keeps of each number until its answer comes back
    /// (the blind and the blinded element, 64 bytes each): secret, as a
    /// blind unblinds the answer and links the request to the number.
    pub fn saved(&self) -> Vec<[u8; 64]> {
        self.states
            .iter()
            .map(|s| {
                let bytes = s.serialize();
                let mut out = [0u8; 64];
                out.copy_from_slice(&bytes);
                out
            })
            .collect()
    }

    /// A batch kept with [`Blinded::saved`], for its numbers in order.
    pub fn from_saved(numbers: &[String], saved: &[[u8; 64]]) -> Result<Self, SealedError> {
        if numbers.len() != saved.len() {
            return Err(SealedError::CountMismatch {
                asked: numbers.len(),
                got: saved.len(),
            });
        }
        let mut states = Vec::with_capacity(saved.len());
        let mut elements = Vec::with_capacity(saved.len());
        for (index, bytes) in saved.iter().enumerate() {
            let state = VoprfClient::<Ristretto255>::deserialize(bytes).map_err(|_| {
                SealedError::BadElement {
                    what: "kept blind",
                    index,
                }
            })?;
            let mut element = [0u8; ELEMENT_LEN];
            element.copy_from_slice(&bytes[32..]);
            elements.push(element);
            states.push(state);
        }
        Ok(Blinded {
            numbers: numbers.to_vec(),
            states,
            elements,
        })
    }

    /// The numbers, in the order of [`Blinded::elements`].
    pub fn numbers(&self) -> &[String] {
        &self.numbers
    }

    /// Checks the proof against `public_key` (from the verified snapshot),
    /// unblinds and finalizes: each number's key, in order. Any failure
    /// refuses the whole batch.
    pub fn finalize(
        &self,
        evaluated: &[[u8; ELEMENT_LEN]],
        proof: &[u8; PROOF_LEN],
        public_key: &[u8; ELEMENT_LEN],
        salt: &[u8; KEY_LEN],
    ) -> Result<Vec<[u8; KEY_LEN]>, SealedError> {
        if evaluated.len() != self.states.len() {
            return Err(SealedError::CountMismatch {
                asked: self.states.len(),
                got: evaluated.len(),
            });
        }
        let pk = public_element(public_key)?;
        let messages = evaluated
            .iter()
            .enumerate()
            .map(|(index, e)| {
                EvaluationElement::<Ristretto255>::deserialize(e).map_err(|_| {
                    SealedError::BadElement {
                        what: "evaluated element",
                        index,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let proof = Proof::<Ristretto255>::deserialize(proof).map_err(|_| SealedError::BadProof)?;
        let inputs: Vec<Vec<u8>> = self.numbers.iter().map(|n| oprf_input(n)).collect();
        let outputs = VoprfClient::batch_finalize(&inputs, &self.states, &messages, &proof, pk)
            .map_err(|_| SealedError::ProofFailed)?;
        outputs
            .map(|o| {
                o.map(|o| key_from_output(salt, &o))
                    .map_err(|_| SealedError::ProofFailed)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn a_blinded_evaluation_gives_the_publishers_key_and_a_proof_for_another_key_is_refused() {
        let salt = [7u8; 32];
        let key = EpochKey::derive(&[1u8; 32], &salt);
        let numbers = vec!["+13135550142".to_string(), "+442079460958".to_string()];
        let blinded = Blinded::new(&numbers);
        let (evaluated, proof) = key.evaluate(&blinded.elements).unwrap();
        let keys = blinded
            .finalize(&evaluated, &proof, &key.public_key(), &salt)
            .unwrap();
        assert_eq!(keys[0], key.number_key(&salt, "+13135550142"));
        assert_eq!(keys[1], key.number_key(&salt, "+442079460958"));

        let other = EpochKey::derive(&[2u8; 32], &salt);
        assert_eq!(
            blinded.finalize(&evaluated, &proof, &other.public_key(), &salt),
            Err(SealedError::ProofFailed)
        );
        let swapped = [evaluated[1], evaluated[0]];
        assert_eq!(
            blinded.finalize(&swapped, &proof, &key.public_key(), &salt),
            Err(SealedError::ProofFailed)
        );
        assert!(matches!(
            blinded.finalize(&evaluated[..1], &proof, &key.public_key(), &salt),
            Err(SealedError::CountMismatch { asked: 2, got: 1 })
        ));
        // The identity and a non-canonical encoding are refused on both sides.
        assert!(key.evaluate(&[[0u8; 32]]).is_err());
        assert!(key.evaluate(&[[0xffu8; 32]]).is_err());
        assert!(!valid_public_key(&[0u8; 32]));
        // Another epoch (salt) is another key.
        assert_ne!(
            EpochKey::derive(&[1u8; 32], &[8u8; 32]).public_key(),
            key.public_key()
        );
    }

    /// RFC 9497 appendix A.1.2 (ristretto255-SHA512, VOPRF mode): key
    /// derivation, blinding, evaluation, proof verification and finalization.
    #[test]
    fn rfc_9497_vectors_pass() {
        let seed: [u8; 32] = h("a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3");
        let info = hex::decode("74657374206b6579").unwrap();
        let server = VoprfServer::<Ristretto255>::new_from_seed(&seed, &info).unwrap();
        assert_eq!(
            hex::encode(&server.serialize()[..32]),
            "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909"
        );
        let pk: [u8; 32] = Ristretto255::serialize_elem(server.get_public_key()).into();
        assert_eq!(
            hex::encode(pk),
            "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"
        );
        let blind = |s: &str| Ristretto255::deserialize_scalar(&hex::decode(s).unwrap()).unwrap();
        let b1 = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706";
        let b2 = "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e";
        let out1 = "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7da4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c";
        let out2 = "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6";
        let input2 = hex::decode("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a").unwrap();
        // (inputs, blinds, blinded, evaluated, proof, outputs)
        type Case<'a> = (
            Vec<&'a [u8]>,
            Vec<&'a str>,
            Vec<&'a str>,
            Vec<&'a str>,
            &'a str,
            Vec<&'a str>,
        );
        let cases: [Case<'_>; 3] = [
            (
                vec![&[0u8][..]],
                vec![b1],
                vec!["863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945"],
                vec!["aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e"],
                "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd066d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
                vec![out1],
            ),
            (
                vec![&input2[..]],
                vec![b1],
                vec!["cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c"],
                vec!["60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468"],
                "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
                vec![out2],
            ),
            (
                vec![&[0u8][..], &input2[..]],
                vec![b1, b2],
                vec![
                    "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
                    "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654",
                ],
                vec![
                    "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
                    "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a",
                ],
                "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08",
                vec![out1, out2],
            ),
        ];
        for (inputs, blinds, blinded, evaluated, proof, outputs) in cases {
            let mut clients = Vec::new();
            for ((input, b), want) in inputs.iter().zip(&blinds).zip(&blinded) {
                let r = VoprfClient::<Ristretto255>::deterministic_blind_unchecked(input, blind(b))
                    .unwrap();
                assert_eq!(hex::encode(r.message.serialize()), *want);
                clients.push(r.state);
            }
            // The service's evaluated elements are deterministic (its proof is not).
            let blinded: Vec<BlindedElement<Ristretto255>> = blinded
                .iter()
                .map(|b| BlindedElement::deserialize(&hex::decode(b).unwrap()).unwrap())
                .collect();
            let ours = server.batch_blind_evaluate(&mut OsRng, &blinded).unwrap();
            let ours: Vec<String> = ours
                .messages
                .iter()
                .map(|m| hex::encode(m.serialize()))
                .collect();
            assert_eq!(ours, evaluated);
            let messages: Vec<EvaluationElement<Ristretto255>> = evaluated
                .iter()
                .map(|e| EvaluationElement::deserialize(&hex::decode(e).unwrap()).unwrap())
                .collect();
            let proof = Proof::<Ristretto255>::deserialize(&hex::decode(proof).unwrap()).unwrap();
            let got: Vec<String> = VoprfClient::batch_finalize(
                &inputs,
                &clients,
                &messages,
                &proof,
                server.get_public_key(),
            )
            .unwrap()
            .map(|o| hex::encode(o.unwrap()))
            .collect();
            assert_eq!(got, outputs);
            for (input, want) in inputs.iter().zip(&outputs) {
                assert_eq!(hex::encode(server.evaluate(input).unwrap()), *want);
            }
        }
    }
}
