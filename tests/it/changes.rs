//! Two consecutive days on crafted bundles: every change group of the
//! second report, worked out by hand from the two bundles below, and the
//! account snapshot each report keeps.

use crate::common;

use std::fs;
use std::path::Path;

use common::Cli;
use polars::prelude::*;

/// Day one (2026-03-10). Windows: day one 02-09..03-10, day two 02-10..03-11.
const ACCOUNTS_DAY_ONE: &str = "\
account_id,email,account_type,status,two_step,sso,external_policy
m1,m1@acme.com,managed,active,on,false,false
m2,m2@acme.com,managed,active,off,false,false
m3,m3@acme.com,managed,active,on,true,false
m4,m4@acme.com,managed,active,on,false,false
m5,m5@acme.com,managed,active,on,false,false
m6,m6@acme.com,managed,active,off,false,false
m7,m7@acme.com,managed,suspended,on,false,false
m8,m8@acme.com,managed,active,on,false,false
x1,x1@partner.com,external,active,off,false,true
x3,x3@partner.com,external,active,off,false,true
x4,x4@partner.com,external,active,off,false,true
x5,x5@partner.com,external,active,off,false,true
";

/// Day two (2026-03-11): m1 turned 2SV off, m2 has it enforced, m3 left
/// SSO, m4 joined it, m6 got access, m7 (suspended, no access) changed 2SV,
/// m8 became external, x1 lost the policy, x2 is new on a new domain, x3 was
/// suspended, x4 is gone, x5 got access.
const ACCOUNTS_DAY_TWO: &str = "\
Account_ID,Email,Account_Type,Status,Two_Step,SSO,External_Policy
m1,m1@acme.com,managed,active,off,false,false
m2,m2@acme.com,managed,active,enforced,false,false
m3,m3@acme.com,managed,active,on,false,false
m4,m4@acme.com,managed,active,on,true,false
m5,m5@acme.com,managed,active,on,false,false
m6,m6@acme.com,managed,active,off,false,false
m7,m7@acme.com,managed,suspended,off,false,false
m8,m8@acme.com,external,active,on,false,false
x1,x1@partner.com,external,active,off,false,false
x2,x2@new.org,external,active,on,false,true
x3,x3@partner.com,external,suspended,off,false,true
x5,x5@partner.com,external,active,off,false,true
";

const ACCESS_DAY_ONE: &str = "\
account_id,product,site
m1,jira,acme.atlassian.net
m2,jira,acme.atlassian.net
m3,jira,acme.atlassian.net
m4,jira,acme.atlassian.net
m5,confluence,acme.atlassian.net
m5,jira,acme.atlassian.net
m7,jira,acme.atlassian.net
m8,jira,acme.atlassian.net
x1,jira,acme.atlassian.net
x3,jira,acme.atlassian.net
x4,jira,acme.atlassian.net
";

/// Day one's access plus m6, x2 and x5.
const ACCESS_ADDED_ON_DAY_TWO: &str = "\
m6,jira,acme.atlassian.net
x2,jira,acme.atlassian.net
x5,jira,acme.atlassian.net
";

/// m5 viewed last on 02-09: inside day one's window, outside day two's.
/// m1 viewed on 03-05, inside both. x4's row is for an account gone on day
/// two (a data-quality warning there, not an error).
const ACTIVITY: &str = "\
date,account_id,product
2026-02-09,m5,confluence
2026-01-20,m5,jira
2026-03-05,m1,jira
2026-03-01,x4,jira
";

fn write_bundle(dir: &Path, accounts: &str, access: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("accounts.csv"), accounts).unwrap();
    fs::write(dir.join("product_access.csv"), access).unwrap();
    fs::write(dir.join("activity.csv"), ACTIVITY).unwrap();
}

fn two_days() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(&dir.path().join("day1"), ACCOUNTS_DAY_ONE, ACCESS_DAY_ONE);
    write_bundle(
        &dir.path().join("day2"),
        ACCOUNTS_DAY_TWO,
        &format!("{ACCESS_DAY_ONE}{ACCESS_ADDED_ON_DAY_TWO}"),
    );
    for (data, as_of) in [("day1", "2026-03-10"), ("day2", "2026-03-11")] {
        Cli::new(dir.path())
            .report(data, "out")
            .dated(as_of)
            .run()
            .ok();
    }
    dir
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_change_group_against_the_previous_day() {
    let dir = two_days();
    let rows = csv_rows(&dir.path().join("out/2026-03-11/data/changes.csv"));
    let expected: Vec<[&str; 5]> = vec![
        ["two_step_lost", "m1", "m1@acme.com", "acme.com", "on → off"],
        [
            "two_step_gained",
            "m2",
            "m2@acme.com",
            "acme.com",
            "off → enforced",
        ],
        [
            "sso_lost",
            "m3",
            "m3@acme.com",
            "acme.com",
            "sso true → false",
        ],
        [
            "sso_gained",
            "m4",
            "m4@acme.com",
            "acme.com",
            "sso false → true",
        ],
        [
            "external_added",
            "m8",
            "m8@acme.com",
            "acme.com",
            "was managed",
        ],
        [
            "external_added",
            "x2",
            "x2@new.org",
            "new.org",
            "new account",
        ],
        [
            "external_added",
            "x5",
            "x5@partner.com",
            "partner.com",
            "access granted",
        ],
        [
            "external_removed",
            "x3",
            "x3@partner.com",
            "partner.com",
            "now suspended",
        ],
        [
            "external_removed",
            "x4",
            "x4@partner.com",
            "partner.com",
            "no longer in accounts",
        ],
        ["new_domains", "", "", "new.org", "1 account with access"],
        [
            "went_inactive",
            "m5",
            "m5@acme.com",
            "acme.com",
            "last active 2026-02-09",
        ],
        [
            "policy_lost",
            "x1",
            "x1@partner.com",
            "partner.com",
            "external_policy true → false",
        ],
        // m6 got access; m8 became external. No product changed for an
        // account that kept access, and nobody holds the admin role.
        [
            "managed_added",
            "m6",
            "m6@acme.com",
            "acme.com",
            "access granted",
        ],
        [
            "managed_removed",
            "m8",
            "m8@acme.com",
            "acme.com",
            "now external",
        ],
    ];
    let expected: Vec<Vec<String>> = expected
        .iter()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows, expected);

    let page = fs::read_to_string(dir.path().join("out/2026-03-11/index.html")).unwrap();
    assert!(page.contains("Compared with the report of 2026-03-10."));
    assert!(page.contains(r#"New external users: <span class="count">3</span>"#));
    assert!(page.contains(r#"Gained single sign-on: <span class="count">1</span>"#));
}

#[test]
fn the_first_report_has_no_changes_and_says_so() {
    let dir = two_days();
    let rows = csv_rows(&dir.path().join("out/2026-03-10/data/changes.csv"));
    assert!(rows.is_empty(), "{rows:?}");
    let page = fs::read_to_string(dir.path().join("out/2026-03-10/index.html")).unwrap();
    assert!(page.contains("This is the first report in this folder"));
}

#[test]
fn each_report_keeps_an_account_snapshot() {
    let dir = two_days();
    let file = fs::File::open(dir.path().join("out/2026-03-11/snapshot.parquet")).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    assert_eq!(
        frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>(),
        [
            "account_id",
            "email",
            "domain",
            "account_type",
            "status",
            "two_step",
            "sso",
            "external_policy",
            "org_admin",
            "has_access",
            "products",
            "last_active"
        ]
    );
    let ids: Vec<&str> = frame
        .column("account_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(
        ids,
        ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "x1", "x2", "x3", "x5"]
    );
    let row = |id: &str| {
        let at = ids.iter().position(|i| *i == id).unwrap();
        frame
            .get(at)
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
    };
    // m5: two products; the latest view on 2026-02-09 (not the older jira one).
    assert_eq!(
        row("m5"),
        [
            "\"m5\"",
            "\"m5@acme.com\"",
            "\"acme.com\"",
            "\"managed\"",
            "\"active\"",
            "\"on\"",
            "false",
            "false",
            "false",
            "true",
            "\"confluence,jira\"",
            "2026-02-09"
        ]
    );
    // m7: suspended, so no access although it has a product_access row.
    assert_eq!(
        row("m7"),
        [
            "\"m7\"",
            "\"m7@acme.com\"",
            "\"acme.com\"",
            "\"managed\"",
            "\"suspended\"",
            "\"off\"",
            "false",
            "false",
            "false",
            "false",
            "\"jira\"",
            "null"
        ]
    );
}

#[test]
fn api_tokens_created_since_the_previous_report_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = "token_id,account_id,email,label,created\n\
                  t1,m1,,old,2026-03-01\n\
                  t2,m1,,on the day before,2026-03-10\n\
                  t3,gone,left@acme.com,new,2026-03-11\n\
                  t4,m2,,later,2026-03-12\n";
    for data in ["day1", "day2"] {
        write_bundle(&dir.path().join(data), ACCOUNTS_DAY_ONE, ACCESS_DAY_ONE);
        fs::write(dir.path().join(data).join("api_tokens.csv"), tokens).unwrap();
    }
    for (data, as_of) in [("day1", "2026-03-10"), ("day2", "2026-03-11")] {
        Cli::new(dir.path())
            .report(data, "out")
            .dated(as_of)
            .run()
            .ok();
    }
    // Created after 2026-03-10 and by 2026-03-11: t3 only (t4 is later).
    let rows: Vec<Vec<String>> = csv_rows(&dir.path().join("out/2026-03-11/data/changes.csv"))
        .into_iter()
        .filter(|row| row[0] == "api_tokens_created")
        .collect();
    assert_eq!(
        rows,
        [[
            "api_tokens_created",
            "gone",
            "left@acme.com",
            "acme.com",
            "API token \"new\" created 2026-03-11"
        ]]
    );
    let page = fs::read_to_string(dir.path().join("out/2026-03-11/index.html")).unwrap();
    assert!(page.contains(r#"New API tokens: <span class="count">1</span>"#));
}

#[test]
fn the_audit_log_says_who_made_a_change_and_an_unrecorded_group_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1");
    let day2 = dir.path().join("day2");
    write_bundle(
        &day1,
        "account_id,email,account_type,two_step,org_admin\n\
         a1,a1@acme.com,managed,on,false\n\
         a2,a2@acme.com,managed,off,false\n\
         a3,a3@acme.com,managed,off,false\n",
        "account_id,product,site\na1,jira,s\na2,jira,s\na3,jira,s\n",
    );
    // Day two: a1 lost 2SV, a2 became an org admin, a3 got Confluence.
    write_bundle(
        &day2,
        "account_id,email,account_type,two_step,org_admin\n\
         a1,a1@acme.com,managed,off,false\n\
         a2,a2@acme.com,managed,off,true\n\
         a3,a3@acme.com,managed,off,false\n",
        "account_id,product,site\na1,jira,s\na2,jira,s\na3,jira,s\na3,confluence,s\n",
    );
    // ev4 happened before the previous report: it explains nothing new.
    fs::write(
        day2.join("events.csv"),
        "event_id,time,action,actor,subject_id\n\
         ev1,2026-03-11T09:00:00Z,twosv_disabled_for_user,boss@acme.com,a1\n\
         ev2,2026-03-11T10:00:00Z,added_org_admin,boss@acme.com,a2\n\
         ev3,2026-03-11T11:00:00Z,user_granted_role,Boss Person,a3\n\
         ev4,2026-03-05T09:00:00Z,twosv_disabled_for_user,old@acme.com,a3\n",
    )
    .unwrap();
    fs::write(day2.join("bundle.toml"), "not_recorded = [\"sso\"]\n").unwrap();
    for (data, as_of) in [("day1", "2026-03-10"), ("day2", "2026-03-11")] {
        Cli::new(dir.path())
            .report(data, "out")
            .dated(as_of)
            .run()
            .ok();
    }
    let rows: Vec<Vec<String>> = csv_rows(&dir.path().join("out/2026-03-11/data/changes.csv"))
        .into_iter()
        .filter(|row| row[0] != "went_inactive")
        .collect();
    let expected = [
        [
            "two_step_lost",
            "a1",
            "a1@acme.com",
            "acme.com",
            "on → off: by boss@acme.com on 2026-03-11",
        ],
        [
            "product_access_granted",
            "a3",
            "a3@acme.com",
            "acme.com",
            "confluence: by Boss Person on 2026-03-11",
        ],
        [
            "org_admin_added",
            "a2",
            "a2@acme.com",
            "acme.com",
            "became an organization admin: by boss@acme.com on 2026-03-11",
        ],
    ];
    assert_eq!(rows, expected);
    let page = fs::read_to_string(dir.path().join("out/2026-03-11/index.html")).unwrap();
    assert!(page.contains(r#"Lost single sign-on: <span class="count">not recorded</span>"#));
    assert!(page.contains(r#"Lost two-step verification: <span class="count">1</span>"#));
    assert!(
        page.contains(r#"Managed accounts that gained access: <span class="count">none</span>"#)
    );
}

#[test]
fn a_snapshot_kept_before_org_admins_were_recorded_gives_not_recorded() {
    let dir = two_days();
    // The first day's snapshot as an earlier version wrote it.
    let path = dir.path().join("out/2026-03-10/snapshot.parquet");
    let frame = ParquetReader::new(fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    let mut older = frame.drop("org_admin").unwrap();
    ParquetWriter::new(fs::File::create(&path).unwrap())
        .finish(&mut older)
        .unwrap();
    Cli::new(dir.path())
        .report("day2", "out")
        .dated("2026-03-11")
        .run()
        .ok();
    let page = fs::read_to_string(dir.path().join("out/2026-03-11/index.html")).unwrap();
    assert!(page.contains(r#"New organization admins: <span class="count">not recorded</span>"#));
    assert!(page.contains(r#"Lost two-step verification: <span class="count">1</span>"#));
}

#[test]
fn without_product_access_its_changes_are_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    for (data, as_of) in [("day1", "2026-03-10"), ("day2", "2026-03-11")] {
        let folder = dir.path().join(data);
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join("accounts.csv"),
            "account_id,email,account_type\na1,a1@acme.com,managed\n",
        )
        .unwrap();
        Cli::new(dir.path())
            .report(data, "out")
            .dated(as_of)
            .run()
            .ok();
    }
    let page = fs::read_to_string(dir.path().join("out/2026-03-11/index.html")).unwrap();
    assert!(page.contains(r#"Product access granted: <span class="count">not recorded</span>"#));
    assert!(
        page.contains(r#"Managed accounts that gained access: <span class="count">none</span>"#)
    );
}
