//! `[[exceptions]]` on the sample bundle (as of 2026-11-10), worked out by
//! hand: coverage without the excepted accounts beside the contract's
//! figure, an expired exception as the first finding of the digest, and
//! exceptions for accounts or domains that do not exist as warnings.

use crate::common;
use crate::common::sample;

use std::fs;

use common::smtp::SmtpServer;
use common::Cli;
use mail_parser::MessageParser;

const EXCEPTIONS: &str = r#"
[[exceptions]]
account = "a3"
reason = "break-glass account"
owner = "Security team"
expires = 2026-12-31

[[exceptions]]
domain = "GMAIL.com"
reason = "contractors' own accounts"
owner = "Procurement"
expires = "2027-01-01"

[[exceptions]]
account = "e1"
reason = "partner pilot"
owner = "Alice"
expires = 2026-11-09

[[exceptions]]
account = "ghost"
reason = "left last year"
owner = "IT"
expires = 2027-06-30

[[exceptions]]
domain = "nowhere.org"
reason = "old partner"
owner = "IT"
expires = 2027-06-30
"#;

#[test]
fn coverage_beside_the_contract_figure_and_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "data_dir = \"{}\"\nout_dir = \"out\"\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\ntimeout_seconds = 5\n{EXCEPTIONS}",
            sample(),
            server.port
        ),
    )
    .unwrap();
    Cli::new(dir.path()).args(["run", "--email"]).run().ok();
    let page = fs::read_to_string(dir.path().join("out/2026-11-10/index.html")).unwrap();
    let section = |key: &str| {
        let start = page.find(&format!("<section id=\"{key}\"")).unwrap();
        page[start..start + page[start..].find("</section>").unwrap()].to_string()
    };

    // Managed with access: a1 (on), a2 (sso), a3 (neither), a5 (sso),
    // a6 (enforced): 80.0 % as the contract says; without a3, 4 of 4.
    let managed = section("managed_authentication");
    assert!(managed.contains(
        "2 managed accounts use single sign-on, 2 two-step verification, and 1 neither."
    ));
    assert!(managed.contains("<p>Without the 1 excepted account (see Exceptions): 100.0 %.</p>"));
    // External with access: e1 (on, covered), e2 (enforced, covered), e3
    // (gmail.com: off, not covered). e1's exception expired, so only e3 is
    // left out: 2 of 2 in both figures.
    assert!(section("external_two_step")
        .contains("<p>Without the 1 excepted account (see Exceptions): 100.0 %.</p>"));
    assert!(section("external_policy")
        .contains("<p>Without the 1 excepted account (see Exceptions): 100.0 %.</p>"));
    assert!(!section("users_with_access").contains("excepted"));

    let table = section("exceptions");
    for row in [
        "<tr><td>account a3</td><td>break-glass account</td><td>Security team</td><td>2026-12-31</td><td>active</td><td class=\"num\">1</td></tr>",
        "<tr><td>domain gmail.com</td><td>contractors&#x27; own accounts</td><td>Procurement</td><td>2027-01-01</td><td>active</td><td class=\"num\">1</td></tr>",
        "<tr><td>account e1</td><td>partner pilot</td><td>Alice</td><td>2026-11-09</td><td>expired: renew or remove</td><td class=\"num\">1</td></tr>",
        "<tr><td>account ghost</td><td>left last year</td><td>IT</td><td>2027-06-30</td><td>no such account or domain</td><td class=\"num\">0</td></tr>",
        "<tr><td>domain nowhere.org</td><td>old partner</td><td>IT</td><td>2027-06-30</td><td>no such account or domain</td><td class=\"num\">0</td></tr>",
    ] {
        assert!(table.contains(row), "{row}\n{table}");
    }
    let quality = section("data_quality");
    assert!(quality
        .contains("The exception for account ghost (owner IT) names no account of the bundle"));
    assert!(quality.contains(
        "The exception for domain nowhere.org (owner IT) names no account of the bundle"
    ));

    let messages = server.messages();
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    let text = message.body_text(0).unwrap();
    let first = text.find(
        "The exception for account e1 (owner Alice) expired on 2026-11-09: renew or remove it.",
    );
    let next = text.find("1 managed account with access has neither");
    assert!(first.is_some() && first < next, "{text}");
}

#[test]
fn an_exception_needs_a_target_a_reason_an_owner_and_a_date() {
    let dir = tempfile::tempdir().unwrap();
    for (entry, expected) in [
        ("account = \"a1\"\ndomain = \"x.com\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01", "exactly one of account or domain"),
        ("account = \"a1\"\nowner = \"o\"\nexpires = 2027-01-01", "[[exceptions]] entry 1: reason"),
        ("account = \"a1\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"next year\"", "expires to be a date as YYYY-MM-DD, not 'next year'"),
        ("account = \"a1\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01\nnote = \"x\"", "note"),
    ] {
        fs::write(dir.path().join("c.toml"), format!("[[exceptions]]\n{entry}\n")).unwrap();
        let output = common::Cli::new(dir.path()).args(["--config", "c.toml", "check", "--data", &sample()]).run();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

/// Accounts a report names under each control, crafted and worked out by
/// hand: who lacks SSO and 2SV, 2SV, or the external user policy, with the
/// exception that leaves one of them out on purpose.
#[test]
fn each_control_names_its_accounts_to_fix_with_their_exceptions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type,status,two_step,sso,external_policy\n\
         m1,ann@acme.com,managed,active,off,false,\n\
         m2,bob@acme.com,managed,active,on,false,\n\
         m3,cy@acme.com,managed,active,off,true,\n\
         m4,dee@acme.com,managed,suspended,off,false,\n\
         m5,,managed,active,off,false,\n\
         x1,xe@partner.io,external,active,off,,false\n\
         x2,yo@partner.io,external,active,enforced,,true\n\
         x3,zu@other.org,external,active,on,,false\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product\n2026-11-05,m1,jira\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "[[exceptions]]\ndomain = \"partner.io\"\nreason = \"Partner SSO\"\nowner = \"IT\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-11-10")
        .run()
        .ok();
    let day = dir.path().join("out/2026-11-10");
    let csv = |key: &str| common::csv_text(&day.join(format!("data/{key}-accounts.csv")));
    let header = "account_id,email,domain,state,last_active,exception_reason,exception_expires\n";
    // m4 is suspended (no access); m5 has no email.
    assert_eq!(
        csv("managed_authentication"),
        format!("{header}m1,ann@acme.com,acme.com,neither single sign-on nor two-step verification,2026-11-05,,\nm5,,,neither single sign-on nor two-step verification,,,\n")
    );
    assert_eq!(
        csv("external_two_step"),
        format!("{header}x1,xe@partner.io,partner.io,two-step verification off,,Partner SSO,2099-01-01\n")
    );
    assert_eq!(
        csv("external_policy"),
        format!("{header}x1,xe@partner.io,partner.io,not covered by an external user policy,,Partner SSO,2099-01-01\nx3,zu@other.org,other.org,not covered by an external user policy,,,\n")
    );
    let page = fs::read_to_string(day.join("index.html")).unwrap();
    assert!(page.contains("<summary>Accounts to fix: 2</summary>"));
    assert!(page.contains("<summary>Accounts to fix: 1 (1 excepted)</summary>"));
    assert!(page.contains("<summary>Accounts to fix: 2 (1 excepted)</summary>"));
    assert!(page.contains("excepted until 2099-01-01: Partner SSO"));
    // The contents number the insights as their headings do.
    assert!(page.contains(
        "<li>The insights:\n<ol>\n<li><a href=\"#users_with_access\">Users with access</a></li>"
    ));
    assert!(page.contains(">1. Users with access</h2>"));
    // The footer's time is to the minute.
    let footer = page.split("Generated by org-insights").nth(1).unwrap();
    let time = footer
        .split(" at ")
        .nth(1)
        .unwrap()
        .split(" from ")
        .next()
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M UTC").is_ok(),
        "{time}"
    );
    // minijinja escapes the slash; a browser reads the path as written.
    assert!(page.contains("href=\"data&#x2f;external_policy-accounts.csv\""));
}
