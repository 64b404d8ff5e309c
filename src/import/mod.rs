//! `org-insights import`: turns the CSV files admin.atlassian.com exports
//! (users, managed accounts, external users) into a contract bundle, and,
//! run every day into the same bundle, builds up the activity history the
//! trends need: each "last seen" date becomes a `view` row.
//!
//! The exports are small next to the activity history, so they are read
//! row by row with the `csv` crate; the history is merged with polars. The
//! new bundle is staged beside the old one and swapped in with one rename:
//! an interrupted import changes nothing.

mod drop_folder;
mod exports;
mod managed_export;
mod reconcile;
mod roles;
pub(crate) mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::bundle::manifest::{self, Manifest};
use crate::insight_key::{InsightKey, Source};
use crate::problems::{BadInput, Problem, Problems, ReadError};
pub use drop_folder::Waiting;
pub(crate) use exports::product_key;
use exports::{read_external, read_users, Export};
use managed_export::read_managed;
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
    /// A managed accounts export column that names no known product but
    /// holds site addresses stops the import (`[import] strict_columns`).
    pub strict_columns: bool,
    /// An import that would leave this many percent fewer accounts with
    /// access, or access rows, than the bundle holds is refused
    /// (`[import] max_drop_percent`)...
    pub max_drop_percent: u64,
    /// ...unless the admin said the drop is real (`--accept-drop`).
    pub accept_drop: bool,
}

/// What an import did (the same summary a pull gives).
pub use update::UpdateSummary as ImportSummary;

/// Where an import's bundle says its figures come from.
const SOURCE: &str = "Atlassian's user exports";

pub fn import(options: &ImportOptions) -> Result<ImportSummary, ReadError> {
    given_as_its_kind(options)?;
    let mut collected = read_exports(options)?;

    let today = Utc::now().date_naive();
    let earlier = Earlier::read(&options.into);
    let mut verified = verified_domains(options, &earlier);
    // The domains of a managed accounts export's accounts are verified and
    // claimed: that is what makes them managed.
    if options.managed.is_some() {
        verified.extend(
            collected
                .people
                .values()
                .filter(|p| p.managed == Some(true))
                .filter_map(|p| p.email.rsplit_once('@'))
                .map(|(_, domain)| domain.trim().to_lowercase())
                .filter(|domain| !domain.is_empty()),
        );
    }
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
    let sites = reconcile::one_name_per_site(&mut collected, &earlier.manifest.sites);
    let notes = notes(options, &mut collected, &earlier);
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
            person.auth_unknown = before.auth_unknown;
        }
        if person.status.is_empty() {
            person.status = "active";
        }
    }
    collected.domains = verified.into_iter().map(|d| (d, true)).collect();
    if !options.accept_drop {
        refuse_a_drop(options, &earlier, &collected)?;
    }
    // What the exports do not record shows as "no data", not as zeros.
    let not_recorded = InsightKey::not_recorded_by(if options.managed.is_none() && !carried {
        Source::UsersExport
    } else {
        Source::Exports
    });
    let manifest = Manifest {
        source: Some(SOURCE.to_string()),
        not_recorded: not_recorded
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        imported_on: Some(today),
        managed_export_on,
        recorded_since: Some(earlier.manifest.recorded_since.unwrap_or(today)),
        notes,
        sites,
        ..Manifest::default()
    };
    Ok(update::write_bundle(&options.into, collected, &manifest)?)
}

/// What the report's data-quality section should say of this import: the
/// exports' disagreements, new roles, access inferred from dates. Settles
/// the managed accounts export's product columns on the way.
fn notes(options: &ImportOptions, collected: &mut Collected, earlier: &Earlier) -> Vec<String> {
    let names = reconcile::ExportNames::of(&options.users, options.managed.as_deref());
    let mut notes = Vec::new();
    reconcile::settle_managed_access(collected, &names, &mut notes);
    reconcile::new_role_notes(collected, &earlier.roles, &mut notes);
    reconcile::inferred_access_note(collected, &names, &mut notes);
    notes
}

/// Each export given with the option of its kind: one given with another
/// option is refused naming the export it looks like.
fn given_as_its_kind(options: &ImportOptions) -> Result<(), BadInput> {
    let given = [
        ("--users", Some(&options.users)),
        ("--managed", options.managed.as_ref()),
        ("--external", options.external.as_ref()),
    ];
    for (option, path) in given {
        let Some(path) = path else {
            continue;
        };
        if let Some(expected) = drop_folder::wrong_export(path, option) {
            return Err(BadInput::about(
                "the command line",
                Problem::file(path.display().to_string(), expected),
            ));
        }
    }
    Ok(())
}

/// The verified domains given on the command line, else those an earlier
/// import was given.
fn verified_domains(options: &ImportOptions, earlier: &Earlier) -> BTreeSet<String> {
    if options.verified_domains.is_empty() {
        return earlier.verified_domains.clone();
    }
    options
        .verified_domains
        .iter()
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// What an earlier import left in the bundle: its accounts, what it knew
/// and the verified domains.
struct Earlier {
    people: BTreeMap<String, Person>,
    /// The accounts of each `product_access` row, once a row.
    access: Vec<String>,
    /// The roles of `product_access`.
    roles: BTreeSet<String>,
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
        let mut access = Vec::new();
        let mut roles = BTreeSet::new();
        if let Ok(mut reader) = csv::Reader::from_path(into.join("product_access.csv")) {
            let role = reader
                .headers()
                .ok()
                .and_then(|h| h.iter().position(|name| name == "role"));
            for record in reader.records().flatten() {
                access.push(record.get(0).unwrap_or("").to_string());
                if let Some(role) = role.and_then(|c| record.get(c)).filter(|r| !r.is_empty()) {
                    roles.insert(role.to_string());
                }
            }
        }
        Earlier {
            access,
            roles,
            people: update::earlier_accounts(into),
            manifest: manifest::read(into).unwrap_or_default(),
            verified_domains,
        }
    }
}

/// Refuses an import that would take access from more than
/// `max_drop_percent` of the accounts with access in the bundle, or shrink
/// its access rows by as much: a half-downloaded or partial export looks
/// complete, and would take away everyone it lacks. An account the export
/// lists as suspended or deactivated is a change the export states, not a
/// gap, so it does not count: in a small organization one person leaving
/// is more than a fifth.
fn refuse_a_drop(
    options: &ImportOptions,
    earlier: &Earlier,
    collected: &Collected,
) -> Result<(), BadInput> {
    let before_ids: BTreeSet<&str> = earlier.access.iter().map(String::as_str).collect();
    let after_ids: BTreeSet<&str> = collected.access.iter().map(|a| a.0.as_str()).collect();
    let had_access: Vec<&str> = earlier
        .people
        .iter()
        .filter(|(id, p)| p.status == "active" && before_ids.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    let lost = had_access
        .iter()
        .filter(|id| match collected.people.get(**id) {
            Some(person) => person.status == "active" && !after_ids.contains(**id),
            None => true,
        })
        .count();
    let too_much = |part: usize, whole: usize| {
        whole > 0 && (part as u128) * 100 > u128::from(options.max_drop_percent) * whole as u128
    };
    let rows = (earlier.access.len(), collected.access.len());
    if !too_much(lost, had_access.len()) && !too_much(rows.0.saturating_sub(rows.1), rows.0) {
        return Ok(());
    }
    Err(BadInput::about(
        "the command line",
        Problem::file(
            options.users.display().to_string(),
            format!(
                "an export that takes access from at most {}% of the bundle: it leaves out, or lists without access, \
                 {lost} of the {} accounts with access, and gives {} access rows against {}, which is what a cut or \
                 partial export looks like; download it again, or, if the people really left, import it with \
                 --accept-drop (in the drop folder: create the file {} beside the exports, used once); nothing was written",
                options.max_drop_percent,
                had_access.len(),
                rows.1,
                rows.0,
                drop_folder::ACCEPT_DROP,
            ),
        ),
    ))
}

/// What the day's exports say, or every problem they have.
fn read_exports(options: &ImportOptions) -> Result<Collected, ReadError> {
    let mut problems = Problems::default();
    let mut collected = Collected::default();
    read_users(
        &Export::read(&options.users)?,
        &mut collected,
        &mut problems,
    );
    if let Some(path) = &options.managed {
        read_managed(
            &Export::read(path)?,
            &mut collected,
            &mut problems,
            options.strict_columns,
        );
    }
    if let Some(path) = &options.external {
        read_external(&Export::read(path)?, &mut collected, &mut problems);
    }
    problems.into_result()?;
    Ok(collected)
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
    // Only sign-in is read: the export's product columns do not matter.
    read_managed(&Export::read(path)?, &mut export, &mut problems, false);
    problems.into_result()?;
    for (id, from_export) in export.people {
        if let Some(person) = collected.people.get_mut(&id) {
            person.managed = Some(true);
            person.sso = from_export.sso;
            person.two_step = from_export.two_step;
            person.auth_unknown = false;
        }
    }
    Ok(())
}
