//! What people write in a country column, turned into a libphonenumber region.
//!
//! Exports hold "UK", "England", "U.S.A.", "Deutschland" or "Österreich" far
//! more often than ISO codes. [`region_from_value`] accepts ISO 3166-1 alpha-2
//! and alpha-3 codes, English and native names, the names used in the major
//! European languages and common aliases, ignoring case, accents, punctuation
//! and white space. It never guesses: a value it does not know, a value that
//! names several regions ("Georgia", "Congo") and a "not available" marker
//! ("N/A", which folds to Namibia's code) are errors that say so, and the
//! caller decides what to fall back to.
//!
//! A value such as "United Kingdom (GB)" or "Georgia / GE" is read part by
//! part when the whole is not known; every part must be known, and together
//! they must name exactly one region. An ISO 3166-2 subdivision code (`US-CA`,
//! `GB-SCT`) stands for its country.

mod names;

use crate::format::normalize::Region;
use names::{AMBIGUOUS, REGIONS, SUBDIVISIONS, WITHOUT_NUMBERS};
use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// One of the regions an ambiguous value may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The region.
    pub region: Region,
    /// What the value means when it names this region.
    pub meaning: &'static str,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.region, self.meaning)
    }
}

/// Why a region-column value was not turned into a region. Each message names
/// the value, except that a value with three or more digits (perhaps a phone
/// number in the wrong column) is described rather than shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownRegionValue {
    /// Nothing but white space and punctuation.
    #[error("empty region value")]
    Empty,
    /// A marker for a missing value ("N/A", "unknown", "none").
    #[error("{} means no country was given; write the country (for Namibia: NAM or Namibia)", shown(.value))]
    NotGiven {
        /// The value as written.
        value: String,
    },
    /// Not a code, name or alias this table knows.
    #[error("{} is not a country or region name or code that hushlist recognises; write its two-letter ISO 3166 code (such as GB, US or DE)", shown(.value))]
    Unknown {
        /// The value as written.
        value: String,
    },
    /// Names more than one region.
    #[error("{} is ambiguous: it could mean {}; write the two-letter ISO 3166 code of the one meant", shown(.value), list(.candidates))]
    Ambiguous {
        /// The value as written.
        value: String,
        /// Every region it may name.
        candidates: Vec<Candidate>,
    },
    /// Its parts name different regions ("Germany (FR)").
    #[error("{} names different regions ({}); write one two-letter ISO 3166 code", shown(.value), .regions.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "))]
    Conflicting {
        /// The value as written.
        value: String,
        /// The regions its parts name.
        regions: Vec<Region>,
    },
    /// A real place with no numbering plan of its own in libphonenumber.
    #[error("{} ({name}) has no telephone numbering plan of its own that libphonenumber knows; write the country whose numbers are used there", shown(.value))]
    WithoutNumbers {
        /// The value as written.
        value: String,
        /// The place it names.
        name: &'static str,
    },
}

fn shown(value: &str) -> String {
    let digits = value.chars().filter(|c| c.is_numeric()).count();
    if digits >= 3 {
        format!("a value with {digits} digits (not shown: it may be a phone number)")
    } else {
        format!("{:?}", value.trim())
    }
}

fn list(candidates: &[Candidate]) -> String {
    let names: Vec<String> = candidates.iter().map(|c| c.to_string()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Turns a region-column value into a region: `GB`, `GBR`, `UK`, `England`,
/// `United Kingdom`, `Royaume-Uni` and `英国` all give GB.
pub fn region_from_value(text: &str) -> Result<Region, UnknownRegionValue> {
    let value = || text.trim().to_string();
    let key = fold(text);
    if key.is_empty() {
        return Err(UnknownRegionValue::Empty);
    }
    if NOT_GIVEN.contains(&key.as_str()) {
        return Err(UnknownRegionValue::NotGiven { value: value() });
    }
    match lookup(&key) {
        Some(Meaning::One(region)) => return Ok(*region),
        Some(Meaning::Several(candidates)) => {
            if let Some(region) = by_parts(text, Some(candidates))? {
                return Ok(region);
            }
            return Err(UnknownRegionValue::Ambiguous {
                value: value(),
                candidates: candidates.clone(),
            });
        }
        Some(Meaning::WithoutNumbers(name)) => {
            return Err(UnknownRegionValue::WithoutNumbers {
                value: value(),
                name,
            })
        }
        None => {}
    }
    if let Some(region) = subdivision_code(text) {
        return Ok(region);
    }
    match by_parts(text, None)? {
        Some(region) => Ok(region),
        None => Err(UnknownRegionValue::Unknown { value: value() }),
    }
}

/// An ISO 3166-2 subdivision code (`US-CA`, `GB-ENG`, `DE-BE`) stands for its
/// country: the part before the hyphen.
fn subdivision_code(text: &str) -> Option<Region> {
    let (country, subdivision) = text.trim().split_once('-')?;
    let well_formed = country.len() == 2
        && country.bytes().all(|b| b.is_ascii_alphabetic())
        && (1..=3).contains(&subdivision.len())
        && subdivision.bytes().all(|b| b.is_ascii_alphanumeric());
    match lookup(&country.to_ascii_lowercase()) {
        Some(Meaning::One(region)) if well_formed => Some(*region),
        _ => None,
    }
}

/// Distinct values remembered by [`RegionValues`]; a column with more is read
/// afresh past this many, so memory stays bounded.
const MAX_REMEMBERED: usize = 4096;

/// [`region_from_value`] with a memory: a country column holds a handful of
/// distinct values over millions of rows, and reading a value costs about as
/// much as checking a number, so each distinct value is read once. Shared
/// between threads.
#[derive(Debug, Default)]
pub struct RegionValues {
    seen: RwLock<HashMap<String, Result<Region, UnknownRegionValue>>>,
}

impl RegionValues {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// What `text` means, as [`region_from_value`] says.
    pub fn read(&self, text: &str) -> Result<Region, UnknownRegionValue> {
        // A poisoned lock only means another thread panicked mid-insert of a
        // value that is computed again if missing.
        if let Some(known) = self
            .seen
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
        {
            return known.clone();
        }
        let result = region_from_value(text);
        let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
        if seen.len() < MAX_REMEMBERED {
            seen.insert(text.to_string(), result.clone());
        }
        result
    }
}

/// The English short name of a region ("United Kingdom" for GB), for messages.
pub fn region_name(region: Region) -> Option<&'static str> {
    let code = region.to_string();
    REGIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, names)| names[0])
}

/// Folded values that mean "no country given". "na" is here because `N/A`
/// and R's `NA` fold to Namibia's code: Namibia is still accepted by name.
const NOT_GIVEN: &[&str] = &[
    "na",
    "nan",
    "none",
    "null",
    "nil",
    "unknown",
    "tbd",
    "tba",
    "ka",
    "unbekannt",
    "inconnu",
    "desconocido",
    "sconosciuto",
    "onbekend",
    "various",
    "other",
    "n",
];

/// Reads "United Kingdom (GB)" or "DE / Germany" part by part. `Ok(None)` when
/// the value has a single part or some part is unknown; with `whole`, the
/// candidates of the whole value narrow the result.
fn by_parts(
    text: &str,
    whole: Option<&Vec<Candidate>>,
) -> Result<Option<Region>, UnknownRegionValue> {
    let parts: Vec<String> = text
        .replace(" - ", "/")
        .replace(" – ", "/")
        .split(['(', ')', '[', ']', '/', ',', ';', '|'])
        .map(fold)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return Ok(None);
    }
    let mut possible: Option<Vec<Region>> = whole.map(|c| c.iter().map(|c| c.region).collect());
    let mut named = Vec::new();
    for part in &parts {
        let regions: Vec<Region> = match lookup(part) {
            Some(Meaning::One(r)) => vec![*r],
            Some(Meaning::Several(c)) => c.iter().map(|c| c.region).collect(),
            _ => return Ok(None),
        };
        for r in &regions {
            if !named.contains(r) {
                named.push(*r);
            }
        }
        possible = Some(match possible {
            None => regions,
            Some(p) => p.into_iter().filter(|r| regions.contains(r)).collect(),
        });
    }
    match possible.unwrap_or_default().as_slice() {
        [one] => Ok(Some(*one)),
        [] => Err(UnknownRegionValue::Conflicting {
            value: text.trim().to_string(),
            regions: named,
        }),
        several => Err(UnknownRegionValue::Ambiguous {
            value: text.trim().to_string(),
            candidates: several
                .iter()
                .map(|r| Candidate {
                    region: *r,
                    meaning: region_name(*r).unwrap_or("region"),
                })
                .collect(),
        }),
    }
}

#[derive(Debug, Clone)]
enum Meaning {
    One(Region),
    Several(Vec<Candidate>),
    WithoutNumbers(&'static str),
}

fn lookup(key: &str) -> Option<&'static Meaning> {
    static TABLE: OnceLock<HashMap<String, Meaning>> = OnceLock::new();
    let table = TABLE.get_or_init(|| build().0);
    table.get(key).or_else(|| {
        // A region libphonenumber knows by its code even if the names table
        // has no entry for it yet.
        static CODES: OnceLock<HashMap<String, Meaning>> = OnceLock::new();
        let codes = CODES.get_or_init(|| {
            rlibphonenumber::PHONE_NUMBER_UTIL
                .get_supported_regions()
                .filter_map(|r| Region::parse(&r.to_string()).ok())
                .map(|r| (r.to_string().to_ascii_lowercase(), Meaning::One(r)))
                .collect()
        });
        codes.get(key)
    })
}

/// The lookup table, and the keys that two table entries gave different
/// regions (turned into ambiguities so that no entry silently wins; a test
/// keeps the list empty).
fn build() -> (HashMap<String, Meaning>, Vec<String>) {
    let mut table: HashMap<String, Meaning> = HashMap::new();
    let mut clashes = Vec::new();
    let mut add = |key: String, meaning: Meaning, clashes: &mut Vec<String>| {
        if key.is_empty() {
            return;
        }
        match table.get_mut(&key) {
            None => {
                table.insert(key, meaning);
            }
            Some(old) => {
                let merged = merge(old, &meaning);
                if let Some(merged) = merged {
                    clashes.push(key);
                    *old = merged;
                }
            }
        }
    };
    for (code, alpha3, names) in REGIONS {
        let Ok(region) = Region::parse(code) else {
            clashes.push(format!("{code} (not a libphonenumber region)"));
            continue;
        };
        for key in [code, alpha3].into_iter().chain(names.iter()) {
            add(fold(key), Meaning::One(region), &mut clashes);
        }
    }
    for (code, names) in SUBDIVISIONS {
        let region = Region::parse(code).expect("a libphonenumber region");
        for name in *names {
            add(fold(name), Meaning::One(region), &mut clashes);
        }
    }
    for (names, candidates) in AMBIGUOUS {
        let candidates: Vec<Candidate> = candidates
            .iter()
            .filter_map(|(code, meaning)| {
                Some(Candidate {
                    region: Region::parse(code).ok()?,
                    meaning,
                })
            })
            .collect();
        for name in *names {
            add(
                fold(name),
                Meaning::Several(candidates.clone()),
                &mut clashes,
            );
        }
    }
    for (code, alpha3, names) in WITHOUT_NUMBERS {
        for key in [code, alpha3].into_iter().chain(names.iter()) {
            add(fold(key), Meaning::WithoutNumbers(names[0]), &mut clashes);
        }
    }
    (table, clashes)
}

/// `None` when `new` says what `old` already says; otherwise the union of both.
fn merge(old: &Meaning, new: &Meaning) -> Option<Meaning> {
    let candidates = |m: &Meaning| -> Vec<Candidate> {
        match m {
            Meaning::One(r) => vec![Candidate {
                region: *r,
                meaning: region_name(*r).unwrap_or("region"),
            }],
            Meaning::Several(c) => c.clone(),
            Meaning::WithoutNumbers(_) => Vec::new(),
        }
    };
    let mut all = candidates(old);
    let before = all.clone();
    for c in candidates(new) {
        if !all.iter().any(|a| a.region == c.region) {
            all.push(c);
        }
    }
    match (old, new) {
        (Meaning::One(a), Meaning::One(b)) if a == b => None,
        (Meaning::WithoutNumbers(_), Meaning::WithoutNumbers(_)) => None,
        _ if all == before && matches!(old, Meaning::Several(_)) => None,
        _ => Some(Meaning::Several(all)),
    }
}

/// The matching key of a value: lower case, accents and punctuation dropped,
/// `&` read as "and", `St`/`Ste` as "Saint"/"Sainte", a leading or trailing
/// "the" ignored ("The Gambia", "Bahamas, The"), full-width letters as ASCII,
/// flag emoji as their two letters.
fn fold(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let end = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    for c in text.chars() {
        let c = match c {
            // Full-width ASCII (common in East Asian exports).
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            // Flag emoji are pairs of regional indicators: 🇩🇪 spells "de".
            '\u{1F1E6}'..='\u{1F1FF}' => char::from(b'a' + (c as u32 - 0x1F1E6) as u8),
            _ => c,
        };
        if c == '&' {
            end(&mut word, &mut words);
            words.push("and".to_string());
        } else if c.is_alphanumeric() && !matches!(c, 'ʻ' | 'ʼ' | 'ʹ') {
            for lower in c.to_lowercase() {
                push_folded(&mut word, lower);
            }
        } else if !is_combining_mark(c) {
            end(&mut word, &mut words);
        }
    }
    end(&mut word, &mut words);
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    if words.len() > 1 && words.last().is_some_and(|w| w == "the") {
        words.pop();
    }
    words
        .iter()
        .map(|w| match w.as_str() {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect()
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{200C}' | '\u{200D}')
}

/// Appends a lower-case letter without its accent: `é` as `e`, `ß` as `ss`.
fn push_folded(out: &mut String, c: char) {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ə' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ơ' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ư' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'þ' => "th",
        'ạ' | 'ả' | 'ấ' | 'ầ' | 'ẩ' | 'ẫ' | 'ậ' | 'ắ' | 'ằ' | 'ẳ' | 'ẵ' | 'ặ' => {
            "a"
        }
        'ẹ' | 'ẻ' | 'ẽ' | 'ế' | 'ề' | 'ể' | 'ễ' | 'ệ' => "e",
        'ọ' | 'ỏ' | 'ố' | 'ồ' | 'ổ' | 'ỗ' | 'ộ' | 'ớ' | 'ờ' | 'ở' | 'ỡ' | 'ợ' => {
            "o"
        }
        // Greek without tonos, final sigma as sigma; Russian ё as е.
        'ά' => "α",
        'έ' => "ε",
        'ή' => "η",
        'ί' | 'ϊ' | 'ΐ' => "ι",
        'ό' => "ο",
        'ύ' | 'ϋ' | 'ΰ' => "υ",
        'ώ' => "ω",
        'ς' => "σ",
        'ё' => "е",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(plain);
}

#[cfg(test)]
mod tests;
