//! Activity's bad rows, set aside by the run's one pass, held against
//! `org-insights check`, which reads activity as it reads every table
//! (with polars, judging each cell by the same rules): for every awkward
//! cell, both must find the same bad cells, placed on the same lines and
//! rows, in the same words, in CSV and in Parquet, typed or as text.

use crate::common;

use std::fs;
use std::path::Path;

use common::Cli;
use polars::prelude::*;

const HEADER: [&str; 8] = common::ACTIVITY_COLUMNS;
const GOOD: [&str; 8] = ["2026-11-10", "a1", "jira", "s1", "web", "view", "true", "1"];

/// Cells the contract allows and cells it refuses, each put in a good row
/// in place of its column's: the test does not decide which is which, it
/// holds the run to the check.
const CELLS: &[(usize, &str)] = &[
    (0, " 2026-11-09 "),
    (0, "2026-1-05"),
    (0, "2026-02-30"),
    (0, "2026/11/09"),
    (0, ""),
    (1, "  "),
    (1, " a2 "),
    (1, "nobody"),
    (2, "JIRA"),
    (2, " "),
    (2, " Confluence "),
    (3, " "),
    (4, "Mobile"),
    (4, "tablet"),
    (4, " DESKTOP "),
    (5, "Rovo_Search"),
    (5, "jump"),
    (5, " AI "),
    (5, "rovo_third_party_clic\u{212A}"),
    (6, "Yes"),
    (6, "y"),
    (6, " 0 "),
    (6, "maybe"),
    (7, "+3"),
    (7, "0"),
    (7, "-3"),
    (7, "3.5"),
    (7, " 0042 "),
    (7, "1e3"),
    (7, "99999999999999999999"),
];

/// The rows of the bundle: a good row, then one per cell of [`CELLS`], a
/// row with two bad cells, and a row of spaces (skipped by both).
fn rows() -> Vec<Vec<String>> {
    let good: Vec<String> = GOOD.iter().map(|c| c.to_string()).collect();
    let mut rows = vec![good.clone()];
    for &(column, cell) in CELLS {
        let mut row = good.clone();
        row[column] = cell.to_string();
        rows.push(row);
        rows.push(good.clone());
    }
    let mut two = good.clone();
    two[0] = "2026-13-01".into();
    two[5] = "jump".into();
    rows.push(two);
    rows.push(vec!["   ".to_string(); 8]);
    rows.push(good);
    rows
}

fn write_bundle(data: &Path, activity: impl FnOnce(&Path)) {
    fs::create_dir_all(data).unwrap();
    fs::write(
        data.join("accounts.csv"),
        "account_id,email,account_type\na1,a1@acme.com,managed\na2,a2@acme.com,managed\n",
    )
    .unwrap();
    activity(data);
}

/// Activity as CSV, every field quoted, one field holding a line end so
/// that line numbers must follow quoted fields.
fn csv(data: &Path) {
    let quote = |cells: &[String]| -> String {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{c}\"")).collect();
        quoted.join(",") + "\n"
    };
    let mut text = quote(&HEADER.map(String::from));
    let mut rows = rows();
    rows[0][3] = "s\n1".into();
    for row in &rows {
        text.push_str(&quote(row));
    }
    fs::write(data.join("activity.csv"), text).unwrap();
}

/// Activity as Parquet: every column as text, or typed where a cell reads
/// as the type (else null, as an export with that type would hold it).
fn parquet(data: &Path, typed: bool) {
    let rows = rows();
    let column = |k: usize| -> Vec<String> { rows.iter().map(|r| r[k].clone()).collect() };
    let mut columns: Vec<Column> = (0..8)
        .map(|k| Column::new(HEADER[k].into(), column(k)))
        .collect();
    if typed {
        let date = column(0)
            .iter()
            .map(|c| c.parse::<chrono::NaiveDate>().ok())
            .collect::<Vec<_>>();
        let flag = column(6)
            .iter()
            .map(|c| match c.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            })
            .collect::<Vec<_>>();
        let count = column(7)
            .iter()
            .map(|c| c.trim().parse::<i64>().ok())
            .collect::<Vec<_>>();
        columns[0] = Column::new("date".into(), date);
        columns[6] = Column::new("success".into(), flag);
        columns[7] = Column::new("count".into(), count);
    }
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    let file = fs::File::create(data.join("activity.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

/// `check`'s problems with activity, one line each.
fn checked(dir: &Path) -> Vec<String> {
    let output = Cli::new(dir)
        .args(["check", "--data", "data"])
        .run()
        .code(2);
    output
        .stderr_text()
        .lines()
        .filter(|l| l.starts_with("activity."))
        .map(str::to_string)
        .collect()
}

/// The run's `bad_rows.csv`, each row in `check`'s words.
fn set_aside(dir: &Path, file: &str, place: &str) -> Vec<String> {
    fs::write(
        dir.join("org-insights.toml"),
        "[input]\nmax_bad_rows_percent = 100\n",
    )
    .unwrap();
    // Small Parquet slices and CSV pieces: rows and lines are placed
    // across them.
    Cli::new(dir)
        .report("data", "out")
        .args(["--as-of", "2026-11-30"])
        .env("ORG_INSIGHTS_SLICE_ROWS", "7")
        .env("ORG_INSIGHTS_CSV_PIECE_BYTES", "64")
        .run()
        .code(0);
    let text = common::csv_text(&dir.join("out/2026-11-30/data/bad_rows.csv"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            // A value a spreadsheet would run as a formula is written with
            // a quote before it.
            let value = match record[3].strip_prefix('\'') {
                Some(rest) if rest.starts_with(['-', '+', '=', '@']) => rest,
                _ => &record[3],
            };
            format!(
                "{file}: {place} {}, column '{}', value {value:?}: expected {}",
                &record[1], &record[2], &record[4]
            )
        })
        .collect()
}

#[test]
fn the_run_sets_aside_exactly_the_cells_check_names_in_every_spelling() {
    // The file's name, what places a row in it, and how to write it.
    type Form = (&'static str, &'static str, fn(&Path));
    let forms: [Form; 3] = [
        ("activity.csv", "line", csv),
        ("activity.parquet", "row", |data| parquet(data, false)),
        ("activity.parquet", "row", |data| parquet(data, true)),
    ];
    for (n, (file, place, activity)) in forms.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(&dir.path().join("data"), activity);
        let expected = checked(dir.path());
        assert!(expected.len() >= 10, "form {n}: {expected:#?}");
        assert_eq!(set_aside(dir.path(), file, place), expected, "form {n}");
    }
}

#[test]
fn above_the_limit_the_run_stops_with_the_check_s_first_fifty_problems() {
    // 60 rows of 120 with a bad count, far above the default 1 %.
    let mut text = String::from("date,account_id,product,count\n");
    for i in 0..120 {
        let count = if i % 2 == 0 { "0" } else { "2" };
        text.push_str(&format!("2026-11-{:02},a1,jira,{count}\n", 1 + i % 28));
    }
    let dir = tempfile::tempdir().unwrap();
    write_bundle(&dir.path().join("data"), |data| {
        fs::write(data.join("activity.csv"), &text).unwrap()
    });
    let check = Cli::new(dir.path())
        .args(["check", "--data", "data"])
        .run()
        .code(2);
    let expected = check.stderr_text();
    assert!(expected.contains("60 problem(s)"), "{expected}");
    assert!(expected.contains("… and 10 more problems"), "{expected}");
    let ran = Cli::new(dir.path()).report("data", "out").run().code(2);
    assert_eq!(ran.stderr_text(), expected);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn without_as_of_the_report_date_is_the_latest_valid_date_of_any_row() {
    // The latest row's count is bad (the row is set aside, but its date
    // is valid, as the check reads it); a later date that does not exist
    // counts nowhere.
    let text = "date,account_id,product,count\n\
                2026-11-18,a1,jira,1\n\
                2026-11-20,a1,jira,0\n\
                2026-11-31,a2,jira,1\n\
                2026-11-19,a2,jira,1\n";
    for pieces in ["16", "4096"] {
        let dir = tempfile::tempdir().unwrap();
        write_bundle(&dir.path().join("data"), |data| {
            fs::write(data.join("activity.csv"), text).unwrap()
        });
        fs::write(
            dir.path().join("org-insights.toml"),
            "[input]\nmax_bad_rows_percent = 50\n",
        )
        .unwrap();
        Cli::new(dir.path())
            .report("data", "out")
            .env("ORG_INSIGHTS_CSV_PIECE_BYTES", pieces)
            .run()
            .code(0);
        assert!(
            dir.path().join("out/2026-11-20/insights.json").exists(),
            "{pieces}: {:?}",
            fs::read_dir(dir.path().join("out"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name())
                .collect::<Vec<_>>()
        );
    }
}
