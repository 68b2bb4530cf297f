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

/// Normalization scheme 1: libphonenumber parsing with an optional default
/// region, extensions dropped, formatted as E.164 (`+` and digits only).
pub const SCHEME: u16 = 1;

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The field is empty or only white space.
    #[error("empty")]
    Empty,
    /// The number has no `+` or international prefix and no default region was given.
    #[error("national format without a country code; give a default region (--region)")]
    NeedsRegion,
    /// The country calling code does not exist.
    #[error("unknown country calling code")]
    InvalidCountryCode,
    /// Letters or symbols where digits were expected.
    #[error("not a phone number")]
    NotANumber,
    /// Too few digits for any number of that country.
    #[error("too short for a phone number of that country")]
    TooShort,
    /// Too many digits for any number of that country.
    #[error("too long for a phone number of that country")]
    TooLong,
    /// A length no number of that country has, or a local number without its area code.
    #[error("not a possible length for that country (missing area code?)")]
    ImpossibleLength,
}

/// Normalizes `input` to E.164 (`+13135550123`).
///
/// Accepts what people type and export: national and international formats,
/// `tel:` URIs, `00`/`011` prefixes, extensions (dropped), non-ASCII digits,
/// spaces and punctuation. A number must have a possible length for its
/// country; full validity (whether the range is allocated) is not required,
/// because allocation data changes between metadata versions and a stricter
/// rule would turn a listed number into a silent miss.
pub fn normalize(input: &str, region: Option<Region>) -> Result<String, NormalizeError> {
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
        Ok(rlibphonenumber::NumberLengthType::IsPossible) => {}
        Ok(_) => return Err(NormalizeError::ImpossibleLength),
        Err(ValidationError::InvalidCountryCode) => return Err(NormalizeError::InvalidCountryCode),
        Err(ValidationError::TooShort) => return Err(NormalizeError::TooShort),
        Err(ValidationError::TooLong) => return Err(NormalizeError::TooLong),
        Err(_) => return Err(NormalizeError::ImpossibleLength),
    }
    Ok(number.format_as(PhoneNumberFormat::E164).into_owned())
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
