//! Check reports for people (table, HTML) and machines (CSV, JSON, JSON Lines).
//! Rendering only: the caller decides where the text goes.
//!
//! Every format names, per input, the file, its SHA-256, encoding, delimiter,
//! columns and regions used, so a reader can tell exactly what was checked; and
//! states the expected number of false matches for the run. With `redact`,
//! numbers keep only their last two digits and the rows' other fields are
//! dropped (for tickets and SIEM).

use super::report::{confirmation_lines, SnapshotFacts, MATCH_NOTE};
use super::{Finding, Occurrence, Outcome, Problem, SourceSummary};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Who ran the check, where, when and how: what a report for legal records.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunInfo {
    /// RFC 3339.
    pub generated_at: String,
    /// Host name.
    pub host: String,
    /// User name.
    pub user: String,
    /// `hushlist 0.1.0`.
    pub tool: String,
    /// Default regions for national numbers.
    pub regions: Vec<String>,
    /// The options that shaped the run, as given.
    pub options: Vec<String>,
    /// Numbers reduced to their last two digits, rows' other fields dropped.
    pub redact: bool,
}

/// Makes control and format characters (terminal escapes, bidi overrides,
/// zero-width and line-separator characters) visible, so a field can never
/// move the cursor, recolour a terminal or reorder what is shown.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || invisible(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Unicode format characters (category Cf: bidi controls, zero-width
/// spaces and joiners, the soft hyphen, invisible operators, tags) and the
/// line and paragraph separators: nothing a reader sees, everything a
/// forger could use to make one text look like another.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}'
        | '\u{890}'..='\u{891}' | '\u{8e2}' | '\u{180e}' | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
        | '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{110bd}' | '\u{110cd}'
        | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// Output for a terminal or a pipe: every control character but line feed
/// and tab, and every [`invisible`] one, written as a JSON-style `\uXXXX`
/// escape (a surrogate pair above U+FFFF). JSON stays valid JSON with the
/// same meaning; text shows where such a character was.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\n' && c != '\t') || invisible(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{:04X}", unit);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A cell as a spreadsheet will not run it: one starting with `=`, `@`, a
/// tab or a carriage return, or with `+`/`-` and holding a letter and one of
/// `(`, `|`, `!`, `"` (a function call or a DDE link), gets a leading `'`.
/// Phone numbers (`+44 20 7946 0958`, `+1 (313) 555-0142 ext. 7`) stay as written.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let formula = match cell.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => {
            cell.chars().any(|c| c.is_alphabetic()) && cell.contains(['(', '|', '!', '"'])
        }
        _ => false,
    };
    if formula {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The last two digits of a number, the rest hidden.
pub(crate) fn redact_number(text: &str) -> String {
    let text = without_exponent(text);
    // Every digit counts, as the cell rules count them (a full-width `０`
    // is a digit): a redacted echo never shows more than two.
    let digits: Vec<char> = text.chars().filter(|c| c.is_numeric()).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("…{tail}")
}

/// A spreadsheet's `4.47701E+11` ends in its exponent, not in the number.
fn without_exponent(text: &str) -> &str {
    if let Some(at) = text.rfind(['e', 'E']) {
        let exponent = &text[at + 1..];
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if !exponent.is_empty()
            && exponent.bytes().all(|b| b.is_ascii_digit())
            && text[..at].contains(['.', ','])
        {
            return &text[..at];
        }
    }
    text
}

/// What every format of a check report shows, computed once from the run:
/// the headline, counts and false-match line, the findings and problems.
/// Redaction happens here, when the sections are made, so no format can
/// show what another hides; the formats only lay the sections out.
struct Sections<'a> {
    outcome: &'a Outcome,
    run: &'a RunInfo,
    verdict: String,
    totals: String,
    false_matches: String,
    /// The false-positive rate stated to readers: the one the filter's bits
    /// give, or the publisher's target if that is higher (a filter far below
    /// its capacity estimates absurdly low rates; never overstate certainty).
    rate: f64,
    expected_false_matches: f64,
    regions: String,
    confirmation: Vec<String>,
    matches: Vec<Finding>,
    doubtful: Vec<Finding>,
    not_numbers: Vec<Problem>,
    regions_not_recognised: Vec<Problem>,
}

impl<'a> Sections<'a> {
    fn new(outcome: &'a Outcome, facts: &'a SnapshotFacts, run: &'a RunInfo) -> Self {
        let redact = run.redact;
        let number = |text: &str| match text {
            _ if !redact || text.is_empty() => text.to_string(),
            _ => redact_number(text),
        };
        let finding = |f: &Finding| Finding {
            e164: number(&f.e164),
            note: f.note.as_deref().map(|n| {
                if redact {
                    redact_note(n)
                } else {
                    n.to_string()
                }
            }),
            occurrences: f
                .occurrences
                .iter()
                .map(|o| Occurrence {
                    input: number(&o.input),
                    fields: if redact { Vec::new() } else { o.fields.clone() },
                    ..o.clone()
                })
                .collect(),
            ..f.clone()
        };
        // A region problem's input is a region's name, not a number.
        let problem = |p: &Problem, is_number: bool| Problem {
            input: if is_number {
                number(&p.input)
            } else {
                p.input.clone()
            },
            fields: if redact { Vec::new() } else { p.fields.clone() },
            ..p.clone()
        };
        let rate = facts.fp_rate_estimated.max(facts.fp_rate_declared);
        let expected_false_matches = outcome.lookups as f64 * rate;
        Sections {
            verdict: verdict(outcome),
            totals: totals(outcome),
            false_matches: false_match_line(outcome, rate, expected_false_matches),
            rate,
            expected_false_matches,
            regions: regions_line(run),
            confirmation: confirmation_lines(facts),
            matches: outcome.matches.iter().map(finding).collect(),
            doubtful: outcome.warnings.iter().map(finding).collect(),
            not_numbers: outcome.invalid.iter().map(|p| problem(p, true)).collect(),
            regions_not_recognised: outcome
                .region_problems
                .iter()
                .map(|p| problem(p, false))
                .collect(),
            outcome,
            run,
        }
    }

    /// The header of the input a row came from, when it has one.
    fn headers(&self, source: &str) -> Option<&'a [String]> {
        self.outcome
            .sources
            .iter()
            .find(|s| s.name == source)
            .and_then(|s| s.layout.as_ref())
            .and_then(|l| l.headers.as_deref())
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The headline.
pub fn verdict(outcome: &Outcome) -> String {
    let mut why = Vec::new();
    if outcome.damaged() {
        why.push("a quote left open may have hidden rows; they were read again".to_string());
    }
    match outcome.failed_inputs() {
        0 => {}
        n => why.push(format!(
            "{} not checked in full",
            plural(n as u64, "input", "inputs")
        )),
    }
    let mut headline = match headline(outcome) {
        h if why.is_empty() => h,
        h => format!("{h} (INCOMPLETE: {})", why.join("; ")),
    };
    if let Some(at) = &outcome.previous_run {
        headline.push_str(&match outcome.new_matches() {
            0 if !outcome.matches.is_empty() => format!(", none new since the run of {at}"),
            0 => String::new(),
            n => format!(", {n} NEW since the run of {at}"),
        });
    }
    match outcome.other_region_matches() {
        0 => headline,
        n if n == outcome.match_counts().2 => format!(
            "{headline}, {}",
            if n == 1 {
                "read under another region than its row's".to_string()
            } else {
                "all read under another region than their rows'".to_string()
            }
        ),
        n => format!("{headline}, {n} of them read under another region than their row's"),
    }
}

fn headline(outcome: &Outcome) -> String {
    let (numbers, rows, cells) = outcome.match_counts();
    let rows = plural(rows as u64, "row", "rows");
    let places = if cells == 1 || plural(cells as u64, "row", "rows") == rows {
        rows
    } else {
        format!("in {cells} cells on {rows}")
    };
    match numbers {
        0 if outcome.checked == 0 => "NOTHING CHECKED".into(),
        0 => "NO MATCH".into(),
        1 => format!("1 POSSIBLE MATCH ({places})"),
        n if places.starts_with("in ") => format!("{n} POSSIBLE MATCHES ({n} numbers {places})"),
        n => format!("{n} POSSIBLE MATCHES ({n} numbers on {places})"),
    }
}

/// An expected count in words people read right: `0.37`, or `0.00002` rather
/// than `0.00`, or `3e-6` when tiny.
pub(crate) fn expected_count(expected: f64) -> String {
    if expected == 0.0 || expected >= 0.01 {
        format!("{expected:.2}")
    } else if expected >= 1e-4 {
        format!("{:.1$}", expected, (-expected.log10()).ceil() as usize)
    } else {
        format!("{expected:.0e}")
    }
}

/// The counts line.
fn totals(o: &Outcome) -> String {
    let reread: u64 = o.sources.iter().map(|s| s.reread_rows).sum();
    let reread = match reread {
        0 => String::new(),
        n => format!(
            " (and {} inside quoted fields read again as rows)",
            plural(n, "line", "lines")
        ),
    };
    format!(
        "{} read{reread}; {}: {} checked, {} empty, {} not numbers, {} only possible",
        plural(o.rows, "row", "rows"),
        plural(o.cells, "cell", "cells"),
        o.checked,
        o.empty,
        o.invalid.len(),
        o.possible_only
    )
}

fn false_match_line(outcome: &Outcome, rate: f64, expected: f64) -> String {
    let other = match outcome.other_region_matches() {
        0 => String::new(),
        n => format!(
            "; this counts the filter's false positives only: {} read under another region \
             than {} row's {} likely another number, whatever the filter says",
            plural(n as u64, "match", "matches"),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "is" } else { "are" }
        ),
    };
    format!(
        "expected false matches in this run: {} ({} at a false-positive rate of {:.1e} each){other}",
        expected_count(expected),
        plural(outcome.lookups, "lookup", "lookups"),
        rate
    )
}

fn source_lines(s: &SourceSummary) -> Vec<String> {
    let mut lines = Vec::new();
    match &s.layout {
        None if s.failed.is_some() => lines.push(format!("{}: not read", s.name)),
        None => lines.push(format!(
            "{}: {}",
            s.name,
            plural(s.rows, "number", "numbers")
        )),
        Some(l) => {
            lines.push(format!(
                "{}: sha256 {}, {}, delimiter {}, {}{}",
                s.name,
                s.sha256.as_deref().unwrap_or("(not read to the end)"),
                l.encoding,
                l.delimiter_name(),
                plural(s.rows, "row", "rows"),
                match s.reread_rows {
                    0 => String::new(),
                    n => format!(" and {} read again", plural(n, "line", "lines")),
                }
            ));
            let columns: Vec<&str> = l.columns.iter().map(|c| c.name.as_str()).collect();
            lines.push(format!(
                "  columns checked: {} ({})",
                columns.join(", "),
                l.chosen
            ));
            if !l.skipped.is_empty() {
                lines.push(format!("  not checked: {}", l.skipped.join("; ")));
            }
            if let Some(r) = &l.region_column {
                lines.push(format!("  region column: {}", r.name));
            }
            if let Some(r) = &l.region_column_absent {
                lines.push(format!(
                    "  region column: {r} is not in this file; its rows use the default regions"
                ));
            }
            if let Some(doubt) = &l.encoding_doubt {
                lines.push(format!("  note: {doubt}"));
            }
            for w in s.all_warnings() {
                lines.push(format!("  WARNING: {w}"));
            }
        }
    }
    match (&s.failed, s.rows) {
        (None, _) => {}
        (Some(reason), 0) => lines.push(format!("  NOT CHECKED: {reason}")),
        (Some(reason), rows) => lines.push(format!(
            "  NOT CHECKED from here on: {reason} ({} read before it)",
            plural(rows, "row", "rows")
        )),
    }
    lines
}

fn regions_line(run: &RunInfo) -> String {
    if run.regions.is_empty() {
        "default regions: none (numbers in national format are not numbers)".into()
    } else {
        format!(
            "default regions: {} (a national number is checked under each where it is possible)",
            run.regions.join(", ")
        )
    }
}

/// The human table of a check run.
pub fn check_table(outcome: &Outcome, facts: &SnapshotFacts, run: &RunInfo) -> String {
    let v = Sections::new(outcome, facts, run);
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}", v.verdict, v.totals);
    let _ = writeln!(s, "{}", v.false_matches);
    let _ = writeln!(
        s,
        "snapshot #{} created {} (expires {}), key {}, {} entries",
        facts.sequence, facts.created, facts.expires, facts.key_id, facts.entries
    );
    let _ = writeln!(s, "{}", v.regions);
    // One line per possible match first: what legal starts with.
    for f in &v.matches {
        let places: Vec<String> = f
            .occurrences
            .iter()
            .map(|o| format!("{}:{}", o.source, o.line))
            .collect();
        // Whose row it is: its name columns, else its first fields, short.
        let who = f
            .occurrences
            .first()
            .map(|o| outcome.holder(o, 60))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "MATCH {}{}  {}{}",
            if f.new == Some(true) { "NEW " } else { "" },
            f.e164,
            visible(&places.join(", ")),
            if who.is_empty() {
                String::new()
            } else {
                format!("  ({})", visible(&who))
            }
        );
    }
    for source in &outcome.sources {
        for line in source_lines(source) {
            let _ = writeln!(s, "  {}", visible(&line));
        }
    }
    let occurrence_line = |f: &Finding, o: &Occurrence| {
        format!(
            "    {} {} {:?}{}{}",
            visible(&format!("{}:{}", o.source, o.line)),
            visible(&o.column),
            visible(&o.input),
            o.region_note(f)
                .map(|n| format!("  [{}]", n.to_uppercase()))
                .unwrap_or_default(),
            if o.fields.is_empty() {
                String::new()
            } else {
                format!("  {}", visible(&o.fields.join(" | ")))
            }
        )
    };
    let finding_head = |f: &Finding| {
        format!(
            "  {}{}{}{}",
            if f.new == Some(true) { "NEW " } else { "" },
            f.e164,
            f.region
                .as_ref()
                .map(|r| format!(" (read as {r})"))
                .unwrap_or_default(),
            f.note
                .as_ref()
                .map(|n| format!(": {}", visible(n)))
                .unwrap_or_default()
        )
    };
    for (title, findings) in [
        ("POSSIBLE MATCHES", &v.matches),
        (
            "DOUBTFUL NUMBERS (checked, no match; only possible for the region used)",
            &v.doubtful,
        ),
    ] {
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}");
        for f in findings {
            let _ = writeln!(s, "{}", finding_head(f));
            for o in &f.occurrences {
                let _ = writeln!(s, "{}", occurrence_line(f, o));
            }
        }
    }
    if !v.not_numbers.is_empty() {
        let _ = writeln!(s, "\nNOT NUMBERS (not checked)");
        for p in &v.not_numbers {
            let input = if p.input.is_empty() {
                String::new()
            } else {
                format!(" {:?}", visible(&p.input))
            };
            let _ = writeln!(
                s,
                "  {}:{} {}{input}: {}",
                visible(&p.source),
                p.line,
                visible(&p.column),
                visible(&p.reason)
            );
        }
    }
    if !v.regions_not_recognised.is_empty() {
        let _ = writeln!(s, "\nREGIONS NOT RECOGNISED (default regions used instead)");
        for p in &v.regions_not_recognised {
            let _ = writeln!(
                s,
                "  {}:{} {:?}: {}",
                visible(&p.source),
                p.line,
                visible(&p.input),
                visible(&p.reason)
            );
        }
    }
    for w in &facts.warnings {
        let _ = writeln!(s, "\nWARNING: {}", visible(w));
    }
    if !v.matches.is_empty() {
        let _ = writeln!(s, "\n{MATCH_NOTE}");
        for line in &v.confirmation {
            let _ = writeln!(s, "{}", visible(line));
        }
    }
    s
}

/// A note with its numbers reduced for a redacted report.
fn redact_note(note: &str) -> String {
    note.split(' ')
        .map(|w| {
            let number = w.trim_end_matches([',', ')', ';']);
            if number.starts_with('+') {
                format!("{}{}", redact_number(number), &w[number.len()..])
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields.iter().map(|f| spreadsheet_safe(f).into_owned()))
        .expect("in-memory write");
    String::from_utf8(w.into_inner().expect("in-memory write")).expect("fields are UTF-8")
}

/// CSV: one line per input (`input`), per cell found (`possible_match`,
/// `doubtful`), per problem (`invalid`, `region_not_recognised`), then a
/// `summary` line; the row's own fields follow.
pub fn check_csv(outcome: &Outcome, facts: &SnapshotFacts, run: &RunInfo) -> String {
    let v = Sections::new(outcome, facts, run);
    let mut s = csv_line(
        &[
            "status", "source", "line", "column", "input", "e164", "region", "valid", "note",
            "row...",
        ]
        .map(String::from),
    );
    for src in &outcome.sources {
        s.push_str(&csv_line(&[
            "input".into(),
            src.name.clone(),
            String::new(),
            src.layout
                .as_ref()
                .map(|l| {
                    l.columns
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            String::new(),
            String::new(),
            run.regions.join(" "),
            String::new(),
            source_lines(src).join(" / "),
        ]));
    }
    for (status, findings) in [("possible_match", &v.matches), ("doubtful", &v.doubtful)] {
        for f in findings {
            for o in &f.occurrences {
                let mut fields = vec![
                    status.to_string(),
                    o.source.clone(),
                    o.line.to_string(),
                    o.column.clone(),
                    o.input.clone(),
                    f.e164.clone(),
                    f.region.clone().unwrap_or_default(),
                    f.valid.to_string(),
                    [
                        f.note.clone(),
                        o.region_note(f),
                        (f.new == Some(true)).then(|| "new since the last run".to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
                ];
                fields.extend(o.fields.iter().cloned());
                s.push_str(&csv_line(&fields));
            }
        }
    }
    for (status, problems) in [
        ("invalid", &v.not_numbers),
        ("region_not_recognised", &v.regions_not_recognised),
    ] {
        for p in problems {
            let mut fields = vec![
                status.to_string(),
                p.source.clone(),
                p.line.to_string(),
                p.column.clone(),
                p.input.clone(),
                String::new(),
                String::new(),
                String::new(),
                p.reason.clone(),
            ];
            fields.extend(p.fields.iter().cloned());
            s.push_str(&csv_line(&fields));
        }
    }
    let mut summary = vec![String::new(); 9];
    summary[0] = "summary".into();
    summary[8] = format!(
        "{}: {}; {}; {}",
        v.verdict,
        v.totals,
        v.false_matches,
        v.confirmation.join(" ")
    );
    s.push_str(&csv_line(&summary));
    s
}

fn occurrence_json(v: &Sections<'_>, f: &Finding, o: &Occurrence) -> Value {
    let row = match v.headers(&o.source) {
        // Redacted: no row at all, rather than an empty one that looks like a blank line.
        _ if v.run.redact => Value::Null,
        Some(h) if h.len() == o.fields.len() => Value::Object(
            h.iter()
                .cloned()
                .zip(o.fields.iter().cloned().map(Value::String))
                .collect(),
        ),
        _ => json!(o.fields),
    };
    json!({
        "source": o.source, "line": o.line, "column": o.column, "input": o.input,
        "row_region": o.row_region, "region_note": o.region_note(f), "row": row,
    })
}

fn finding_json(v: &Sections<'_>, f: &Finding) -> Value {
    json!({
        "e164": f.e164,
        "region": f.region,
        "valid": f.valid,
        "note": f.note,
        "new": f.new,
        "occurrences": f.occurrences.iter().map(|o| occurrence_json(v, f, o)).collect::<Vec<_>>(),
    })
}

fn problem_json(p: &Problem) -> Value {
    json!({
        "source": p.source, "line": p.line, "column": p.column,
        "input": p.input,
        "kind": p.kind,
        "reason": p.reason,
    })
}

fn summary_json(v: &Sections<'_>) -> Value {
    let o = v.outcome;
    let (numbers, rows, cells) = o.match_counts();
    json!({
        "verdict": v.verdict,
        "rows": o.rows,
        "cells": o.cells,
        "checked": o.checked,
        "empty": o.empty,
        "not_numbers": o.invalid.len(),
        "possible_only": o.possible_only,
        "lookups": o.lookups,
        "possible_matches": {
            "numbers": numbers, "rows": rows, "cells": cells,
            "read_under_another_region": o.other_region_matches(),
        },
        "doubtful_numbers": o.warnings.len(),
        "regions_not_recognised": o.region_problems.len(),
        "complete": o.complete(),
        "expected_false_matches": v.expected_false_matches,
        "expected_false_matches_text": expected_count(v.expected_false_matches),
        "false_positive_rate": v.rate,
        "last_run": o.previous_run,
        "new_since_last_run": o.previous_run.as_ref().map(|_| o.new_matches()),
        "from_cache": o.cached,
        "hashed": o.hashed,
    })
}

/// The JSON report of a check run.
pub fn check_json(outcome: &Outcome, facts: &SnapshotFacts, run: &RunInfo) -> String {
    let v = Sections::new(outcome, facts, run);
    let findings = |list: &[Finding]| list.iter().map(|f| finding_json(&v, f)).collect::<Vec<_>>();
    let problems = |list: &[Problem]| list.iter().map(problem_json).collect::<Vec<_>>();
    let doc = json!({
        "summary": summary_json(&v),
        "run": run,
        "inputs": outcome.sources,
        "snapshot": facts,
        "possible_matches": findings(&v.matches),
        "doubtful_numbers": findings(&v.doubtful),
        "not_numbers": problems(&v.not_numbers),
        "regions_not_recognised": problems(&v.regions_not_recognised),
        "note": MATCH_NOTE,
        "confirmation": v.confirmation,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializes");
    s.push('\n');
    s
}

/// JSON Lines: one object per finding and problem (`"type"` says which), one
/// per input, then one `"type": "summary"` line with the run and the snapshot.
pub fn check_jsonl(outcome: &Outcome, facts: &SnapshotFacts, run: &RunInfo) -> String {
    let v = Sections::new(outcome, facts, run);
    let mut s = String::new();
    let mut line = |mut value: Value, kind: &str| {
        value["type"] = json!(kind);
        s.push_str(&serde_json::to_string(&value).expect("serializes"));
        s.push('\n');
    };
    for f in &v.matches {
        line(finding_json(&v, f), "possible_match");
    }
    for f in &v.doubtful {
        line(finding_json(&v, f), "doubtful");
    }
    for p in &v.not_numbers {
        line(problem_json(p), "invalid");
    }
    for p in &v.regions_not_recognised {
        line(problem_json(p), "region_not_recognised");
    }
    for src in &outcome.sources {
        line(json!(src), "input");
    }
    line(
        json!({"summary": summary_json(&v), "run": run, "snapshot": facts, "note": MATCH_NOTE, "confirmation": v.confirmation}),
        "summary",
    );
    s
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
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

fn html_row_fields(v: &Sections<'_>, o: &Occurrence) -> String {
    match v.headers(&o.source) {
        Some(h) if h.len() == o.fields.len() => h
            .iter()
            .zip(&o.fields)
            .map(|(k, val)| format!("<b>{}</b>: {}", html_escape(k), html_escape(val)))
            .collect::<Vec<_>>()
            .join("<br>"),
        _ => o
            .fields
            .iter()
            .map(|f| html_escape(f))
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// One line per matching number: where it is and whose row it is
/// ([`Outcome::holder`]), so the reader starts with the list and finds the details below.
fn html_summary(v: &Sections<'_>) -> String {
    let mut s = String::from(
        "<h2>Summary</h2>\n<table><tr><th>Number (E.164)</th><th>Where</th><th>Whose</th></tr>\n",
    );
    for f in &v.matches {
        let places: Vec<String> = f
            .occurrences
            .iter()
            .map(|o| format!("{}:{}", html_escape(&o.source), o.line))
            .collect();
        let row = f
            .occurrences
            .first()
            .map(|o| html_escape(&v.outcome.holder(o, 120)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "<tr><td class=\"number\">{}{}{}</td><td>{}</td><td>{row}</td></tr>",
            if f.new == Some(true) {
                "<strong>NEW</strong> "
            } else {
                ""
            },
            html_escape(&f.e164),
            f.occurrences
                .iter()
                .find_map(|o| o.region_note(f))
                .map(|n| format!("<br><strong>{}</strong>", html_escape(&n)))
                .unwrap_or_default(),
            places.join(", ")
        );
    }
    s.push_str("</table>\n");
    s
}

fn html_findings(v: &Sections<'_>, findings: &[Finding]) -> String {
    let mut s = String::from(
        "<table><tr><th>Number (E.164)</th><th>Where</th><th>Column</th><th>As written</th><th>Row</th></tr>\n",
    );
    for f in findings {
        let head = format!(
            "{}{}{}",
            html_escape(&f.e164),
            f.region
                .as_ref()
                .map(|r| format!(" <small>(read as {})</small>", html_escape(r)))
                .unwrap_or_default(),
            f.note
                .as_ref()
                .map(|n| format!("<br><small>{}</small>", html_escape(n)))
                .unwrap_or_default()
        );
        for (i, o) in f.occurrences.iter().enumerate() {
            let _ = writeln!(
                s,
                "<tr><td class=\"number\">{}</td><td>{}:{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if i == 0 { head.clone() } else { "〃".into() },
                html_escape(&o.source),
                o.line,
                html_escape(&o.column),
                html_escape(&o.input)
                    + &o.region_note(f)
                        .map(|n| format!("<br><strong>{}</strong>", html_escape(&n)))
                        .unwrap_or_default(),
                html_row_fields(v, o)
            );
        }
    }
    s.push_str("</table>\n");
    s
}

/// A self-contained HTML report (no external assets) that HR and legal can file.
pub fn check_html(outcome: &Outcome, facts: &SnapshotFacts, run: &RunInfo) -> String {
    let v = Sections::new(outcome, facts, run);
    let (numbers, _, _) = outcome.match_counts();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hushlist check report: {verdict}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; line-height: 1.45; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
.verdict {{ padding: .8rem 1rem; border-radius: .4rem; font-weight: bold; }}
.hit {{ background: #fde2e1; border: 1px solid #c0392b; }} .clear {{ background: #e3f6e8; border: 1px solid #27ae60; }}
.warn {{ background: #fff4d6; border: 1px solid #c99a06; }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0; }}
th, td {{ border: 1px solid #ccc; padding: .35rem .5rem; text-align: left; vertical-align: top; font-size: .92rem; }}
th {{ background: #f3f3f3; }} td.number {{ font-family: ui-monospace, monospace; }}
.facts td:first-child {{ width: 16rem; color: #555; }} .note {{ background: #f7f7f7; padding: .8rem 1rem; border-left: 4px solid #888; }}
footer {{ margin-top: 2rem; color: #666; font-size: .85rem; }}
</style></head><body>
<h1>hushlist check report</h1>
<p class="verdict {class}">{verdict}: {totals}.</p>
<p>{false_matches}.</p>
"#,
        verdict = html_escape(&v.verdict),
        class = if numbers == 0 { "clear" } else { "hit" },
        totals = html_escape(&v.totals),
        false_matches = html_escape(&v.false_matches),
    );
    if numbers > 0 {
        s.push_str(&html_summary(&v));
    }
    let _ = write!(
        s,
        r#"<h2>What this means</h2>
<div class="note"><p>{note}</p>
<p><b>How to confirm a possible match:</b> contact the list's publisher and give them only the number in question
and the date from which your company has held it; they can tell you whether it is really on the list and when it
made contact. Numbers are reassigned by carriers: a contact from before your company held the number says nothing
about the person using it now. Until confirmed, nobody should act on a match, and the person or device behind it is
entitled to privacy: this report is confidential.</p>
<p>{confirm}</p></div>
"#,
        note = html_escape(MATCH_NOTE),
        confirm = v
            .confirmation
            .iter()
            .map(|l| html_escape(l))
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    let _ = writeln!(s, "<h2>Possible matches ({numbers})</h2>");
    if numbers == 0 {
        let _ = writeln!(s, "<p>None of the numbers checked is on the list.</p>");
    } else {
        let rows: usize = v.matches.iter().map(|f| f.occurrences.len()).sum();
        let _ = writeln!(s, "<details><summary>Every row in full ({rows})</summary>");
        s.push_str(&html_findings(&v, &v.matches));
        let _ = writeln!(s, "</details>");
    }
    if !v.doubtful.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Doubtful numbers ({})</h2><p class=\"verdict warn\">These were checked and did not match, but they are only <i>possible</i> numbers for the region used: the region may be wrong. Check them with the right region.</p>",
            v.doubtful.len()
        );
        s.push_str(&html_findings(&v, &v.doubtful));
    }
    let _ = writeln!(
        s,
        "<h2>Cells that are not phone numbers ({})</h2>",
        outcome.invalid.len()
    );
    if outcome.invalid.is_empty() {
        let _ = writeln!(
            s,
            "<p>Every non-empty cell of the columns checked held a phone number ({} empty cells){}.</p>",
            outcome.empty,
            if outcome.complete() {
                ""
            } else {
                "; see the warnings about the inputs above"
            }
        );
    } else {
        let _ = writeln!(
            s,
            "<p>These cells were <b>not checked</b>. Correct them and check again. ({} empty cells are not listed.)</p>\n<table><tr><th>Where</th><th>Column</th><th>As written</th><th>Why</th></tr>",
            outcome.empty
        );
        for p in &v.not_numbers {
            let _ = writeln!(
                s,
                "<tr><td>{}:{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&p.source),
                p.line,
                html_escape(&p.column),
                html_escape(&p.input),
                html_escape(&p.reason)
            );
        }
        let _ = writeln!(s, "</table>");
    }
    if !outcome.region_problems.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Regions not recognised ({})</h2><table><tr><th>Where</th><th>Written</th><th>What happened</th></tr>",
            outcome.region_problems.len()
        );
        for p in &v.regions_not_recognised {
            let _ = writeln!(
                s,
                "<tr><td>{}:{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&p.source),
                p.line,
                html_escape(&p.input),
                html_escape(&p.reason)
            );
        }
        let _ = writeln!(s, "</table>");
    }
    let _ = writeln!(s, "<h2>What was checked</h2><table class=\"facts\">");
    let mut facts_rows: Vec<(String, String)> = vec![("Default regions".into(), v.regions.clone())];
    for src in &outcome.sources {
        facts_rows.push((format!("Input {}", src.name), source_lines(src).join("\n")));
    }
    for (k, val) in facts_rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            html_escape(&k),
            val.lines()
                .map(html_escape)
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    let _ = writeln!(s, "</table>");
    let _ = writeln!(
        s,
        "<h2>The list checked against</h2><table class=\"facts\">"
    );
    let rows = [
        ("Snapshot", format!("#{}", facts.sequence)),
        ("Created", facts.created.clone()),
        ("Expires", facts.expires.clone()),
        ("Entries", facts.entries.to_string()),
        ("Signed by key", facts.key_id.clone()),
        ("Digest (BLAKE3)", facts.blake3.clone()),
        (
            "False-positive rate",
            format!(
                "declared {:.1e}, estimated from the filter {:.1e}; this report counts false \
                 matches at {:.1e}, the higher of the two (never more certainty than the \
                 publisher declared)",
                facts.fp_rate_declared, facts.fp_rate_estimated, v.rate
            ),
        ),
    ];
    for (k, val) in rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            html_escape(k),
            html_escape(&val)
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
    let _ = writeln!(s, "<h2>This run</h2><table class=\"facts\">");
    let run_rows = [
        ("Generated at", run.generated_at.clone()),
        ("Host", run.host.clone()),
        ("User", run.user.clone()),
        ("Tool", run.tool.clone()),
        ("Options", run.options.join(" ")),
        (
            "Redacted",
            if run.redact {
                "yes: numbers show their last two digits, rows are omitted".into()
            } else {
                "no".into()
            },
        ),
    ];
    for (k, val) in run_rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            html_escape(k),
            html_escape(&val)
        );
    }
    let footer = if facts.evaluation_url.is_empty() {
        "The numbers were checked on this computer; none was sent anywhere.".to_string()
    } else {
        format!(
            "The numbers were checked on this computer. The list is sealed: the keys of numbers \
             not cached yet were obtained from the publisher's evaluation service ({} unless \
             another was given), blinded, so that the service saw random values, never a number, \
             and never whether one matched.",
            facts.evaluation_url
        )
    };
    let _ = write!(
        s,
        "</table>\n<footer>{}</footer>\n</body></html>\n",
        html_escape(&footer)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(visible("a\x1b[31mb\u{202e}c"), "a\\u{1b}[31mb\\u{202e}c");
        assert_eq!(visible("Jürgen"), "Jürgen");
    }

    #[test]
    fn redaction_keeps_two_digits() {
        assert_eq!(redact_number("+13135550142"), "…42");
        assert_eq!(redact_number("313.555.0142"), "…42");
        assert_eq!(redact_number("4.47701E+11"), "…01", "not the exponent");
        assert_eq!(redact_number("+1 313 555 0142 ext 12"), "…12");
        assert_eq!(
            redact_number("０９０－４３２４－７６１１"),
            "…１１",
            "full-width digits"
        );
        assert_eq!(
            redact_note("not a valid US number; valid as GB +447700900009, DE +497700900009"),
            "not a valid US number; valid as GB …09, DE …09"
        );
    }

    #[test]
    fn expected_counts_read_right() {
        assert_eq!(expected_count(0.37), "0.37");
        assert_eq!(expected_count(0.00002), "2e-5");
        assert_eq!(expected_count(0.003), "0.003");
        assert_eq!(expected_count(3e-6), "3e-6");
    }
}
