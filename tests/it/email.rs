//! The digest, sent by the real binary to a real SMTP server on loopback,
//! parsed back and checked: sender, recipients, subject, both parts, the
//! figures and their changes, the findings and the attachment.

use crate::common;
use crate::common::sample;

use std::fs;
use std::path::Path;

use common::smtp::{free_port, SmtpServer};
use common::Cli;
use mail_parser::{MessageParser, MimeHeaders};

/// A configuration with the sample bundle and `email` (a five-second
/// timeout unless `email` sets one).
fn write_config(dir: &Path, email: &str) {
    let timeout = if email.contains("timeout_seconds") {
        ""
    } else {
        "timeout_seconds = 5\n"
    };
    let config = format!(
        "data_dir = \"{}\"\nout_dir = \"out\"\n\n[email]\n{email}\nfrom = \"Org insights <reports@example.com>\"\nto = [\"it-admins@example.com\", \"Security <sec@example.com>\"]\n{timeout}",
        sample()
    );
    fs::write(dir.join("org-insights.toml"), config).unwrap();
}

/// An SMTP server speaking TLS (STARTTLS with `--tlscert`/`--tlskey`, or
/// from the first byte with `--smtpscert`/`--smtpskey`) with a certificate
/// for localhost made now, written as `cert.pem` for `ca_file`.
fn tls_server(dir: &Path, cert_flag: &str, key_flag: &str) -> SmtpServer {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    fs::write(&cert_file, cert.cert.pem()).unwrap();
    fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    SmtpServer::start(
        dir,
        &[
            cert_flag,
            &cert_file.to_string_lossy(),
            key_flag,
            &key_file.to_string_lossy(),
        ],
    )
}

#[test]
fn digest_reaches_the_inbox_with_figures_changes_findings_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    write_config(
        dir.path(),
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"",
            server.port
        ),
    );
    // An earlier report: on 2026-10-01 nobody had viewed anything for 30 days.
    let earlier = Cli::new(dir.path())
        .args(["run", "--as-of", "2026-10-01"])
        .run();
    assert_eq!(earlier.status.code(), Some(0));
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-10", "--email"])
        .run()
        .ok();

    let messages = server.messages();
    assert_eq!(messages.len(), 1, "one message for all recipients");
    let message = MessageParser::default().parse(&messages[0]).unwrap();

    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("reports@example.com"));
    // Gmail refuses mail without a Message-ID; it is on the sender's domain.
    let id = message.message_id().expect("a Message-ID header");
    assert!(id.ends_with("@example.com"), "{id}");
    assert_eq!(from.name(), Some("Org insights"));
    let to: Vec<&str> = message
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["it-admins@example.com", "sec@example.com"]);
    assert_eq!(
        message.subject(),
        Some("Organization insights 2026-11-10: 8 users with access, 3 findings to review")
    );

    let text = message.body_text(0).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(
        text.contains("Changes since the report of 2026-10-01."),
        "{text}"
    );
    // What changed leads, and each group's count is its rows in changes.csv.
    let csv = fs::read_to_string(dir.path().join("out/2026-11-10/data/changes.csv")).unwrap();
    let mut per_key: std::collections::BTreeMap<String, usize> = Default::default();
    for record in csv::Reader::from_reader(csv.as_bytes()).records() {
        *per_key.entry(record.unwrap()[0].to_string()).or_default() += 1;
    }
    // Nobody was active on 2026-10-01; t10 was created on 2026-11-01.
    let titles = [("api_tokens_created", "New API tokens")];
    assert_eq!(
        per_key.keys().collect::<Vec<_>>(),
        titles.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    let changed = text
        .find("What changed since the report of 2026-10-01")
        .expect("what changed");
    assert!(
        changed < text.find("Users with access:").unwrap(),
        "the digest leads with change"
    );
    for (key, title) in titles {
        let line = format!("- {title}: {}", per_key[key]);
        assert!(text.contains(&line), "{line}: {text}");
    }
    // The sample's audit log: four tracked events in the window, all after
    // the previous report (2026-10-01), newest first.
    let security = text
        .split("Security changes:")
        .nth(1)
        .expect("security changes");
    let order: Vec<usize> = [
        "Two-step verification turned off for a user",
        "Group granted admin access",
        "Organization admin added",
        "Admin logged in as a user",
    ]
    .iter()
    .map(|words| {
        security
            .find(words)
            .unwrap_or_else(|| panic!("{words}: {text}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(html.contains("Security changes"), "{html}");
    // Users with access do not depend on the date; active users went from 0 to 7.
    assert!(text.contains("Users with access: 8 (no change)"), "{text}");
    assert!(text.contains("Active users (30 days): 7 (+7)"), "{text}");
    assert!(
        text.contains("External users covered by policy (%): 66.7 (no change)"),
        "{text}"
    );
    let findings = [
        "1 managed account with access has neither single sign-on nor two-step verification.",
        "1 external user is not covered by an external user policy.",
        "1 external user has two-step verification turned off.",
    ];
    for finding in findings {
        assert!(text.contains(finding), "text: {finding}");
        assert!(html.contains(finding), "html: {finding}");
    }
    // The accounts to fix are counted, not named, without include_names:
    // carol (managed, neither SSO nor 2SV) and zed (external, 2SV off and
    // outside the policy).
    for line in [
        "- Managed accounts without single sign-on or two-step verification: 1 (data/managed_authentication-accounts.csv)",
        "- External users without two-step verification: 1 (data/external_two_step-accounts.csv)",
        "- External users outside an external user policy: 1 (data/external_policy-accounts.csv)",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(
        !text.contains("carol@") && !html.contains("carol@"),
        "{text}"
    );
    assert!(html.contains("<table") && html.contains(">+7<"), "{html}");
    for forbidden in ["<svg", "<script", "src=", "<link"] {
        assert!(!html.contains(forbidden), "{forbidden} in the HTML part");
    }
    let report = dir.path().join("out/2026-11-10/index.html");
    assert!(text.contains(&report.display().to_string()), "{text}");

    let attachment = message.attachment(0).expect("the report is attached");
    assert_eq!(
        attachment.attachment_name(),
        Some("org-insights-2026-11-10.html")
    );
    // Without [email] include_names the attached page masks emails. No
    // account changed; the accounts to fix are the sample's managed
    // account with access and neither SSO nor 2SV (carol) and its external
    // user with access, 2SV off and outside the policy (zed): only their
    // emails and the footer differ.
    let page = fs::read_to_string(&report).unwrap();
    assert!(page.contains("names and email addresses are shown"));
    let mut masked = page.replace("are shown", "are masked");
    // The accounts to fix, the API tokens to look at, the new API tokens
    // and the security changes name these.
    for (email, shown) in [
        ("alice@acme.com", "a***@acme.com"),
        ("bob@acme.com", "b***@acme.com"),
        ("carol@acme.com", "c***@acme.com"),
        ("dave@acme.com", "d***@acme.com"),
        ("erin@acme.com", "e***@acme.com"),
        ("frank@corp.io", "f***@corp.io"),
        ("gone@acme.com", "g***@acme.com"),
        ("xavier@partner.com", "x***@partner.com"),
        ("zed@gmail.com", "z***@gmail.com"),
    ] {
        assert!(page.contains(email), "{email} is named in the page");
        masked = masked.replace(email, shown);
    }
    assert_eq!(std::str::from_utf8(attachment.contents()).unwrap(), masked);
}

#[test]
fn starttls_with_a_certificate_trusted_through_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = tls_server(dir.path(), "--tlscert", "--tlskey");
    let settings = format!(
        "enabled = true\nsmtp_host = \"localhost\"\nsmtp_port = {}\ntls = \"starttls\"\nattach_report = false\nreport_url = \"https://intranet.example.com/insights/\"",
        server.port
    );
    write_config(dir.path(), &format!("{settings}\nca_file = \"cert.pem\""));
    Cli::new(dir.path()).args(["--run-now"]).run().ok();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert!(message.attachment(0).is_none());
    // minijinja escapes '/' in HTML as an entity, which browsers read back.
    let html = message.body_html(0).unwrap().replace("&#x2f;", "/");
    assert!(
        html.contains("href=\"https://intranet.example.com/insights/2026-11-10/index.html\""),
        "{html}"
    );

    // Without the CA the server's certificate is not trusted: no mail, exit 3.
    write_config(dir.path(), &settings);
    let output = Cli::new(dir.path()).args(["run", "--email"]).run();
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("digest could not be sent"));
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn implicit_tls_from_the_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let server = tls_server(dir.path(), "--smtpscert", "--smtpskey");
    write_config(
        dir.path(),
        &format!(
            "smtp_host = \"localhost\"\nsmtp_port = {}\ntls = \"tls\"\nca_file = \"cert.pem\"",
            server.port
        ),
    );
    Cli::new(dir.path()).args(["run", "--email"]).run().ok();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert!(message
        .subject()
        .unwrap()
        .starts_with("Organization insights 2026-11-10"));
}

#[test]
fn an_unreachable_server_keeps_the_report_and_exits_3_after_three_tries() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"",
            free_port()
        ),
    );
    let output = Cli::new(dir.path()).args(["run", "--email"]).run();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("trying again").count(), 2, "{stderr}");
    assert!(dir.path().join("out/2026-11-10/index.html").is_file());
}

#[test]
fn a_server_that_never_answers_is_given_up_on() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    write_config(
        dir.path(),
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\ntimeout_seconds = 1",
            silent.local_addr().unwrap().port()
        ),
    );
    let output = Cli::new(dir.path()).args(["run", "--email"]).run();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("digest could not be sent"), "{stderr}");
    assert!(dir.path().join("out/2026-11-10/index.html").is_file());
    drop(silent);
}

#[test]
fn a_missing_password_variable_is_named_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "smtp_host = \"127.0.0.1\"\nusername = \"reports\"\npassword_env = \"ORG_INSIGHTS_TEST_NO_SUCH_VARIABLE\"",
    );
    let output = Cli::new(dir.path()).args(["run", "--email"]).run();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ORG_INSIGHTS_TEST_NO_SUCH_VARIABLE"));
    assert!(!dir.path().join("out").exists());
}

/// A bundle whose only account has an account type the contract does not
/// know: every run stops on it.
const BROKEN_ACCOUNTS: &str = "account_id,email,account_type\na1,a@acme.com,alien\n";
const GOOD_ACCOUNTS: &str = "account_id,email,account_type\na1,a@acme.com,managed\n";

/// `--run-now` in `dir` with the failure mail's state kept in the test.
fn run_now(dir: &Path) -> common::Ran {
    Cli::new(dir)
        .args(["--run-now"])
        .env("XDG_STATE_HOME", dir.join("state"))
        .env_remove("STATE_DIRECTORY")
        .run()
}

fn subject_and_text(raw: &[u8]) -> (String, String, Vec<String>) {
    let message = MessageParser::default().parse(raw).unwrap();
    let to = message
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address().map(str::to_string))
        .collect();
    (
        message.subject().unwrap_or_default().to_string(),
        message.body_text(0).unwrap_or_default().into_owned(),
        to,
    )
}

#[test]
fn a_failed_run_now_mails_failures_to_once_a_day_until_a_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    fs::create_dir(dir.path().join("data")).unwrap();
    fs::write(dir.path().join("data/accounts.csv"), BROKEN_ACCOUNTS).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"reports@example.com\"\nto = [\"team@example.com\"]\nfailures_to = [\"oncall@example.com\"]\nattach_report = false\n",
            server.port
        ),
    )
    .unwrap();
    let today = chrono::Utc::now().date_naive();

    run_now(dir.path()).code(2);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let (subject, text, to) = subject_and_text(&messages[0]);
    assert_eq!(
        subject,
        format!("org-insights: the report of {today} failed")
    );
    let failure = MessageParser::default().parse(&messages[0]).unwrap();
    assert!(failure
        .message_id()
        .is_some_and(|id| id.ends_with("@example.com")));
    assert_eq!(to, vec!["oncall@example.com".to_string()]);
    assert!(
        text.contains("accounts.csv: line 2, column 'account_type', value \"alien\""),
        "{text}"
    );
    assert!(text.contains("No report has been made"), "{text}");
    assert!(text.contains("org-insights check --data"), "{text}");
    // Nothing written in the output folder by the failed run.
    assert!(
        !dir.path().join("reports").exists()
            || common::snapshot(&dir.path().join("reports")).is_empty()
    );

    // The same day, the same failure: no second mail.
    run_now(dir.path()).code(2);
    assert_eq!(server.messages().len(), 1);

    // A run that succeeds mails the digest and ends the run of failures.
    fs::write(dir.path().join("data/accounts.csv"), GOOD_ACCOUNTS).unwrap();
    run_now(dir.path()).ok();
    assert_eq!(server.messages().len(), 2);

    // So the next failure is mailed at once, naming the last good report.
    fs::write(dir.path().join("data/accounts.csv"), BROKEN_ACCOUNTS).unwrap();
    run_now(dir.path()).code(2);
    let messages = server.messages();
    assert_eq!(messages.len(), 3);
    let failure = messages
        .iter()
        .map(|m| subject_and_text(m))
        .filter(|(subject, _, _)| subject.ends_with("failed"))
        .map(|(_, text, _)| text)
        .find(|text| text.contains("The last good report is of"));
    let text = failure.expect("a failure mail naming the last good report");
    assert!(
        text.contains(&format!("The last good report is of {today}")),
        "{text}"
    );
}

#[test]
fn a_failure_mail_that_cannot_be_sent_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    fs::write(dir.path().join("data/accounts.csv"), BROKEN_ACCOUNTS).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\ntimeout_seconds = 1\nfrom = \"reports@example.com\"\nto = [\"team@example.com\"]\n",
            free_port()
        ),
    )
    .unwrap();
    run_now(dir.path())
        .code(2)
        .stderr_has("alien")
        .stderr_has("the failure mail could not be sent either");
}

#[test]
fn with_include_names_the_digest_names_the_accounts_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    write_config(
        dir.path(),
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\ninclude_names = true\nattach_report = false",
            server.port
        ),
    );
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-10", "--email"])
        .run()
        .ok();
    let messages = server.messages();
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    let text = message.body_text(0).unwrap();
    for line in [
        "- Managed accounts without single sign-on or two-step verification: 1: carol@acme.com (data/managed_authentication-accounts.csv)",
        "- External users without two-step verification: 1: zed@gmail.com (data/external_two_step-accounts.csv)",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
}

#[test]
fn a_set_aside_row_is_the_digest_s_first_finding() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    fs::create_dir(dir.path().join("data")).unwrap();
    // 200 accounts, one with a status the contract does not know (line 51),
    // and every managed account without SSO or 2SV: a finding of its own.
    let mut accounts = String::from("account_id,email,account_type,status\n");
    for i in 0..200 {
        let status = if i == 49 { "actve" } else { "active" };
        accounts.push_str(&format!("a{i},a{i}@acme.com,managed,{status}\n"));
    }
    fs::write(dir.path().join("data/accounts.csv"), accounts).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\nattach_report = false\n",
            server.port
        ),
    )
    .unwrap();
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-30", "--email"])
        .run()
        .ok();
    let messages = server.messages();
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    let text = message.body_text(0).unwrap();
    let findings: Vec<&str> = text
        .split("What needs attention:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("- "))
        .collect();
    assert!(
        findings[0].starts_with("- 1 row of the bundle broke the data contract and was set aside"),
        "{findings:?}"
    );
    assert!(
        findings[0].contains("accounts.csv line 51 (status)"),
        "{findings:?}"
    );
    assert!(
        findings[1].contains("neither single sign-on nor two-step verification"),
        "{findings:?}"
    );
}

/// The digest's count of idle seats is the sum of the CSV behind it,
/// data/active_by_product.csv's inactive column.
#[test]
fn the_digest_s_idle_seats_are_the_count_of_the_csv_behind_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    // Everyone signs in well; a1 used Jira, nobody used Confluence.
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type,two_step\na1,a1@acme.com,managed,on\na2,a2@acme.com,managed,on\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site\na1,jira,s\na2,jira,s\na1,confluence,s\na2,confluence,s\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product\n2026-11-09,a1,jira\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\nattach_report = false\ntimeout_seconds = 5\n",
            server.port
        ),
    )
    .unwrap();
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-10", "--email"])
        .run()
        .ok();
    let csv =
        fs::read_to_string(dir.path().join("out/2026-11-10/data/active_by_product.csv")).unwrap();
    let inactive: u64 = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap()[2].parse::<u64>().unwrap())
        .sum();
    assert_eq!(inactive, 3, "a2's Jira, a1's and a2's Confluence: {csv}");
    let (_, text, _) = subject_and_text(&server.messages()[0]);
    assert!(
        text.contains(&format!(
            "{inactive} product seats had no use in the last 30 days"
        )),
        "{text}"
    );
}

/// The drop folder's refused exports: the run still makes the day's report
/// on the bundle as it was, marked as stale data at the top of the page
/// and in the digest, both naming the export and the reason; the failure
/// mail says the bundle is not at fault, and the job exits 2.
#[test]
fn a_refused_export_makes_a_stale_report_and_both_mails_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    let exports = dir.path().join("exports");
    fs::create_dir(&exports).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n\n\
             [email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"reports@example.com\"\n\
             to = [\"team@example.com\"]\nfailures_to = [\"oncall@example.com\"]\nattach_report = false\n",
            server.port
        ),
    )
    .unwrap();
    let fixture = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/exports")
            .join(name)
    };
    fs::copy(fixture("users-2026-03-01.csv"), exports.join("users-a.csv")).unwrap();
    run_now(dir.path()).ok();
    assert_eq!(server.messages().len(), 1, "the first day's digest");
    let bundle = common::snapshot(&dir.path().join("data"));

    // The next export is cut in the middle of its third record, and a
    // spreadsheet waits beside it.
    let whole = fs::read_to_string(fixture("users-2026-03-02.csv")).unwrap();
    fs::write(exports.join("users-b.csv"), &whole[..whole.len() - 30]).unwrap();
    fs::write(exports.join("users.xlsx"), "PK").unwrap();
    run_now(dir.path()).code(2);
    assert_eq!(
        common::snapshot(&dir.path().join("data")),
        bundle,
        "the bundle is unchanged"
    );
    assert!(
        exports.join("users-b.csv").exists(),
        "the refused export waits"
    );

    let page = fs::read_to_string(dir.path().join("out/latest/index.html")).unwrap();
    assert!(
        page.contains(
            "Stale data: the exports waiting in the drop folder (users-b.csv) were refused"
        ),
        "{page}"
    );
    assert!(
        page.contains("users.xlsx"),
        "the unknown file is named on the page"
    );
    let messages: Vec<(String, String, Vec<String>)> = server
        .messages()
        .iter()
        .map(|m| subject_and_text(m))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let today = chrono::Utc::now().date_naive();
    // The server keeps no order: of the two digests, exactly one (the
    // second day's) is marked as stale data.
    let digests: Vec<&String> = messages
        .iter()
        .filter(|(_, _, to)| to == &["team@example.com".to_string()])
        .map(|(_, text, _)| text)
        .collect();
    assert_eq!(digests.len(), 2);
    let stale: Vec<&&String> = digests
        .iter()
        .filter(|t| t.contains("Stale data"))
        .collect();
    assert_eq!(stale.len(), 1, "{digests:?}");
    let digest = stale[0];
    assert!(
        digest.contains("users-b.csv") && digest.contains("Stale data"),
        "{digest}"
    );
    assert!(digest.contains("users.xlsx"), "{digest}");
    let (subject, failure, _) = messages
        .iter()
        .find(|(_, _, to)| to == &["oncall@example.com".to_string()])
        .unwrap();
    assert_eq!(
        subject,
        &format!("org-insights: the exports of {today} were refused")
    );
    assert!(failure.contains("(users-b.csv) were refused"), "{failure}");
    assert!(
        failure.contains("users-b.csv: line"),
        "the problem names file and line: {failure}"
    );
    assert!(failure.contains("marked as stale data"), "{failure}");
    assert!(failure.contains("not in the bundle"), "{failure}");
    assert!(!failure.contains("org-insights check --data"), "{failure}");
}
