//! The facts about a verified snapshot that `verify` prints and every check
//! report cites (the reports themselves are rendered by [`super::render`]).

use crate::format::number_key::Kdf;
use crate::format::snapshot::Contact;
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
    /// Who published the snapshot and how to confirm a match (signed into it).
    pub publisher: Contact,
    /// The salt epoch: since when this salt is used, and the next one announced.
    pub salt_epoch: Value,
    /// Where a sealed snapshot's keys are evaluated (empty when not sealed).
    pub evaluation_url: String,
    /// Warnings raised while verifying.
    pub warnings: Vec<String>,
}

impl SnapshotFacts {
    /// Collects the facts of an opened snapshot.
    pub fn of(opened: &Opened) -> Self {
        let v = &opened.snapshot;
        let h = &v.snapshot.header;
        let hash_json = |kdf| match kdf {
            Kdf::Argon2id { m_kib, t, p } => {
                json!({"algorithm": "argon2id", "memory_kib": m_kib, "passes": t, "lanes": p})
            }
            Kdf::Blake3 => json!({"algorithm": "blake3"}),
            Kdf::Voprf { public_key } => {
                json!({"algorithm": "voprf", "suite": "ristretto255-SHA512",
                       "public_key": hex::encode(public_key),
                       "key_id": crate::format::sealed::key_id(&public_key)})
            }
        };
        let hash = hash_json(h.kdf);
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
            publisher: h.contact.clone(),
            salt_epoch: json!({
                "started": rfc3339(h.epoch_start),
                "next_salt_from": rfc3339(h.next_epoch_start),
                "next_hash": hash_json(h.next_kdf),
            }),
            evaluation_url: h.evaluation_url.clone(),
            warnings: opened.warnings().cloned().collect(),
        }
    }

    fn hash_text(&self) -> String {
        hash_text(&self.hash)
    }

    /// The hash in words (`argon2id (m=..., t=..., p=...)`, `voprf (sealed,
    /// ..., public key id ...)`), as the text report shows it.
    pub fn hash_summary(&self) -> String {
        self.hash_text()
    }

    /// The next salt epoch's hash in words.
    pub fn next_hash_summary(&self) -> String {
        hash_text(&self.salt_epoch["next_hash"])
    }

    fn publisher_text(&self) -> String {
        let p = &self.publisher;
        match (p.name.as_str(), p.contact.as_str()) {
            ("", "") => "not named in this snapshot".into(),
            (name, "") | ("", name) => name.into(),
            (name, contact) => format!("{name}, {contact}"),
        }
    }
}

fn hash_text(hash: &Value) -> String {
    match &hash["algorithm"] {
        Value::String(a) if a == "argon2id" => format!(
            "argon2id (m={} KiB, t={}, p={})",
            hash["memory_kib"], hash["passes"], hash["lanes"]
        ),
        Value::String(a) if a == "voprf" => format!(
            "voprf (sealed, ristretto255-SHA512, public key id {})",
            hash["key_id"].as_str().unwrap_or("?")
        ),
        other => other.as_str().unwrap_or("?").to_string(),
    }
}

impl SnapshotFacts {
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
            ("publisher", self.publisher_text()),
            (
                "confirm at",
                match self.publisher.confirm_url.as_str() {
                    "" => "no procedure given".into(),
                    url => url.into(),
                },
            ),
            (
                "salt epoch",
                format!(
                    "since {}; next salt from {}, {} (announced: `hushlist prewarm` hashes for it ahead)",
                    self.salt_epoch["started"].as_str().unwrap_or("?"),
                    self.salt_epoch["next_salt_from"].as_str().unwrap_or("?"),
                    hash_text(&self.salt_epoch["next_hash"])
                ),
            ),
        ];
        for (k, v) in rows {
            let _ = writeln!(s, "  {k:<16} {v}");
        }
        if !self.evaluation_url.is_empty() {
            let _ = writeln!(
                s,
                "  {:<16} {} (sealed: keys not cached are asked there; it sees blinded values only)",
                "evaluations", self.evaluation_url
            );
        }
        for w in &self.warnings {
            let _ = writeln!(s, "WARNING: {w}");
        }
        s
    }
}

/// Why a match must be confirmed before anyone acts on it, for every report.
pub const REASSIGNED_NOTE: &str = "Carriers reassign phone numbers: a match says the number was on the \
list when the snapshot was made, not that its holder today is the person who was listed. HR and legal \
must not act on a match before the publisher has confirmed it for that number and date.";

/// The lines every check report shows next to its matches: who published the
/// list, how to confirm a match with them (as signed into the snapshot), and
/// [`REASSIGNED_NOTE`] with the snapshot's date.
pub fn confirmation_lines(facts: &SnapshotFacts) -> Vec<String> {
    let p = &facts.publisher;
    let mut lines = vec![format!("Publisher: {}", facts.publisher_text())];
    if !p.confirm_url.is_empty() || !p.confirm_text.is_empty() {
        let sep = if p.confirm_url.is_empty() || p.confirm_text.is_empty() {
            ""
        } else {
            " - "
        };
        lines.push(format!(
            "To confirm a match: {}{sep}{}",
            p.confirm_url, p.confirm_text
        ));
    } else {
        lines.push(
            "To confirm a match: this snapshot names no procedure; ask whoever gave you the publisher's key"
                .into(),
        );
    }
    lines.push(format!(
        "List as of {} (snapshot #{}). {REASSIGNED_NOTE}",
        facts.created, facts.sequence
    ));
    lines
}

#[cfg(test)]
mod confirmation_tests {
    use super::*;

    fn facts(contact: Contact) -> SnapshotFacts {
        SnapshotFacts {
            file: "s".into(),
            manifest_verified: true,
            sequence: 3,
            created: "2027-01-15T08:00:00Z".into(),
            expires: "2027-02-14T08:00:00Z".into(),
            entries: 1,
            hash: json!({"algorithm": "blake3"}),
            normalization: json!({}),
            filter: json!({}),
            fp_rate_declared: 1e-12,
            fp_rate_estimated: 3e-12,
            key_id: "K".into(),
            blake3: "b".into(),
            size: 1,
            previous: "p".into(),
            publisher: contact,
            salt_epoch: json!({}),
            evaluation_url: String::new(),
            warnings: vec![],
        }
    }

    #[test]
    fn confirmation_lines_name_the_publisher_and_warn_about_reassigned_numbers() {
        let lines = confirmation_lines(&facts(Contact {
            name: "Helpline".into(),
            contact: "c@example.org".into(),
            confirm_url: "https://example.org/c".into(),
            confirm_text: "Call us.".into(),
        }));
        assert_eq!(lines[0], "Publisher: Helpline, c@example.org");
        assert_eq!(
            lines[1],
            "To confirm a match: https://example.org/c - Call us."
        );
        assert!(lines[2]
            .starts_with("List as of 2027-01-15T08:00:00Z (snapshot #3). Carriers reassign"));
        assert!(lines[2].contains("must not act on a match before the publisher has confirmed"));
        let none = confirmation_lines(&facts(Contact::default()));
        assert_eq!(none[0], "Publisher: not named in this snapshot");
        assert!(none[1].contains("names no procedure"));
    }
}
