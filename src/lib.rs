//! hushlist: check phone numbers against a signed, salted Bloom-filter snapshot
//! without the numbers ever leaving the machine.
//!
//! The pure core ([`normalize`], [`number_key`], [`filter`], [`snapshot`],
//! [`signature`], [`manifest`], [`verify`], [`check`]) does no I/O;
//! [`published`] reads and writes published directories.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
pub mod check;
pub mod filter;
pub mod input;
pub mod key_cache;
pub mod manifest;
pub mod normalize;
pub mod number_key;
pub mod publish;
pub mod published;
pub mod report;
pub mod rotation;
pub mod signature;
pub mod snapshot;
pub mod state;
pub mod time;
pub mod transport;
pub mod update;
pub mod vectors;
pub mod verify;
