//! `org-insights import`: turns the CSV files admin.atlassian.com exports
//! (users, managed accounts, external users) into a contract bundle, and,
//! run every day into the same bundle, builds up the activity history the
//! trends need: each "last seen" date becomes a `view` row.
//!
//! The exports are small next to the activity history, so they are read
//! row by row with the `csv` crate; the history is merged with polars. The
//! new bundle is staged beside the old one and swapped in with one rename:
//! an interrupted import changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::problems::{BadInput, Location, Problem, Problems};
use crate::report::write::exchange;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub users: PathBuf,
    pub managed: Option<PathBuf>,
    pub external: Option<PathBuf>,
    pub verified_domains: Vec<String>,
    pub into: PathBuf,
}

/// What an import did, for the message to the person running it.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub accounts: usize,
    pub access_rows: usize,
    pub new_activity_rows: usize,
    pub activity_rows: usize,
    /// Product names that map to no known product key (kept as a slug).
    pub unknown_products: BTreeSet<String>,
}

/// One account as the exports describe it.
#[derive(Debug, Clone, Default)]
struct Person {
    email: String,
    name: String,
    status: &'static str,
    managed: Option<bool>,
    two_step: Option<&'static str>,
    sso: Option<bool>,
    /// "Added to org", as `YYYY-MM-DD` (empty when unknown).
    added_on: String,
}

#[derive(Default)]
struct Collected {
    /// Whether a managed accounts export was read (2SV and SSO are known).
    managed_export: bool,
    people: BTreeMap<String, Person>,
    access: BTreeSet<(String, String, String)>,
    seen: BTreeSet<(NaiveDate, String, String, String)>,
    unknown_products: BTreeSet<String>,
}

/// The contract's key of a product name as the exports spell it.
fn product_key(name: &str, unknown: &mut BTreeSet<String>) -> String {
    let lower = name.trim().to_lowercase();
    let key = match lower.as_str() {
        "jira" | "jira software" | "jira work management" | "jira core" => "jira",
        "jira service management" | "jira service desk" => "jira-service-management",
        "confluence" => "confluence",
        "trello" => "trello",
        "opsgenie" => "opsgenie",
        "statuspage" => "statuspage",
        "bitbucket" => "bitbucket",
        "loom" => "loom",
        "jira product discovery" => "jira-product-discovery",
        "compass" => "compass",
        "atlas" => "atlas",
        _ => {
            unknown.insert(name.trim().to_string());
            return lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("-");
        }
    };
    key.to_string()
}

/// A date as the exports write it: `3 Jan 2024`, `2024-01-03`, or an ISO
/// time; `None` for "never".
fn export_date(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    let lower = text.to_lowercase();
    if text.is_empty() || lower.starts_with("never") {
        return Ok(None);
    }
    let day = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(text, "%d %b %Y")
        .or_else(|_| NaiveDate::parse_from_str(text, "%e %b %Y"))
        .or_else(|_| NaiveDate::parse_from_str(day, "%Y-%m-%d"))
        .map(Some)
        .map_err(|_| ())
}

fn yes(text: &str) -> bool {
    matches!(
        text.trim().to_lowercase().as_str(),
        "yes" | "true" | "enabled" | "on" | "1"
    )
}

/// An export read with its header normalized (trimmed, lower-cased).
struct Export {
    display: String,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Export {
    fn read(path: &Path) -> Result<Self, BadInput> {
        let display = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bad = |expected: String| BadInput::single(Problem::file(&display, expected));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|err| bad(format!("a readable export ({err})")))?;
        let header = reader
            .headers()
            .map_err(|err| bad(format!("a header row ({err})")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|err| bad(format!("a readable CSV record ({err})")))?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            rows.push((line, record));
        }
        Ok(Export {
            display,
            header,
            rows,
        })
    }

    fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|name| self.header.iter().position(|h| h == name))
    }

    fn required(&self, names: &[&str], problems: &mut Problems) -> Option<usize> {
        let found = self.column(names);
        if found.is_none() {
            problems.push(Problem {
                file: self.display.clone(),
                location: Location::Line(1),
                column: Some(names[0].to_string()),
                value: None,
                expected: format!("a column named '{}'", names.join("' or '")),
            });
        }
        found
    }

    fn problem(&self, line: u64, column: usize, value: &str, expected: &str) -> Problem {
        Problem {
            file: self.display.clone(),
            location: Location::Line(line),
            column: self.header.get(column).cloned(),
            value: Some(value.to_string()),
            expected: expected.to_string(),
        }
    }
}

fn cell(record: &csv::StringRecord, column: Option<usize>) -> &str {
    column.and_then(|c| record.get(c)).unwrap_or("").trim()
}

/// Users export, current and pre-2021 layouts.
fn read_users(export: &Export, into: &mut Collected, problems: &mut Problems) {
    let Some(id) = export.required(&["user id", "id"], problems) else {
        return;
    };
    let email = export.required(&["email"], problems);
    let name = export.column(&["user name", "name", "display name"]);
    let status = export.column(&["user status", "status"]);
    let active = export.column(&["active"]);
    let added = export.column(&["added to org"]);
    let last_seen: Vec<(usize, String, String)> = export
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let rest = h.strip_prefix("last seen in ")?;
            let (product, site) = rest.split_once(" - ").unwrap_or((rest, ""));
            let product = product_key(product, &mut into.unknown_products);
            Some((i, product, site.trim().to_string()))
        })
        .collect();
    let roles: Vec<(usize, String, String)> = export
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.starts_with("last seen in ") && !h.starts_with("group "))
        .filter_map(|(i, h)| {
            let (product, site) = h.split_once(" - ")?;
            let product = product_key(product, &mut into.unknown_products);
            Some((i, product, site.trim().to_string()))
        })
        .collect();

    for (line, record) in &export.rows {
        let account = cell(record, Some(id)).to_string();
        if account.is_empty() {
            problems.push(export.problem(*line, id, "", "a user id"));
            continue;
        }
        let status_text = cell(record, status).to_lowercase();
        let status = match (
            status_text.as_str(),
            active.map(|c| yes(cell(record, Some(c)))),
        ) {
            ("suspended", _) => "suspended",
            ("deactivated" | "inactive", _) | (_, Some(false)) => "deactivated",
            _ => "active",
        };
        let added_on = match export_date(cell(record, added)) {
            Ok(day) => day.map(|d| d.to_string()).unwrap_or_default(),
            Err(()) => {
                if let Some(column) = added {
                    problems.push(export.problem(
                        *line,
                        column,
                        cell(record, added),
                        "a date such as 3 Jan 2024",
                    ));
                }
                String::new()
            }
        };
        // A user in several groups appears once per group: the first row wins.
        into.people
            .entry(account.clone())
            .or_insert_with(|| Person {
                email: cell(record, email).to_string(),
                name: cell(record, name).to_string(),
                status,
                added_on,
                ..Person::default()
            });
        for (column, product, site) in &last_seen {
            let value = cell(record, Some(*column));
            match export_date(value) {
                Ok(Some(day)) => {
                    into.seen
                        .insert((day, account.clone(), product.clone(), site.clone()));
                    if !site.is_empty() {
                        into.access
                            .insert((account.clone(), product.clone(), site.clone()));
                    }
                }
                Ok(None) => {}
                Err(()) => problems.push(export.problem(
                    *line,
                    *column,
                    value,
                    "a date such as 3 Jan 2024, or Never accessed",
                )),
            }
        }
        for (column, product, site) in &roles {
            if !cell(record, Some(*column)).is_empty() {
                into.access
                    .insert((account.clone(), product.clone(), site.clone()));
            }
        }
    }
}

/// Managed accounts export: who is managed, their 2SV and SSO, and one
/// column per product listing the sites of access.
fn read_managed(export: &Export, into: &mut Collected, problems: &mut Problems) {
    let Some(id) = export.required(&["atlassian id"], problems) else {
        return;
    };
    let email = export.column(&["email"]);
    let name = export.column(&["name"]);
    let sso = export.column(&["saml single sign-on"]);
    let two_step = export.column(&["two-step verification"]);
    let status = export.column(&["status"]);
    let known = [
        "atlassian id",
        "name",
        "email",
        "status",
        "last active date [utc]",
        "claimed",
        "billable",
        "policy type",
        "saml single sign-on",
        "two-step verification",
        "verified email",
    ];
    let products: Vec<(usize, String)> = export
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !known.contains(&h.as_str()))
        .map(|(i, h)| (i, product_key(h, &mut into.unknown_products)))
        .collect();
    for (_, record) in &export.rows {
        let account = cell(record, Some(id)).to_string();
        if account.is_empty() {
            continue;
        }
        let person = into.people.entry(account.clone()).or_default();
        person.managed = Some(true);
        if person.email.is_empty() {
            person.email = cell(record, email).to_string();
        }
        if person.name.is_empty() {
            person.name = cell(record, name).to_string();
        }
        if person.status.is_empty() {
            person.status = match cell(record, status).to_lowercase().as_str() {
                "suspended" => "suspended",
                "deactivated" | "inactive" => "deactivated",
                _ => "active",
            };
        }
        person.sso = Some(yes(cell(record, sso)));
        let two_step_text = cell(record, two_step).to_lowercase();
        person.two_step = Some(
            if two_step_text.contains("enforced") || two_step_text.contains("required") {
                "enforced"
            } else if yes(&two_step_text) {
                "on"
            } else {
                "off"
            },
        );
        for (column, product) in &products {
            for site in cell(record, Some(*column)).split(',') {
                let site = site.trim();
                if !site.is_empty() {
                    into.access
                        .insert((account.clone(), product.clone(), site.to_string()));
                }
            }
        }
    }
}

/// External users export: who is external.
fn read_external(export: &Export, into: &mut Collected, problems: &mut Problems) {
    let Some(id) = export.required(&["atlassian id"], problems) else {
        return;
    };
    let email = export.column(&["email"]);
    for (_, record) in &export.rows {
        let account = cell(record, Some(id)).to_string();
        if account.is_empty() {
            continue;
        }
        let person = into.people.entry(account).or_default();
        person.managed = Some(false);
        if person.email.is_empty() {
            person.email = cell(record, email).to_string();
        }
    }
}

pub fn import(options: &ImportOptions) -> anyhow::Result<ImportSummary> {
    let mut problems = Problems::default();
    let mut collected = Collected::default();
    read_users(
        &Export::read(&options.users)?,
        &mut collected,
        &mut problems,
    );
    if let Some(path) = &options.managed {
        read_managed(&Export::read(path)?, &mut collected, &mut problems);
        collected.managed_export = true;
    }
    if let Some(path) = &options.external {
        read_external(&Export::read(path)?, &mut collected, &mut problems);
    }
    problems.into_result()?;

    let verified: BTreeSet<String> = options
        .verified_domains
        .iter()
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    reconcile_sites(&mut collected);
    // Without the managed export, an account on a verified domain is managed.
    let only_users = options.managed.is_none();
    for person in collected.people.values_mut() {
        if person.managed.is_none() {
            let domain = person.email.rsplit('@').next().unwrap_or("").to_lowercase();
            person.managed = Some(only_users && verified.contains(&domain));
        }
        if person.status.is_empty() {
            person.status = "active";
        }
    }
    write_bundle(options, collected, &verified)
}

/// The users export names a site by its short name (`acme`), the managed
/// accounts export by its address (`acme.atlassian.net`): a short name that
/// begins exactly one known address is taken as that site.
fn reconcile_sites(collected: &mut Collected) {
    let addresses: BTreeSet<String> = collected
        .access
        .iter()
        .map(|(_, _, site)| site.clone())
        .filter(|site| site.contains('.'))
        .collect();
    let full = |site: &str| -> String {
        if site.is_empty() || site.contains('.') {
            return site.to_string();
        }
        let prefix = format!("{site}.");
        let mut matches = addresses.iter().filter(|a| a.starts_with(&prefix));
        match (matches.next(), matches.next()) {
            (Some(address), None) => address.clone(),
            _ => site.to_string(),
        }
    };
    collected.access = collected
        .access
        .iter()
        .map(|(id, product, site)| (id.clone(), product.clone(), full(site)))
        .collect();
    collected.seen = collected
        .seen
        .iter()
        .map(|(day, id, product, site)| (*day, id.clone(), product.clone(), full(site)))
        .collect();
}

fn write_bundle(
    options: &ImportOptions,
    collected: Collected,
    verified: &BTreeSet<String>,
) -> anyhow::Result<ImportSummary> {
    let into = &options.into;
    std::fs::create_dir_all(into).with_context(|| format!("creating {}", into.display()))?;
    let name = into
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // An import killed earlier left its staging folder: clear it.
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
    let result = stage(into, &staging, &collected, verified);
    let summary = match result {
        Ok(summary) => summary,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(err);
        }
    };
    exchange(&staging, into)?;
    std::fs::remove_dir_all(&staging).ok();
    Ok(ImportSummary {
        unknown_products: collected.unknown_products,
        ..summary
    })
}

/// Writes the new bundle into `staging`: every file of `into` that the
/// import does not produce is carried over; accounts of earlier imports
/// that today's export no longer lists are kept, so their history stays
/// attributed.
fn stage(
    into: &Path,
    staging: &Path,
    collected: &Collected,
    verified: &BTreeSet<String>,
) -> anyhow::Result<ImportSummary> {
    let produced = [
        "accounts.csv",
        "product_access.csv",
        "domains.csv",
        "activity.parquet",
    ];
    for entry in std::fs::read_dir(into)?.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !produced.contains(&file_name.as_str()) {
            std::fs::copy(entry.path(), staging.join(&file_name))?;
        }
    }

    let mut people = collected.people.clone();
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
            });
        }
    }
    let mut accounts = csv::Writer::from_path(staging.join("accounts.csv"))?;
    accounts.write_record([
        "account_id",
        "email",
        "name",
        "account_type",
        "status",
        "two_step",
        "sso",
        "added_on",
    ])?;
    for (id, p) in &people {
        accounts.write_record([
            id.as_str(),
            &p.email,
            &p.name,
            if p.managed == Some(true) {
                "managed"
            } else {
                "external"
            },
            p.status,
            p.two_step.unwrap_or("off"),
            if p.sso == Some(true) { "true" } else { "false" },
            &p.added_on,
        ])?;
    }
    accounts.flush()?;

    let mut access = csv::Writer::from_path(staging.join("product_access.csv"))?;
    access.write_record(["account_id", "product", "site"])?;
    for (id, product, site) in &collected.access {
        access.write_record([id, product, site])?;
    }
    access.flush()?;

    let mut domains = csv::Writer::from_path(staging.join("domains.csv"))?;
    domains.write_record(["domain", "verified"])?;
    for domain in verified {
        domains.write_record([domain.as_str(), "true"])?;
    }
    domains.flush()?;

    // What the exports do not record shows as "no data", not as zeros.
    let mut not_recorded = vec!["external_two_step", "external_policy", "mobile_usage"];
    if !collected.managed_export {
        not_recorded.push("managed_authentication");
    }
    let manifest = format!(
        "# Written by org-insights import.\nsource = \"Atlassian's user exports\"\nnot_recorded = [{}]\n",
        not_recorded.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
    );
    std::fs::write(staging.join(crate::bundle::manifest::FILE), manifest)?;

    let (new_rows, total) = merge_activity(into, staging, &collected.seen)?;
    Ok(ImportSummary {
        accounts: people.len(),
        access_rows: collected.access.len(),
        new_activity_rows: new_rows,
        activity_rows: total,
        unknown_products: BTreeSet::new(),
    })
}

/// The history so far plus today's last-seen days, each once.
fn merge_activity(
    into: &Path,
    staging: &Path,
    seen: &BTreeSet<(NaiveDate, String, String, String)>,
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
        let merged = concat([earlier.lazy(), today], UnionArgs::default())?;
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
    Ok((total - before, total))
}

/// Which export a file of the drop folder is, by its header.
fn kind_of(path: &Path) -> Option<&'static str> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = reader
        .headers()
        .ok()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
        .collect();
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("atlassian id") && has("two-step verification") {
        Some("managed")
    } else if has("atlassian id") && has("user access to products") {
        Some("external")
    } else if (has("user id") || has("id")) && has("email") {
        Some("users")
    } else {
        None
    }
}

/// Imports every users export waiting in the drop folder `from` (oldest
/// name first, with the latest managed and external exports there), then
/// moves the files it read to `from/done/`. Nothing waiting: nothing done.
pub fn from_folder(
    from: &Path,
    verified_domains: &[String],
    into: &Path,
) -> anyhow::Result<Option<ImportSummary>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(from)
        .with_context(|| format!("reading the drop folder {}", from.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    let of_kind = |kind: &str| -> Vec<PathBuf> {
        files
            .iter()
            .filter(|p| kind_of(p) == Some(kind))
            .cloned()
            .collect()
    };
    let users = of_kind("users");
    if users.is_empty() {
        return Ok(None);
    }
    let managed = of_kind("managed").last().cloned();
    let external = of_kind("external").last().cloned();
    let mut last = ImportSummary::default();
    for users_export in &users {
        last = import(&ImportOptions {
            users: users_export.clone(),
            managed: managed.clone(),
            external: external.clone(),
            verified_domains: verified_domains.to_vec(),
            into: into.to_path_buf(),
        })?;
    }
    let done = from.join("done");
    std::fs::create_dir_all(&done).with_context(|| format!("creating {}", done.display()))?;
    for path in users.iter().chain(managed.iter()).chain(external.iter()) {
        if let Some(name) = path.file_name() {
            std::fs::rename(path, done.join(name))
                .with_context(|| format!("moving {} to {}", path.display(), done.display()))?;
        }
    }
    Ok(Some(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_dates_and_products() {
        let d = |s| export_date(s).unwrap();
        assert_eq!(d("3 Jan 2024"), NaiveDate::from_ymd_opt(2024, 1, 3));
        assert_eq!(d("25 Dec 2023"), NaiveDate::from_ymd_opt(2023, 12, 25));
        assert_eq!(d("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(
            d("2024-02-29T10:00:00Z"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(d("Never accessed"), None);
        assert_eq!(d("Never Accessed"), None);
        assert_eq!(d("Never logged in"), None);
        assert!(export_date("yesterday").is_err());
        let mut unknown = BTreeSet::new();
        assert_eq!(product_key("Jira Software", &mut unknown), "jira");
        assert_eq!(
            product_key("Jira Service Desk", &mut unknown),
            "jira-service-management"
        );
        assert_eq!(product_key("OpsGenie", &mut unknown), "opsgenie");
        assert!(unknown.is_empty());
        assert_eq!(product_key("Acme Wiki+", &mut unknown), "acme-wiki");
        assert!(unknown.contains("Acme Wiki+"));
    }
}
