//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod atlassian;
pub mod generate;
pub mod mail_auth;
pub mod model;
pub mod oracle;
pub mod smtp;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Runs the real binary with `args` in `cwd`.
pub fn run_binary(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_org-insights"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// Runs the real binary with `args` in `cwd` and asserts that it succeeded,
/// showing its standard error when it did not.
pub fn run_ok(cwd: &Path, args: &[&str]) -> Output {
    let output = run_binary(cwd, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A JSON file, such as a report's insights.json.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
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

/// Every file and link below `dir` with its bytes (a link: its target), to
/// compare a folder before and after a run. The lock file holds the pid of
/// the last writer, not a report, and is left out.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                files.insert(path, target.into_os_string().into_encoded_bytes());
            } else if meta.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".org-insights.lock") {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path, bytes);
            }
        }
    }
    files
}

/// The raw messages in the `new` folder of a Maildir.
pub fn maildir_messages(maildir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect()
}

/// Starts the Python stand-in `tests/stand-ins/<script>` with `args` and
/// returns it with the first line it prints (the ports it listens on).
pub fn start_stand_in<S: AsRef<OsStr>>(script: &str, args: &[S]) -> (Child, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stand-ins")
        .join(script);
    let mut child = Command::new("python3")
        .arg(path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the stand-in (and pip's aiosmtpd for mail)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}
