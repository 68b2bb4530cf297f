//! A company's client: the local state (pinned keys, installed snapshot, what
//! has been seen), the transports that fetch published files, the update that
//! verifies and installs them, and the cache of per-number keys used by checks.

pub mod key_cache;
pub mod private;
pub mod sources;
pub mod state;
pub mod transport;
pub mod update;
