//! The fuzz targets' bodies, as a library for the cargo-fuzz binaries.

#[allow(dead_code)]
#[path = "../../cli/src/config.rs"]
pub mod config;
#[path = "../targets.rs"]
pub mod targets;
