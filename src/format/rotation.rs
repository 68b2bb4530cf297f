//! Key rotation statements (FORMAT.md §7): how a publisher introduces a new key.
//!
//! A client pins one key. The publisher introduces a new key with a rotation
//! statement signed by a key the client already trusts; statements are numbered
//! from 1 and applied strictly in order. A statement may revoke the old key, after
//! which its signatures are refused, even on old files. See FORMAT.md, "Key rotation".

use crate::format::comment::{FileKind, SignedFacts};
use crate::format::signature::{PublicKey, SecretKey};
use crate::format::time::rfc3339;
use serde::{Deserialize, Serialize};

/// The `type` field of every rotation statement.
pub const ROTATION_TYPE: &str = "hushlist-rotation";
/// Largest statement accepted, in bytes.
pub const MAX_ROTATION_LEN: usize = 16 * 1024;

/// The file name of rotation statement `number`.
pub fn rotation_file_name(number: u64) -> String {
    format!("rotation-{number:06}.json")
}

/// A statement, signed by the old key, that introduces a new key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationStatement {
    /// Always [`ROTATION_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Always 1.
    pub version: u32,
    /// 1 for the first rotation, then 2, 3...
    pub number: u64,
    /// RFC 3339 UTC.
    pub created: String,
    /// The signing (old) key, base64 line as in a `.pub` file.
    pub old_public_key: String,
    /// The key introduced, base64 line.
    pub new_public_key: String,
    /// Whether the old key is revoked: its signatures are refused from now on.
    pub revoke_old: bool,
}

/// Signs a rotation statement with the old key: `(statement JSON, .minisig text)`.
pub fn sign_rotation(
    old: &SecretKey,
    new: &PublicKey,
    number: u64,
    created: i64,
    revoke_old: bool,
) -> (Vec<u8>, String) {
    let statement = RotationStatement {
        kind: ROTATION_TYPE.into(),
        version: 1,
        number,
        created: rfc3339(created),
        old_public_key: old.public_key().to_base64(),
        new_public_key: new.to_base64(),
        revoke_old,
    };
    let mut json = serde_json::to_vec_pretty(&statement).expect("serializes");
    json.push(b'\n');
    let facts = SignedFacts {
        kind: FileKind::Rotation,
        sequence: number,
        created,
        expires: created,
        blake3: *blake3::hash(&json).as_bytes(),
    };
    let sig = old.sign(&json, &facts.to_comment()).to_text();
    (json, sig)
}
