//! Writing one day's view of the organization into a bundle, shared by
//! `import` (Atlassian's CSV exports) and `pull` (the Organizations REST
//! API): the same tables, a last-active date that moved is a new day of
//! activity, the same day twice adds nothing, accounts that are gone keep
//! their history, and the new bundle is staged beside the old one and
//! swapped in with one rename, so an interrupted update changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::bundle::manifest::{self, Manifest};
use crate::problems::ReadError;
use crate::support::fs::exchange;

/// What an update did, for the message to the person running it.
#[derive(Debug, Clone, Default)]
pub struct UpdateSummary {
    pub accounts: usize,
    pub access_rows: usize,
    pub new_activity_rows: usize,
    pub activity_rows: usize,
    /// Product names that map to no known product key (kept as a slug).
    pub unknown_products: BTreeSet<String>,
    /// The notes of bundle.toml the update wrote, for the person running
    /// it as well as for the page.
    pub notes: Vec<String>,
}

/// One account as the source describes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Person {
    pub email: String,
    pub name: String,
    pub status: &'static str,
    pub managed: Option<bool>,
    pub two_step: Option<&'static str>,
    pub sso: Option<bool>,
    /// "Added to org", as `YYYY-MM-DD` (empty when unknown).
    pub added_on: String,
    /// A managed account whose single sign-on and two-step verification no
    /// managed accounts export has given yet (`auth_recorded = false`).
    pub auth_unknown: bool,
    /// Whether the account holds the organization admin role, where the
    /// source says (the users export's `Org role`).
    pub org_admin: Option<bool>,
}

/// Everything one day's source says, before it is written.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub people: BTreeMap<String, Person>,
    /// (account, product, site) of each product access.
    pub access: BTreeSet<(String, String, String)>,
    /// The role behind an access, by (account, product, site), where the
    /// source names one (the users export's `<Product> - <site>` cells).
    pub roles: BTreeMap<(String, String, String), String>,
    /// (day, account, product, site) of each last-active date.
    pub seen: BTreeSet<(NaiveDate, String, String, String)>,
    /// Email domains the source knows, and whether each is verified.
    pub domains: BTreeMap<String, bool>,
    pub unknown_products: BTreeSet<String>,
    /// Role values Atlassian does not document, with the accesses that
    /// hold each (counted as access all the same).
    pub unfamiliar_roles: BTreeMap<String, usize>,
    /// The users export has role cells (`<Product> - <site>` columns).
    pub role_columns: bool,
    /// The users export had no role cells (its layout before September
    /// 2021), so access was inferred from the last-seen dates.
    pub access_inferred: bool,
    /// (account, product, site) of each access the managed accounts
    /// export's product columns list, kept apart to be held against the
    /// users export's roles.
    pub managed_access: BTreeSet<(String, String, String)>,
    /// Tables the source writes whole, or removes, by table name; every
    /// other table of the bundle is carried over as it is.
    pub whole_tables: BTreeMap<&'static str, WholeTable>,
}

/// What an update does to a table it writes whole.
#[derive(Debug)]
pub(crate) enum WholeTable {
    /// Written as `<table>.csv`, in place of any file of the table.
    Write(Vec<u8>),
    /// Left out: the source could not read it (a snapshot that is no
    /// longer true must not stay).
    Remove,
}

/// Whether `file_name` holds the table `table` in any format.
fn holds_table(file_name: &str, table: &str) -> bool {
    let lower = file_name.to_lowercase();
    [".csv", ".csv.gz", ".parquet"]
        .iter()
        .any(|ext| lower == format!("{table}{ext}"))
}

/// The tables an update writes; every other file of the bundle is kept.
const PRODUCED: [&str; 5] = [
    "accounts.csv",
    "product_access.csv",
    "domains.csv",
    "activity.parquet",
    manifest::FILE,
];

/// Writes `collected` into the bundle `into` (created when missing), with
/// `manifest` as its `bundle.toml`, through a staging folder swapped in
/// with one rename.
pub(crate) fn write_bundle(
    into: &Path,
    collected: Collected,
    manifest: &Manifest,
) -> anyhow::Result<UpdateSummary> {
    std::fs::create_dir_all(into).with_context(|| format!("creating {}", into.display()))?;
    let name = into
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // An update killed earlier left its staging folder: clear it.
    let parent = into
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = format!(".{name}.import-");
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let staging = into.with_file_name(format!(".{name}.import-{}", std::process::id()));
    std::fs::create_dir_all(&staging)?;
    let summary = match stage(into, &staging, &collected, manifest).and_then(|summary| {
        accepted_by_check(&staging)?;
        Ok(summary)
    }) {
        Ok(summary) => summary,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(err);
        }
    };
    exchange(&staging, into)?;
    std::fs::remove_dir_all(&staging).ok();
    Ok(UpdateSummary {
        unknown_products: collected.unknown_products,
        notes: manifest.notes.clone(),
        ..summary
    })
}

/// A source never writes a bundle its reader refuses: the staged bundle
/// is checked as `org-insights check` checks it before it is swapped in.
fn accepted_by_check(staging: &Path) -> anyhow::Result<()> {
    match crate::bundle::load(staging) {
        Ok(_) => Ok(()),
        Err(ReadError::Bad(bad)) => anyhow::bail!(
            "the new bundle would not pass the check, so the bundle is left as it was: {bad}"
        ),
        Err(ReadError::Failed(err)) => Err(err.context("checking the new bundle")),
    }
}

/// Writes the new bundle into `staging`: every file of `into` that the
/// update does not produce is carried over; accounts of earlier updates
/// that today's source no longer lists are kept, so their history stays
/// attributed.
fn stage(
    into: &Path,
    staging: &Path,
    collected: &Collected,
    manifest: &Manifest,
) -> anyhow::Result<UpdateSummary> {
    for entry in std::fs::read_dir(into)?.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let replaced = collected
            .whole_tables
            .keys()
            .any(|table| holds_table(&file_name, table));
        if entry.path().is_file() && !PRODUCED.contains(&file_name.as_str()) && !replaced {
            std::fs::copy(entry.path(), staging.join(&file_name))?;
        }
    }
    for (table, update) in &collected.whole_tables {
        if let WholeTable::Write(bytes) = update {
            std::fs::write(staging.join(format!("{table}.csv")), bytes)?;
        }
    }

    let people = with_earlier_accounts(&collected.people, into);
    write_accounts(staging, &people)?;

    write_access(staging, collected)?;

    let mut domains = csv::Writer::from_path(staging.join("domains.csv"))?;
    domains.write_record(["domain", "verified"])?;
    for (domain, verified) in &collected.domains {
        domains.write_record([domain.as_str(), if *verified { "true" } else { "false" }])?;
    }
    domains.flush()?;

    std::fs::write(staging.join(manifest::FILE), manifest::render(manifest))?;

    let (new_rows, total) = merge_activity(into, staging, &collected.seen, &manifest.sites)?;
    Ok(UpdateSummary {
        accounts: people.len(),
        access_rows: collected.access.len(),
        new_activity_rows: new_rows,
        activity_rows: total,
        unknown_products: BTreeSet::new(),
        notes: Vec::new(),
    })
}

/// product_access.csv, with a `role` column when the source names roles
/// (a source that names none writes the table as it always has).
fn write_access(staging: &Path, collected: &Collected) -> anyhow::Result<()> {
    let mut access = csv::Writer::from_path(staging.join("product_access.csv"))?;
    let with_roles = !collected.roles.is_empty();
    let mut header = vec!["account_id", "product", "site"];
    header.extend(with_roles.then_some("role"));
    access.write_record(&header)?;
    for key in &collected.access {
        let (id, product, site) = key;
        let mut record = vec![id.as_str(), product.as_str(), site.as_str()];
        if with_roles {
            record.push(collected.roles.get(key).map_or("", String::as_str));
        }
        access.write_record(&record)?;
    }
    access.flush()?;
    Ok(())
}

/// Today's accounts, and those of earlier days that today's source no
/// longer lists, so their history stays attributed.
fn with_earlier_accounts(
    today: &BTreeMap<String, Person>,
    into: &Path,
) -> BTreeMap<String, Person> {
    let mut people = earlier_accounts(into);
    people.extend(today.iter().map(|(id, p)| (id.clone(), p.clone())));
    people
}

/// The accounts an earlier update wrote into `into` (none without one).
pub(crate) fn earlier_accounts(into: &Path) -> BTreeMap<String, Person> {
    let mut people = BTreeMap::new();
    if let Ok(mut reader) = csv::Reader::from_path(into.join("accounts.csv")) {
        for record in reader.records().flatten() {
            let id = record.get(0).unwrap_or("").to_string();
            people.entry(id).or_insert_with(|| Person {
                email: record.get(1).unwrap_or("").to_string(),
                name: record.get(2).unwrap_or("").to_string(),
                managed: Some(record.get(3) == Some("managed")),
                status: match record.get(4) {
                    Some("suspended") => "suspended",
                    Some("deactivated") => "deactivated",
                    _ => "active",
                },
                two_step: match record.get(5) {
                    Some("on") => Some("on"),
                    Some("enforced") => Some("enforced"),
                    _ => Some("off"),
                },
                sso: Some(record.get(6) == Some("true")),
                added_on: record.get(7).unwrap_or("").to_string(),
                // Bundles of earlier versions have no such column: recorded.
                auth_unknown: record.get(8) == Some("false"),
                org_admin: match record.get(9) {
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    _ => None,
                },
            });
        }
    }
    people
}

/// accounts.csv of `people`.
fn write_accounts(staging: &Path, people: &BTreeMap<String, Person>) -> anyhow::Result<()> {
    let mut accounts = csv::Writer::from_path(staging.join("accounts.csv"))?;
    let mut header = vec![
        "account_id",
        "email",
        "name",
        "account_type",
        "status",
        "two_step",
        "sso",
        "added_on",
        "auth_recorded",
    ];
    // Written only when the source says who the org admins are: a source
    // that cannot tell must not claim that nobody is one.
    let with_org_admin = people.values().any(|p| p.org_admin.is_some());
    header.extend(with_org_admin.then_some("org_admin"));
    accounts.write_record(&header)?;
    let mut without_address = 0usize;
    for (id, p) in people {
        let email = contract_email(&p.email);
        without_address += usize::from(email.is_empty() && !p.email.is_empty());
        let mut record = vec![
            id.as_str(),
            email,
            &p.name,
            if p.managed == Some(true) {
                "managed"
            } else {
                "external"
            },
            p.status,
            p.two_step.unwrap_or("off"),
            if p.sso == Some(true) { "true" } else { "false" },
            contract_date(&p.added_on),
            if p.auth_unknown && p.managed == Some(true) {
                "false"
            } else {
                "true"
            },
        ];
        if with_org_admin {
            record.push(if p.org_admin == Some(true) {
                "true"
            } else {
                "false"
            });
        }
        accounts.write_record(&record)?;
    }
    accounts.flush()?;
    if without_address > 0 {
        tracing::warn!(
            accounts = without_address,
            "the source gave emails that are not addresses (not exactly one '@'): those accounts are kept without one"
        );
    }
    Ok(())
}

/// The source's email when the contract takes it (exactly one `@`), else
/// none: the account then counts everywhere but in the domains, where
/// something that is not an address would invent a domain.
fn contract_email(email: &str) -> &str {
    if email.matches('@').count() == 1 {
        email
    } else {
        ""
    }
}

/// A date the contract's `YYYY-MM-DD` can hold, else none.
fn contract_date(day: &str) -> &str {
    let fits = day.len() == 10 && NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok();
    if fits {
        day
    } else {
        ""
    }
}

/// The history so far plus today's last-seen days, each once. Earlier
/// rows that name a site by a short name of `sites` take its address, so
/// that a site keeps one name across days.
fn merge_activity(
    into: &Path,
    staging: &Path,
    seen: &BTreeSet<(NaiveDate, String, String, String)>,
    sites: &BTreeMap<String, String>,
) -> anyhow::Result<(usize, usize)> {
    let days: Vec<NaiveDate> = seen.iter().map(|s| s.0).collect();
    let today = df!(
        "date" => days,
        "account_id" => seen.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        "product" => seen.iter().map(|s| s.2.as_str()).collect::<Vec<_>>(),
        "site" => seen.iter().map(|s| (!s.3.is_empty()).then_some(s.3.as_str())).collect::<Vec<_>>(),
    )?
    .lazy()
    .with_column(lit("view").alias("action"));
    let previous = into.join("activity.parquet");
    let (merged, before) = if previous.exists() {
        let path = previous.to_str().context("a path that is valid UTF-8")?;
        let earlier =
            LazyFrame::scan_parquet(PlRefPath::new(path), Default::default())?.collect()?;
        let before = earlier.height();
        let earlier = earlier.lazy().with_column(full_site_names(sites));
        let merged = concat([earlier, today], UnionArgs::default())?;
        (merged, before)
    } else {
        (today, 0)
    };
    let mut merged = merged
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(["date", "account_id", "product"], Default::default())
        .collect()?;
    let total = merged.height();
    ParquetWriter::new(File::create(staging.join("activity.parquet"))?).finish(&mut merged)?;
    Ok((total.saturating_sub(before), total))
}

/// The `site` column with each short name of `sites` as its address.
fn full_site_names(sites: &BTreeMap<String, String>) -> Expr {
    sites
        .iter()
        .fold(col("site"), |site, (short, address)| {
            when(col("site").eq(lit(short.as_str())))
                .then(lit(address.as_str()))
                .otherwise(site)
        })
        .alias("site")
}
