//! `org-insights pull`: reads the organization through Atlassian's
//! Organizations REST API with an org API key and writes or updates a
//! bundle by the same rules as `import` ([`crate::import::update`]), so
//! that the data arrives every day with nobody exporting files.
//!
//! What the API gives: every user with their claim (managed or not),
//! account and membership status, two-step verification, when they joined,
//! and each product instance they can use with their last activity there;
//! the organization's domains and whether each is verified. What it does
//! not give (single sign-on, external users' two-step verification and
//! policy coverage, mobile, Rovo and Atlassian Intelligence use) is named in
//! `bundle.toml`, so the report shows "no data" rather than zeros.

pub mod api;
pub(crate) mod client;
mod security;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;

use anyhow::Context as _;

use crate::bundle::manifest::{self, Manifest};
use crate::bundle::Table;
use crate::config::AtlassianConfig;
use crate::import::update::{self, Collected, Person, UpdateSummary, WholeTable};
use crate::import::{add_managed_export, product_key};
use crate::insight_key::{InsightKey, Source};
use crate::support::blocking;
use crate::support::progress::Progress;
use client::Client;
pub use client::PullError;

/// Where a pulled bundle's figures come from, in the report's words.
pub const SOURCE: &str = "Atlassian's Organizations REST API";

/// Users asked for per page (the API's largest page).
const PAGE_SIZE: u32 = 100;

/// What a pull needs besides the settings.
pub struct PullRequest<'a> {
    pub settings: &'a AtlassianConfig,
    /// The org API key (from the environment).
    pub key: String,
    /// The bundle to write or update.
    pub into: &'a Path,
    /// A managed accounts export to fill in SSO and two-step verification.
    pub managed_export: Option<PathBuf>,
    /// Show the pages read on a terminal.
    pub progress: bool,
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct PullSummary {
    pub org_id: String,
    pub users: usize,
    pub domains: usize,
    /// Users left out because the API gave no account id.
    pub without_id: usize,
    /// Live and past API tokens written; `None`: not recorded, and why.
    pub tokens: Result<usize, String>,
    /// Audit log events added to the bundle; `Err`: not read, and why.
    pub new_events: Result<usize, String>,
    pub update: UpdateSummary,
}

/// Reads the organization and writes it into the bundle. A failure of any
/// kind leaves the bundle as it was: everything is read before anything is
/// written, and the bundle is swapped in whole.
pub fn pull(request: &PullRequest) -> Result<PullSummary, PullError> {
    let progress = Progress::new(request.progress);
    let kept_events = security::kept_events(request.into);
    let events_from = security::KeptEvents::read_from(
        kept_events.as_ref().ok().and_then(Option::as_ref),
        Utc::now(),
        request.settings.events_days,
    );
    let fetched = blocking::block_on(fetch(request, &progress, events_from))
        .context("starting the HTTP client")??;
    drop(progress);

    let mut collected = collect(&fetched.users, &fetched.domains);
    let without_id = fetched.users.len() - collected.people.len();
    let mut not_recorded: Vec<String> = InsightKey::not_recorded_by(Source::Api)
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    let mut source = SOURCE.to_string();
    match &request.managed_export {
        Some(path) => {
            add_managed_export(path, &mut collected)?;
            source.push_str(" and the managed accounts export");
        }
        None => not_recorded.push(manifest::SSO.to_string()),
    }
    let today = Utc::now().date_naive();
    let earlier = manifest::read(request.into).unwrap_or_default();
    let manifest = Manifest {
        source: Some(source),
        not_recorded: Vec::new(),
        pulled_on: Some(today),
        managed_export_on: request.managed_export.as_ref().map(|_| today),
        recorded_since: Some(earlier.recorded_since.unwrap_or(today)),
        ..Manifest::default()
    };
    let (tokens, new_events) =
        add_security(&fetched, kept_events, &mut collected, &mut not_recorded)?;
    let manifest = Manifest {
        not_recorded,
        ..manifest
    };
    let update = update::write_bundle(request.into, collected, &manifest)?;
    Ok(PullSummary {
        org_id: fetched.org_id,
        users: fetched.users.len(),
        domains: fetched.domains.len(),
        without_id,
        tokens,
        new_events,
        update,
    })
}

/// The API tokens (a snapshot, replaced) and the audit log's new events
/// (appended) into `collected`; what the key may not read is named in
/// `not_recorded`, and the pull goes on.
fn add_security(
    fetched: &Fetched,
    kept_events: Result<Option<security::KeptEvents>, String>,
    collected: &mut Collected,
    not_recorded: &mut Vec<String>,
) -> anyhow::Result<(Result<usize, String>, Result<usize, String>)> {
    let tokens = match &fetched.tokens {
        Ok(tokens) => {
            let (bytes, left_out) = security::tokens_csv(tokens)?;
            if left_out > 0 {
                tracing::warn!(
                    left_out,
                    "API tokens without an id, an owner or a creation time were left out"
                );
            }
            collected
                .whole_tables
                .insert(Table::ApiTokens.name(), WholeTable::Write(bytes));
            Ok(tokens.len() - left_out)
        }
        Err(reason) => {
            collected
                .whole_tables
                .insert(Table::ApiTokens.name(), WholeTable::Remove);
            not_recorded.push(InsightKey::ApiTokens.as_str().to_string());
            Err(reason.clone())
        }
    };
    let new_events = match (kept_events, &fetched.events) {
        (Err(reason), _) => Err(reason),
        (Ok(kept), Ok(events)) => {
            let (bytes, added) = security::events_csv(kept, events)?;
            collected
                .whole_tables
                .insert(Table::Events.name(), WholeTable::Write(bytes));
            Ok(added)
        }
        // The log kept so far stays; without one, the report says why.
        (Ok(kept), Err(reason)) => {
            if kept.is_none() {
                not_recorded.push(manifest::SECURITY_CHANGES.to_string());
            }
            Err(reason.clone())
        }
    };
    Ok((tokens, new_events))
}

/// Everything the pull reads from the API.
struct Fetched {
    org_id: String,
    users: Vec<api::User>,
    domains: Vec<api::Domain>,
    /// `Err`: the key may not read them, and why.
    tokens: Result<Vec<api::ApiToken>, String>,
    events: Result<Vec<api::Event>, String>,
}

async fn fetch(
    request: &PullRequest<'_>,
    progress: &Progress,
    events_from: i64,
) -> Result<Fetched, PullError> {
    let settings = request.settings;
    let client = Client::new(
        settings.base_url.clone(),
        &request.key,
        &settings.api_key_env,
    )?;
    let org_id = org_id(&client, settings).await?;
    let org = |path: &str| path.replace("{orgId}", &org_id);
    progress.stage("pulling the organization's users");
    let users = client
        .search_all(
            &org(api::USERS_SEARCH),
            json!({"limit": PAGE_SIZE, "expand": ["productAccess"]}),
            &mut |n| progress.stage(format!("pulling the organization's users: {n} so far")),
        )
        .await?;
    progress.stage("pulling the organization's domains");
    let domains = client.get_all(&org(api::DOMAINS), &mut |_| {}).await?;
    progress.stage("pulling the organization's API tokens");
    let tokens = client
        .get_all_if_allowed(&org(api::API_TOKENS), &[("pageSize", "100")])
        .await?;
    progress.stage("pulling the organization's audit log");
    let events = client
        .events_between(
            &org(api::EVENTS_STREAM),
            events_from,
            Utc::now().timestamp_millis(),
        )
        .await?;
    Ok(Fetched {
        org_id,
        users,
        domains,
        tokens,
        events,
    })
}

/// Tries the org API key on `GET /admin/v1/orgs` without reading the
/// organization (`org-insights doctor --connect`): which organizations it
/// sees, and whether `org_id` (or the one organization) is among them.
pub fn try_key(settings: &AtlassianConfig, key: &str) -> Result<String, PullError> {
    blocking::block_on(async {
        let client = Client::new(settings.base_url.clone(), key, &settings.api_key_env)?;
        let orgs: Vec<api::Org> = client.get_all(api::ORGS, &mut |_| {}).await?;
        let names: Vec<String> = orgs.iter().map(org_words).collect();
        match &settings.org_id {
            Some(id) if !orgs.iter().any(|o| &o.id == id) => Err(PullError::Settings(format!(
                "the org API key does not see [atlassian] org_id {id}; it sees {}",
                if names.is_empty() {
                    "no organization".to_string()
                } else {
                    names.join(", ")
                }
            ))),
            Some(id) => Ok(format!("the key sees the organization {id}")),
            None => only_org_of(&orgs).map(|id| format!("the key sees one organization, {id}")),
        }
    })
    .context("starting the HTTP client")?
}

/// An organization as messages name it: `id (name)`.
fn org_words(org: &api::Org) -> String {
    match &org.attributes.name {
        Some(name) => format!("{} ({name})", org.id),
        None => org.id.clone(),
    }
}

/// `[atlassian] org_id`, else the one organization the key sees.
pub(crate) async fn org_id(
    client: &Client,
    settings: &AtlassianConfig,
) -> Result<String, PullError> {
    match &settings.org_id {
        Some(id) => Ok(id.clone()),
        None => only_org(client).await,
    }
}

/// The one organization the key sees, when `org_id` is not set.
async fn only_org(client: &Client) -> Result<String, PullError> {
    let orgs: Vec<api::Org> = client.get_all(api::ORGS, &mut |_| {}).await?;
    only_org_of(&orgs)
}

fn only_org_of(orgs: &[api::Org]) -> Result<String, PullError> {
    match orgs {
        [one] => Ok(one.id.clone()),
        [] => Err(PullError::Settings(
            "the org API key sees no organization: create the key in the organization to read"
                .to_string(),
        )),
        many => Err(PullError::Settings(format!(
            "the org API key sees {} organizations: set [atlassian] org_id to one of {}",
            many.len(),
            many.iter().map(org_words).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The contract's view of what the API said (docs/data-format.md, "From
/// Atlassian's Organizations REST API").
fn collect(users: &[api::User], domains: &[api::Domain]) -> Collected {
    let mut collected = Collected::default();
    for user in users {
        let Some(id) = user
            .account_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
        else {
            continue;
        };
        collected.people.insert(id.to_string(), person(user));
        for access in user.product_access.iter().flatten() {
            add_access(&mut collected, id, access);
        }
    }
    for domain in domains {
        let Some(name) = domain
            .attributes
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
        else {
            continue;
        };
        let verified = domain
            .attributes
            .claim
            .as_ref()
            .and_then(|c| c.status.as_deref())
            .is_some_and(|s| s.eq_ignore_ascii_case("verified"));
        *collected.domains.entry(name.to_lowercase()).or_default() |= verified;
    }
    collected
}

/// One user as an account of the contract.
fn person(user: &api::User) -> Person {
    let is = |field: &Option<String>, value: &str| {
        field
            .as_deref()
            .is_none_or(|f| f.eq_ignore_ascii_case(value))
    };
    // Has access (with a product) only when both the membership and the
    // account are active.
    let status = if is(&user.membership_status, "active") && is(&user.account_status, "active") {
        "active"
    } else if user
        .membership_status
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("suspended"))
    {
        "suspended"
    } else {
        "deactivated"
    };
    Person {
        email: user.email.clone().unwrap_or_default().trim().to_string(),
        name: user.name.clone().unwrap_or_default().trim().to_string(),
        status,
        managed: Some(
            user.claim_status
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("managed")),
        ),
        two_step: Some(if user.mfa_enabled == Some(true) {
            "on"
        } else {
            "off"
        }),
        sso: None,
        added_on: user
            .added_to_org
            .as_deref()
            .and_then(utc_day)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        // The API gives every account's two-step verification.
        auth_unknown: false,
        // The users API does not say who holds the org admin role.
        org_admin: None,
    }
}

/// One product instance the account `id` can use: a product access row,
/// and a day of activity when it has a last-active time.
fn add_access(collected: &mut Collected, id: &str, access: &api::ProductAccess) {
    let Some(key) = access.key.as_deref().filter(|k| !k.trim().is_empty()) else {
        return;
    };
    let product = product_key(key, &mut collected.unknown_products);
    // The product instance is the site; the API names it by id.
    let site = access
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&product)
        .to_string();
    if let Some(day) = access.last_active_timestamp.as_deref().and_then(utc_day) {
        collected
            .seen
            .insert((day, id.to_string(), product.clone(), site.clone()));
    }
    collected.access.insert((id.to_string(), product, site));
}

/// The UTC day of an ISO-8601 time (`2026-11-30T23:30:00+02:00` is the
/// 30th), or of a plain date; none for a year the contract's `YYYY-MM-DD`
/// cannot write.
pub(crate) fn utc_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).date_naive())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok())
        .filter(|day| (1..=9999).contains(&day.year()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn user(json: serde_json::Value) -> api::User {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn users_map_to_the_contract() {
        let users = [
            user(json!({
                "accountId": "a1", "email": "ann@acme.com", "name": "Ann",
                "claimStatus": "managed", "accountStatus": "active",
                "membershipStatus": "active", "mfaEnabled": true,
                "addedToOrg": "2026-01-05T10:00:00Z",
                "productAccess": [
                    {"key": "jira-software", "id": "site-1", "lastActiveTimestamp": "2026-11-29T23:30:00-02:00"},
                    {"key": "confluence", "id": "site-1"}
                ]
            })),
            user(json!({
                "accountId": "x1", "email": "xe@partner.io", "claimStatus": "unmanaged",
                "accountStatus": "active", "membershipStatus": "suspended",
                "productAccess": [{"key": "jira-servicedesk", "id": "site-2", "lastActiveTimestamp": "2026-11-01T08:00:00Z"}]
            })),
            user(
                json!({"accountId": "c1", "accountStatus": "closed", "membershipStatus": "active"}),
            ),
            user(json!({"email": "no-id@acme.com"})),
        ];
        let collected = collect(&users, &[]);
        assert_eq!(collected.people.len(), 3);
        let ann = &collected.people["a1"];
        assert_eq!(
            (ann.status, ann.managed, ann.two_step, ann.sso),
            ("active", Some(true), Some("on"), None)
        );
        assert_eq!(ann.added_on, "2026-01-05");
        let x = &collected.people["x1"];
        assert_eq!(
            (x.status, x.managed, x.two_step),
            ("suspended", Some(false), Some("off"))
        );
        assert_eq!(collected.people["c1"].status, "deactivated");
        // 23:30 at UTC-2 is 01:30 UTC the next day.
        let day = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(
            collected.seen,
            BTreeSet::from([
                (
                    day("2026-11-01"),
                    "x1".into(),
                    "jira-service-management".into(),
                    "site-2".into()
                ),
                (
                    day("2026-11-30"),
                    "a1".into(),
                    "jira".into(),
                    "site-1".into()
                ),
            ])
        );
        assert_eq!(collected.access.len(), 3);
        let products: BTreeSet<String> = collected.access.iter().map(|a| a.1.clone()).collect();
        assert_eq!(
            products,
            BTreeSet::from([
                "confluence".into(),
                "jira".into(),
                "jira-service-management".into()
            ])
        );
    }

    #[test]
    fn domains_are_verified_by_their_claim() {
        let domains: Vec<api::Domain> = serde_json::from_value(json!([
            {"attributes": {"name": "Acme.com", "claim": {"status": "verified"}}},
            {"attributes": {"name": "old.acme.com", "claim": {"status": "unverified"}}},
            {"attributes": {"name": "bare.io"}},
            {"attributes": {}}
        ]))
        .unwrap();
        let collected = collect(&[], &domains);
        assert_eq!(
            collected.domains.into_iter().collect::<Vec<_>>(),
            vec![
                ("acme.com".to_string(), true),
                ("bare.io".to_string(), false),
                ("old.acme.com".to_string(), false)
            ]
        );
    }

    /// Users-search pages as Atlassian's published schema allows them
    /// (jira.js `src/admin/models/multiDirectoryUser.ts`,
    /// `multiDirectoryProductAccess.ts`): every field optional or null,
    /// open enums with values never seen before, odd but valid times and
    /// addresses, empty strings.
    mod schema_pages {
        use proptest::prelude::*;
        use serde_json::Value;

        use super::super::*;
        use crate::pipeline::{self, RunControl, RunRequest};

        /// A field that is absent, null, or one of `values`.
        fn field(values: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                1 => Just(None),
                1 => Just(Some(Value::Null)),
                4 => proptest::sample::select(values).prop_map(Some),
            ]
        }

        fn strings(values: &[&str]) -> Vec<Value> {
            values.iter().map(|v| Value::from(*v)).collect()
        }

        const TIMES: &[&str] = &[
            "2026-11-30T23:30:00-02:00",
            "2026-11-29T10:00:00Z",
            "2026-11-29t10:00:00z",
            "2026-11-28T23:59:60Z",
            "2026-11-27T00:00:00.123456789+14:00",
            "2026-11-01",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-12:00",
            "",
            "yesterday",
        ];

        fn product_access() -> impl Strategy<Value = Value> {
            (
                field(strings(&[
                    "jira",
                    "confluence",
                    "jira-servicedesk",
                    "NEW-PRODUCT",
                    "!!!",
                    "",
                    "  ",
                    "Ω thing",
                ])),
                field(strings(&["site-1", "site-2", "", " ", "a,b", "s\nline"])),
                field(strings(TIMES)),
            )
                .prop_map(|(key, id, last)| {
                    let mut access = serde_json::Map::new();
                    for (name, value) in [("key", key), ("id", id), ("lastActiveTimestamp", last)] {
                        if let Some(value) = value {
                            access.insert(name.to_string(), value);
                        }
                    }
                    Value::Object(access)
                })
        }

        fn user() -> impl Strategy<Value = Value> {
            let identity = (
                field(strings(&[
                    "acc-1", "acc-2", "acc-3", " acc-4 ", "", "  ", "a,\"b\"",
                ])),
                field(strings(&[
                    "ann@acme.com",
                    "ANN@Acme.COM",
                    " spaced@partner.io ",
                    "",
                    "no-at-sign",
                    "two@@ats.com",
                    "a@b@c",
                    "\"quoted,comma\"@x.com",
                    "ünï@exämple.com",
                ])),
                field(strings(&[
                    "",
                    "O'Brien, \"Jr\"",
                    "名前",
                    "\t",
                    "=cmd|' /C calc'!A0",
                ])),
            );
            let states = (
                field(strings(&[
                    "managed",
                    "unmanaged",
                    "MANAGED",
                    "something-new",
                ])),
                field(strings(&["active", "inactive", "closed", "new_status"])),
                field(strings(&["active", "suspended", "no_membership", "future"])),
                field(vec![Value::Bool(true), Value::Bool(false)]),
                field(strings(TIMES)),
                proptest::option::of(proptest::collection::vec(product_access(), 0..4)),
            );
            (identity, states).prop_map(
                |((id, email, name), (claim, account, membership, mfa, added, access))| {
                    let mut user = serde_json::Map::new();
                    let fields = [
                        ("accountId", id),
                        ("email", email),
                        ("name", name),
                        ("claimStatus", claim),
                        ("accountStatus", account),
                        ("membershipStatus", membership),
                        ("mfaEnabled", mfa),
                        ("addedToOrg", added),
                        ("productAccess", access.map(Value::from)),
                        ("managementSource", Some(Value::Null)),
                        ("department", Some(Value::from("Sales"))),
                    ];
                    for (name, value) in fields {
                        if let Some(value) = value {
                            user.insert(name.to_string(), value);
                        }
                    }
                    Value::Object(user)
                },
            )
        }

        fn manifest() -> Manifest {
            Manifest {
                source: Some(SOURCE.to_string()),
                not_recorded: vec![manifest::SSO.to_string()],
                ..Manifest::default()
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

            /// What a pull writes passes the check and makes a report; a
            /// page with no usable account id writes nothing.
            #[test]
            fn a_pulled_page_passes_the_check_and_makes_a_report(
                users in proptest::collection::vec(user(), 1..10),
            ) {
                let page: api::Page<api::User> =
                    serde_json::from_value(serde_json::json!({"data": users, "links": {}}))
                        .expect("the page is in the published schema");
                let collected = collect(&page.data, &[]);
                let with_id = !collected.people.is_empty();
                let dir = tempfile::tempdir().unwrap();
                let bundle = dir.path().join("bundle");
                let written = update::write_bundle(&bundle, collected, &manifest());
                if !with_id {
                    prop_assert!(written.is_err());
                    prop_assert!(!bundle.join("accounts.csv").exists());
                    return Ok(());
                }
                prop_assert!(written.is_ok(), "{:#}", written.err().unwrap());
                let checked = crate::bundle::load(&bundle);
                prop_assert!(checked.is_ok(), "{}", checked.err().unwrap());
                let request = RunRequest::new(bundle, dir.path().join("out"));
                let report = pipeline::run(&request, &RunControl::default());
                prop_assert!(report.is_ok(), "{}", report.err().unwrap());
            }
        }
    }
}
