//! Every figure of the program against an independent implementation of the
//! contract (tests/common/oracle.rs), on random bundles written in a random
//! mix of formats and spellings.

use crate::common;

use chrono::NaiveDate;
use common::{generate, oracle};
use org_insights::pipeline::RunControl;
use org_insights::pipeline::{run, RunRequest};
use serde_json::Value;

fn check_seed(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let base =
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(rng.i64(0..400));
    let bundle = generate::random_bundle(&mut rng, base);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let formats = generate::write_bundle(&mut rng, &bundle, &data);

    let latest = bundle.activity.iter().flatten().map(|r| r.date).max();
    let explicit = latest.is_none() || rng.bool();
    let as_of = if explicit { base } else { latest.unwrap() };

    let request = RunRequest {
        as_of: explicit.then_some(as_of),
        ..RunRequest::new(data.clone(), dir.path().join("out"))
    };
    let outcome = run(&request, &RunControl::default())
        .unwrap_or_else(|err| panic!("seed {seed} ({formats:?}): {err:#}"));
    assert_eq!(outcome.as_of, as_of, "seed {seed}: as_of");

    let json: Value =
        serde_json::from_slice(&std::fs::read(outcome.report_dir.join("insights.json")).unwrap())
            .unwrap();
    let (expected, expected_missing) = oracle::expected(&bundle, as_of);
    for (key, want) in expected.as_object().unwrap() {
        let got = &json["insights"][key];
        assert_eq!(got, want, "seed {seed}, insight {key}, files {formats:?}");
    }
    assert_eq!(
        json["security_changes"],
        oracle::security_changes(&bundle, as_of),
        "seed {seed}: security_changes, files {formats:?}"
    );
    let missing: Vec<&String> = json["missing"].as_object().unwrap().keys().collect();
    let mut want_missing: Vec<&String> = expected_missing.as_object().unwrap().keys().collect();
    let security_missing = "security_changes".to_string();
    if bundle.events.is_none() {
        want_missing.push(&security_missing);
        want_missing.sort();
    }
    assert_eq!(missing, want_missing, "seed {seed}: missing");
    assert_eq!(json["as_of"], Value::from(as_of.to_string()));
    assert_eq!(json["window_days"], Value::from(30));
    assert_eq!(json["schema_version"], Value::from(1));
    assert_eq!(
        json["data_quality"]["auth_not_recorded"],
        Value::from(oracle::auth_not_recorded(&bundle)),
        "seed {seed}: data_quality.auth_not_recorded"
    );
}

#[test]
fn random_bundles_match_the_independent_oracle() {
    let seeds: u64 = std::env::var("ORACLE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for seed in 0..seeds {
        check_seed(seed);
    }
}

/// Runs a bundle of `accounts` managed accounts, `sites` and `activity`
/// (written in a mix of formats) as of `as_of` and returns insights.json,
/// after checking every insight against the oracle.
fn run_against_oracle(
    accounts: usize,
    sites: Vec<common::model::Site>,
    activity: Vec<common::model::Activity>,
    as_of: NaiveDate,
) -> Value {
    let bundle = &common::model::Bundle {
        accounts: managed_accounts(accounts),
        sites: Some(sites),
        activity: Some(activity),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    generate::write_bundle(&mut fastrand::Rng::with_seed(1), bundle, &data);
    let request = RunRequest {
        as_of: Some(as_of),
        ..RunRequest::new(data, dir.path().join("out"))
    };
    let outcome = run(&request, &RunControl::default()).unwrap();
    let json: Value =
        serde_json::from_slice(&std::fs::read(outcome.report_dir.join("insights.json")).unwrap())
            .unwrap();
    let (expected, _) = oracle::expected(bundle, as_of);
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&json["insights"][key], want, "insight {key}");
    }
    json
}

fn managed_accounts(count: usize) -> Vec<common::model::Account> {
    (0..count)
        .map(|i| common::model::Account {
            id: format!("id-{i}"),
            email: format!("user{i}@acme.com"),
            name: format!("User {i}"),
            account_type: "managed",
            status: None,
            two_step: None,
            sso: None,
            external_policy: None,
            org_admin: None,
            auth_recorded: None,
        })
        .collect()
}

fn site_row(site: String, product: &str) -> common::model::Site {
    common::model::Site {
        site,
        product: product.to_string(),
        plan: None,
        rovo: None,
        rovo_activated_on: None,
        ai: None,
        billing: None,
        paid_seats: None,
    }
}

fn activity_row(
    date: NaiveDate,
    account: usize,
    product: &str,
    site: &str,
    action: &'static str,
) -> common::model::Activity {
    common::model::Activity {
        date,
        account_id: format!("id-{account}"),
        product: product.to_string(),
        site: Some(site.to_string()),
        surface: None,
        action: Some(action),
        success: Some(true),
        count: None,
    }
}

/// Sites with AI on for more products than one 64-bit word holds: the AI
/// figure must still follow each (site, product) pair.
#[test]
fn ai_on_for_seventy_products_matches_the_oracle() {
    let as_of = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let products: Vec<String> = (0..70).map(|i| format!("tool-{i:02}")).collect();
    // AI on for every product on one site; on the other site only for the
    // even products (so odd products there are not AI use).
    let sites = products
        .iter()
        .enumerate()
        .flat_map(|(i, product)| {
            [
                ("one.atlassian.net", true),
                ("two.atlassian.net", i % 2 == 0),
            ]
            .map(|(site, ai)| common::model::Site {
                ai: Some(ai),
                ..site_row(site.to_string(), product)
            })
        })
        .collect();
    // Account i uses AI on product 30 + i, the later ones on the second
    // site, where only even products have AI on.
    let activity = (0..40)
        .map(|i| {
            let site = if i < 20 { "one" } else { "two" };
            let date = as_of - chrono::Duration::days(i as i64 % 20);
            activity_row(
                date,
                i,
                &products[30 + i],
                &format!("{site}.atlassian.net"),
                "ai",
            )
        })
        .collect();
    let json = run_against_oracle(40, sites, activity, as_of);
    // By hand: the 20 accounts on the first site, and the 10 of the second
    // site whose product number (30 + i, i from 20 to 39) is even.
    assert_eq!(json["insights"]["ai_active"]["active"], Value::from(30));
}

/// More Rovo, AI and Trello sites than one 64-bit word of site numbers
/// holds: each row must still find its own site's facts.
#[test]
fn a_hundred_sites_match_the_oracle() {
    let as_of = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let plans = ["free", "standard", "premium", "enterprise"];
    let name = |i: usize| format!("site-{i:03}.atlassian.net");
    let sites = (0..100)
        .flat_map(|i| {
            [
                common::model::Site {
                    rovo: Some(i % 3 == 0),
                    ai: Some(i % 2 == 0),
                    ..site_row(name(i), "jira")
                },
                common::model::Site {
                    plan: Some(plans[i % 4]),
                    ..site_row(name(i), "trello")
                },
            ]
        })
        .collect();
    // Account i works on site i: a Rovo chat and AI in Jira, a Trello view.
    let activity = (0..100)
        .flat_map(|i| {
            [
                activity_row(as_of, i, "jira", &name(i), "rovo_chat"),
                activity_row(as_of, i, "jira", &name(i), "ai"),
                activity_row(as_of, i, "trello", &name(i), "view"),
            ]
        })
        .collect();
    let json = run_against_oracle(100, sites, activity, as_of);
    // By hand: Rovo on every third site (0, 3, …, 99), AI on every other.
    assert_eq!(json["insights"]["rovo_active"]["active"], Value::from(34));
    assert_eq!(json["insights"]["ai_active"]["active"], Value::from(50));
}

/// Runs a CSV bundle of three managed accounts and `activity` (rows of
/// `date,account_id,product`, all views) as of 2026-03-31; returns
/// insights.json.
fn run_activity_csv(activity: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type\na1,a1@acme.com,managed\na2,a2@acme.com,managed\na3,a3@acme.com,managed\n",
    )
    .unwrap();
    std::fs::write(
        data.join("activity.csv"),
        format!("date,account_id,product,action\n{activity}"),
    )
    .unwrap();
    let request = RunRequest {
        as_of: Some(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
        ..RunRequest::new(data, dir.path().join("out"))
    };
    let outcome = run(&request, &RunControl::default()).unwrap();
    serde_json::from_slice(&std::fs::read(outcome.report_dir.join("insights.json")).unwrap())
        .unwrap()
}

/// Rows dated after the as-of date are counted for data quality and left
/// out of every figure; a run as of the latest date has none.
#[test]
fn rows_after_the_as_of_date_are_counted_and_left_out() {
    // By hand, as of 2026-03-31: a1 viewed on the 30th; a2 only on April
    // 1st and 2nd, a3 on April 1st (three rows after as_of, none counted).
    let later = run_activity_csv(
        "2026-03-30,a1,jira,view\n2026-04-01,a2,jira,view\n2026-04-02,a2,confluence,view\n2026-04-01,a3,jira,view\n",
    );
    assert_eq!(later["data_quality"]["activity_after_as_of"], 3);
    assert_eq!(later["insights"]["active_users"]["active"], 1);
    // The same rows up to as_of only: a1 and a2 active, nothing after.
    let upto = run_activity_csv("2026-03-30,a1,jira,view\n2026-03-31,a2,jira,view\n");
    assert_eq!(upto["data_quality"]["activity_after_as_of"], 0);
    assert_eq!(upto["insights"]["active_users"]["active"], 2);
}

/// A CSV's dates are kept parsed for computing only when every cell is
/// canonical; a padded date must still count, read from the file itself.
#[test]
fn padded_csv_dates_count_as_their_days() {
    // By hand, as of 2026-03-31: a1 viewed on the 30th and a2 on the 2nd,
    // both in the window; a3 on the 1st of March, before it.
    let rows = |day: &str| {
        format!("{day},a1,jira,view\n2026-03-02,a2,jira,view\n2026-03-01,a3,confluence,view\n")
    };
    for json in [
        run_activity_csv(&rows("2026-03-30")),
        run_activity_csv(&rows("\" 2026-03-30 \"")),
    ] {
        assert_eq!(json["insights"]["active_users"]["active"], 2);
        let daily = json["insights"]["active_users"]["daily"]
            .as_array()
            .unwrap();
        let on = |date: &str| {
            daily
                .iter()
                .find(|d| d["date"] == date)
                .map(|d| d["active"].clone())
        };
        assert_eq!(on("2026-03-30"), Some(1.into()));
        assert_eq!(on("2026-03-02"), Some(1.into()));
    }
}

/// A run reads activity's account ids without checking them first (the
/// computing pass looks each one up among the accounts anyway); an id
/// with space around it must still count as its account, and an unknown
/// one as unknown, exactly as when every id is clean.
#[test]
fn padded_activity_ids_count_as_their_accounts() {
    // By hand: a1 and a2 active in the window (a1 on the 30th, a2 on the
    // 2nd and the 31st), a3 never; "ghost" is no account: one row of an
    // unknown account, not active on the 31st.
    let rows = |a2: &str| {
        format!(
            "2026-03-30,a1,jira,view\n2026-03-02,{a2},jira,view\n2026-03-31,{a2},confluence,view\n2026-03-31,ghost,jira,view\n"
        )
    };
    let clean = run_activity_csv(&rows("a2"));
    let padded = run_activity_csv(&rows("\" a2\t\""));
    for json in [&clean, &padded] {
        assert_eq!(json["insights"]["active_users"]["active"], 2);
        assert_eq!(json["data_quality"]["unknown_accounts"]["activity"], 1);
        let daily = |date: &str| {
            json["insights"]["active_users"]["daily"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["date"] == date)
                .map(|d| d["active"].clone())
        };
        assert_eq!(daily("2026-03-30"), Some(1.into()));
        assert_eq!(daily("2026-03-31"), Some(1.into()));
        assert_eq!(daily("2026-03-02"), Some(1.into()));
    }
    assert_eq!(clean["insights"], padded["insights"]);
}
