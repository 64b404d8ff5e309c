//! The page and the digest as people read them, on crafted bundles: counts
//! with thousands separators (the files keep plain numbers), tables in
//! words (the CSVs keep keys), and every count agreeing with its noun.

use crate::common;

use std::fs;
use std::path::Path;

use common::smtp::SmtpServer;
use common::Cli;
use mail_parser::MessageParser;

/// 1,234 managed accounts with two-step verification on, and one external
/// user with it off and no policy: 1,235 accounts with access.
fn crafted(dir: &Path) {
    let data = dir.join("data");
    fs::create_dir(&data).unwrap();
    let mut accounts =
        String::from("account_id,email,account_type,status,two_step,sso,external_policy\n");
    for i in 0..1234 {
        accounts.push_str(&format!("m{i},m{i}@acme.com,managed,active,on,false,\n"));
    }
    accounts.push_str("e1,e1@partner.com,external,active,off,false,false\n");
    fs::write(data.join("accounts.csv"), accounts).unwrap();
    Cli::new(dir)
        .report("data", "out")
        .dated("2026-11-30")
        .run()
        .ok();
}

fn page(dir: &Path) -> String {
    fs::read_to_string(dir.join("out/latest/index.html")).unwrap()
}

#[test]
fn counts_have_separators_on_the_page_and_stay_plain_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    crafted(dir.path());
    let page = page(dir.path());
    assert!(
        page.contains("1,235 accounts have access: 1,234 managed and 1 external."),
        "summary"
    );
    assert!(page.contains("<td class=\"num\">1,234</td>"), "table cell");
    assert!(page.contains("<span class=\"value\">1,235</span>"), "tile");
    assert!(!page.contains(">1234<"), "no count without its separator");

    let csv = common::csv_text(&dir.path().join("out/latest/data/users_with_access.csv"));
    assert_eq!(csv, "account_type,accounts\nmanaged,1234\nexternal,1\n");
    let json: serde_json::Value = common::read_json(&dir.path().join("out/latest/insights.json"));
    assert_eq!(json["insights"]["users_with_access"]["total"], 1235);
    let history = fs::read_to_string(dir.path().join("out/history.csv")).unwrap();
    assert!(history.contains("2026-11-30,1235,1234,1,"), "{history}");
    // The chart's axis and bar total.
    let svg =
        fs::read_to_string(dir.path().join("out/latest/charts/users_with_access.svg")).unwrap();
    assert!(svg.contains("\n 1,234\n</text>"), "bar total");
}

#[test]
fn tables_are_in_words_and_csvs_keep_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    crafted(dir.path());
    let page = page(dir.path());
    for heading in ["Account type", "Two-step verification", "Group"] {
        assert!(
            page.contains(&format!("<th scope=\"col\">{heading}</th>")),
            "{heading}"
        );
    }
    for label in [
        "Two-step verification on",
        "Two-step verification off",
        "Enforced by their own organization",
        "Turned on by the user",
    ] {
        assert!(page.contains(&format!("<td>{label}</td>")), "{label}");
    }
    for key in ["two_step_enabled", "enabled_by_other_org", "account_type"] {
        assert!(
            !page.contains(&format!(">{key}<")),
            "{key} shown as a key on the page"
        );
    }
    let csv = common::csv_text(&dir.path().join("out/latest/data/external_two_step.csv"));
    assert_eq!(
        csv,
        "state,accounts\nenabled_self,0\nenabled_by_other_org,0\nnot_enabled,1\n"
    );
}

#[test]
fn every_count_agrees_with_its_noun() {
    let dir = tempfile::tempdir().unwrap();
    crafted(dir.path());
    let page = page(dir.path());
    for sentence in [
        "1 external user has two-step verification off; 0 turned it on and 0 have it enforced by their organization.",
        "0 of 1 external user (0.0 %) is covered by a policy.",
        "1 external user has two-step verification off (0.0 % on, target",
        "1 external user is not covered by an external user policy",
        "Figures (1 row)",
        "Figures (2 rows)",
        "Review the access of the 1 external user with access regularly",
    ] {
        assert!(page.contains(sentence), "{sentence:?}");
    }
    for wrong in ["1 external users", "(1 rows)", "1 accounts"] {
        assert!(!page.contains(wrong), "{wrong:?}");
    }
}

#[test]
fn the_digest_has_separators_and_singulars_too() {
    let dir = tempfile::tempdir().unwrap();
    crafted(dir.path());
    let server = SmtpServer::start(dir.path(), &[]);
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\ntimeout_seconds = 5\nfrom = \"reports@example.com\"\nto = [\"admins@example.com\"]\n",
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
    let subject = message.subject().unwrap();
    assert!(subject.contains(": 1,235 users with access, "), "{subject}");
    let text = message.body_text(0).unwrap();
    for line in [
        "Users with access: 1,235",
        "Managed: 1,234",
        "External: 1",
        "1 external user is not covered by an external user policy.",
        "1 external user has two-step verification turned off.",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    let html = message.body_html(0).unwrap();
    assert!(html.contains(">1,235</td>"), "{html}");
}

/// Product keys read as Atlassian's names on the page and in both charts;
/// insights.json and the CSVs keep the keys; an unknown key shows as it is.
#[test]
fn products_are_named_in_words_and_the_files_keep_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type\na1,a@acme.com,managed\na2,b@acme.com,managed\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site\na1,jira-service-management,s1\na2,acme-wiki,s1\na2,jira-product-discovery,s1\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product,surface\n2026-11-20,a1,jira-service-management,mobile\n2026-11-21,a2,acme-wiki,web\n",
    )
    .unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-11-30")
        .run()
        .ok();
    let page = page(dir.path());
    for name in ["Jira Service Management", "Jira Product Discovery"] {
        // The figures table, the wide chart and the narrow chart.
        assert!(
            page.matches(&format!(">{name}<")).count() >= 1,
            "{name} in a table"
        );
        assert!(
            page.matches(&format!(">\n{name}\n</text>")).count() >= 2,
            "{name} in both charts"
        );
    }
    assert!(page.contains(">acme-wiki<"), "an unknown key as it is");
    let report = dir.path().join("out/latest");
    let csv = fs::read_to_string(report.join("data/active_by_product.csv")).unwrap();
    assert!(csv.contains("\njira-service-management,1,0\n"), "{csv}");
    let mobile = fs::read_to_string(report.join("data/mobile_usage.csv")).unwrap();
    assert!(
        mobile.contains("\njira-service-management,1,100.0\n"),
        "{mobile}"
    );
    let json = common::read_json(&report.join("insights.json"));
    assert_eq!(
        json["insights"]["active_by_product"][1]["product"],
        "jira-product-discovery"
    );
}
