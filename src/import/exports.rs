//! Reading admin.atlassian.com's CSV exports (users, managed accounts,
//! external users) into what one day's source says: each export's header
//! normalized, its rows checked, product names mapped to the contract's
//! keys.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;

use super::roles::{holds_org_admin, role_cell, RoleCell};
use super::update::{Collected, Person};
use crate::bundle::raw;
use crate::problems::{BadInput, Location, Problem, Problems};

/// The contract's key of a product name as the exports spell it.
/// The API's keys (`jira-software`, `jira-servicedesk`) are the same names
/// with hyphens: `pull` maps them here too.
pub(crate) fn product_key(name: &str, unknown: &mut BTreeSet<String>) -> String {
    if let Some(key) = known_product_key(name) {
        return key.to_string();
    }
    unknown.insert(name.trim().to_string());
    let lower = name.trim().to_lowercase();
    let slug = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // A name of punctuation alone keeps its own spelling: a key may be
    // anything but empty.
    if slug.is_empty() {
        lower
    } else {
        slug
    }
}

/// The contract's key of a product name the exports are known to write.
pub(super) fn known_product_key(name: &str) -> Option<&'static str> {
    let words = name.trim().to_lowercase().replace(['-', '_'], " ");
    Some(match words.as_str() {
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
        _ => return None,
    })
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

pub(super) fn yes(text: &str) -> bool {
    matches!(
        text.trim().to_lowercase().as_str(),
        "yes" | "true" | "enabled" | "on" | "1"
    )
}

/// An export read with its header normalized (trimmed, lower-cased).
pub(super) struct Export {
    pub(super) display: String,
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<(u64, csv::StringRecord)>,
}

impl Export {
    pub(super) fn read(path: &Path) -> Result<Self, BadInput> {
        let display = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bad = |expected: String| BadInput::single(Problem::file(&display, expected));
        if let Some(problem) = raw::not_utf8_csv(path, &display) {
            return Err(BadInput::single(problem));
        }
        // Records end at `\n` alone: with a CRLF the `csv` crate places a
        // record on the line before (Excel writes CRLF); the `\r` left at
        // a line's end is trimmed with the cell.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_path(path)
            .map_err(|err| bad(format!("a readable export ({err})")))?;
        let header = reader.headers().map_err(|err| unreadable(&display, &err))?;
        if raw::semicolon_separated(header) {
            return Err(bad(raw::SEMICOLONS.to_string()));
        }
        let header: Vec<String> = header
            .iter()
            .map(crate::support::words::header_key)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|err| unreadable(&display, &err))?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            // A download cut short leaves a record without its last fields:
            // it is refused, not read as empty cells.
            if record.len() != header.len() {
                return Err(BadInput::single(Problem {
                    file: display.clone(),
                    location: Location::Line(line),
                    column: None,
                    value: Some(format!("{} fields", record.len())),
                    expected: format!(
                        "{} fields, as the header has: the export is cut short or damaged; download it again",
                        header.len()
                    ),
                }));
            }
            rows.push((line, record));
        }
        if rows.is_empty() {
            return Err(bad(
                "data rows under the header: the export holds nobody; download it again"
                    .to_string(),
            ));
        }
        Ok(Export {
            display,
            header,
            rows,
        })
    }

    pub(super) fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|name| self.header.iter().position(|h| h == name))
    }

    pub(super) fn required(&self, names: &[&str], problems: &mut Problems) -> Option<usize> {
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

    /// The contract's status of a status cell, or none after naming the
    /// cell in `problems`.
    pub(super) fn status(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: usize,
        problems: &mut Problems,
    ) -> Option<&'static str> {
        let value = cell(record, Some(column));
        let status = known_status(value);
        if status.is_none() {
            problems.push(self.problem(line, column, value, STATUS_EXPECTED));
        }
        status
    }

    pub(super) fn problem(&self, line: u64, column: usize, value: &str, expected: &str) -> Problem {
        Problem {
            file: self.display.clone(),
            location: Location::Line(line),
            column: self.header.get(column).cloned(),
            value: Some(value.to_string()),
            expected: expected.to_string(),
        }
    }
}

/// A record the `csv` crate cannot read, in one sentence: a file that is
/// not UTF-8 was most likely saved by Excel as "CSV (Comma delimited)",
/// which is Windows-1252.
fn unreadable(display: &str, err: &csv::Error) -> BadInput {
    let expected = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "UTF-8 text; this line is not, as a file Excel saved as \"CSV (Comma delimited)\" \
             (Windows-1252) is not: download the export again, or save it as \"CSV UTF-8 (Comma delimited)\""
            .to_string(),
        _ => format!("a readable CSV record ({err})"),
    };
    BadInput::single(Problem {
        file: display.to_string(),
        location: Location::Line(err.position().map(|p| p.line()).unwrap_or(1)),
        column: None,
        value: None,
        expected,
    })
}

pub(super) fn cell(record: &csv::StringRecord, column: Option<usize>) -> &str {
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
pub(super) fn read_users(export: &Export, into: &mut Collected, problems: &mut Problems) {
    let Some(id) = export.required(&["user id", "id"], problems) else {
        return;
    };
    let email = export.required(&["email"], problems);
    let name = export.column(&["user name", "name", "display name"]);
    let status = export.column(&["user status", "status"]);
    let active = export.column(&["active"]);
    let added = export.column(&["added to org"]);
    let org_role = export.column(&["org role"]);
    let (last_seen, roles) = product_columns(export, &mut into.unknown_products);
    into.role_columns = !roles.is_empty();
    into.access_inferred = roles.is_empty() && !last_seen.is_empty();
    let mut dates = BadDates::default();

    for (line, record) in &export.rows {
        let account = cell(record, Some(id)).to_string();
        if account.is_empty() {
            problems.push(export.problem(*line, id, "", "a user id"));
            continue;
        }
        let status = match (status, active) {
            (Some(column), _) => match export.status(*line, record, column, problems) {
                Some(status) => status,
                None => continue,
            },
            (None, Some(column)) if !yes(cell(record, Some(column))) => "deactivated",
            _ => "active",
        };
        let added_on = match (added, export_date(cell(record, added))) {
            (_, Ok(day)) => day.map(|d| d.to_string()).unwrap_or_default(),
            (Some(column), Err(_)) => {
                let value = cell(record, added);
                dates.bad(export, *line, column, value, "a date such as 3 Jan 2024");
                String::new()
            }
            (None, Err(_)) => String::new(),
        };
        // A user in several groups appears once per group: the first row wins.
        into.people
            .entry(account.clone())
            .or_insert_with(|| Person {
                email: cell(record, email).to_string(),
                name: cell(record, name).to_string(),
                status,
                added_on,
                // The users export has no SSO or 2SV: a managed export does.
                auth_unknown: true,
                org_admin: org_role.map(|c| holds_org_admin(cell(record, Some(c)))),
                ..Person::default()
            });
        for (column, product, site) in &last_seen {
            let value = cell(record, Some(*column));
            match export_date(value) {
                Ok(Some(day)) => {
                    into.seen
                        .insert((day, account.clone(), product.clone(), site.clone()));
                    // Only the pre-2021 layout, which has no role cells,
                    // leaves access to be inferred from the last-seen date.
                    if roles.is_empty() && !site.is_empty() {
                        into.access
                            .insert((account.clone(), product.clone(), site.clone()));
                    }
                }
                Ok(None) => {}
                Err(_) => dates.bad(
                    export,
                    *line,
                    *column,
                    value,
                    "a date such as 3 Jan 2024, or Never accessed",
                ),
            }
        }
        add_roles(record, &account, &roles, into);
    }
    dates.report(problems);
}

/// The access the role cells of one users export record give: a cell that
/// names a role is access to that product on that site, kept with its
/// role; an empty cell, "No access" or a role without product access is
/// none, whatever the last-seen date says (see [`role_cell`]).
fn add_roles(
    record: &csv::StringRecord,
    account: &str,
    roles: &ProductColumns,
    into: &mut Collected,
) {
    for (column, product, site) in roles {
        let role = cell(record, Some(*column));
        let kind = role_cell(role);
        if kind == RoleCell::NoAccess {
            continue;
        }
        let key = (account.to_string(), product.clone(), site.clone());
        if !into.access.insert(key.clone()) {
            continue;
        }
        if kind == RoleCell::Unfamiliar {
            *into.unfamiliar_roles.entry(role.to_string()).or_default() += 1;
        }
        into.roles.insert(key, role.to_string());
    }
}

/// What a status cell of the users or managed accounts export must hold.
const STATUS_EXPECTED: &str =
    "a status as Atlassian writes it: Active, Suspended or Deactivated (a value it does not write is refused rather than guessed)";

/// The contract's status of a status cell, or none for a value Atlassian
/// does not write (a typo such as `Actve` must not pass as active). The
/// users export writes Active, Suspended or Deactivated
/// (support.atlassian.com/security-and-access-policies/docs/export-users-from-a-site),
/// the managed accounts export active or deactivated
/// (support.atlassian.com/organization-administration/docs/export-managed-accounts).
fn known_status(cell: &str) -> Option<&'static str> {
    match cell.to_lowercase().as_str() {
        "active" => Some("active"),
        "suspended" => Some("suspended"),
        "deactivated" => Some("deactivated"),
        _ => None,
    }
}

/// The dates of an export that are not as Atlassian writes them. A
/// spreadsheet that opened and saved the export rewrites every date
/// (`28/06/2024`): that is said once, with one example, rather than once
/// a cell.
#[derive(Default)]
struct BadDates {
    problems: Vec<Problem>,
    resaved: Option<Problem>,
}

impl BadDates {
    fn bad(&mut self, export: &Export, line: u64, column: usize, value: &str, expected: &str) {
        let resaved =
            value.split('/').count() == 3 && value.chars().all(|c| c.is_ascii_digit() || c == '/');
        let mut problem = export.problem(line, column, value, expected);
        if resaved {
            problem.expected = format!(
                "{expected}: the export was re-saved by a spreadsheet, which rewrote its dates; download it again and import it without opening it"
            );
            self.resaved.get_or_insert(problem);
        } else {
            self.problems.push(problem);
        }
    }

    fn report(self, problems: &mut Problems) {
        for problem in self.problems.into_iter().chain(self.resaved) {
            problems.push(problem);
        }
    }
}

/// External users export: who is external.
pub(super) fn read_external(export: &Export, into: &mut Collected, problems: &mut Problems) {
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
