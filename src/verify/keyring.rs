//! The keyring: the keys a verifier trusts, following rotation statements
//! (FORMAT.md §7) from a pinned key, and the keys it has seen revoked.

use crate::format::comment::{FileKind, SignedFacts};
use crate::format::json::check_strict;
use crate::format::rotation::{RotationStatement, MAX_ROTATION_LEN, ROTATION_TYPE};
use crate::format::signature::{KeyId, PublicKey, SignatureError, SignatureFile};
use crate::format::time::{parse_rfc3339, rfc3339};
use crate::verify::VerifyError;
use serde::{Deserialize, Serialize};

/// Most rotation statements followed in one pass: a bound on work, far above
/// any real history.
pub const MAX_ROTATIONS: u64 = 10_000;

/// What the keyring knows of one key: when it was introduced and revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key id, as minisign shows it.
    pub key_id: String,
    /// The statement that introduced it; 0 for the pinned key.
    pub introduced_by: u64,
    /// That statement's `created` time (RFC 3339); none for the pinned key.
    pub introduced_at: Option<String>,
    /// The statement that revoked it, if any.
    pub revoked_by: Option<u64>,
    /// That statement's `created` time (RFC 3339).
    pub revoked_at: Option<String>,
}

/// One rotation statement that a verifier followed, for its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    /// The statement's number.
    pub number: u64,
    /// The key that signed it.
    pub old: KeyId,
    /// The key it introduced.
    pub new: KeyId,
    /// Whether it revoked the old key.
    pub revoked: bool,
    /// Its `created` time, RFC 3339.
    pub created: String,
    /// The signing key's base64 line.
    pub old_key: String,
    /// The introduced key's base64 line.
    pub new_key: String,
    /// True for a statement made before the pinned key existed: it was
    /// skipped (the pinned key cannot judge it), not applied.
    pub before_pin: bool,
}

impl std::fmt::Display for Followed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.before_pin {
            return write!(
                f,
                "rotation statement {} ({}): key {} introduced key {}; made before the pinned key, skipped",
                self.number, self.created, self.old, self.new
            );
        }
        write!(
            f,
            "followed rotation statement {} ({}): key {} introduced key {}{}",
            self.number,
            self.created,
            self.old,
            self.new,
            if self.revoked {
                format!(" and REVOKED key {}", self.old)
            } else {
                String::new()
            }
        )
    }
}

/// The keys a client trusts, and the ones it has seen revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyring {
    /// Trusted keys (base64 lines); the newest last.
    trusted: Vec<String>,
    /// Revoked key ids, with the statement that revoked each.
    revoked: Vec<(String, u64)>,
    /// Number of rotation statements applied (or skipped as made before the pinned key).
    pub applied: u64,
    /// The pinned key (base64 line); absent in keyrings saved by older versions,
    /// whose first trusted key was the pinned one.
    #[serde(default)]
    pinned: Option<String>,
    /// Statements skipped because they were made before the pinned key: the
    /// pinned key was introduced by statement `anchored`.
    #[serde(default)]
    anchored: u64,
    /// Every key seen, with its introduction and revocation.
    #[serde(default)]
    records: Vec<KeyRecord>,
    /// The highest statement number at which the pinned key may have been
    /// introduced: set when the pinned key was seen signing a statement, which
    /// it cannot have done before its own introduction.
    #[serde(default)]
    max_anchor: Option<u64>,
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
            pinned: Some(key.to_base64()),
            anchored: 0,
            records: vec![KeyRecord {
                key_id: key.id().to_string(),
                introduced_by: 0,
                introduced_at: None,
                revoked_by: None,
                revoked_at: None,
            }],
            max_anchor: None,
            keys: vec![key],
        }
    }

    /// Whether statement number `n` (with its signature) is validly signed by
    /// the pinned key, whatever this keyring has applied.
    pub(crate) fn signed_by_pin(&self, json: &[u8], signature: &str) -> bool {
        let Some(pin) = self
            .pinned
            .as_deref()
            .and_then(|p| PublicKey::from_text(p).ok())
        else {
            return false;
        };
        SignatureFile::parse(signature)
            .is_ok_and(|sig| sig.key_id == pin.id() && sig.verify(&pin, json).is_ok())
    }

    /// Statement `n` at or before the pinned key's supposed introduction is
    /// signed by the pinned key itself: the statements that led to it were
    /// forged. Starts again from the pinned key alone, and never again accepts
    /// an introduction of it at `n` or later.
    pub(crate) fn distrust_anchor(&mut self, n: u64) {
        let pin = PublicKey::from_text(self.pinned.as_deref().expect("anchored rings are pinned"))
            .expect("saved from a key");
        let max = n - 1;
        *self = Keyring::pinned(pin);
        self.max_anchor = Some(max);
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
            pinned: None,
            anchored: applied,
            records: Vec::new(),
            max_anchor: None,
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
        if ring.records.is_empty() {
            ring.records = ring
                .keys
                .iter()
                .map(|k| KeyRecord {
                    key_id: k.id().to_string(),
                    introduced_by: 0,
                    introduced_at: None,
                    revoked_by: None,
                    revoked_at: None,
                })
                .collect();
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

    /// Every key seen, trusted or revoked, with its introduction and revocation.
    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    /// The newest trusted key.
    pub fn newest(&self) -> &PublicKey {
        self.keys.last().expect("never empty")
    }

    /// Whether key `id` was revoked by a statement this keyring applied.
    pub fn is_revoked(&self, id: &str) -> bool {
        self.revoked.iter().any(|(k, _)| k == id)
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

    /// Whether the pinned key has judged no statement yet, so that statements
    /// signed by other keys may be history from before it (FORMAT.md §7).
    fn at_pin(&self) -> bool {
        self.pinned.is_some() && self.applied == self.anchored
    }

    /// Verifies rotation statement number `applied + 1` and applies it.
    pub fn apply(&mut self, json: &[u8], signature: &str) -> Result<Followed, VerifyError> {
        let (statement, key, new) = self.check(json, signature)?;
        if statement.revoke_old {
            self.keys.retain(|k| k.id() != key.id());
            self.revoked.push((key.id().to_string(), statement.number));
            if let Some(r) = self
                .records
                .iter_mut()
                .find(|r| r.key_id == key.id().to_string())
            {
                r.revoked_by = Some(statement.number);
                r.revoked_at = Some(statement.created.clone());
            }
        }
        self.keys.retain(|k| k.id() != new.id());
        self.keys.push(new.clone());
        self.trusted = self.keys.iter().map(PublicKey::to_base64).collect();
        self.records.retain(|r| r.key_id != new.id().to_string());
        self.records.push(KeyRecord {
            key_id: new.id().to_string(),
            introduced_by: statement.number,
            introduced_at: Some(statement.created.clone()),
            revoked_by: None,
            revoked_at: None,
        });
        self.applied = statement.number;
        Ok(Followed {
            number: statement.number,
            old: key.id(),
            new: new.id(),
            revoked: statement.revoke_old,
            created: statement.created,
            old_key: key.to_base64(),
            new_key: new.to_base64(),
            before_pin: false,
        })
    }

    /// Checks statement `applied + 1` against this keyring without applying
    /// it: its signer, signatures, trusted comment and fields (FORMAT.md §7).
    fn check(
        &self,
        json: &[u8],
        signature: &str,
    ) -> Result<(RotationStatement, PublicKey, PublicKey), VerifyError> {
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
        let statement = parse_statement(json)?;
        let expected = self.applied + 1;
        if statement.number != expected || facts.sequence != expected {
            return Err(VerifyError::Rotation(format!(
                "rotation statement number {} where {expected} was expected",
                statement.number
            )));
        }
        // FORMAT.md §7: the signed comment repeats the statement's time, and
        // statements do not expire (`expires` repeats `created`).
        let created = parse_rfc3339(&statement.created).expect("checked by parse_statement");
        if facts.created != created || facts.expires != facts.created {
            return Err(bad(format!(
                "rotation statement {expected}: the trusted comment's created {} and expires {}                  must both equal the statement's created {}",
                rfc3339(facts.created),
                rfc3339(facts.expires),
                statement.created
            )));
        }
        if statement.old_public_key != key.to_base64() {
            return Err(VerifyError::Rotation(
                "rotation statement's old key is not the key that signed it".into(),
            ));
        }
        let new = PublicKey::from_text(&statement.new_public_key)
            .map_err(|e| VerifyError::Rotation(format!("rotation statement's new key: {e}")))?;
        if new.id() == key.id() || self.revoked.iter().any(|(k, _)| *k == new.id().to_string()) {
            return Err(VerifyError::Rotation(format!(
                "rotation statement {} introduces key {}, which is the signing key or a revoked one",
                statement.number,
                new.id()
            )));
        }
        Ok((statement, key, new))
    }

    /// Follows the rotation statements that `fetch` finds (statement `n`, or
    /// `None` when there is none), from `applied + 1` until the first missing
    /// one. Each statement is applied as soon as it verifies, and `applied`
    /// told, so a caller can save the keyring at once.
    ///
    /// A keyring whose pinned key has judged nothing yet first checks whether
    /// the statements lead *to* the pinned key (it was handed out after some
    /// rotations): then the statements up to the one that introduced it are
    /// history it cannot judge, and are skipped. They must still form a chain,
    /// each signed by a key the chain introduced.
    pub(crate) fn follow<E>(
        &mut self,
        mut fetch: impl FnMut(u64) -> Result<Option<(Vec<u8>, String)>, E>,
        refused: impl Fn(u64, VerifyError) -> E,
        mut applied: impl FnMut(&Keyring) -> Result<(), E>,
    ) -> Result<Vec<Followed>, E> {
        let mut followed = Vec::new();
        while self.applied < MAX_ROTATIONS {
            let n = self.applied + 1;
            let Some((json, signature)) = fetch(n)? else {
                break;
            };
            match self.apply(&json, &signature) {
                Ok(step) => followed.push(step),
                Err(VerifyError::Signature {
                    source: SignatureError::WrongKey { .. },
                    ..
                }) if self.at_pin() => {
                    let skipped = self.skip_to_pin(n, (json, signature), &mut fetch, &refused)?;
                    followed.extend(skipped);
                }
                Err(e) => return Err(refused(n, e)),
            }
            applied(self)?;
        }
        Ok(followed)
    }

    /// Statements `first..` do not start from the pinned key: reads them all,
    /// checks that they chain from the first one's old key, and skips those up
    /// to the last that introduced the pinned key. Refused if none did.
    fn skip_to_pin<E>(
        &mut self,
        first: u64,
        head: (Vec<u8>, String),
        fetch: &mut impl FnMut(u64) -> Result<Option<(Vec<u8>, String)>, E>,
        refused: &impl Fn(u64, VerifyError) -> E,
    ) -> Result<Vec<Followed>, E> {
        let pinned = self.pinned.clone().expect("at_pin");
        let start = parse_statement(&head.0)
            .and_then(|s| {
                PublicKey::from_text(&s.old_public_key).map_err(|e| {
                    VerifyError::Rotation(format!("rotation statement's old key: {e}"))
                })
            })
            .map_err(|e| refused(first, e))?;
        let mut chain = Keyring::pinned(start);
        chain.pinned = None;
        chain.applied = first - 1;
        chain.anchored = first - 1;
        let mut steps = Vec::new();
        let mut next = Some(head);
        let mut anchored = false;
        while let Some((json, signature)) = next.take() {
            let n = chain.applied + 1;
            let mut step = chain.apply(&json, &signature).map_err(|e| {
                refused(
                    n,
                    match e {
                        VerifyError::Signature {
                            source: SignatureError::WrongKey { .. },
                            ..
                        } => VerifyError::Rotation(format!(
                            "rotation statement {n} is signed by a key that neither the pinned key nor the \
                             statements before it introduced"
                        )),
                        e => e,
                    },
                )
            })?;
            step.before_pin = true;
            steps.push(step);
            if self.max_anchor.is_some_and(|max| n > max) {
                return Err(refused(
                    n,
                    VerifyError::Rotation(format!(
                        "rotation statement {n} is signed by a key other than the pinned key, \
                         which was seen signing an earlier statement: a forged history"
                    )),
                ));
            }
            if chain.newest().to_base64() == pinned {
                // Statements after the pinned key's introduction are judged by it.
                anchored = true;
                break;
            }
            if n >= MAX_ROTATIONS {
                break;
            }
            next = fetch(n + 1)?;
        }
        if !anchored {
            return Err(refused(
                first,
                VerifyError::Signature {
                    kind: FileKind::Rotation,
                    source: SignatureError::WrongKey {
                        expected: self
                            .keys
                            .iter()
                            .map(|k| k.id().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        found: steps.first().map(|s| s.old).unwrap_or(self.newest().id()),
                    },
                },
            ));
        }
        let last = steps.last().expect("anchored on a statement");
        self.applied = last.number;
        self.anchored = last.number;
        if let Some(r) = self.records.first_mut() {
            r.introduced_by = last.number;
            r.introduced_at = Some(last.created.clone());
        }
        Ok(steps)
    }

    /// The number of the statement that introduced the pinned key (0 when the
    /// pinned key is the first): statements up to it were skipped, not judged.
    pub(crate) fn anchored(&self) -> u64 {
        self.anchored
    }
}

/// Parses a rotation statement's JSON: the strict JSON rules, then exactly
/// the fields of FORMAT.md §7 with the required `type` and `version`.
pub fn parse_statement(json: &[u8]) -> Result<RotationStatement, VerifyError> {
    if json.len() > MAX_ROTATION_LEN {
        return Err(VerifyError::Rotation(format!(
            "rotation statement larger than {MAX_ROTATION_LEN} bytes"
        )));
    }
    check_strict(json)
        .map_err(|e| VerifyError::Rotation(format!("rotation statement: not strict JSON: {e}")))?;
    let statement: RotationStatement = serde_json::from_slice(json)
        .map_err(|e| VerifyError::Rotation(format!("rotation statement: {e}")))?;
    if statement.kind != ROTATION_TYPE
        || statement.version != 1
        || parse_rfc3339(&statement.created).is_none()
    {
        return Err(VerifyError::Rotation(format!(
            "malformed rotation statement (type must be {ROTATION_TYPE:?}, version 1, created a canonical time)"
        )));
    }
    Ok(statement)
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

    fn follow(
        ring: &mut Keyring,
        statements: &[(Vec<u8>, String)],
    ) -> Result<Vec<Followed>, String> {
        ring.follow(
            |n| Ok(statements.get(n as usize - 1).cloned()),
            |n, e| format!("{n}: {e}"),
            |_| Ok(()),
        )
    }

    #[test]
    fn a_later_pinned_key_skips_the_statements_before_it_and_trusts_only_itself() {
        let s1 = sign_rotation(&key(1), &key(2).public_key(), 1, 100, true);
        let s2 = sign_rotation(&key(2), &key(3).public_key(), 2, 200, false);
        let s3 = sign_rotation(&key(3), &key(4).public_key(), 3, 300, false);
        let mut ring = Keyring::pinned(key(3).public_key());
        let followed = follow(&mut ring, &[s1.clone(), s2.clone(), s3.clone()]).unwrap();
        assert_eq!(followed.iter().filter(|f| f.before_pin).count(), 2);
        assert_eq!(ring.applied, 3);
        assert!(ring.find(key(1).id()).is_err() && ring.find(key(2).id()).is_err());
        assert!(ring.find(key(3).id()).is_ok() && ring.find(key(4).id()).is_ok());

        // Statements that never reach the pinned key are refused, not skipped.
        let mut ring = Keyring::pinned(key(9).public_key());
        assert!(follow(&mut ring, &[s1.clone(), s2.clone()]).is_err());
        assert_eq!(ring.applied, 0);

        // A forged statement in the middle breaks the chain to the pinned key.
        let forged = sign_rotation(&key(8), &key(3).public_key(), 2, 200, false);
        let mut ring = Keyring::pinned(key(3).public_key());
        assert!(follow(&mut ring, &[s1, forged]).is_err());
    }

    #[test]
    fn a_rotation_whose_comment_times_differ_from_its_json_is_refused() {
        let (json, _) = sign_rotation(&key(1), &key(2).public_key(), 1, 100, false);
        let facts = SignedFacts {
            kind: FileKind::Rotation,
            sequence: 1,
            created: 100,
            expires: 200,
            blake3: *blake3::hash(&json).as_bytes(),
        };
        let sig = key(1).sign(&json, &facts.to_comment()).to_text();
        let err = Keyring::pinned(key(1).public_key())
            .apply(&json, &sig)
            .unwrap_err();
        assert!(err.to_string().contains("must both equal"), "{err}");
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
