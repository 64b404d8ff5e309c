//! `org-insights access-review`: the periodic user access review that
//! SOC 2 (CC6.2, CC6.3) and ISO 27001 (A.5.18) ask for, with evidence an
//! auditor accepts. `start` writes `<out_dir>/access-reviews/<as_of>/`:
//! `review.csv` (one row per account with access and product, for the
//! reviewers to decide), `manifest.json` (the population, the file's
//! SHA-256 and the exports or pull it came from) and a printable
//! `index.html`. `status` counts what is decided. `close --reviewer NAME`
//! checks every decision and that the population did not change, then
//! writes the evidence (`evidence.json`, `evidence.html`), the accesses
//! to remove (`revoke.csv`, and `revoke-plan.csv` for reclaim) and
//! `SHA256SUMS` of every file of the review.

mod evidence;
mod population;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

pub use evidence::close;
pub use population::{population, Access};

use population::at::{ACCOUNT_ID, ADDED, DECISION, LAST_ACTIVE, PRODUCT};

use crate::bundle::manifest::Manifest;
use crate::problems::{BadInput, Problem, ReadError};
use crate::support::checksum::sha256_hex as sha256;
use crate::support::csv::{csv_file, without_bom};

/// The folder of every review below the output folder.
pub const FOLDER: &str = "access-reviews";
const REVIEW: &str = "review.csv";
const MANIFEST: &str = "manifest.json";
const EVIDENCE: &str = "evidence.json";

/// The digest of an access's facts: what `close` holds the edited file
/// to. A spreadsheet that opens and saves review.csv rewrites dates
/// (`2024-01-01` as `1/1/2024`) and flags (`true` as `TRUE`): the dates
/// (`last_active`, `added`) are left out and the rest compared in any case,
/// so that saving from Excel is not taken for a changed population.
fn facts_digest(facts: &[String]) -> String {
    const DATES: [usize; 2] = [LAST_ACTIVE, ADDED];
    let kept: Vec<String> = facts
        .iter()
        .enumerate()
        .filter(|(i, _)| !DATES.contains(i))
        .map(|(_, fact)| fact.to_lowercase())
        .collect();
    sha256(kept.join("\u{1f}").as_bytes())
}

/// Each review folder, by its date, oldest first.
fn reviews(out_dir: &Path) -> Vec<(NaiveDate, PathBuf)> {
    dated_folders(&out_dir.join(FOLDER))
}

/// The review started and not closed, if any.
fn open_review(out_dir: &Path) -> Option<(NaiveDate, PathBuf)> {
    reviews(out_dir)
        .into_iter()
        .rev()
        .find(|(_, folder)| !folder.join(EVIDENCE).exists())
}

/// The newest closed review dated before `before`.
fn last_closed(out_dir: &Path, before: NaiveDate) -> Option<(NaiveDate, PathBuf)> {
    reviews(out_dir)
        .into_iter()
        .rev()
        .find(|(day, folder)| *day < before && folder.join(EVIDENCE).exists())
}

/// One row of a review.csv as read back: its line and cells.
struct ReadRow {
    line: u64,
    cells: Vec<String>,
}

/// The rows of `folder`'s review.csv (a BOM allowed, as Excel keeps it).
fn read_review(folder: &Path) -> Result<Vec<ReadRow>, ReadError> {
    let path = folder.join(REVIEW);
    let display = path.display().to_string();
    let bytes = std::fs::read(&path).with_context(|| format!("reading {display}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(without_bom(&bytes));
    let header: Vec<String> = reader
        .headers()
        .map_err(|err| {
            BadInput::single(Problem::file(
                display.clone(),
                format!("a header row ({err})"),
            ))
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if header != population::COLUMNS {
        return Err(BadInput::single(Problem::file(
            display,
            format!("the columns start wrote: {}", population::COLUMNS.join(",")),
        ))
        .into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| {
            BadInput::single(Problem::file(
                display.clone(),
                format!("a readable record ({err})"),
            ))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let mut cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        cells.resize(population::COLUMNS.len(), String::new());
        rows.push(ReadRow { line, cells });
    }
    Ok(rows)
}

/// The decisions of a closed review, by (account, product).
fn decisions_of(folder: &Path) -> HashMap<(String, String), String> {
    let Ok(rows) = read_review(folder) else {
        return HashMap::new();
    };
    rows.into_iter()
        .map(|r| {
            let key = (r.cells[ACCOUNT_ID].clone(), r.cells[PRODUCT].clone());
            (key, r.cells[DECISION].to_lowercase())
        })
        .collect()
}

/// The last closed review's decision of each access, for `start`.
pub fn previous_decisions(out_dir: &Path, as_of: NaiveDate) -> HashMap<(String, String), String> {
    last_closed(out_dir, as_of.succ_opt().unwrap_or(as_of))
        .map(|(_, folder)| decisions_of(&folder))
        .unwrap_or_default()
}

/// What fed the bundle, for the manifest: the exports of the drop folder's
/// `done/` (each with its import day and SHA-256), or the API pull's day.
pub fn source_of(manifest: &Manifest, drop_folder: Option<&Path>) -> Value {
    let mut exports = Vec::new();
    if let Some(done) = drop_folder.map(|f| f.join("done")) {
        for (day, folder) in dated_folders(&done) {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                let Ok(bytes) = std::fs::read(&file) else {
                    continue;
                };
                exports.push(json!({
                    "file": file.strip_prefix(&done).unwrap_or(&file).display().to_string(),
                    "imported_on": day.to_string(),
                    "sha256": sha256(&bytes),
                }));
            }
        }
    }
    json!({
        "description": manifest.source,
        "pulled_on": manifest.pulled_on.map(|d| d.to_string()),
        "imported_on": manifest.imported_on.map(|d| d.to_string()),
        "managed_export_on": manifest.managed_export_on.map(|d| d.to_string()),
        "exports": exports,
    })
}

/// The folders of `folder` named by a date (`2026-11-30`), oldest first.
fn dated_folders(folder: &Path) -> Vec<(NaiveDate, PathBuf)> {
    let days = crate::report::past::dated_reports(folder);
    days.into_iter()
        .map(|day| (day, folder.join(day.to_string())))
        .collect()
}

/// Writes a new review of `rows` as of `as_of`; refused while a review is
/// open, or when one of that date exists.
pub fn start(
    out_dir: &Path,
    as_of: NaiveDate,
    rows: &[Access],
    source: Value,
) -> Result<PathBuf, ReadError> {
    if let Some((day, folder)) = open_review(out_dir) {
        return Err(refused(
            &folder,
            format!("no open access review: the review of {day} is not closed; close it (access-review close --reviewer NAME) before starting another"),
        ));
    }
    let folder = out_dir.join(FOLDER).join(as_of.to_string());
    if folder.exists() {
        return Err(refused(
            &folder,
            format!("no review of {as_of} yet: one was closed; start with another --as-of"),
        ));
    }
    write_review(&folder, as_of, rows, source)?;
    Ok(folder)
}

/// review.csv, manifest.json and index.html of a new review.
fn write_review(
    folder: &Path,
    as_of: NaiveDate,
    rows: &[Access],
    source: Value,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let blank = vec![String::new(); population::FILLED_IN];
    let review = csv_file(
        &population::COLUMNS,
        rows.iter().map(|r| {
            r.cells
                .iter()
                .cloned()
                .chain(blank.iter().cloned())
                .collect()
        }),
    )?;
    std::fs::write(folder.join(REVIEW), &review)?;
    let manifest = manifest(as_of, rows, &review, source);
    std::fs::write(folder.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    let page = evidence::render("access-review.html", &manifest)?;
    std::fs::write(folder.join("index.html"), page)?;
    Ok(())
}

/// A review's manifest.json.
fn read_manifest(folder: &Path) -> anyhow::Result<Value> {
    let path = folder.join(MANIFEST);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))
}

fn manifest(as_of: NaiveDate, rows: &[Access], review: &[u8], source: Value) -> Value {
    let mut by_product: BTreeMap<&str, u64> = BTreeMap::new();
    for row in rows {
        *by_product.entry(row.product()).or_default() += 1;
    }
    let accounts: std::collections::BTreeSet<&str> = rows.iter().map(Access::account_id).collect();
    json!({
        "review": as_of.to_string(),
        "started_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "population": {"accounts": accounts.len(), "accesses": rows.len(), "by_product": by_product},
        "review_csv": {"file": REVIEW, "sha256": sha256(review)},
        "source": source,
        "rows": rows.iter().map(|r| json!([r.account_id(), r.product(), facts_digest(&r.cells)])).collect::<Vec<_>>(),
    })
}

fn refused(folder: &Path, expected: String) -> ReadError {
    BadInput::about(
        "the command line",
        Problem::file(folder.display().to_string(), expected),
    )
    .into()
}

/// What `status` prints: decided and undecided rows per product of the
/// open review, and the days since it started; without one, when the next
/// review is due (`every_days` after the last closed one).
pub fn status(out_dir: &Path, every_days: u32, today: NaiveDate) -> Result<String, ReadError> {
    let Some((day, folder)) = open_review(out_dir) else {
        let next = last_closed(out_dir, NaiveDate::MAX)
            .map(|(day, _)| day + chrono::Days::new(u64::from(every_days)));
        return Ok(match next {
            Some(next) => format!("No access review is open. The next is due on {next} ([access_review] every_days = {every_days}).\n"),
            None => "No access review yet: start one with org-insights access-review start.\n".to_string(),
        });
    };
    let manifest = read_manifest(&folder)?;
    let started = manifest["started_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(day, |t| t.with_timezone(&Utc).date_naive());
    let mut by_product: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in read_review(&folder)? {
        let entry = by_product.entry(row.cells[PRODUCT].clone()).or_default();
        if row.cells[DECISION].is_empty() {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    let mut text = format!(
        "Access review of {day}, started {} days ago ({}):\n",
        (today - started).num_days(),
        folder.join(REVIEW).display()
    );
    for (product, (decided, undecided)) in by_product {
        text.push_str(&format!(
            "  {product:<28} {decided} decided, {undecided} undecided\n"
        ));
    }
    Ok(text)
}
