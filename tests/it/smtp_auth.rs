//! The digest through a mail server that asks for a login: PLAIN and LOGIN
//! with a password, XOAUTH2 with a token from a client-credentials grant or
//! from a command. Real servers on loopback (aiosmtpd requiring STARTTLS,
//! with a certificate of a private CA given as `ca_file`; a token
//! endpoint), the real binary as a child process.

use crate::common;
use crate::common::sample;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::mail_auth::{Accepts, MailAuth};
use common::{Cli, Ran};
use serde_json::json;

const PASSWORD: &str = "smtp-pass-71b3";
const PASSWORD_ENV: &str = "TEST_SMTP_PASSWORD";
const SECRET_ENV: &str = "TEST_OAUTH_CLIENT_SECRET";

/// A configuration sending through `server` over STARTTLS with `login`
/// (the auth keys and tables).
fn write_config(dir: &Path, server: &MailAuth, login: &str) {
    let config = format!(
        "data_dir = \"{}\"\nout_dir = \"out\"\n\n[email]\nenabled = true\nsmtp_host = \"localhost\"\nsmtp_port = {}\ntls = \"starttls\"\nca_file = \"{}\"\nfrom = \"reports@example.com\"\nto = [\"it@example.com\"]\nattach_report = false\ntimeout_seconds = 3\n{login}",
        sample(),
        server.smtp_port,
        server.ca_file.display()
    );
    std::fs::write(dir.join("org-insights.toml"), config).unwrap();
}

/// `run --email` with the password and the client secret in the
/// environment (`secret`), verbose logs to catch any leak.
fn run_email(dir: &Path, secret: &str) -> Ran {
    Cli::new(dir)
        .args(["run", "--as-of", "2026-11-10", "--email"])
        .env("RUST_LOG", "debug")
        .env(PASSWORD_ENV, PASSWORD)
        .env(SECRET_ENV, secret)
        .run()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_no_secret(output: &Output, secrets: &[&str]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

fn users() -> Accepts<'static> {
    Accepts {
        users: json!({"reports": PASSWORD}),
        ..Accepts::default()
    }
}

#[test]
fn plain_and_login_deliver_over_starttls_with_a_private_ca() {
    for (auth, mechanism) in [("plain", "PLAIN"), ("login", "LOGIN"), ("auto", "PLAIN")] {
        let dir = tempfile::tempdir().unwrap();
        let server = MailAuth::start(dir.path(), &users());
        write_config(
            dir.path(),
            &server,
            &format!(
                "auth = \"{auth}\"\nusername = \"reports\"\npassword_env = \"{PASSWORD_ENV}\"\n"
            ),
        );
        let output = run_email(dir.path(), "");
        assert_eq!(output.status.code(), Some(0), "{auth}: {}", stderr(&output));
        assert_eq!(server.messages().len(), 1, "{auth}");
        let auths = server.events("auth");
        assert_eq!(auths.len(), 1, "{auth}: {auths:?}");
        assert_eq!(auths[0]["mechanism"], mechanism, "{auth}");
        assert_eq!(auths[0]["ok"], true);
        assert_no_secret(&output, &[PASSWORD]);
    }
}

#[test]
fn a_wrong_password_exits_3_naming_the_reply_and_is_not_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(
        dir.path(),
        &Accepts {
            users: json!({"reports": "another password"}),
            ..Accepts::default()
        },
    );
    write_config(
        dir.path(),
        &server,
        &format!("username = \"reports\"\npassword_env = \"{PASSWORD_ENV}\"\n"),
    );
    let output = run_email(dir.path(), "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("refused the login"), "{text}");
    assert!(
        text.contains("535") && text.contains("Authentication credentials invalid"),
        "{text}"
    );
    // The report was written; the same password is not tried three times.
    assert!(dir.path().join("out/2026-11-10/index.html").exists());
    assert_eq!(server.events("auth").len(), 1);
    assert!(server.messages().is_empty());
    assert_no_secret(&output, &[PASSWORD]);
}

fn grant(server: &MailAuth) -> String {
    format!(
        "auth = \"xoauth2\"\nusername = \"reports@example.com\"\n[email.oauth2]\ntoken_url = \"{}\"\nclient_id = \"client-1\"\nclient_secret_env = \"{SECRET_ENV}\"\nscope = \"https://outlook.office365.com/.default\"\n",
        server.token_url()
    )
}

#[test]
fn xoauth2_with_a_granted_token_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let accepts = Accepts::default();
    let server = MailAuth::start(dir.path(), &accepts);
    write_config(dir.path(), &server, &grant(&server));
    let output = run_email(dir.path(), accepts.client_secret);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.messages().len(), 1);
    let tokens = server.events("token");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["grant_type"], "client_credentials");
    assert_eq!(tokens[0]["client_id"], "client-1");
    assert_eq!(tokens[0]["scope"], "https://outlook.office365.com/.default");
    let auths = server.events("auth");
    assert_eq!(auths.len(), 1);
    assert_eq!(
        (
            &auths[0]["mechanism"],
            &auths[0]["user"],
            &auths[0]["token"]
        ),
        (
            &json!("XOAUTH2"),
            &json!("reports@example.com"),
            &json!("tok-1")
        )
    );
    assert_no_secret(&output, &[accepts.client_secret, "tok-1"]);
}

#[test]
fn a_refused_client_exits_3_naming_the_endpoint_s_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(dir.path(), &Accepts::default());
    write_config(dir.path(), &server, &grant(&server));
    let output = run_email(dir.path(), "a wrong secret");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(
        text.contains("AADSTS7000215: Invalid client secret provided."),
        "{text}"
    );
    assert!(server.events("auth").is_empty());
    assert_no_secret(&output, &["a wrong secret"]);
}

#[test]
fn a_token_the_server_refuses_is_replaced_once() {
    let dir = tempfile::tempdir().unwrap();
    let accepts = Accepts {
        revoke_first: true,
        ..Accepts::default()
    };
    let server = MailAuth::start(dir.path(), &accepts);
    write_config(dir.path(), &server, &grant(&server));
    let output = run_email(dir.path(), accepts.client_secret);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.messages().len(), 1);
    assert_eq!(server.events("token").len(), 2);
    let presented: Vec<_> = server
        .events("auth")
        .iter()
        .map(|a| a["token"].clone())
        .collect();
    assert_eq!(presented, vec![json!("tok-1"), json!("tok-2")]);
    assert_no_secret(&output, &["tok-1", "tok-2"]);
}

#[test]
fn google_s_challenge_is_answered_and_a_fresh_token_replaces_a_revoked_one() {
    let dir = tempfile::tempdir().unwrap();
    let accepts = Accepts {
        revoke_first: true,
        google: true,
        ..Accepts::default()
    };
    let server = MailAuth::start(dir.path(), &accepts);
    write_config(dir.path(), &server, &grant(&server));
    let output = run_email(dir.path(), accepts.client_secret);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.messages().len(), 1);
    let auths = server.events("auth");
    assert_eq!(auths.len(), 2, "{auths:?}");
    // The refused token's challenge got the empty line it asks for.
    assert_eq!(auths[0]["token"], "tok-1");
    assert_eq!(auths[0]["ok"], false);
    assert_eq!(auths[0]["challenge_answer"], "");
    assert_eq!(
        (&auths[1]["token"], &auths[1]["ok"]),
        (&json!("tok-2"), &json!(true))
    );
    assert_eq!(server.events("token").len(), 2);
    assert_no_secret(&output, &["tok-1", "tok-2", accepts.client_secret]);
}

#[test]
fn google_refusing_every_token_is_said_in_the_server_s_words_after_one_fresh_try() {
    for google in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let accepts = Accepts {
            refuse_tokens: true,
            google,
            ..Accepts::default()
        };
        let server = MailAuth::start(dir.path(), &accepts);
        write_config(dir.path(), &server, &grant(&server));
        let output = run_email(dir.path(), accepts.client_secret);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{text}");
        // One token, one fresh one: never the same refused token again.
        let presented: Vec<_> = server
            .events("auth")
            .iter()
            .map(|a| a["token"].clone())
            .collect();
        assert_eq!(presented, vec![json!("tok-1"), json!("tok-2")], "{text}");
        assert!(
            text.contains("the server refused the access token"),
            "{text}"
        );
        if google {
            assert!(text.contains("status 400"), "{text}");
            assert!(text.contains("https://mail.google.com/"), "{text}");
        }
        assert!(text.contains("535"), "{text}");
        assert!(!text.contains("does not expect a challenge"), "{text}");
        assert!(!text.contains("3 times"), "{text}");
        assert!(server.messages().is_empty());
        assert_no_secret(&output, &["tok-1", "tok-2", accepts.client_secret]);
    }
}

#[test]
fn an_untrusted_certificate_is_reported_at_once_naming_ca_file() {
    // Signed by the private CA, but ca_file names another CA.
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(dir.path(), &users());
    let login = format!("username = \"reports\"\npassword_env = \"{PASSWORD_ENV}\"\n");
    write_config(dir.path(), &server, &login);
    let other = common::mail_auth::unrelated_ca(dir.path());
    let config = std::fs::read_to_string(dir.path().join("org-insights.toml")).unwrap();
    let config = config.replace(
        &server.ca_file.display().to_string(),
        &other.display().to_string(),
    );
    std::fs::write(dir.path().join("org-insights.toml"), config).unwrap();
    let output = run_email(dir.path(), "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("ca_file"), "{text}");
    assert!(text.contains("CA this machine does not trust"), "{text}");
    assert!(
        !text.contains("trying again") && !text.contains("3 times"),
        "{text}"
    );
    assert!(server.events("auth").is_empty());

    // Signed by the CA of ca_file, but for another host name.
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(
        dir.path(),
        &Accepts {
            cert_names: &["mail.example.test"],
            ..users()
        },
    );
    write_config(dir.path(), &server, &login);
    let output = run_email(dir.path(), "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("another host name"), "{text}");
    assert!(text.contains("ca_file cannot fix this"), "{text}");
    assert!(
        !text.contains("trying again") && !text.contains("3 times"),
        "{text}"
    );
    assert!(server.events("auth").is_empty());
}

/// Runs `schedule` every two seconds until `count` digests arrived.
fn schedule_until(dir: &Path, server: &MailAuth, count: usize, secret: &str) -> Output {
    let config = std::fs::read_to_string(dir.join("org-insights.toml")).unwrap();
    std::fs::write(
        dir.join("org-insights.toml"),
        format!("{config}[schedule]\ncron = \"*/2 * * * * *\"\ncatch_up = false\n"),
    )
    .unwrap();
    let child = Cli::new(dir)
        .args(["schedule"])
        .env("RUST_LOG", "debug")
        .env(SECRET_ENV, secret)
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.messages().len() < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on the pid of a child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait_with_output().unwrap()
}

#[test]
fn a_schedule_keeps_its_token_until_it_expires_then_fetches_a_new_one() {
    // Long-lived: two sends, one token.
    let dir = tempfile::tempdir().unwrap();
    let accepts = Accepts::default();
    let server = MailAuth::start(dir.path(), &accepts);
    write_config(dir.path(), &server, &grant(&server));
    let output = schedule_until(dir.path(), &server, 2, accepts.client_secret);
    assert!(server.messages().len() >= 2, "{}", stderr(&output));
    assert_eq!(server.events("token").len(), 1, "{}", stderr(&output));
    assert_no_secret(&output, &[accepts.client_secret, "tok-1"]);

    // A token that lives one second expires between two sends two seconds
    // apart: each send gets its own, and the server accepts each.
    let dir = tempfile::tempdir().unwrap();
    let accepts = Accepts {
        expires_in: 1,
        ..Accepts::default()
    };
    let server = MailAuth::start(dir.path(), &accepts);
    write_config(dir.path(), &server, &grant(&server));
    let output = schedule_until(dir.path(), &server, 2, accepts.client_secret);
    let sent = server.messages().len();
    assert!(sent >= 2, "{}", stderr(&output));
    let auths = server.events("auth");
    assert!(auths.iter().all(|a| a["ok"] == true), "{auths:?}");
    let tokens: std::collections::BTreeSet<_> =
        auths.iter().map(|a| a["token"].to_string()).collect();
    assert!(tokens.len() >= 2, "a fresh token per send: {auths:?}");
}

fn command(argv: &[&str]) -> String {
    let quoted: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "auth = \"xoauth2\"\n[email.oauth2]\ntoken_command = [{}]\n",
        quoted.join(", ")
    )
}

#[test]
fn a_token_command_that_succeeds_fails_or_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(
        dir.path(),
        &Accepts {
            static_tokens: &["cmd-token-5d1"],
            ..Accepts::default()
        },
    );
    write_config(
        dir.path(),
        &server,
        &command(&["python3", "-c", "print('cmd-token-5d1')"]),
    );
    let output = run_email(dir.path(), "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.messages().len(), 1);
    // The login is the sender's mailbox when no username is set.
    assert_eq!(server.events("auth")[0]["user"], "reports@example.com");
    assert_no_secret(&output, &["cmd-token-5d1"]);

    write_config(
        dir.path(),
        &server,
        &command(&[
            "python3",
            "-c",
            "import sys; sys.stderr.write('no cached credentials'); sys.exit(4)",
        ]),
    );
    let output = run_email(dir.path(), "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("token_command python3 failed with exit code 4: no cached credentials"),
        "{text}"
    );

    write_config(
        dir.path(),
        &server,
        &command(&["python3", "-c", "import time; time.sleep(60)"]),
    );
    let started = Instant::now();
    let output = run_email(dir.path(), "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("did not finish within 3 s"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the timeout held"
    );
    assert_eq!(server.messages().len(), 1, "nothing more was sent");
}

#[test]
fn a_missing_secret_variable_stops_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(dir.path(), &Accepts::default());
    write_config(dir.path(), &server, &grant(&server));
    let output = Cli::new(dir.path())
        .args(["run", "--email"])
        .env_remove(SECRET_ENV)
        .run();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(SECRET_ENV));
    assert!(!dir.path().join("out").exists(), "nothing written");
}

/// `doctor` with `extra` appended to the configuration, the password as
/// given (none: unset), the API key set.
fn doctor(dir: &Path, extra: &str, password: Option<&str>, args: &[&str]) -> Ran {
    let config = std::fs::read_to_string(dir.join("org-insights.toml")).unwrap();
    std::fs::write(dir.join("doctor.toml"), format!("{config}{extra}")).unwrap();
    let mut cli = Cli::new(dir)
        .args(["--config", "doctor.toml", "doctor"])
        .args(args)
        .env("TEST_API_KEY", "api-key-3b7d");
    cli = match password {
        Some(password) => cli.env(PASSWORD_ENV, password),
        None => cli.env_remove(PASSWORD_ENV),
    };
    cli.run()
}

#[test]
fn doctor_checks_secrets_bundle_output_and_with_connect_the_key_and_the_login() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(dir.path(), &users());
    let api = common::atlassian::ApiServer::start(
        dir.path(),
        &json!({"key": "api-key-3b7d", "routes": [
            {"method": "GET", "path": "/admin/v1/orgs", "responses": [{"status": 200, "json": {
                "data": [{"id": "o1", "type": "orgs", "attributes": {"name": "Acme"}}], "links": {}}}]}
        ]}),
    );
    write_config(
        dir.path(),
        &server,
        &format!("username = \"reports\"\npassword_env = \"{PASSWORD_ENV}\"\n"),
    );
    let atlassian = format!(
        "[atlassian]\napi_key_env = \"TEST_API_KEY\"\nbase_url = \"{}\"\n",
        api.base_url()
    );

    // A missing secret is named before anything runs.
    let ran = doctor(dir.path(), &atlassian, None, &[]).code(2);
    assert!(
        ran.stdout_text().contains(&format!(
            "FAILED  SMTP password: the SMTP password in the environment variable {PASSWORD_ENV}"
        )),
        "{}",
        ran.stdout_text()
    );
    assert!(
        ran.stderr_text().contains("problem(s) in the setup"),
        "{}",
        ran.stderr_text()
    );

    // Everything set: the checklist passes without a network request.
    let ran = doctor(dir.path(), &atlassian, Some(PASSWORD), &[]).ok();
    let out = ran.stdout_text();
    for line in [
        "ok      SMTP password: set",
        "ok      org API key: set",
        "OK (accounts 12 rows",
        "ok      output folder: ",
        "ok      schedule: 0 0 6 * * * (UTC): next run ",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    assert!(server.events("auth").is_empty() && api.requests().is_empty());

    // --connect tries the key and the login, and sends no mail.
    let ran = doctor(dir.path(), &atlassian, Some(PASSWORD), &["--connect"]).ok();
    let out = ran.stdout_text();
    assert!(
        out.contains("ok      Atlassian's API: the key sees one organization, o1"),
        "{out}"
    );
    assert!(out.contains("ok      mail server: localhost:"), "{out}");
    assert_eq!(server.events("auth").len(), 1);
    assert_eq!(server.events("auth")[0]["ok"], true);
    assert!(server.messages().is_empty(), "no mail is sent");

    // A wrong password is a failed check, in the server's words.
    let ran = doctor(dir.path(), &atlassian, Some("wrong"), &["--connect"]).code(2);
    assert!(
        ran.stdout_text()
            .contains("FAILED  mail server: logging in to localhost:"),
        "{}",
        ran.stdout_text()
    );
    assert!(ran.stdout_text().contains("535"), "{}", ran.stdout_text());
    assert!(!ran.stdout_text().contains("wrong") && !ran.stderr_text().contains("wrong"));
    assert!(server.messages().is_empty());
}

#[test]
fn test_mail_sends_one_message_and_a_run_checks_every_secret_before_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let server = MailAuth::start(dir.path(), &users());
    write_config(
        dir.path(),
        &server,
        &format!("username = \"reports\"\npassword_env = \"{PASSWORD_ENV}\"\n"),
    );
    Cli::new(dir.path())
        .args(["test-mail"])
        .env(PASSWORD_ENV, PASSWORD)
        .run()
        .ok();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(String::from_utf8_lossy(&messages[0]).contains("Subject: org-insights: test message"));

    // With [atlassian] set, a missing mail password stops --run-now before
    // the pull sends anything (into a bundle of the test's own).
    let api = common::atlassian::ApiServer::start(dir.path(), &json!({"key": "k", "routes": []}));
    let config = std::fs::read_to_string(dir.path().join("org-insights.toml"))
        .unwrap()
        .replace(&sample(), "data");
    std::fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "{config}[atlassian]\napi_key_env = \"TEST_API_KEY\"\nbase_url = \"{}\"\n",
            api.base_url()
        ),
    )
    .unwrap();
    Cli::new(dir.path())
        .args(["--run-now"])
        .env("TEST_API_KEY", "k")
        .env_remove(PASSWORD_ENV)
        .deadline(Duration::from_secs(5))
        .run()
        .code(2)
        .stderr_has(PASSWORD_ENV)
        .stderr_has("problem(s) in the environment");
    assert!(api.requests().is_empty());
}
