//! `org-insights pull` of the API tokens and the audit log against the
//! loopback stand-in of Atlassian's API (tests/stand-ins/atlassian_api.py):
//! pages, a 429, a 403, a cursor handed out again after the last page, new
//! events between two pulls, each kept once; figures worked out by hand.

use crate::common;

use std::path::Path;

use common::atlassian::ApiServer;
use common::{read_json, Cli, Ran};
use serde_json::{json, Value};

const KEY: &str = "test-key-77aa01";
const KEY_ENV: &str = "TEST_ATLASSIAN_ADMIN_API_KEY";
const USERS: &str = "/admin/v2/orgs/o1/directories/-/users/search";
const DOMAINS: &str = "/admin/v1/orgs/o1/domains";
const TOKENS: &str = "/admin/api-access/v1/orgs/o1/api-tokens";
const EVENTS: &str = "/admin/v1/orgs/o1/events-stream";

fn org_insights(dir: &Path, args: &[&str]) -> Ran {
    Cli::new(dir)
        .args(args)
        .env("RUST_LOG", "trace")
        .env(KEY_ENV, KEY)
        .run()
}

fn write_config(dir: &Path, server: &ApiServer) {
    std::fs::write(
        dir.join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[atlassian]\norg_id = \"o1\"\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    )
    .unwrap();
}

fn user(id: &str, email: &str, membership: &str) -> Value {
    json!({
        "accountId": id, "email": email, "claimStatus": "managed", "accountStatus": "active",
        "membershipStatus": membership, "mfaEnabled": true,
        "productAccess": [{"key": "jira", "id": "site-a", "lastActiveTimestamp": "2026-11-20T10:00:00Z"}]
    })
}

fn token(id: &str, owner: &str, created: &str, expires: &str, last: Option<&str>) -> Value {
    json!({
        "id": id, "label": format!("label {id}"), "status": "ALLOWED",
        "createdAt": created, "expiresAt": expires, "lastActiveAt": last,
        "user": {"id": owner, "email": format!("{owner}@acme.com"), "name": owner}
    })
}

fn event(id: &str, time: &str, action: &str, subject: Option<&str>) -> Value {
    let context = match subject {
        Some(who) => {
            json!([{"id": who, "type": "users", "attributes": {"email": format!("{who}@acme.com")}}])
        }
        None => json!([{"id": "g1", "type": "groups", "attributes": {"name": "site-admins"}}]),
    };
    json!({
        "id": id, "type": "events",
        "attributes": {
            "time": time, "processedAt": time, "action": action,
            "actor": {"id": "u1", "name": "Ann", "email": "u1@acme.com"},
            "context": context, "location": {"ip": "203.0.113.9"}
        }
    })
}

fn page(data: Value, next: &str) -> Value {
    json!({"status": 200, "json": {"data": data, "meta": {"next": next, "page_size": 2}, "links": {}}})
}

/// Users u1 (active) and u2 (suspended); tokens on two pages, then a 403
/// at the second pull; the audit log on two pages and an empty one (its
/// cursor handed out again), a 429 first, and at the second pull an event
/// already kept and a new one.
fn scenario() -> Value {
    json!({
        "key": KEY,
        "routes": [
            {"method": "POST", "path": USERS, "responses": [{"status": 200, "json": {
                "data": [user("u1", "u1@acme.com", "active"), user("u2", "u2@acme.com", "suspended")],
                "links": {}
            }}]},
            {"method": "GET", "path": DOMAINS, "responses": [{"status": 200, "json": {"data": [], "links": {}}}]},
            {"method": "GET", "path": TOKENS, "responses": [
                {"status": 200, "json": {"data": [
                    token("t1", "u1", "2026-01-02T08:00:00Z", "2027-01-02T08:00:00Z", Some("2026-11-24T23:30:00-02:00")),
                    token("t2", "u2", "2026-02-01T08:00:00Z", "2026-12-10T08:00:00Z", None)
                ], "links": {"next": "tp2"}}},
                {"status": 403, "json": {"code": 403, "message": "Forbidden"}}
            ]},
            {"method": "GET", "path": TOKENS, "cursor": "tp2", "responses": [
                {"status": 200, "json": {"data": [
                    token("t3", "gone", "2025-06-01T08:00:00Z", "2026-06-01T08:00:00Z", Some("2026-05-01T08:00:00Z"))
                ], "links": {}}}
            ]},
            {"method": "GET", "path": EVENTS, "responses": [
                {"status": 429, "headers": {"Retry-After": "1"}, "json": {"message": "slow down"}},
                page(json!([
                    // Older than any report's window: kept, never shown.
                    event("ev0", "2026-09-01T08:00:00Z", "added_org_admin", Some("u1")),
                    event("ev1", "2026-11-02T09:15:00Z", "added_org_admin", Some("u2")),
                    event("ev2", "2026-11-03T10:00:00Z", "user_suspended", Some("u2"))
                ]), "e2"),
                page(json!([
                    event("ev3", "2026-11-24T12:00:00Z", "user_granted_role", Some("u1")),
                    event("ev4", "2026-11-25T08:00:00Z", "group_granted_admin_access", None)
                ]), "e5")
            ]},
            {"method": "GET", "path": EVENTS, "cursor": "e2", "responses": [
                page(json!([event("ev3", "2026-11-24T12:00:00Z", "user_granted_role", Some("u1"))]), "e3")
            ]},
            {"method": "GET", "path": EVENTS, "cursor": "e3", "responses": [page(json!([]), "e3")]},
            {"method": "GET", "path": EVENTS, "cursor": "e5", "responses": [page(json!([]), "e5")]}
        ]
    })
}

fn run(dir: &Path, as_of: &str) -> Value {
    let ran = org_insights(dir, &["run", "--as-of", as_of]);
    assert_eq!(
        ran.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    read_json(&dir.join(format!("out/{as_of}/insights.json")))
}

#[test]
fn tokens_and_the_audit_log_are_pulled_page_by_page_and_each_event_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::start(dir.path(), &scenario());
    write_config(dir.path(), &server);

    let first = org_insights(dir.path(), &["pull"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(stdout.contains("API tokens: 3"), "{stdout}");
    assert!(stdout.contains("audit log: 4 new events"), "{stdout}");
    let tokens = std::fs::read_to_string(dir.path().join("data/api_tokens.csv")).unwrap();
    // t1's last use at 23:30 UTC-2 is the 25th in UTC; t2 never used.
    assert_eq!(
        tokens,
        "token_id,account_id,email,label,status,created,expires,last_active\n\
         t1,u1,u1@acme.com,label t1,ALLOWED,2026-01-02,2027-01-02,2026-11-25\n\
         t2,u2,u2@acme.com,label t2,ALLOWED,2026-02-01,2026-12-10,\n\
         t3,gone,gone@acme.com,label t3,ALLOWED,2025-06-01,2026-06-01,2026-05-01\n"
    );
    let events_after_first = std::fs::read(dir.path().join("data/events.csv")).unwrap();

    // As of 2026-11-25: live t1 (used 0 days ago) and t2 (never used,
    // expires 2026-12-10: within 30 days, owner u2 suspended); t3 expired.
    // Window 2026-10-27..2026-11-25: ev1 and ev3 are tracked, ev2 is not.
    let json = run(dir.path(), "2026-11-25");
    assert_eq!(
        json["insights"]["api_tokens"],
        json!({
            "live": 2, "accounts": 2,
            "by_last_use": {"last_7_days": 1, "last_30_days": 0, "last_90_days": 0, "older": 0, "never": 1},
            "expiring_30_days": 1, "owner_without_access": 1
        })
    );
    assert_eq!(
        json["security_changes"]["events"].as_array().unwrap().len(),
        2
    );
    let counts = &json["security_changes"]["counts"];
    assert_eq!(
        (
            counts["added_org_admin"].as_u64(),
            counts["user_granted_role"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        json["security_changes"]["events"][0]["subject"],
        "u1@acme.com"
    );
    assert_eq!(
        json["security_changes"]["events"][0]["actor"],
        "u1@acme.com"
    );

    // The second pull: tokens forbidden, the log goes on from its last event.
    let second = org_insights(dir.path(), &["pull"]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let stdout = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(
        stdout.contains("API tokens: not recorded by this source"),
        "{stdout}"
    );
    assert!(stdout.contains("403 Forbidden"), "{stdout}");
    assert!(stdout.contains("audit log: 1 new events"), "{stdout}");
    assert!(!dir.path().join("data/api_tokens.csv").exists());
    let events = std::fs::read(dir.path().join("data/events.csv")).unwrap();
    assert!(
        events.starts_with(&events_after_first),
        "kept events are never rewritten"
    );
    let ids: Vec<String> = csv::Reader::from_reader(events.as_slice())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(ids, ["ev0", "ev1", "ev2", "ev3", "ev4"]);
    // Each later read starts 15 minutes before the last event kept.
    let reads: Vec<Value> = server
        .requests()
        .into_iter()
        .filter(|r| r["path"] == EVENTS && r["cursor"].is_null())
        .collect();
    let last_kept = chrono::DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap();
    let from = format!(
        "from={}",
        (last_kept - chrono::Duration::minutes(15)).timestamp_millis()
    );
    assert!(
        reads.last().unwrap()["query"]
            .as_str()
            .unwrap()
            .contains(&from),
        "{reads:?}"
    );
    assert!(reads
        .iter()
        .all(|r| r["query"].as_str().unwrap().contains("sortOrder=asc")));

    let toml = std::fs::read_to_string(dir.path().join("data/bundle.toml")).unwrap();
    assert!(toml.contains("\"api_tokens\""), "{toml}");
    let json = run(dir.path(), "2026-11-25");
    assert_eq!(json["insights"]["api_tokens"], Value::Null);
    assert!(json["missing"]["api_tokens"]
        .as_str()
        .unwrap()
        .starts_with("not recorded by"));
    assert_eq!(
        json["security_changes"]["counts"]["group_granted_admin_access"],
        1
    );
    // The key never reaches a file of the bundle or the report.
    common::assert_no_file_holds(&[&dir.path().join("data"), &dir.path().join("out")], KEY);
}

#[test]
fn without_guard_the_audit_log_is_not_recorded_and_the_pull_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = scenario();
    let routes = scenario["routes"].as_array_mut().unwrap();
    routes.retain(|r| r["path"] != EVENTS);
    routes.push(json!({"method": "GET", "path": EVENTS, "responses": [
        {"status": 403, "json": {"code": 403, "message": "Atlassian Guard Standard is required"}}
    ]}));
    let server = ApiServer::start(dir.path(), &scenario);
    write_config(dir.path(), &server);
    let pulled = org_insights(dir.path(), &["pull"]);
    assert_eq!(
        pulled.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    assert!(!dir.path().join("data/events.csv").exists());
    let json = run(dir.path(), "2026-11-25");
    assert_eq!(json["security_changes"], Value::Null);
    assert!(json["missing"]["security_changes"]
        .as_str()
        .unwrap()
        .starts_with("not recorded by Atlassian's Organizations REST API"));
    let page = std::fs::read_to_string(dir.path().join("out/2026-11-25/index.html")).unwrap();
    assert!(
        page.contains("Not recorded by Atlassian&#x27;s Organizations REST API (bundle.toml)."),
        "the section says why"
    );
}
