//! Seats to reclaim on a crafted bundle, worked out by hand: as of
//! 2026-06-30, views 0, 30, 60 and 121 days old, a view that is not a view
//! (`ai`), rows after the report date, a suspended account, an account on
//! two sites, and an account added ten days before the report.

use crate::common;

use std::fs;
use std::path::Path;

use common::Cli;

const ACCOUNTS: &str = "\
account_id,email,account_type,status,added_on
a1,a1@acme.com,managed,active,2025-01-01
a2,a2@acme.com,managed,active,2026-06-20
a3,a3@acme.com,managed,active,
a4,a4@acme.com,managed,suspended,2025-01-01
x1,x1@partner.com,external,active,2025-01-01
";

const ACCESS: &str = "\
account_id,product,site
a1,jira,s1
a1,confluence,s1
a2,jira,s1
a3,jira,s1
a3,jira,s2
a4,jira,s1
x1,confluence,s1
";

const ACTIVITY: &str = "\
date,account_id,product,action
2026-06-30,a1,jira,view
2026-05-01,a1,confluence,view
2026-03-01,a3,jira,view
2026-06-29,a3,jira,ai
2026-05-31,x1,confluence,view
2026-06-30,a4,jira,view
2026-07-05,a3,jira,view
2026-07-01,x1,confluence,view
";

fn report(config: Option<&str>) -> (tempfile::TempDir, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("accounts.csv"), ACCOUNTS).unwrap();
    fs::write(data.join("product_access.csv"), ACCESS).unwrap();
    fs::write(data.join("activity.csv"), ACTIVITY).unwrap();
    let mut args = vec![
        "run",
        "--data",
        "data",
        "--out",
        "out",
        "--as-of",
        "2026-06-30",
    ];
    if let Some(text) = config {
        fs::write(dir.path().join("c.toml"), text).unwrap();
        args.extend(["--config", "c.toml"]);
    }
    Cli::new(dir.path()).args(&args).run().ok();
    let report = dir.path().join("out/2026-06-30");
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    let csv = common::csv_text(&report.join("data/seat-reclaim.csv"));
    (dir, page, csv.lines().map(str::to_string).collect())
}

fn product_row(product: &str, counts: [u64; 4]) -> String {
    let cells: Vec<String> = counts
        .iter()
        .map(|n| format!("<td class=\"num\">{n}</td>"))
        .collect();
    format!("<tr><td>{product}</td>{}</tr>", cells.concat())
}

#[test]
fn idle_seats_by_product_leave_out_new_accounts() {
    let (_dir, page, csv) = report(None);
    // confluence: a1 (last view 60 days ago) and x1 (30 days ago).
    // jira: a1 (today) and a3 (121 days ago, on two sites); a2 was added 10
    // days ago and is left out; a4 is suspended, so has no access.
    assert!(
        page.contains(&product_row("Confluence", [2, 2, 1, 0])),
        "{page}"
    );
    assert!(page.contains(&product_row("Jira", [2, 1, 1, 1])));
    assert!(page.contains("fewer than 30 days ago are left out (1 now)"));
    assert_eq!(
        csv,
        [
            "product,site,account_id,email,last_active,days_inactive,owner,due",
            "confluence,s1,a1,a1@acme.com,2026-05-01,60,,",
            "confluence,s1,x1,x1@partner.com,2026-05-31,30,,",
            "jira,s1,a3,a3@acme.com,2026-03-01,121,,",
            "jira,s2,a3,a3@acme.com,2026-03-01,121,,",
        ]
    );
}

#[test]
fn the_grace_period_comes_from_the_configuration() {
    let (_dir, page, csv) = report(Some("[seat_reclaim]\nskip_added_within_days = 0\n"));
    // a2 now counts: never viewed jira, so idle in every bucket, listed first.
    assert!(page.contains(&product_row("Jira", [3, 2, 2, 2])));
    assert_eq!(csv[3], "jira,s1,a2,a2@acme.com,,,,");
    assert_eq!(csv.len(), 6);
}

#[test]
fn without_activity_seat_reclaim_has_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("accounts.csv"), ACCOUNTS).unwrap();
    fs::write(data.join("product_access.csv"), ACCESS).unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-06-30")
        .run()
        .ok();
    let report = Path::new("out/2026-06-30");
    let page = fs::read_to_string(dir.path().join(report).join("index.html")).unwrap();
    assert!(page.contains("No data: seat reclaim needs the product_access and activity tables."));
    let csv = fs::read_to_string(dir.path().join(report).join("data/seat-reclaim.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1);
}

/// An external user's Trello views count for their seat: the rule that
/// leaves them out belongs to the active-user figures, not to seats.
#[test]
fn an_external_user_s_trello_views_keep_their_seat() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type\nm1,m1@acme.com,managed\nx1,x1@partner.com,external\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site\nm1,trello,t1\nx1,trello,t1\n",
    )
    .unwrap();
    fs::write(
        data.join("activity.csv"),
        "date,account_id,product\n2026-06-23,x1,trello\n2026-04-01,m1,trello\n",
    )
    .unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-06-30")
        .run()
        .ok();
    let report = dir.path().join("out/2026-06-30");
    let csv = common::csv_text(&report.join("data/seat-reclaim.csv"));
    // m1 viewed Trello 90 days before; x1 a week before: only m1 is idle.
    assert_eq!(
        csv,
        "product,site,account_id,email,last_active,days_inactive,owner,due\ntrello,t1,m1,m1@acme.com,2026-04-01,90,,\n"
    );
    // The active-user figures still leave the external user's Trello out.
    let json = common::read_json(&report.join("insights.json"));
    assert_eq!(json["insights"]["active_users"]["active"], 0);
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("<a href=\"data/seat-reclaim.csv\">data/seat-reclaim.csv</a>"));
}
