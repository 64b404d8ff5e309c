//! The scheduler as a person runs it: the real binary as a child process,
//! a seconds-level cron expression, JSON logs read back, SIGTERM to stop.

use crate::common;
use crate::common::Cli;

use common::leftovers;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const GOOD: &str = "account_id,email,account_type\na1,a@acme.com,managed\n";
const BAD: &str = "account_id,email,account_type\na1,a@acme.com,alien\n";

struct Daemon {
    child: Child,
    logs: Arc<Mutex<Vec<Value>>>,
}

impl Daemon {
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &["--log-format", "json", "schedule"])
    }

    /// `schedule` keeping the failure mail's state in `state`.
    fn start_in_state(dir: &Path, state: &Path) -> Self {
        Self::spawn(
            Cli::new(dir)
                .args(["--log-format", "json", "schedule"])
                .env("XDG_STATE_HOME", state)
                .env_remove("STATE_DIRECTORY"),
        )
    }

    fn start_with(dir: &Path, args: &[&str]) -> Self {
        Self::spawn(Cli::new(dir).args(args))
    }

    fn spawn(cli: Cli) -> Self {
        let mut child = cli.env("RUST_LOG", "info").spawn();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        Daemon { child, logs }
    }

    fn messages(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .filter_map(|v| v["fields"]["message"].as_str().map(str::to_string))
            .collect()
    }

    fn count(&self, message: &str) -> usize {
        self.messages().iter().filter(|m| *m == message).count()
    }

    /// Waits (up to a minute) until `message` was logged `times` times.
    fn wait_for(&self, message: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count(message) < times {
            assert!(
                Instant::now() < deadline,
                "no {times}× {message:?} in {:?}",
                self.messages()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and returns the exit code once the process is gone.
    fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        // SAFETY: kill(2) on the pid of a child this test started.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200));
                return (status.code(), self.messages());
            }
            assert!(
                Instant::now() < deadline,
                "still running 15 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Runs never overlap: every start is followed by its end before the next.
fn assert_no_overlap(messages: &[String]) {
    let mut running = false;
    for message in messages {
        match message.as_str() {
            "run started" => {
                assert!(!running, "two runs at once: {messages:?}");
                running = true;
            }
            "run finished" | "run failed" | "run abandoned: the program is stopping" => {
                running = false
            }
            _ => {}
        }
    }
}

#[test]
fn fires_every_tick_survives_a_failing_run_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/accounts.csv"), BAD).unwrap();
    std::fs::write(
        dir.path().join("org-insights.toml"),
        "[schedule]\ncron = \"* * * * * *\"\ncatch_up = false\n",
    )
    .unwrap();

    let daemon = Daemon::start(dir.path());
    daemon.wait_for("run failed", 1);
    std::fs::write(dir.path().join("data/accounts.csv"), GOOD).unwrap();
    daemon.wait_for("run finished", 2);
    // When it runs next, at start and after each run.
    daemon.wait_for("next run", 2);
    let (code, messages) = daemon.terminate();

    assert_eq!(code, Some(0), "{messages:?}");
    assert!(messages.contains(&"stopped".to_string()), "{messages:?}");
    assert_no_overlap(&messages);
    let json = std::fs::read(dir.path().join("reports/latest/insights.json")).unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["insights"]["users_with_access"]["managed"], 1);
    assert!(leftovers(&dir.path().join("reports")).is_empty());
}

#[test]
fn a_slow_run_makes_ticks_skip_and_sigterm_abandons_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/accounts.csv"), GOOD).unwrap();
    // An SMTP server that accepts connections and never says a word: each
    // run waits for it (three tries, one-second timeouts, pauses between).
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "[schedule]\ncron = \"* * * * * *\"\n\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\ntimeout_seconds = 1\nfrom = \"r@example.com\"\nto = [\"a@example.com\"]\n"
        ),
    )
    .unwrap();

    let daemon = Daemon::start(dir.path());
    daemon.wait_for("report written", 1);
    daemon.wait_for("skipped: the previous run is still going", 2);
    let (code, messages) = daemon.terminate();

    assert_eq!(code, Some(0), "{messages:?}");
    assert_no_overlap(&messages);
    assert!(dir.path().join("reports/latest/index.html").is_file());
    assert!(leftovers(&dir.path().join("reports")).is_empty());
    drop(silent);
}

#[test]
fn run_now_runs_at_start_and_catch_up_runs_when_a_run_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/accounts.csv"), GOOD).unwrap();
    // Once a year: the next tick is far away, so any run comes from the start.
    let config =
        |catch_up: bool| format!("[schedule]\ncron = \"0 0 0 1 1 *\"\ncatch_up = {catch_up}\n");

    // No report yet and catch-up on: the last scheduled run was missed.
    std::fs::write(dir.path().join("org-insights.toml"), config(true)).unwrap();
    let daemon = Daemon::start(dir.path());
    daemon.wait_for("run finished", 1);
    let (code, _) = daemon.terminate();
    assert_eq!(code, Some(0));

    // The newest report is newer than the last scheduled run: nothing to do.
    let daemon = Daemon::start(dir.path());
    daemon.wait_for("scheduler started", 1);
    std::thread::sleep(Duration::from_secs(2));
    let (_, messages) = daemon.terminate();
    assert!(
        !messages.contains(&"run started".to_string()),
        "{messages:?}"
    );

    // --run-now runs at start whatever the reports say.
    std::fs::write(dir.path().join("org-insights.toml"), config(false)).unwrap();
    let daemon = Daemon::start_with(
        dir.path(),
        &["--log-format", "json", "--run-now", "schedule"],
    );
    daemon.wait_for("run finished", 1);
    let (code, _) = daemon.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn a_failing_scheduled_run_mails_the_recipients_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::smtp::SmtpServer::start(dir.path(), &[]);
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/accounts.csv"), BAD).unwrap();
    std::fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "[schedule]\ncron = \"* * * * * *\"\ncatch_up = false\n\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"a@example.com\"]\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("state")).unwrap();

    let daemon = Daemon::start_in_state(dir.path(), &dir.path().join("state"));
    daemon.wait_for("run failed", 3);
    let (code, messages) = daemon.terminate();
    assert_eq!(code, Some(0), "{messages:?}");
    assert_eq!(
        messages
            .iter()
            .filter(|m| *m == "failure mail sent")
            .count(),
        1,
        "{messages:?}"
    );
    let mails = server.messages();
    assert_eq!(mails.len(), 1, "one failure mail for three failed runs");
    let text = String::from_utf8_lossy(&mails[0]);
    assert!(
        text.contains("Subject: org-insights: the report of "),
        "{text}"
    );
    assert!(text.contains("alien"), "{text}");
    assert!(!dir.path().join("reports/latest").exists());
}

/// contrib/org-insights.service: hardened, and a unit systemd reads
/// without a warning (its ExecStart pointed at the binary built here).
#[test]
fn the_systemd_unit_is_hardened_and_valid() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/org-insights.service"),
    )
    .unwrap();
    for line in [
        "User=org-insights",
        "ProtectSystem=strict",
        "ReadWritePaths=/srv/org-insights",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "EnvironmentFile=/etc/org-insights.env",
        "StateDirectory=org-insights",
        "ExecStart=/usr/local/bin/org-insights --config /srv/org-insights/org-insights.toml --log-format json schedule",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("env");
    std::fs::write(&env, "").unwrap();
    let here = unit
        .replace(
            "/usr/local/bin/org-insights",
            env!("CARGO_BIN_EXE_org-insights"),
        )
        .replace("/etc/org-insights.env", env.to_str().unwrap());
    let path = dir.path().join("org-insights.service");
    std::fs::write(&path, here).unwrap();
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze for this test: apt-get install systemd");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "systemd warns: {stderr}");
}
