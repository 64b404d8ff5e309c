//! Resource faults on a real filesystem: an output disk that fills up mid-run
//! and an output folder that turns read-only. Each gives a clear error and
//! exit code 1, and leaves the earlier report as it was.
//!
//! These tests mount a small tmpfs, which needs root: they are ignored by a
//! plain `cargo test` and run by `.ci/run` (`cargo test --test faults --
//! --ignored`).

use crate::common;
use crate::common::sample;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{leftovers, snapshot, Cli};

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        fs::create_dir(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk { path, _dir: dir }
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

fn run(out: &Path, as_of: &str) -> (Option<i32>, String) {
    let output = Cli::new(out.parent().unwrap())
        .report(sample(), out)
        .dated(as_of)
        .run();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs root to mount a tmpfs; run by .ci/run"]
fn a_disk_that_fills_up_mid_run() {
    let disk = SmallDisk::mount("2m");
    let out = disk.path.join("reports");
    assert_eq!(run(&out, "2026-11-09").0, Some(0));
    let before = snapshot(&out);
    // Leave room for a few files, not for a whole report.
    let free = free_bytes(&disk.path);
    fs::write(
        disk.path.join("filler"),
        vec![0u8; free.saturating_sub(60 * 1024) as usize],
    )
    .unwrap();

    let (code, stderr) = run(&out, "2026-11-10");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(snapshot(&out), before, "the earlier report is untouched");
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
#[ignore = "needs root to mount a tmpfs; run by .ci/run"]
fn an_output_folder_that_turns_read_only() {
    let disk = SmallDisk::mount("4m");
    let out = disk.path.join("reports");
    assert_eq!(run(&out, "2026-11-09").0, Some(0));
    let before = snapshot(&out);
    disk.remount_read_only();

    let (code, stderr) = run(&out, "2026-11-10");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert_eq!(snapshot(&out), before);
}

/// Free bytes of the filesystem holding `path`.
fn free_bytes(path: &Path) -> u64 {
    let output = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

#[test]
fn a_data_file_deleted_or_truncated_while_the_run_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let generated = Cli::new(dir.path())
        .args([
            "generate",
            "--accounts",
            "2000",
            "--events",
            "300000",
            "--format",
            "csv",
            "--out",
            "data",
        ])
        .run();
    assert_eq!(generated.status.code(), Some(0));
    let out = dir.path().join("out");
    let first = Cli::new(dir.path()).report("data", "out").run();
    assert_eq!(first.status.code(), Some(0));
    let before = snapshot(&out);

    for (trial, delay) in [0, 50, 150, 400, 0, 50, 150, 400].into_iter().enumerate() {
        fs::copy(data.join("activity.csv"), dir.path().join("activity.copy")).unwrap();
        let child = Cli::new(dir.path())
            .report("data", "out")
            .dated("2026-10-31")
            .spawn();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if trial % 2 == 0 {
            fs::remove_file(data.join("activity.csv")).unwrap();
        } else {
            // Cut in the middle of a record, as an interrupted copy leaves it.
            let file = fs::OpenOptions::new()
                .write(true)
                .open(data.join("activity.csv"))
                .unwrap();
            let length = file.metadata().unwrap().len();
            file.set_len(length / 2 + 7).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            // Read before the change: a whole report.
            Some(0) => assert!(out.join("2026-10-31/index.html").is_file()),
            // Changed under it: a clear error naming the file, nothing written.
            Some(1) | Some(2) => {
                assert!(stderr.contains("activity"), "{stderr}");
                let now = snapshot(&out);
                for (path, bytes) in &before {
                    // An earlier trial that read the file whole rewrote
                    // these: the report of the day, history and the archive.
                    if !path.starts_with(out.join("2026-10-31"))
                        && !path.ends_with("history.csv")
                        && !path.ends_with("latest")
                        && *path != out.join("index.html")
                    {
                        assert_eq!(now.get(path), Some(bytes), "{} changed", path.display());
                    }
                }
            }
            other => panic!("exit {other:?}: {stderr}"),
        }
        fs::rename(dir.path().join("activity.copy"), data.join("activity.csv")).unwrap();
    }
    assert_eq!(leftovers(&out), Vec::<String>::new());
}
