//! Closing an access review: every decision checked, the population held
//! to what `start` wrote, then the evidence an auditor tests, the accesses
//! to remove, and `SHA256SUMS` of every file of the review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};

use super::population::at::{
    ACCOUNT_ID, DECISION, EMAIL, LAST_ACTIVE, NAME, NOTE, PRODUCT, REVIEWER, ROLE, SITES,
};
use super::{
    facts_digest, last_closed, open_review, read_review, sha256, ReadRow, EVIDENCE, REVIEW,
};
use crate::problems::{BadInput, Location, Problem, Problems, ReadError};
use crate::reclaim::PLAN_COLUMNS;
use crate::support::csv::csv_file;

/// The decisions a reviewer may write, in any case.
const DECISIONS: [&str; 3] = ["keep", "revoke", "exception"];

/// What `close` did.
#[derive(Debug)]
pub struct Closed {
    pub folder: PathBuf,
    pub decisions: BTreeMap<String, u64>,
}

/// An (account, product) access.
type Key = (String, String);

/// Closes the open review, signed by `reviewer`.
pub fn close(out_dir: &Path, reviewer: &str) -> Result<Closed, ReadError> {
    let Some((day, folder)) = open_review(out_dir) else {
        return Err(BadInput::about(
            "the command line",
            Problem::file(
                out_dir.join(super::FOLDER).display().to_string(),
                "an open access review to close: start one with org-insights access-review start",
            ),
        )
        .into());
    };
    let rows = read_review(&folder)?;
    let manifest = super::read_manifest(&folder)?;
    let mut problems = Problems::default();
    let file = folder.join(REVIEW).display().to_string();
    check_decisions(&rows, &file, &mut problems);
    check_population(&rows, &manifest, &file, &mut problems);
    problems.into_result()?;

    let previous = last_closed(out_dir, day).map(|(day, folder)| (day, read_review(&folder)));
    let previous = match previous {
        Some((day, Ok(rows))) => Some((day, rows)),
        Some((_, Err(err))) => return Err(err),
        None => None,
    };
    let evidence = evidence_of(day, reviewer, &rows, &manifest, previous.as_ref())?;
    write_closing_files(&folder, day, reviewer, &rows, &evidence)?;
    let decisions = DECISIONS
        .iter()
        .map(|d| {
            (
                d.to_string(),
                evidence["decisions"][*d].as_u64().unwrap_or(0),
            )
        })
        .collect();
    Ok(Closed { folder, decisions })
}

/// Each row decided `keep`, `revoke` or `exception` (with a note).
fn check_decisions(rows: &[ReadRow], file: &str, problems: &mut Problems) {
    for row in rows {
        let decision = row.cells[DECISION].to_lowercase();
        let expected = if !DECISIONS.contains(&decision.as_str()) {
            Some("a decision: keep, revoke or exception")
        } else if decision == "exception" && row.cells[NOTE].is_empty() {
            Some("a note saying why, for an exception")
        } else {
            None
        };
        if let Some(expected) = expected {
            problems.push(Problem {
                file: file.to_string(),
                location: Location::Line(row.line),
                column: Some(
                    if expected.contains("note") {
                        "note"
                    } else {
                        "decision"
                    }
                    .to_string(),
                ),
                value: Some(row.cells[DECISION].clone()),
                expected: expected.to_string(),
            });
        }
    }
}

/// The rows and their facts as `start` wrote them: none added, removed or
/// altered.
fn check_population(rows: &[ReadRow], manifest: &Value, file: &str, problems: &mut Problems) {
    let mut written: BTreeMap<Key, String> = BTreeMap::new();
    for row in manifest["rows"].as_array().into_iter().flatten() {
        let text = |i: usize| row[i].as_str().unwrap_or_default().to_string();
        written.insert((text(0), text(1)), text(2));
    }
    let mut seen = BTreeSet::new();
    for row in rows {
        let key = (row.cells[ACCOUNT_ID].clone(), row.cells[PRODUCT].clone());
        let expected = match written.get(&key) {
            None => Some("a row that start wrote: this access was added since"),
            Some(digest) if *digest != facts_digest(&row.cells[..DECISION]) => {
                Some("the facts that start wrote: an account or product of this row was altered")
            }
            Some(_) if !seen.insert(key.clone()) => Some("each access once: this row repeats one"),
            Some(_) => None,
        };
        if let Some(expected) = expected {
            problems.push(Problem {
                file: file.to_string(),
                location: Location::Line(row.line),
                column: None,
                value: Some(format!("{} {}", key.0, key.1)),
                expected: expected.to_string(),
            });
        }
    }
    for (account, product) in written.keys().filter(|k| !seen.contains(*k)) {
        problems.push(Problem {
            file: file.to_string(),
            location: Location::File,
            column: None,
            value: Some(format!("{account} {product}")),
            expected: "every row that start wrote: this access was removed from the file"
                .to_string(),
        });
    }
}

/// An access as evidence names it.
fn access_json(row: &ReadRow) -> Value {
    json!({
        "account_id": row.cells[ACCOUNT_ID], "email": row.cells[EMAIL], "product": row.cells[PRODUCT],
        "sites": row.cells[SITES], "role": row.cells[ROLE], "reviewer": row.cells[REVIEWER],
        "note": row.cells[NOTE],
    })
}

fn key_json((account, product): &Key) -> Value {
    json!({"account_id": account, "product": product})
}

/// evidence.json's content.
fn evidence_of(
    day: NaiveDate,
    reviewer: &str,
    rows: &[ReadRow],
    manifest: &Value,
    previous: Option<&(NaiveDate, Vec<ReadRow>)>,
) -> Result<Value, ReadError> {
    let mut decisions: BTreeMap<&str, u64> = DECISIONS.iter().map(|d| (*d, 0)).collect();
    for row in rows {
        if let Some(count) = decisions.get_mut(row.cells[DECISION].to_lowercase().as_str()) {
            *count += 1;
        }
    }
    let decided = |row: &ReadRow, d: &str| row.cells[DECISION].eq_ignore_ascii_case(d);
    let key = |row: &ReadRow| (row.cells[ACCOUNT_ID].clone(), row.cells[PRODUCT].clone());
    let now: BTreeSet<Key> = rows.iter().map(key).collect();
    let (before, revoked_before): (BTreeSet<Key>, BTreeSet<Key>) = match previous {
        Some((_, rows)) => (
            rows.iter().map(key).collect(),
            rows.iter()
                .filter(|r| decided(r, "revoke"))
                .map(key)
                .collect(),
        ),
        None => Default::default(),
    };
    let listed = |keys: Vec<&Key>| keys.into_iter().map(key_json).collect::<Vec<_>>();
    Ok(json!({
        "review": day.to_string(),
        "closed_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "reviewer": reviewer,
        "population": manifest["population"],
        "source": manifest["source"],
        "decisions": decisions,
        "revoked": rows.iter().filter(|r| decided(r, "revoke")).map(access_json).collect::<Vec<_>>(),
        "exceptions": rows.iter().filter(|r| decided(r, "exception")).map(access_json).collect::<Vec<_>>(),
        "compared_with": previous.map(|(day, _)| day.to_string()),
        "new_since_last": if previous.is_some() { listed(now.difference(&before).collect()) } else { Vec::new() },
        "removed_since_last": listed(before.difference(&now).collect()),
        "revocations_not_carried_out": listed(revoked_before.intersection(&now).collect()),
        "review_csv_sha256": manifest["review_csv"]["sha256"],
    }))
}

/// evidence.json and .html, revoke.csv, revoke-plan.csv and SHA256SUMS.
fn write_closing_files(
    folder: &Path,
    day: NaiveDate,
    reviewer: &str,
    rows: &[ReadRow],
    evidence: &Value,
) -> anyhow::Result<()> {
    let revoked: Vec<&ReadRow> = rows
        .iter()
        .filter(|r| r.cells[DECISION].eq_ignore_ascii_case("revoke"))
        .collect();
    let header = [
        "account_id",
        "email",
        "name",
        "product",
        "sites",
        "role",
        "reviewer",
        "note",
    ];
    let revoke = csv_file(
        &header,
        revoked.iter().map(|r| {
            [
                ACCOUNT_ID, EMAIL, NAME, PRODUCT, SITES, ROLE, REVIEWER, NOTE,
            ]
            .iter()
            .map(|&i| r.cells[i].clone())
            .collect()
        }),
    )?;
    std::fs::write(folder.join("revoke.csv"), revoke)?;
    std::fs::write(
        folder.join("revoke-plan.csv"),
        revoke_plan(day, reviewer, rows)?,
    )?;
    std::fs::write(
        folder.join("evidence.html"),
        render("evidence.html", evidence)?,
    )?;
    // Written last of the evidence: its presence is what closes the review.
    std::fs::write(
        folder.join(EVIDENCE),
        serde_json::to_vec_pretty(evidence).context("writing evidence.json")?,
    )?;
    std::fs::write(folder.join("SHA256SUMS"), sums(folder)?)?;
    Ok(())
}

/// A reclaim plan of the accounts whose every access was revoked, for
/// `reclaim --apply --plan`: reclaim's rules apply to it as to its own.
fn revoke_plan(day: NaiveDate, reviewer: &str, rows: &[ReadRow]) -> anyhow::Result<Vec<u8>> {
    let mut by_account: BTreeMap<&str, Vec<&ReadRow>> = BTreeMap::new();
    for row in rows {
        by_account
            .entry(row.cells[ACCOUNT_ID].as_str())
            .or_default()
            .push(row);
    }
    let plan_rows = by_account
        .into_iter()
        .filter(|(_, accesses)| {
            accesses
                .iter()
                .all(|r| r.cells[DECISION].eq_ignore_ascii_case("revoke"))
        })
        .map(|(account, accesses)| {
            let products: Vec<&str> = accesses.iter().map(|r| r.cells[PRODUCT].as_str()).collect();
            let per_product: Vec<String> = accesses
                .iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        r.cells[PRODUCT],
                        if r.cells[LAST_ACTIVE].is_empty() {
                            "never"
                        } else {
                            &r.cells[LAST_ACTIVE]
                        }
                    )
                })
                .collect();
            let last = accesses
                .iter()
                .map(|r| r.cells[LAST_ACTIVE].clone())
                .max()
                .unwrap_or_default();
            vec![
                account.to_string(),
                accesses[0].cells[EMAIL].clone(),
                products.join("; "),
                per_product.join("; "),
                last,
                String::new(),
                format!("every access revoked in the access review of {day} (reviewer {reviewer})"),
            ]
        })
        .collect::<Vec<_>>();
    csv_file(&PLAN_COLUMNS, plan_rows.into_iter())
}

/// `sha256sum -c`'s format for every file of `folder` but itself.
fn sums(folder: &Path) -> anyhow::Result<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "SHA256SUMS")
        .collect();
    names.sort();
    let mut text = String::new();
    for name in names {
        let bytes = std::fs::read(folder.join(&name))?;
        text.push_str(&format!("{}  {name}\n", sha256(&bytes)));
    }
    Ok(text)
}

/// A page of the review from its built-in template.
pub(super) fn render(template: &str, values: &Value) -> anyhow::Result<String> {
    let env = crate::report::templates::environment()?;
    env.get_template(template)?
        .render(values)
        .with_context(|| format!("rendering {template}"))
}
