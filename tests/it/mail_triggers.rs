//! `[email] send`: four daily runs with `--email` against a real SMTP server
//! on loopback. Twenty managed accounts with 2SV; on the third day two turn
//! it off (100 % → 90 %, below the 95 % line) and stay so on the fourth.

use crate::common;

use std::fs;
use std::path::Path;

use common::smtp::SmtpServer;
use common::Cli;
use mail_parser::MessageParser;

const DAYS: [&str; 4] = ["2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"];

fn bundle(dir: &Path, day: usize) {
    let data = dir.join(format!("day{day}"));
    fs::create_dir_all(&data).unwrap();
    let mut accounts = String::from("account_id,email,account_type,two_step\n");
    for n in 0..20 {
        let two_step = if day >= 2 && n < 2 { "off" } else { "on" };
        accounts.push_str(&format!("m{n:02},m{n:02}@acme.com,managed,{two_step}\n"));
    }
    fs::write(data.join("accounts.csv"), accounts).unwrap();
}

/// The subjects of the mails the four runs sent with `send`, sorted (the
/// server keeps no order).
fn subjects(send: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "out_dir = \"out\"\n[email]\nsend = \"{send}\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\ntimeout_seconds = 5\n",
            server.port
        ),
    )
    .unwrap();
    for (day, as_of) in DAYS.iter().enumerate() {
        bundle(dir.path(), day);
        let data = format!("day{day}");
        Cli::new(dir.path())
            .args(["run", "--data", &data, "--as-of", as_of, "--email"])
            .run()
            .ok();
    }
    let mut subjects: Vec<String> = server
        .messages()
        .iter()
        .map(|raw| {
            MessageParser::default()
                .parse(raw)
                .unwrap()
                .subject()
                .unwrap()
                .to_string()
        })
        .collect();
    subjects.sort();
    subjects
}

#[test]
fn on_threshold_mails_once_when_the_line_is_crossed() {
    assert_eq!(
        subjects("on_threshold"),
        ["Organization insights 2026-03-12: managed accounts with SSO or 2SV fell to 90.0 %, below 95 %"]
    );
}

#[test]
fn on_change_mails_the_first_report_and_days_that_changed() {
    assert_eq!(
        subjects("on_change"),
        [
            "Organization insights 2026-03-10: first report",
            "Organization insights 2026-03-12: 2 account changes, 1 figure changed since 2026-03-11",
        ]
    );
}

#[test]
fn always_mails_every_run() {
    let subjects = subjects("always");
    assert_eq!(subjects.len(), 4);
    for (subject, day) in subjects.iter().zip(DAYS) {
        assert!(
            subject.starts_with(&format!(
                "Organization insights {day}: 20 users with access"
            )),
            "{subject}"
        );
    }
}

/// `[email] alert_on_actions`: an org admin added on 2026-03-12 mails the
/// report of that day at once, though no line is crossed; the days before
/// do not see it yet and the day after has seen it already.
#[test]
fn a_chosen_audit_log_action_mails_at_once_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "out_dir = \"out\"\n[email]\nsend = \"on_threshold\"\nalert_on_actions = [\"Added_Org_Admin\", \"user_logged_in_as_user\"]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\ntimeout_seconds = 5\n",
            server.port
        ),
    )
    .unwrap();
    for (day, as_of) in DAYS.iter().enumerate() {
        let data = dir.path().join(format!("day{day}"));
        fs::create_dir_all(&data).unwrap();
        fs::write(
            data.join("accounts.csv"),
            "account_id,email,account_type,two_step\nm1,m1@acme.com,managed,on\n",
        )
        .unwrap();
        fs::write(
            data.join("events.csv"),
            "event_id,time,action,actor,subject_id\n\
             ev1,2026-03-12T10:00:00Z,added_org_admin,boss@acme.com,m1\n\
             ev2,2026-03-12T11:00:00Z,user_granted_role,boss@acme.com,m1\n",
        )
        .unwrap();
        Cli::new(dir.path())
            .args([
                "run",
                "--data",
                &format!("day{day}"),
                "--as-of",
                as_of,
                "--email",
            ])
            .run()
            .ok();
    }
    let subjects: Vec<String> = server
        .messages()
        .iter()
        .map(|raw| {
            MessageParser::default()
                .parse(raw)
                .unwrap()
                .subject()
                .unwrap()
                .to_string()
        })
        .filter(|s| s.contains("security changes"))
        .collect();
    assert_eq!(
        subjects,
        ["Organization insights 2026-03-12: security changes: added_org_admin (1)"]
    );
}
