//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod generate;
pub mod model;
pub mod oracle;
pub mod smtp;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary with `args` in `cwd`.
pub fn run_binary(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_org-insights"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// Hidden entries of an output folder other than the lock file: what an
/// interrupted or failed run would have left behind.
pub fn leftovers(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with('.') && name != ".org-insights.lock")
                .collect()
        })
        .unwrap_or_default()
}
