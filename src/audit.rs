//! Auditing a whole published directory: every snapshot verified, the sequence
//! contiguous, each `previous` digest equal to the digest of the snapshot before
//! it, every signature by a key the pinned key's rotation chain introduced (and
//! none by a key after its revocation), and the manifest pointing at the newest.
//!
//! The result ends in the chain's head (sequence and digest): two auditors who
//! see the same head saw the same history.

use crate::format::signature::{PublicKey, SignatureFile, MAX_SIGNATURE_FILE_LEN};
use crate::format::time::{parse_rfc3339, rfc3339};
use crate::published::{self, Error, MANIFEST_FILE};
use crate::verify::Keyring;
use crate::verify::Policy;
use serde::Serialize;
use std::path::Path;

/// One snapshot's line in the audit.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Sequence number.
    pub sequence: u64,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339.
    pub expires: String,
    /// Entries listed.
    pub entries: u64,
    /// Signing key id.
    pub key_id: String,
    /// BLAKE3 of the file.
    pub blake3: String,
    /// The current epoch's hash: `argon2id`, `blake3` or `voprf`.
    pub hash: String,
    /// A sealed epoch's public key, hex (empty otherwise): auditors compare
    /// them, since a second key for one epoch would single out a client.
    pub public_key: String,
    /// Where a sealed snapshot's keys are evaluated (empty otherwise).
    pub evaluation_url: String,
    /// What is wrong with it; empty when it passed.
    pub problems: Vec<String>,
}

/// One key of the chain in the audit.
#[derive(Clone, Debug, Serialize)]
pub struct KeyLine {
    /// Key id.
    pub key_id: String,
    /// The statement that introduced it; 0 for the first key.
    pub introduced_by: u64,
    /// That statement's time.
    pub introduced_at: Option<String>,
    /// The statement that revoked it.
    pub revoked_by: Option<u64>,
    /// That statement's time.
    pub revoked_at: Option<String>,
    /// Whether it is the key the auditor pinned.
    pub pinned: bool,
}

/// The audit of a directory.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    /// Every snapshot found, oldest first.
    pub snapshots: Vec<Entry>,
    /// Every key of the chain, oldest first, with its introduction and revocation.
    pub keys: Vec<KeyLine>,
    /// Key rotations applied from the pinned key.
    pub rotations: u64,
    /// Problems not tied to one snapshot (gaps, manifest).
    pub problems: Vec<String>,
    /// Newest sequence and its digest, when there is a snapshot.
    pub head: Option<(u64, String)>,
}

impl Audit {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.snapshots.iter().all(|e| e.problems.is_empty())
            && self.head.is_some()
    }
}

/// Audits `dir` from the pinned `key` with the limits of `policy` (its
/// clock and freshness rule aside). Expired snapshots are history, not
/// failures: freshness is judged only for the manifest's snapshot by `verify`.
pub fn audit(dir: &Path, key: &PublicKey, policy: &Policy) -> Result<Audit, Error> {
    let stale_ok = Policy {
        staleness: crate::verify::Staleness::AcceptLoudly,
        ..*policy
    };
    // Every key the chain ever introduced (and those before the pinned key,
    // when it was introduced by a statement), with when each was introduced
    // and, if revoked, when it stopped counting.
    let (ring, followed) = published::follow_rotations_noted(dir, &Keyring::pinned(key.clone()))?;
    let mut every_key = vec![key.clone()];
    let mut keys: Vec<KeyLine> = vec![KeyLine {
        key_id: key.id().to_string(),
        introduced_by: 0,
        introduced_at: None,
        revoked_by: None,
        revoked_at: None,
        pinned: true,
    }];
    for step in &followed {
        if step.before_pin && keys.iter().all(|k| k.key_id != step.old.to_string()) {
            every_key.push(PublicKey::from_text(&step.old_key).expect("checked by follow"));
            keys.insert(
                keys.len() - 1,
                KeyLine {
                    key_id: step.old.to_string(),
                    introduced_by: 0,
                    introduced_at: None,
                    revoked_by: None,
                    revoked_at: None,
                    pinned: false,
                },
            );
        }
        if step.revoked {
            if let Some(k) = keys.iter_mut().find(|k| k.key_id == step.old.to_string()) {
                k.revoked_by = Some(step.number);
                k.revoked_at = Some(step.created.clone());
            }
        }
        match keys.iter_mut().find(|k| k.key_id == step.new.to_string()) {
            Some(k) => {
                k.introduced_by = step.number;
                k.introduced_at = Some(step.created.clone());
            }
            None => {
                every_key.push(PublicKey::from_text(&step.new_key).expect("checked by follow"));
                // Keys from before the pinned one go before it: the list is oldest first.
                let at = if step.before_pin {
                    keys.len() - 1
                } else {
                    keys.len()
                };
                keys.insert(
                    at,
                    KeyLine {
                        key_id: step.new.to_string(),
                        introduced_by: step.number,
                        introduced_at: Some(step.created.clone()),
                        revoked_by: None,
                        revoked_at: None,
                        pinned: false,
                    },
                );
            }
        }
    }
    let history = Keyring::history(every_key, ring.applied);

    let files = published::snapshot_files(dir)?;

    let mut audit = Audit {
        snapshots: Vec::new(),
        keys,
        rotations: ring.applied,
        problems: Vec::new(),
        head: None,
    };
    let mut previous: Option<(u64, [u8; 32], i64)> = None;
    // The last snapshot that verified, for the salt-epoch rule.
    let mut previous_header: Option<crate::format::snapshot::Header> = None;
    for (seq, path) in &files {
        match published::open_snapshot_file_with(path, &history, stale_ok) {
            Err(e) => {
                audit.snapshots.push(Entry {
                    sequence: *seq,
                    created: String::new(),
                    expires: String::new(),
                    entries: 0,
                    key_id: String::new(),
                    blake3: String::new(),
                    hash: String::new(),
                    public_key: String::new(),
                    evaluation_url: String::new(),
                    problems: vec![e.to_string()],
                });
                previous = None;
            }
            Ok(opened) => {
                let v = &opened.snapshot;
                let h = &v.snapshot.header;
                let mut problems = Vec::new();
                if h.sequence != *seq {
                    problems.push(format!(
                        "file name says #{seq} but the header says #{}",
                        h.sequence
                    ));
                }
                // As the manifest's: a snapshot from the future is forged or
                // made on a clock running ahead.
                if let Err(e) = crate::verify::check_not_future("snapshot", h.created, stale_ok) {
                    problems.push(e.to_string());
                }
                match previous {
                    Some((prev_seq, prev_digest, prev_created)) if prev_seq + 1 == *seq => {
                        if h.previous != prev_digest {
                            problems.push(format!(
                                "previous digest {} is not #{prev_seq}'s {}",
                                hex::encode(h.previous),
                                hex::encode(prev_digest)
                            ));
                        }
                        if h.created < prev_created {
                            problems
                                .push(format!("created {} before #{prev_seq}", rfc3339(h.created)));
                        }
                        if let Some(Err(e)) = previous_header
                            .as_ref()
                            .map(|p| crate::verify::check_epoch_step(p, h))
                        {
                            problems.push(e);
                        }
                    }
                    Some((prev_seq, ..)) => audit.problems.push(format!(
                        "snapshots #{} to #{} are missing",
                        prev_seq + 1,
                        seq - 1
                    )),
                    None if *seq == 1 && h.previous != [0; 32] => {
                        problems.push("the first snapshot names a previous one".into())
                    }
                    None if *seq > 1 && audit.snapshots.is_empty() => audit.problems.push(format!(
                        "history starts at #{seq}: earlier snapshots were removed"
                    )),
                    None => {}
                }
                // Read byte for byte as verification reads it, so the key
                // named here is the key that verification checked.
                let signer = SignatureFile::parse_bytes(&published::read_capped(
                    &published::signature_path(path),
                    MAX_SIGNATURE_FILE_LEN as u64,
                )?)
                .map(|s| s.key_id.to_string())
                .unwrap_or_default();
                // Times are whole seconds: only a snapshot created strictly after the
                // revocation statement is known to postdate it, and only one created
                // strictly before a key's introduction to predate it.
                let line = audit.keys.iter().find(|k| k.key_id == signer);
                let at = |t: &Option<String>| t.as_deref().and_then(parse_rfc3339);
                if let Some(revoked) = line.and_then(|k| at(&k.revoked_at)) {
                    if h.created > revoked {
                        problems.push(format!(
                            "signed by key {signer} after its revocation at {}",
                            rfc3339(revoked)
                        ));
                    }
                }
                if let Some(introduced) = line.and_then(|k| at(&k.introduced_at)) {
                    if h.created < introduced {
                        problems.push(format!(
                            "signed by key {signer} before the statement that introduced it ({})",
                            rfc3339(introduced)
                        ));
                    }
                }
                previous = Some((*seq, v.digest, h.created));
                previous_header = Some(h.clone());
                audit.snapshots.push(Entry {
                    sequence: h.sequence,
                    created: rfc3339(h.created),
                    expires: rfc3339(h.expires),
                    entries: h.entries,
                    key_id: v.key_id.to_string(),
                    blake3: hex::encode(v.digest),
                    hash: h.kdf.name().to_string(),
                    public_key: match h.kdf {
                        crate::format::number_key::Kdf::Voprf { public_key } => {
                            hex::encode(public_key)
                        }
                        _ => String::new(),
                    },
                    evaluation_url: h.evaluation_url.clone(),
                    problems,
                });
            }
        }
    }
    match published::open_directory(dir, &Keyring::pinned(key.clone()), stale_ok) {
        Err(e) => audit.problems.push(format!("{MANIFEST_FILE}: {e}")),
        Ok(opened) => {
            let newest = files.last().map(|(s, _)| *s);
            if Some(opened.snapshot.snapshot.header.sequence) != newest {
                audit.problems.push(format!(
                    "the manifest points at #{}, not at the newest snapshot #{}",
                    opened.snapshot.snapshot.header.sequence,
                    newest.unwrap_or(0)
                ));
            }
        }
    }
    audit.head = audit
        .snapshots
        .last()
        .map(|e| (e.sequence, e.blake3.clone()));
    if files.is_empty() {
        audit.problems.push("no snapshot in the directory".into());
    }
    Ok(audit)
}

impl Audit {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "{}: {} snapshot(s), {} key rotation(s)\n",
            if self.passed() {
                "CHAIN OK"
            } else {
                "CHAIN BROKEN"
            },
            self.snapshots.len(),
            self.rotations
        ));
        for k in &self.keys {
            s.push_str(&format!(
                "  key {}{}",
                k.key_id,
                if k.pinned { " (pinned)" } else { "" }
            ));
            match (&k.introduced_at, k.introduced_by) {
                (Some(at), n) => s.push_str(&format!("  introduced by rotation {n} at {at}")),
                (None, _) => s.push_str("  first key"),
            }
            if let (Some(n), Some(at)) = (k.revoked_by, &k.revoked_at) {
                s.push_str(&format!("  REVOKED by rotation {n} at {at}"));
            }
            s.push('\n');
        }
        for e in &self.snapshots {
            s.push_str(&format!(
                "  #{:<6} {}  {:>9} entries  key {}  {}{}\n",
                e.sequence,
                e.created,
                e.entries,
                e.key_id,
                if e.blake3.is_empty() {
                    "-"
                } else {
                    &e.blake3[..16]
                },
                match (e.public_key.get(..16), e.evaluation_url.as_str()) {
                    (Some(id), url) => format!("  voprf key {id}  evaluations {url}"),
                    (None, _) if !e.hash.is_empty() => format!("  {}", e.hash),
                    (None, _) => String::new(),
                }
            ));
            for p in &e.problems {
                s.push_str(&format!("          PROBLEM: {p}\n"));
            }
        }
        for p in &self.problems {
            s.push_str(&format!("PROBLEM: {p}\n"));
        }
        if let Some((seq, digest)) = &self.head {
            s.push_str(&format!("head #{seq} blake3 {digest}\n"));
        }
        s
    }
}
