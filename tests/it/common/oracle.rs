//! An independent implementation of the contract's definitions: plain Rust
//! loops over the logical rows, sharing no code with the program.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use super::model::*;

fn pct(part: u64, whole: u64) -> Value {
    if whole == 0 {
        return Value::Null;
    }
    // Tenths of a percent, ties away from zero, exactly.
    let scaled = part * 1000;
    let mut tenths = scaled / whole;
    if 2 * (scaled % whole) >= whole {
        tenths += 1;
    }
    json!(tenths as f64 / 10.0)
}

fn month(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month())
}

fn month_str(m: (i32, u32)) -> String {
    format!("{:04}-{:02}", m.0, m.1)
}

fn next_month(m: (i32, u32)) -> (i32, u32) {
    if m.1 == 12 {
        (m.0 + 1, 1)
    } else {
        (m.0, m.1 + 1)
    }
}

fn months_back(m: (i32, u32), n: u32) -> (i32, u32) {
    let total = m.0 * 12 + m.1 as i32 - 1 - n as i32;
    (total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

/// `rows`: (date, account) of the rows counted for one figure.
fn monthly(rows: &[(NaiveDate, String)], as_of: NaiveDate) -> Value {
    let Some(first) = rows.iter().map(|(d, _)| month(*d)).min() else {
        return json!([]);
    };
    let last = month(as_of);
    let mut m = first.max(months_back(last, 11));
    let mut out = Vec::new();
    loop {
        let n: HashSet<&String> = rows
            .iter()
            .filter(|(d, _)| month(*d) == m)
            .map(|(_, a)| a)
            .collect();
        out.push(json!({"month": month_str(m), "active": n.len()}));
        if m == last {
            break;
        }
        m = next_month(m);
    }
    Value::Array(out)
}

struct Row<'a> {
    date: NaiveDate,
    account: &'a str,
    product: &'a str,
    site: Option<&'a str>,
    surface: &'a str,
    action: &'a str,
    success: bool,
}

/// `data_quality.auth_not_recorded`: managed accounts with access whose
/// `auth_recorded` is false.
pub fn auth_not_recorded(bundle: &Bundle) -> u64 {
    bundle
        .accounts
        .iter()
        .filter(|a| a.status.unwrap_or("active") == "active")
        .filter(|a| match &bundle.product_access {
            None => true,
            Some(rows) => rows.iter().any(|r| r.account_id == a.id),
        })
        .filter(|a| a.account_type == "managed" && a.auth_recorded == Some(false))
        .count() as u64
}

pub fn expected(bundle: &Bundle, as_of: NaiveDate) -> (Value, Value) {
    let start = as_of - Duration::days(29);
    let accounts: HashMap<&str, &Account> =
        bundle.accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let status = |a: &Account| a.status.unwrap_or("active");
    let two_step = |a: &Account| a.two_step.unwrap_or("off");
    let domain_of = |a: &Account| a.email.split('@').nth(1).unwrap_or("").to_lowercase();

    let with_access: Vec<&Account> = bundle
        .accounts
        .iter()
        .filter(|a| status(a) == "active")
        .filter(|a| match &bundle.product_access {
            None => true,
            Some(rows) => rows.iter().any(|r| r.account_id == a.id),
        })
        .collect();
    let access_ids: HashSet<&str> = with_access.iter().map(|a| a.id.as_str()).collect();

    let mut insights = serde_json::Map::new();
    let mut missing = serde_json::Map::new();

    // 1
    let managed = with_access
        .iter()
        .filter(|a| a.account_type == "managed")
        .count();
    let external = with_access.len() - managed;
    insights.insert(
        "users_with_access".into(),
        json!({"managed": managed, "external": external, "total": managed + external}),
    );

    // 2
    let mut per_domain: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for a in &with_access {
        let e = per_domain.entry(domain_of(a)).or_default();
        if a.account_type == "managed" {
            e.0 += 1
        } else {
            e.1 += 1
        }
    }
    let verified: HashSet<String> = bundle
        .domains
        .iter()
        .flatten()
        .filter(|d| d.verified == Some(true))
        .map(|d| d.domain.to_lowercase())
        .collect();
    let mut domains: Vec<(String, u64, u64)> = per_domain
        .into_iter()
        .map(|(d, (m, e))| (d, m, e))
        .collect();
    domains.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
    insights.insert(
        "domains".into(),
        Value::Array(
            domains
                .iter()
                .map(|(d, m, e)| json!({"domain": d, "managed": m, "external": e, "verified": verified.contains(d)}))
                .collect(),
        ),
    );

    // 3
    let (mut sso, mut on, mut off) = (0, 0, 0);
    for a in with_access
        .iter()
        .filter(|a| a.account_type == "managed" && a.auth_recorded != Some(false))
    {
        if a.sso == Some(true) {
            sso += 1
        } else if two_step(a) != "off" {
            on += 1
        } else {
            off += 1
        }
    }
    insights.insert(
        "managed_authentication".into(),
        json!({"sso": sso, "two_step_enabled": on, "two_step_disabled": off}),
    );

    // 4 and 5
    let ext: Vec<&&Account> = with_access
        .iter()
        .filter(|a| a.account_type == "external")
        .collect();
    let count_2sv = |s: &str| ext.iter().filter(|a| two_step(a) == s).count();
    insights.insert(
        "external_two_step".into(),
        json!({"enabled_self": count_2sv("on"), "enabled_by_other_org": count_2sv("enforced"), "not_enabled": count_2sv("off")}),
    );
    let covered = ext
        .iter()
        .filter(|a| a.external_policy == Some(true))
        .count() as u64;
    insights.insert(
        "external_policy".into(),
        json!({"covered": covered, "total": ext.len(), "percent": pct(covered, ext.len() as u64)}),
    );

    // Counted activity.
    let counted: Vec<Row> = bundle
        .activity
        .iter()
        .flatten()
        .filter(|r| r.date <= as_of)
        .filter_map(|r| {
            let a = accounts.get(r.account_id.as_str())?;
            if r.product == "trello" && a.account_type != "managed" {
                return None;
            }
            Some(Row {
                date: r.date,
                account: &r.account_id,
                product: &r.product,
                site: r.site.as_deref(),
                surface: r.surface.unwrap_or("web"),
                action: r.action.unwrap_or("view"),
                success: r.success.unwrap_or(true),
            })
        })
        .collect();
    let in_window = |r: &&Row| r.date >= start;
    let distinct = |rows: &mut dyn Iterator<Item = &Row>| {
        rows.map(|r| r.account).collect::<HashSet<_>>().len()
    };

    let all_sites: Vec<&Site> = bundle.sites.iter().flatten().collect();
    let site_rows = |site: &str| -> Vec<&Site> {
        all_sites
            .iter()
            .copied()
            .filter(|s| s.site == site)
            .collect()
    };
    let rovo_sites: BTreeSet<&str> = bundle
        .sites
        .iter()
        .flatten()
        .filter(|s| s.rovo == Some(true))
        .map(|s| s.site.as_str())
        .collect();

    if bundle.activity.is_some() {
        // 6
        let views: Vec<&Row> = counted.iter().filter(|r| r.action == "view").collect();
        let daily: Vec<Value> = (0..30)
            .map(|i| {
                let day = start + Duration::days(i);
                let n: HashSet<&str> = views
                    .iter()
                    .filter(|r| r.date == day)
                    .map(|r| r.account)
                    .collect();
                json!({"date": day.to_string(), "active": n.len()})
            })
            .collect();
        let view_pairs: Vec<(NaiveDate, String)> = views
            .iter()
            .map(|r| (r.date, r.account.to_string()))
            .collect();
        insights.insert(
            "active_users".into(),
            json!({
                "active": distinct(&mut views.iter().copied().filter(in_window)),
                "daily": daily,
                "monthly": monthly(&view_pairs, as_of),
            }),
        );

        // 8
        let plan_rank = |p: &str| {
            ["free", "standard", "premium", "enterprise"]
                .iter()
                .position(|x| *x == p)
                .unwrap()
        };
        let mut best: HashMap<&str, usize> = HashMap::new();
        for r in views
            .iter()
            .filter(|r| r.product == "trello" && r.date >= start)
        {
            let rank = r
                .site
                .map(|s| {
                    site_rows(s)
                        .into_iter()
                        .filter(|x| x.product == "trello")
                        .map(|x| plan_rank(x.plan.unwrap_or("free")))
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            let e = best.entry(r.account).or_insert(0);
            *e = (*e).max(rank);
        }
        let plans: Vec<Value> = ["free", "standard", "premium", "enterprise"]
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let n = best.values().filter(|r| **r == i).count();
                (n > 0).then(|| json!({"plan": p, "active": n}))
            })
            .collect();
        insights.insert("trello_by_plan".into(), Value::Array(plans));

        // 9
        let window: Vec<&Row> = counted.iter().filter(in_window).collect();
        let products: BTreeSet<&str> = window.iter().map(|r| r.product).collect();
        let products: Vec<Value> = products
            .iter()
            .map(|p| {
                let all: HashSet<&str> = window.iter().filter(|r| r.product == *p).map(|r| r.account).collect();
                let mobile: HashSet<&str> = window.iter().filter(|r| r.product == *p && r.surface == "mobile").map(|r| r.account).collect();
                json!({"product": p, "users": mobile.len(), "share": pct(mobile.len() as u64, all.len() as u64)})
            })
            .collect();
        let total: HashSet<&str> = window
            .iter()
            .filter(|r| r.surface == "mobile")
            .map(|r| r.account)
            .collect();
        insights.insert(
            "mobile_usage".into(),
            json!({"products": products, "total": total.len()}),
        );

        // 7
        if let Some(access) = &bundle.product_access {
            let mut holders: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
            for r in access
                .iter()
                .filter(|r| access_ids.contains(r.account_id.as_str()))
            {
                holders.entry(&r.product).or_default().insert(&r.account_id);
            }
            let rows: Vec<Value> = holders
                .iter()
                .map(|(p, ids)| {
                    let active = ids
                        .iter()
                        .filter(|id| {
                            views
                                .iter()
                                .any(|r| r.date >= start && r.product == *p && r.account == **id)
                        })
                        .count();
                    json!({"product": p, "active": active, "inactive": ids.len() - active})
                })
                .collect();
            insights.insert("active_by_product".into(), Value::Array(rows));
        } else {
            insights.insert("active_by_product".into(), Value::Null);
            missing.insert("active_by_product".into(), json!("product_access"));
        }

        // 11 and 12
        if bundle.sites.is_some() {
            let rovo_rows: Vec<(NaiveDate, String)> = counted
                .iter()
                .filter(|r| {
                    let generating = ["rovo_search", "rovo_definition", "rovo_chat", "rovo_agent"]
                        .contains(&r.action)
                        && r.success;
                    let click = [
                        "rovo_first_party_click",
                        "rovo_third_party_click",
                        "rovo_third_party_filter",
                    ]
                    .contains(&r.action);
                    (generating || click) && r.site.is_none_or(|s| rovo_sites.contains(s))
                })
                .map(|r| (r.date, r.account.to_string()))
                .collect();
            let recent: Vec<&str> = rovo_sites
                .iter()
                .copied()
                .filter(|s| {
                    site_rows(s)
                        .into_iter()
                        .filter_map(|x| x.rovo_activated_on)
                        .max()
                        .is_some_and(|d| d >= start)
                })
                .collect();
            let active: HashSet<&String> = rovo_rows
                .iter()
                .filter(|(d, _)| *d >= start)
                .map(|(_, a)| a)
                .collect();
            insights.insert(
                "rovo_active".into(),
                json!({"active": active.len(), "monthly": monthly(&rovo_rows, as_of), "recently_activated": recent}),
            );

            let ai_rows: Vec<(NaiveDate, String)> = counted
                .iter()
                .filter(|r| r.action == "ai")
                .filter(|r| match r.site {
                    None => true,
                    Some(s) => site_rows(s)
                        .into_iter()
                        .any(|x| x.product == r.product && x.ai == Some(true)),
                })
                .map(|r| (r.date, r.account.to_string()))
                .collect();
            let active: HashSet<&String> = ai_rows
                .iter()
                .filter(|(d, _)| *d >= start)
                .map(|(_, a)| a)
                .collect();
            insights.insert(
                "ai_active".into(),
                json!({"active": active.len(), "monthly": monthly(&ai_rows, as_of)}),
            );
        } else {
            for key in ["rovo_active", "ai_active"] {
                insights.insert(key.into(), Value::Null);
                missing.insert(key.into(), json!("sites"));
            }
        }
    } else {
        for key in [
            "active_users",
            "active_by_product",
            "trello_by_plan",
            "mobile_usage",
            "rovo_active",
            "ai_active",
        ] {
            insights.insert(key.into(), Value::Null);
            missing.insert(key.into(), json!("activity"));
        }
    }

    // 10
    match (&bundle.product_access, &bundle.sites) {
        (Some(access), Some(sites)) => {
            let users: HashSet<&str> = access
                .iter()
                .filter(|r| {
                    access_ids.contains(r.account_id.as_str())
                        && rovo_sites.contains(r.site.as_str())
                })
                .map(|r| r.account_id.as_str())
                .collect();
            let seats: Vec<u64> = sites
                .iter()
                .filter(|s| rovo_sites.contains(s.site.as_str()) && s.billing == Some("annual"))
                .filter_map(|s| s.paid_seats)
                .collect();
            let paid = if seats.is_empty() {
                Value::Null
            } else {
                json!(seats.iter().sum::<u64>())
            };
            insights.insert(
                "rovo_access".into(),
                json!({"users": users.len(), "paid_seats": paid, "sites": rovo_sites.len()}),
            );
        }
        _ => {
            insights.insert("rovo_access".into(), Value::Null);
            missing.insert("rovo_access".into(), json!("product_access or sites"));
        }
    }
    // 13
    match &bundle.api_tokens {
        Some(tokens) => {
            insights.insert("api_tokens".into(), api_tokens(tokens, &access_ids, as_of));
        }
        None => {
            insights.insert("api_tokens".into(), Value::Null);
            missing.insert("api_tokens".into(), json!("api_tokens"));
        }
    }
    (Value::Object(insights), Value::Object(missing))
}

/// Insight 13, from the contract's words.
fn api_tokens(tokens: &[ApiToken], with_access: &HashSet<&str>, as_of: NaiveDate) -> Value {
    let live: Vec<&ApiToken> = tokens
        .iter()
        .filter(|t| {
            t.status
                .as_deref()
                .is_none_or(|s| s.trim().eq_ignore_ascii_case("allowed"))
        })
        .filter(|t| t.created <= as_of)
        .filter(|t| t.expires.is_none_or(|e| e > as_of))
        .collect();
    let mut groups = [0u64; 5];
    for t in &live {
        let slot = match t.last_active {
            None => 4,
            Some(d) => match (as_of - d).num_days().max(0) {
                0..=6 => 0,
                7..=29 => 1,
                30..=89 => 2,
                _ => 3,
            },
        };
        groups[slot] += 1;
    }
    let soon = as_of + Duration::days(30);
    let owners: HashSet<&str> = live.iter().map(|t| t.account_id.as_str()).collect();
    json!({
        "live": live.len(),
        "accounts": owners.len(),
        "by_last_use": {
            "last_7_days": groups[0],
            "last_30_days": groups[1],
            "last_90_days": groups[2],
            "older": groups[3],
            "never": groups[4],
        },
        "expiring_30_days": live.iter().filter(|t| t.expires.is_some_and(|e| e > as_of && e <= soon)).count(),
        "owner_without_access": live.iter().filter(|t| !with_access.contains(t.account_id.as_str())).count(),
    })
}

const TRACKED: [&str; 6] = [
    "added_org_admin",
    "group_granted_admin_access",
    "twosv_disabled_for_user",
    "user_granted_role",
    "user_revoked_role",
    "user_logged_in_as_user",
];

/// `security_changes`, from the contract's words; `None` without events.
pub fn security_changes(bundle: &Bundle, as_of: NaiveDate) -> Value {
    let Some(events) = &bundle.events else {
        return Value::Null;
    };
    let start = as_of - Duration::days(29);
    let mut kept: Vec<(chrono::DateTime<chrono::Utc>, &Event)> = events
        .iter()
        .filter(|e| TRACKED.contains(&e.action.as_str()))
        .map(|e| {
            let at = chrono::DateTime::parse_from_rfc3339(&e.time)
                .unwrap()
                .with_timezone(&chrono::Utc);
            (at, e)
        })
        .filter(|(at, _)| at.date_naive() >= start && at.date_naive() <= as_of)
        .collect();
    // Stable: events of the same instant keep the order of the table.
    kept.sort_by_key(|e| std::cmp::Reverse(e.0));
    let counts: serde_json::Map<String, Value> = TRACKED
        .iter()
        .map(|k| {
            let n = kept.iter().filter(|(_, e)| e.action == *k).count();
            (k.to_string(), json!(n))
        })
        .collect();
    json!({
        "events": kept.iter().map(|(_, e)| json!({
            "time": e.time, "action": e.action, "actor": e.actor, "subject": e.subject, "target": e.target,
        })).collect::<Vec<_>>(),
        "counts": counts,
    })
}
