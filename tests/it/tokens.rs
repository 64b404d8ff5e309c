//! `org-insights tokens` against a stateful loopback stand-in of Atlassian's
//! API (tests/stand-ins/atlassian_tokens.py): the plan worked out by hand,
//! the refusal without `enabled`, a lost answer settled by reading, a token
//! used since the plan, the cap, a damaged ledger, never the bulk revoke.

use crate::common;

use std::fs;
use std::path::Path;

use common::atlassian::ApiServer;
use common::{Cli, Ran};
use serde_json::{json, Value};

const KEY: &str = "test-key-tokens-5e2b";
const KEY_ENV: &str = "TEST_ATLASSIAN_ADMIN_API_KEY";
const LIST: &str = "/admin/api-access/v1/orgs/o1/api-tokens";

/// As of 2026-11-30: a1 and a3 have access, a2 is suspended, p1 is a
/// partner; "gone" left the organization.
fn write_bundle(dir: &Path) {
    let data = dir.join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type,status\n\
         a1,a1@acme.com,managed,active\n\
         a2,a2@acme.com,managed,suspended\n\
         a3,a3@acme.com,managed,active\n\
         p1,p1@partner.io,external,active\n",
    )
    .unwrap();
    fs::write(
        data.join("product_access.csv"),
        "account_id,product,site\na1,jira,s\na2,jira,s\na3,jira,s\np1,jira,s\n",
    )
    .unwrap();
    // t1: owner suspended. t2: last used 182 days ago. t3: 121 days ago.
    // t4: never used but created 29 days ago. t5: never used, created 364
    // days ago, but its owner's domain is excepted. t6: owner gone.
    // t7: used yesterday, only expiring soon.
    fs::write(
        data.join("api_tokens.csv"),
        "token_id,account_id,email,label,status,created,expires,last_active\n\
         t1,a2,,ci,ALLOWED,2026-01-01,2027-01-01,2026-11-20\n\
         t2,a1,,backup,ALLOWED,2026-01-01,2027-01-01,2026-06-01\n\
         t3,a3,,sync,ALLOWED,2026-01-01,2027-01-01,2026-08-01\n\
         t4,a1,,new,ALLOWED,2026-11-01,2027-11-01,\n\
         t5,p1,,partner,ALLOWED,2025-12-01,2026-12-20,\n\
         t6,gone,gone@acme.com,old,ALLOWED,2026-01-10,2027-01-10,2026-02-01\n\
         t7,a1,,exp,ALLOWED,2025-12-10,2026-12-10,2026-11-29\n",
    )
    .unwrap();
}

fn api_token(id: &str, owner: &str, last: &str) -> Value {
    json!({
        "id": id, "label": id, "status": "ALLOWED",
        "createdAt": "2026-01-01T00:00:00Z", "expiresAt": "2027-01-01T00:00:00Z",
        "lastActiveAt": last, "user": {"id": owner, "email": format!("{owner}@acme.com")}
    })
}

/// The organization as the API sees it at apply time: t3 was used on
/// 2026-11-29, after the plan; t2's revocation loses its answer.
fn stand_in(dir: &Path) -> ApiServer {
    ApiServer::tokens(
        dir,
        &json!({
            "key": KEY, "org": "o1",
            "tokens": [
                api_token("t1", "a2", "2026-11-20T08:00:00Z"),
                api_token("t2", "a1", "2026-06-01T08:00:00Z"),
                api_token("t3", "a3", "2026-11-29T08:00:00Z"),
                api_token("t6", "gone", "2026-02-01T08:00:00Z"),
                api_token("t7", "a1", "2026-11-29T08:00:00Z")
            ],
            "lose_answer": ["t2"]
        }),
    )
}

fn write_config(dir: &Path, server: &ApiServer, tokens: &str) {
    fs::write(
        dir.join("org-insights.toml"),
        format!(
            "data_dir = \"data\"\nout_dir = \"out\"\n[atlassian]\norg_id = \"o1\"\napi_key_env = \"{KEY_ENV}\"\nbase_url = \"{}\"\n\
             [tokens]\n{tokens}\n\
             [[exceptions]]\ndomain = \"partner.io\"\nreason = \"partner integration\"\nowner = \"it@acme.com\"\nexpires = 2027-06-30\n",
            server.base_url()
        ),
    )
    .unwrap();
}

fn tokens(dir: &Path, args: &[&str]) -> Ran {
    let mut all = vec!["tokens"];
    all.extend_from_slice(args);
    Cli::new(dir)
        .args(all)
        .env(KEY_ENV, KEY)
        .env("RUST_LOG", "trace")
        .run()
}

fn deletes(server: &ApiServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r["method"] == "DELETE")
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_plan_names_what_to_revoke_and_apply_without_enabled_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let server = stand_in(dir.path());
    write_config(dir.path(), &server, "enabled = false");
    let planned = tokens(dir.path(), &["--as-of", "2026-11-30"]).ok();
    let stdout = planned.stdout_text();
    assert!(
        stdout.contains("cannot be restored: there is no undo"),
        "{stdout}"
    );
    assert!(stdout.contains("1 left out by an exception"), "{stdout}");
    let plan = fs::read_to_string(dir.path().join("out/tokens/plan-2026-11-30.csv")).unwrap();
    let rows: Vec<(String, String)> = csv::Reader::from_reader(plan.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[7].to_string())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("t2".into(), "unused for 90 days or more".into()),
            ("t1".into(), "owner has no access".into()),
            ("t3".into(), "unused for 90 days or more".into()),
            (
                "t6".into(),
                "owner has no access; unused for 90 days or more".into()
            ),
        ]
    );
    tokens(dir.path(), &["--apply", "--as-of", "2026-11-30"])
        .code(2)
        .stderr_has("[tokens] enabled = true");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn apply_settles_a_lost_answer_by_reading_skips_what_was_used_and_keeps_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let server = stand_in(dir.path());
    write_config(dir.path(), &server, "enabled = true\nmax_per_run = 2");
    let first = tokens(dir.path(), &["--apply", "--as-of", "2026-11-30"]).ok();
    let stdout = first.stdout_text();
    assert!(
        stdout.contains("revoked 2 token(s): backup (a1@acme.com), ci (a2@acme.com)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped t3: used on 2026-11-29, after the plan"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped t6: over [tokens] max_per_run (2)"),
        "{stdout}"
    );
    // One DELETE each: t2's lost answer was settled by reading the tokens.
    assert_eq!(
        deletes(&server),
        [
            "/users/a1/manage/api-tokens/t2",
            "/users/a2/manage/api-tokens/t1"
        ]
    );
    let ledger = fs::read_to_string(dir.path().join("out/tokens/ledger.jsonl")).unwrap();
    let t2: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["token_id"] == "t2")
        .collect();
    assert_eq!(t2.len(), 2, "{ledger}");
    assert_eq!(
        (t2[0]["phase"].as_str(), t2[1]["phase"].as_str()),
        (Some("intent"), Some("done"))
    );
    assert!(t2[1]["detail"]
        .as_str()
        .unwrap()
        .contains("a read found the token revoked"));
    assert_eq!(
        (t2[1]["label"].as_str(), t2[1]["owner"].as_str()),
        (Some("backup"), Some("a1@acme.com"))
    );

    // The same plan again: what is done stays done, t6 now fits the cap.
    let plan = dir.path().join("out/tokens/plan-2026-11-30.csv");
    let second = tokens(dir.path(), &["--apply", "--plan", plan.to_str().unwrap()]).ok();
    assert!(
        second
            .stdout_text()
            .contains("revoked 1 token(s): old (gone@acme.com)"),
        "{}",
        second.stdout_text()
    );
    assert_eq!(deletes(&server).len(), 3);
    assert!(
        deletes(&server).iter().all(|p| p != LIST),
        "the bulk revoke is never called"
    );
    common::assert_no_file_holds(&[&dir.path().join("data"), &dir.path().join("out")], KEY);
}

#[test]
fn a_damaged_ledger_line_stops_the_apply_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let server = stand_in(dir.path());
    write_config(dir.path(), &server, "enabled = true");
    fs::create_dir_all(dir.path().join("out/tokens")).unwrap();
    fs::write(
        dir.path().join("out/tokens/ledger.jsonl"),
        "{\"half\n{\"at\":\"2026-11-30T10:00:00Z\",\"phase\":\"done\",\"token_id\":\"t9\",\"account_id\":\"a1\",\"label\":\"x\",\"owner\":\"a1@acme.com\",\"plan\":\"p\"}\n",
    )
    .unwrap();
    tokens(dir.path(), &["--apply", "--as-of", "2026-11-30"])
        .code(2)
        .stderr_has("ledger.jsonl: line 1");
    assert!(server.requests().is_empty(), "nothing was sent");
}
