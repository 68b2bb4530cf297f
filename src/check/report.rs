//! The facts about a verified snapshot that `verify` prints and every check
//! report cites (the reports themselves are rendered by [`super::render`]).

use crate::format::number_key::Kdf;
use crate::format::time::rfc3339;
use crate::published::Opened;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// What a possible match means, in plain words, for every report.
pub const MATCH_NOTE: &str =
    "A possible match means the number's hash is set in the list's filter. \
A match is not proof: filters have a small chance of false matches (stated in this report), and \
carriers reassign numbers, so the date the number contacted the list matters. Confirm every match \
with the list's publisher before anyone acts on it, and treat the number as sensitive meanwhile.";

/// The facts about a verified snapshot that verify prints and check reports cite.
#[derive(Clone, Debug, Serialize)]
pub struct SnapshotFacts {
    /// Snapshot file.
    pub file: String,
    /// Whether a signed manifest was verified too.
    pub manifest_verified: bool,
    /// Sequence number.
    pub sequence: u64,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339.
    pub expires: String,
    /// Distinct numbers listed.
    pub entries: u64,
    /// Hash function and parameters.
    pub hash: Value,
    /// Normalization scheme and metadata version.
    pub normalization: Value,
    /// Filter size and hash count.
    pub filter: Value,
    /// Declared false-positive rate.
    pub fp_rate_declared: f64,
    /// Estimated from the bits set.
    pub fp_rate_estimated: f64,
    /// Signing key id.
    pub key_id: String,
    /// BLAKE3 digest of the snapshot file.
    pub blake3: String,
    /// Size in bytes.
    pub size: u64,
    /// Digest of the previous snapshot (zeros for the first).
    pub previous: String,
    /// Warnings raised while verifying.
    pub warnings: Vec<String>,
}

impl SnapshotFacts {
    /// Collects the facts of an opened snapshot.
    pub fn of(opened: &Opened) -> Self {
        let v = &opened.snapshot;
        let h = &v.snapshot.header;
        let hash = match h.kdf {
            Kdf::Argon2id { m_kib, t, p } => {
                json!({"algorithm": "argon2id", "memory_kib": m_kib, "passes": t, "lanes": p})
            }
            Kdf::Blake3 => json!({"algorithm": "blake3"}),
        };
        SnapshotFacts {
            file: opened.path.display().to_string(),
            manifest_verified: opened.manifest.is_some(),
            sequence: h.sequence,
            created: rfc3339(h.created),
            expires: rfc3339(h.expires),
            entries: h.entries,
            hash,
            normalization: json!({"scheme": h.normalization, "metadata_version": h.metadata_version}),
            filter: json!({"bits": v.snapshot.filter.bits(), "hashes": v.snapshot.filter.hashes(), "bits_set": v.ones}),
            fp_rate_declared: h.fp_rate,
            fp_rate_estimated: v.estimated_fp_rate,
            key_id: v.key_id.to_string(),
            blake3: hex::encode(v.digest),
            size: v.size,
            previous: hex::encode(h.previous),
            warnings: opened.warnings().cloned().collect(),
        }
    }

    fn hash_text(&self) -> String {
        match &self.hash["algorithm"] {
            Value::String(a) if a == "argon2id" => format!(
                "argon2id (m={} KiB, t={}, p={})",
                self.hash["memory_kib"], self.hash["passes"], self.hash["lanes"]
            ),
            other => other.as_str().unwrap_or("?").to_string(),
        }
    }

    /// The human-readable verification report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "VALID: snapshot #{} signed by key {}",
            self.sequence, self.key_id
        );
        let rows = [
            ("file", self.file.clone()),
            (
                "manifest",
                if self.manifest_verified {
                    "verified, binds size and digest"
                } else {
                    "not checked (snapshot file given)"
                }
                .into(),
            ),
            ("created", self.created.clone()),
            ("expires", self.expires.clone()),
            ("entries", self.entries.to_string()),
            ("hash", self.hash_text()),
            (
                "normalization",
                format!(
                    "scheme {}, metadata {}",
                    self.normalization["scheme"],
                    self.normalization["metadata_version"]
                        .as_str()
                        .unwrap_or("?")
                ),
            ),
            (
                "filter",
                format!(
                    "{} bits, {} hashes, {} bits set",
                    self.filter["bits"], self.filter["hashes"], self.filter["bits_set"]
                ),
            ),
            (
                "false positives",
                format!(
                    "declared {:.1e}, estimated from fill {:.1e}",
                    self.fp_rate_declared, self.fp_rate_estimated
                ),
            ),
            ("blake3", self.blake3.clone()),
            ("size", format!("{} bytes", self.size)),
            ("previous", self.previous.clone()),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "  {k:<16} {v}");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "WARNING: {w}");
        }
        s
    }
}
