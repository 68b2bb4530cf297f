//! The strict JSON that signed documents (the manifest, rotation statements)
//! must be written in (FORMAT.md §6, "JSON rules"). Two conforming readers must
//! reach the same verdict on the same signed bytes, so everything on which JSON
//! parsers disagree is refused before the document is read:
//!
//! - a byte order mark;
//! - any escape sequence (no field value needs one, and readers differ on
//!   lone surrogates and on which escapes a key may contain);
//! - a duplicate key in any object (readers keep the first, the last, or fail);
//! - a number that is not a plain non-negative integer (`1.0`, `1e3`, `-1`,
//!   `+1`), or one above 2^53 − 1 (readers that hold numbers as binary64 lose
//!   precision there);
//! - anything but one object at the top level.
//!
//! Each document's own rules (exact fields, `type` and `version`) are checked by
//! its reader afterwards.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;

/// The largest integer a signed document may hold: 2^53 − 1.
pub const MAX_JSON_INTEGER: u64 = (1 << 53) - 1;

/// Checks `bytes` against the strict JSON rules; the error says which rule failed.
pub fn check_strict(bytes: &[u8]) -> Result<(), String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err("starts with a byte order mark".into());
    }
    // A backslash can only occur inside a string in valid JSON.
    if bytes.contains(&b'\\') {
        return Err("contains an escape sequence (\\); none is allowed".into());
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = Strict::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    if !top.is_object {
        return Err("the top level is not an object".into());
    }
    Ok(())
}

/// A JSON value that has passed the strict rules; only its shape is kept.
struct Strict {
    is_object: bool,
}

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

fn scalar() -> Strict {
    Strict { is_object: false }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("strict JSON")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strict, E> {
        Ok(scalar())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Strict, E> {
        if v > MAX_JSON_INTEGER {
            return Err(E::custom(format!(
                "integer {v} is above 2^53 - 1 ({MAX_JSON_INTEGER})"
            )));
        }
        Ok(scalar())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Strict, E> {
        Err(E::custom(format!(
            "integer {v} has a sign; only plain non-negative integers are allowed"
        )))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Strict, E> {
        Err(E::custom(format!(
            "number {v} is not a plain integer (no fraction, exponent or value above 2^64)"
        )))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Strict, E> {
        Ok(scalar())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Strict, E> {
        Ok(scalar())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(scalar())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut keys = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value::<Strict>()?;
        }
        Ok(Strict { is_object: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str, why: &str) {
        let err = check_strict(text.as_bytes()).expect_err(text);
        assert!(err.contains(why), "{text}: {err}");
    }

    #[test]
    fn plain_documents_pass() {
        check_strict(br#"{"a": 1, "b": {"c": "x", "d": [true, null, 0]}}"#).unwrap();
        check_strict(format!("{{\"n\": {MAX_JSON_INTEGER}}}\n").as_bytes()).unwrap();
    }

    #[test]
    fn every_rule_refuses_its_case() {
        refused("\u{feff}{\"a\": 1}", "byte order mark");
        refused(r#"{"a": "\u0041"}"#, "escape");
        refused(r#"{"a\n": 1}"#, "escape");
        refused(r#"{"a": 1, "a": 2}"#, "duplicate key \"a\"");
        refused(r#"{"x": {"a": 1, "a": 1}}"#, "duplicate key");
        refused(r#"{"a": 1.0}"#, "not a plain integer");
        refused(r#"{"a": 1e3}"#, "not a plain integer");
        refused(r#"{"a": -1}"#, "sign");
        refused(r#"{"a": 9007199254740992}"#, "above 2^53");
        refused(r#"{"a": 18446744073709551615}"#, "above 2^53");
        refused(r#"{"a": 18446744073709551616}"#, "not a plain integer");
        refused("[1]", "not an object");
        refused(r#"{"a": 1} {}"#, "trailing");
        assert!(check_strict(br#"{"a": +1}"#).is_err());
        assert!(check_strict(br#"{"a": 01}"#).is_err());
    }
}
