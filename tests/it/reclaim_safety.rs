//! `reclaim --apply` and `--undo` under the faults a real API shows, against
//! the stateful stand-in (tests/stand-ins/atlassian_admin.py): a lost
//! answer, a 409 on a repeat, a slow reply, an account used between plan
//! and apply, two applies at once, a damaged ledger, a cap of 0, an undo
//! of an earlier day that reads each account first, and no secret in any
//! file.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::reclaim::{
    config, idle_five, reclaim, shift_ledger_a_day_back, ten_accounts, KEY, KEY_ENV,
};
use crate::common::atlassian::ApiServer;
use crate::common::Cli;

/// A folder with the ten accounts, the stand-in serving `extra` besides
/// i1 to i5, and reclaim switched on with caps that do not get in the way.
fn setup(extra: Value) -> (tempfile::TempDir, ApiServer) {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let mut scenario = json!({"key": KEY, "org": "o1", "users": idle_five()});
    for (key, value) in extra.as_object().unwrap() {
        scenario[key] = value.clone();
    }
    let api = ApiServer::admin(dir.path(), &scenario);
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 5\nmax_percent = 100",
        Some(&api),
    );
    (dir, api)
}

fn ledger(dir: &Path) -> Vec<Value> {
    fs::read_to_string(dir.join("out/reclaim/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The phase and detail of each ledger entry of `account` (with its
/// directory).
fn steps_of(dir: &Path, account: &str) -> Vec<(String, String, String)> {
    ledger(dir)
        .iter()
        .filter(|e| e["account_id"] == account)
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (text("directory_id"), text("phase"), text("detail"))
        })
        .collect()
}

#[test]
fn a_lost_answer_is_settled_by_reading_never_by_sending_again() {
    // i1's first suspend is done but its connection dropped; i2's is done
    // but answered 502. Sent again, either would get a 409.
    let (dir, api) = setup(json!({"drop_after_suspend": ["i1"], "error_after_suspend": ["i2"]}));
    reclaim(dir.path(), &["--apply"]).ok();
    assert_eq!(
        api.actions("suspend"),
        ["i1", "i1", "i2", "i2", "i3", "i3", "i4", "i4", "i5", "i5"],
        "each account asked once per directory"
    );
    let i1 = steps_of(dir.path(), "i1");
    assert!(
        i1.iter().any(|(d, phase, detail)| d == "d1"
            && phase == "done"
            && detail.contains("a read found it suspended")),
        "{i1:?}"
    );
    let i2 = steps_of(dir.path(), "i2");
    assert!(
        i2.iter()
            .any(|(d, phase, detail)| d == "d1" && phase == "done" && detail.contains("502")),
        "{i2:?}"
    );
    // Recorded as done, so today's undo restores them.
    let today = chrono::Utc::now().date_naive().to_string();
    reclaim(dir.path(), &["--undo", &today]).ok();
    let mut restored = api.actions("restore");
    restored.sort();
    assert_eq!(restored.len(), 10);
    assert_eq!(&restored[..4], ["i1", "i1", "i2", "i2"]);
}

#[test]
fn a_409_is_settled_by_reading_and_an_account_used_since_the_plan_is_skipped() {
    let (dir, api) = setup(json!({}));
    // Someone suspended i1 in d1 and i2 signed in after the plan's data.
    api.someone_else("suspend", "i1", Some("d1"));
    api.someone_else("activate", "i2", None);
    let ran = reclaim(dir.path(), &["--apply"]).ok();
    ran.stdout_has("skipped i2: active since the plan");
    assert_eq!(
        api.actions("suspend").iter().filter(|a| *a == "i2").count(),
        0
    );
    // i1 in d1 answered 409; the read found it suspended: done, not refused.
    let i1 = steps_of(dir.path(), "i1");
    assert!(
        i1.iter()
            .any(|(d, phase, detail)| d == "d1" && phase == "done" && detail.contains("409")),
        "{i1:?}"
    );
}

#[test]
fn two_applies_at_once_ask_each_account_once_and_the_second_is_refused() {
    let (dir, api) = setup(json!({"slow": {"i1": 2.0}}));
    let mut first = Cli::new(dir.path())
        .args(["reclaim", "--as-of", "2026-11-30", "--apply"])
        .env(KEY_ENV, KEY)
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.actions("suspend").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first apply never reached i1"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    reclaim(dir.path(), &["--apply"])
        .code(2)
        .stderr_has("no other reclaim --apply or --undo at the same time: process")
        .stderr_has("nothing was sent");
    assert!(first.wait().unwrap().success());
    let suspended = api.actions("suspend");
    assert_eq!(suspended.len(), 10, "{suspended:?}");
    assert_eq!(suspended.iter().filter(|a| *a == "i1").count(), 2);
}

#[test]
fn a_damaged_ledger_stops_before_any_request_and_a_torn_last_line_is_set_aside() {
    let (dir, api) = setup(json!({}));
    let folder = dir.path().join("out/reclaim");
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("ledger.jsonl"),
        "{\"at\":\"2026-12-01T06:00:00Z\",\"action\":\"suspend\",\"phase\":\"intent\",\"account_id\":\"x\"}\n\
         this is not an entry\n\
         {\"at\":\"2026-12-01T06:00:01Z\",\"action\":\"suspend\",\"phase\":\"done\",\"account_id\":\"x\"}\n",
    )
    .unwrap();
    for args in [&["--apply"][..], &["--undo", "2026-12-01"]] {
        reclaim(dir.path(), args)
            .code(2)
            .stderr_has("ledger.jsonl: line 2")
            .stderr_has("nothing was sent");
    }
    assert!(api.requests().is_empty(), "not even a read");

    // A torn last line (a crash mid-write) is set aside and the apply goes on.
    fs::write(folder.join("ledger.jsonl"), "{\"at\":\"2026-12-01T06:0").unwrap();
    reclaim(dir.path(), &["--apply"]).ok();
    assert_eq!(api.actions("suspend").len(), 10);
    let aside = fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("ledger.torn-"))
        .count();
    assert_eq!(aside, 1);
    assert!(ledger(dir.path()).len() >= 20);
}

#[test]
fn a_cap_of_zero_is_refused_in_words_and_the_schedule_without_enabled_sends_nothing() {
    let (dir, api) = setup(json!({}));
    // 2 % of ten accounts with access is 0.2: no suspension allowed.
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 20\nmax_percent = 2",
        Some(&api),
    );
    reclaim(dir.path(), &["--apply"])
        .code(2)
        .stderr_has("the plan names 5 account(s), but the cap is at most 0 a day")
        .stderr_has("max_percent = 2 of 10 accounts with access allows 0, max_per_run = 20");
    assert!(api.requests().is_empty());

    config(
        dir.path(),
        "enabled = false\non_schedule = true\nmax_percent = 100",
        Some(&api),
    );
    Cli::new(dir.path())
        .args(["--run-now"])
        .env(KEY_ENV, KEY)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .run()
        .ok();
    assert!(
        api.requests().is_empty(),
        "the scheduled apply needs enabled = true"
    );
    assert!(dir.path().join("out/latest/index.html").exists());
}

#[test]
fn undo_of_an_earlier_day_reads_each_account_first_and_names_what_it_leaves() {
    let (dir, api) = setup(json!({}));
    reclaim(dir.path(), &["--apply"]).ok();
    shift_ledger_a_day_back(dir.path());
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    // Since then: i1 deactivated, i2 removed from d1, i3 restored in both
    // directories by another admin.
    api.someone_else("deactivate", "i1", None);
    api.someone_else("remove", "i2", Some("d1"));
    api.someone_else("restore", "i3", None);
    // Today's undo finds nothing of today's.
    let today = chrono::Utc::now().date_naive().to_string();
    reclaim(dir.path(), &["--undo", &today]).ok();
    assert!(api.actions("restore").is_empty());

    reclaim(dir.path(), &["--undo", &yesterday])
        .ok()
        .stdout_has("left out i1: deactivated since: not restored")
        .stdout_has("left out i3: restored by someone else since");
    let mut restored = api.actions("restore");
    restored.sort();
    // i2 in d2 (d1 is gone: left out), i4 and i5 in both.
    assert_eq!(restored, ["i2", "i4", "i4", "i5", "i5"]);
}

#[test]
fn a_directory_gone_mid_apply_and_an_account_not_in_the_organization_are_said() {
    // "ghost" has access in the bundle but is not in the organization.
    let (dir, api) = setup(json!({"slow": {"i1": 1.5}}));
    let accounts = dir.path().join("data/accounts.csv");
    let mut text = fs::read_to_string(&accounts).unwrap();
    text.push_str("ghost,ghost@acme.com,managed\n");
    fs::write(&accounts, text).unwrap();
    let access = dir.path().join("data/product_access.csv");
    let mut text = fs::read_to_string(&access).unwrap();
    text.push_str("ghost,jira,s1\n");
    fs::write(&access, text).unwrap();
    let mut apply = Cli::new(dir.path())
        .args(["reclaim", "--as-of", "2026-11-30", "--apply"])
        .env(KEY_ENV, KEY)
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.actions("suspend").is_empty() {
        assert!(Instant::now() < deadline, "the apply never reached i1");
        std::thread::sleep(Duration::from_millis(20));
    }
    // While i1's suspension in d1 takes its time, i1 leaves d2.
    api.someone_else("remove", "i1", Some("d2"));
    assert!(apply.wait().unwrap().success());
    let i1 = steps_of(dir.path(), "i1");
    assert!(
        i1.iter()
            .any(|(d, phase, detail)| d == "d2" && phase == "gone" && detail == "404"),
        "{i1:?}"
    );
    let ghost = steps_of(dir.path(), "ghost");
    assert_eq!(
        ghost,
        [(
            String::new(),
            "skipped".into(),
            "not in the organization".into()
        )]
    );
}

#[test]
fn apply_acts_only_on_the_plan_file_it_is_given_and_the_ledger_names_it() {
    let (dir, api) = setup(json!({}));
    let plan = dir.path().join("reviewed-plan.csv");
    fs::write(
        &plan,
        "account_id,email,products,last_active_per_product,last_active,days_idle,why\n\
         i3,i3@acme.com,jira,jira never,,,never viewed any of its products\n",
    )
    .unwrap();
    reclaim(dir.path(), &["--apply", "--plan", plan.to_str().unwrap()]).ok();
    assert_eq!(api.actions("suspend"), ["i3", "i3"]);
    let sha = std::process::Command::new("sha256sum")
        .arg(&plan)
        .output()
        .unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap();
    let sha = sha.split_whitespace().next().unwrap();
    let done: Vec<Value> = ledger(dir.path())
        .into_iter()
        .filter(|e| e["phase"] == "done")
        .collect();
    assert_eq!(done.len(), 2);
    for entry in &done {
        assert_eq!(entry["plan"], "reviewed-plan.csv");
        assert_eq!(entry["plan_sha256"], sha);
        assert_eq!(entry["reason"], "never viewed any of its products");
        assert_eq!(entry["email"], "i3@acme.com");
    }
    // A plan written ten days ago is refused before any request.
    let old = SystemTimeAgo::days(10);
    fs::File::options()
        .write(true)
        .open(&plan)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let before = api.requests().len();
    reclaim(dir.path(), &["--apply", "--plan", plan.to_str().unwrap()])
        .code(2)
        .stderr_has("this one is 10 days old");
    assert_eq!(api.requests().len(), before);
    // No file under the output folder or the bundle holds the key.
    crate::common::assert_no_file_holds(&[&dir.path().join("out"), &dir.path().join("data")], KEY);
}

/// A time some days ago, for a file's modification time.
struct SystemTimeAgo;

impl SystemTimeAgo {
    fn days(days: u64) -> std::time::SystemTime {
        std::time::SystemTime::now() - Duration::from_secs(days * 86_400)
    }
}

#[test]
fn org_admins_are_spared_unless_the_admin_includes_them() {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let accounts = dir.path().join("data/accounts.csv");
    let text = fs::read_to_string(&accounts).unwrap();
    let with_admin: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},org_admin"),
            _ if line.starts_with("i1,") => format!("{line},true"),
            _ => format!("{line},false"),
        })
        .collect();
    fs::write(&accounts, with_admin.join("\n") + "\n").unwrap();
    config(dir.path(), "idle_days = 90", None);
    let plan = |dir: &Path| {
        reclaim(dir, &[]).ok();
        fs::read_to_string(dir.join("out/reclaim/plan-2026-11-30.csv")).unwrap()
    };
    let spared = plan(dir.path());
    assert!(!spared.contains("\ni1,"), "{spared}");
    assert_eq!(spared.lines().count(), 5, "i2 to i5 and the header");
    config(dir.path(), "idle_days = 90\ninclude_admins = true", None);
    assert!(plan(dir.path()).contains("\ni1,"));
}
