//! `org-insights import`: turns the CSV files admin.atlassian.com exports
//! (users, managed accounts, external users) into a contract bundle, and,
//! run every day into the same bundle, builds up the activity history the
//! trends need: each "last seen" date becomes a `view` row.
//!
//! The exports are small next to the activity history, so they are read
//! row by row with the `csv` crate; the history is merged with polars. The
//! new bundle is staged beside the old one and swapped in with one rename:
//! an interrupted import changes nothing.

pub(crate) mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};

use crate::bundle::manifest::{self, Manifest};
use crate::bundle::raw;
use crate::config::ImportConfig;
use crate::insight_key::InsightKey;
use crate::problems::{BadInput, Location, Problem, Problems, ReadError};
use update::{Collected, Person};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub users: PathBuf,
    pub managed: Option<PathBuf>,
    pub external: Option<PathBuf>,
    pub verified_domains: Vec<String>,
    pub into: PathBuf,
    /// SSO and 2SV of an earlier managed accounts export hold this many
    /// days (`[import] managed_max_age_days`).
    pub managed_max_age_days: u64,
}

/// What an import did (the same summary a pull gives).
pub use update::UpdateSummary as ImportSummary;

/// The contract's key of a product name as the exports spell it.
/// The API's keys (`jira-software`, `jira-servicedesk`) are the same names
/// with hyphens: `pull` maps them here too.
pub(crate) fn product_key(name: &str, unknown: &mut BTreeSet<String>) -> String {
    let lower = name.trim().to_lowercase();
    let words = lower.replace(['-', '_'], " ");
    let key = match words.as_str() {
        "jira" | "jira software" | "jira work management" | "jira core" | "jira business" => "jira",
        "jira service management" | "jira service desk" | "jira servicedesk" => {
            "jira-service-management"
        }
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
            let slug = lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            // A name of punctuation alone keeps its own spelling: a key
            // may be anything but empty.
            return if slug.is_empty() {
                lower.trim().to_string()
            } else {
                slug
            };
        }
    };
    key.to_string()
}

/// A date as the exports write it: `3 Jan 2024`, `2024-01-03`, or an ISO
/// time; `None` for "never".
fn export_date(text: &str) -> Result<Option<NaiveDate>, chrono::ParseError> {
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
        if let Some(problem) = raw::not_utf8_csv(path, &display) {
            return Err(BadInput::single(problem));
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|err| bad(format!("a readable export ({err})")))?;
        let header = reader
            .headers()
            .map_err(|err| bad(format!("a header row ({err})")))?;
        if raw::semicolon_separated(header) {
            return Err(bad(raw::SEMICOLONS.to_string()));
        }
        let header = header.iter().map(crate::words::header_key).collect();
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

/// Columns of the users export, as (column, product, site).
type ProductColumns = Vec<(usize, String, String)>;

/// The users export's product columns: the "Last seen in <Product> -
/// <site>" dates, and the "<Product> - <site>" roles.
fn product_columns(
    export: &Export,
    unknown: &mut BTreeSet<String>,
) -> (ProductColumns, ProductColumns) {
    let last_seen: ProductColumns = export
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let rest = h.strip_prefix("last seen in ")?;
            let (product, site) = rest.split_once(" - ").unwrap_or((rest, ""));
            let product = product_key(product, unknown);
            Some((i, product, site.trim().to_string()))
        })
        .collect();
    let roles: ProductColumns = export
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.starts_with("last seen in ") && !h.starts_with("group "))
        .filter_map(|(i, h)| {
            let (product, site) = h.split_once(" - ")?;
            let product = product_key(product, unknown);
            Some((i, product, site.trim().to_string()))
        })
        .collect();
    (last_seen, roles)
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
    let (last_seen, roles) = product_columns(export, &mut into.unknown_products);

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
            Err(_) => {
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
                Err(_) => problems.push(export.problem(
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

/// Where an import's bundle says its figures come from.
const SOURCE: &str = "Atlassian's user exports";

pub fn import(options: &ImportOptions) -> Result<ImportSummary, ReadError> {
    let mut problems = Problems::default();
    let mut collected = Collected::default();
    read_users(
        &Export::read(&options.users)?,
        &mut collected,
        &mut problems,
    );
    if let Some(path) = &options.managed {
        read_managed(&Export::read(path)?, &mut collected, &mut problems);
    }
    if let Some(path) = &options.external {
        read_external(&Export::read(path)?, &mut collected, &mut problems);
    }
    problems.into_result()?;

    let today = Utc::now().date_naive();
    let earlier = Earlier::read(&options.into);
    let verified: BTreeSet<String> = if options.verified_domains.is_empty() {
        earlier.verified_domains.clone()
    } else {
        options
            .verified_domains
            .iter()
            .map(|d| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
            .collect()
    };
    let managed_export_on = match &options.managed {
        Some(_) => Some(today),
        None => earlier.manifest.managed_export_on,
    };
    // Without any of these there is no telling managed from external: a
    // guess would make everyone external and raise false alarms.
    if options.managed.is_none() && verified.is_empty() && managed_export_on.is_none() {
        return Err(cannot_tell_managed_from_external(&options.users).into());
    }
    // SSO and 2SV of a managed accounts export read on an earlier day hold
    // while it is recent enough.
    let carried = options.managed.is_none()
        && managed_export_on
            .is_some_and(|day| (today - day).num_days() <= options.managed_max_age_days as i64);
    reconcile_sites(&mut collected);
    for (id, person) in collected.people.iter_mut() {
        let before = earlier.people.get(id);
        if person.managed.is_none() {
            let domain = person.email.rsplit('@').next().unwrap_or("").to_lowercase();
            person.managed = match before {
                // Its last known status, from an earlier managed export.
                Some(before) if earlier.manifest.managed_export_on.is_some() => before.managed,
                _ => Some(options.managed.is_none() && verified.contains(&domain)),
            };
        }
        if let (true, Some(before)) = (carried, before) {
            person.sso = before.sso;
            person.two_step = before.two_step;
        }
        if person.status.is_empty() {
            person.status = "active";
        }
    }
    collected.domains = verified.into_iter().map(|d| (d, true)).collect();
    // What the exports do not record shows as "no data", not as zeros.
    let mut not_recorded = vec![
        InsightKey::ExternalTwoStep,
        InsightKey::ExternalPolicy,
        InsightKey::MobileUsage,
    ];
    if options.managed.is_none() && !carried {
        not_recorded.push(InsightKey::ManagedAuthentication);
    }
    let manifest = Manifest {
        source: Some(SOURCE.to_string()),
        not_recorded: not_recorded
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        imported_on: Some(today),
        managed_export_on,
        recorded_since: Some(earlier.manifest.recorded_since.unwrap_or(today)),
        ..Manifest::default()
    };
    Ok(update::write_bundle(&options.into, collected, &manifest)?)
}

/// What an earlier import left in the bundle: its accounts, what it knew
/// and the verified domains.
struct Earlier {
    people: BTreeMap<String, Person>,
    manifest: Manifest,
    verified_domains: BTreeSet<String>,
}

impl Earlier {
    fn read(into: &Path) -> Self {
        let mut verified_domains = BTreeSet::new();
        if let Ok(mut reader) = csv::Reader::from_path(into.join("domains.csv")) {
            for record in reader.records().flatten() {
                if record.get(1) == Some("true") {
                    verified_domains.insert(record.get(0).unwrap_or("").to_string());
                }
            }
        }
        Earlier {
            people: update::earlier_accounts(into),
            manifest: manifest::read(into).unwrap_or_default(),
            verified_domains,
        }
    }
}

/// The refusal of an import that cannot tell managed accounts from
/// external users, with what to do.
fn cannot_tell_managed_from_external(users: &Path) -> BadInput {
    BadInput::about(
        "the command line",
        Problem::file(
            users.display().to_string(),
            "a way to tell managed accounts from external users, as the users export alone cannot: \
             give the managed accounts export (--managed FILE, from admin.atlassian.com > Directory > \
             Managed accounts > Export accounts), or the organization's verified domains \
             (--verified-domains a.com,b.com, or [import] verified_domains); nothing was written",
        ),
    )
}

/// Fills in, from a managed accounts export, what a pull cannot know of
/// the accounts it collected: single sign-on and two-step verification
/// (with `Enforced`), and that they are managed. Sites and accounts stay
/// the API's: the export names sites by address, the API by id.
pub(crate) fn add_managed_export(path: &Path, collected: &mut Collected) -> Result<(), BadInput> {
    let mut problems = Problems::default();
    let mut export = Collected::default();
    read_managed(&Export::read(path)?, &mut export, &mut problems);
    problems.into_result()?;
    for (id, from_export) in export.people {
        if let Some(person) = collected.people.get_mut(&id) {
            person.managed = Some(true);
            person.sso = from_export.sso;
            person.two_step = from_export.two_step;
        }
    }
    Ok(())
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

/// The exports of admin.atlassian.com that `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    /// Directory > Users > Export users.
    Users,
    /// Directory > Managed accounts > Export accounts.
    Managed,
    /// Security > External users > Export.
    External,
}

/// Which export a file of the drop folder is, by its header.
fn kind_of(path: &Path) -> Option<ExportKind> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = reader
        .headers()
        .ok()?
        .iter()
        .map(crate::words::header_key)
        .collect();
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("atlassian id") && has("two-step verification") {
        Some(ExportKind::Managed)
    } else if has("atlassian id") && has("user access to products") {
        Some(ExportKind::External)
    } else if (has("user id") || has("id")) && has("email") {
        Some(ExportKind::Users)
    } else {
        None
    }
}

/// The exports waiting in a drop folder: every users export (oldest name
/// first) and the latest managed and external exports.
#[derive(Debug, Default)]
pub struct Waiting {
    pub users: Vec<PathBuf>,
    pub managed: Option<PathBuf>,
    pub external: Option<PathBuf>,
}

impl Waiting {
    pub fn scan(from: &Path) -> anyhow::Result<Self> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(from)
            .with_context(|| format!("reading the drop folder {}", from.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        let of_kind = |kind: ExportKind| -> Vec<PathBuf> {
            files
                .iter()
                .filter(|p| kind_of(p) == Some(kind))
                .cloned()
                .collect()
        };
        Ok(Waiting {
            users: of_kind(ExportKind::Users),
            managed: of_kind(ExportKind::Managed).last().cloned(),
            external: of_kind(ExportKind::External).last().cloned(),
        })
    }

    /// Imports each users export, with the managed and external exports,
    /// into `into`; the last import's summary (`None`: no users export).
    pub fn import_users(
        &self,
        settings: &ImportConfig,
        into: &Path,
    ) -> Result<Option<ImportSummary>, ReadError> {
        let mut last = None;
        for users_export in &self.users {
            last = Some(import(&ImportOptions {
                users: users_export.clone(),
                managed: self.managed.clone(),
                external: self.external.clone(),
                verified_domains: settings.verified_domains.clone(),
                into: into.to_path_buf(),
                managed_max_age_days: settings.managed_max_age_days,
            })?);
        }
        Ok(last)
    }

    /// Moves every waiting export to `from/done/`.
    pub fn move_to_done(&self, from: &Path) -> anyhow::Result<()> {
        let done = from.join("done");
        std::fs::create_dir_all(&done).with_context(|| format!("creating {}", done.display()))?;
        let files = self.users.iter().chain(&self.managed).chain(&self.external);
        for path in files {
            if let Some(name) = path.file_name() {
                std::fs::rename(path, done.join(name))
                    .with_context(|| format!("moving {} to {}", path.display(), done.display()))?;
            }
        }
        Ok(())
    }
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
        // The API's keys.
        assert_eq!(product_key("jira-software", &mut unknown), "jira");
        assert_eq!(
            product_key("jira-servicedesk", &mut unknown),
            "jira-service-management"
        );
        assert_eq!(
            product_key("jira-product-discovery", &mut unknown),
            "jira-product-discovery"
        );
        assert!(unknown.is_empty());
        assert_eq!(product_key("Acme Wiki+", &mut unknown), "acme-wiki");
        assert!(unknown.contains("Acme Wiki+"));
    }
}
