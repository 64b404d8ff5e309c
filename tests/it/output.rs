//! What a run leaves on disk: private permissions, no leftovers of an
//! interrupted run, and one writer at a time.

use crate::common;

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{leftovers, Cli};

fn bundle(dir: &Path) {
    fs::create_dir_all(dir.join("data")).unwrap();
    fs::write(
        dir.join("data/accounts.csv"),
        "account_id,email,account_type\na1,a@acme.com,managed\n",
    )
    .unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn reports_are_private_to_their_owner() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    let day = dir.path().join("out/2026-01-01");
    assert_eq!(mode(&dir.path().join("out")), 0o700);
    assert_eq!(mode(&day), 0o700);
    assert_eq!(mode(&day.join("charts")), 0o700);
    for file in [
        "index.html",
        "insights.json",
        "data/users_with_access.csv",
        "charts/domains.svg",
    ] {
        assert_eq!(mode(&day.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&dir.path().join("out/history.csv")), 0o600);
}

#[test]
fn leftovers_of_an_interrupted_run_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let out = dir.path().join("out");
    fs::create_dir_all(out.join(".2026-01-01.tmp-99999-1/charts")).unwrap();
    fs::write(out.join(".2026-01-01.tmp-99999-1/index.html"), "half").unwrap();
    fs::write(out.join(".history.csv.tmp-99999-1"), "half").unwrap();
    std::os::unix::fs::symlink("2025-12-31", out.join(".latest.tmp-99999-1")).unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn a_second_writer_waits_for_the_first() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    // Another writer holds the lock.
    let lock = fs::File::create(out.join(".org-insights.lock")).unwrap();
    // SAFETY: flock on a file this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let mut child = Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .spawn();
    // The run says it waits, and keeps waiting while the lock is held.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("another run is writing to this folder: waiting") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the run ended without waiting"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run did not wait for the lock"
    );
    assert!(!out.join("2026-01-01").exists());
    // Released: the run goes on and publishes.
    drop(lock);
    assert!(child.wait().unwrap().success());
    assert!(out.join("2026-01-01/index.html").is_file());
}

#[test]
fn a_shared_output_folder_is_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    fs::write(
        dir.path().join("org-insights.toml"),
        "[output]\nprivate = false\n",
    )
    .unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    let day = dir.path().join("out/2026-01-01");
    assert_eq!(mode(&day), 0o755);
    assert_eq!(mode(&day.join("index.html")), 0o644);
}

#[test]
fn logs_at_info_level_name_no_person() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample");
    let output = Cli::new(dir.path())
        .args(["--log-format", "json", "run", "--out", "out", "--data"])
        .args([&sample])
        .env("RUST_LOG", "info")
        .run()
        .ok();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains("report written"), "{logs}");
    let accounts = fs::read_to_string(sample.join("accounts.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(accounts.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        // account_id, email and name of every account.
        for cell in [&record[1], &record[2], &record[3]] {
            let cell = cell.trim();
            if cell.len() > 2 {
                assert!(!logs.contains(cell), "{cell:?} in the logs");
            }
        }
    }
}
