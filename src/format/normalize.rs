//! Normalization of phone numbers to E.164, the only form hushlist ever hashes.
//!
//! Publisher and client must turn the same number into the same string, or a
//! listed number silently fails to match. Both sides therefore go through this one
//! function, and the snapshot header records [`SCHEME`] and [`METADATA_VERSION`]
//! so that a client can tell when its numbering-plan data is older than the
//! publisher's.

use rlibphonenumber::{
    ParseError, PhoneNumber, PhoneNumberFormat, ValidationError, PHONE_NUMBER_UTIL,
};
use std::fmt;

/// Normalization scheme 2: libphonenumber parsing with an optional default
/// region, extensions dropped, formatted as E.164 (`+` and digits only), then
/// re-parsed until the E.164 string is a fixed point (scheme 1 stopped after one
/// pass, so a printed number could normalize to another one).
pub const SCHEME: u16 = 2;

/// Most re-parses before a number is declared unstable (none needed more than one
/// in testing; the bound only guarantees termination).
const MAX_PASSES: usize = 4;

/// Version of the libphonenumber numbering-plan metadata compiled into this
/// build (rlibphonenumber 2.2.15 ships metadata 9.0.42). A test compares the
/// rlibphonenumber version in Cargo.lock with [`LIBRARY`], so an upgrade that
/// forgets to update this constant fails CI.
pub const METADATA_VERSION: &str = "9.0.42";

/// The normalizing library and its version, as resolved in Cargo.lock.
pub const LIBRARY: &str = "rlibphonenumber 2.2.15";

/// A default region (ISO 3166-1 alpha-2) for numbers written in national format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region(rlibphonenumber::Region);

impl Region {
    /// Parses a two-letter region code such as `US` or `gb`.
    pub fn parse(code: &str) -> Result<Self, UnknownRegion> {
        let upper = code.trim().to_ascii_uppercase();
        rlibphonenumber::Region::from_code(&upper)
            .ok()
            .filter(|r| PHONE_NUMBER_UTIL.get_country_code_for_region(*r).is_some())
            .map(Region)
            .ok_or_else(|| UnknownRegion(code.to_string()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A region code that libphonenumber does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region code {0:?} (expected a two-letter ISO 3166 code such as US or GB)")]
pub struct UnknownRegion(pub String);

/// Why a piece of text is not a phone number. Each message is meant to be shown
/// next to the offending row so the user can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NormalizeError {
    /// The field is empty or only white space.
    #[error("empty")]
    Empty,
    /// The number has no `+` or international prefix and no default region was given.
    #[error("national format without a country code; give a default region")]
    NeedsRegion,
    /// The country calling code does not exist.
    #[error("unknown country calling code")]
    InvalidCountryCode,
    /// Letters or symbols where digits were expected.
    #[error("not a phone number")]
    NotANumber,
    /// Several numbers in one field, one of which does not read as a number.
    #[error("holds several numbers, and one of them is not a number: put one number per cell")]
    SeveralNumbers,
    /// More numbers in one field than any cell holds ([`MAX_NUMBERS_PER_CELL`]).
    #[error("holds more than 32 numbers: put one number per cell (this cell is not checked)")]
    TooManyNumbers,
    /// Not a single digit (`n/a`, `unknown`, `-`).
    #[error("no digits: not a phone number")]
    NoDigits,
    /// Too few digits for any number of that country.
    #[error("too short for a phone number of that country")]
    TooShort,
    /// Too many digits for any number of that country.
    #[error("too long for a phone number of that country")]
    TooLong,
    /// A length no number of that country has, or a local number without its area code.
    #[error("not a possible length for that country (missing area code?)")]
    ImpossibleLength,
    /// Letters besides `tel:` and an extension marker: vanity numbers are not
    /// converted unless asked, because a contract id such as `V-20000` would
    /// otherwise become a phone number.
    #[error("contains letters (vanity numbers are not converted unless asked)")]
    Letters,
    /// Shaped like a date (`2026-11-29`, `29.11.2026`).
    #[error("looks like a date, not a phone number")]
    Date,
    /// A spreadsheet turned the number into scientific notation (`4.47701E+11`):
    /// its last digits are gone.
    #[error("scientific notation (a spreadsheet dropped digits): re-export the column as text")]
    ScientificNotation,
    /// Starts with an international prefix (`00`, `011`) that none of the
    /// regions used dials.
    #[error("starts with an international prefix none of the regions used dials: write it with + (+44...), or give the region that dials it")]
    ForeignPrefix,
    /// Re-normalizing the E.164 result gives yet another number.
    #[error("normalizes to an unstable result")]
    Unstable,
}

/// Normalizes `input` to E.164 (`+13135550123`): what both the publisher and the
/// client hash. See [`interpret`] for the checks a client makes on what it reads.
///
/// Accepts what people type and export: national and international formats,
/// `tel:` URIs, `00`/`011` prefixes, extensions (dropped), non-ASCII digits,
/// spaces and punctuation. A number must have a possible length for its
/// country; full validity (whether the range is allocated) is not required,
/// because allocation data changes between metadata versions and a stricter
/// rule would turn a listed number into a silent miss.
pub fn normalize(input: &str, region: Option<Region>) -> Result<String, NormalizeError> {
    parse_fixed_point(input, region).map(|(e164, _)| e164)
}

/// Parses once, then re-parses the E.164 form until it no longer changes.
fn parse_fixed_point(
    input: &str,
    region: Option<Region>,
) -> Result<(String, PhoneNumber), NormalizeError> {
    let mut number = parse_possible(input, region)?;
    let mut e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
    if !may_read_differently(&number) {
        return Ok((e164, number));
    }
    for _ in 0..MAX_PASSES {
        let again = parse_possible(&e164, None)?;
        let next = again.format_as(PhoneNumberFormat::E164).into_owned();
        if next == e164 {
            return Ok((e164, number));
        }
        (e164, number) = (next, again);
    }
    Err(NormalizeError::Unstable)
}

/// Whether re-parsing the E.164 form could change it. Parsing `+CC NSN` strips
/// from the NSN what the country's national-prefix pattern matches at its start
/// (Sweden's `0`, Belarus's `8`), so an NSN that starts with no digit such a
/// pattern starts with is already a fixed point, and the re-parse (as costly
/// as the first parse) is skipped. A test compares this with full iteration
/// over every region.
fn may_read_differently(number: &PhoneNumber) -> bool {
    // The digits the metadata's national-prefix patterns can start with: 0
    // (most trunk prefixes), 1 (NANP, Argentina, Mexico), 8 (Belarus, Russia,
    // Kazakhstan...), 9 (Brazil's carrier selection).
    !matches!(
        number.get_national_significant_number().bytes().next(),
        Some(b'2'..=b'7')
    )
}

fn parse_possible(input: &str, region: Option<Region>) -> Result<PhoneNumber, NormalizeError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let number: PhoneNumber = PHONE_NUMBER_UTIL
        .parse(trimmed, region.map(|r| r.0))
        .map_err(|e| match e {
            ParseError::InvalidCountryCode if region.is_none() && !looks_international(trimmed) => {
                NormalizeError::NeedsRegion
            }
            ParseError::InvalidCountryCode => NormalizeError::InvalidCountryCode,
            ParseError::NotANumber(_) => NormalizeError::NotANumber,
            ParseError::TooShortAfterIdd | ParseError::TooShortNsn => NormalizeError::TooShort,
            ParseError::TooLongNsn => NormalizeError::TooLong,
        })?;
    match number.is_possible_with_reason() {
        Ok(rlibphonenumber::NumberLengthType::IsPossible) => Ok(number),
        Ok(_) => Err(NormalizeError::ImpossibleLength),
        Err(ValidationError::InvalidCountryCode) => Err(NormalizeError::InvalidCountryCode),
        Err(ValidationError::TooShort) => Err(NormalizeError::TooShort),
        Err(ValidationError::TooLong) => Err(NormalizeError::TooLong),
        Err(_) => Err(NormalizeError::ImpossibleLength),
    }
}

/// How a client reads a field before normalizing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Convert vanity letters to digits (`1-800-FLOWERS`) instead of refusing them.
    pub allow_letters: bool,
}

/// One way of reading a field as a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpretation {
    /// The E.164 form that is looked up.
    pub e164: String,
    /// The default region this reading used; `None` for a number written in
    /// international format (its own country code decides).
    pub region: Option<Region>,
    /// Whether the number is in a range the metadata knows as allocated
    /// (otherwise it is only possible: checked, but warned about).
    pub valid: bool,
    /// Digits alone read as an international number with its `+` restored
    /// (`4917600000101`: an MSISDN, or a spreadsheet that dropped the `+`).
    pub plus_added: bool,
    /// Which number of the field this reads, counted from 0, when a field
    /// holds several (`a, b`); 0 otherwise.
    pub part: usize,
}

/// Every reading of `input` under the given default regions, as a client checks
/// it: a number in international format has one reading whatever the regions; a
/// national one has one per region where it is possible (deduplicated). Fields
/// that are not numbers (letters, dates, spreadsheet damage) are refused first.
pub fn interpret(
    input: &str,
    regions: &[Region],
    options: ReadOptions,
) -> Result<Vec<Interpretation>, NormalizeError> {
    let text = clean(input);
    if text.is_empty() {
        return Err(NormalizeError::Empty);
    }
    let shape = Shape::of(text);
    if let Some(parts) = several_numbers(text, shape.digits) {
        if parts.len() > MAX_NUMBERS_PER_CELL {
            return Err(NormalizeError::TooManyNumbers);
        }
        // `+1 212 555 0134, +1 212 555 0172`: each number is read and looked
        // up; one that does not read makes the whole cell a problem, so no
        // number in it is skipped silently.
        let mut readings: Vec<Interpretation> = Vec::new();
        for (i, part) in parts.into_iter().enumerate() {
            let read =
                interpret(part, regions, options).map_err(|_| NormalizeError::SeveralNumbers)?;
            for r in read {
                if readings.iter().all(|seen| seen.e164 != r.e164) {
                    readings.push(Interpretation { part: i, ..r });
                }
            }
        }
        return Ok(readings);
    }
    // Thin spaces, tabs and other white space from word processors and
    // exports separate digit groups as a space does.
    let spaced;
    let text = if shape.odd_space {
        spaced = text
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect::<String>();
        spaced.as_str()
    } else {
        text
    };
    // A trailing label in parentheses (`+1 313 555 0188 (mobile)`) names
    // the number's kind; it is not part of it.
    let (text, shape) = match strip_label(text) {
        Some(number) => (number, Shape::of(number)),
        None => (text, shape),
    };
    // A spreadsheet's number with every digit kept (`493000002011.0`,
    // `1.3135550123E+10`) is those digits.
    let recovered;
    let (text, shape) = match spreadsheet_integer(text) {
        Some(digits) => {
            recovered = digits;
            (recovered.as_str(), Shape::of(&recovered))
        }
        None => (text, shape),
    };
    refuse_non_numbers(text, options, shape)?;
    if is_international(text) || regions.is_empty() {
        // Only the digits-alone reading (C8) adds the `+`: `(+1) 313 555 0101`
        // is read as written.
        let ((e164, number), plus_added) = match parse_fixed_point(text, None) {
            Err(NormalizeError::NeedsRegion) => (
                bare_international(text, &[]).ok_or(NormalizeError::NeedsRegion)?,
                true,
            ),
            other => (other?, false),
        };
        return Ok(vec![Interpretation {
            valid: is_valid(&number, None),
            plus_added,
            e164,
            region: None,
            part: 0,
        }]);
    }
    let mut readings: Vec<Interpretation> = Vec::new();
    let mut first_error = None;
    for &region in regions {
        match parse_fixed_point(text, Some(region)) {
            Ok((e164, number)) => {
                if readings.iter().all(|r| r.e164 != e164) {
                    readings.push(Interpretation {
                        valid: is_valid(&number, Some(region)),
                        e164,
                        region: Some(region),
                        plus_added: false,
                        part: 0,
                    });
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // Digits alone may also be an international number without its `+`: a
    // national reading can be valid too (4917600000101 is a valid German
    // number under DE), so both are looked up, never one chosen.
    if let Some((e164, number)) = bare_international(text, &readings)
        .filter(|(e164, _)| readings.iter().all(|r| &r.e164 != e164))
    {
        readings.push(Interpretation {
            valid: is_valid(&number, None),
            e164,
            region: None,
            plus_added: true,
            part: 0,
        });
    }
    match first_error {
        Some(_) if readings.is_empty() && looks_like_idd(text) => {
            Err(NormalizeError::ForeignPrefix)
        }
        Some(e) if readings.is_empty() => Err(e),
        _ => Ok(readings),
    }
}

/// The international reading of a field of digits alone, 8 to 15 of them
/// not starting with 0 (an MSISDN, or a number whose `+` a spreadsheet
/// dropped), when that reading is a possible number. Possible, not valid:
/// listed numbers in new or fictional ranges are only possible, and missing
/// one costs more than a lookup. Digits in groups (`44 7700 900462`,
/// `49-176-00000101`) count when the first group is a country calling code:
/// a national number's area code rarely is, so most national numbers cost no
/// second parse.
fn bare_international(text: &str, read: &[Interpretation]) -> Option<(String, PhoneNumber)> {
    // ASCII and full-width digits (`４９１７６…`), as exports hold them.
    let digit = |c: char| match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '\u{ff10}'..='\u{ff19}' => Some(c as u32 - 0xff10),
        _ => None,
    };
    let mut values = Vec::with_capacity(16);
    let mut first_group = None;
    for c in text.chars() {
        match (digit(c), c) {
            (Some(v), _) => values.push(v),
            (None, ' ' | '-' | '.') if !values.is_empty() => {
                first_group.get_or_insert(values.len());
            }
            _ => return None,
        }
    }
    // Separators between groups only: not before the first, not after the last.
    if !(8..=15).contains(&values.len()) || values[0] == 0 || text.ends_with([' ', '-', '.']) {
        return None;
    }
    if let Some(len) = first_group {
        // At most 3 digits before folding them: a long group could overflow.
        if len > 3 {
            return None;
        }
        let code = values[..len].iter().fold(0, |n, v| n * 10 + v);
        PHONE_NUMBER_UTIL.get_region_for_country_code(code as i32)?;
    }
    let plus: String = std::iter::once('+')
        .chain(values.iter().map(|v| char::from(b'0' + *v as u8)))
        .collect();
    // `1-212-556-0164` read under US is already +12125560164: no second parse.
    if read.iter().any(|r| r.e164 == plus) {
        return None;
    }
    parse_fixed_point(&plus, None).ok()
}

/// Whether `number` is in an allocated range. libphonenumber's own answer first
/// finds the number's region, which for a shared country code (+1: 25 regions)
/// tries each region's patterns in turn, about 30 µs; asking the likely region
/// first (the one it was read under, or the country code's main region)
/// answers valid numbers in a microsecond or two, and only the rest pay for
/// the full search.
fn is_valid(number: &PhoneNumber, likely: Option<Region>) -> bool {
    let likely = likely
        .map(|r| r.0)
        .or_else(|| PHONE_NUMBER_UTIL.get_region_for_country_code(number.country_code));
    likely.is_some_and(|r| number.is_valid_for_region(r)) || number.is_valid()
}

/// Regions (besides `except`) whose national reading of `input` is a valid
/// number, as `(region, E.164)`: the hint for a number that is only possible.
/// Regions sharing a country code (GB, GG, IM, JE) may give the same E.164.
pub fn valid_elsewhere(input: &str, except: &[Region]) -> Vec<(Region, String)> {
    let text = clean(input);
    if is_international(text) {
        return Vec::new();
    }
    let mut found: Vec<(Region, String)> = PHONE_NUMBER_UTIL
        .get_supported_regions()
        .map(Region)
        .filter(|r| !except.contains(r))
        .filter_map(|r| {
            let (e164, number) = parse_fixed_point(text, Some(r)).ok()?;
            number.is_valid().then_some((r, e164))
        })
        .collect();
    found.sort_by_key(|(r, _)| r.to_string());
    found
}

/// The text before a trailing `(label)` of letters and spaces only.
fn strip_label(text: &str) -> Option<&str> {
    let inner = text.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let label = &inner[open + 1..];
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    (letters >= 2 && label.chars().all(|c| c.is_alphabetic() || c == ' '))
        .then(|| text[..open].trim_end())
        .filter(|rest| !rest.is_empty())
}

/// The digits of a number a spreadsheet wrote as a float without losing
/// any: `493000002011.0` (or `,0`), `1.3135550123E+10` (as many decimals as
/// the exponent). `4.47701E+11` lost digits and is refused elsewhere.
fn spreadsheet_integer(text: &str) -> Option<String> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((whole, zeros)) = text.split_once(['.', ',']) {
        if whole.len() >= 7
            && all_digits(whole)
            && !zeros.is_empty()
            && zeros.bytes().all(|b| b == b'0')
        {
            return Some(whole.to_string());
        }
    }
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (first, decimals) = mantissa.split_once(['.', ','])?;
    (first.len() == 1
        && all_digits(first)
        && all_digits(decimals)
        && all_digits(exponent)
        && exponent.parse::<usize>().ok()? == decimals.len()
        && decimals.len() >= 6)
        .then(|| format!("{first}{decimals}"))
}

/// What one pass over a field tells (most fields are short ASCII).
#[derive(Clone, Copy)]
struct Shape {
    chars: usize,
    digits: usize,
    letters: bool,
    /// White space other than the plain space (tab, thin space, NBSP).
    odd_space: bool,
}

impl Shape {
    fn of(text: &str) -> Shape {
        let mut shape = Shape {
            chars: 0,
            digits: 0,
            letters: false,
            odd_space: false,
        };
        for c in text.chars() {
            shape.chars += 1;
            if c.is_ascii() {
                shape.digits += usize::from(c.is_ascii_digit());
                shape.letters |= c.is_ascii_alphabetic();
                shape.odd_space |= c.is_ascii_whitespace() && c != ' ';
            } else {
                shape.digits += usize::from(c.is_numeric());
                shape.letters |= c.is_alphabetic();
                shape.odd_space |= c.is_whitespace();
            }
        }
        shape
    }
}

/// The parts of a field that holds several numbers (`a, b`, `a / b`,
/// `a or b`), when every part has at least 7 digits: an extension (`, ext
/// 12`) or a date (`2026/11/29`) is not a second number.
/// The most numbers one cell is read as (FORMAT.md §2, C2): each is looked
/// up and reported with the whole cell and row, so a cell of thousands of
/// numbers would cost memory and output in their square.
pub const MAX_NUMBERS_PER_CELL: usize = 32;

fn several_numbers(text: &str, digits_in_text: usize) -> Option<Vec<&str>> {
    let digits = |p: &str| p.chars().filter(|c| c.is_numeric()).count();
    // Most cells hold one number: two need 14 digits at least.
    if digits_in_text < 14
        || !text.bytes().any(|b| {
            matches!(
                b,
                b',' | b';' | b'/' | b'|' | b'\n' | b'\r' | b'&' | b'o' | b'a' | b'u'
            )
        })
    {
        return None;
    }
    let mut parts = vec![text];
    for sep in [
        ",", ";", "/", "|", "\n", "\r", " or ", " oder ", " ou ", " o ", " and ", " und ", " & ",
    ] {
        parts = parts.iter().flat_map(|p| p.split(sep)).collect();
    }
    let parts: Vec<&str> = parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (parts.len() > 1 && parts.iter().all(|p| digits(p) >= 7)).then_some(parts)
}

/// Trims white space and the apostrophe a spreadsheet puts before a number to
/// keep it text (`'07700900109`).
fn clean(input: &str) -> &str {
    let t = input.trim();
    t.strip_prefix(['\'', '\u{2019}']).unwrap_or(t).trim()
}

/// `00 44...`, `011 44...`: an international prefix written out.
fn looks_like_idd(text: &str) -> bool {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(3)
        .collect();
    digits.starts_with("00") || digits == "011"
}

fn is_international(text: &str) -> bool {
    let t = strip_tel(text).trim_start();
    t.starts_with('+') || t.starts_with('\u{ff0b}')
}

fn strip_tel(text: &str) -> &str {
    match text.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("tel:") => &text[4..],
        _ => text,
    }
}

/// Refuses what only libphonenumber's leniency would turn into a number.
fn refuse_non_numbers(
    text: &str,
    options: ReadOptions,
    shape: Shape,
) -> Result<(), NormalizeError> {
    if shape.digits == 0 {
        return Err(NormalizeError::NoDigits);
    }
    // Most cells hold digits and punctuation only: skip the letter rules.
    if shape.letters {
        if looks_scientific(text) {
            return Err(NormalizeError::ScientificNotation);
        }
        if !options.allow_letters
            && strip_extension(strip_tel(text))
                .chars()
                .any(char::is_alphabetic)
        {
            return Err(NormalizeError::Letters);
        }
    }
    if looks_like_date(text) {
        return Err(NormalizeError::Date);
    }
    Ok(())
}

/// The text before an extension marker (`x22`, `ext. 22`, `extension 22`,
/// `;ext=22`, `#22`), when digits follow the marker to the end.
fn strip_extension(text: &str) -> &str {
    let bytes = text.as_bytes();
    for marker in [";ext=", "extension", "ext.", "ext", "x", "#"] {
        let m = marker.as_bytes();
        let Some(at) = (0..=bytes.len().saturating_sub(m.len())).rev().find(|&at| {
            bytes[at..].len() >= m.len() && bytes[at..at + m.len()].eq_ignore_ascii_case(m)
        }) else {
            continue;
        };
        let rest = text[at + m.len()..].trim_start_matches([' ', '.', ':']);
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
            return &text[..at];
        }
    }
    text
}

/// `4.47701E+11`, `4,47701E+11`: a spreadsheet's scientific notation.
fn looks_scientific(text: &str) -> bool {
    let t = text.trim();
    let Some(at) = t.find(['e', 'E']) else {
        return false;
    };
    let (mantissa, exponent) = (&t[..at], &t[at + 1..]);
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let digits_with_point = |s: &str| {
        let (a, b) = s.split_once(['.', ',']).unwrap_or((s, "0"));
        !a.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit())
    };
    digits_with_point(mantissa)
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// `2026-11-29`, `2026/11/29`, `29.11.2026`, `11/29/2026`, optionally followed by a time.
pub(crate) fn looks_like_date(text: &str) -> bool {
    // A date has at most 8 digits; a phone number, almost always more.
    if text.bytes().filter(u8::is_ascii_digit).count() > 8 {
        return false;
    }
    let date = text.split([' ', 'T']).next().unwrap_or("");
    for sep in ['-', '.', '/'] {
        let mut parts = date.split(sep);
        let (Some(a), Some(b), Some(c), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|c| c.is_ascii_digit());
        if !(digits(a) && digits(b) && digits(c)) {
            continue;
        }
        let n = |p: &str| p.parse::<u32>().unwrap_or(0);
        let year = |p: &str| p.len() == 4 && (1900..=2100).contains(&n(p));
        let small = |p: &str| p.len() <= 2 && (1..=31).contains(&n(p));
        let month = |p: &str| p.len() <= 2 && (1..=12).contains(&n(p));
        if (year(a) && month(b) && small(c))
            || (year(c) && small(a) && small(b) && (month(a) || month(b)))
        {
            return true;
        }
    }
    false
}

fn looks_international(s: &str) -> bool {
    let s = s.trim_start_matches("tel:");
    s.starts_with('+') || s.starts_with('＋')
}

/// Compares two dotted metadata versions (`9.0.42`); `None` when either does not parse.
pub fn compare_metadata_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    fn parts(v: &str) -> Option<Vec<u64>> {
        v.split('.').map(|p| p.parse().ok()).collect()
    }
    Some(parts(a)?.cmp(&parts(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Option<Region> {
        Some(Region::parse("US").unwrap())
    }

    #[test]
    fn messy_inputs_normalize_to_e164() {
        let cases = [
            ("(313) 555-0123", "+13135550123"),
            ("313.555.0123", "+13135550123"),
            ("+1 313 555 0123", "+13135550123"),
            ("011 44 20 7946 0958", "+442079460958"),
            ("tel:+1-313-555-0123", "+13135550123"),
            ("313-555-0123 ext. 42", "+13135550123"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("３１３５５５０１２３", "+13135550123"),
            ("  +1 313 555 0123  ", "+13135550123"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize(input, us()).as_deref(),
                Ok(want),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn errors_say_why() {
        assert_eq!(normalize("", us()), Err(NormalizeError::Empty));
        assert_eq!(
            normalize("313 555 0123", None),
            Err(NormalizeError::NeedsRegion)
        );
        assert_eq!(normalize("hello", us()), Err(NormalizeError::NotANumber));
        assert_eq!(normalize("12", us()), Err(NormalizeError::TooShort));
        let de = Some(Region::parse("DE").unwrap());
        assert_eq!(
            normalize("00 1 313 555 0123", de).as_deref(),
            Ok("+13135550123")
        );
        assert!(normalize("+999 1234567", None).is_err());
        assert!(matches!(
            normalize("555 0123", us()),
            Err(NormalizeError::ImpossibleLength | NormalizeError::TooShort)
        ));
    }

    fn read(text: &str, regions: &[&str]) -> Result<Vec<(String, bool)>, NormalizeError> {
        let regions: Vec<Region> = regions.iter().map(|r| Region::parse(r).unwrap()).collect();
        interpret(text, &regions, ReadOptions::default())
            .map(|v| v.into_iter().map(|r| (r.e164, r.valid)).collect())
    }

    #[test]
    fn only_numbers_are_numbers() {
        assert_eq!(read("V-20000", &["DE"]), Err(NormalizeError::Letters));
        assert_eq!(read("n/a", &["DE"]), Err(NormalizeError::NoDigits));
        assert_eq!(
            read("+1 313 555 0188 (mobile)", &[]),
            Ok(vec![("+13135550188".into(), true)]),
            "a trailing label is not part of the number"
        );
        let plus = |text: &str| interpret(text, &[], ReadOptions::default()).unwrap()[0].plus_added;
        assert!(
            !plus("(+1) 313 555 0101"),
            "a + written inside brackets is written"
        );
        assert!(plus("13135550101"), "digits alone get the +");
        assert_eq!(
            read("+44 (0)20 7946 0958", &[]),
            Ok(vec![("+442079460958".into(), true)]),
            "a (0) trunk digit is not a label"
        );
        assert_eq!(
            read(
                "+1 212 555 0134, (313) 555-0142 / +44 20 7946 0958",
                &["US"]
            )
            .unwrap(),
            [
                ("+12125550134".to_string(), true),
                ("+13135550142".to_string(), true),
                ("+442079460958".to_string(), true)
            ],
            "every number in a cell is read"
        );
        assert_eq!(
            read("+1 212 555 0134 or V-20000-1234567", &["US"]),
            Err(NormalizeError::SeveralNumbers)
        );
        let numbers = |n: usize| -> String {
            (0..n)
                .map(|i| format!("+1 212 555 {:04}", i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(read(&numbers(32), &["US"]).unwrap().len(), 32);
        assert_eq!(
            read(&numbers(33), &["US"]),
            Err(NormalizeError::TooManyNumbers),
            "33 numbers in one cell are refused, not multiplied out"
        );
        assert!(
            read("+1 212 555 0134, ext 12", &["US"]).is_ok(),
            "an extension is not a second number"
        );
        assert_eq!(
            read("+1\u{2009}313\u{2009}555\t0142", &[]),
            Ok(vec![("+13135550142".into(), true)]),
            "thin spaces and tabs separate digit groups"
        );
        assert_eq!(read("1-800-FLOWERS", &["US"]), Err(NormalizeError::Letters));
        assert_eq!(read("2026-11-29", &["DE"]), Err(NormalizeError::Date));
        assert_eq!(read("29.11.2026", &["DE"]), Err(NormalizeError::Date));
        assert_eq!(read("11/29/2026", &["US"]), Err(NormalizeError::Date));
        assert_eq!(
            read("4.47701E+11", &["GB"]),
            Err(NormalizeError::ScientificNotation)
        );
        assert_eq!(read("   ", &["GB"]), Err(NormalizeError::Empty));
        // Extensions, tel: URIs and the spreadsheet's text apostrophe still read.
        for text in [
            "313-555-0101 ext. 42",
            "313.555.0101 x42",
            "tel:+1-313-555-0101;ext=7",
            "'3135550101",
            "(313) 555-0101 #12",
        ] {
            assert_eq!(read(text, &["US"]).unwrap()[0].0, "+13135550101", "{text}");
        }
        let letters = interpret(
            "1-800-FLOWERS",
            &[Region::parse("US").unwrap()],
            ReadOptions {
                allow_letters: true,
            },
        );
        assert_eq!(letters.unwrap()[0].e164, "+18003569377");
        // Not dates: phone numbers with separators.
        assert!(read("313-555-0101", &["US"]).is_ok());
        assert!(read("030.901.820", &["DE"]).is_ok());
    }

    #[test]
    fn national_numbers_are_read_under_every_region_where_possible() {
        let readings = read("07700 900461", &["DE", "GB", "US"]).unwrap();
        let numbers: Vec<&str> = readings.iter().map(|(e, _)| e.as_str()).collect();
        assert!(numbers.contains(&"+447700900461"), "{numbers:?}");
        assert!(numbers.contains(&"+497700900461"), "{numbers:?}");
        // International format: one reading whatever the regions.
        assert_eq!(
            read("+44 20 7946 0958", &["DE", "US"]).unwrap(),
            vec![("+442079460958".into(), true)]
        );
        assert_eq!(read("313 555 0101", &[]), Err(NormalizeError::NeedsRegion));
    }

    /// An MSISDN (`4917600000101`) or a number whose `+` a spreadsheet
    /// dropped is digits alone: its international reading is looked up
    /// besides the national ones, and marked as read with `+` added.
    #[test]
    fn digits_alone_are_also_read_as_international() {
        let regions = [Region::parse("DE").unwrap()];
        let readings = interpret("4917600000101", &regions, ReadOptions::default()).unwrap();
        let found: Vec<(&str, bool)> = readings
            .iter()
            .map(|r| (r.e164.as_str(), r.plus_added))
            .collect();
        assert_eq!(
            found,
            [("+494917600000101", false), ("+4917600000101", true)],
            "the national reading is valid too: both are looked up"
        );
        // Without a region, the international reading is the only one.
        let alone = interpret("447700900462", &[], ReadOptions::default()).unwrap();
        assert_eq!(
            (alone[0].e164.as_str(), alone[0].plus_added, alone[0].valid),
            ("+447700900462", true, false)
        );
        let wide = interpret("４９１７６０００００１０１", &[], ReadOptions::default()).unwrap();
        assert_eq!(wide[0].e164, "+4917600000101", "full-width digits");
        // A long first group before a separator is not a country code (and
        // its digits do not overflow anything).
        for text in [
            "447700900462.",
            "4294967296-1",
            "４９３０００００２０１１０.0",
            "44 7700 900462-",
            "49-176-00000101.",
        ] {
            let r = interpret(text, &regions, ReadOptions::default());
            assert!(r.iter().flatten().all(|r| !r.plus_added), "{text}: {r:?}");
        }
        // Not digits alone, a leading 0, or too few digits: national only.
        for text in [
            "(313) 555-0101",
            "07700900461",
            "3135550",
            "+1 313 555 0101",
        ] {
            let us = [Region::parse("US").unwrap()];
            let r = interpret(text, &us, ReadOptions::default());
            assert!(r.iter().flatten().all(|r| !r.plus_added), "{text}: {r:?}");
        }
        assert_eq!(read("2125550164", &[]), Err(NormalizeError::NeedsRegion));
    }

    #[test]
    fn normalization_is_a_fixed_point() {
        let us = Region::parse("US").unwrap();
        let once = normalize("011 46 0052321 0958", Some(us)).unwrap();
        assert_eq!(
            normalize(&once, None).unwrap(),
            once,
            "re-normalizing {once} changed it"
        );
        for (text, region) in [
            ("(313) 555-0123", Some(us)),
            ("+44 (0)20 7946 0958", None),
            ("00 49 30 901820", Some(Region::parse("DE").unwrap())),
        ] {
            let e164 = normalize(text, region).unwrap();
            assert_eq!(normalize(&e164, None).unwrap(), e164);
        }
    }

    /// The fixed point without the shortcut: re-parse until nothing changes.
    fn full_fixed_point(input: &str, region: Option<Region>) -> Result<String, NormalizeError> {
        let mut e164 = parse_possible(input, region)?
            .format_as(PhoneNumberFormat::E164)
            .into_owned();
        for _ in 0..MAX_PASSES {
            let next = parse_possible(&e164, None)?
                .format_as(PhoneNumberFormat::E164)
                .into_owned();
            if next == e164 {
                return Ok(e164);
            }
            e164 = next;
        }
        Err(NormalizeError::Unstable)
    }

    #[test]
    fn the_fixed_point_shortcut_agrees_with_full_iteration() {
        let regions: Vec<Region> = PHONE_NUMBER_UTIL
            .get_supported_regions()
            .map(Region)
            .collect();
        let codes: Vec<String> = regions
            .iter()
            .filter_map(|r| PHONE_NUMBER_UTIL.get_country_code_for_region(r.0))
            .map(|c| c.to_string())
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut differing = Vec::new();
        for _ in 0..60_000 {
            let digits: String = (0..4 + next(10))
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            let prefix = ["", "0", "00", "8", "80", "1", "06", "9"][next(8) as usize];
            let code = &codes[next(codes.len() as u64) as usize];
            let text = match next(5) {
                0 => format!("+{code} {prefix}{digits}"),
                1 => format!("00 {code} {prefix}{digits}"),
                2 => format!("011 {code} {prefix}{digits}"),
                3 => format!("0{prefix}{digits}"),
                _ => format!("{prefix}{digits}"),
            };
            let region = Some(regions[next(regions.len() as u64) as usize]);
            let short = normalize(&text, region);
            let full = full_fixed_point(&text, region);
            if short != full {
                differing.push((text, region, short, full));
            }
        }
        assert!(
            differing.is_empty(),
            "{:?}",
            &differing[..differing.len().min(5)]
        );
    }

    #[test]
    fn regions_parse_case_insensitively() {
        assert_eq!(Region::parse("gb").unwrap().to_string(), "GB");
        assert!(Region::parse("XX").is_err());
    }

    #[test]
    fn metadata_versions_compare_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_metadata_versions("9.0.42", "9.0.8"), Some(Greater));
        assert_eq!(compare_metadata_versions("9.0.42", "9.0.42"), Some(Equal));
        assert_eq!(compare_metadata_versions("x", "9"), None);
    }

    #[test]
    fn library_constant_matches_cargo_lock() {
        let lock = include_str!("../../Cargo.lock");
        let at = lock
            .find("name = \"rlibphonenumber\"\nversion = \"")
            .expect("in lock");
        let rest = &lock[at + "name = \"rlibphonenumber\"\nversion = \"".len()..];
        let version = &rest[..rest.find('"').unwrap()];
        assert_eq!(
            LIBRARY,
            format!("rlibphonenumber {version}"),
            "update LIBRARY and METADATA_VERSION"
        );
    }
}
