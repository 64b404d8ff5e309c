//! SIGKILL at random points of many runs: afterwards `latest` points at a
//! complete report, every report directory is complete, history.csv parses,
//! and the next run clears whatever a killed run left half-written.

use crate::common;
use crate::common::Cli;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::leftovers;

const TRIALS: u64 = 40;

fn assert_complete(day: &Path) {
    let json = fs::read(day.join("insights.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        json["insights"].as_object().unwrap().len(),
        13,
        "{}",
        day.display()
    );
    let html = fs::read_to_string(day.join("index.html")).unwrap();
    assert!(html.trim_end().ends_with("</html>"), "{}", day.display());
    // One chart and one CSV per insight with figures; changes.csv,
    // seat-reclaim.csv, security_changes.csv, the accounts to fix of each
    // control and the API tokens to look at.
    let insights = json["insights"].as_object().unwrap();
    let with_figures = insights.values().filter(|v| !v.is_null()).count();
    assert_eq!(
        fs::read_dir(day.join("charts")).unwrap().count(),
        with_figures
    );
    let controls = fs::read_dir(day.join("data"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with("-accounts.csv")
        })
        .count();
    assert_eq!(
        controls, 4,
        "managed_authentication, external_two_step, external_policy, api_tokens"
    );
    assert_eq!(
        fs::read_dir(day.join("data")).unwrap().count(),
        with_figures + 3 + controls
    );
    assert!(day.join("snapshot.parquet").exists(), "{}", day.display());
}

fn assert_consistent(out: &Path) {
    if let Ok(target) = fs::read_link(out.join("latest")) {
        assert_complete(&out.join(target));
    }
    for entry in fs::read_dir(out).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.len() == 10 && name.starts_with("20") {
            assert_complete(&entry.path());
        }
    }
    if out.join("history.csv").exists() {
        let mut reader = csv::Reader::from_path(out.join("history.csv")).unwrap();
        assert_eq!(reader.headers().unwrap().get(0), Some("as_of"));
        for record in reader.records() {
            record.unwrap();
        }
    }
}

#[test]
fn killed_runs_never_leave_a_broken_report() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample");
    let out = dir.path().join("out");
    // How long a whole run takes here: kills land at random points of it.
    let started = std::time::Instant::now();
    let warm_up = Cli::new(dir.path())
        .report(&sample, dir.path().join("warm-up"))
        .env("RUST_LOG", "off")
        .run();
    assert!(warm_up.status.success());
    let run_ms = (started.elapsed().as_millis() as u64).max(20);

    let mut rng = fastrand::Rng::with_seed(11);
    let mut killed_mid_run = 0;
    for trial in 0..TRIALS {
        // Several dates, so runs both create and replace reports.
        let as_of = format!("2026-11-{:02}", 8 + trial % 3);
        let mut child = Cli::new(dir.path())
            .report(&sample, &out)
            .dated(&as_of)
            .env("RUST_LOG", "off")
            .spawn();
        std::thread::sleep(Duration::from_millis(rng.u64(0..run_ms)));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        if out.exists() {
            assert_consistent(&out);
        }
    }
    assert!(
        killed_mid_run >= TRIALS / 4,
        "only {killed_mid_run} runs were killed mid-run"
    );
    // A run after all that finishes and leaves nothing behind.
    let output = common::Cli::new(dir.path())
        .report(&sample, "out")
        .dated("2026-11-10")
        .run();
    assert_eq!(output.status.code(), Some(0));
    assert_consistent(&out);
    assert_eq!(leftovers(&out), Vec::<String>::new());
}
