//! The import held against Atlassian's vocabulary and against itself over
//! days: the roles Atlassian documents and those it does not, one name per
//! site, and the layout without role cells.

use std::fs;
use std::path::Path;

use super::import::{activity, export, import, import_on_acme, report_of, row, rows};

/// The notes of the bundle's bundle.toml.
fn notes(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join("bundle/bundle.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    manifest
        .get("notes")
        .and_then(|n| n.as_array())
        .map(|notes| {
            notes
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The page's data-quality section.
fn quality_section(page: &str) -> &str {
    &page[page.find("id=\"data_quality\"").unwrap()..]
}

#[test]
fn a_role_atlassian_does_not_document_is_access_and_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.csv");
    // r1 administers Jira's users only ("User access admin": no product
    // access, as Atlassian documents it); r2 and r3 hold "Approver", which
    // Atlassian does not document; r4 holds the canonical id.
    fs::write(
        &users,
        "User id,User name,email,User status,Org role,Jira - acme,Confluence - acme\n\
         r1,Rae,r1@acme.com,Active,Member,User access admin,\n\
         r2,Sam,r2@acme.com,Active,Member,Approver,User\n\
         r3,Tim,r3@acme.com,Active,Member,,Approver\n\
         r4,Uma,r4@acme.com,Active,Member,atlassian/user,\n",
    )
    .unwrap();
    let users = users.to_str().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), users);
    assert_eq!(code, Some(0), "{stderr}");
    // The person running the import reads the note too.
    assert!(stderr.contains("'Approver'"), "{stderr}");
    assert_eq!(
        rows(dir.path().join("bundle/product_access.csv")),
        vec![
            vec!["r2", "confluence", "acme", "User"],
            vec!["r2", "jira", "acme", "Approver"],
            vec!["r3", "confluence", "acme", "Approver"],
            vec!["r4", "jira", "acme", "atlassian/user"],
        ]
    );
    let day_one = notes(dir.path());
    assert_eq!(day_one.len(), 1, "{day_one:?}");
    assert!(
        day_one[0]
            .contains("the role 'Approver', which Atlassian does not document, to 2 accesses"),
        "{day_one:?}"
    );
    // r2, r3 and r4 have access; r1 has none.
    let (json, page) = report_of(dir.path(), "2026-03-02");
    assert_eq!(json["insights"]["users_with_access"]["total"], 3);
    assert!(quality_section(&page).contains("Approver"));
    // The next day's same export names it no more: the bundle knows it.
    let (code, stderr) = import_on_acme(dir.path(), users);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(notes(dir.path()), Vec::<String>::new());
}

#[test]
fn a_site_keeps_its_full_name_on_days_without_the_managed_export() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &export("users-2026-03-01.csv"),
            "--managed",
            &export("managed-accounts.csv"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // The next day only the users export, which names the site "acme".
    let (code, stderr) = import(dir.path(), &["--users", &export("users-2026-03-02.csv")]);
    assert_eq!(code, Some(0), "{stderr}");
    let sites: Vec<String> = rows(dir.path().join("bundle/product_access.csv"))
        .into_iter()
        .map(|r| r[2].clone())
        .collect();
    assert_eq!(sites, vec!["acme.atlassian.net"; 5]);
    let short: Vec<_> = activity(&dir.path().join("bundle"))
        .into_iter()
        .filter(|r| r.3 != "acme.atlassian.net")
        .collect();
    assert_eq!(short, vec![]);
}

#[test]
fn the_history_of_a_short_site_name_takes_the_address_once_learned() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), &export("users-2026-03-01.csv"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(activity(&dir.path().join("bundle")).contains(&row(
        "2026-02-28",
        "u1",
        "confluence",
        "acme"
    )));
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &export("users-2026-03-02.csv"),
            "--managed",
            &export("managed-accounts.csv"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // Day one's rows now name acme.atlassian.net, and the same view of
    // both days is one row.
    let history = activity(&dir.path().join("bundle"));
    assert!(
        history.iter().all(|r| r.3 == "acme.atlassian.net"),
        "{history:?}"
    );
    let u1_confluence = history
        .iter()
        .filter(|r| *r == &row("2026-02-28", "u1", "confluence", "acme.atlassian.net"))
        .count();
    assert_eq!(u1_confluence, 1);
}

#[test]
fn access_inferred_from_dates_is_said_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), &export("users-old-format.csv"));
    assert_eq!(code, Some(0), "{stderr}");
    let notes = notes(dir.path());
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("users-old-format.csv"), "{notes:?}");
    assert!(
        notes[0].contains("inferred from its 'Last seen in' dates"),
        "{notes:?}"
    );
    let (_, page) = report_of(dir.path(), "2021-08-12");
    assert!(quality_section(&page).contains("inferred from its"));
}
