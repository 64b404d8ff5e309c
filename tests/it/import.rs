//! `org-insights import` on exports written from admin.atlassian.com's
//! published layouts (fixtures/exports): the bundle rows it writes, three
//! days of imports building up the history and the trends, and bad exports.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{read_json, Cli};
use polars::prelude::*;

pub(crate) fn export(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/exports")
        .join(name)
        .display()
        .to_string()
}

pub(crate) fn import(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["import", "--into", "bundle"];
    all.extend_from_slice(args);
    let output = Cli::new(dir).args(&all).run();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An import of the users export `users` alone, acme.com being verified.
pub(crate) fn import_on_acme(dir: &Path, users: &str) -> (Option<i32>, String) {
    import(dir, &["--users", users, "--verified-domains", "acme.com"])
}

pub(crate) fn rows(path: PathBuf) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub(crate) fn activity(bundle: &Path) -> Vec<(String, String, String, String)> {
    let path = bundle.join("activity.parquet");
    let frame = LazyFrame::scan_parquet(PlRefPath::new(path.to_str().unwrap()), Default::default())
        .unwrap()
        .select([
            col("date").cast(DataType::String),
            col("account_id"),
            col("product"),
            col("site").fill_null(lit("")),
        ])
        .collect()
        .unwrap();
    let text = |c: &str| -> Vec<String> {
        frame
            .column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()
    };
    let (d, a, p, s) = (
        text("date"),
        text("account_id"),
        text("product"),
        text("site"),
    );
    (0..frame.height())
        .map(|i| (d[i].clone(), a[i].clone(), p[i].clone(), s[i].clone()))
        .collect()
}

pub(crate) fn row(d: &str, a: &str, p: &str, s: &str) -> (String, String, String, String) {
    (d.into(), a.into(), p.into(), s.into())
}

#[test]
fn the_three_exports_make_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &export("users-2026-03-01.csv"),
            "--managed",
            &export("managed-accounts.csv"),
            "--external",
            &export("external-users.csv"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // u1 appears twice (two groups): once. added_on is "Added to org". Managed from the managed export,
    // u3 external from the external export; 2SV and SSO from the managed export.
    assert_eq!(
        rows(dir.path().join("bundle/accounts.csv")),
        vec![
            vec![
                "u1",
                "ana@acme.com",
                "Ana Núñez",
                "managed",
                "active",
                "off",
                "true",
                "2024-01-03",
                "true",
                "false"
            ],
            vec![
                "u2",
                "bjorn@acme.com",
                "Björn Ek",
                "managed",
                "active",
                "on",
                "false",
                "2024-02-05",
                "true",
                "false"
            ],
            vec![
                "u3",
                "zoe@partner.io",
                "Zoë Partner",
                "external",
                "active",
                "off",
                "false",
                "2025-12-01",
                "true",
                "false"
            ],
            vec![
                "u4",
                "old@acme.com",
                "Old Timer",
                "managed",
                "suspended",
                "enforced",
                "false",
                "2020-01-02",
                "true",
                "false"
            ],
        ]
    );
    // Access from role cells, kept with their role; the users export's
    // short site name "acme" is the managed export's acme.atlassian.net.
    // u2's Jira on beta.atlassian.net is in the managed export only: no
    // role stands behind it, so it is no seat but a note naming both.
    assert_eq!(
        rows(dir.path().join("bundle/product_access.csv")),
        vec![
            vec!["u1", "confluence", "acme.atlassian.net", "User"],
            vec!["u1", "jira", "acme.atlassian.net", "User"],
            vec!["u2", "jira", "acme.atlassian.net", "User"],
            vec!["u3", "confluence", "acme.atlassian.net", "User"],
            vec!["u4", "jira", "acme.atlassian.net", "User"],
        ]
    );
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.path().join("bundle/bundle.toml")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["sites"]["acme"].as_str(),
        Some("acme.atlassian.net")
    );
    let notes = manifest["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = notes[0].as_str().unwrap();
    for part in [
        "managed accounts export (managed-accounts.csv)",
        "users export (users-2026-03-01.csv)",
        "Jira on beta.atlassian.net: 1 account with access in the managed accounts export only, 0 accounts in the users export only",
    ] {
        assert!(note.contains(part), "{part} in {note}");
    }
    // One view per account, product and site on each last-seen date;
    // "Never accessed" adds nothing.
    assert_eq!(
        activity(&dir.path().join("bundle")),
        vec![
            row("2024-01-03", "u4", "jira", "acme.atlassian.net"),
            row("2026-02-27", "u2", "jira", "acme.atlassian.net"),
            row("2026-02-28", "u1", "confluence", "acme.atlassian.net"),
            row("2026-03-01", "u1", "jira", "acme.atlassian.net"),
            row("2026-03-01", "u3", "confluence", "acme.atlassian.net"),
        ]
    );
    // The bundle follows the contract: a report runs on it. What the
    // exports do not record shows as "no data", not as zeros.
    Cli::new(dir.path()).report("bundle", "out").run().ok();
    let json: serde_json::Value = read_json(&dir.path().join("out/latest/insights.json"));
    for key in ["external_two_step", "external_policy", "mobile_usage"] {
        assert!(json["insights"][key].is_null(), "{key}");
        assert_eq!(
            json["missing"][key],
            "not recorded by Atlassian's user exports (bundle.toml)"
        );
    }
    // The managed export gives 2SV and SSO: u1 SSO, u2 2SV on; u4 suspended.
    assert_eq!(
        json["insights"]["managed_authentication"],
        serde_json::json!({"sso": 1, "two_step_enabled": 1, "two_step_disabled": 0})
    );
    // The note is in the page's data-quality section.
    let page = std::fs::read_to_string(dir.path().join("out/latest/index.html")).unwrap();
    let quality = &page[page.find("id=\"data_quality\"").unwrap()..];
    assert!(quality.contains("Jira on beta.atlassian.net"), "{quality}");
}

#[test]
fn the_older_users_export_and_verified_domains() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &export("users-old-format.csv"),
            "--verified-domains",
            "acme.com, other.org",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        rows(dir.path().join("bundle/accounts.csv")),
        vec![
            vec![
                "o1",
                "ola@acme.com",
                "Ola Nordmann",
                "managed",
                "active",
                "off",
                "false",
                "",
                // Managed by its verified domain; no managed accounts
                // export has given its sign-in.
                "false"
            ],
            vec![
                "o2",
                "kari@acme.com",
                "Kari Gone",
                "managed",
                "deactivated",
                "off",
                "false",
                "",
                "false"
            ],
        ]
    );
    assert_eq!(
        rows(dir.path().join("bundle/domains.csv")),
        vec![vec!["acme.com", "true"], vec!["other.org", "true"]]
    );
    assert_eq!(
        activity(&dir.path().join("bundle")),
        vec![
            row("2021-07-01", "o2", "confluence", ""),
            row("2021-08-12", "o1", "jira", "")
        ]
    );
    // Without the managed export, 2SV and SSO are unknown too.
    let manifest = fs::read_to_string(dir.path().join("bundle/bundle.toml")).unwrap();
    assert!(
        manifest.contains("\"managed_authentication\""),
        "{manifest}"
    );
}

#[test]
fn access_comes_from_role_cells_and_org_role_names_the_org_admins() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.csv");
    fs::write(
        &users,
        "User id,User name,email,User status,Added to org,Org role,Last seen in Jira - acme,Last seen in Confluence - acme,Jira - acme,Confluence - acme\r\n\
         a1,Ada Admin,a1@acme.com,Active,3 Jan 2024,Organization admin,1 Mar 2026,1 Mar 2026,Product admin,No access\r\n\
         a2,Ben Member,a2@acme.com,Active,3 Jan 2024,Member,Never accessed,2 Mar 2026,User,\r\n\
         a3,Cy Gone,a3@acme.com,Active,3 Jan 2024,Member,1 Mar 2026,Never accessed,,\r\n",
    )
    .unwrap();
    let (code, stderr) = import_on_acme(dir.path(), users.to_str().unwrap());
    assert_eq!(code, Some(0), "{stderr}");
    // a1's Confluence cell says "No access", a2's is empty and a3 has no
    // role at all: their last-seen dates are activity, not access.
    assert_eq!(
        rows(dir.path().join("bundle/product_access.csv")),
        vec![
            vec!["a1", "jira", "acme", "Product admin"],
            vec!["a2", "jira", "acme", "User"],
        ]
    );
    assert_eq!(
        activity(&dir.path().join("bundle")),
        vec![
            row("2026-03-01", "a1", "confluence", "acme"),
            row("2026-03-01", "a1", "jira", "acme"),
            row("2026-03-01", "a3", "jira", "acme"),
            row("2026-03-02", "a2", "confluence", "acme"),
        ]
    );
    let org_admins: Vec<(String, String)> = rows(dir.path().join("bundle/accounts.csv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[9].clone()))
        .collect();
    assert_eq!(
        org_admins,
        [("a1", "true"), ("a2", "false"), ("a3", "false")].map(|(a, b)| (a.into(), b.into()))
    );
    // Two accounts hold a role; a3, seen on Jira but without one, has no
    // access.
    let (json, _) = report_of(dir.path(), "2026-03-02");
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 2, "external": 0, "total": 2})
    );
}

#[test]
fn daily_imports_build_the_history_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    // A staging folder left by an import that was killed is cleared.
    fs::create_dir(dir.path().join(".bundle.import-99999")).unwrap();
    for day in ["01", "02", "03", "03"] {
        let (code, stderr) =
            import_on_acme(dir.path(), &export(&format!("users-2026-03-{day}.csv")));
        assert_eq!(code, Some(0), "{stderr}");
    }
    assert!(!dir.path().join(".bundle.import-99999").exists());
    // Every day's new last-seen dates, each once; importing day 3 twice
    // added nothing; nothing earlier was dropped.
    assert_eq!(
        activity(&dir.path().join("bundle")),
        vec![
            row("2024-01-03", "u4", "jira", "acme"),
            row("2026-02-27", "u2", "jira", "acme"),
            row("2026-02-28", "u1", "confluence", "acme"),
            row("2026-03-01", "u1", "jira", "acme"),
            row("2026-03-01", "u3", "confluence", "acme"),
            row("2026-03-02", "u1", "jira", "acme"),
            row("2026-03-02", "u2", "confluence", "acme"),
            row("2026-03-03", "u1", "confluence", "acme"),
            row("2026-03-03", "u1", "jira", "acme"),
            row("2026-03-03", "u3", "confluence", "acme"),
            row("2026-03-03", "u3", "jira-service-management", "acme"),
        ]
    );
    // The trends follow the history: views on 1, 2 and 3 March.
    Cli::new(dir.path()).report("bundle", "out").run().ok();
    let json: serde_json::Value = read_json(&dir.path().join("out/2026-03-03/insights.json"));
    let daily = json["insights"]["active_users"]["daily"]
        .as_array()
        .unwrap();
    let last_three: Vec<u64> = daily[27..]
        .iter()
        .map(|d| d["active"].as_u64().unwrap())
        .collect();
    // 1 Mar: u1, u3; 2 Mar: u1, u2; 3 Mar: u1, u3.
    assert_eq!(last_three, vec![2, 2, 2]);
    // u3 is external (partner.io is not verified); u2 deactivated on day 3.
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 1, "external": 1, "total": 2})
    );
}

#[test]
fn a_bad_export_names_file_line_and_column_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        import_on_acme(dir.path(), &export("users-2026-03-01.csv")).0,
        Some(0)
    );
    let before = common::snapshot(&dir.path().join("bundle"));
    let (code, stderr) = import(dir.path(), &["--users", &export("users-bad.csv")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "users-bad.csv: line 2, column 'last seen in jira - acme', value \"31 Feb 2026\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("users-bad.csv: line 3, column 'user id'"),
        "{stderr}"
    );
    assert_eq!(common::snapshot(&dir.path().join("bundle")), before);
}

#[test]
fn a_status_atlassian_does_not_write_is_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), &export("users-2026-03-01.csv"));
    assert_eq!(code, Some(0), "{stderr}");
    let before = common::snapshot(&dir.path().join("bundle"));
    // A typo in the users export's status, on its third line.
    let users = fs::read_to_string(export("users-2026-03-02.csv"))
        .unwrap()
        .replacen(
            "Björn Ek,bjorn@acme.com,Active",
            "Björn Ek,bjorn@acme.com,Actve",
            1,
        );
    let typo = dir.path().join("users-typo.csv");
    fs::write(&typo, users).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", typo.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("users-typo.csv: line 3, column 'user status', value \"Actve\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("Active, Suspended or Deactivated"),
        "{stderr}"
    );
    // The managed accounts export's status is held to the same list.
    let managed = fs::read_to_string(export("managed-accounts.csv"))
        .unwrap()
        .replacen(
            "Old Timer,old@acme.com,Suspended",
            "Old Timer,old@acme.com,Locked",
            1,
        );
    let odd = dir.path().join("managed-odd.csv");
    fs::write(&odd, managed).unwrap();
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &export("users-2026-03-02.csv"),
            "--managed",
            odd.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("managed-odd.csv: line 4, column 'status', value \"Locked\""),
        "{stderr}"
    );
    assert_eq!(common::snapshot(&dir.path().join("bundle")), before);
}

/// The fixture's managed accounts export with one more column, `header`,
/// whose cell is `value` on every row.
fn managed_with_column(dir: &Path, header: &str, value: &str) -> PathBuf {
    let text = fs::read_to_string(export("managed-accounts.csv")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},{header}"),
            _ => format!("{line},\"{value}\""),
        })
        .collect();
    let path = dir.join("managed-extra.csv");
    fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn a_managed_export_column_that_names_no_product_is_no_product() {
    let dir = tempfile::tempdir().unwrap();
    let users = export("users-2026-03-01.csv");
    // A renamed field is named and left out, not a product with seats.
    let renamed = managed_with_column(dir.path(), "Authentication policy", "Default policy");
    let (code, stderr) = import(
        dir.path(),
        &["--users", &users, "--managed", renamed.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("authentication policy"), "{stderr}");
    assert!(
        stderr.contains("neither a documented field nor a product"),
        "{stderr}"
    );
    let products: BTreeSet<String> = rows(dir.path().join("bundle/product_access.csv"))
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        products,
        BTreeSet::from(["confluence".to_string(), "jira".to_string()])
    );

    // A column that holds sites as a product does, under a name no product
    // has, stops the import and leaves the bundle as it was.
    let before = common::snapshot(&dir.path().join("bundle"));
    let product_like = managed_with_column(dir.path(), "Studio X", "acme.atlassian.net");
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &users,
            "--managed",
            product_like.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("managed-extra.csv: line 1, column 'studio x'"),
        "{stderr}"
    );
    assert!(stderr.contains("strict_columns = false"), "{stderr}");
    assert_eq!(common::snapshot(&dir.path().join("bundle")), before);

    // Without strict_columns it is named and left out.
    fs::write(
        dir.path().join("org-insights.toml"),
        "[import]\nstrict_columns = false\n",
    )
    .unwrap();
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &users,
            "--managed",
            product_like.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("studio x"), "{stderr}");
    let access = rows(dir.path().join("bundle/product_access.csv"));
    assert!(access.iter().all(|r| r[1] != "studio-x"), "{access:?}");
}

/// The users export of 1 March cut after its first account (u1, listed
/// once per group): u2 and u3, who have access, are missing.
fn shrunken_users_export(dir: &Path) -> PathBuf {
    let whole = fs::read_to_string(export("users-2026-03-01.csv")).unwrap();
    let kept: Vec<&str> = whole.lines().take(3).collect();
    let path = dir.join("users-partial.csv");
    fs::write(&path, kept.join("\n")).unwrap();
    path
}

#[test]
fn an_export_that_takes_access_from_many_is_refused_unless_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), &export("users-2026-03-01.csv"));
    assert_eq!(code, Some(0), "{stderr}");
    let before = common::snapshot(&dir.path().join("bundle"));
    // u1, u2 and u3 had access (u4 is suspended), by 5 role cells; the
    // partial export keeps u1 and its 2: 2 of 3 accounts lost, 67 % > 20 %.
    let partial = shrunken_users_export(dir.path());
    let (code, stderr) = import(dir.path(), &["--users", partial.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("2 of the 3 accounts with access, and gives 2 access rows against 5"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-drop"), "{stderr}");
    assert_eq!(common::snapshot(&dir.path().join("bundle")), before);

    let (code, stderr) = import(
        dir.path(),
        &["--users", partial.to_str().unwrap(), "--accept-drop"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let access: Vec<String> = rows(dir.path().join("bundle/product_access.csv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(access, ["u1", "u1"]);
}

#[test]
fn the_drop_folder_takes_a_large_drop_once_through_its_marker_file() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    fs::create_dir(&exports).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"out\"\n\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n",
    )
    .unwrap();
    fs::copy(export("users-2026-03-01.csv"), exports.join("users-a.csv")).unwrap();
    Cli::new(dir.path()).args(["--run-now"]).run().ok();
    let partial = shrunken_users_export(dir.path());
    fs::copy(&partial, exports.join("users-b.csv")).unwrap();
    let before = common::snapshot(&dir.path().join("data"));
    let refused = Cli::new(dir.path()).args(["--run-now"]).run();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("create the file ACCEPT-DROP"), "{stderr}");
    assert_eq!(common::snapshot(&dir.path().join("data")), before);
    assert!(exports.join("users-b.csv").exists(), "the export waits");

    fs::write(exports.join("ACCEPT-DROP"), "").unwrap();
    Cli::new(dir.path()).args(["--run-now"]).run().ok();
    let access = rows(dir.path().join("data/product_access.csv"));
    assert_eq!(access.len(), 2, "{access:?}");
    // Used once: kept beside the day's exports, as the record of it.
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(!exports.join("ACCEPT-DROP").exists());
    assert!(exports
        .join("done")
        .join(&today)
        .join("ACCEPT-DROP")
        .exists());
}

#[test]
fn run_now_imports_what_waits_in_the_drop_folder() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    fs::create_dir(&exports).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"out\"\n\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n",
    )
    .unwrap();
    // Nothing waiting and no bundle yet: the run has nothing to read.
    assert_eq!(
        Cli::new(dir.path()).args(["--run-now"]).run().status.code(),
        Some(2)
    );

    fs::copy(
        export("users-2026-03-01.csv"),
        exports.join("export-users-a.csv"),
    )
    .unwrap();
    // The second day adds a product with no key of the contract: the
    // scheduled import warns about it as `import` does.
    let second = fs::read_to_string(export("users-2026-03-02.csv")).unwrap();
    let with_unknown: Vec<String> = second
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},Last seen in Moonbase - acme,Moonbase - acme"),
            _ => format!("{line},Never accessed,"),
        })
        .collect();
    fs::write(exports.join("export-users-b.csv"), with_unknown.join("\n")).unwrap();
    fs::copy(export("managed-accounts.csv"), exports.join("managed.csv")).unwrap();
    Cli::new(dir.path())
        .args(["--run-now"])
        .run()
        .ok()
        .stderr_has("a product name with no known key: kept as a slug")
        .stderr_has("product=moonbase");
    // Kept as evidence under the day of the import (UTC).
    let today = chrono::Utc::now().date_naive().to_string();
    let mut done: Vec<String> = fs::read_dir(exports.join("done").join(&today))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    done.sort();
    assert_eq!(
        done,
        ["export-users-a.csv", "export-users-b.csv", "managed.csv"]
    );
    // Both days' last-seen dates, as in the daily import test.
    assert_eq!(activity(&dir.path().join("data")).len(), 7);
    let json: serde_json::Value = read_json(&dir.path().join("out/latest/insights.json"));
    assert_eq!(json["as_of"], "2026-03-02");
}

#[test]
fn an_export_saved_as_unicode_text_or_with_semicolons_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(export("users-2026-03-01.csv")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    fs::write(dir.path().join("unicode.csv"), utf16).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", "unicode.csv"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("unicode.csv: expected UTF-8 text; this file is UTF-16"),
        "{stderr}"
    );

    fs::write(dir.path().join("semicolons.csv"), text.replace(',', ";")).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", "semicolons.csv"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("this file looks semicolon-separated"),
        "{stderr}"
    );
    assert!(!dir.path().join("bundle").exists());
}

/// Rewrites one date of the bundle's bundle.toml, as if written `days_ago`.
fn backdate(bundle: &Path, key: &str, days_ago: u64) -> String {
    let day = (chrono::Utc::now().date_naive() - chrono::Days::new(days_ago)).to_string();
    let path = bundle.join("bundle.toml");
    let text = fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{key} in {text}"))
        .to_string();
    fs::write(&path, text.replace(&line, &format!("{key} = {day}"))).unwrap();
    day
}

pub(crate) fn report_of(dir: &Path, as_of: &str) -> (serde_json::Value, String) {
    Cli::new(dir)
        .report("bundle", "out")
        .dated(as_of)
        .run()
        .ok();
    let day = dir.join("out").join(as_of);
    (
        read_json(&day.join("insights.json")),
        fs::read_to_string(day.join("index.html")).unwrap(),
    )
}

/// The changes of one group in a report's data/changes.csv.
fn changes_of(dir: &Path, as_of: &str, group: &str) -> usize {
    rows(dir.join("out").join(as_of).join("data/changes.csv"))
        .iter()
        .filter(|r| r[0] == group)
        .count()
}

#[test]
fn a_day_without_the_managed_export_keeps_sso_and_2sv_and_raises_no_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let users = |day: &str| export(&format!("users-{day}.csv"));
    let (code, stderr) = import(
        dir.path(),
        &[
            "--users",
            &users("2026-03-01"),
            "--managed",
            &export("managed-accounts.csv"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let (day_one, _) = report_of(dir.path(), "2026-03-01");
    // Managed with access: u1 (single sign-on) and u2 (2SV enabled).
    let expected = serde_json::json!({"sso": 1, "two_step_enabled": 1, "two_step_disabled": 0});
    assert_eq!(day_one["insights"]["managed_authentication"], expected);

    // Day 2: the users export alone. Each account keeps its last known
    // managed status, SSO and 2SV, and the page says where they come from.
    let (code, stderr) = import(dir.path(), &["--users", &users("2026-03-02")]);
    assert_eq!(code, Some(0), "{stderr}");
    let (day_two, page) = report_of(dir.path(), "2026-03-02");
    assert_eq!(day_two["insights"]["managed_authentication"], expected);
    let today = chrono::Utc::now().date_naive();
    assert!(
        page.contains(&format!(
            "SSO and 2SV as of the managed accounts export of {today}"
        )),
        "the page names the export"
    );
    for group in [
        "two_step_lost",
        "two_step_gained",
        "sso_lost",
        "sso_gained",
        "external_added",
    ] {
        assert_eq!(changes_of(dir.path(), "2026-03-02", group), 0, "{group}");
    }

    // Past [import] managed_max_age_days (30) SSO and 2SV are not recorded,
    // the page says to export again, and still no change is reported.
    let exported = backdate(&dir.path().join("bundle"), "managed_export_on", 31);
    let (code, stderr) = import(dir.path(), &["--users", &users("2026-03-03")]);
    assert_eq!(code, Some(0), "{stderr}");
    let (day_three, page) = report_of(dir.path(), "2026-03-03");
    assert!(day_three["insights"]["managed_authentication"].is_null());
    assert!(day_three["missing"]["managed_authentication"].is_string());
    assert!(
        page.contains(&format!("The last managed accounts export, of {exported}, is older than [import] managed_max_age_days")),
        "the page says to export again"
    );
    for group in [
        "two_step_lost",
        "two_step_gained",
        "sso_lost",
        "sso_gained",
        "external_added",
    ] {
        assert_eq!(changes_of(dir.path(), "2026-03-03", group), 0, "{group}");
    }
    // Managed status still comes from the last managed export: u1 managed,
    // u3 external, u2 deactivated on day 3.
    assert_eq!(
        day_three["insights"]["users_with_access"],
        serde_json::json!({"managed": 1, "external": 1, "total": 2})
    );
}

#[test]
fn an_import_that_cannot_tell_managed_from_external_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import(dir.path(), &["--users", &export("users-2026-03-01.csv")]);
    assert_eq!(code, Some(2), "{stderr}");
    for part in [
        "--managed",
        "--verified-domains",
        "[import] verified_domains",
        "nothing was written",
    ] {
        assert!(stderr.contains(part), "{part} in {stderr}");
    }
    assert!(!dir.path().join("bundle").exists());

    // [import] verified_domains serve `import` too, without a drop folder.
    fs::write(
        dir.path().join("org-insights.toml"),
        "[import]\nverified_domains = [\"acme.com\"]\n",
    )
    .unwrap();
    let (code, stderr) = import(dir.path(), &["--users", &export("users-2026-03-01.csv")]);
    assert_eq!(code, Some(0), "{stderr}");
    let (json, _) = report_of(dir.path(), "2026-03-01");
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 2, "external": 1, "total": 3})
    );
    // The verified domains are in the bundle now: the next import needs
    // neither.
    fs::remove_file(dir.path().join("org-insights.toml")).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", &export("users-2026-03-02.csv")]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_report_on_old_exports_says_how_old_and_the_days_before_the_first_are_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = import_on_acme(dir.path(), &export("users-2026-03-01.csv"));
    assert_eq!(code, Some(0), "{stderr}");
    let imported = backdate(&dir.path().join("bundle"), "imported_on", 3);
    backdate(&dir.path().join("bundle"), "recorded_since", 3);
    let (_, page) = report_of(dir.path(), "2026-03-01");
    assert!(
        page.contains(&format!(
            "The newest export is 3 days old: nothing was imported since {imported}"
        )),
        "the page says how old the data is"
    );
    assert!(page.contains("Data imported from Atlassian"));

    // The first import's day is the first day with data: the daily chart
    // marks the days before it.
    let bundle = dir.path().join("bundle");
    let text = fs::read_to_string(bundle.join("bundle.toml")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("recorded_since"))
        .unwrap()
        .to_string();
    fs::write(
        bundle.join("bundle.toml"),
        text.replace(&line, "recorded_since = 2026-02-27"),
    )
    .unwrap();
    let (json, page) = report_of(dir.path(), "2026-03-01");
    let svg =
        fs::read_to_string(dir.path().join("out/2026-03-01/charts/active_users.svg")).unwrap();
    assert!(
        svg.contains(">\nno data\n</text>"),
        "the chart marks the days before"
    );
    // The page's table says "no data" for the 27 days of the window (31
    // January to 1 March) before 27 February;
    // insights.json keeps the contract's zero-filled days.
    assert_eq!(page.matches("<td class=\"num\">no data</td>").count(), 27);
    assert_eq!(
        json["insights"]["active_users"]["daily"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
    assert_eq!(json["insights"]["active_users"]["daily"][0]["active"], 0);
}

/// A download cut in the middle of a record, and an export that holds only
/// its header: refused with the line and what to do; the bundle as it was.
#[test]
fn a_cut_or_empty_export_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        import_on_acme(dir.path(), &export("users-2026-03-01.csv")).0,
        Some(0)
    );
    let before = common::snapshot(&dir.path().join("bundle"));

    let whole = fs::read_to_string(export("users-2026-03-02.csv")).unwrap();
    let cut_at = whole.rfind(",User").unwrap();
    let cut = dir.path().join("users-cut.csv");
    fs::write(&cut, &whole[..cut_at]).unwrap();
    let lines = whole[..cut_at].lines().count();
    // The last line is cut before its last two cells (no quoted commas).
    let fields = whole[..cut_at].lines().last().unwrap().split(',').count();
    assert_eq!(fields, 9);
    let (code, stderr) = import(dir.path(), &["--users", cut.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("users-cut.csv: line {lines}, value \"9 fields\"")),
        "{stderr}"
    );
    assert!(
        stderr.contains("11 fields, as the header has: the export is cut short"),
        "{stderr}"
    );

    let empty = dir.path().join("users-empty.csv");
    fs::write(&empty, whole.lines().next().unwrap()).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", empty.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("the export holds nobody"), "{stderr}");
    assert_eq!(common::snapshot(&dir.path().join("bundle")), before);
}

/// Two days' exports of the same name both stay in done/, each under the
/// day it was imported: the raw export of a day is evidence.
#[test]
fn done_keeps_every_export_and_overwrites_none() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    fs::create_dir(&exports).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"out\"\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n",
    )
    .unwrap();
    for name in ["users-2026-03-01.csv", "users-2026-03-02.csv"] {
        fs::copy(export(name), exports.join("export-users.csv")).unwrap();
        Cli::new(dir.path()).args(["--run-now"]).run().ok();
    }
    let today = chrono::Utc::now().date_naive().to_string();
    let done = exports.join("done").join(today);
    assert_eq!(
        fs::read(done.join("export-users.csv")).unwrap(),
        fs::read(export("users-2026-03-01.csv")).unwrap()
    );
    assert_eq!(
        fs::read(done.join("export-users-2.csv")).unwrap(),
        fs::read(export("users-2026-03-02.csv")).unwrap()
    );
}

/// A spreadsheet or an unfinished download in the drop folder is named in
/// the log and by doctor, and left where it is.
#[test]
fn files_the_drop_folder_does_not_know_are_named_and_left() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    fs::create_dir(&exports).unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"out\"\n[import]\nfrom = \"exports\"\nverified_domains = [\"acme.com\"]\n",
    )
    .unwrap();
    fs::copy(export("users-2026-03-01.csv"), exports.join("users.csv")).unwrap();
    fs::write(exports.join("users (1).xlsx"), b"PK\x03\x04").unwrap();
    fs::write(exports.join("export.csv.crdownload"), b"User id,").unwrap();
    fs::write(exports.join("notes.csv"), "a,b\n1,2\n").unwrap();
    let doctor = Cli::new(dir.path()).args(["doctor"]).run();
    let stdout = doctor.stdout_text();
    assert!(
        stdout.contains(
            "no export of admin.atlassian.com and stay there: export.csv.crdownload, notes.csv, users (1).xlsx"
        ),
        "{stdout}"
    );
    let run = Cli::new(dir.path()).args(["--run-now"]).run().ok();
    let stderr = run.stderr_text();
    for name in ["users (1).xlsx", "export.csv.crdownload", "notes.csv"] {
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(exports.join(name).exists(), "{name} stays");
    }
    assert!(
        !exports.join("users.csv").exists(),
        "the export moved to done/"
    );
}

/// Day 1 with the managed accounts export, day 2 with the users export
/// alone and a new hire: the managed export's domain is verified, so the
/// new hire is managed; no managed export has given the hire's sign-in, so
/// it is in no authentication group and not to fix, and counted apart.
#[test]
fn a_new_hire_on_a_users_only_day_is_managed_with_sign_in_not_recorded() {
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
    let mut day_two = fs::read_to_string(export("users-2026-03-02.csv")).unwrap();
    day_two.push_str(
        "u9,Nia New,nia@acme.com,Active,1 Mar 2026,Member,2 Mar 2026,Never accessed,Never accessed,User,\n",
    );
    let users = dir.path().join("users-day-two.csv");
    fs::write(&users, day_two).unwrap();
    let (code, stderr) = import(dir.path(), &["--users", users.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let (json, page) = report_of(dir.path(), "2026-03-02");
    let i = &json["insights"];
    // u1, u2 and now u9 are managed with access; u3 is external.
    assert_eq!(
        i["users_with_access"],
        serde_json::json!({"managed": 3, "external": 1, "total": 4})
    );
    // u1 single sign-on, u2 2SV: u9 is in neither group nor the third.
    assert_eq!(
        i["managed_authentication"],
        serde_json::json!({"sso": 1, "two_step_enabled": 1, "two_step_disabled": 0})
    );
    assert_eq!(json["data_quality"]["auth_not_recorded"], 1);
    let acme = i["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == "acme.com")
        .unwrap();
    assert_eq!(
        acme["verified"], true,
        "the managed export's domain is verified"
    );
    assert!(page.contains("1 managed account with access is not yet in a managed accounts export"));
}

/// Excel writes CRLF: a problem is on the line an editor shows, blank
/// lines counted, and a cell does not keep the line end.
#[test]
fn crlf_exports_name_the_right_line() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.csv");
    fs::write(
        &users,
        "User id,User name,email,User status,Last seen in Jira - acme\r\n\
         u1,Ana,ana@acme.com,Active,1 Mar 2026\r\n\
         \r\n\
         u2,Bo,bo@acme.com,Active,31 Feb 2026\r\n",
    )
    .unwrap();
    let (code, stderr) = import_on_acme(dir.path(), users.to_str().unwrap());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "users.csv: line 4, column 'last seen in jira - acme', value \"31 Feb 2026\""
        ),
        "{stderr}"
    );
}

/// Excel's marks on an export, each said once in words: dates rewritten
/// by a re-save, a Windows-1252 file, the wrong export for the option.
#[test]
fn an_export_excel_touched_is_explained_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let header = "User id,User name,email,User status,Added to org,Last seen in Jira - acme\n";
    let resaved = dir.path().join("users-resaved.csv");
    let mut rows = String::from(header);
    for i in 0..50 {
        rows.push_str(&format!(
            "u{i},N,n{i}@acme.com,Active,28/06/2024,01/03/2026\n"
        ));
    }
    fs::write(&resaved, rows).unwrap();
    let args = |path: &Path| {
        vec![
            "--users".to_string(),
            path.display().to_string(),
            "--verified-domains".to_string(),
            "acme.com".to_string(),
        ]
    };
    let run = |path: &Path| {
        let args = args(path);
        import(
            dir.path(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let (code, stderr) = run(&resaved);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("re-saved by a spreadsheet").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("line 2, column 'added to org', value \"28/06/2024\""),
        "{stderr}"
    );

    let ansi = dir.path().join("users-ansi.csv");
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(b"u1,Ren\xe9e,renee@acme.com,Active,3 Jan 2024,1 Mar 2026\n");
    fs::write(&ansi, bytes).unwrap();
    let (code, stderr) = run(&ansi);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("users-ansi.csv: line 2"), "{stderr}");
    assert!(stderr.contains("(Windows-1252)"), "{stderr}");
    assert!(stderr.contains("CSV UTF-8 (Comma delimited)"), "{stderr}");

    let (code, stderr) = run(Path::new(&export("managed-accounts.csv")));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("this file looks like the managed accounts export (Directory > Managed accounts > Export accounts): give it with --managed"),
        "{stderr}"
    );
    assert!(!dir.path().join("bundle").exists(), "nothing was written");
}
