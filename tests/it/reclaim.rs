//! `org-insights reclaim` against a stateful loopback stand-in of
//! Atlassian's API (tests/stand-ins/atlassian_admin.py): the plan's rule
//! case by case, worked out by hand; the refusal without `enabled`; the
//! caps over several applies; a SIGKILL between two suspensions and the
//! rerun; undo; a 403 and a 429.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::atlassian::ApiServer;
use crate::common::Cli;

pub(crate) const KEY: &str = "reclaim-key-5e1f";
pub(crate) const KEY_ENV: &str = "TEST_RECLAIM_KEY";

/// The plan's cases, as of 2026-11-30 with idle_days = 90 (the cut-off is
/// 2026-09-01): who is in the plan and who is not, and why.
fn cases_bundle(data: &Path) {
    fs::create_dir_all(data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type,status,added_on\n\
         act,act@acme.com,managed,active,2025-01-01\n\
         one,one@acme.com,managed,active,2025-01-01\n\
         idle,idle@acme.com,managed,active,2025-01-01\n\
         never,never@acme.com,managed,active,\n\
         new,new@acme.com,managed,active,2026-11-01\n\
         susp,susp@acme.com,managed,suspended,2025-01-01\n\
         exc,exc@acme.com,managed,active,2025-01-01\n\
         ext,ext@partner.io,external,active,2025-01-01\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site\nact,jira,s1\none,jira,s1\none,confluence,s1\nidle,jira,s1\nnever,jira,s1\nnew,jira,s1\nsusp,jira,s1\nexc,jira,s1\next,trello,t1\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product\n2026-11-20,act,jira\n2026-11-25,one,jira\n2026-07-01,idle,jira\n2026-06-01,exc,jira\n2026-11-28,ext,trello\n2026-06-15,susp,jira\n",
    )
    .unwrap();
}

pub(crate) fn config(dir: &Path, reclaim: &str, api: Option<&ApiServer>) {
    let atlassian = api
        .map(|s| {
            format!(
                "[atlassian]\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n",
                s.base_url()
            )
        })
        .unwrap_or_default();
    fs::write(
        dir.join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[reclaim]\n{reclaim}\n{atlassian}\n\
             [[exceptions]]\naccount = \"exc\"\nreason = \"break-glass\"\nowner = \"IT\"\nexpires = 2099-01-01\n"
        ),
    )
    .unwrap();
}

pub(crate) fn reclaim(dir: &Path, args: &[&str]) -> crate::common::Ran {
    Cli::new(dir)
        .args(["reclaim", "--as-of", "2026-11-30"])
        .args(args)
        .env(KEY_ENV, KEY)
        .run()
}

#[test]
fn the_plan_holds_exactly_the_idle_accounts_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    cases_bundle(&dir.path().join("data"));
    config(dir.path(), "idle_days = 90", None);
    let ran = reclaim(dir.path(), &[]).ok();
    // act and one viewed a product lately (one only jira: "any of its
    // products"); new was added 29 days ago; susp has no access; exc is
    // excepted; ext's external Trello use counts.
    let plan = crate::common::csv_text(&dir.path().join("out/reclaim/plan-2026-11-30.csv"));
    assert_eq!(
        plan,
        "account_id,email,products,last_active_per_product,last_active,days_idle,why\n\
         never,never@acme.com,jira,jira never,,,never viewed any of its products\n\
         idle,idle@acme.com,jira,jira 2026-07-01,2026-07-01,152,no view of any of its products in 152 days (last 2026-07-01)\n"
    );
    let out = ran.stdout_text();
    assert!(
        out.contains("2 of 7 accounts with access had no view in 90 days"),
        "{out}"
    );
    assert!(
        out.contains("never@acme.com") && out.contains("idle@acme.com"),
        "{out}"
    );
    // Nothing else was written: no report, no ledger.
    assert!(!dir.path().join("out/reclaim/ledger.jsonl").exists());
    assert!(!dir.path().join("out/latest").exists());

    // The report shows the plan, with counts.
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-30"])
        .run()
        .ok();
    let page = fs::read_to_string(dir.path().join("out/latest/index.html")).unwrap();
    assert!(page.contains("2 of 7 accounts with access would be suspended."));
}

pub(crate) fn users(ids: &[&str]) -> Value {
    let mut users = serde_json::Map::new();
    for id in ids {
        users.insert(
            id.to_string(),
            json!({"accountStatus": "active", "lastActive": null, "directories": ["d1", "d2"]}),
        );
    }
    Value::Object(users)
}

/// Ten accounts with access: i1 to i5 never active, a1 to a5 active.
pub(crate) fn ten_accounts(data: &Path) {
    fs::create_dir_all(data).unwrap();
    let mut accounts = String::from("account_id,email,account_type\n");
    let mut access = String::from("account_id,product,site\n");
    let mut activity = String::from("date,account_id,product\n");
    for i in 1..=5 {
        accounts.push_str(&format!(
            "i{i},i{i}@acme.com,managed\na{i},a{i}@acme.com,managed\n"
        ));
        access.push_str(&format!("i{i},jira,s1\na{i},jira,s1\n"));
        activity.push_str(&format!("2026-11-2{i},a{i},jira\n"));
    }
    fs::write(data.join("accounts.csv"), accounts).unwrap();
    fs::write(data.join("product_access.csv"), access).unwrap();
    fs::write(data.join("activity.csv"), activity).unwrap();
}

/// Moves every entry of the reclaim ledger one day earlier: what a day
/// passing does to the day's caps and to `--undo DATE`.
pub(crate) fn shift_ledger_a_day_back(dir: &Path) {
    let path = dir.join("out/reclaim/ledger.jsonl");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let shifted: Vec<String> = text
        .lines()
        .map(|line| {
            let mut entry: Value = serde_json::from_str(line).unwrap();
            let at = chrono::DateTime::parse_from_rfc3339(entry["at"].as_str().unwrap()).unwrap();
            entry["at"] = json!((at - chrono::Duration::days(1)).to_rfc3339());
            entry.to_string()
        })
        .collect();
    fs::write(&path, shifted.join("\n") + "\n").unwrap();
}

pub(crate) fn idle_five() -> Value {
    users(&["i1", "i2", "i3", "i4", "i5"])
}

#[test]
fn apply_is_refused_without_enabled_and_stays_within_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": idle_five()}),
    );
    config(dir.path(), "enabled = false", Some(&api));
    reclaim(dir.path(), &["--apply"])
        .code(2)
        .stderr_has("[reclaim] enabled = true")
        .stderr_has("nothing was sent");
    assert!(api.requests().is_empty(), "no request before the refusal");

    // Two a day: the first apply suspends i1 and i2, each in both
    // directories; a second the same day (UTC) finds the day's cap used.
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 2\nmax_percent = 100",
        Some(&api),
    );
    reclaim(dir.path(), &["--apply"]).ok();
    assert_eq!(api.actions("suspend"), ["i1", "i1", "i2", "i2"]);
    // The next plan says what was done and lists only who is left.
    let today = chrono::Utc::now().date_naive();
    reclaim(dir.path(), &[]).ok().stdout_has(&format!(
        "Suspended by reclaim on {today} and not restored: 2 account(s)"
    ));
    let plan = fs::read_to_string(dir.path().join("out/reclaim/plan-2026-11-30.csv")).unwrap();
    assert!(!plan.contains("\ni1,") && plan.contains("\ni3,"), "{plan}");
    reclaim(dir.path(), &["--apply"])
        .ok()
        .stdout_has("skipped i3: over the day's cap of 2 (suspended today: 2)");
    assert_eq!(api.actions("suspend").len(), 4);
    // The next day (the ledger's entries moved back a day, as a clock
    // would), two more; then one, each account once.
    for expected in [8, 10, 10] {
        shift_ledger_a_day_back(dir.path());
        reclaim(dir.path(), &["--apply"]).ok();
        assert_eq!(api.actions("suspend").len(), expected);
    }
    assert_eq!(
        api.actions("suspend"),
        ["i1", "i1", "i2", "i2", "i3", "i3", "i4", "i4", "i5", "i5"]
    );

    // 20 % of the ten accounts with access is two, whatever max_per_run.
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": idle_five()}),
    );
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 20\nmax_percent = 20",
        Some(&api),
    );
    reclaim(dir.path(), &["--apply"]).ok();
    assert_eq!(api.actions("suspend"), ["i1", "i1", "i2", "i2"]);
}

#[test]
fn a_killed_apply_is_never_done_twice_and_undo_restores_the_day() {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    // i2's suspension takes two seconds: the apply is killed meanwhile.
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": idle_five(), "slow": {"i2": 2.0}}),
    );
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 2\nmax_percent = 100",
        Some(&api),
    );
    let mut child = Cli::new(dir.path())
        .args(["reclaim", "--as-of", "2026-11-30", "--apply"])
        .env(KEY_ENV, KEY)
        .spawn();
    // Killed once the stand-in has received i2's request: the intent went
    // to the ledger before it, and the answer is two seconds away. (Killed
    // between the intent and the request, the rerun would rightly take i2
    // in d1 as done without sending it: a race this test must not run.)
    let deadline = Instant::now() + Duration::from_secs(60);
    while !api.actions("suspend").iter().any(|a| a == "i2") {
        assert!(Instant::now() < deadline, "the apply never reached i2");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The stand-in finishes i2's first directory after the client is gone.
    std::thread::sleep(Duration::from_millis(2500));

    reclaim(dir.path(), &["--apply"]).ok();
    let suspended = api.actions("suspend");
    // i2 in d1 was asked once, before the kill: the rerun reads it (found
    // suspended, so done) and finishes i2 in d2 (the account was still
    // active); i3 waits for another day, the day's cap of 2 being used.
    let count = |id: &str| suspended.iter().filter(|s| *s == id).count();
    assert_eq!(
        (count("i1"), count("i2"), count("i3")),
        (2, 2, 0),
        "{suspended:?}"
    );
    let ledger = fs::read_to_string(dir.path().join("out/reclaim/ledger.jsonl")).unwrap();
    assert!(
        ledger.contains("interrupted after the intent: a read found it suspended"),
        "{ledger}"
    );

    // Undo restores exactly today's suspensions; again, nothing more.
    let today = chrono::Utc::now().date_naive().to_string();
    reclaim(dir.path(), &["--undo", &today]).ok();
    let mut restored = api.actions("restore");
    restored.sort();
    assert_eq!(restored, ["i1", "i1", "i2", "i2"]);
    reclaim(dir.path(), &["--undo", &today]).ok();
    assert_eq!(api.actions("restore").len(), 4);
}

#[test]
fn a_refusal_stops_the_apply_and_a_rate_limit_is_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": idle_five(), "refuse": ["i2"], "rate_limit_once": true}),
    );
    config(
        dir.path(),
        "enabled = true\nmax_per_run = 5\nmax_percent = 100",
        Some(&api),
    );
    reclaim(dir.path(), &["--apply"])
        .code(2)
        .stderr_has("403 Forbidden");
    // The first suspend was rate limited once and retried; i1 is done;
    // i2 refused; nothing after it was tried.
    assert_eq!(api.actions("suspend"), ["i1", "i1", "i1", "i2"]);
    let ledger = fs::read_to_string(dir.path().join("out/reclaim/ledger.jsonl")).unwrap();
    assert!(ledger.contains("\"phase\":\"refused\""), "{ledger}");
    assert!(!ledger.contains("\"account_id\":\"i3\""), "{ledger}");
    assert!(!ledger.contains(KEY));
}

#[test]
fn on_schedule_the_job_suspends_before_the_report_which_with_the_digest_says_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    ten_accounts(&dir.path().join("data"));
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": idle_five()}),
    );
    let smtp = crate::common::smtp::SmtpServer::start(dir.path(), &[]);
    config(
        dir.path(),
        "enabled = true\non_schedule = true\nmax_per_run = 2\nmax_percent = 100",
        Some(&api),
    );
    let text = fs::read_to_string(dir.path().join("org-insights.toml")).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "{text}\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\nattach_report = false\n",
            smtp.port
        ),
    )
    .unwrap();
    // [atlassian] is there for reclaim: no pull runs before the report
    // ([input] source is the exports); the report, the apply and the
    // digest follow.
    Cli::new(dir.path())
        .args(["--run-now"])
        .env(KEY_ENV, KEY)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .run()
        .ok();
    assert_eq!(api.actions("suspend"), ["i1", "i1", "i2", "i2"]);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let text = String::from_utf8_lossy(&messages[0]).replace("=\r\n", "");
    let today = chrono::Utc::now().date_naive();
    // Suspended before the report: the plan holds the three left.
    assert!(
        text.contains("Reclaim plan: 3 of 10 accounts with access had no view in 90 days."),
        "{text}"
    );
    let page = fs::read_to_string(dir.path().join("out/latest/index.html")).unwrap();
    assert!(
        page.contains(&format!("on {today} and not restored: 2 accounts")),
        "the page says what was done"
    );
    assert!(page.contains("3 of 10 accounts with access would be suspended."));
    // The key is in no file of the report folder, the bundle or the state
    // (a failure mail's day, written only after a failure).
    let state = dir.path().join("state");
    fs::create_dir_all(&state).unwrap();
    crate::common::assert_no_file_holds(
        &[&dir.path().join("out"), &dir.path().join("data"), &state],
        KEY,
    );
    assert!(
        text.contains(&format!(
            "Suspended 2 accounts. To undo: org-insights reclaim --undo {today}."
        )),
        "{text}"
    );
}
