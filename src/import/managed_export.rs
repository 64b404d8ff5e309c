//! The managed accounts export: who is managed, their single sign-on and
//! two-step verification, and one column per product listing the sites of
//! access. Its columns are held to what Atlassian documents, so that a
//! renamed column never becomes a product with seats.

use std::collections::BTreeSet;

use super::exports::{cell, known_product_key, product_key, yes, Export};
use super::update::Collected;
use crate::problems::{Location, Problem, Problems};

/// The columns of the export that are not products, as Atlassian's
/// "Export managed accounts" page lists them
/// (support.atlassian.com/organization-administration/docs/export-managed-accounts),
/// lower-cased.
const FIELDS: [&str; 16] = [
    "atlassian id",
    "name",
    "email",
    "status",
    "last active",
    "last active date [utc]",
    "claimed",
    "billable",
    "policy name",
    "policy type",
    "saml single sign-on",
    "two-step verification",
    "two-step verification enabled",
    "password requirements",
    "idle session duration",
    "verified email",
];

/// Reads a managed accounts export into `into`. With `strict_columns`, a
/// column that is neither a documented field nor a known product but holds
/// site addresses, as a product column does, stops the import.
pub(super) fn read_managed(
    export: &Export,
    into: &mut Collected,
    problems: &mut Problems,
    strict_columns: bool,
) {
    let Some(id) = export.required(&["atlassian id"], problems) else {
        return;
    };
    let email = export.column(&["email"]);
    let name = export.column(&["name"]);
    let sso = export.column(&["saml single sign-on"]);
    let two_step = export.column(&["two-step verification", "two-step verification enabled"]);
    let status = export.column(&["status"]);
    let products = product_columns(export, into, problems, strict_columns);
    for (line, record) in &export.rows {
        let account = cell(record, Some(id)).to_string();
        if account.is_empty() {
            continue;
        }
        let known = match status {
            Some(column) => match export.status(*line, record, column, problems) {
                Some(status) => Some(status),
                None => continue,
            },
            None => None,
        };
        let person = into.people.entry(account.clone()).or_default();
        person.managed = Some(true);
        person.auth_unknown = false;
        if person.email.is_empty() {
            person.email = cell(record, email).to_string();
        }
        if person.name.is_empty() {
            person.name = cell(record, name).to_string();
        }
        if person.status.is_empty() {
            person.status = known.unwrap_or("active");
        }
        person.sso = Some(yes(cell(record, sso)));
        person.two_step = Some(two_step_of(cell(record, two_step)));
        for (column, product) in &products {
            for site in cell(record, Some(*column)).split(',') {
                let site = site.trim();
                if !site.is_empty() {
                    into.managed_access.insert((
                        account.clone(),
                        product.clone(),
                        site.to_string(),
                    ));
                }
            }
        }
    }
}

fn two_step_of(text: &str) -> &'static str {
    let text = text.to_lowercase();
    if text.contains("enforced") || text.contains("required") {
        "enforced"
    } else if yes(&text) {
        "on"
    } else {
        "off"
    }
}

/// The product columns, by (column, product key): a known product name, or
/// a product the users export of the same import names. Any other column
/// is no product: it is named in a warning, and refused under
/// `strict_columns` when its cells hold site addresses.
fn product_columns(
    export: &Export,
    into: &mut Collected,
    problems: &mut Problems,
    strict_columns: bool,
) -> Vec<(usize, String)> {
    let mut products = Vec::new();
    let mut ignored = BTreeSet::new();
    for (column, header) in export.header.iter().enumerate() {
        if FIELDS.contains(&header.as_str()) {
            continue;
        }
        let named_by_users_export = into.unknown_products.contains(header.trim());
        if known_product_key(header).is_some() || named_by_users_export {
            products.push((column, product_key(header, &mut into.unknown_products)));
        } else if strict_columns && holds_sites(export, column) {
            problems.push(Problem {
                file: export.display.clone(),
                location: Location::Line(1),
                column: Some(header.clone()),
                value: None,
                expected: "a column Atlassian's managed accounts export documents, or a product name: \
                           this one holds site addresses as a product column does but names no known product; \
                           check the export, or set [import] strict_columns = false to import without it"
                    .to_string(),
            });
        } else {
            ignored.insert(header.clone());
        }
    }
    if !ignored.is_empty() {
        tracing::warn!(
            file = %export.display,
            columns = ?ignored,
            "columns of the managed accounts export that are neither a documented field nor a product: left out"
        );
    }
    products
}

/// Whether a column's cells hold site addresses (`acme.atlassian.net`), as
/// the product columns do.
fn holds_sites(export: &Export, column: usize) -> bool {
    export.rows.iter().any(|(_, record)| {
        cell(record, Some(column))
            .split(',')
            .any(|site| site.trim().ends_with(".atlassian.net"))
    })
}
