//! Holding the day's exports against each other and against the bundle:
//! one name per site, the managed accounts export's product columns
//! against the users export's roles, and the roles never seen before.
//! What deserves a look becomes a note of bundle.toml, which the report's
//! data-quality section shows; notes name products, sites, roles and
//! files, never people.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::update::Collected;
use crate::support::words::{count_of, plural, product_name, thousands};

/// "1 access", "3 accesses".
fn accesses_of(count: u64) -> String {
    format!(
        "{} {}",
        thousands(count),
        plural(count, "access", "accesses")
    )
}

/// The short name of a site address: `acme` of `acme.atlassian.net`.
fn short_name(address: &str) -> Option<&str> {
    address.split_once('.').map(|(short, _)| short)
}

/// Gives every site of `collected` one name: the users export names a site
/// by its short name (`acme`), the managed accounts export by its address
/// (`acme.atlassian.net`). A short name that begins exactly one address of
/// today's exports is that site; else the mapping an earlier import
/// learned (`known`, from bundle.toml) holds. Returns the mapping to keep.
pub(super) fn one_name_per_site(
    collected: &mut Collected,
    known: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let addresses: BTreeSet<String> = collected
        .access
        .iter()
        .chain(&collected.managed_access)
        .map(|(_, _, site)| site.clone())
        .filter(|site| site.contains('.'))
        .collect();
    let mut by_short: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for address in &addresses {
        if let Some(short) = short_name(address) {
            by_short.entry(short).or_default().push(address);
        }
    }
    let mut sites = known.clone();
    for (short, matches) in by_short {
        if let [address] = matches.as_slice() {
            sites.insert(short.to_string(), (*address).clone());
        }
    }
    let full = |site: &String| -> String { sites.get(site).unwrap_or(site).clone() };
    let rename = |set: &BTreeSet<(String, String, String)>| {
        set.iter()
            .map(|(id, product, site)| (id.clone(), product.clone(), full(site)))
            .collect()
    };
    collected.access = rename(&collected.access);
    collected.managed_access = rename(&collected.managed_access);
    collected.roles = std::mem::take(&mut collected.roles)
        .into_iter()
        .map(|((id, product, site), role)| ((id, product, full(&site)), role))
        .collect();
    collected.seen = collected
        .seen
        .iter()
        .map(|(day, id, product, site)| (*day, id.clone(), product.clone(), full(site)))
        .collect();
    sites
}

/// The exports an import read, by file name, for the notes.
pub(super) struct ExportNames {
    pub users: String,
    pub managed: Option<String>,
}

impl ExportNames {
    pub fn of(users: &Path, managed: Option<&Path>) -> Self {
        let name = |path: &Path| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        ExportNames {
            users: name(users),
            managed: managed.map(name),
        }
    }
}

/// Settles the access of the managed accounts export's product columns.
/// With the users export's role cells, the roles are the access, and
/// every product and site the two exports disagree on, for the accounts
/// the managed export lists, becomes a note naming both files. Without
/// role cells (the layout before September 2021) the two are joined, as
/// neither is better.
pub(super) fn settle_managed_access(
    collected: &mut Collected,
    names: &ExportNames,
    notes: &mut Vec<String>,
) {
    let managed_access = std::mem::take(&mut collected.managed_access);
    let Some(managed_name) = &names.managed else {
        return;
    };
    if !collected.role_columns {
        collected.access.extend(managed_access);
        return;
    }
    let listed: BTreeSet<&String> = managed_access.iter().map(|(id, _, _)| id).collect();
    // (product, site) -> (accounts in the managed export only, in the users export only)
    let mut apart: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for (_, product, site) in managed_access.difference(&collected.access) {
        apart.entry((product, site)).or_default().0 += 1;
    }
    for (id, product, site) in collected.access.difference(&managed_access) {
        if listed.contains(id) {
            apart.entry((product, site)).or_default().1 += 1;
        }
    }
    for ((product, site), (managed_only, users_only)) in apart {
        notes.push(format!(
            "The managed accounts export ({managed_name}) and the users export ({}) disagree on {} on {site}: \
             {} with access in the managed accounts export only, {} in the users export only. The users export's \
             roles are counted; export both again on the same day if this stays.",
            names.users,
            product_name(product),
            count_of(managed_only, "account"),
            count_of(users_only, "account"),
        ));
    }
}

/// One note per role that Atlassian does not document and that the bundle
/// has not held before (`earlier_roles`): named once, on the import that
/// first gives it, so that a mistake shows without repeating every day.
pub(super) fn new_role_notes(
    collected: &Collected,
    earlier_roles: &BTreeSet<String>,
    notes: &mut Vec<String>,
) {
    for (role, accesses) in &collected.unfamiliar_roles {
        if earlier_roles.contains(role) {
            continue;
        }
        notes.push(format!(
            "The users export gives the role '{role}', which Atlassian does not document, to {}: it is counted as \
             access. Check in admin.atlassian.com that it grants the product; it is named only on the import that \
             first gives it.",
            accesses_of(*accesses as u64),
        ));
    }
}

/// The note of a users export without role cells.
pub(super) fn inferred_access_note(
    collected: &Collected,
    names: &ExportNames,
    notes: &mut Vec<String>,
) {
    if collected.access_inferred {
        notes.push(format!(
            "The users export ({}) has the layout used before September 2021, without role columns: access is \
             inferred from its 'Last seen in' dates (where the column names a site), so someone whose role was removed still counts while the date \
             stays. Export the users again from admin.atlassian.com (Directory > Users > Export users) for roles.",
            names.users
        ));
    }
}
