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
const SCRYPT_KDF_ALG: [u8; 2] = *b"Sc";
const KEYNUM_SK_LEN: usize = 8 + 64 + 32;
/// libsodium's `crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE`, which
/// `minisign -G` uses for every key it encrypts.
pub const MINISIGN_OPSLIMIT: u64 = 33_554_432;
/// libsodium's `crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE` (1 GiB).
pub const MINISIGN_MEMLIMIT: u64 = 1_073_741_824;
/// Longest passphrase: minisign reads at most PASSWORDMAXBYTES - 1 bytes.
pub const MAX_PASSPHRASE_LEN: usize = 1023;
const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";
/// Longest signature file accepted, in bytes (minisign caps comments at 1 KiB).
pub const MAX_SIGNATURE_FILE_LEN: usize = 4096;

// Stock minisign reads each line with `fgets` into a buffer of these sizes
// (one byte of each for the terminating NUL): COMMENTMAXBYTES, then base64 of
// the signature plus 2, TRUSTEDCOMMENTMAXBYTES, base64 of 64 bytes plus 2.
const UNTRUSTED_LINE_BUF: usize = 1024;
const SIGNATURE_LINE_BUF: usize = b64_buf(SIGNATURE_LEN);
const TRUSTED_LINE_BUF: usize = 8192;
const GLOBAL_SIGNATURE_LINE_BUF: usize = b64_buf(64);

const fn b64_buf(bin_len: usize) -> usize {
    bin_len.div_ceil(3) * 4 + 1 + 2
}

/// Splits input as C's `fgets(buf, size, file)` does: up to and including the
/// first LF, or `size - 1` bytes, whichever comes first.
struct LineReader<'a> {
    rest: &'a [u8],
}

impl<'a> LineReader<'a> {
    fn next(&mut self, size: usize) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let max = self.rest.len().min(size - 1);
        let len = self.rest[..max]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(max, |i| i + 1);
        let (line, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(line)
    }
}

/// The line as C sees it (up to a NUL byte), cut at its first CR or LF.
fn c_string_line(line: &[u8]) -> &[u8] {
    let line = line.split(|&b| b == 0).next().unwrap_or_default();
    line.split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default()
}

/// [`c_string_line`] of a line that must end in LF (before any NUL): a line
/// without one did not fit minisign's buffer, or ended the file early.
fn terminated(line: &[u8]) -> Option<&[u8]> {
    let c = line.split(|&b| b == 0).next().unwrap_or_default();
    c.contains(&b'\n').then(|| c_string_line(c))
}

/// UTF-8 text of `bytes`, each invalid sequence replaced by `?`: never longer
/// than the input, so a parsed file written out again still fits minisign's
/// line buffer (U+FFFD would take three bytes for one).
fn lossy_no_longer(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.push('?');
        }
    }
    text
}

/// Standard base64 with canonical padding, exactly `N` bytes. Like minisign's
/// decoder, unused low bits of the last character are not required to be zero.
fn decode_exact<const N: usize>(b64: &[u8]) -> Option<[u8; N]> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT_BITS: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    LENIENT_BITS.decode(b64).ok()?.try_into().ok()
}

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
    /// A passphrase-protected key, read where no passphrase was given.
    #[error("the secret key is encrypted and needs its passphrase")]
    Encrypted,
    /// The passphrase does not decrypt the key (the checksum does not match).
    #[error("wrong passphrase for this secret key")]
    WrongPassphrase,
    /// Key derivation settings beyond what minisign writes (a hostile or damaged file).
    #[error("the key's scrypt settings (opslimit {opslimit}, memlimit {memlimit}) exceed what minisign writes; refusing to spend that much memory or time")]
    KdfTooCostly {
        /// The stored opslimit.
        opslimit: u64,
        /// The stored memlimit, in bytes.
        memlimit: u64,
    },
    /// An empty passphrase, or one longer than minisign reads.
    #[error("a passphrase must be 1 to {MAX_PASSPHRASE_LEN} bytes (minisign reads no more)")]
    BadPassphrase,
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
    /// Exactly one key line: a file holding two keys is refused rather than
    /// read as its first, since pinning the wrong one is silent.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with(UNTRUSTED_PREFIX.trim_end()));
        let line = lines.next().ok_or(KeyError::Malformed("no key line"))?;
        if lines.next().is_some() {
            return Err(KeyError::Malformed(
                "more than one line besides the comment: one public key per file",
            ));
        }
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

    /// The 32 secret bytes an OPRF key file holds: a key file made for the
    /// evaluation service is stored, encrypted and read exactly as a signing
    /// key is, and its seed, domain-separated, is the OPRF seed
    /// ([`crate::format::sealed::OprfSeed`]). It signs nothing.
    pub(crate) fn secret_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            id: self.id,
            key: self.signing.verifying_key(),
        }
    }

    /// A key from minisign's `keynum || secret key || checksum` (104 bytes).
    /// A mismatched checksum is a wrong passphrase for an encrypted key, and
    /// corruption for a plain one (where an all-zero checksum is allowed).
    fn from_keynum_sk(keynum_sk: &[u8], plain: bool) -> Result<Self, KeyError> {
        let id = KeyId(keynum_sk[..8].try_into().expect("8 bytes"));
        let keypair: &[u8; 64] = keynum_sk[8..72].try_into().expect("64 bytes");
        let stored = &keynum_sk[72..];
        let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
        h.update(KEY_ALG);
        h.update(id.0);
        h.update(keypair);
        let sum: [u8; 32] = h.finalize().into();
        let zero = plain && stored.iter().all(|&b| b == 0);
        if stored != sum && !zero {
            return Err(if plain {
                KeyError::Corrupt
            } else {
                KeyError::WrongPassphrase
            });
        }
        let signing = SigningKey::from_keypair_bytes(keypair).map_err(|_| KeyError::Corrupt)?;
        Ok(SecretKey { id, signing })
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

    /// The secret key file in minisign's encrypted format (as `minisign -G`
    /// writes it): the key id, secret key and checksum are XORed with a stream
    /// derived from the passphrase by scrypt (libsodium's
    /// `crypto_pwhash_scryptsalsa208sha256` with `limits`), so either tool can
    /// decrypt and sign with it.
    pub fn to_encrypted_file_text(
        &self,
        passphrase: &[u8],
        salt: [u8; 32],
        limits: KdfLimits,
    ) -> Result<Zeroizing<String>, KeyError> {
        check_passphrase(passphrase)?;
        let mut raw = Zeroizing::new(Vec::with_capacity(SECRET_KEY_LEN));
        raw.extend_from_slice(&KEY_ALG);
        raw.extend_from_slice(&SCRYPT_KDF_ALG);
        raw.extend_from_slice(&CHECKSUM_ALG);
        raw.extend_from_slice(&salt);
        raw.extend_from_slice(&limits.opslimit.to_le_bytes());
        raw.extend_from_slice(&limits.memlimit.to_le_bytes());
        raw.extend_from_slice(&self.id.0);
        raw.extend_from_slice(&Zeroizing::new(self.signing.to_keypair_bytes())[..]);
        raw.extend_from_slice(&self.checksum());
        let stream = limits.stream(passphrase, &salt)?;
        xor(&mut raw[SECRET_KEY_LEN - KEYNUM_SK_LEN..], &stream[..]);
        Ok(Zeroizing::new(format!(
            "{UNTRUSTED_PREFIX}hushlist encrypted secret key {} (minisign format)\n{}\n",
            self.id,
            BASE64.encode(&raw[..])
        )))
    }

    /// Parses an unencrypted secret key file written by [`SecretKey::to_file_text`]
    /// or `minisign -G -W`; an encrypted one is [`KeyError::Encrypted`] (use
    /// [`SecretKeyFile::parse`]).
    pub fn from_file_text(text: &str) -> Result<Self, KeyError> {
        match SecretKeyFile::parse(text)? {
            SecretKeyFile::Plain(key) => Ok(key),
            SecretKeyFile::Encrypted(_) => Err(KeyError::Encrypted),
        }
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

/// The cost of the scrypt key derivation of an encrypted secret key, in
/// libsodium's terms (`crypto_pwhash_scryptsalsa208sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfLimits {
    /// Operations limit.
    pub opslimit: u64,
    /// Memory limit, in bytes.
    pub memlimit: u64,
}

impl KdfLimits {
    /// What `minisign -G` uses: about 1 GiB of memory and a few seconds.
    pub const MINISIGN: KdfLimits = KdfLimits {
        opslimit: MINISIGN_OPSLIMIT,
        memlimit: MINISIGN_MEMLIMIT,
    };

    /// scrypt's (log2 N, r, p), derived from the limits as libsodium does, so
    /// that a file's stored limits mean the same here as in minisign.
    pub fn scrypt_params(self) -> (u32, u32, u32) {
        let opslimit = self.opslimit.max(32_768);
        let r = 8u32;
        let first_above_half = |max_n: u64| {
            (1..63)
                .find(|&log_n| (1u64 << log_n) > max_n / 2)
                .unwrap_or(63)
        };
        if opslimit < self.memlimit / 32 {
            (first_above_half(opslimit / (u64::from(r) * 4)), r, 1)
        } else {
            let log_n = first_above_half(self.memlimit / (u64::from(r) * 128));
            let max_rp = ((opslimit / 4) >> log_n).min(0x3fff_ffff);
            (log_n, r, (max_rp as u32) / r)
        }
    }

    /// The XOR stream for the 104 bytes of key id, secret key and checksum.
    fn stream(
        self,
        passphrase: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEYNUM_SK_LEN]>, KeyError> {
        let (log_n, r, p) = self.scrypt_params();
        let too_costly = KeyError::KdfTooCostly {
            opslimit: self.opslimit,
            memlimit: self.memlimit,
        };
        // Never more memory (128 r N bytes) or work than minisign's own setting.
        let (max_log_n, max_r, _) = KdfLimits::MINISIGN.scrypt_params();
        if p == 0 || log_n > max_log_n || r > max_r || p > 4 {
            return Err(too_costly);
        }
        let params = scrypt::Params::new(log_n as u8, r, p, 32).map_err(|_| too_costly)?;
        let mut stream = Zeroizing::new([0u8; KEYNUM_SK_LEN]);
        scrypt::scrypt(passphrase, salt, &params, &mut stream[..])
            .expect("104 bytes is a valid scrypt output length");
        Ok(stream)
    }
}

fn xor(data: &mut [u8], stream: &[u8]) {
    for (d, s) in data.iter_mut().zip(stream) {
        *d ^= s;
    }
}

fn check_passphrase(passphrase: &[u8]) -> Result<(), KeyError> {
    if passphrase.is_empty()
        || passphrase.len() > MAX_PASSPHRASE_LEN
        || passphrase.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n'))
    {
        return Err(KeyError::BadPassphrase);
    }
    Ok(())
}

/// A secret key file as read, before any passphrase is asked for.
pub enum SecretKeyFile {
    /// Stored in the clear (`keygen --unencrypted`, `minisign -G -W`).
    Plain(SecretKey),
    /// Protected by a passphrase (minisign's default format).
    Encrypted(EncryptedSecretKey),
}

impl SecretKeyFile {
    /// Parses a secret key file: a comment line, then the base64 key line.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
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
        match [raw[2], raw[3]] {
            [0, 0] => {
                // minisign 0.11 leaves the checksum of unencrypted keys zero.
                SecretKey::from_keynum_sk(&raw[SECRET_KEY_LEN - KEYNUM_SK_LEN..], true)
                    .map(SecretKeyFile::Plain)
            }
            SCRYPT_KDF_ALG => {
                let mut fixed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
                fixed.copy_from_slice(&raw);
                Ok(SecretKeyFile::Encrypted(EncryptedSecretKey { raw: fixed }))
            }
            _ => Err(KeyError::UnsupportedAlgorithm),
        }
    }
}

/// An encrypted secret key, still encrypted. Deliberately not `Debug`.
pub struct EncryptedSecretKey {
    raw: Zeroizing<[u8; SECRET_KEY_LEN]>,
}

impl EncryptedSecretKey {
    /// The stored key derivation settings.
    pub fn limits(&self) -> KdfLimits {
        KdfLimits {
            opslimit: u64::from_le_bytes(self.raw[38..46].try_into().expect("8 bytes")),
            memlimit: u64::from_le_bytes(self.raw[46..54].try_into().expect("8 bytes")),
        }
    }

    /// Derives the stream from `passphrase`, decrypts, and checks the checksum.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<SecretKey, KeyError> {
        check_passphrase(passphrase)?;
        let stream = self.limits().stream(passphrase, &self.raw[6..38])?;
        let mut keynum_sk = Zeroizing::new([0u8; KEYNUM_SK_LEN]);
        keynum_sk.copy_from_slice(&self.raw[SECRET_KEY_LEN - KEYNUM_SK_LEN..]);
        xor(&mut keynum_sk[..], &stream[..]);
        SecretKey::from_keynum_sk(&keynum_sk[..], false)
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
    /// Parses a `.minisig` file by the grammar of FORMAT.md §5, which is the
    /// one stock minisign's reader implements (line buffers of fixed sizes, a
    /// line ends at its first CR or LF, nothing is read after the fourth line),
    /// so that minisign and hushlist accept the same files and read the same
    /// signed bytes from them.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`SignatureFile::parse`] on raw bytes. The trusted comment must be UTF-8;
    /// in the untrusted one, never signed, each invalid sequence becomes `?`.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        use SignatureError::Malformed;
        if bytes.len() > MAX_SIGNATURE_FILE_LEN {
            return Err(Malformed("file too long"));
        }
        let mut reader = LineReader { rest: bytes };
        let line = reader
            .next(UNTRUSTED_LINE_BUF)
            .ok_or(Malformed("missing untrusted comment line"))?;
        let untrusted = terminated(line)
            .ok_or(Malformed(
                "untrusted comment line is too long or has no line end",
            ))?
            .strip_prefix(UNTRUSTED_PREFIX.as_bytes())
            .ok_or(Malformed("first line is not an untrusted comment"))?;
        let line = reader
            .next(SIGNATURE_LINE_BUF)
            .ok_or(Malformed("missing signature line"))?;
        let raw = terminated(line)
            .ok_or(Malformed("signature line is too long or has no line end"))
            .and_then(|b64| {
                decode_exact::<SIGNATURE_LEN>(b64)
                    .ok_or(Malformed("signature line is not base64 of 74 bytes"))
            })?;
        let line = reader
            .next(TRUSTED_LINE_BUF)
            .ok_or(Malformed("missing trusted comment line"))?;
        let trusted = line
            .strip_prefix(TRUSTED_PREFIX.as_bytes())
            .ok_or(Malformed("third line is not a trusted comment"))?;
        let trusted = terminated(trusted).ok_or(Malformed(
            "trusted comment line is too long or has no line end",
        ))?;
        let trusted =
            std::str::from_utf8(trusted).map_err(|_| Malformed("trusted comment is not UTF-8"))?;
        let line = reader
            .next(GLOBAL_SIGNATURE_LINE_BUF)
            .ok_or(Malformed("missing trusted comment signature"))?;
        // Stock minisign neither needs a line end here nor reads past this line.
        let global = decode_exact::<64>(c_string_line(line)).ok_or(Malformed(
            "trusted comment signature is not base64 of 64 bytes",
        ))?;
        if raw[..2] != PREHASHED_SIG_ALG {
            return Err(SignatureError::UnsupportedAlgorithm);
        }
        Ok(SignatureFile {
            untrusted_comment: lossy_no_longer(untrusted),
            key_id: KeyId(raw[2..10].try_into().expect("8 bytes")),
            signature: raw[10..].try_into().expect("64 bytes"),
            trusted_comment: trusted.to_string(),
            global_signature: global,
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
        let other = SecretKey::from_seed(&[9; 32], KeyId(*b"otherkey")).public_key();
        let two = format!("{}{}", pk.to_file_text(), other.to_file_text());
        assert!(
            matches!(PublicKey::from_text(&two), Err(KeyError::Malformed(m)) if m.contains("one public key")),
            "a file with two keys is not read as its first"
        );
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
        raw[2..4].copy_from_slice(b"Sc");
        let enc = format!("untrusted comment: x\n{}\n", BASE64.encode(&raw));
        assert_eq!(
            SecretKey::from_file_text(&enc).err(),
            Some(KeyError::Encrypted)
        );
        raw[3] = b'X';
        let other = format!("untrusted comment: x\n{}\n", BASE64.encode(&raw));
        assert_eq!(
            SecretKey::from_file_text(&other).err(),
            Some(KeyError::UnsupportedAlgorithm)
        );
    }

    const CHEAP: KdfLimits = KdfLimits {
        opslimit: 32_768,
        memlimit: 16 << 20,
    };

    #[test]
    fn libsodium_scrypt_parameters() {
        // minisign's setting: N = 2^20, r = 8, p = 1 (1 GiB); the cheap one 1 MiB.
        assert_eq!(KdfLimits::MINISIGN.scrypt_params(), (20, 8, 1));
        assert_eq!(CHEAP.scrypt_params(), (10, 8, 1));
    }

    #[test]
    fn encrypted_key_round_trip_and_wrong_passphrase() {
        let k = key();
        let text = k
            .to_encrypted_file_text(b"correct horse", [7; 32], CHEAP)
            .unwrap();
        let SecretKeyFile::Encrypted(enc) = SecretKeyFile::parse(&text).unwrap() else {
            panic!("not read as encrypted");
        };
        assert_eq!(enc.limits(), CHEAP);
        assert_eq!(
            enc.decrypt(b"correct horse").unwrap().public_key(),
            k.public_key()
        );
        assert_eq!(
            enc.decrypt(b"correct horsf").err(),
            Some(KeyError::WrongPassphrase)
        );
        assert_eq!(enc.decrypt(b"").err(), Some(KeyError::BadPassphrase));
        assert_eq!(
            SecretKey::from_file_text(&text).err(),
            Some(KeyError::Encrypted)
        );
    }

    #[test]
    fn costly_kdf_settings_are_refused_before_deriving() {
        let limits = KdfLimits {
            opslimit: MINISIGN_OPSLIMIT * 4,
            memlimit: MINISIGN_MEMLIMIT * 2,
        };
        let err = key().to_encrypted_file_text(b"pw", [0; 32], limits).err();
        assert!(
            matches!(err, Some(KeyError::KdfTooCostly { .. })),
            "{err:?}"
        );
    }

    fn sig_text() -> String {
        key().sign(b"x", "c").to_text()
    }

    #[test]
    fn minisig_lines_end_at_cr_or_lf_as_in_minisign() {
        let text = sig_text();
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            SignatureFile::parse(&crlf).unwrap(),
            SignatureFile::parse(&text).unwrap()
        );
        // Text after a CR in the trusted comment line is not part of the comment.
        let cut = text.replace("trusted comment: c\n", "trusted comment: c\rhidden\n");
        assert_eq!(SignatureFile::parse(&cut).unwrap().trusted_comment, "c");
        // The fourth line needs no line end, and nothing after it is read.
        assert!(SignatureFile::parse(text.trim_end()).is_ok());
        assert!(SignatureFile::parse(&format!("{text}anything\n")).is_ok());
    }

    #[test]
    fn minisig_whitespace_is_not_trimmed() {
        let text = sig_text();
        let lines: Vec<&str> = text.lines().collect();
        for (i, bad) in [
            format!("{} \n", lines[1]),
            format!(" {}\n", lines[1]),
            format!("{}\x0b\n", lines[1]),
            format!("{}\t\n", lines[1]),
        ]
        .iter()
        .enumerate()
        {
            let t = format!("{}\n{bad}{}\n{}\n", lines[0], lines[2], lines[3]);
            assert!(SignatureFile::parse(&t).is_err(), "case {i} accepted");
        }
        let blank_first = format!("\n{text}");
        assert!(SignatureFile::parse(&blank_first).is_err());
        let no_end = text.replacen('\n', "", 1);
        assert!(SignatureFile::parse(&no_end).is_err());
    }

    #[test]
    fn a_parsed_file_written_again_parses() {
        // 1000 bytes of invalid UTF-8 in the untrusted comment: the line fits
        // minisign's buffer, and must still fit once written back.
        let text = sig_text();
        let mut bytes = b"untrusted comment: ".to_vec();
        bytes.extend(std::iter::repeat_n(0xcd, 1000));
        bytes.push(b'\n');
        bytes.extend_from_slice(text.split_once('\n').unwrap().1.as_bytes());
        let sig = SignatureFile::parse_bytes(&bytes).unwrap();
        assert_eq!(SignatureFile::parse(&sig.to_text()).unwrap(), sig);
    }

    #[test]
    fn minisig_base64_trailing_bits_are_ignored_as_in_minisign() {
        let text = sig_text();
        let lines: Vec<&str> = text.lines().collect();
        // 74 bytes end in "X=" where X carries 2 unused bits; set them.
        let b64 = lines[1];
        let last = b64.as_bytes()[b64.len() - 2];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let pos = alphabet.iter().position(|&c| c == last).unwrap();
        let altered = format!("{}{}=", &b64[..b64.len() - 2], alphabet[pos | 3] as char);
        let t = text.replace(b64, &altered);
        assert_ne!(t, text);
        assert_eq!(
            SignatureFile::parse(&t).unwrap(),
            SignatureFile::parse(&text).unwrap()
        );
    }

    #[test]
    fn malformed_signature_files_are_refused() {
        let text = key().sign(b"x", "c").to_text();
        assert!(SignatureFile::parse(&text[..text.len() / 2]).is_err());
        assert!(SignatureFile::parse(&text.replace("trusted comment: ", "nope: ")).is_err());
    }
}
