//! Bad input through the real binary: every problem named with file, line,
//! column, value and expectation; exit code 2 (1 for I/O); nothing written;
//! earlier reports untouched.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{leftovers, read_json, snapshot, Cli};

const ACCOUNTS: &str =
    "account_id,email,account_type\na1,a@acme.com,managed\ne1,e@partner.com,external\n";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(files: &[(&str, &[u8])]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("data")).unwrap();
        for (name, bytes) in files {
            fs::write(dir.path().join("data").join(name), bytes).unwrap();
        }
        Case { dir }
    }

    fn run(&self) -> (i32, String) {
        let output = Cli::new(self.dir.path()).report("data", "out").run();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn check(&self) -> (i32, String) {
        let output = Cli::new(self.dir.path())
            .args(["check", "--data", "data"])
            .run();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

/// Asserts exit code 2, that `stderr` holds every `needle`, and that
/// nothing was written.
fn assert_rejected(case: &Case, needles: &[&str]) {
    let (code, stderr) = case.run();
    assert_eq!(code, 2, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!case.out().exists(), "nothing is written on bad input");
    let (code, check_stderr) = case.check();
    assert_eq!(code, 2);
    // The run's own warnings aside, its words are the check's.
    let problems: String = stderr
        .lines()
        .filter(|line| !line.contains(" WARN "))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(check_stderr, problems, "check reports the same problems");
}

#[test]
fn missing_accounts_table() {
    let case = Case::new(&[("activity.csv", b"date,account_id,product\n")]);
    assert_rejected(&case, &["accounts", "required"]);
}

#[test]
fn a_table_in_two_files() {
    let case = Case::new(&[
        ("accounts.csv", ACCOUNTS.as_bytes()),
        ("accounts.csv.gz", b""),
    ]);
    assert_rejected(
        &case,
        &[
            "accounts.csv and accounts.csv.gz",
            "one file for the accounts table",
        ],
    );
}

#[test]
fn missing_required_column() {
    let case = Case::new(&[("accounts.csv", b"account_id,email\na1,a@acme.com\n")]);
    assert_rejected(
        &case,
        &["accounts.csv: line 1, column 'account_type'", "required"],
    );
}

/// A run leaves activity's account ids to the computing pass; a blank one
/// must still be named with its line, alone or beside other problems,
/// exactly as `check` names it.
#[test]
fn blank_activity_account_ids_are_named() {
    let activity =
        b"date,account_id,product\n2026-01-02,a1,jira\n2026-01-02,   ,jira\n2026-01-03,,jira\n";
    let blank_only = Case::new(&[
        ("accounts.csv", ACCOUNTS.as_bytes()),
        ("activity.csv", activity),
    ]);
    let needles = [
        "activity.csv: line 3, column 'account_id', value \"   \"",
        "activity.csv: line 4, column 'account_id'",
    ];
    assert_rejected(&blank_only, &needles);

    let with_a_bad_date = Case::new(&[
        ("accounts.csv", ACCOUNTS.as_bytes()),
        (
            "activity.csv",
            &[activity.as_slice(), b"2026-02-30,a1,jira\n"].concat(),
        ),
    ]);
    assert_rejected(
        &with_a_bad_date,
        &[needles[0], needles[1], "line 5, column 'date'"],
    );

    let with_bad_accounts = Case::new(&[
        (
            "accounts.csv",
            b"account_id,email,account_type\na1,a@acme.com,robot\n",
        ),
        ("activity.csv", activity),
    ]);
    assert_rejected(
        &with_bad_accounts,
        &[
            needles[0],
            needles[1],
            "accounts.csv: line 2, column 'account_type'",
        ],
    );
}

#[test]
fn duplicate_account_id_names_both_lines() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,email,account_type\na1,a@acme.com,managed\nb1,b@acme.com,managed\n a1 ,c@acme.com,external\n",
    )]);
    assert_rejected(
        &case,
        &[
            "accounts.csv: line 4, column 'account_id', value \"a1\"",
            "already used on line 2",
        ],
    );
}

#[test]
fn bad_enum_date_boolean_and_number_each_named() {
    let case = Case::new(&[
        ("accounts.csv", b"account_id,email,account_type,sso\na1,a@acme.com,guest,maybe\ne1,e@@x.com,external,no\n"),
        (
            "activity.csv",
            b"date,account_id,product,count\n2026-13-01,a1,jira,1\n2026-01-02,a1,jira,0\n26-1-2,a1,jira,x\n",
        ),
    ]);
    assert_rejected(
        &case,
        &[
            "accounts.csv: line 2, column 'account_type', value \"guest\": expected one of managed, external",
            "accounts.csv: line 2, column 'sso', value \"maybe\": expected a boolean",
            "accounts.csv: line 3, column 'email', value \"e@@x.com\": expected an email address",
            "activity.csv: line 2, column 'date', value \"2026-13-01\": expected a date as YYYY-MM-DD",
            "activity.csv: line 3, column 'count', value \"0\": expected a whole number >= 1",
            "activity.csv: line 4, column 'date', value \"26-1-2\"",
            "activity.csv: line 4, column 'count', value \"x\"",
            "7 problem(s)",
        ],
    );
}

#[test]
fn line_numbers_count_line_breaks_inside_quotes() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,name,email,account_type\r\na1,\"two\r\nlines\",a@acme.com,managed\r\na2,x,b@acme.com,robot\r\n",
    )]);
    assert_rejected(
        &case,
        &["accounts.csv: line 4, column 'account_type', value \"robot\""],
    );
}

#[test]
fn at_most_fifty_problems_are_listed() {
    let mut accounts = String::from("account_id,email,account_type\n");
    for i in 0..60 {
        accounts.push_str(&format!("a{i},a{i}@acme.com,nobody\n"));
    }
    let case = Case::new(&[("accounts.csv", accounts.as_bytes())]);
    let (code, stderr) = case.run();
    assert_eq!(code, 2);
    assert_eq!(
        stderr.matches("expected one of managed, external").count(),
        50,
        "{stderr}"
    );
    assert!(stderr.contains("… and 10 more problems"), "{stderr}");
    assert!(stderr.contains("60 problem(s)"), "{stderr}");
}

#[test]
fn empty_file_and_header_only() {
    let case = Case::new(&[("accounts.csv", b"")]);
    assert_rejected(&case, &["accounts.csv", "header row"]);
    let case = Case::new(&[("accounts.csv", b"account_id,email,account_type\n")]);
    assert_rejected(&case, &["accounts.csv", "at least one account"]);
}

#[test]
fn non_utf8_file_names_its_line() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,email,account_type\na1,a@acme.com,managed\na2,\xff\xfe@acme.com,managed\n",
    )]);
    assert_rejected(&case, &["accounts.csv: line 3", "UTF-8"]);
}

#[test]
fn bundle_directory_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let output = Cli::new(dir.path()).report("nowhere", "out").run();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        Cli::new(dir.path())
            .args(["run", "--as-of", "yesterday"])
            .run()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        Cli::new(dir.path())
            .args(["frobnicate"])
            .run()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(Cli::new(dir.path()).run().status.code(), Some(2));
    // --run-now is the scheduled run: with `run` it would be a plain one.
    Cli::new(dir.path())
        .args(["run", "--run-now"])
        .run()
        .code(2)
        .stderr_has("problem(s) in the command line")
        .stderr_has("--run-now alone");
}

#[test]
fn output_directory_that_cannot_be_written_exits_1() {
    let case = Case::new(&[("accounts.csv", ACCOUNTS.as_bytes())]);
    fs::write(case.dir.path().join("blocker"), b"a file, not a directory").unwrap();
    let output = Cli::new(case.dir.path())
        .report("data", "blocker/reports")
        .run();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("blocker/reports: expected a folder to write the reports into"),
        "{stderr}"
    );
    assert!(stderr.contains("but blocker is a file"), "{stderr}");
    // The output path itself a file: said so, not "File exists".
    let output = Cli::new(case.dir.path()).report("data", "blocker").run();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("but it is a file"), "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
    assert_eq!(
        fs::read(case.dir.path().join("blocker")).unwrap(),
        b"a file, not a directory"
    );
}

#[test]
fn excel_utf16_and_semicolon_files_are_named_for_what_they_are() {
    // Excel's "Unicode text": UTF-16 little-endian with a BOM.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in ACCOUNTS.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let case = Case::new(&[("accounts.csv", &utf16)]);
    assert_rejected(
        &case,
        &[
            "accounts.csv",
            "this file is UTF-16",
            "\"CSV UTF-8 (Comma delimited)\"",
        ],
    );
    // The same without a BOM.
    let bare: Vec<u8> = utf16[2..].to_vec();
    let case = Case::new(&[("accounts.csv", &bare)]);
    assert_rejected(&case, &["this file is UTF-16"]);

    let semicolons = ACCOUNTS.replace(',', ";");
    let case = Case::new(&[("accounts.csv", semicolons.as_bytes())]);
    assert_rejected(
        &case,
        &[
            "accounts.csv: line 1",
            "this file looks semicolon-separated",
        ],
    );
}

#[test]
fn a_failed_run_leaves_earlier_reports_untouched() {
    let case = Case::new(&[("accounts.csv", ACCOUNTS.as_bytes())]);
    Cli::new(case.dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    let before = snapshot(&case.out());
    assert!(before.len() > 10, "a full report was written");

    fs::write(
        case.dir.path().join("data/accounts.csv"),
        "account_id,email,account_type\na1,a@acme.com,alien\n",
    )
    .unwrap();
    let output = Cli::new(case.dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(snapshot(&case.out()), before);
}

#[test]
fn rerunning_a_date_replaces_its_report_and_latest_follows_the_newest() {
    let case = Case::new(&[("accounts.csv", ACCOUNTS.as_bytes())]);
    for day in ["2026-01-02", "2026-01-01"] {
        let output = Cli::new(case.dir.path())
            .report("data", "out")
            .dated(day)
            .run();
        assert_eq!(output.status.code(), Some(0));
    }
    fs::write(
        case.dir.path().join("data/accounts.csv"),
        "account_id,email,account_type\na1,a@acme.com,managed\n",
    )
    .unwrap();
    let output = Cli::new(case.dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run();
    assert_eq!(output.status.code(), Some(0));

    let json: serde_json::Value = read_json(&case.out().join("2026-01-01/insights.json"));
    assert_eq!(json["insights"]["users_with_access"]["total"], 1);
    assert_eq!(
        fs::read_link(case.out().join("latest")).unwrap(),
        Path::new("2026-01-02")
    );
    let history = fs::read_to_string(case.out().join("history.csv")).unwrap();
    let dates: Vec<&str> = history.lines().skip(1).map(|l| &l[..10]).collect();
    assert_eq!(dates, ["2026-01-01", "2026-01-02"]);
    assert!(
        history
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2026-01-01,1,1,0,"),
        "{history}"
    );
    let left = leftovers(&case.out());
    assert!(left.is_empty(), "no temporary files are left: {left:?}");
}

#[test]
fn missing_optional_tables_give_null_and_a_reason() {
    let case = Case::new(&[("accounts.csv", ACCOUNTS.as_bytes())]);
    let output = Cli::new(case.dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = read_json(&case.out().join("2026-01-01/insights.json"));
    assert!(json["insights"]["active_users"].is_null());
    assert_eq!(
        json["missing"]["active_users"],
        "the bundle has no activity table"
    );
    assert_eq!(
        json["missing"]["rovo_access"],
        "the bundle has no product_access and sites tables"
    );
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 1, "external": 1, "total": 2})
    );
    let html = fs::read_to_string(case.out().join("2026-01-01/index.html")).unwrap();
    assert!(html.contains("No data: the bundle has no activity table."));
}

#[test]
fn blank_lines_are_skipped_and_lines_still_count_them() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,email,account_type\r\na1,a@x.com,managed\r\n\r\na2,b@x.com,bad1\r\n\r\n   \r\na3,\"c\r\nd@x.com\",managed\r\n,,\r\na4,e@x.com,bad2\r\n\r\n",
    )]);
    assert_rejected(
        &case,
        &[
            "2 problem(s)",
            "accounts.csv: line 4, column 'account_type', value \"bad1\"",
            "accounts.csv: line 10, column 'account_type', value \"bad2\"",
        ],
    );
}

#[test]
fn a_record_with_more_fields_than_the_header() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,email,account_type\na1,a@x.com,managed\na2,b@x.com,managed,surplus\n",
    )]);
    assert_rejected(
        &case,
        &["accounts.csv: line 3: expected 3 fields like the header, found 4"],
    );
}

#[test]
fn parquet_problems_name_the_row() {
    use polars::prelude::*;
    let case = Case::new(&[]);
    let mut frame = df!(
        "Account_ID" => ["a1", "a2", "a3"],
        "email" => ["a@x.com", "b@x.com", "c@x.com"],
        "account_type" => ["managed", "robot", "external"],
        "sso" => [Some(true), None, Some(false)],
    )
    .unwrap();
    let file = fs::File::create(case.dir.path().join("data/accounts.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    assert_rejected(
        &case,
        &["accounts.parquet: row 2, column 'account_type', value \"robot\""],
    );
}

#[test]
fn gzip_problems_name_the_line_and_a_broken_archive_is_named() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(b"account_id,email,account_type\na1,a@x.com,managed\na2,b@x.com,nobody\n")
        .unwrap();
    let case = Case::new(&[("accounts.csv.gz", &encoder.finish().unwrap())]);
    assert_rejected(
        &case,
        &["accounts.csv.gz: line 3, column 'account_type', value \"nobody\""],
    );

    let case = Case::new(&[("accounts.csv.gz", b"not gzip at all")]);
    assert_rejected(&case, &["accounts.csv.gz", "gzip"]);
}

#[test]
fn run_now_takes_its_folders_from_the_configuration() {
    let case = Case::new(&[("accounts.csv", ACCOUNTS.as_bytes())]);
    fs::write(
        case.dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nout_dir = \"published\"\n",
    )
    .unwrap();
    Cli::new(case.dir.path()).args(["--run-now"]).run().ok();
    assert!(case
        .dir
        .path()
        .join("published/latest/insights.json")
        .is_file());

    fs::write(
        case.dir.path().join("org-insights.toml"),
        "data_dir = \"data\"\nouts = 1\n",
    )
    .unwrap();
    let output = Cli::new(case.dir.path()).args(["--run-now"]).run();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("org-insights.toml") && stderr.contains("outs"),
        "{stderr}"
    );
}

#[test]
fn a_bundle_toml_naming_no_insight() {
    let case = Case::new(&[
        ("accounts.csv", ACCOUNTS.as_bytes()),
        (
            "bundle.toml",
            b"not_recorded = [\"mobile_usage\", \"moon_phase\"]\n",
        ),
    ]);
    assert_rejected(&case, &["bundle.toml", "moon_phase"]);
}

/// 70 bad rows of activity: 30 with a bad action (checked once per
/// distinct value), 20 with an empty account id (checked row by row) and
/// 20 with both. Each bad row counts once, whichever way it was checked.
#[test]
fn bad_rows_are_counted_once_across_grouped_and_row_by_row_checks() {
    let accounts: &[u8] = b"account_id,email,account_type\na1,a@x.com,managed\n";
    let mut ids = Vec::new();
    let mut actions = Vec::new();
    for i in 0..100 {
        ids.push(if (30..70).contains(&i) { "" } else { "a1" });
        actions.push(if i < 30 || (50..70).contains(&i) {
            "jump"
        } else {
            "view"
        });
    }
    let mut csv = String::from("date,account_id,product,action\n");
    for (id, action) in ids.iter().zip(&actions) {
        csv.push_str(&format!("2026-10-01,{id},jira,{action}\n"));
    }
    let case = Case::new(&[("accounts.csv", accounts), ("activity.csv", csv.as_bytes())]);
    let (code, stderr) = case.run();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("70 problem(s)"), "{stderr}");

    use polars::prelude::*;
    let case = Case::new(&[("accounts.csv", accounts)]);
    let mut frame = df!(
        "date" => vec![chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(); 100],
        "account_id" => ids,
        "product" => vec!["jira"; 100],
        "action" => actions,
    )
    .unwrap();
    let file = fs::File::create(case.dir.path().join("data/activity.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let (code, stderr) = case.run();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("70 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("activity.parquet: row 1, column 'action', value \"jump\""),
        "{stderr}"
    );
}

#[test]
fn a_table_that_is_a_named_pipe_is_refused_at_once() {
    // A FIFO named like a table or bundle.toml: reading it would wait for a
    // writer forever, and with it every later scheduled run.
    let cases = [
        (
            "domains.csv",
            "domains.csv: expected a regular file with the domains table, not a named pipe (FIFO)",
        ),
        (
            "bundle.toml",
            "bundle.toml: expected a regular file, not a named pipe (FIFO)",
        ),
    ];
    for (name, expected) in cases {
        let case = Case::new(&[(
            "accounts.csv",
            b"account_id,email,account_type\na1,a@acme.com,managed\n",
        )]);
        let fifo = std::ffi::CString::new(
            case.dir
                .path()
                .join("data")
                .join(name)
                .to_string_lossy()
                .as_bytes(),
        )
        .unwrap();
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        for command in [
            &["run", "--data", "data", "--out", "out"][..],
            &["check", "--data", "data"][..],
        ] {
            Cli::new(case.dir.path())
                .args(command)
                .deadline(std::time::Duration::from_secs(30))
                .run()
                .code(2)
                .stderr_has(expected);
        }
        assert!(!case.out().exists());
    }
}

/// 400 accounts, a{i}@acme.com, managed for even i, external for odd; the
/// rows of `bad` get the status "actve".
fn four_hundred_accounts(bad: &[usize]) -> String {
    let mut csv = String::from("account_id,email,account_type,status\n");
    for i in 0..400 {
        let kind = if i % 2 == 0 { "managed" } else { "external" };
        let status = if bad.contains(&i) { "actve" } else { "active" };
        csv.push_str(&format!("a{i},a{i}@acme.com,{kind},{status}\n"));
    }
    csv
}

#[test]
fn one_bad_row_in_400_is_set_aside_and_named_everywhere() {
    // Line 150 holds account 148 (the header is line 1).
    let case = Case::new(&[("accounts.csv", four_hundred_accounts(&[148]).as_bytes())]);
    let output = Cli::new(case.dir.path())
        .report("data", "out")
        .dated("2026-11-01")
        .run()
        .ok()
        .stderr_has("accounts.csv: line 150, column 'status', value \"actve\"");
    assert!(output.stderr_text().contains("set aside"));
    let report = case.out().join("2026-11-01");
    let json = read_json(&report.join("insights.json"));
    // Without product_access every active account has access: 399 of the
    // 400, the set-aside managed account 148 left out.
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 199, "external": 200, "total": 399})
    );
    assert_eq!(
        json["data_quality"]["set_aside_rows"],
        serde_json::json!({"accounts": 1})
    );
    assert_eq!(json["data_quality"]["rows"]["accounts"], 400);
    assert_eq!(
        common::csv_text(&report.join("data/bad_rows.csv")),
        "table,line,column,value,expected\naccounts,150,status,actve,\"one of active, suspended, deactivated\"\n"
    );
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(
        page.contains("Rows set aside"),
        "the data quality section lists it"
    );
    assert!(
        page.contains("accounts.csv: line 150, column &#x27;status&#x27;, value &quot;actve&quot;")
    );
    assert!(page.contains("href=\"data/bad_rows.csv\""));
}

#[test]
fn bad_rows_above_the_limit_stop_the_run_and_check_is_strict() {
    let bad: Vec<usize> = (0..40).map(|i| i * 10).collect();
    let case = Case::new(&[("accounts.csv", four_hundred_accounts(&bad).as_bytes())]);
    assert_rejected(
        &case,
        &["40 problem(s)", "accounts.csv: line 2, column 'status'"],
    );

    // One in 400 is within the default 1 %, but not within 0 %, and never
    // for check.
    let case = Case::new(&[("accounts.csv", four_hundred_accounts(&[7]).as_bytes())]);
    let (code, stderr) = case.check();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("accounts.csv: line 9, column 'status'"),
        "{stderr}"
    );
    fs::write(
        case.dir.path().join("org-insights.toml"),
        "[input]\nmax_bad_rows_percent = 0\n",
    )
    .unwrap();
    assert_rejected(&case, &["accounts.csv: line 9, column 'status'"]);
    // Four bad rows are exactly the default 1 % of 400: still a report.
    let case_at_limit = Case::new(&[(
        "accounts.csv",
        four_hundred_accounts(&[1, 2, 3, 4]).as_bytes(),
    )]);
    let (code, stderr) = case_at_limit.run();
    assert_eq!(code, 0, "{stderr}");
    let json = read_json(&case_at_limit.out().join("latest/insights.json"));
    assert_eq!(json["insights"]["users_with_access"]["total"], 396);
    fs::write(
        case.dir.path().join("org-insights.toml"),
        "[input]\nmax_bad_rows_percent = 101\n",
    )
    .unwrap();
    assert_rejected(&case, &["max_bad_rows_percent", "0 to 100"]);
}

#[test]
fn a_repeated_account_id_sets_aside_the_repeat_and_keeps_the_first() {
    // 200 accounts; line 102 repeats a7 (an external user) as managed.
    let mut csv = String::from("account_id,email,account_type\n");
    for i in 0..200 {
        if i == 100 {
            csv.push_str("a7,again@acme.com,managed\n");
        } else {
            csv.push_str(&format!("a{i},a{i}@acme.com,external\n"));
        }
    }
    let case = Case::new(&[("accounts.csv", csv.as_bytes())]);
    let (code, stderr) = case.run();
    assert_eq!(code, 0, "{stderr}");
    let json = read_json(&case.out().join("latest/insights.json"));
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 0, "external": 199, "total": 199})
    );
    let bad_rows = common::csv_text(&case.out().join("latest/data/bad_rows.csv"));
    assert_eq!(
        bad_rows,
        "table,line,column,value,expected\naccounts,102,account_id,a7,a unique account_id (already used on line 9)\n"
    );
}

#[test]
fn set_aside_activity_rows_leave_the_figures_and_parquet_names_the_row() {
    use polars::prelude::*;
    let accounts: &[u8] =
        b"account_id,email,account_type\na1,a@x.com,managed\na2,b@x.com,managed\n";
    // 200 rows: 198 views of a1, a view of a2 with an unknown action, and
    // one with a blank account id: 2 rows of 200, exactly 1 %.
    let mut dates = Vec::new();
    let mut ids = Vec::new();
    let mut actions = Vec::new();
    for i in 0..200 {
        dates.push(chrono::NaiveDate::from_ymd_opt(2026, 10, 1 + (i % 30) as u32).unwrap());
        ids.push(match i {
            50 => "a2",
            120 => " ",
            _ => "a1",
        });
        actions.push(if i == 50 { "jump" } else { "view" });
    }
    let mut csv = String::from("date,account_id,product,action\n");
    for ((date, id), action) in dates.iter().zip(&ids).zip(&actions) {
        csv.push_str(&format!("{date},{id},jira,{action}\n"));
    }
    let case = Case::new(&[("accounts.csv", accounts), ("activity.csv", csv.as_bytes())]);
    let (code, stderr) = case.run();
    assert_eq!(code, 0, "{stderr}");
    let json = read_json(&case.out().join("latest/insights.json"));
    assert_eq!(json["insights"]["active_users"]["active"], 1);
    assert_eq!(
        json["data_quality"]["set_aside_rows"],
        serde_json::json!({"activity": 2})
    );
    let bad_rows = common::csv_text(&case.out().join("latest/data/bad_rows.csv"));
    assert_eq!(
        bad_rows,
        "table,line,column,value,expected\nactivity,52,action,jump,\"one of view, rovo_search, rovo_definition, rovo_chat, rovo_agent, rovo_first_party_click, rovo_third_party_click, rovo_third_party_filter, ai\"\nactivity,122,account_id, ,a non-empty value\n"
    );

    let case = Case::new(&[("accounts.csv", accounts)]);
    let mut frame = df!(
        "date" => dates,
        "account_id" => ids,
        "product" => vec!["jira"; 200],
        "action" => actions,
    )
    .unwrap();
    let file = fs::File::create(case.dir.path().join("data/activity.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let (code, stderr) = case.run();
    assert_eq!(code, 0, "{stderr}");
    let json = read_json(&case.out().join("latest/insights.json"));
    assert_eq!(json["insights"]["active_users"]["active"], 1);
    let bad_rows = fs::read_to_string(case.out().join("latest/data/bad_rows.csv")).unwrap();
    assert!(
        bad_rows.contains("\nactivity,51,action,jump,"),
        "{bad_rows}"
    );
    assert!(
        bad_rows.contains("\nactivity,121,account_id, ,"),
        "{bad_rows}"
    );
}

#[test]
fn an_account_without_an_email_counts_everywhere_but_in_the_domains() {
    let case = Case::new(&[(
        "accounts.csv",
        b"account_id,email,account_type,status\na1,,managed,active\na2,b@Acme.com,external,active\na3,  ,external,suspended\n",
    )]);
    let (code, stderr) = case.run();
    assert_eq!(code, 0, "{stderr}");
    let json = read_json(&case.out().join("latest/insights.json"));
    assert_eq!(
        json["insights"]["users_with_access"],
        serde_json::json!({"managed": 1, "external": 1, "total": 2})
    );
    assert_eq!(
        json["insights"]["domains"],
        serde_json::json!([{"domain": "acme.com", "managed": 0, "external": 1, "verified": false}])
    );
    assert_eq!(json["data_quality"]["accounts_without_email"], 1);
    assert!(json["data_quality"]["set_aside_rows"]
        .as_object()
        .unwrap()
        .is_empty());
    assert!(!case.out().join("latest/data/bad_rows.csv").exists());
    let (code, stderr) = case.check();
    assert_eq!(code, 0, "{stderr}");
}
