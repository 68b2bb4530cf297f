//! Reports for people (tables) and machines (CSV, JSON). Rendering only:
//! the caller decides where the text goes.

use crate::check::{Finding, Outcome};
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
Bloom filters have false positives, so a match is not proof: confirm it with the list's publisher \
before acting on it, and treat the number as sensitive meanwhile.";

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
            warnings: opened.warnings().cloned().collect(),
        }
    }

    fn hash_text(&self) -> String {
        hash_text(&self.hash)
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

/// "expected false matches in this run: 3e-6", for `checked` numbers looked up,
/// from the false-positive rate the filter's bits give.
pub fn expected_false_matches(facts: &SnapshotFacts, checked: u64) -> String {
    let expected = checked as f64 * facts.fp_rate_estimated;
    let figure = if expected == 0.0 {
        "0".to_string()
    } else if expected >= 0.01 {
        format!("{expected:.2}")
    } else {
        format!("{expected:.0e}")
    };
    format!("expected false matches in this run: {figure}")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn verdict(matches: u64) -> String {
    match matches {
        0 => "NO MATCH".into(),
        1 => "1 POSSIBLE MATCH".into(),
        m => format!("{m} POSSIBLE MATCHES"),
    }
}

/// An expected count in words people read right: `0.37`, or `0.00002` rather than `0.00`.
fn expected_count(expected: f64) -> String {
    if expected >= 0.01 || expected == 0.0 {
        format!("{expected:.2}")
    } else {
        format!("{:.1$}", expected, (-expected.log10()).ceil() as usize)
    }
}

/// One-in-N wording of a false-positive rate.
fn one_in(rate: f64) -> String {
    if rate <= 0.0 {
        return "none".into();
    }
    format!("about 1 in {:.0}", 1.0 / rate)
}

/// The human table of a check run.
pub fn check_table(outcome: &Outcome, facts: &SnapshotFacts) -> String {
    let mut s = String::new();
    let m = outcome.matches.len() as u64;
    let _ = writeln!(
        s,
        "{}: {} read, {} checked, {} not numbers{}",
        verdict(m),
        plural(outcome.rows, "row", "rows"),
        plural(outcome.valid, "number", "numbers"),
        outcome.invalid.len(),
        if outcome.cached > 0 {
            format!(" ({} from the local cache)", outcome.cached)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        s,
        "snapshot #{} created {} (expires {}), key {}, {} entries",
        facts.sequence, facts.created, facts.expires, facts.key_id, facts.entries
    );
    let _ = writeln!(
        s,
        "false-positive rate {:.1e} per number ({}): among {} clean numbers expect {} false alarms",
        facts.fp_rate_estimated.max(facts.fp_rate_declared),
        one_in(facts.fp_rate_estimated.max(facts.fp_rate_declared)),
        outcome.valid,
        expected_count(outcome.valid as f64 * facts.fp_rate_estimated.max(facts.fp_rate_declared))
    );
    let place = |f: &Finding| format!("{}:{}", f.source, f.line);
    let width = outcome
        .matches
        .iter()
        .chain(&outcome.invalid)
        .map(|f| place(f).len())
        .max()
        .unwrap_or(0)
        .max(5);
    if !outcome.matches.is_empty() {
        let _ = writeln!(s, "\nPOSSIBLE MATCHES");
        let _ = writeln!(s, "  {:<width$} {:<16} row", "where", "number");
        for f in &outcome.matches {
            let _ = writeln!(
                s,
                "  {:<width$} {:<16} {}",
                place(f),
                f.e164.as_deref().unwrap_or(""),
                f.fields.join(" | ")
            );
        }
    }
    if !outcome.invalid.is_empty() {
        let _ = writeln!(s, "\nNOT NUMBERS (not checked)");
        for f in &outcome.invalid {
            let _ = writeln!(
                s,
                "  {:<width$} {:?}: {}",
                place(f),
                f.input,
                f.reason.as_deref().unwrap_or("")
            );
        }
    }
    for w in &facts.warnings {
        let _ = writeln!(s, "\nWARNING: {w}");
    }
    if !outcome.matches.is_empty() {
        let _ = writeln!(s, "\n{MATCH_NOTE}");
    }
    s
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields).expect("in-memory write");
    String::from_utf8(w.into_inner().expect("in-memory write")).expect("fields are UTF-8")
}

/// CSV: one line per finding (`possible_match` or `invalid`), then the row's own fields.
pub fn check_csv(outcome: &Outcome) -> String {
    let mut s = csv_line(
        &[
            "status", "source", "line", "input", "e164", "reason", "row...",
        ]
        .map(String::from),
    );
    let all = outcome
        .matches
        .iter()
        .map(|f| ("possible_match", f))
        .chain(outcome.invalid.iter().map(|f| ("invalid", f)));
    for (status, f) in all {
        let mut fields = vec![
            status.to_string(),
            f.source.clone(),
            f.line.to_string(),
            f.input.clone(),
            f.e164.clone().unwrap_or_default(),
            f.reason.clone().unwrap_or_default(),
        ];
        fields.extend(f.fields.iter().cloned());
        s.push_str(&csv_line(&fields));
    }
    s
}

fn finding_json(f: &Finding, headers: Option<&Vec<String>>) -> Value {
    let row = match headers {
        Some(h) if h.len() == f.fields.len() => Value::Object(
            h.iter()
                .cloned()
                .zip(f.fields.iter().cloned().map(Value::String))
                .collect(),
        ),
        _ => json!(f.fields),
    };
    let mut v = json!({"source": f.source, "line": f.line, "input": f.input, "row": row});
    if let Some(e) = &f.e164 {
        v["e164"] = json!(e);
    }
    if let Some(r) = &f.reason {
        v["reason"] = json!(r);
    }
    v
}

/// The JSON report of a check run.
pub fn check_json(outcome: &Outcome, facts: &SnapshotFacts) -> String {
    let v = json!({
        "summary": summary_json(outcome),
        "snapshot": facts,
        "possible_matches": outcome.matches.iter().map(|f| finding_json(f, outcome.headers_of(&f.source))).collect::<Vec<_>>(),
        "invalid_rows": outcome.invalid.iter().map(|f| finding_json(f, outcome.headers_of(&f.source))).collect::<Vec<_>>(),
        "note": MATCH_NOTE,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("serializes");
    s.push('\n');
    s
}

fn summary_json(outcome: &Outcome) -> Value {
    json!({
        "rows": outcome.rows,
        "valid": outcome.valid,
        "invalid": outcome.invalid.len(),
        "possible_matches": outcome.matches.len(),
        "from_cache": outcome.cached,
    })
}

/// JSON Lines: one object per finding (`"type": "possible_match"` or
/// `"invalid"`), then one `"type": "summary"` line with the snapshot's facts.
pub fn check_jsonl(outcome: &Outcome, facts: &SnapshotFacts) -> String {
    let mut s = String::new();
    let all = outcome
        .matches
        .iter()
        .map(|f| ("possible_match", f))
        .chain(outcome.invalid.iter().map(|f| ("invalid", f)));
    for (kind, f) in all {
        let mut v = finding_json(f, outcome.headers_of(&f.source));
        v["type"] = json!(kind);
        s.push_str(&serde_json::to_string(&v).expect("serializes"));
        s.push('\n');
    }
    let v = json!({"type": "summary", "summary": summary_json(outcome), "snapshot": facts, "note": MATCH_NOTE});
    s.push_str(&serde_json::to_string(&v).expect("serializes"));
    s.push('\n');
    s
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_rows(
    findings: &[Finding],
    outcome: &Outcome,
    last: &str,
    value: impl Fn(&Finding) -> String,
) -> String {
    let mut s = String::new();
    for f in findings {
        let names = outcome.headers_of(&f.source);
        let row = match names {
            Some(h) if h.len() == f.fields.len() => h
                .iter()
                .zip(&f.fields)
                .map(|(k, v)| format!("<b>{}</b>: {}", html_escape(k), html_escape(v)))
                .collect::<Vec<_>>()
                .join("<br>"),
            _ => f
                .fields
                .iter()
                .map(|v| html_escape(v))
                .collect::<Vec<_>>()
                .join(" | "),
        };
        let _ = writeln!(
            s,
            "<tr><td>{}:{}</td><td>{}</td><td class=\"{last}\">{}</td><td>{}</td></tr>",
            html_escape(&f.source),
            f.line,
            html_escape(&f.input),
            html_escape(&value(f)),
            row
        );
    }
    s
}

/// A self-contained HTML report (no external assets) for HR and legal.
pub fn check_html(outcome: &Outcome, facts: &SnapshotFacts, generated_at: &str) -> String {
    let m = outcome.matches.len() as u64;
    let rate = facts.fp_rate_estimated.max(facts.fp_rate_declared);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hushlist check report: {verdict}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; line-height: 1.45; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
.verdict {{ padding: .8rem 1rem; border-radius: .4rem; font-weight: bold; }}
.hit {{ background: #fde2e1; border: 1px solid #c0392b; }} .clear {{ background: #e3f6e8; border: 1px solid #27ae60; }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0; }}
th, td {{ border: 1px solid #ccc; padding: .35rem .5rem; text-align: left; vertical-align: top; font-size: .92rem; }}
th {{ background: #f3f3f3; }} td.number {{ font-family: ui-monospace, monospace; white-space: nowrap; }}
.facts td:first-child {{ width: 14rem; color: #555; }} .note {{ background: #f7f7f7; padding: .8rem 1rem; border-left: 4px solid #888; }}
footer {{ margin-top: 2rem; color: #666; font-size: .85rem; }}
</style></head><body>
<h1>hushlist check report</h1>
<p class="verdict {class}">{verdict}: {rows} rows read, {valid} numbers checked, {invalid} rows were not phone numbers.</p>
"#,
        verdict = html_escape(&verdict(m)),
        class = if m == 0 { "clear" } else { "hit" },
        rows = outcome.rows,
        valid = outcome.valid,
        invalid = outcome.invalid.len(),
    );
    let _ = write!(
        s,
        r#"<h2>What this means</h2>
<div class="note"><p>{note}</p>
<p><b>How to confirm a possible match:</b> contact the list's publisher and give them only the number in question;
they can tell you whether it is really on the list. Until then, treat the match as unconfirmed, and the person or
device behind it as entitled to privacy: this report is confidential.</p>
<p>The false-positive rate is about {rate:.1e} per number ({one_in}), so among {valid} clean numbers about
{expected} would be flagged by chance.</p></div>
"#,
        note = html_escape(MATCH_NOTE),
        one_in = html_escape(&one_in(rate)),
        valid = outcome.valid,
        expected = expected_count(outcome.valid as f64 * rate),
    );
    let _ = writeln!(s, "<h2>Possible matches ({m})</h2>");
    if m == 0 {
        let _ = writeln!(s, "<p>None of the numbers checked is on the list.</p>");
    } else {
        let _ = writeln!(
            s,
            "<table><tr><th>Where</th><th>As written</th><th>Number (E.164)</th><th>Row</th></tr>"
        );
        s.push_str(&html_rows(&outcome.matches, outcome, "number", |f| {
            f.e164.clone().unwrap_or_default()
        }));
        let _ = writeln!(s, "</table>");
    }
    let _ = writeln!(
        s,
        "<h2>Rows that are not phone numbers ({})</h2>",
        outcome.invalid.len()
    );
    if outcome.invalid.is_empty() {
        let _ = writeln!(s, "<p>Every row held a phone number.</p>");
    } else {
        let _ = writeln!(
            s,
            "<p>These rows were <b>not checked</b>. Correct them and check again.</p>"
        );
        let _ = writeln!(
            s,
            "<table><tr><th>Where</th><th>As written</th><th>Why</th><th>Row</th></tr>"
        );
        s.push_str(&html_rows(&outcome.invalid, outcome, "reason", |f| {
            f.reason.clone().unwrap_or_default()
        }));
        let _ = writeln!(s, "</table>");
    }
    let _ = writeln!(
        s,
        "<h2>The list checked against</h2><table class=\"facts\">"
    );
    let facts_rows = [
        ("Snapshot", format!("#{}", facts.sequence)),
        ("Created", facts.created.clone()),
        ("Expires", facts.expires.clone()),
        ("Entries", facts.entries.to_string()),
        ("Signed by key", facts.key_id.clone()),
        ("Digest (BLAKE3)", facts.blake3.clone()),
        (
            "False-positive rate",
            format!(
                "declared {:.1e}, estimated {:.1e}",
                facts.fp_rate_declared, facts.fp_rate_estimated
            ),
        ),
    ];
    for (k, v) in facts_rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            html_escape(k),
            html_escape(&v)
        );
    }
    let _ = writeln!(s, "</table>");
    for w in &facts.warnings {
        let _ = writeln!(
            s,
            "<p class=\"verdict hit\">Warning: {}</p>",
            html_escape(w)
        );
    }
    let _ = write!(
        s,
        "<footer>Generated by hushlist {} at {}. The numbers were checked on this computer; none was sent anywhere.</footer>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        html_escape(generated_at)
    );
    s
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

    #[test]
    fn expected_false_matches_in_plain_words() {
        let f = facts(Contact::default());
        assert_eq!(
            expected_false_matches(&f, 1_000_000),
            "expected false matches in this run: 3e-6"
        );
        assert_eq!(
            expected_false_matches(&f, 0),
            "expected false matches in this run: 0"
        );
    }
}
