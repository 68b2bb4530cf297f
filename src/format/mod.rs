//! The published formats, as FORMAT.md specifies them: pure encoding, decoding
//! and hashing, with no I/O and no clock.
//!
//! In data-flow order: a number is [`normalize`]d to E.164, turned into a salted
//! [`number_key`], inserted in the [`filter`]; the filter and its parameters form
//! a [`snapshot`]; a [`manifest`] points at the newest snapshot; every file is
//! signed in minisign's [`signature`] format with a trusted [`comment`]; keys
//! change through [`rotation`] statements. [`time`] holds the one canonical
//! spelling of signed times.

pub mod comment;
pub mod evaluation;
pub mod filter;
pub mod json;
pub mod manifest;
pub mod normalize;
pub mod number_key;
pub mod rotation;
pub mod sealed;
pub mod signature;
pub mod snapshot;
pub mod time;
