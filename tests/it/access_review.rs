//! `org-insights access-review`: the population worked out by hand, the
//! refusals of `start` and `close`, the evidence, the comparison with the
//! last closed review, and SHA256SUMS checked with `sha256sum -c`.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::common::atlassian::ApiServer;
use crate::common::{self, Cli};

const KEY: &str = "review-key-9c2d";
const KEY_ENV: &str = "TEST_REVIEW_KEY";

/// Four accounts: a1 an org admin with Jira and Confluence (product admin
/// there), a2 on Jira on two sites, x1 external on Confluence with an
/// exception, s1 suspended (no access).
fn bundle(dir: &Path) {
    let data = dir.join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,name,account_type,status,two_step,sso,added_on,org_admin\n\
         a1,ann@acme.com,Ann Admin,managed,active,on,true,2024-01-01,true\n\
         a2,bob@acme.com,Bob,managed,active,off,false,2024-02-01,false\n\
         x1,zoe@partner.io,Zoë,external,active,off,false,2025-01-01,false\n\
         s1,sam@acme.com,Sam,managed,suspended,off,false,2024-03-01,false\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site,role\n\
         a1,jira,acme.atlassian.net,User\n\
         a1,confluence,acme.atlassian.net,Product admin\n\
         a2,jira,acme.atlassian.net,User\n\
         a2,jira,beta.atlassian.net,User\n\
         x1,confluence,acme.atlassian.net,Guest\n\
         s1,jira,acme.atlassian.net,User\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product\n2026-11-20,a1,jira\n2026-11-25,a2,jira\n2026-10-01,x1,confluence\n",
    )
    .unwrap();
    let done = dir.join("exports/done/2026-11-30");
    fs::create_dir_all(&done).unwrap();
    fs::write(done.join("users.csv"), "User id,email\na1,ann@acme.com\n").unwrap();
    fs::write(
        dir.join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"out\"\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n\
         [[exceptions]]\naccount = \"x1\"\nreason = \"contractor until March\"\nowner = \"IT\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
}

fn review(dir: &Path, args: &[&str]) -> common::Ran {
    Cli::new(dir).args(["access-review"]).args(args).run()
}

fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// review.csv with the reviewers' three cells of each line set by `fill`
/// (by line number, 2 for the first row).
fn decide(folder: &Path, fill: impl Fn(usize, &str) -> String) {
    let text = common::csv_text(&folder.join("review.csv"));
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line.to_string()
            } else {
                fill(i + 1, line)
            }
        })
        .collect();
    // Saved as Excel saves a UTF-8 CSV: with the BOM.
    fs::write(
        folder.join("review.csv"),
        format!("\u{feff}{}\n", lines.join("\n")),
    )
    .unwrap();
}

/// A row's facts with its three reviewers' cells replaced.
fn with(line: &str, decision: &str, reviewer: &str, note: &str) -> String {
    let facts = line
        .strip_suffix(",,,")
        .expect("three empty cells at the end");
    format!("{facts},{decision},{reviewer},{note}")
}

#[test]
fn a_review_from_start_to_evidence_and_the_next_one_finds_what_was_not_revoked() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    review(dir.path(), &["start", "--as-of", "2026-11-30"]).ok();
    let folder = dir.path().join("out/access-reviews/2026-11-30");
    // By product, privileged access first, then by account; s1 has none.
    assert_eq!(
        common::csv_text(&folder.join("review.csv")),
        "account_id,email,name,account_type,status,org_admin,product,sites,role,last_active,two_step,sso,added,exception,previous_decision,decision,reviewer,note\n\
         a1,ann@acme.com,Ann Admin,managed,active,true,confluence,acme.atlassian.net,Product admin,,on,true,2024-01-01,,,,,\n\
         x1,zoe@partner.io,Zoë,external,active,false,confluence,acme.atlassian.net,Guest,2026-10-01,off,false,2025-01-01,contractor until March,,,,\n\
         a1,ann@acme.com,Ann Admin,managed,active,true,jira,acme.atlassian.net,User,2026-11-20,on,true,2024-01-01,,,,,\n\
         a2,bob@acme.com,Bob,managed,active,false,jira,acme.atlassian.net; beta.atlassian.net,User,2026-11-25,off,false,2024-02-01,,,,,\n"
    );
    let manifest = common::read_json(&folder.join("manifest.json"));
    assert_eq!(manifest["review"], "2026-11-30");
    assert_eq!(
        manifest["population"],
        json!({"accounts": 3, "accesses": 4, "by_product": {"confluence": 2, "jira": 2}})
    );
    assert_eq!(
        manifest["review_csv"]["sha256"],
        sha256sum(&folder.join("review.csv"))
    );
    let export = &manifest["source"]["exports"][0];
    assert_eq!(export["file"], "2026-11-30/users.csv");
    assert_eq!(
        export["sha256"],
        sha256sum(&dir.path().join("exports/done/2026-11-30/users.csv"))
    );
    assert!(fs::read_to_string(folder.join("index.html"))
        .unwrap()
        .contains("keep</code>, <code>revoke</code> or <code>exception"));

    // One review at a time.
    review(dir.path(), &["start", "--as-of", "2026-12-01"])
        .code(2)
        .stderr_has("the review of 2026-11-30 is not closed");
    review(dir.path(), &["status"])
        .ok()
        .stdout_has("confluence                   0 decided, 2 undecided");

    // Undecided rows, an exception without a note, a typo: each named.
    decide(&folder, |n, line| match n {
        2 => with(line, "Keep", "Rita", ""),
        3 => with(line, "exception", "Rita", ""),
        4 => with(line, "kepp", "Rita", ""),
        _ => line.to_string(),
    });
    let refused = review(dir.path(), &["close", "--reviewer", "Rita Reviewer"]).code(2);
    refused
        .stderr_has("review.csv: line 3, column 'note'")
        .stderr_has("review.csv: line 4, column 'decision', value \"kepp\"")
        .stderr_has("review.csv: line 5, column 'decision', value \"\"");
    assert!(!folder.join("evidence.json").exists());

    // A fact altered since start is refused too.
    decide(&folder, |n, line| {
        let line = line.replacen(",kepp,", ",keep,", 1).replacen(
            ",exception,Rita,",
            ",exception,Rita,contract",
            1,
        );
        if n == 5 {
            with(
                &line.replacen("bob@acme.com", "rob@acme.com", 1),
                "revoke",
                "Rita",
                "left the team",
            )
        } else {
            line
        }
    });
    review(dir.path(), &["close", "--reviewer", "Rita Reviewer"])
        .code(2)
        .stderr_has("line 5")
        .stderr_has("was altered");
    // Put back; and a spreadsheet's rewriting of dates and flags on line 2
    // is no change of the population.
    decide(&folder, |n, line| match n {
        5 => line.replacen("rob@acme.com", "bob@acme.com", 1),
        2 => line
            .replacen("2024-01-01", "1/1/2024", 1)
            .replacen(",true,", ",TRUE,", 1),
        _ => line.to_string(),
    });

    review(dir.path(), &["close", "--reviewer", "Rita Reviewer"])
        .ok()
        .stdout_has("Closed, signed by Rita Reviewer: 1 exception, 2 keep, 1 revoke.");
    let evidence = common::read_json(&folder.join("evidence.json"));
    assert_eq!(evidence["reviewer"], "Rita Reviewer");
    assert_eq!(
        evidence["decisions"],
        json!({"keep": 2, "revoke": 1, "exception": 1})
    );
    assert_eq!(evidence["revoked"][0]["account_id"], "a2");
    assert_eq!(evidence["revoked"][0]["note"], "left the team");
    assert_eq!(evidence["compared_with"], Value::Null);
    assert_eq!(
        common::csv_text(&folder.join("revoke.csv")),
        "account_id,email,name,product,sites,role,reviewer,note\n\
         a2,bob@acme.com,Bob,jira,acme.atlassian.net; beta.atlassian.net,User,Rita,left the team\n"
    );
    // a2's every access is revoked: a plan reclaim --apply --plan takes.
    let plan = common::csv_text(&folder.join("revoke-plan.csv"));
    assert!(plan.starts_with("account_id,email,products,last_active_per_product,last_active,days_idle,why\na2,bob@acme.com,jira,jira 2026-11-25,2026-11-25,,"), "{plan}");
    assert_eq!(plan.lines().count(), 2);
    assert!(fs::read_to_string(folder.join("evidence.html"))
        .unwrap()
        .contains("Rita Reviewer"));
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&folder)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let sums = fs::read_to_string(folder.join("SHA256SUMS")).unwrap();
    for name in [
        "evidence.html",
        "evidence.json",
        "index.html",
        "manifest.json",
        "review.csv",
        "revoke-plan.csv",
        "revoke.csv",
    ] {
        assert!(sums.contains(&format!("  {name}\n")), "{name} in {sums}");
    }

    // The next quarter: nothing was revoked in fact. The new review shows
    // the last decisions and its evidence names the revocation not done.
    review(dir.path(), &["start", "--as-of", "2026-12-31"]).ok();
    let next = dir.path().join("out/access-reviews/2026-12-31");
    let text = common::csv_text(&next.join("review.csv"));
    assert!(
        text.contains("beta.atlassian.net,User,2026-11-25,off,false,2024-02-01,,revoke,,,"),
        "{text}"
    );
    decide(&next, |_, line| with(line, "keep", "Rita", ""));
    review(dir.path(), &["close", "--reviewer", "Rita Reviewer"]).ok();
    let evidence = common::read_json(&next.join("evidence.json"));
    assert_eq!(evidence["compared_with"], "2026-11-30");
    assert_eq!(
        evidence["revocations_not_carried_out"],
        json!([{"account_id": "a2", "product": "jira"}])
    );
    assert_eq!(evidence["new_since_last"], json!([]));
    assert_eq!(evidence["removed_since_last"], json!([]));
    review(dir.path(), &["status"])
        .ok()
        .stdout_has("The next is due on 2027-04-01");

    // The first review's revoke-plan.csv is a plan reclaim carries out.
    let api = ApiServer::admin(
        dir.path(),
        &json!({"key": KEY, "org": "o1", "users": {"a2": {"accountStatus": "active", "lastActive": null, "directories": ["d1"]}}}),
    );
    let config = fs::read_to_string(dir.path().join("org-insights.toml")).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "{config}[reclaim]\nenabled = true\nmax_percent = 100\n[atlassian]\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n",
            api.base_url()
        ),
    )
    .unwrap();
    let plan = folder.join("revoke-plan.csv");
    Cli::new(dir.path())
        .args(["reclaim", "--apply", "--plan", plan.to_str().unwrap()])
        .env(KEY_ENV, KEY)
        .run()
        .ok();
    assert_eq!(api.actions("suspend"), ["a2"]);
}

#[test]
fn names_in_the_review_follow_privacy_and_a_closed_review_needs_an_open_one() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let config = fs::read_to_string(dir.path().join("org-insights.toml")).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!("{config}[privacy]\nnames = \"mask\"\n"),
    )
    .unwrap();
    review(dir.path(), &["close", "--reviewer", "Rita"])
        .code(2)
        .stderr_has("an open access review to close");
    review(dir.path(), &["start", "--as-of", "2026-11-30"]).ok();
    let text = common::csv_text(&dir.path().join("out/access-reviews/2026-11-30/review.csv"));
    assert!(
        !text.contains("ann@acme.com") && !text.contains("Ann Admin"),
        "{text}"
    );
    assert!(text.contains("@acme.com"), "the domain stays: {text}");
}
