//! A reclaim plan file read back for `--apply`: the apply acts on the
//! accounts the file names and no other, so what the admin read is what is
//! done. Its SHA-256 goes into every ledger entry; a file older than
//! `[reclaim] plan_max_age_days` is refused.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::problems::{BadInput, Location, Problem};
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
        let display = path.display().to_string();
        let bad = |location: Location, expected: String| {
            BadInput::single(Problem {
                file: display.clone(),
                location,
                column: None,
                value: None,
                expected,
            })
        };
        let bytes = std::fs::read(path)
            .map_err(|err| bad(Location::File, format!("a readable reclaim plan ({err})")))?;
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|written| SystemTime::now().duration_since(written).ok())
            .unwrap_or_default();
        if age > Duration::from_secs(u64::from(max_age_days) * 86_400) {
            return Err(bad(
                Location::File,
                format!(
                    "a plan written in the last {max_age_days} days ([reclaim] plan_max_age_days): this one is {} days old; \
                     make a new one with org-insights reclaim, read it, then apply it; nothing was sent",
                    age.as_secs() / 86_400
                ),
            ));
        }
        let accounts = rows(&bytes, &bad)?;
        Ok(PlanFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: hex(&Sha256::digest(&bytes)),
            accounts,
        })
    }
}

/// Lower-case hex, as `sha256sum` prints a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The accounts of a plan file's bytes (a UTF-8 BOM allowed).
fn rows(
    bytes: &[u8],
    bad: &dyn Fn(Location, String) -> BadInput,
) -> Result<Vec<PlanRow>, BadInput> {
    let mut reader = csv::Reader::from_reader(without_bom(bytes));
    let header = reader
        .headers()
        .map_err(|err| bad(Location::File, format!("a header row ({err})")))?
        .clone();
    if header.iter().collect::<Vec<_>>() != PLAN_COLUMNS {
        return Err(bad(
            Location::Line(1),
            format!(
                "a plan written by org-insights reclaim ({})",
                PLAN_COLUMNS.join(",")
            ),
        ));
    }
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|err| bad(Location::File, format!("a readable record ({err})")))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or("").to_string();
        if cell(0).is_empty() {
            return Err(bad(Location::Line(line), "an account_id".into()));
        }
        let last_active = match record.get(4).unwrap_or("") {
            "" => None,
            text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                bad(
                    Location::Line(line),
                    format!("a date as YYYY-MM-DD in column last_active, not '{text}'"),
                )
            })?),
        };
        accounts.push(PlanRow {
            account_id: cell(0),
            email: cell(1),
            last_active,
            why: cell(6),
        });
    }
    Ok(accounts)
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
