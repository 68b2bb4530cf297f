//! hushlist: check phone numbers against a signed, salted Bloom-filter snapshot
//! without the numbers ever leaving the machine.
//!
//! Programs start with [`List`]: open and verify a published directory (or the
//! snapshot `hushlist update` installed), then check strings or a whole CSV.
//!
//! ```no_run
//! use hushlist::{CheckOptions, List, Region};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let list = List::open("site/", "hushlist.pub")?; // signature, digest, expiry, fill
//! let options = CheckOptions::default().with_regions([Region::parse("US")?]);
//! let outcome = list.check_numbers(["(313) 555-0101", "+44 20 7946 0958"], &options)?;
//! for finding in &outcome.matches {
//!     println!("possible match: {} on {} row(s)", finding.e164, finding.occurrences.len());
//! }
//! let inventory = std::io::BufReader::new(std::fs::File::open("inventory.csv")?);
//! let outcome = list.check_reader(inventory, "inventory.csv", &options)?;
//! println!("{} rows, {} possible matches", outcome.rows, outcome.matches.len());
//! # Ok(())
//! # }
//! ```
//!
//! Where to start:
//! - [`List`]: a verified list, from a published directory, the installed
//!   snapshot, or bytes in memory ([`List::from_bytes`]); `check_numbers`,
//!   `check_reader`, or [`List::start_check`] for a [`CheckRun`] with
//!   progress reports, a cancel flag and its own thread count;
//!   [`CheckRun::column`] gives one [`CellVerdict`] per cell of a data-frame
//!   column, from the same pass as the findings (the Python package's
//!   `check_column`).
//! - [`Outcome`]: what a check found; it serializes with serde, and each
//!   [`Problem`] has a [`ProblemKind`] to branch on.
//! - [`Publisher`]: the next publication of a directory (chain, salt epoch,
//!   key history, signing order), and [`publisher::read_list`] for the list.
//! - [`audit::audit`]: a whole history, as an auditor checks it.
//!
//! The modules follow the data flow. [`format`](mod@format) is the pure core (normalization,
//! number keys, filter, snapshot, signatures, manifest, rotation statements);
//! [`files`] is the bottom layer for private files and directories (owner-only,
//! no links followed); [`verify`] runs the named verification steps over bytes
//! and holds the policy and its limits; [`published`] reads and writes
//! published directories; [`publish`] builds and signs snapshots, and
//! [`Publisher`] decides what the next publication is (chain, salt epoch, key
//! history); [`key_cache`] keeps per-number keys between runs, for checks and
//! builds alike; [`client`] keeps a company's local state and updates it (HTTP
//! behind the `http` feature); [`check`] reads inventories, looks numbers up
//! and renders reports; [`audit`] walks a directory's whole history. Nothing here prints,
//! parses command lines or draws progress bars: the `hushlist` and
//! `hushlist-publish` programs do that on top.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
pub mod check;
pub mod client;
// Plumbing the workspace's programs, tests and benchmarks share: private
// files, the key cache, and building a snapshot by hand. Programs publish
// through `Publisher` and check through `List`.
#[doc(hidden)]
pub mod files;
pub mod format;
#[doc(hidden)]
pub mod key_cache;
mod list;
#[doc(hidden)]
pub mod publish;
pub mod published;
pub mod publisher;
pub mod verify;

pub use check::column::{CellStatus, CellVerdict};
pub use check::{CheckError, CheckRun, KeyCacheChoice, Progress};
pub use check::{CheckOptions, Finding, Occurrence, Outcome, Problem, ProblemKind, SourceSummary};
pub use format::normalize::Region;
pub use format::signature::PublicKey;
pub use list::{List, OpenError};
pub use published::Files;
pub use publisher::{Publisher, PublisherError};
pub use verify::{Keyring, Limits, Policy, Staleness};
