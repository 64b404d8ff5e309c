//! A reclaim plan file read back for `--apply`: the apply acts on the
//! accounts the file names and no other, so what the admin read is what is
//! done. Its SHA-256 goes into every ledger entry; a file older than
//! `[reclaim] plan_max_age_days` is refused.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use csv::StringRecord;

use crate::problems::{BadInput, Location, Problem};
use crate::support::checksum::sha256_hex;
use crate::support::csv::without_bom;

/// The columns of a plan file, as `write_plan` writes them.
pub const PLAN_COLUMNS: [&str; 7] = [
    "account_id",
    "email",
    "products",
    "last_active_per_product",
    "last_active",
    "days_idle",
    "why",
];

/// One account of a plan file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub account_id: String,
    /// As `[privacy] names` showed it.
    pub email: String,
    /// The last view of any of its products the plan knew.
    pub last_active: Option<NaiveDate>,
    pub why: String,
}

/// A plan file: its name, the SHA-256 of its bytes and its accounts.
#[derive(Debug, Clone)]
pub struct PlanFile {
    pub name: String,
    pub sha256: String,
    pub accounts: Vec<PlanRow>,
}

impl PlanFile {
    /// Reads `path`, refused when it is older than `max_age_days` (by the
    /// time it was written) or is not a plan `reclaim` wrote.
    pub fn read(path: &Path, max_age_days: u32) -> Result<Self, BadInput> {
        let bytes = std::fs::read(path).map_err(|err| {
            plan_problem(
                path,
                Location::File,
                format!("a readable reclaim plan ({err})"),
            )
        })?;
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|written| SystemTime::now().duration_since(written).ok())
            .unwrap_or_default();
        if age > Duration::from_secs(u64::from(max_age_days) * 86_400) {
            return Err(plan_problem(
                path,
                Location::File,
                format!(
                    "a plan written in the last {max_age_days} days ([reclaim] plan_max_age_days): this one is {} days old; \
                     make a new one with org-insights reclaim, read it, then apply it; nothing was sent",
                    age.as_secs() / 86_400
                ),
            ));
        }
        let mut accounts = Vec::new();
        for (line, record) in plan_records(path, &bytes, &PLAN_COLUMNS, "reclaim")? {
            let cell = |i: usize| record.get(i).unwrap_or("").to_string();
            if cell(0).is_empty() {
                return Err(plan_problem(
                    path,
                    Location::Line(line),
                    "an account_id".into(),
                ));
            }
            accounts.push(PlanRow {
                account_id: cell(0),
                email: cell(1),
                last_active: plan_day(path, line, &record, 4, &PLAN_COLUMNS)?,
                why: cell(6),
            });
        }
        Ok(PlanFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: sha256_hex(&bytes),
            accounts,
        })
    }
}

/// A problem of the plan file at `path`.
pub fn plan_problem(path: &Path, location: Location, expected: String) -> BadInput {
    BadInput::single(Problem {
        file: path.display().to_string(),
        location,
        column: None,
        value: None,
        expected,
    })
}

/// The records of a plan file that `org-insights <command>` wrote with
/// `columns` (a UTF-8 BOM allowed, as Excel keeps it), each with its line.
pub fn plan_records(
    path: &Path,
    bytes: &[u8],
    columns: &[&str],
    command: &str,
) -> Result<Vec<(u64, StringRecord)>, BadInput> {
    let mut reader = csv::Reader::from_reader(without_bom(bytes));
    let header = reader
        .headers()
        .map_err(|err| plan_problem(path, Location::File, format!("a header row ({err})")))?
        .clone();
    if header.iter().collect::<Vec<_>>() != columns {
        return Err(plan_problem(
            path,
            Location::Line(1),
            format!(
                "a plan written by org-insights {command} ({})",
                columns.join(",")
            ),
        ));
    }
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| {
            plan_problem(path, Location::File, format!("a readable record ({err})"))
        })?;
        records.push((record.position().map_or(0, |p| p.line()), record));
    }
    Ok(records)
}

/// Cell `i` of a plan record as a date (`YYYY-MM-DD`), or none when empty.
pub fn plan_day(
    path: &Path,
    line: u64,
    record: &StringRecord,
    i: usize,
    columns: &[&str],
) -> Result<Option<NaiveDate>, BadInput> {
    match record.get(i).unwrap_or("") {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                plan_problem(
                    path,
                    Location::Line(line),
                    format!(
                        "a date as YYYY-MM-DD in column {}, not '{text}'",
                        columns[i]
                    ),
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_reads_back_with_the_sha256_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan-2026-11-30.csv");
        let text =
            "\u{feff}account_id,email,products,last_active_per_product,last_active,days_idle,why\n\
                    i1,i1@acme.com,jira,jira never,,,never viewed any of its products\n\
                    i2,i2@acme.com,jira,jira 2026-07-01,2026-07-01,152,no view\n";
        std::fs::write(&path, text).unwrap();
        let plan = PlanFile::read(&path, 7).unwrap();
        assert_eq!(plan.name, "plan-2026-11-30.csv");
        // sha256sum of the same bytes, worked out independently.
        let expected = std::process::Command::new("sha256sum")
            .arg(&path)
            .output()
            .unwrap();
        let expected = String::from_utf8(expected.stdout).unwrap();
        assert_eq!(plan.sha256, expected.split_whitespace().next().unwrap());
        assert_eq!(plan.accounts.len(), 2);
        assert_eq!(
            plan.accounts[1].last_active,
            NaiveDate::from_ymd_opt(2026, 7, 1)
        );
        assert_eq!(plan.accounts[0].why, "never viewed any of its products");
    }

    #[test]
    fn an_old_plan_or_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.csv");
        std::fs::write(&path, "account_id,email\ni1,i1@acme.com\n").unwrap();
        let err = PlanFile::read(&path, 7).unwrap_err().to_string();
        assert!(
            err.contains("a plan written by org-insights reclaim"),
            "{err}"
        );
        std::fs::write(
            &path,
            "account_id,email,products,last_active_per_product,last_active,days_idle,why\n",
        )
        .unwrap();
        let ten_days_ago = SystemTime::now() - Duration::from_secs(10 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(ten_days_ago)
            .unwrap();
        let err = PlanFile::read(&path, 7).unwrap_err().to_string();
        assert!(err.contains("this one is 10 days old"), "{err}");
        assert!(PlanFile::read(&path, 30).is_ok());
    }
}
