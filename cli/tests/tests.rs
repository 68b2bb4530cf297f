//! The CLI's integration tests: one binary (as ripgrep's `tests/tests.rs`), so
//! cargo links the test harness once instead of once per file. Each module is
//! one area of behaviour; `common` runs the real binaries, `support` builds
//! realistic inputs and reads the committed vectors.

mod common;
#[path = "support/exports.rs"]
mod exports;
#[path = "support/refusal_cases.rs"]
mod refusal_cases;
#[path = "support/vectors.rs"]
mod vectors;
// The fuzz targets' own functions, replayed on stable by `fuzz_corpus`; they
// name the CLI's config parser as `crate::config`.
#[allow(dead_code)]
#[path = "../src/config.rs"]
mod config;
#[allow(dead_code)]
#[path = "../../fuzz/targets.rs"]
mod targets;

mod audit;
mod batch_check;
mod contrib;
mod encodings;
mod encrypted_keys;
mod epochs;
mod exports_sanity;
mod filter_limits;
mod fixtures;
mod fuzz_corpus;
mod generated_exports;
mod interop;
mod local_files;
mod minisig_grammar;
mod newuser_fixes;
mod nginx;
mod operations;
mod publish_verify_check;
mod real_exports;
mod refusal_vectors;
mod refusals;
mod sealed;
mod trust;
mod update;
