//! `org-insights pull` against a loopback stand-in for Atlassian's
//! Organizations REST API (tests/stand-ins/atlassian_api.py): the real
//! binary as a child process, figures worked out by hand from the users
//! and domains the stand-in serves.

use crate::common;

use std::path::Path;
use std::process::Output;

use chrono::{Days, Utc};
use common::atlassian::ApiServer;
use common::smtp::SmtpServer;
use common::{read_json, snapshot, Cli, Ran};
use serde_json::{json, Value};

const KEY: &str = "test-key-4f1c9a7e";
const KEY_ENV: &str = "TEST_ATLASSIAN_ADMIN_API_KEY";
const USERS: &str = "/admin/v2/orgs/o1/directories/-/users/search";
const DOMAINS: &str = "/admin/v1/orgs/o1/domains";

/// The binary with the key in the environment and verbose logs, so that a
/// leak of the key into any log line would show.
fn org_insights(dir: &Path, args: &[&str]) -> Ran {
    Cli::new(dir)
        .args(args)
        .env("RUST_LOG", "trace")
        .env(KEY_ENV, KEY)
        .run()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_ok(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

fn write_config(dir: &Path, server: &ApiServer, extra: &str) {
    std::fs::write(
        dir.join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[input]\nsource = \"api\"\n[atlassian]\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n{extra}",
            server.base_url()
        ),
    )
    .unwrap();
}

fn access(key: &str, site: &str, last_active: Option<&str>) -> Value {
    match last_active {
        Some(at) => json!({"key": key, "id": site, "lastActiveTimestamp": at}),
        None => json!({"key": key, "id": site}),
    }
}

fn user(id: &str, email: &str, claim: &str, membership: &str, mfa: bool, products: Value) -> Value {
    json!({
        "accountId": id, "email": email, "name": format!("Name of {id}"),
        "claimStatus": claim, "accountStatus": if id == "u6" { "closed" } else { "active" },
        "membershipStatus": membership, "mfaEnabled": mfa,
        "addedToOrg": "2025-01-01T00:00:00Z", "productAccess": products
    })
}

/// Day 1: six users on two pages, one without an id; two domains on two
/// pages, the second linked by a whole URL.
fn day_one_users() -> (Value, Value) {
    let page_one = json!({
        "data": [
            user("u1", "ann@acme.com", "managed", "active", true, json!([
                access("jira-software", "site-a", Some("2026-11-24T09:00:00Z")),
                access("confluence", "site-a", Some("2026-11-10T09:00:00Z")),
            ])),
            // 01:30 at UTC+2 is 23:30 UTC the day before.
            user("u2", "bob@acme.com", "managed", "active", false, json!([
                access("jira", "site-a", Some("2026-11-25T01:30:00+02:00")),
            ])),
            user("u3", "cy@partner.io", "unmanaged", "active", true, json!([
                access("jira-servicedesk", "site-b", Some("2026-11-20T12:00:00Z")),
            ])),
            {"email": "no-id@acme.com"}
        ],
        "links": {"next": "c2"}
    });
    let page_two = json!({
        "data": [
            user("u4", "dee@acme.com", "managed", "suspended", false, json!([
                access("jira", "site-a", Some("2026-11-23T10:00:00Z")),
            ])),
            user("u5", "eve@Acme.com", "managed", "active", false, json!([])),
            user("u6", "fay@other.org", "unmanaged", "active", false, json!([
                access("confluence", "site-a", None),
            ])),
        ],
        "links": {"next": null}
    });
    (page_one, page_two)
}

fn scenario(users: (Value, Value), first_page_of_two: Value) -> Value {
    json!({
        "key": KEY,
        "routes": [
            {"method": "GET", "path": "/admin/v1/orgs", "responses": [
                {"status": 200, "json": {"data": [{"id": "o1", "type": "orgs", "attributes": {"name": "Acme"}}], "links": {}}}
            ]},
            {"method": "POST", "path": USERS, "responses": [{"status": 200, "json": users.0}]},
            // The second page is rate limited once, then served.
            {"method": "POST", "path": USERS, "cursor": "c2", "responses": [
                first_page_of_two,
                {"status": 200, "json": users.1}
            ]},
            // The domains fail once with a 503, then come in two pages.
            {"method": "GET", "path": DOMAINS, "responses": [
                {"status": 503, "json": {"message": "busy"}},
                {"status": 200, "json": {
                    "data": [{"id": "d1", "type": "domains", "attributes": {"name": "Acme.com", "claim": {"type": "dns", "status": "verified"}}, "links": {}}],
                    // A whole URL: the stand-in writes its own address for {base}.
                    "links": {"next": format!("{{base}}{DOMAINS}?cursor=d2")}
                }}
            ]},
            {"method": "GET", "path": DOMAINS, "cursor": "d2", "responses": [
                {"status": 200, "json": {
                    "data": [{"id": "d2", "type": "domains", "attributes": {"name": "partner.io", "claim": {"status": "unverified"}}, "links": {}}],
                    "links": {}
                }}
            ]}
        ]
    })
}

/// A stand-in serving `users`, with the rate limit and the 503 of day 1.
fn start_api(dir: &Path, users: (Value, Value)) -> ApiServer {
    let rate_limited =
        json!({"status": 429, "headers": {"Retry-After": "1"}, "json": {"message": "slow down"}});
    ApiServer::start(dir, &scenario(users, rate_limited))
}

fn insights(dir: &Path, as_of: &str) -> Value {
    assert_ok(&org_insights(
        dir,
        &["run", "--data", "data", "--out", "out", "--as-of", as_of],
    ));
    read_json(&dir.join(format!("out/{as_of}/insights.json")))
}

fn daily(json: &Value, day: &str) -> u64 {
    json["insights"]["active_users"]["daily"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day)
        .unwrap()["active"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_pull_writes_the_bundle_and_a_second_day_adds_the_dates_that_moved() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    write_config(dir.path(), &server, "");
    let output = org_insights(dir.path(), &["pull", "--into", "data"]);
    assert_ok(&output);
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "data: 6 accounts, 6 access rows, 5 new activity rows (5 in all)"
    );
    // This stand-in serves neither the tokens nor the audit log.
    assert!(
        lines[1].starts_with("API tokens: not recorded by this source ("),
        "{stdout}"
    );
    assert!(lines[1].contains("404 Not Found"), "{stdout}");
    assert!(lines[2].starts_with("audit log: not read ("), "{stdout}");
    // The key went with every request; the organization was found by the
    // key (no org_id), the rate limit and the 503 were waited out.
    let requests = server.requests();
    assert!(requests.iter().all(|r| r["authorized"] == true));
    assert_eq!(requests[0]["path"], "/admin/v1/orgs");
    let searches: Vec<&Value> = requests.iter().filter(|r| r["path"] == USERS).collect();
    assert_eq!(searches.len(), 3, "{searches:?}");
    assert_eq!(
        searches[0]["body"],
        json!({"limit": 100, "expand": ["productAccess"]})
    );
    assert_eq!(searches[2]["body"]["cursor"], "c2");
    assert_eq!(requests.iter().filter(|r| r["path"] == DOMAINS).count(), 3);
    assert!(!text(&output.stderr).contains(KEY));

    // Day 1, worked out by hand (tests/pull.rs, the users above): with
    // access are u1 and u2 (managed) and u3 (external); u4 is suspended,
    // u5 has no product, u6's account is closed.
    let day1 = insights(dir.path(), "2026-11-25");
    let i = &day1["insights"];
    assert_eq!(
        i["users_with_access"],
        json!({"managed": 2, "external": 1, "total": 3})
    );
    assert_eq!(
        i["domains"],
        json!([
            {"domain": "acme.com", "managed": 2, "external": 0, "verified": true},
            {"domain": "partner.io", "managed": 0, "external": 1, "verified": false}
        ])
    );
    // No SSO from the API: the two 2SV groups split the managed accounts.
    assert_eq!(
        i["managed_authentication"],
        json!({"sso": null, "two_step_enabled": 1, "two_step_disabled": 1})
    );
    for key in ["external_two_step", "external_policy", "mobile_usage"] {
        assert!(i[key].is_null(), "{key}");
        assert_eq!(
            day1["missing"][key],
            "not recorded by Atlassian's Organizations REST API (bundle.toml)"
        );
    }
    // Views: u1 jira 24th and confluence 10th, u2 jira 24th (UTC), u3 the
    // 20th, u4 the 23rd: four accounts active in the window.
    assert_eq!(i["active_users"]["active"], 4);
    assert_eq!(daily(&day1, "2026-11-24"), 2);
    assert_eq!(daily(&day1, "2026-11-23"), 1);
    assert_eq!(daily(&day1, "2026-11-25"), 0);
    assert_eq!(
        i["active_by_product"],
        json!([
            {"product": "confluence", "active": 1, "inactive": 0},
            {"product": "jira", "active": 2, "inactive": 0},
            {"product": "jira-service-management", "active": 1, "inactive": 0}
        ])
    );
    let page = std::fs::read_to_string(dir.path().join("out/2026-11-25/index.html")).unwrap();
    assert!(page.contains("single sign-on is not recorded by this source"));
    let today = Utc::now().date_naive();
    assert!(page.contains(&format!(
        "Data pulled from Atlassian&#x27;s Organizations REST API on {today}."
    )));

    // Day 2: u1's jira date moved to the 26th, u3 left the organization.
    let (mut one, two) = day_one_users();
    one["data"][0]["productAccess"][0]["lastActiveTimestamp"] = json!("2026-11-26T08:00:00Z");
    one["data"].as_array_mut().unwrap().remove(2);
    let server = start_api(dir.path(), (one.clone(), two.clone()));
    write_config(dir.path(), &server, "org_id = \"o1\"\n");
    let output = org_insights(dir.path(), &["pull", "--into", "data"]);
    assert_ok(&output);
    assert_eq!(
        text(&output.stdout).lines().next(),
        Some("data: 6 accounts, 5 access rows, 1 new activity rows (6 in all)")
    );
    // The same day pulled twice adds nothing and changes no table.
    let before = snapshot(&dir.path().join("data"));
    let server = start_api(dir.path(), (one, two));
    write_config(dir.path(), &server, "org_id = \"o1\"\n");
    let output = org_insights(dir.path(), &["pull", "--into", "data"]);
    assert_ok(&output);
    assert!(text(&output.stdout).contains("0 new activity rows (6 in all)"));
    assert_eq!(snapshot(&dir.path().join("data")), before);

    // u3 kept its history but has no access any more; the trend has both days.
    let day2 = insights(dir.path(), "2026-11-26");
    let i = &day2["insights"];
    assert_eq!(
        i["users_with_access"],
        json!({"managed": 2, "external": 0, "total": 2})
    );
    assert_eq!(i["active_users"]["active"], 4);
    assert_eq!(daily(&day2, "2026-11-26"), 1);
    assert_eq!(daily(&day2, "2026-11-24"), 2);
    assert_eq!(daily(&day2, "2026-11-20"), 1);
    let history = std::fs::read_to_string(dir.path().join("out/history.csv")).unwrap();
    assert_eq!(history.lines().count(), 3, "{history}");
}

/// A stand-in whose users search answers `first` (page one) and, for the
/// cursor `c2`, `second`.
fn start_users_only(dir: &Path, first: Value, second: Value) -> ApiServer {
    ApiServer::start(
        dir,
        &json!({"key": KEY, "routes": [
            {"method": "POST", "path": USERS, "responses": [first]},
            {"method": "POST", "path": USERS, "cursor": "c2", "responses": [second]},
            {"method": "GET", "path": DOMAINS, "responses": [{"status": 200, "json": {"data": []}}]}
        ]}),
    )
}

#[test]
fn refusals_and_broken_answers_fail_plainly_and_leave_the_bundle_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    write_config(dir.path(), &server, "");
    assert_ok(&org_insights(dir.path(), &["pull", "--into", "data"]));
    drop(server);
    let before = snapshot(&dir.path().join("data"));

    let page = |next: &str| json!({"status": 200, "json": {"data": [], "links": {"next": next}}});
    // Another origin on loopback: nothing may ever reach it.
    let elsewhere = ApiServer::start(dir.path(), &json!({"key": KEY, "routes": []}));
    let cases: Vec<(Value, Value, i32, Vec<String>)> = vec![
        (
            json!({"status": 401, "json": {"message": "Unauthorized"}}),
            json!({}),
            2,
            vec![
                "refused the org API key".into(),
                "expire after at most a year".into(),
                "Settings > API keys".into(),
                KEY_ENV.into(),
            ],
        ),
        (
            json!({"status": 403, "json": {"message": "Forbidden"}}),
            json!({}),
            2,
            vec![USERS.into(), "scope".into()],
        ),
        (
            json!({"status": 200, "raw": "{\"data\": [oops"}),
            json!({}),
            1,
            vec![USERS.into(), "not the JSON expected".into()],
        ),
        (
            page("c2"),
            page("c2"),
            1,
            vec![USERS.into(), "already given".into()],
        ),
        (
            page("http://localhost:9/elsewhere?cursor=x"),
            json!({}),
            1,
            vec!["another host (localhost)".into(), "127.0.0.1".into()],
        ),
        (
            json!({"status": 200, "size": 33 * 1024 * 1024}),
            json!({}),
            1,
            vec![USERS.into(), "larger than 32 MiB".into()],
        ),
        // Without a Content-Length the answer is cut off as it grows.
        (
            json!({"status": 200, "chunked": 33 * 1024 * 1024}),
            json!({}),
            1,
            vec![USERS.into(), "larger than 32 MiB".into()],
        ),
        // A redirect is not followed: the key never reaches its Location.
        (
            json!({"status": 302, "headers": {"Location": format!("{}/stolen", elsewhere.base_url())}, "json": {}}),
            json!({}),
            1,
            vec![USERS.into(), "302".into()],
        ),
        (
            json!({"status": 404, "json": {"code": 404, "message": "Not Found"}}),
            json!({}),
            2,
            vec![USERS.into(), "404".into(), "org_id".into()],
        ),
    ];
    for (first, second, code, expected) in cases {
        let server = start_users_only(dir.path(), first.clone(), second);
        write_config(dir.path(), &server, "org_id = \"o1\"\n");
        let output = org_insights(dir.path(), &["pull", "--into", "data"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{first}: {stderr}");
        for part in &expected {
            assert!(
                stderr.contains(part.as_str()),
                "{first}: '{part}' in {stderr}"
            );
        }
        assert!(!stderr.contains(KEY), "{first}: the key leaked: {stderr}");
        assert_eq!(snapshot(&dir.path().join("data")), before, "{first}");
        // Nothing went to another host: every request came here.
        assert!(server.requests().len() <= 2, "{first}");
    }
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
}

#[test]
fn a_rate_limit_that_never_clears_ends_the_pull_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let limited =
        json!({"status": 429, "headers": {"Retry-After": "0"}, "json": {"message": "slow down"}});
    let server = start_users_only(dir.path(), limited, json!({}));
    write_config(dir.path(), &server, "org_id = \"o1\"\n");
    let output = Cli::new(dir.path())
        .args(["pull", "--into", "data"])
        .env(KEY_ENV, KEY)
        .deadline(std::time::Duration::from_secs(120))
        .run()
        .code(1)
        .stderr_has("still rate limited (429) after 20 waits");
    // The first request and twenty more after each wait, then it stops.
    assert_eq!(server.requests().len(), 21, "{}", output.stderr_text());
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_key_that_sees_two_organizations_needs_org_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::start(
        dir.path(),
        &json!({"key": KEY, "routes": [
            {"method": "GET", "path": "/admin/v1/orgs", "responses": [{"status": 200, "json": {
                "data": [
                    {"id": "o1", "type": "orgs", "attributes": {"name": "Acme"}},
                    {"id": "o2", "type": "orgs", "attributes": {"name": "Acme Labs"}}
                ],
                "links": {}
            }}]}
        ]}),
    );
    write_config(dir.path(), &server, "");
    org_insights(dir.path(), &["pull", "--into", "data"])
        .code(2)
        .stderr_has("sees 2 organizations")
        .stderr_has("set [atlassian] org_id to one of o1 (Acme), o2 (Acme Labs)");
    let paths: Vec<Value> = server
        .requests()
        .iter()
        .map(|r| r["path"].clone())
        .collect();
    assert_eq!(paths, vec![json!("/admin/v1/orgs")]);
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_pulled_account_without_an_email_counts_everywhere_but_in_the_domains() {
    let dir = tempfile::tempdir().unwrap();
    let first = json!({"status": 200, "json": {"data": [
        user("u1", "ann@acme.com", "managed", "active", true, json!([access("jira", "site-a", Some("2026-11-24T09:00:00Z"))])),
        // The API's email is optional: left out, and null.
        {"accountId": "u2", "claimStatus": "managed", "accountStatus": "active", "membershipStatus": "active",
         "productAccess": [access("jira", "site-a", Some("2026-11-23T09:00:00Z"))]},
        {"accountId": "u3", "email": null, "claimStatus": "unmanaged", "accountStatus": "active", "membershipStatus": "active",
         "productAccess": [access("confluence", "site-a", None)]}
    ], "links": {}}});
    let server = start_users_only(dir.path(), first, json!({}));
    write_config(dir.path(), &server, "org_id = \"o1\"\n");
    assert_ok(&org_insights(dir.path(), &["pull", "--into", "data"]));
    Cli::new(dir.path())
        .args(["check", "--data", "data"])
        .run()
        .ok();
    let json = insights(dir.path(), "2026-11-24");
    assert_eq!(
        json["insights"]["users_with_access"],
        json!({"managed": 2, "external": 1, "total": 3})
    );
    assert_eq!(
        json["insights"]["domains"],
        json!([{"domain": "acme.com", "managed": 1, "external": 0, "verified": false}])
    );
    assert_eq!(json["data_quality"]["accounts_without_email"], 2);
    assert_eq!(json["insights"]["active_users"]["active"], 2);
    // And the next day's run reads the bundle again without a problem.
    let json = insights(dir.path(), "2026-11-25");
    assert_eq!(json["insights"]["users_with_access"]["total"], 3);
}

#[test]
fn a_missing_key_stops_pull_and_the_scheduled_run_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    write_config(dir.path(), &server, "");
    for args in [&["pull"][..], &["--run-now"][..]] {
        let output = Cli::new(dir.path()).args(args).env_remove(KEY_ENV).run();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(text(&output.stderr).contains(KEY_ENV), "{args:?}");
    }
    assert!(server.requests().is_empty());
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_failed_pull_runs_on_the_bundle_as_it_was_and_the_page_and_digest_say_how_old_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    write_config(dir.path(), &server, "");
    assert_ok(&org_insights(dir.path(), &["pull", "--into", "data"]));
    drop(server);
    // The last successful pull was three days ago.
    let today = Utc::now().date_naive();
    let pulled_on = today.checked_sub_days(Days::new(3)).unwrap();
    let manifest_path = dir.path().join("data/bundle.toml");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let manifest = manifest.replace(
        &format!("pulled_on = {today}"),
        &format!("pulled_on = {pulled_on}"),
    );
    assert!(
        manifest.contains(&format!("pulled_on = {pulled_on}")),
        "{manifest}"
    );
    std::fs::write(&manifest_path, manifest).unwrap();
    let before = snapshot(&dir.path().join("data"));

    // Today the key is refused; it also expires in ten days.
    let server = ApiServer::start(dir.path(), &json!({"key": "another key", "routes": []}));
    let smtp = SmtpServer::start(dir.path(), &[]);
    let expires = today.checked_add_days(Days::new(10)).unwrap();
    write_config(
        dir.path(),
        &server,
        &format!(
            "key_expires = \"{expires}\"\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\n",
            smtp.port
        ),
    );
    let output = org_insights(dir.path(), &["--run-now"]);
    assert_ok(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the pull from Atlassian's API failed"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY));
    assert_eq!(server.requests().len(), 1, "a refused key is not retried");
    assert_eq!(snapshot(&dir.path().join("data")), before);

    let stale = "The data is 3 days old: the last successful pull from Atlassian";
    let expiring = format!("The Atlassian org API key expires on {expires} (in 10 days)");
    let page = std::fs::read_to_string(dir.path().join("out/2026-11-24/index.html")).unwrap();
    assert!(page.contains(stale), "the page says how old its data is");
    assert!(page.contains(&expiring));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&messages[0])
        .unwrap();
    let body = message.body_text(0).unwrap();
    assert!(body.contains(stale), "{body}");
    assert!(body.contains(&expiring), "{body}");
    assert!(body.contains(&format!("on {pulled_on}.")), "{body}");
}

#[test]
fn a_managed_accounts_export_in_the_drop_folder_fills_in_single_sign_on() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    // u1 signs in with SSO; u2's two-step verification is enforced.
    std::fs::write(
        exports.join("managed.csv"),
        "Atlassian ID,Name,Email,Status,SAML single sign-on,Two-step verification,Jira\n\
         u1,Ann,ann@acme.com,Active,Yes,No,acme.atlassian.net\n\
         u2,Bob,bob@acme.com,Active,No,Enforced,acme.atlassian.net\n",
    )
    .unwrap();
    let server = start_api(dir.path(), day_one_users());
    write_config(dir.path(), &server, "[import]\nfrom = \"exports\"\n");
    assert_ok(&org_insights(dir.path(), &["--run-now"]));
    let json = read_json(&dir.path().join("out/latest/insights.json"));
    assert_eq!(
        json["insights"]["managed_authentication"],
        json!({"sso": 1, "two_step_enabled": 1, "two_step_disabled": 0})
    );
    // The export's sites (addresses) are not mixed with the API's (ids).
    assert_eq!(json["insights"]["users_with_access"]["total"], 3);
    let access = std::fs::read_to_string(dir.path().join("data/product_access.csv")).unwrap();
    assert!(!access.contains("acme.atlassian.net"), "{access}");
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(exports
        .join("done")
        .join(today)
        .join("managed.csv")
        .exists());
}

#[test]
fn the_schedule_pulls_computes_writes_and_mails_every_run_and_says_what_the_api_cannot_tell() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    let smtp = SmtpServer::start(dir.path(), &[]);
    write_config(
        dir.path(),
        &server,
        &format!(
            "[schedule]\ncron = \"*/2 * * * * *\"\ncatch_up = false\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\n",
            smtp.port
        ),
    );
    let child = Cli::new(dir.path())
        .args(["schedule"])
        .env(KEY_ENV, KEY)
        .env("RUST_LOG", "debug")
        .spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while smtp.messages().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // SAFETY: kill(2) on the pid of a child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked into the log");

    let messages = smtp.messages();
    assert!(messages.len() >= 2, "two digests: {stderr}");
    // Each run pulled: the first page of users was asked for each time.
    let first_pages = server
        .requests()
        .iter()
        .filter(|r| r["path"] == USERS && r["cursor"].is_null())
        .count();
    assert!(first_pages >= 2, "{first_pages} pulls");
    let message = mail_parser::MessageParser::default()
        .parse(&messages[1])
        .unwrap();
    let body = message.body_text(0).unwrap();
    let today = Utc::now().date_naive();
    assert!(
        body.contains(&format!(
            "Data pulled from Atlassian's Organizations REST API on {today}."
        )),
        "{body}"
    );
    assert!(
        body.contains(
            "Not recorded by Atlassian's Organizations REST API, so shown as no data: \
             two-step verification of external users, external user policy coverage, \
             mobile app use, Rovo use, Atlassian Intelligence use, single sign-on, \
             API token activity, security changes of the audit log."
        ),
        "{body}"
    );
    let json = read_json(&dir.path().join("out/latest/insights.json"));
    assert_eq!(json["insights"]["users_with_access"]["total"], 3);
}

/// `[atlassian]` set for reclaim or tokens does not pull: only `[input]
/// source = "api"` does, and it needs `[atlassian]`.
#[test]
fn only_source_api_pulls_before_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_api(dir.path(), day_one_users());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type\na1,a1@acme.com,managed\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[atlassian]\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    assert_ok(&org_insights(dir.path(), &["--run-now"]));
    assert!(
        server.requests().is_empty(),
        "no pull without source = \"api\""
    );
    std::fs::write(
        dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\n[input]\nsource = \"api\"\n",
    )
    .unwrap();
    org_insights(dir.path(), &["--run-now"])
        .code(2)
        .stderr_has("an [atlassian] table (base_url, api_key_env) with [input] source = \"api\"");
}
