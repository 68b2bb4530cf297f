//! Ed25519 keys and detached signatures in minisign's file formats, so that an
//! auditor can check every published file with the stock `minisign -V`.
//!
//! Only the prehashed algorithm (`ED`: Ed25519 over BLAKE2b-512 of the file) is
//! written or accepted. The key id is compared before any cryptography, so
//! "signed by another key" and "bad signature" are distinct errors.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fmt;
use zeroize::Zeroizing;

const KEY_ALG: [u8; 2] = *b"Ed";
const PREHASHED_SIG_ALG: [u8; 2] = *b"ED";
const CHECKSUM_ALG: [u8; 2] = *b"B2";
const PUBLIC_KEY_LEN: usize = 2 + 8 + 32;
const SIGNATURE_LEN: usize = 2 + 8 + 64;
// alg, kdf alg, checksum alg, kdf salt, opslimit, memlimit, key id, secret key, checksum
const SECRET_KEY_LEN: usize = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;
const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";
/// Longest signature file accepted, in bytes (minisign caps comments at 1 KiB).
pub const MAX_SIGNATURE_FILE_LEN: usize = 4096;

/// The 8-byte key id minisign puts in keys and signatures.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    /// Printed as minisign prints it: the little-endian integer in upper-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a key file is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not base64 of the right length, or a missing line.
    #[error("malformed key file: {0}")]
    Malformed(&'static str),
    /// Not an Ed25519 key.
    #[error("unsupported key algorithm (expected minisign Ed25519)")]
    UnsupportedAlgorithm,
    /// A password-protected minisign key; hushlist keys are unencrypted and protected by file mode.
    #[error(
        "encrypted secret keys are not supported; use a key made by `hushlist-publish keygen`"
    )]
    Encrypted,
    /// The stored public half or checksum does not match the secret.
    #[error("secret key file is corrupt (checksum or public half does not match)")]
    Corrupt,
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature file is not in minisign's format.
    #[error("malformed signature file: {0}")]
    Malformed(&'static str),
    /// Legacy (non-prehashed) or unknown algorithm.
    #[error("unsupported signature algorithm (expected prehashed Ed25519, \"ED\")")]
    UnsupportedAlgorithm,
    /// Made by another key than the one pinned.
    #[error("signed by key {found}, not by the pinned key {expected}")]
    WrongKey {
        /// The trusted keys' ids.
        expected: String,
        /// The id in the signature.
        found: KeyId,
    },
    /// Made by a key that a rotation statement revoked.
    #[error("signed by key {key}, which rotation statement {by} revoked")]
    RevokedKey {
        /// The revoked key.
        key: KeyId,
        /// The statement that revoked it.
        by: u64,
    },
    /// The file was changed after signing (or the signature was).
    #[error("signature does not match the file's contents (file or signature altered)")]
    BadSignature,
    /// The trusted comment was changed after signing.
    #[error("trusted comment signature does not verify (comment altered)")]
    BadTrustedComment,
}

/// A publisher's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    id: KeyId,
    key: VerifyingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

impl PublicKey {
    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Parses a minisign public key: the file (comment line, then base64) or the
    /// bare base64 line that `minisign -P` takes.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(UNTRUSTED_PREFIX.trim_end()))
            .ok_or(KeyError::Malformed("no key line"))?;
        let raw = BASE64
            .decode(line)
            .map_err(|_| KeyError::Malformed("key line is not base64"))?;
        if raw.len() != PUBLIC_KEY_LEN {
            return Err(KeyError::Malformed("key line has the wrong length"));
        }
        if raw[..2] != KEY_ALG {
            return Err(KeyError::UnsupportedAlgorithm);
        }
        let key = VerifyingKey::from_bytes(raw[10..].try_into().expect("32 bytes"))
            .map_err(|_| KeyError::Malformed("not a valid Ed25519 point"))?;
        Ok(PublicKey {
            id: KeyId(raw[2..10].try_into().expect("8 bytes")),
            key,
        })
    }

    /// The base64 line alone (what `minisign -P` takes).
    pub fn to_base64(&self) -> String {
        let mut raw = Vec::with_capacity(PUBLIC_KEY_LEN);
        raw.extend_from_slice(&KEY_ALG);
        raw.extend_from_slice(&self.id.0);
        raw.extend_from_slice(self.key.as_bytes());
        BASE64.encode(raw)
    }

    /// The key file, as `minisign -G` writes it.
    pub fn to_file_text(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign public key {}\n{}\n",
            self.id,
            self.to_base64()
        )
    }
}

/// A publisher's secret key. Deliberately not `Debug` and never printed; the
/// signing key zeroizes itself on drop.
pub struct SecretKey {
    id: KeyId,
    signing: SigningKey,
}

impl SecretKey {
    /// A fresh key and key id from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut id = [0u8; 8];
        getrandom::fill(seed.as_mut())?;
        getrandom::fill(&mut id)?;
        Ok(Self::from_seed(&seed, KeyId(id)))
    }

    /// A key from a 32-byte Ed25519 seed (for test vectors).
    pub fn from_seed(seed: &[u8; 32], id: KeyId) -> Self {
        SecretKey {
            id,
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            id: self.id,
            key: self.signing.verifying_key(),
        }
    }

    fn checksum(&self) -> [u8; 32] {
        let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
        h.update(KEY_ALG);
        h.update(self.id.0);
        h.update(self.signing.to_keypair_bytes());
        h.finalize().into()
    }

    /// The secret key file in minisign's unencrypted format (as `minisign -G -W`
    /// writes it), so the stock tool can sign with it too. Protect it by file mode.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(SECRET_KEY_LEN));
        raw.extend_from_slice(&KEY_ALG);
        raw.extend_from_slice(&[0, 0]); // no KDF: not encrypted
        raw.extend_from_slice(&CHECKSUM_ALG);
        raw.extend_from_slice(&[0u8; 32 + 8 + 8]); // KDF salt, opslimit, memlimit
        raw.extend_from_slice(&self.id.0);
        raw.extend_from_slice(&Zeroizing::new(self.signing.to_keypair_bytes())[..]);
        raw.extend_from_slice(&self.checksum());
        Zeroizing::new(format!(
            "{UNTRUSTED_PREFIX}hushlist secret key {} (unencrypted minisign format; keep it 0600)\n{}\n",
            self.id,
            BASE64.encode(&raw[..])
        ))
    }

    /// Parses a secret key file written by [`SecretKey::to_file_text`] or `minisign -G -W`.
    pub fn from_file_text(text: &str) -> Result<Self, KeyError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(UNTRUSTED_PREFIX.trim_end()))
            .ok_or(KeyError::Malformed("no key line"))?;
        let raw = Zeroizing::new(
            BASE64
                .decode(line)
                .map_err(|_| KeyError::Malformed("key line is not base64"))?,
        );
        if raw.len() != SECRET_KEY_LEN {
            return Err(KeyError::Malformed("key line has the wrong length"));
        }
        if raw[..2] != KEY_ALG || raw[4..6] != CHECKSUM_ALG {
            return Err(KeyError::UnsupportedAlgorithm);
        }
        if raw[2..4] != [0, 0] {
            return Err(KeyError::Encrypted);
        }
        let id = KeyId(raw[54..62].try_into().expect("8 bytes"));
        let keypair: &[u8; 64] = raw[62..126].try_into().expect("64 bytes");
        let signing = SigningKey::from_keypair_bytes(keypair).map_err(|_| KeyError::Corrupt)?;
        let key = SecretKey { id, signing };
        let stored = &raw[126..158];
        // minisign 0.11 leaves the checksum of unencrypted keys zero.
        if stored != key.checksum() && stored.iter().any(|&b| b != 0) {
            return Err(KeyError::Corrupt);
        }
        Ok(key)
    }

    /// Signs `data` with a trusted comment (one line, at most 1 KiB).
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> SignatureFile {
        assert!(
            !trusted_comment.contains(['\n', '\r']) && trusted_comment.len() <= 1024,
            "trusted comment must be one line of at most 1 KiB"
        );
        let signature = self.signing.sign(&Blake2b512::digest(data)).to_bytes();
        let mut global = signature.to_vec();
        global.extend_from_slice(trusted_comment.as_bytes());
        SignatureFile {
            untrusted_comment: "signature from hushlist secret key".into(),
            key_id: self.id,
            signature,
            trusted_comment: trusted_comment.into(),
            global_signature: self.signing.sign(&global).to_bytes(),
        }
    }
}

/// A detached signature in minisign's `.minisig` format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureFile {
    /// Free text, not covered by any signature.
    pub untrusted_comment: String,
    /// The signer's key id.
    pub key_id: KeyId,
    /// Ed25519 signature of BLAKE2b-512(file).
    pub signature: [u8; 64],
    /// Signed text: hushlist puts the kind, sequence, dates and digest here.
    pub trusted_comment: String,
    /// Ed25519 signature of `signature || trusted_comment`.
    pub global_signature: [u8; 64],
}

impl SignatureFile {
    /// Parses the four lines of a `.minisig` file.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        if text.len() > MAX_SIGNATURE_FILE_LEN {
            return Err(SignatureError::Malformed("file too long"));
        }
        let mut lines = text.lines();
        let mut next = |what: &'static str| lines.next().ok_or(SignatureError::Malformed(what));
        let untrusted = next("missing untrusted comment line")?
            .strip_prefix(UNTRUSTED_PREFIX)
            .ok_or(SignatureError::Malformed(
                "first line is not an untrusted comment",
            ))?;
        let raw = BASE64
            .decode(next("missing signature line")?.trim())
            .map_err(|_| SignatureError::Malformed("signature line is not base64"))?;
        let trusted = next("missing trusted comment line")?
            .strip_prefix(TRUSTED_PREFIX)
            .ok_or(SignatureError::Malformed(
                "third line is not a trusted comment",
            ))?;
        let global = BASE64
            .decode(next("missing trusted comment signature")?.trim())
            .map_err(|_| SignatureError::Malformed("trusted comment signature is not base64"))?;
        if lines.any(|l| !l.trim().is_empty()) {
            return Err(SignatureError::Malformed(
                "unexpected lines after the signature",
            ));
        }
        if raw.len() != SIGNATURE_LEN || global.len() != 64 {
            return Err(SignatureError::Malformed("signature has the wrong length"));
        }
        if raw[..2] != PREHASHED_SIG_ALG {
            return Err(SignatureError::UnsupportedAlgorithm);
        }
        Ok(SignatureFile {
            untrusted_comment: untrusted.to_string(),
            key_id: KeyId(raw[2..10].try_into().expect("8 bytes")),
            signature: raw[10..].try_into().expect("64 bytes"),
            trusted_comment: trusted.to_string(),
            global_signature: global.try_into().expect("64 bytes"),
        })
    }

    /// The file text, as minisign writes it.
    pub fn to_text(&self) -> String {
        let mut raw = Vec::with_capacity(SIGNATURE_LEN);
        raw.extend_from_slice(&PREHASHED_SIG_ALG);
        raw.extend_from_slice(&self.key_id.0);
        raw.extend_from_slice(&self.signature);
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n{TRUSTED_PREFIX}{}\n{}\n",
            self.untrusted_comment,
            BASE64.encode(raw),
            self.trusted_comment,
            BASE64.encode(self.global_signature)
        )
    }

    /// Verifies the signature of `data` and of the trusted comment, as `minisign -V`
    /// does (strict Ed25519: small-order keys and non-canonical R are refused, as libsodium does).
    pub fn verify(&self, key: &PublicKey, data: &[u8]) -> Result<(), SignatureError> {
        if self.key_id != key.id {
            return Err(SignatureError::WrongKey {
                expected: key.id.to_string(),
                found: self.key_id,
            });
        }
        key.key
            .verify_strict(
                &Blake2b512::digest(data),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| SignatureError::BadSignature)?;
        let mut global = self.signature.to_vec();
        global.extend_from_slice(self.trusted_comment.as_bytes());
        key.key
            .verify_strict(&global, &Signature::from_bytes(&self.global_signature))
            .map_err(|_| SignatureError::BadTrustedComment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_seed(&[42; 32], KeyId(*b"testkey!"))
    }

    #[test]
    fn sign_verify_round_trip_through_text() {
        let sig = key().sign(b"hello", "seq=1");
        let parsed = SignatureFile::parse(&sig.to_text()).unwrap();
        assert_eq!(parsed, sig);
        parsed.verify(&key().public_key(), b"hello").unwrap();
        assert_eq!(
            parsed.verify(&key().public_key(), b"hellp"),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn altered_trusted_comment_is_named() {
        let mut sig = key().sign(b"hello", "seq=1");
        sig.trusted_comment = "seq=9".into();
        assert_eq!(
            sig.verify(&key().public_key(), b"hello"),
            Err(SignatureError::BadTrustedComment)
        );
    }

    #[test]
    fn other_key_is_named_before_crypto() {
        let other = SecretKey::from_seed(&[1; 32], KeyId(*b"otherkey"));
        let sig = other.sign(b"hello", "x");
        assert!(matches!(
            sig.verify(&key().public_key(), b"hello"),
            Err(SignatureError::WrongKey { .. })
        ));
    }

    #[test]
    fn key_files_round_trip() {
        let k = key();
        let pk = PublicKey::from_text(&k.public_key().to_file_text()).unwrap();
        assert_eq!(pk, k.public_key());
        assert_eq!(PublicKey::from_text(&pk.to_base64()).unwrap(), pk);
        let back = SecretKey::from_file_text(&k.to_file_text()).unwrap();
        assert_eq!(back.public_key(), pk);
        assert_eq!(
            k.id().to_string(),
            format!("{:016X}", u64::from_le_bytes(*b"testkey!"))
        );
    }

    #[test]
    fn corrupt_secret_key_is_refused() {
        let text = key().to_file_text();
        let line = text.lines().nth(1).unwrap();
        let mut raw = BASE64.decode(line).unwrap();
        raw[130] ^= 1;
        let bad = format!("untrusted comment: x\n{}\n", BASE64.encode(&raw));
        assert_eq!(
            SecretKey::from_file_text(&bad).err(),
            Some(KeyError::Corrupt)
        );
        raw[2] = b'S';
        let enc = format!("untrusted comment: x\n{}\n", BASE64.encode(&raw));
        assert_eq!(
            SecretKey::from_file_text(&enc).err(),
            Some(KeyError::Encrypted)
        );
    }

    #[test]
    fn malformed_signature_files_are_refused() {
        let text = key().sign(b"x", "c").to_text();
        assert!(SignatureFile::parse(&text[..text.len() / 2]).is_err());
        assert!(SignatureFile::parse(&text.replace("trusted comment: ", "nope: ")).is_err());
        assert!(SignatureFile::parse(&format!("{text}extra\n")).is_err());
    }
}
