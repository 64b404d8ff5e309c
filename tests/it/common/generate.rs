//! Random bundles with every awkward case the contract allows, written to
//! disk in a random mix of formats: CSV (BOM or not, LF or CRLF, quoted or
//! not), gzip CSV, and Parquet with string or native column types.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use fastrand::Rng;
use polars::prelude::*;

use super::model::*;

const DOMAINS: &[&str] = &[
    "acme.com",
    "ACME.com",
    "corp.io",
    "partner.org",
    "Partner.ORG",
    "gmail.com",
    "example.net",
];
const SITES: &[&str] = &[
    "acme.atlassian.net",
    "beta.atlassian.net",
    "gamma.atlassian.net",
    "trello-ws1",
    "trello-ws2",
];
const PRODUCTS: &[&str] = &[
    "jira",
    "confluence",
    "trello",
    "jira-service-management",
    "loom",
];
const ACTIONS: &[&str] = &[
    "view",
    "view",
    "view",
    "rovo_search",
    "rovo_definition",
    "rovo_chat",
    "rovo_agent",
    "rovo_first_party_click",
    "rovo_third_party_click",
    "rovo_third_party_filter",
    "ai",
];

fn pick<'a, T: ?Sized>(rng: &mut Rng, items: &'a [&'a T]) -> &'a T {
    items[rng.usize(..items.len())]
}

fn maybe<T>(rng: &mut Rng, chance: f64, value: impl FnOnce(&mut Rng) -> T) -> Option<T> {
    (rng.f64() < chance).then(|| value(rng))
}

pub fn random_bundle(rng: &mut Rng, as_of: NaiveDate) -> Bundle {
    let n = rng.usize(1..50);
    let accounts: Vec<Account> = (0..n)
        .map(|i| Account {
            id: format!("id-{i}"),
            email: format!("user{i}@{}", pick(rng, DOMAINS)),
            name: ["Ann", "Lee, Bo", "Quote \"Q\"", "Multi\nLine", "Émile"][rng.usize(..5)]
                .to_string(),
            account_type: if rng.bool() { "managed" } else { "external" },
            status: maybe(rng, 0.6, |r| {
                pick(r, &["active", "active", "suspended", "deactivated"])
            }),
            two_step: maybe(rng, 0.7, |r| pick(r, &["off", "on", "enforced"])),
            sso: maybe(rng, 0.6, |r| r.bool()),
            external_policy: maybe(rng, 0.6, |r| r.bool()),
            org_admin: maybe(rng, 0.4, |r| r.f64() < 0.2),
            auth_recorded: maybe(rng, 0.4, |r| r.f64() < 0.7),
        })
        .collect();
    let account_id = |rng: &mut Rng| {
        if rng.f64() < 0.05 {
            "ghost".to_string()
        } else {
            format!("id-{}", rng.usize(..n))
        }
    };
    let product_access = maybe(rng, 0.75, |rng| {
        (0..rng.usize(0..80))
            .map(|_| Access {
                account_id: account_id(rng),
                product: pick(rng, PRODUCTS).to_string(),
                site: pick(rng, SITES).to_string(),
                role: maybe(rng, 0.5, |r| {
                    pick(r, &["User", "Agent", "Product admin", "Basic"]).to_string()
                }),
            })
            .collect()
    });
    let sites = maybe(rng, 0.75, |rng| {
        (0..rng.usize(0..10))
            .map(|_| Site {
                site: pick(rng, SITES).to_string(),
                product: pick(rng, PRODUCTS).to_string(),
                plan: maybe(rng, 0.7, |r| {
                    pick(r, &["free", "standard", "premium", "enterprise"])
                }),
                rovo: maybe(rng, 0.7, |r| r.bool()),
                rovo_activated_on: maybe(rng, 0.5, |r| as_of - Duration::days(r.i64(-10..90))),
                ai: maybe(rng, 0.7, |r| r.bool()),
                billing: maybe(rng, 0.6, |r| pick(r, &["monthly", "annual"])),
                paid_seats: maybe(rng, 0.5, |r| r.u64(0..200)),
            })
            .collect()
    });
    let domains = maybe(rng, 0.5, |rng| {
        (0..rng.usize(0..6))
            .map(|_| Domain {
                domain: pick(rng, DOMAINS).to_string(),
                verified: maybe(rng, 0.7, |r| r.bool()),
            })
            .collect()
    });
    let activity = maybe(rng, 0.85, |rng| {
        (0..rng.usize(0..250))
            .map(|_| Activity {
                // Mostly inside the window, some months back, a few after as_of.
                date: as_of
                    - Duration::days(match rng.u8(..10) {
                        0..=5 => rng.i64(0..35),
                        6..=8 => rng.i64(0..420),
                        _ => rng.i64(-5..0),
                    }),
                account_id: account_id(rng),
                product: pick(rng, PRODUCTS).to_string(),
                site: maybe(rng, 0.8, |r| pick(r, SITES).to_string()),
                surface: maybe(rng, 0.7, |r| pick(r, &["web", "mobile", "desktop"])),
                action: maybe(rng, 0.8, |r| pick(r, ACTIONS)),
                success: maybe(rng, 0.5, |r| r.bool()),
                count: maybe(rng, 0.5, |r| r.u64(1..9)),
            })
            .collect()
    });
    let api_tokens = maybe(rng, 0.6, |rng| api_tokens(rng, n, as_of));
    let events = maybe(rng, 0.6, |rng| events(rng, n, as_of));
    Bundle {
        accounts,
        product_access,
        sites,
        domains,
        activity,
        api_tokens,
        events,
    }
}

/// Tokens of known and departed owners, in every state the contract
/// tells apart: each status spelling, created after as_of, expired,
/// expiring soon, used after as_of, never used.
fn api_tokens(rng: &mut Rng, accounts: usize, as_of: NaiveDate) -> Vec<ApiToken> {
    (0..rng.usize(0..40))
        .map(|i| {
            let created = as_of - Duration::days(rng.i64(-5..400));
            ApiToken {
                token_id: format!("tok-{i}"),
                account_id: if rng.f64() < 0.15 {
                    format!("gone-{}", rng.u8(..3))
                } else {
                    format!("id-{}", rng.usize(..accounts))
                },
                email: maybe(rng, 0.5, |r| {
                    format!("owner{}@{}", r.u8(..9), pick(r, DOMAINS))
                }),
                label: maybe(rng, 0.7, |r| {
                    pick(r, &["ci", "Backup, nightly", "=cmd", "Zoë"]).to_string()
                }),
                status: maybe(rng, 0.7, |r| {
                    pick(r, &["allowed", "ALLOWED", "Allowed", "revoked", "blocked"]).to_string()
                }),
                created,
                expires: maybe(rng, 0.7, |r| as_of + Duration::days(r.i64(-20..60))),
                last_active: maybe(rng, 0.7, |r| as_of - Duration::days(r.i64(-3..150))),
            }
        })
        .collect()
}

const EVENT_ACTIONS: &[&str] = &[
    "added_org_admin",
    "group_granted_admin_access",
    "twosv_disabled_for_user",
    "user_granted_role",
    "user_revoked_role",
    "user_logged_in_as_user",
    "user_suspended",
    "api_key_created",
];

/// Audit log events around the window, their times in several offsets
/// and precisions, some actions untracked.
fn events(rng: &mut Rng, accounts: usize, as_of: NaiveDate) -> Vec<Event> {
    let midnight = as_of.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut last = midnight;
    (0..rng.usize(0..40))
        .map(|i| {
            // One in five at the same instant as the event before it.
            let at = if i > 0 && rng.u8(..5) == 0 {
                last
            } else {
                midnight - Duration::seconds(rng.i64(-3 * 86_400..45 * 86_400))
            };
            last = at;
            let offset = [0, 2 * 3600, -5 * 3600, 5 * 3600 + 1800][rng.usize(..4)];
            let zone = chrono::FixedOffset::east_opt(offset).unwrap();
            let local = at.with_timezone(&zone);
            let time = match (offset, rng.u8(..3)) {
                (0, 0) => local.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                (_, 1) => local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
                _ => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            };
            let person = |r: &mut Rng| format!("id-{}", r.usize(..accounts));
            Event {
                event_id: format!("ev-{i}"),
                time,
                action: pick(rng, EVENT_ACTIONS).to_string(),
                actor_id: maybe(rng, 0.8, person),
                actor: maybe(rng, 0.8, |r| format!("admin{}@acme.com", r.u8(..3))),
                subject_id: maybe(rng, 0.7, person),
                subject: maybe(rng, 0.7, |r| {
                    pick(r, &["Ann Lee", "bo@partner.org"]).to_string()
                }),
                target: maybe(rng, 0.4, |r| {
                    pick(r, &["site-admins", "Policy \"strict\""]).to_string()
                }),
                ip: maybe(rng, 0.6, |r| format!("192.0.2.{}", r.u8(..255))),
            }
        })
        .collect()
}

/// One cell: how it is spelled as text, and its native value for typed Parquet.
#[derive(Clone)]
enum Cell {
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    Int(Option<u64>),
}

fn case_variant(rng: &mut Rng, value: &str) -> String {
    match rng.u8(..4) {
        0 => value.to_uppercase(),
        1 => {
            let mut chars = value.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
        _ => value.to_string(),
    }
}

fn pad(rng: &mut Rng, value: String) -> String {
    match rng.u8(..6) {
        0 => format!("  {value}"),
        1 => format!("{value}\t"),
        _ => value,
    }
}

/// A cell as text: in any spelling the contract reads, or with `plain`,
/// in canonical form (trimmed, lower-case words).
fn spell(rng: &mut Rng, cell: &Cell, plain: bool) -> Option<String> {
    let text = match cell {
        Cell::Text(v) => v.clone(),
        Cell::Bool(v) => v.map(|b| {
            let words: &[&str] = if b {
                &["true", "1", "yes"]
            } else {
                &["false", "0", "no"]
            };
            let word = pick(rng, words);
            if plain {
                word.to_string()
            } else {
                case_variant(rng, word)
            }
        }),
        Cell::Date(v) => v.map(|d| d.to_string()),
        Cell::Int(v) => v.map(|n| n.to_string()),
    };
    if plain {
        text
    } else {
        Some(pad(rng, text?))
    }
}

fn enum_cell(rng: &mut Rng, v: Option<&str>) -> Cell {
    Cell::Text(v.map(|s| case_variant(rng, s)))
}

type Columns = Vec<(&'static str, Vec<Cell>)>;

fn columns(rng: &mut Rng, bundle: &Bundle) -> Vec<(&'static str, Columns)> {
    let mut tables = Vec::new();
    let col = |name: &'static str, cells: Vec<Cell>| (name, cells);
    let a = &bundle.accounts;
    tables.push((
        "accounts",
        vec![
            col(
                "account_id",
                a.iter().map(|x| Cell::Text(Some(x.id.clone()))).collect(),
            ),
            col(
                "email",
                a.iter()
                    .map(|x| Cell::Text(Some(x.email.clone())))
                    .collect(),
            ),
            col(
                "name",
                a.iter().map(|x| Cell::Text(Some(x.name.clone()))).collect(),
            ),
            col(
                "account_type",
                a.iter()
                    .map(|x| enum_cell(rng, Some(x.account_type)))
                    .collect(),
            ),
            col(
                "status",
                a.iter().map(|x| enum_cell(rng, x.status)).collect(),
            ),
            col(
                "two_step",
                a.iter().map(|x| enum_cell(rng, x.two_step)).collect(),
            ),
            col("sso", a.iter().map(|x| Cell::Bool(x.sso)).collect()),
            col(
                "external_policy",
                a.iter().map(|x| Cell::Bool(x.external_policy)).collect(),
            ),
            col(
                "org_admin",
                a.iter().map(|x| Cell::Bool(x.org_admin)).collect(),
            ),
            col(
                "auth_recorded",
                a.iter().map(|x| Cell::Bool(x.auth_recorded)).collect(),
            ),
        ],
    ));
    if let Some(p) = &bundle.product_access {
        tables.push((
            "product_access",
            vec![
                col(
                    "account_id",
                    p.iter()
                        .map(|x| Cell::Text(Some(x.account_id.clone())))
                        .collect(),
                ),
                col(
                    "product",
                    p.iter()
                        .map(|x| Cell::Text(Some(case_variant(rng, &x.product))))
                        .collect(),
                ),
                col(
                    "site",
                    p.iter().map(|x| Cell::Text(Some(x.site.clone()))).collect(),
                ),
                col(
                    "role",
                    p.iter().map(|x| Cell::Text(x.role.clone())).collect(),
                ),
            ],
        ));
    }
    if let Some(s) = &bundle.sites {
        tables.push((
            "sites",
            vec![
                col(
                    "site",
                    s.iter().map(|x| Cell::Text(Some(x.site.clone()))).collect(),
                ),
                col(
                    "product",
                    s.iter()
                        .map(|x| Cell::Text(Some(case_variant(rng, &x.product))))
                        .collect(),
                ),
                col("plan", s.iter().map(|x| enum_cell(rng, x.plan)).collect()),
                col("rovo", s.iter().map(|x| Cell::Bool(x.rovo)).collect()),
                col(
                    "rovo_activated_on",
                    s.iter().map(|x| Cell::Date(x.rovo_activated_on)).collect(),
                ),
                col("ai", s.iter().map(|x| Cell::Bool(x.ai)).collect()),
                col(
                    "billing",
                    s.iter().map(|x| enum_cell(rng, x.billing)).collect(),
                ),
                col(
                    "paid_seats",
                    s.iter().map(|x| Cell::Int(x.paid_seats)).collect(),
                ),
            ],
        ));
    }
    if let Some(d) = &bundle.domains {
        tables.push((
            "domains",
            vec![
                col(
                    "domain",
                    d.iter()
                        .map(|x| Cell::Text(Some(x.domain.clone())))
                        .collect(),
                ),
                col(
                    "verified",
                    d.iter().map(|x| Cell::Bool(x.verified)).collect(),
                ),
            ],
        ));
    }
    if let Some(t) = &bundle.api_tokens {
        let text =
            |f: fn(&ApiToken) -> Option<String>| t.iter().map(|x| Cell::Text(f(x))).collect();
        tables.push((
            "api_tokens",
            vec![
                col("token_id", text(|x| Some(x.token_id.clone()))),
                col("account_id", text(|x| Some(x.account_id.clone()))),
                col("email", text(|x| x.email.clone())),
                col("label", text(|x| x.label.clone())),
                col("status", text(|x| x.status.clone())),
                col(
                    "created",
                    t.iter().map(|x| Cell::Date(Some(x.created))).collect(),
                ),
                col("expires", t.iter().map(|x| Cell::Date(x.expires)).collect()),
                col(
                    "last_active",
                    t.iter().map(|x| Cell::Date(x.last_active)).collect(),
                ),
            ],
        ));
    }
    if let Some(e) = &bundle.events {
        let text = |f: fn(&Event) -> Option<String>| e.iter().map(|x| Cell::Text(f(x))).collect();
        tables.push((
            "events",
            vec![
                col("event_id", text(|x| Some(x.event_id.clone()))),
                col("time", text(|x| Some(x.time.clone()))),
                col("action", text(|x| Some(x.action.clone()))),
                col("actor_id", text(|x| x.actor_id.clone())),
                col("actor", text(|x| x.actor.clone())),
                col("subject_id", text(|x| x.subject_id.clone())),
                col("subject", text(|x| x.subject.clone())),
                col("target", text(|x| x.target.clone())),
                col("ip", text(|x| x.ip.clone())),
            ],
        ));
    }
    if let Some(v) = &bundle.activity {
        tables.push((
            "activity",
            vec![
                col("date", v.iter().map(|x| Cell::Date(Some(x.date))).collect()),
                col(
                    "account_id",
                    v.iter()
                        .map(|x| Cell::Text(Some(x.account_id.clone())))
                        .collect(),
                ),
                col(
                    "product",
                    v.iter()
                        .map(|x| Cell::Text(Some(case_variant(rng, &x.product))))
                        .collect(),
                ),
                col(
                    "site",
                    v.iter().map(|x| Cell::Text(x.site.clone())).collect(),
                ),
                col(
                    "surface",
                    v.iter().map(|x| enum_cell(rng, x.surface)).collect(),
                ),
                col(
                    "action",
                    v.iter().map(|x| enum_cell(rng, x.action)).collect(),
                ),
                col("success", v.iter().map(|x| Cell::Bool(x.success)).collect()),
                col("count", v.iter().map(|x| Cell::Int(x.count)).collect()),
            ],
        ));
    }
    tables
}

fn header_variant(rng: &mut Rng, name: &str) -> String {
    let name = case_variant(rng, name);
    pad(rng, name)
}

/// Writes `bundle` into `dir`; returns how each table was written.
pub fn write_bundle(rng: &mut Rng, bundle: &Bundle, dir: &Path) -> Vec<String> {
    write_spelled(rng, bundle, dir, false)
}

/// [`write_bundle`] with every cell of activity in canonical form: trimmed,
/// keys and words in lower case, no empty text for a missing value.
pub fn write_bundle_with_canonical_activity(
    rng: &mut Rng,
    bundle: &Bundle,
    dir: &Path,
) -> Vec<String> {
    write_spelled(rng, bundle, dir, true)
}

fn write_spelled(
    rng: &mut Rng,
    bundle: &Bundle,
    dir: &Path,
    canonical_activity: bool,
) -> Vec<String> {
    let mut formats = Vec::new();
    for (table, mut cols) in columns(rng, bundle) {
        let plain = canonical_activity && table == "activity";
        if plain {
            canonical_keys(&mut cols);
        }
        // Optional columns that are all empty may be left out entirely.
        let required = [
            "account_id",
            "email",
            "account_type",
            "product",
            "site",
            "date",
            "domain",
            "token_id",
            "created",
            "event_id",
            "time",
            "action",
        ];
        cols.retain(|(name, cells)| {
            let all_empty = cells.iter().all(|c| {
                matches!(
                    c,
                    Cell::Text(None) | Cell::Bool(None) | Cell::Date(None) | Cell::Int(None)
                )
            });
            let is_required = required.contains(name) && !(table == "activity" && *name == "site");
            is_required || !all_empty || rng.bool()
        });
        rng.shuffle(&mut cols);
        if rng.bool() {
            let rows = cols[0].1.len();
            cols.push((
                "notes",
                (0..rows)
                    .map(|i| Cell::Text(Some(format!("extra, {i}"))))
                    .collect(),
            ));
        }
        let format = rng.u8(..4);
        let file = match format {
            0 | 1 => write_csv(rng, table, &cols, dir, format == 1, plain),
            2 => write_parquet(rng, table, &cols, dir, false, plain),
            _ => write_parquet(rng, table, &cols, dir, true, plain),
        };
        formats.push(file);
    }
    formats
}

/// Products, surfaces and actions in lower case, as the contract reads them.
fn canonical_keys(cols: &mut Columns) {
    for (name, cells) in cols.iter_mut() {
        if ["product", "surface", "action"].contains(name) {
            for cell in cells.iter_mut() {
                if let Cell::Text(Some(text)) = cell {
                    *text = text.to_lowercase();
                }
            }
        }
    }
}

fn write_csv(
    rng: &mut Rng,
    table: &str,
    cols: &Columns,
    dir: &Path,
    gzip: bool,
    plain: bool,
) -> String {
    let crlf = rng.bool();
    let mut writer = csv::WriterBuilder::new()
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .quote_style(if rng.bool() {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(Vec::new());
    writer
        .write_record(cols.iter().map(|(name, _)| header_variant(rng, name)))
        .unwrap();
    let rows = cols.first().map(|(_, c)| c.len()).unwrap_or(0);
    for i in 0..rows {
        let record: Vec<String> = cols
            .iter()
            .map(|(_, cells)| spell(rng, &cells[i], plain).unwrap_or_default())
            .collect();
        writer.write_record(&record).unwrap();
    }
    let mut bytes = writer.into_inner().unwrap();
    if rng.u8(..4) == 0 {
        // Trailing blank lines, as editors leave them.
        bytes.extend_from_slice(if crlf { b"\r\n\r\n" } else { b"\n" });
    }
    if rng.bool() {
        bytes.splice(0..0, "\u{feff}".bytes());
    }
    if gzip {
        let name = format!("{table}.csv.gz");
        let mut encoder = flate2::write::GzEncoder::new(
            File::create(dir.join(&name)).unwrap(),
            flate2::Compression::fast(),
        );
        encoder.write_all(&bytes).unwrap();
        encoder.finish().unwrap();
        name
    } else {
        let name = format!("{table}.csv");
        std::fs::write(dir.join(&name), bytes).unwrap();
        name
    }
}

fn write_parquet(
    rng: &mut Rng,
    table: &str,
    cols: &Columns,
    dir: &Path,
    typed: bool,
    plain: bool,
) -> String {
    let mut series: Vec<Column> = Vec::new();
    let mut used = std::collections::HashSet::new();
    for (name, cells) in cols {
        let mut header = header_variant(rng, name);
        while !used.insert(header.clone()) {
            header.push(' ');
        }
        let s = match (typed, cells.first()) {
            (true, Some(Cell::Bool(_))) => {
                let v: Vec<Option<bool>> = cells
                    .iter()
                    .map(|c| if let Cell::Bool(b) = c { *b } else { None })
                    .collect();
                Series::new(header.into(), v)
            }
            (true, Some(Cell::Date(_))) => {
                let v: Vec<Option<i32>> = cells
                    .iter()
                    .map(|c| {
                        if let Cell::Date(d) = c {
                            d.map(|d| (d - NaiveDate::default()).num_days() as i32)
                        } else {
                            None
                        }
                    })
                    .collect();
                Series::new(header.into(), v).cast(&DataType::Date).unwrap()
            }
            (true, Some(Cell::Int(_))) => {
                let v: Vec<Option<i64>> = cells
                    .iter()
                    .map(|c| {
                        if let Cell::Int(n) = c {
                            n.map(|n| n as i64)
                        } else {
                            None
                        }
                    })
                    .collect();
                Series::new(header.into(), v)
            }
            _ => {
                let v: Vec<Option<String>> = cells
                    .iter()
                    .map(|c| {
                        spell(rng, c, plain).or_else(|| {
                            if !plain && rng.bool() {
                                Some(String::new())
                            } else {
                                None
                            }
                        })
                    })
                    .collect();
                Series::new(header.into(), v)
            }
        };
        series.push(s.into());
    }
    let mut frame = DataFrame::new_infer_height(series).unwrap();
    let name = format!("{table}.parquet");
    ParquetWriter::new(File::create(dir.join(&name)).unwrap())
        .finish(&mut frame)
        .unwrap();
    format!("{name} ({})", if typed { "typed" } else { "strings" })
}
