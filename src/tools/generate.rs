//! `org-insights generate`: a deterministic synthetic bundle that follows
//! the contract, for benchmarks and demos. The same options and seed give
//! the same files.
//!
//! Shapes an admin would recognise: most accounts on the organization's few
//! verified domains, a long tail of partner domains, a fifth of the accounts
//! making most of the activity, mostly views, some mobile, Rovo and
//! Atlassian Intelligence use, several sites and plans, and a trace of rows
//! for accounts the accounts export does not know.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{Days, NaiveDate};
use fastrand::Rng;
use polars::prelude::*;

use crate::support::frame::date_to_days;

/// Activity rows are produced and written in chunks of this many.
const CHUNK: usize = 2_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Parquet,
    Csv,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub accounts: usize,
    pub events: usize,
    pub days: u64,
    pub seed: u64,
    pub format: OutputFormat,
    /// The last day of activity.
    pub end: NaiveDate,
    pub out: PathBuf,
}

const MANAGED_DOMAINS: [&str; 3] = ["acme.com", "acme.co.uk", "acme-labs.io"];
const FREE_MAIL: [&str; 2] = ["gmail.com", "outlook.com"];
/// Products of the sites, with the share of accounts that have each.
const SITE_PRODUCTS: [(&str, f64); 5] = [
    ("jira", 0.7),
    ("confluence", 0.6),
    ("jira-service-management", 0.2),
    ("loom", 0.15),
    ("opsgenie", 0.05),
];
const TRELLO_SHARE: f64 = 0.25;
const PLANS: [&str; 4] = ["free", "standard", "premium", "enterprise"];

/// The fixed cast of a bundle: who exists and where.
struct World {
    account_ids: Vec<String>,
    sites: Vec<String>,
    trello: Vec<String>,
}

pub fn generate(options: &Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("creating {}", options.out.display()))?;
    let mut rng = Rng::with_seed(options.seed);
    let world = accounts(&mut rng, options)?;
    product_access(&mut rng, options, &world)?;
    sites(&mut rng, options, &world)?;
    domains(options)?;
    activity(&mut rng, options, &world)?;
    // After activity, so that the tables before stay as they were.
    api_tokens(&mut rng, options, &world)?;
    audit_log(&mut rng, options, &world)?;
    Ok(())
}

/// About one token for every ten accounts, a few of people who left; each
/// expires a year after it was created, as Atlassian's do since 2024.
fn api_tokens(rng: &mut Rng, options: &Options, world: &World) -> anyhow::Result<()> {
    let n = (world.account_ids.len() / 10).max(5);
    let day = |back: u64| date_to_days(options.end - Days::new(back));
    let (mut ids, mut owners, mut labels, mut statuses) = (vec![], vec![], vec![], vec![]);
    let (mut created, mut expires, mut last_active) = (vec![], vec![], vec![]);
    for i in 0..n {
        ids.push(format!("tok-{i:07}"));
        owners.push(if rng.u8(..100) < 4 {
            format!("acc-left-{i}")
        } else {
            world.account_ids[zipf_pick(rng, world.account_ids.len())].clone()
        });
        labels.push(["ci", "backup", "reporting", "sync"][rng.usize(..4)]);
        statuses.push(if rng.u8(..100) < 95 {
            "ALLOWED"
        } else {
            "BLOCKED"
        });
        let age = rng.u64(0..420);
        created.push(day(age));
        expires.push(date_to_days(options.end - Days::new(age) + Days::new(365)));
        last_active.push((rng.u8(..100) < 75).then(|| day(rng.u64(0..=age))));
    }
    let date = |name: &str, values: Vec<Option<i32>>| -> PolarsResult<Column> {
        Ok(Series::new(name.into(), values)
            .cast(&DataType::Date)?
            .into())
    };
    let frame = DataFrame::new_infer_height(vec![
        Series::new("token_id".into(), ids).into(),
        Series::new("account_id".into(), owners).into(),
        Series::new("label".into(), labels).into(),
        Series::new("status".into(), statuses).into(),
        date("created", created.into_iter().map(Some).collect())?,
        date("expires", expires.into_iter().map(Some).collect())?,
        date("last_active", last_active)?,
    ])?;
    write(options, "api_tokens", frame)
}

/// Audit log actions of a generated bundle: the tracked ones, and two that
/// are not.
const AUDIT_ACTIONS: [&str; 8] = [
    "added_org_admin",
    "group_granted_admin_access",
    "twosv_disabled_for_user",
    "user_granted_role",
    "user_revoked_role",
    "user_logged_in_as_user",
    "user_suspended",
    "api_key_created",
];

/// A few audit log events over the last 60 days, by a handful of admins.
fn audit_log(rng: &mut Rng, options: &Options, world: &World) -> anyhow::Result<()> {
    let n = (world.account_ids.len() / 50).max(20);
    let end = options
        .end
        .and_hms_opt(23, 59, 59)
        .unwrap_or_default()
        .and_utc();
    let (mut ids, mut times, mut actions) = (vec![], vec![], vec![]);
    let (mut actors, mut actor_ids, mut subjects) = (vec![], vec![], vec![]);
    for i in 0..n {
        ids.push(format!("ev-{i:07}"));
        let at = end - chrono::Duration::seconds(rng.i64(0..60 * 86_400));
        times.push(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        actions.push(AUDIT_ACTIONS[zipf_pick(rng, AUDIT_ACTIONS.len())]);
        let admin = rng.u8(..4);
        actor_ids.push(format!("admin-{admin}"));
        actors.push(format!("admin{admin}@{}", MANAGED_DOMAINS[0]));
        subjects.push(world.account_ids[rng.usize(..world.account_ids.len())].clone());
    }
    let frame = DataFrame::new_infer_height(vec![
        Series::new("event_id".into(), ids).into(),
        Series::new("time".into(), times).into(),
        Series::new("action".into(), actions).into(),
        Series::new("actor_id".into(), actor_ids).into(),
        Series::new("actor".into(), actors).into(),
        Series::new("subject_id".into(), subjects).into(),
    ])?;
    write(options, "events", frame)
}

fn path(options: &Options, table: &str) -> PathBuf {
    let extension = match options.format {
        OutputFormat::Parquet => "parquet",
        OutputFormat::Csv => "csv",
    };
    options.out.join(format!("{table}.{extension}"))
}

fn write(options: &Options, table: &str, mut frame: DataFrame) -> anyhow::Result<()> {
    let target = path(options, table);
    let file = BufWriter::new(
        File::create(&target).with_context(|| format!("creating {}", target.display()))?,
    );
    match options.format {
        OutputFormat::Parquet => {
            ParquetWriter::new(file).finish(&mut frame)?;
        }
        OutputFormat::Csv => CsvWriter::new(file).finish(&mut frame)?,
    }
    Ok(())
}

/// A weight falling with rank, for long tails (Zipf-like).
fn zipf_pick(rng: &mut Rng, n: usize) -> usize {
    // Inverse of a power-law CDF: small ranks come up far more often.
    let u = rng.f64();
    ((n as f64).powf(u) - 1.0)
        .floor()
        .clamp(0.0, (n - 1) as f64) as usize
}

fn accounts(rng: &mut Rng, options: &Options) -> anyhow::Result<World> {
    let n = options.accounts.max(1);
    let partners: Vec<String> = (0..(n / 200).max(20))
        .map(|k| format!("partner{k}.com"))
        .collect();
    let mut ids = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut two_step = Vec::with_capacity(n);
    let mut sso = Vec::with_capacity(n);
    let mut policy = Vec::with_capacity(n);
    for i in 0..n {
        let is_managed = rng.f64() < 0.75;
        let domain = if is_managed {
            MANAGED_DOMAINS[zipf_pick(rng, MANAGED_DOMAINS.len())].to_string()
        } else if rng.f64() < 0.15 {
            FREE_MAIL[rng.usize(..FREE_MAIL.len())].to_string()
        } else {
            partners[zipf_pick(rng, partners.len())].clone()
        };
        ids.push(format!("acc-{i:08}"));
        emails.push(format!("user{i}@{domain}"));
        names.push(format!("User {i}"));
        types.push(if is_managed { "managed" } else { "external" });
        statuses.push(match rng.u8(..100) {
            0..=94 => "active",
            95..=97 => "suspended",
            _ => "deactivated",
        });
        two_step.push(match rng.u8(..100) {
            0..=59 => "on",
            60..=84 => "off",
            _ => "enforced",
        });
        sso.push(is_managed && rng.f64() < 0.6);
        policy.push(!is_managed && rng.f64() < 0.5);
    }
    let frame = df!(
        "account_id" => &ids,
        "email" => emails,
        "name" => names,
        "account_type" => types,
        "status" => statuses,
        "two_step" => two_step,
        "sso" => sso,
        "external_policy" => policy,
    )?;
    write(options, "accounts", frame)?;
    let site_count = (n / 20_000).clamp(3, 40);
    Ok(World {
        account_ids: ids,
        sites: (0..site_count)
            .map(|k| format!("site{k}.atlassian.net"))
            .collect(),
        trello: (0..(n / 50_000).clamp(2, 20))
            .map(|k| format!("trello-ws{k}"))
            .collect(),
    })
}

fn product_access(rng: &mut Rng, options: &Options, world: &World) -> anyhow::Result<()> {
    let mut ids: Vec<&str> = Vec::new();
    let mut products: Vec<&str> = Vec::new();
    let mut sites: Vec<&str> = Vec::new();
    for id in &world.account_ids {
        for (product, share) in SITE_PRODUCTS {
            if rng.f64() < share {
                ids.push(id);
                products.push(product);
                sites.push(&world.sites[zipf_pick(rng, world.sites.len())]);
            }
        }
        if rng.f64() < TRELLO_SHARE {
            ids.push(id);
            products.push("trello");
            sites.push(&world.trello[zipf_pick(rng, world.trello.len())]);
        }
    }
    write(
        options,
        "product_access",
        df!("account_id" => ids, "product" => products, "site" => sites)?,
    )
}

fn sites(rng: &mut Rng, options: &Options, world: &World) -> anyhow::Result<()> {
    let mut site = Vec::new();
    let mut product = Vec::new();
    let mut plan = Vec::new();
    let mut rovo = Vec::new();
    let mut activated: Vec<Option<String>> = Vec::new();
    let mut ai = Vec::new();
    let mut billing = Vec::new();
    let mut seats: Vec<Option<i64>> = Vec::new();
    for (k, name) in world.sites.iter().enumerate() {
        for (key, _) in SITE_PRODUCTS {
            let annual = rng.f64() < 0.7;
            let has_rovo = k % 3 == 0 && key == "jira";
            site.push(name.clone());
            product.push(key);
            plan.push(PLANS[rng.usize(1..PLANS.len())]);
            rovo.push(has_rovo);
            // The first Rovo site was activated a week before the end.
            let days_ago = if k == 0 { 7 } else { rng.u64(40..365) };
            activated.push(has_rovo.then(|| (options.end - Days::new(days_ago)).to_string()));
            ai.push(rng.f64() < 0.6);
            billing.push(if annual { "annual" } else { "monthly" });
            seats.push(
                annual.then(|| {
                    (world.account_ids.len() / world.sites.len()) as i64 + rng.i64(0..100)
                }),
            );
        }
    }
    for name in &world.trello {
        site.push(name.clone());
        product.push("trello");
        plan.push(PLANS[rng.usize(..PLANS.len())]);
        rovo.push(false);
        activated.push(None);
        ai.push(false);
        billing.push("monthly");
        seats.push(None);
    }
    write(
        options,
        "sites",
        df!(
            "site" => site,
            "product" => product,
            "plan" => plan,
            "rovo" => rovo,
            "rovo_activated_on" => activated,
            "ai" => ai,
            "billing" => billing,
            "paid_seats" => seats,
        )?,
    )
}

fn domains(options: &Options) -> anyhow::Result<()> {
    let mut names: Vec<&str> = MANAGED_DOMAINS.to_vec();
    names.push("partner0.com");
    let verified: Vec<bool> = names.iter().map(|d| MANAGED_DOMAINS.contains(d)).collect();
    write(
        options,
        "domains",
        df!("domain" => names, "verified" => verified)?,
    )
}

fn activity(rng: &mut Rng, options: &Options, world: &World) -> anyhow::Result<()> {
    let target = path(options, "activity");
    let file = BufWriter::new(
        File::create(&target).with_context(|| format!("creating {}", target.display()))?,
    );
    let ghosts: Vec<String> = (0..100).map(|k| format!("ghost-{k}")).collect();
    let first_day = options.end - Days::new(options.days.max(1) - 1);
    let schema = activity_chunk(rng, options, world, &ghosts, first_day, 0)?
        .schema()
        .clone();
    let mut chunks = |write: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>| -> anyhow::Result<()> {
        let mut remaining = options.events;
        while remaining > 0 {
            let rows = remaining.min(CHUNK);
            write(&activity_chunk(
                rng, options, world, &ghosts, first_day, rows,
            )?)?;
            remaining -= rows;
        }
        Ok(())
    };
    match options.format {
        OutputFormat::Parquet => {
            let mut writer = ParquetWriter::new(file).batched(&schema)?;
            chunks(&mut |chunk| writer.write_batch(chunk))?;
            writer.finish()?;
        }
        OutputFormat::Csv => {
            let mut writer = CsvWriter::new(file).batched(&schema)?;
            chunks(&mut |chunk| writer.write_batch(chunk))?;
            writer.finish()?;
        }
    }
    Ok(())
}

fn activity_chunk(
    rng: &mut Rng,
    options: &Options,
    world: &World,
    ghosts: &[String],
    first_day: NaiveDate,
    rows: usize,
) -> anyhow::Result<DataFrame> {
    let n = world.account_ids.len();
    let epoch_day = date_to_days(first_day);
    let mut dates = Vec::with_capacity(rows);
    let mut ids: Vec<&str> = Vec::with_capacity(rows);
    let mut products: Vec<&str> = Vec::with_capacity(rows);
    let mut sites: Vec<Option<&str>> = Vec::with_capacity(rows);
    let mut surfaces = Vec::with_capacity(rows);
    let mut actions = Vec::with_capacity(rows);
    let mut success = Vec::with_capacity(rows);
    let mut counts = Vec::with_capacity(rows);
    for _ in 0..rows {
        dates.push(epoch_day + rng.i32(0..options.days as i32));
        // A fifth of the accounts make most of the activity.
        let u = rng.f64();
        let account = ((u * u) * n as f64) as usize;
        let id = if rng.u16(..1000) == 0 {
            ghosts[rng.usize(..ghosts.len())].as_str()
        } else {
            world.account_ids[account.min(n - 1)].as_str()
        };
        ids.push(id);
        let trello = rng.f64() < 0.12;
        if trello {
            products.push("trello");
            sites.push(Some(
                world.trello[zipf_pick(rng, world.trello.len())].as_str(),
            ));
        } else {
            products.push(SITE_PRODUCTS[zipf_pick(rng, SITE_PRODUCTS.len())].0);
            sites.push(
                (rng.u8(..100) >= 3)
                    .then(|| world.sites[zipf_pick(rng, world.sites.len())].as_str()),
            );
        }
        surfaces.push(match rng.u8(..100) {
            0..=79 => "web",
            80..=91 => "mobile",
            _ => "desktop",
        });
        let action = match rng.u16(..1000) {
            0..=849 => "view",
            850..=889 => "rovo_search",
            890..=904 => "rovo_chat",
            905..=914 => "rovo_agent",
            915..=924 => "rovo_definition",
            925..=934 => "rovo_first_party_click",
            935..=942 => "rovo_third_party_click",
            943..=949 => "rovo_third_party_filter",
            _ => "ai",
        };
        actions.push(action);
        success.push(rng.u8(..100) < 92);
        counts.push(1 + rng.i64(0..5) * rng.i64(0..3));
    }
    let dates = Series::new("date".into(), dates).cast(&DataType::Date)?;
    Ok(DataFrame::new_infer_height(vec![
        dates.into(),
        Series::new("account_id".into(), ids).into(),
        Series::new("product".into(), products).into(),
        Series::new("site".into(), sites).into(),
        Series::new("surface".into(), surfaces).into(),
        Series::new("action".into(), actions).into(),
        Series::new("success".into(), success).into(),
        Series::new("count".into(), counts).into(),
    ])?)
}

/// Where a table of a generated bundle was written, for messages.
pub fn describe(options: &Options) -> String {
    let dir: &Path = &options.out;
    format!(
        "{} accounts, {} activity rows over {} days to {}, as {:?} in {}",
        options.accounts,
        options.events,
        options.days,
        options.end,
        options.format,
        dir.display()
    )
}
