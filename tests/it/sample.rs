//! The bundled sample (fixtures/sample) against figures worked out by hand
//! from its rows; the reasoning for each figure is in the comments.

use std::path::Path;

use org_insights::pipeline::RunControl;
use org_insights::pipeline::{run, RunRequest};
use serde_json::{json, Value};

fn sample_report() -> (tempfile::TempDir, Value) {
    let out = tempfile::tempdir().unwrap();
    let request = RunRequest {
        as_of: None,
        ..RunRequest::new(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample"),
            out.path().to_path_buf(),
        )
    };
    let outcome = run(&request, &RunControl::default()).expect("the sample loads");
    let json =
        serde_json::from_slice(&std::fs::read(outcome.report_dir.join("insights.json")).unwrap())
            .unwrap();
    (out, json)
}

#[test]
fn sample_figures_match_the_hand_computation() {
    let (_out, report) = sample_report();
    // as_of: the latest activity date; window 2026-10-12 .. 2026-11-10.
    assert_eq!(report["as_of"], json!("2026-11-10"));
    let i = &report["insights"];

    // With access: active and in product_access. a4 suspended, e4
    // deactivated, a7 and e5 have no product_access row.
    assert_eq!(
        i["users_with_access"],
        json!({"managed": 5, "external": 3, "total": 8})
    );

    // bob@ACME.com is acme.com; corp.io is verified by its second row.
    assert_eq!(
        i["domains"],
        json!([
            {"domain": "acme.com", "managed": 4, "external": 0, "verified": true},
            {"domain": "partner.com", "managed": 0, "external": 2, "verified": false},
            {"domain": "corp.io", "managed": 1, "external": 0, "verified": true},
            {"domain": "gmail.com", "managed": 0, "external": 1, "verified": false}
        ])
    );

    // sso: a2 (TRUE), a5 (yes). 2SV: a1 (on), a6 (enforced). Neither: a3.
    assert_eq!(
        i["managed_authentication"],
        json!({"sso": 2, "two_step_enabled": 2, "two_step_disabled": 1})
    );
    assert_eq!(
        i["external_two_step"],
        json!({"enabled_self": 1, "enabled_by_other_org": 1, "not_enabled": 1})
    );
    // e1 (true) and e2 (1) of e1, e2, e3: 2/3 = 66.67 → 66.7.
    assert_eq!(
        i["external_policy"],
        json!({"covered": 2, "total": 3, "percent": 66.7})
    );

    // Views in the window by known accounts: a1, a2, a3, a4 (suspended but
    // known), a5, a6, e1. e2's view is on 2026-10-11, outside; e3's Trello
    // view does not count (external); zz is unknown.
    let active = &i["active_users"];
    assert_eq!(active["active"], json!(7));
    let daily = active["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[0], json!({"date": "2026-10-12", "active": 1}));
    assert_eq!(daily[29], json!({"date": "2026-11-10", "active": 1}));
    let nonzero: Vec<(String, u64)> = daily
        .iter()
        .filter(|d| d["active"].as_u64().unwrap() > 0)
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["active"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected_days = [
        ("2026-10-12", 1),
        ("2026-10-15", 1),
        ("2026-10-31", 1),
        ("2026-11-01", 1),
        ("2026-11-05", 1),
        ("2026-11-06", 2),
        ("2026-11-07", 1),
        ("2026-11-10", 1),
    ];
    assert_eq!(
        nonzero,
        expected_days
            .iter()
            .map(|(d, n)| (d.to_string(), *n))
            .collect::<Vec<_>>()
    );
    // August: a3. September: no view. October: a3, e1, e2, a4. November: a1, a2, a5, a6.
    assert_eq!(
        active["monthly"],
        json!([
            {"month": "2026-08", "active": 1}, {"month": "2026-09", "active": 0},
            {"month": "2026-10", "active": 4}, {"month": "2026-11", "active": 4}
        ])
    );

    // Holders: jira a1 a2 a5 a6 e1; confluence a1 a3 e2; trello a2 a5 e3.
    assert_eq!(
        i["active_by_product"],
        json!([
            {"product": "confluence", "active": 1, "inactive": 2},
            {"product": "jira", "active": 4, "inactive": 1},
            {"product": "trello", "active": 2, "inactive": 1}
        ])
    );

    // a2 on trello-acme (enterprise); a5 on trello-other (standard) and on
    // no site (free): standard.
    assert_eq!(
        i["trello_by_plan"],
        json!([{"plan": "standard", "active": 1}, {"plan": "enterprise", "active": 1}])
    );

    // Window rows: jira a1 a2 a4 a6 e1 (mobile a1 e1 a6); confluence a2 a3 e2
    // e3 (none on mobile); trello a2 a5 (mobile a2). Mobile overall: a1 a2 a6 e1.
    assert_eq!(
        i["mobile_usage"],
        json!({
            "products": [
                {"product": "confluence", "users": 0, "share": 0.0},
                {"product": "jira", "users": 3, "share": 60.0},
                {"product": "trello", "users": 1, "share": 50.0}
            ],
            "total": 4
        })
    );

    // Rovo sites: acme (jira row) and beta. Users with access there: a1 a2
    // a3 a6 e1 e2 (acme), a5 (beta). Annual rows of Rovo sites: 50 + 20 + 5.
    assert_eq!(
        i["rovo_access"],
        json!({"users": 7, "paid_seats": 75, "sites": 2})
    );

    // a1 search (acme), a6 click (beta), e2 definition (no site), a2 first
    // party click, e1 third party filter; a3's chat failed, e1's agent was on
    // gamma (no Rovo). a1's September search starts the trend.
    assert_eq!(
        i["rovo_active"],
        json!({
            "active": 5,
            "monthly": [
                {"month": "2026-09", "active": 1}, {"month": "2026-10", "active": 1},
                {"month": "2026-11", "active": 4}
            ],
            "recently_activated": ["beta.atlassian.net"]
        })
    );

    // a1 on acme/jira (AI on), e3 on gamma/confluence (AI on), a6 with no
    // site; a3 on acme/confluence (AI off) does not count.
    assert_eq!(
        i["ai_active"],
        json!({"active": 3, "monthly": [{"month": "2026-10", "active": 1}, {"month": "2026-11", "active": 2}]})
    );

    // as_of 2026-11-10. Live: t1..t6 (t7 revoked, t8 expired 2026-10-01,
    // t9 created 2026-11-12, t10 expires on as_of itself; t5's status
    // " Allowed " and t6's empty status are allowed). Last use: t1 (2 days)
    // and t5 (1 day) in the last 7; t2 (21 days); t4 (56 days); t3 (101
    // days); t6 never. Expiring by 2026-12-10: t2 (2026-11-30), not t5
    // (2026-12-15). Owners without access: t4 (a4 suspended), t5 (x9
    // missing from accounts). Owners: a1 a3 a4 x9 a6.
    assert_eq!(
        i["api_tokens"],
        json!({
            "live": 6, "accounts": 5,
            "by_last_use": {"last_7_days": 2, "last_30_days": 1, "last_90_days": 1, "older": 1, "never": 1},
            "expiring_30_days": 1, "owner_without_access": 2
        })
    );

    // Window 2026-10-12 .. 2026-11-10 in UTC: ev2 is 2026-11-10T01:30Z (in),
    // ev3 2026-11-11T01:00Z (after), ev5 2026-10-11T23:30Z (before), ev4 the
    // day before; ev7's action is not tracked. Newest first: ev2, ev8, ev1,
    // ev6.
    let event = |time: &str, action: &str, actor: &str, subject: Value, target: Value| json!({"time": time, "action": action, "actor": actor, "subject": subject, "target": target});
    assert_eq!(
        report["security_changes"],
        json!({
            "events": [
                event("2026-11-09T23:30:00-02:00", "twosv_disabled_for_user", "alice@acme.com", json!("frank@corp.io"), Value::Null),
                event("2026-11-03T10:00:00Z", "group_granted_admin_access", "alice@acme.com", Value::Null, json!("site-admins")),
                event("2026-11-02T09:15:00Z", "added_org_admin", "alice@acme.com", json!("carol@acme.com"), Value::Null),
                event("2026-10-12T08:00:00Z", "user_logged_in_as_user", "bob@acme.com", json!("erin@acme.com"), Value::Null),
            ],
            "counts": {
                "added_org_admin": 1, "group_granted_admin_access": 1, "twosv_disabled_for_user": 1,
                "user_granted_role": 0, "user_revoked_role": 0, "user_logged_in_as_user": 1
            }
        })
    );

    assert_eq!(report["missing"], json!({}));
    let quality = &report["data_quality"];
    assert_eq!(
        quality["unknown_accounts"],
        json!({"activity": 1, "product_access": 1})
    );
    assert_eq!(
        quality["unknown_products"],
        json!([{"table": "sites", "product": "loom", "rows": 1}])
    );
}

#[test]
fn sample_report_has_every_file_of_the_layout() {
    let (out, _) = sample_report();
    let day = out.path().join("2026-11-10");
    for file in ["index.html", "insights.json"] {
        assert!(day.join(file).is_file(), "{file}");
    }
    let keys = [
        "users_with_access",
        "domains",
        "managed_authentication",
        "external_two_step",
        "external_policy",
        "active_users",
        "active_by_product",
        "trello_by_plan",
        "mobile_usage",
        "rovo_access",
        "rovo_active",
        "ai_active",
        "api_tokens",
    ];
    let html = std::fs::read_to_string(day.join("index.html")).unwrap();
    for key in keys {
        let svg = std::fs::read_to_string(day.join(format!("charts/{key}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("role=\"img\""),
            "{key}.svg"
        );
        assert!(day.join(format!("data/{key}.csv")).is_file(), "{key}.csv");
        assert!(html.contains(&format!("id=\"{key}\"")), "section {key}");
        assert!(
            html.contains(&format!("id=\"chart-{key}-title\"")),
            "chart {key} inline"
        );
    }
    // Self-contained: nothing is fetched from anywhere.
    for needle in ["http://", "https://", "<script", "<link", "src="] {
        let offending: Vec<&str> = html
            .lines()
            .filter(|l| l.contains(needle) && !l.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            .collect();
        assert!(offending.is_empty(), "{needle}: {offending:?}");
    }
    assert_eq!(
        std::fs::read_link(out.path().join("latest")).unwrap(),
        Path::new("2026-11-10")
    );
    let history = std::fs::read_to_string(out.path().join("history.csv")).unwrap();
    let mut lines = history.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("as_of,users_with_access,managed,external"));
    assert!(lines.next().unwrap().starts_with("2026-11-10,8,5,3,"));
}

#[test]
fn sample_tokens_to_look_at_are_listed_with_their_reasons() {
    let (out, _) = sample_report();
    let day = out.path().join("2026-11-10");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(day.join("data/api_tokens-accounts.csv"))
        .unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let rows: Vec<Vec<&str>> = records.iter().map(|r| r.iter().collect()).collect();
    assert_eq!(
        rows[0],
        [
            "token_id",
            "label",
            "account_id",
            "email",
            "reason",
            "created",
            "last_active",
            "expires",
            "exception_reason",
            "exception_expires"
        ]
    );
    // By owner: a1's t2 expires on 2026-11-30; a3's t3 was last used 101
    // days ago; a4 is suspended; a6's t6 was never used and created 162
    // days ago; x9 left. t1 and t5's recent use leave t1 out, not t5.
    let listed: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0], r[4])).collect();
    assert_eq!(
        listed,
        [
            ("t2", "expires within 30 days"),
            ("t3", "unused for 90 days or more"),
            ("t4", "owner has no access"),
            ("t6", "never used, created 90 or more days ago"),
            ("t5", "owner has no access"),
        ]
    );
    // The departed owner is shown by the token's own address.
    assert_eq!(rows[5][3], "gone@acme.com");
    let security = std::fs::read_to_string(day.join("data/security_changes.csv")).unwrap();
    assert_eq!(security.lines().count(), 1 + 4, "{security}");
    let html = std::fs::read_to_string(day.join("index.html")).unwrap();
    assert!(html.contains("id=\"security_changes\""));
    assert!(html.contains("Two-step verification turned off for a user"));
}
