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
use std::time::{Duration, Instant};

/// How long one run of the binary may take before the test fails: a hang
/// fails the test rather than stalling CI.
const DEADLINE: Duration = Duration::from_secs(600);

/// The real binary as a person runs it, in a folder of the test:
/// `Cli::new(dir).args(["run", "--email"]).env("K", "v").run().code(3).stderr_has("535")`.
pub struct Cli {
    command: Command,
    deadline: Duration,
}

impl Cli {
    /// The binary in `dir`, logging warnings only.
    pub fn new(dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_org-insights"));
        command.current_dir(dir).env("RUST_LOG", "warn");
        Cli {
            command,
            deadline: DEADLINE,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// `run --data data --out out`, the report of a bundle.
    pub fn report(self, data: impl AsRef<OsStr>, out: impl AsRef<OsStr>) -> Self {
        let (data, out) = (data.as_ref().to_owned(), out.as_ref().to_owned());
        self.args([
            OsStr::new("run"),
            OsStr::new("--data"),
            &data,
            OsStr::new("--out"),
            &out,
        ])
    }

    /// `--as-of day`: the report date.
    pub fn dated(self, day: &str) -> Self {
        self.args(["--as-of", day])
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Fails the test when the run takes longer than `limit`.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = limit;
        self
    }

    /// Starts the binary and returns at once (a daemon, or a run the test
    /// races or kills): standard output discarded, standard error piped
    /// for the test to read.
    pub fn spawn(mut self) -> Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs")
    }

    /// Runs to the end (or the deadline) and keeps what it printed.
    pub fn run(mut self) -> Ran {
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > self.deadline {
                let _ = child.kill();
                panic!("{:?} still running after {:?}", self.command, self.deadline);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran(Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        })
    }
}

/// A finished run of the binary; derefs to its [`Output`].
pub struct Ran(pub Output);

impl std::ops::Deref for Ran {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.0
    }
}

impl Ran {
    /// Asserts the exit code, showing standard error when it differs.
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(self.status.code(), Some(expected), "{}", self.stderr_text());
        self
    }

    /// Asserts success (exit code 0).
    pub fn ok(self) -> Self {
        self.code(0)
    }

    /// Asserts that standard error holds `needle`.
    pub fn stderr_has(self, needle: &str) -> Self {
        let text = self.stderr_text();
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
        self
    }

    /// Asserts that standard output holds `needle`.
    pub fn stdout_has(self, needle: &str) -> Self {
        let out = self.stdout_text();
        assert!(out.contains(needle), "stdout lacks {needle:?}:\n{out}");
        self
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// The bundled sample bundle, fixtures/sample, as a path.
/// The columns of activity, in the contract's order.
pub const ACTIVITY_COLUMNS: [&str; 8] = [
    "date",
    "account_id",
    "product",
    "site",
    "surface",
    "action",
    "success",
    "count",
];

pub fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sample")
        .display()
        .to_string()
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

/// Fails naming the file when any file below `folders` holds `secret`.
pub fn assert_no_file_holds(folders: &[&Path], secret: &str) {
    for folder in folders {
        for (file, bytes) in snapshot(folder) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{} holds the secret",
                file.display()
            );
        }
    }
}

/// Each file of `dir` (not below it), by name, with its bytes, sorted.
pub fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// A CSV the program wrote for people, without the UTF-8 BOM it must
/// start with (so that Excel reads it as UTF-8).
pub fn csv_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or_else(|| panic!("{} starts with a UTF-8 BOM", path.display()));
    String::from_utf8(text.to_vec()).unwrap()
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
