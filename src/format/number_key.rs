//! Per-number keys: the salted, stretched hash of an E.164 number.
//!
//! The key is what the Bloom filter stores (see [`crate::format::filter`]). A fresh salt
//! per salt epoch stops precomputed tables and linking across epochs; Argon2id
//! sets the price of enumerating a numbering plan. The fast BLAKE3 mode is for
//! lists that are public anyway, and for tests.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;

/// Domain-separation prefix of the hashed message: `key = KDF(salt, PREFIX || e164)`.
pub const NUMBER_KEY_DOMAIN: &[u8] = b"hushlist/v1/number-key\0";

/// Length of a snapshot salt and of a number key, in bytes.
pub const KEY_LEN: usize = 32;

/// Default Argon2id memory in KiB (128 MiB). Chosen from measurements
/// (BENCHMARKS.md, "Argon2id defaults"): with salt epochs a company re-hashes
/// its inventory once per epoch, and 3,000 numbers then take about 4 minutes on
/// 2 cores, inside a 10-minute budget, while enumerating a numbering plan costs
/// about 15 times what it did at 19 MiB and 2 passes.
pub const DEFAULT_ARGON2_M_KIB: u32 = 131_072;
/// Default Argon2id passes.
pub const DEFAULT_ARGON2_T: u32 = 3;
/// Default Argon2id lanes.
pub const DEFAULT_ARGON2_P: u32 = 1;

/// Upper bounds a client accepts from a (signed) header, so that a bad
/// parameter cannot make it allocate without limit: 1 GiB, 64 passes, 16 lanes.
pub const MAX_ARGON2_M_KIB: u32 = 1 << 20;
/// See [`MAX_ARGON2_M_KIB`].
pub const MAX_ARGON2_T: u32 = 64;
/// See [`MAX_ARGON2_M_KIB`].
pub const MAX_ARGON2_P: u32 = 16;

/// The key-derivation function and its parameters, as recorded in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// Argon2id, version 0x13, 32-byte output.
    Argon2id {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// BLAKE3 keyed hash with the salt as key.
    Blake3,
    /// Sealed: the key of a number derives from the publisher's oblivious PRF
    /// of it (RFC 9497 VOPRF, ristretto255-SHA512), which only its evaluation
    /// service can compute ([`crate::format::sealed`]).
    Voprf {
        /// The epoch's OPRF public key (`pkS`, a compressed ristretto255 element).
        public_key: [u8; 32],
    },
}

impl Default for Kdf {
    fn default() -> Self {
        Kdf::Argon2id {
            m_kib: DEFAULT_ARGON2_M_KIB,
            t: DEFAULT_ARGON2_T,
            p: DEFAULT_ARGON2_P,
        }
    }
}

/// Parameters that no client will accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unacceptable hash parameters: {0}")]
pub struct BadKdfParams(pub String);

impl Kdf {
    /// The algorithm's name as shown to people and in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Kdf::Argon2id { .. } => "argon2id",
            Kdf::Blake3 => "blake3",
            Kdf::Voprf { .. } => "voprf",
        }
    }

    /// Whether `other` is the same function with the same parameters; two
    /// sealed epochs are, whatever their keys (each epoch has its own).
    pub fn same_choice(&self, other: &Kdf) -> bool {
        self == other || (self.is_sealed() && other.is_sealed())
    }

    /// Whether keys need the publisher's evaluation service (a sealed epoch).
    pub fn is_sealed(&self) -> bool {
        matches!(self, Kdf::Voprf { .. })
    }

    /// Whether a key costs enough that caching it pays (everything but BLAKE3).
    pub fn is_slow(&self) -> bool {
        !matches!(self, Kdf::Blake3)
    }

    /// Checks the parameters against the bounds above and Argon2's own rules.
    pub fn validate(&self) -> Result<(), BadKdfParams> {
        if let Kdf::Voprf { public_key } = self {
            if !crate::format::sealed::valid_public_key(public_key) {
                return Err(BadKdfParams(
                    "the OPRF public key is not a canonical, non-identity ristretto255 element"
                        .into(),
                ));
            }
        }
        if let Kdf::Argon2id { m_kib, t, p } = *self {
            if !(1..=MAX_ARGON2_P).contains(&p) {
                return Err(BadKdfParams(format!(
                    "argon2id lanes {p} not in 1..={MAX_ARGON2_P}"
                )));
            }
            if !(1..=MAX_ARGON2_T).contains(&t) {
                return Err(BadKdfParams(format!(
                    "argon2id passes {t} not in 1..={MAX_ARGON2_T}"
                )));
            }
            if m_kib < 8 * p || m_kib > MAX_ARGON2_M_KIB {
                return Err(BadKdfParams(format!(
                    "argon2id memory {m_kib} KiB not in {}..={MAX_ARGON2_M_KIB}",
                    8 * p
                )));
            }
        }
        Ok(())
    }
}

/// Derives number keys for one snapshot (one salt, one set of parameters).
#[derive(Clone)]
pub struct NumberHasher {
    kdf: Kdf,
    salt: [u8; KEY_LEN],
    argon2: Option<Argon2<'static>>,
}

thread_local! {
    // One Argon2 memory block per worker thread: page faults on a fresh
    // allocation cost about as much as the hash itself.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

impl NumberHasher {
    /// A hasher for `kdf` with `salt`; fails on parameters outside the bounds,
    /// and for a sealed epoch, whose keys only the publisher's service computes.
    pub fn new(kdf: Kdf, salt: [u8; KEY_LEN]) -> Result<Self, BadKdfParams> {
        kdf.validate()?;
        let argon2 =
            match kdf {
                Kdf::Voprf { .. } => return Err(BadKdfParams(
                    "a sealed (voprf) epoch's keys come from the publisher's evaluation service, \
                     not from a local hash"
                        .into(),
                )),
                Kdf::Argon2id { m_kib, t, p } => {
                    let params = Params::new(m_kib, t, p, Some(KEY_LEN))
                        .map_err(|e| BadKdfParams(e.to_string()))?;
                    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
                }
                Kdf::Blake3 => None,
            };
        Ok(NumberHasher { kdf, salt, argon2 })
    }

    /// The function and parameters in use.
    pub fn kdf(&self) -> Kdf {
        self.kdf
    }

    /// How long one key takes on this machine, timed now (what a program
    /// multiplies to say a cost before it is spent).
    pub fn time_one(&self) -> std::time::Duration {
        let started = std::time::Instant::now();
        let _ = self.key("+10000000000");
        started.elapsed()
    }

    /// The key of one E.164 number.
    pub fn key(&self, e164: &str) -> [u8; KEY_LEN] {
        let mut message = Vec::with_capacity(NUMBER_KEY_DOMAIN.len() + e164.len());
        message.extend_from_slice(NUMBER_KEY_DOMAIN);
        message.extend_from_slice(e164.as_bytes());
        match &self.argon2 {
            None => *blake3::keyed_hash(&self.salt, &message).as_bytes(),
            Some(argon2) => {
                let mut out = [0u8; KEY_LEN];
                let blocks = argon2.params().block_count();
                ARGON2_MEMORY.with(|memory| {
                    let mut memory = memory.borrow_mut();
                    if memory.len() < blocks {
                        memory.resize(blocks, Block::default());
                    }
                    argon2
                        .hash_password_into_with_memory(
                            &message,
                            &self.salt,
                            &mut out,
                            &mut memory[..blocks],
                        )
                        .expect("parameters validated in NumberHasher::new");
                });
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake3_mode_is_keyed_hash_of_prefixed_number() {
        let salt = [7u8; 32];
        let hasher = NumberHasher::new(Kdf::Blake3, salt).unwrap();
        let want = blake3::keyed_hash(&salt, b"hushlist/v1/number-key\0+13135550123");
        assert_eq!(&hasher.key("+13135550123"), want.as_bytes());
    }

    #[test]
    fn salt_changes_the_key() {
        let a = NumberHasher::new(Kdf::Blake3, [1; 32]).unwrap();
        let b = NumberHasher::new(Kdf::Blake3, [2; 32]).unwrap();
        assert_ne!(a.key("+13135550123"), b.key("+13135550123"));
    }

    #[test]
    fn argon2_reuses_memory_and_stays_deterministic() {
        let kdf = Kdf::Argon2id {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        let hasher = NumberHasher::new(kdf, [3; 32]).unwrap();
        let first = hasher.key("+13135550123");
        assert_eq!(first, hasher.key("+13135550123"));
        assert_ne!(first, hasher.key("+13135550124"));
        // A larger block on the same thread must not change the result.
        let big = NumberHasher::new(
            Kdf::Argon2id {
                m_kib: 256,
                t: 1,
                p: 1,
            },
            [3; 32],
        )
        .unwrap();
        big.key("+1");
        assert_eq!(first, hasher.key("+13135550123"));
    }

    #[test]
    fn out_of_bounds_parameters_are_refused() {
        for kdf in [
            Kdf::Argon2id {
                m_kib: MAX_ARGON2_M_KIB + 1,
                t: 1,
                p: 1,
            },
            Kdf::Argon2id {
                m_kib: 64,
                t: 0,
                p: 1,
            },
            Kdf::Argon2id {
                m_kib: 64,
                t: 1,
                p: 0,
            },
            Kdf::Argon2id {
                m_kib: 7,
                t: 1,
                p: 1,
            },
        ] {
            assert!(NumberHasher::new(kdf, [0; 32]).is_err(), "{kdf:?}");
        }
    }
}
