//! The signed manifest (`manifest.json`): the pointer to the latest snapshot.
//!
//! It binds the snapshot's file name, size and BLAKE3 digest to a sequence
//! number and an expiry, so a client can refuse mix-and-match, rollback and
//! freeze before downloading the snapshot. See FORMAT.md, "Manifest".

use serde::{Deserialize, Serialize};

/// The `type` field of every manifest.
pub const MANIFEST_TYPE: &str = "hushlist-manifest";
/// The manifest version this build reads and writes.
pub const MANIFEST_VERSION: u32 = 1;
/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_LEN: usize = 64 * 1024;

/// The manifest document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Always [`MANIFEST_VERSION`].
    pub version: u32,
    /// The snapshot's sequence number.
    pub sequence: u64,
    /// When the snapshot was made (RFC 3339 UTC).
    pub created: String,
    /// When clients stop accepting it (RFC 3339 UTC).
    pub expires: String,
    /// The id of the key that signed it (16 hex digits, as minisign shows it).
    pub key_id: String,
    /// The snapshot it points to.
    pub snapshot: SnapshotRef,
}

/// Where the snapshot is and what it must hash to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRef {
    /// File name relative to the manifest (no directories).
    pub file: String,
    /// Exact size in bytes.
    pub size: u64,
    /// BLAKE3 digest of the file, lower-case hex.
    pub blake3: String,
}

impl Manifest {
    /// Serializes as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("manifest serializes");
        out.push(b'\n');
        out
    }

    /// Parses and checks the fields that need no key or clock.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_MANIFEST_LEN {
            return Err(format!("manifest larger than {MAX_MANIFEST_LEN} bytes"));
        }
        crate::format::json::check_strict(bytes).map_err(|e| format!("not strict JSON: {e}"))?;
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("not a valid manifest: {e}"))?;
        if m.kind != MANIFEST_TYPE {
            return Err(format!("type is {:?}, expected {MANIFEST_TYPE:?}", m.kind));
        }
        if m.version != MANIFEST_VERSION {
            return Err(format!(
                "unknown manifest version {} (this build reads version {MANIFEST_VERSION}); upgrade hushlist",
                m.version
            ));
        }
        if !is_plain_file_name(&m.snapshot.file) {
            return Err(format!(
                "snapshot file name {:?} is not a plain file name",
                m.snapshot.file
            ));
        }
        let hex_digits = |s: &str, len, letters: std::ops::RangeInclusive<u8>| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || letters.contains(&b))
        };
        if !hex_digits(&m.snapshot.blake3, 64, b'a'..=b'f') {
            return Err("snapshot digest is not 64 lower-case hex digits".into());
        }
        if !hex_digits(&m.key_id, 16, b'A'..=b'F') {
            return Err("key_id is not 16 upper-case hex digits".into());
        }
        Ok(m)
    }
}

/// A name that cannot leave the published directory: no separators, no dot-dot,
/// nothing hidden, only `[A-Za-z0-9._-]`.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            kind: MANIFEST_TYPE.into(),
            version: 1,
            sequence: 2,
            created: "2026-01-01T00:00:00Z".into(),
            expires: "2027-01-01T00:00:00Z".into(),
            key_id: "0123456789ABCDEF".into(),
            snapshot: SnapshotRef {
                file: "snapshot-00000002.hushlist".into(),
                size: 10,
                blake3: "ab".repeat(32),
            },
        }
    }

    #[test]
    fn round_trip() {
        assert_eq!(Manifest::from_json(&sample().to_json()).unwrap(), sample());
    }

    #[test]
    fn hostile_fields_are_refused() {
        let mut m = sample();
        m.snapshot.file = "../../etc/passwd".into();
        assert!(Manifest::from_json(&m.to_json())
            .unwrap_err()
            .contains("plain file name"));
        let mut m = sample();
        m.version = 2;
        assert!(Manifest::from_json(&m.to_json())
            .unwrap_err()
            .contains("unknown manifest version 2"));
        assert!(Manifest::from_json(b"{\"type\":1}").is_err());
        let extra =
            String::from_utf8(sample().to_json())
                .unwrap()
                .replacen('{', "{\"extra\":1,", 1);
        assert!(Manifest::from_json(extra.as_bytes()).is_err());
    }
}
