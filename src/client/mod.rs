//! A company's client: the local state (pinned keys, installed snapshot, what
//! has been seen), the transports that fetch published files, the update that
//! verifies and installs them. (The key cache, which the publisher uses too,
//! is [`crate::key_cache`]; private files are [`crate::files`].)

#[cfg(feature = "http")]
pub mod evaluation;
pub mod mirror;
pub mod sources;
pub mod state;
pub mod transport;
pub mod update;
