//! The keyring: the keys a verifier trusts, following rotation statements
//! (FORMAT.md §7) from a pinned key, and the keys it has seen revoked.

use crate::format::comment::{FileKind, SignedFacts};
use crate::format::rotation::{RotationStatement, MAX_ROTATION_LEN, ROTATION_TYPE};
use crate::format::signature::{KeyId, PublicKey, SignatureError, SignatureFile};
use crate::format::time::parse_rfc3339;
use crate::verify::VerifyError;
use serde::{Deserialize, Serialize};

/// The keys a client trusts, and the ones it has seen revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyring {
    /// Trusted keys (base64 lines); the newest last.
    trusted: Vec<String>,
    /// Revoked key ids, with the statement that revoked each.
    revoked: Vec<(String, u64)>,
    /// Number of rotation statements applied.
    pub applied: u64,
    #[serde(skip)]
    keys: Vec<PublicKey>,
}

impl Keyring {
    /// A keyring that trusts only `key`.
    pub fn pinned(key: PublicKey) -> Self {
        Keyring {
            trusted: vec![key.to_base64()],
            revoked: Vec::new(),
            applied: 0,
            keys: vec![key],
        }
    }

    /// A keyring that trusts every key in `keys`, with `applied` statements
    /// counted as applied. For a publisher re-reading its own history, where
    /// old files were signed by keys rotated out since.
    pub fn history(keys: Vec<PublicKey>, applied: u64) -> Self {
        assert!(!keys.is_empty(), "a keyring trusts at least one key");
        Keyring {
            trusted: keys.iter().map(PublicKey::to_base64).collect(),
            revoked: Vec::new(),
            applied,
            keys,
        }
    }

    /// Restores a keyring saved with `serde_json`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let mut ring: Keyring =
            serde_json::from_slice(bytes).map_err(|e| format!("keyring: {e}"))?;
        ring.keys = ring
            .trusted
            .iter()
            .map(|k| PublicKey::from_text(k).map_err(|e| format!("keyring: {e}")))
            .collect::<Result<_, _>>()?;
        if ring.keys.is_empty() {
            return Err("keyring: no trusted key".into());
        }
        Ok(ring)
    }

    /// Serializes for storage.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("serializes")
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// The newest trusted key.
    pub fn newest(&self) -> &PublicKey {
        self.keys.last().expect("never empty")
    }

    /// The trusted key with id `id`, or why a signature by `id` is refused.
    pub fn find(&self, id: KeyId) -> Result<&PublicKey, SignatureError> {
        if let Some((_, by)) = self.revoked.iter().find(|(k, _)| *k == id.to_string()) {
            return Err(SignatureError::RevokedKey { key: id, by: *by });
        }
        self.keys
            .iter()
            .find(|k| k.id() == id)
            .ok_or_else(|| SignatureError::WrongKey {
                expected: self
                    .keys
                    .iter()
                    .map(|k| k.id().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                found: id,
            })
    }

    /// Verifies rotation statement number `applied + 1` and applies it.
    pub fn apply(
        &mut self,
        json: &[u8],
        signature: &str,
    ) -> Result<RotationStatement, VerifyError> {
        let kind = FileKind::Rotation;
        let bad = |reason: String| VerifyError::TrustedComment { kind, reason };
        let sig = SignatureFile::parse(signature)
            .map_err(|source| VerifyError::Signature { kind, source })?;
        let key = self
            .find(sig.key_id)
            .map_err(|source| VerifyError::Signature { kind, source })?
            .clone();
        sig.verify(&key, json)
            .map_err(|source| VerifyError::Signature { kind, source })?;
        let facts = SignedFacts::parse(&sig.trusted_comment).map_err(bad)?;
        if facts.kind != kind || facts.blake3 != *blake3::hash(json).as_bytes() {
            return Err(bad(
                "not the trusted comment of this rotation statement".into()
            ));
        }
        if json.len() > MAX_ROTATION_LEN {
            return Err(VerifyError::Manifest("rotation statement too large".into()));
        }
        let statement: RotationStatement = serde_json::from_slice(json)
            .map_err(|e| VerifyError::Manifest(format!("rotation statement: {e}")))?;
        let expected = self.applied + 1;
        if statement.kind != ROTATION_TYPE
            || statement.version != 1
            || parse_rfc3339(&statement.created).is_none()
        {
            return Err(VerifyError::Manifest("malformed rotation statement".into()));
        }
        if statement.number != expected || facts.sequence != expected {
            return Err(VerifyError::Manifest(format!(
                "rotation statement number {} where {expected} was expected",
                statement.number
            )));
        }
        if statement.old_public_key != key.to_base64() {
            return Err(VerifyError::Manifest(
                "rotation statement's old key is not the key that signed it".into(),
            ));
        }
        let new = PublicKey::from_text(&statement.new_public_key)
            .map_err(|e| VerifyError::Manifest(format!("rotation statement's new key: {e}")))?;
        if new.id() == key.id() || self.revoked.iter().any(|(k, _)| *k == new.id().to_string()) {
            return Err(VerifyError::Manifest(format!(
                "rotation statement {} introduces key {}, which is the signing key or a revoked one",
                statement.number,
                new.id()
            )));
        }
        if statement.revoke_old {
            self.keys.retain(|k| k.id() != key.id());
            self.revoked.push((key.id().to_string(), statement.number));
        }
        self.keys.retain(|k| k.id() != new.id());
        self.keys.push(new);
        self.trusted = self.keys.iter().map(PublicKey::to_base64).collect();
        self.applied = expected;
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::rotation::sign_rotation;
    use crate::format::signature::SecretKey;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
    }

    #[test]
    fn rotation_adds_the_new_key_and_revocation_removes_the_old() {
        let mut ring = Keyring::pinned(key(1).public_key());
        let (json, sig) = sign_rotation(&key(1), &key(2).public_key(), 1, 100, false);
        ring.apply(&json, &sig).unwrap();
        assert!(ring.find(key(1).id()).is_ok() && ring.find(key(2).id()).is_ok());
        let (json, sig) = sign_rotation(&key(2), &key(3).public_key(), 2, 200, true);
        ring.apply(&json, &sig).unwrap();
        assert!(matches!(
            ring.find(key(2).id()),
            Err(SignatureError::RevokedKey { by: 2, .. })
        ));
        assert_eq!(ring.newest().id(), key(3).id());
        let restored = Keyring::from_json(&ring.to_json()).unwrap();
        assert_eq!(restored, ring);
    }

    #[test]
    fn statements_from_untrusted_keys_or_out_of_order_are_refused() {
        let mut ring = Keyring::pinned(key(1).public_key());
        let (json, sig) = sign_rotation(&key(9), &key(2).public_key(), 1, 100, false);
        assert!(ring.apply(&json, &sig).is_err());
        let (json, sig) = sign_rotation(&key(1), &key(2).public_key(), 2, 100, false);
        assert!(ring.apply(&json, &sig).is_err());
        assert_eq!(ring.applied, 0);
    }
}
