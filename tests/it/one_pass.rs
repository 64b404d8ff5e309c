//! Activity read once: a canonical export is checked and folded in one
//! scan, and gives the figures that the full check and a second scan give;
//! any other export still gets the full check's figures and messages.

use std::fs;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;

use crate::common::{self, generate, oracle, Cli};

/// What the run logs at debug level when activity took the one scan.
const ONE_PASS: &str = "activity checked and folded in one pass";
/// What it logs when that scan read a CSV without polars, record by record.
const RECORD_BY_RECORD: &str = "activity's CSV read record by record";

/// A copy of `from` in `to`, activity rewritten by `edit`, line by line.
fn copy_bundle(from: &Path, to: &Path, edit: impl Fn(usize, &str) -> String) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let text = if name == "activity.csv" {
            text.lines()
                .enumerate()
                .map(|(i, line)| edit(i, line) + "\n")
                .collect()
        } else {
            text
        };
        fs::write(to.join(name), text).unwrap();
    }
}

/// The sample with activity's products, surfaces, actions and flags in lower
/// case: the same bundle as the contract reads it, every cell canonical.
fn canonical_sample(to: &Path) {
    copy_bundle(Path::new(&common::sample()), to, |i, line| {
        if i == 0 {
            return line.to_string();
        }
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        for k in [2, 4, 5, 6] {
            cells[k] = cells[k].to_lowercase();
        }
        cells.join(",")
    });
}

/// The canonical sample without a quote: its one quoted line's cells
/// written plainly (the comma of its extra column dropped).
fn unquoted_canonical_sample(to: &Path) {
    let quoted = to.with_extension("quoted");
    canonical_sample(&quoted);
    copy_bundle(&quoted, to, |_, line| {
        line.replace("\"web\"", "web")
            .replace("\"export, manual\"", "export manual")
    });
    fs::remove_dir_all(quoted).unwrap();
}

/// Runs the report of `data` at debug level; returns the report's folder
/// and what it logged.
fn report(dir: &Path, data: &Path, out: &str, as_of: Option<&str>) -> (std::path::PathBuf, String) {
    report_with(dir, data, out, as_of, &[])
}

/// [`report`] with more of the environment set (`ORG_INSIGHTS_SLICE_ROWS`
/// for a Parquet activity read in slices, `ORG_INSIGHTS_CSV_PIECE_BYTES`
/// for a CSV read in small pieces).
fn report_with(
    dir: &Path,
    data: &Path,
    out: &str,
    as_of: Option<&str>,
    env: &[(&str, &str)],
) -> (std::path::PathBuf, String) {
    let mut cli = Cli::new(dir)
        .env("RUST_LOG", "org_insights=debug")
        .report(data, dir.join(out));
    for (name, value) in env {
        cli = cli.env(name, value);
    }
    if let Some(day) = as_of {
        cli = cli.dated(day);
    }
    let ran = cli.run().ok();
    let json = fs::read_dir(dir.join(out))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("insights.json").exists())
        .expect("a report folder");
    (json, ran.stderr_text())
}

/// insights.json without the one field that differs from run to run.
fn figures(report: &Path) -> Value {
    let mut json = common::read_json(&report.join("insights.json"));
    json.as_object_mut().unwrap().remove("generated_at");
    json
}

#[test]
fn the_canonical_sample_takes_one_scan_and_gives_the_sample_s_figures() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = dir.path().join("canonical");
    canonical_sample(&canonical);
    for as_of in [Some("2026-11-10"), None] {
        let (log_one, log_two) = assert_the_sample_s_figures(dir.path(), &canonical, as_of, &[]);
        // The sample spells some products and actions in capitals: the
        // computing scan reads them as the contract does, as it reads the
        // canonical copy.
        assert!(log_one.contains(ONE_PASS), "{log_one}");
        assert!(log_two.contains(ONE_PASS), "{log_two}");
        assert!(!log_two.contains("checked in full"), "{log_two}");
    }
}

#[test]
fn random_canonical_bundles_take_one_scan_and_match_the_oracle() {
    let mut read_in_slices = 0;
    let mut read_record_by_record = 0;
    for seed in 0..48u64 {
        let mut rng = fastrand::Rng::with_seed(1_000 + seed);
        let base =
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(rng.i64(0..400));
        let bundle = generate::random_bundle(&mut rng, base);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        let formats = generate::write_bundle_with_canonical_activity(&mut rng, &bundle, &data);
        let latest = bundle.activity.iter().flatten().map(|r| r.date).max();
        let explicit = latest.is_none() || rng.bool();
        let as_of = if explicit { base } else { latest.unwrap() };
        let day = as_of.to_string();
        // Every other seed reads a Parquet activity seven rows at a time,
        // and a CSV one in pieces of 61 bytes.
        let small = seed % 2 == 1;
        if small && formats.iter().any(|f| f.starts_with("activity.parquet")) {
            read_in_slices += 1;
        }
        let env: &[(&str, &str)] = if small {
            &[
                ("ORG_INSIGHTS_SLICE_ROWS", "7"),
                ("ORG_INSIGHTS_CSV_PIECE_BYTES", "61"),
            ]
        } else {
            &[]
        };
        let (report, log) = report_with(
            dir.path(),
            &data,
            "out",
            explicit.then_some(day.as_str()),
            env,
        );
        if bundle
            .activity
            .as_ref()
            .is_some_and(|rows| !rows.is_empty())
        {
            assert!(log.contains(ONE_PASS), "seed {seed} ({formats:?}):\n{log}");
        }
        if small && log.contains(RECORD_BY_RECORD) {
            read_record_by_record += 1;
        }
        let json = common::read_json(&report.join("insights.json"));
        assert_eq!(json["as_of"], Value::from(day), "seed {seed}");
        let (expected, _) = oracle::expected(&bundle, as_of);
        for (key, want) in expected.as_object().unwrap() {
            assert_eq!(
                &json["insights"][key], want,
                "seed {seed}, insight {key}, files {formats:?}"
            );
        }
    }
    assert!(
        read_in_slices > 0,
        "no seed read a Parquet activity in slices"
    );
    assert!(
        read_record_by_record > 0,
        "no seed read a CSV activity record by record in small pieces"
    );
}

/// Runs `data` and the sample, each at `as_of`, and asserts the same
/// report date, insights.json and data files; returns what each run
/// logged.
fn assert_the_sample_s_figures(
    dir: &Path,
    data: &Path,
    as_of: Option<&str>,
    env: &[(&str, &str)],
) -> (String, String) {
    let sample = Path::new(&common::sample()).to_path_buf();
    let (one, log_one) = report_with(dir, data, "one", as_of, env);
    let (two, log_two) = report(dir, &sample, "two", as_of);
    assert_eq!(figures(&one), figures(&two), "as of {as_of:?}, {env:?}");
    assert_eq!(
        one.file_name(),
        two.file_name(),
        "the same report date, from the latest activity"
    );
    for file in fs::read_dir(one.join("data")).unwrap().flatten() {
        let name = file.file_name();
        assert_eq!(
            fs::read(file.path()).unwrap(),
            fs::read(two.join("data").join(&name)).unwrap(),
            "data/{name:?}, {env:?}"
        );
    }
    fs::remove_dir_all(dir.join("one")).unwrap();
    fs::remove_dir_all(dir.join("two")).unwrap();
    (log_one, log_two)
}

#[test]
fn a_csv_without_quotes_is_read_record_by_record_in_pieces_of_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    unquoted_canonical_sample(&plain);
    // The same records with CRLF line ends, a BOM, blank lines between
    // and at the close, and no line end after the last.
    let windows = dir.path().join("windows");
    copy_bundle(&plain, &windows, |_, line| line.to_string());
    let text = fs::read_to_string(plain.join("activity.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut crlf = format!("\u{feff}{}\r\n", lines[0]);
    for (i, line) in lines[1..].iter().enumerate() {
        crlf.push_str(line);
        crlf.push_str(if i % 5 == 4 {
            "\r\n\r\n,,,,,,,,\r\n"
        } else {
            "\r\n"
        });
    }
    crlf.push_str("\r\n\r\n");
    fs::write(windows.join("activity.csv"), crlf.trim_end()).unwrap();
    // The CRLF text compressed: its decompressed copy is read the same way.
    let gzipped = dir.path().join("gzipped");
    copy_bundle(&windows, &gzipped, |_, line| line.to_string());
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, crlf.trim_end().as_bytes()).unwrap();
    fs::write(gzipped.join("activity.csv.gz"), encoder.finish().unwrap()).unwrap();
    fs::remove_file(gzipped.join("activity.csv")).unwrap();
    for data in [&plain, &windows, &gzipped] {
        for pieces in ["1", "50", "997", "1048576"] {
            let env = [("ORG_INSIGHTS_CSV_PIECE_BYTES", pieces)];
            for as_of in [Some("2026-11-10"), None] {
                let (log, _) = assert_the_sample_s_figures(dir.path(), data, as_of, &env);
                assert!(log.contains(RECORD_BY_RECORD), "{data:?} {pieces}: {log}");
            }
        }
    }
}

#[test]
fn a_padded_account_id_in_a_csv_without_quotes_is_read_in_the_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    unquoted_canonical_sample(&data);
    let text = fs::read_to_string(data.join("activity.csv")).unwrap();
    // The contract reads " a2" as "a2": the same figures, in the one pass.
    let padded = text.replacen("\na2,", "\n a2,", 1);
    assert_ne!(padded, text);
    fs::write(data.join("activity.csv"), padded).unwrap();
    let env = [("ORG_INSIGHTS_CSV_PIECE_BYTES", "64")];
    let (log, _) = assert_the_sample_s_figures(dir.path(), &data, Some("2026-11-10"), &env);
    assert!(log.contains(ONE_PASS), "{log}");
    assert!(!log.contains("checked in full"), "{log}");
}

#[test]
fn a_quote_late_in_a_csv_is_read_once_on_the_guess_and_counts_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    unquoted_canonical_sample(&data);
    let text = fs::read_to_string(data.join("activity.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // The last line's site quoted, with a line end inside the quotes of
    // an extra column: the same cells as the contract reads them.
    let last = lines.len() - 1;
    lines[last] = lines[last].replacen("acme.atlassian.net", "\"acme.atlassian.net\"", 1);
    assert!(lines[last].contains('"'), "{}", lines[last]);
    fs::write(data.join("activity.csv"), lines.join("\n") + "\n").unwrap();
    // Small pieces: the quoted field holds no line end, so every piece's
    // first line end is a record's, and the guess holds: one read.
    let env = [("ORG_INSIGHTS_CSV_PIECE_BYTES", "40")];
    let (log, _) = assert_the_sample_s_figures(dir.path(), &data, Some("2026-11-10"), &env);
    assert!(log.contains(ONE_PASS), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains(RECORD_BY_RECORD) && l.contains("cut_outside_quotes=false")),
        "{log}"
    );
    assert!(!log.contains("read the slower way"), "{log}");
    let line = log.lines().find(|l| l.contains("report written")).unwrap();
    assert!(line.contains("activity_read=once"), "{line}");
}

#[test]
fn every_field_quoted_with_line_ends_inside_gives_the_same_figures_and_says_a_second_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    unquoted_canonical_sample(&data);
    let text = fs::read_to_string(data.join("activity.csv")).unwrap();
    // Every field quoted, as Excel or pandas may write it, and an extra
    // column whose text holds a line end and a doubled quote.
    let quoted: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<String> = line.split(',').map(|c| format!("\"{c}\"")).collect();
            let extra = if i == 0 {
                "\"memo\"".to_string()
            } else {
                format!("\"line {i}\nsaid \"\"hi\"\"\"")
            };
            format!("{},{extra}", cells.join(","))
        })
        .collect();
    fs::write(data.join("activity.csv"), quoted.join("\r\n") + "\r\n").unwrap();
    for pieces in ["7", "64", "4096"] {
        let env = [("ORG_INSIGHTS_CSV_PIECE_BYTES", pieces)];
        assert_the_sample_s_figures(dir.path(), &data, Some("2026-11-10"), &env);
        let (report, log) = report_with(dir.path(), &data, pieces, Some("2026-11-10"), &env);
        assert!(log.contains(ONE_PASS), "{pieces}: {log}");
        // Where a cut met a line end inside a quoted field (at every
        // 7 bytes, surely), the file is read again, and the run says so
        // at warn level, in its log line and on the page.
        let again = log.contains("read the slower way");
        assert!(again || pieces != "7", "{log}");
        let line = log.lines().find(|l| l.contains("report written")).unwrap();
        let read = if again { "twice" } else { "once" };
        assert!(line.contains(&format!("activity_read={read}")), "{line}");
        let page = fs::read_to_string(report.join("index.html")).unwrap();
        assert_eq!(
            page.contains("a line end inside a quoted field"),
            again,
            "{pieces}"
        );
    }
}

#[test]
fn a_bad_cell_of_activity_is_reported_as_the_check_reports_it() {
    // Read by polars (the sample has a quote) and record by record.
    let samples: [fn(&Path); 2] = [canonical_sample, unquoted_canonical_sample];
    for (n, sample) in samples.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        sample(&data);
        let text = fs::read_to_string(data.join("activity.csv")).unwrap();
        // Line 5: a month that does not exist.
        let broken: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if i == 4 {
                    line.replacen("2026-10-31", "2026-13-31", 1)
                } else {
                    line.to_string()
                }
            })
            .collect();
        fs::write(data.join("activity.csv"), broken.join("\n") + "\n").unwrap();

        let check = Cli::new(dir.path()).args(["check", "--data", "data"]).run();
        let expected = check.code(2).stderr_text();
        assert!(
            expected.contains("line 5, column 'date', value \"2026-13-31\""),
            "sample {n}: {expected}"
        );
        // One bad row of 26 is more than the default 1 %: the run stops
        // with the check's words and writes nothing.
        let ran = Cli::new(dir.path()).report("data", "out").run().code(2);
        assert_eq!(ran.stderr_text(), expected, "sample {n}");
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn a_bundle_written_by_import_takes_one_scan() {
    // The daily path: `import` writes activity itself, and must write it
    // in the canonical form that the one scan reads.
    let dir = tempfile::tempdir().unwrap();
    let exports = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exports");
    let data = dir.path().join("data");
    for (day, managed) in [
        ("users-2026-03-01.csv", true),
        ("users-2026-03-02.csv", false),
    ] {
        let mut import = Cli::new(dir.path())
            .args(["import", "--into"])
            .args([&data])
            .args(["--users"])
            .args([exports.join(day)]);
        if managed {
            import = import
                .args(["--managed"])
                .args([exports.join("managed-accounts.csv")])
                .args(["--external"])
                .args([exports.join("external-users.csv")]);
        }
        import.run().ok();
    }
    let (_, log) = report(dir.path(), &data, "out", None);
    assert!(log.contains(ONE_PASS), "{log}");
}

#[test]
fn a_bad_row_is_set_aside_in_the_one_pass_without_a_second_read() {
    for quoted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        four_hundred_views(&data, &[(200, "count=-3")], &[], quoted);
        let (out, log) = report(dir.path(), &data, "out", Some("2026-11-30"));
        let pass = log
            .lines()
            .find(|l| l.contains(ONE_PASS))
            .unwrap_or_else(|| panic!("quoted {quoted}: no one pass in {log}"));
        assert!(pass.contains("set_aside=1"), "{pass}");
        assert!(!log.contains("checked in full"), "{log}");
        assert!(!log.contains("read again"), "{log}");
        let set_aside = common::csv_text(&out.join("data/bad_rows.csv"));
        assert!(
            set_aside.contains("activity,200,count,'-3,a whole number >= 1"),
            "{set_aside}"
        );
    }
}

/// A bundle of five accounts on Jira and 400 activity rows, canonical but
/// for the rows of `bad` (by line, the header being line 1), and without
/// the rows of `dropped`; every field quoted when `quoted`.
fn four_hundred_views(to: &Path, bad: &[(usize, &str)], dropped: &[usize], quoted: bool) {
    fs::create_dir_all(to).unwrap();
    fs::write(
        to.join("accounts.csv"),
        "account_id,email,account_type\na1,a1@acme.com,managed\na2,a2@acme.com,managed\na3,a3@acme.com,managed\na4,a4@acme.com,managed\nx1,x1@partner.io,external\n",
    )
    .unwrap();
    fs::write(
        to.join("product_access.csv"),
        "account_id,product,site\na1,jira,s1\na2,jira,s1\na3,jira,s1\na4,jira,s1\nx1,jira,s1\n",
    )
    .unwrap();
    let ids = ["a1", "a2", "a3", "a4", "x1"];
    let mut text = String::from("date,account_id,product,site,surface,action,success,count\n");
    for line in 2..=401 {
        if dropped.contains(&line) {
            continue;
        }
        let day = 1 + line % 28;
        let mut cells = vec![
            format!("2026-11-{day:02}"),
            ids[line % 5].to_string(),
            "jira".into(),
            "s1".into(),
            if line % 3 == 0 { "mobile" } else { "web" }.to_string(),
            "view".into(),
            "true".into(),
            (1 + line % 4).to_string(),
        ];
        if let Some((_, edit)) = bad.iter().find(|(at, _)| *at == line) {
            let (column, value) = edit.split_once('=').unwrap();
            let k = common::ACTIVITY_COLUMNS
                .iter()
                .position(|c| *c == column)
                .unwrap();
            cells[k] = value.to_string();
        }
        let cells: Vec<String> = if quoted {
            cells.iter().map(|c| format!("\"{c}\"")).collect()
        } else {
            cells
        };
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    fs::write(to.join("activity.csv"), text).unwrap();
}

#[test]
fn bad_cells_on_the_first_a_middle_and_the_last_line_are_set_aside_as_check_names_them() {
    let bad = [
        (2, "count=-3"),
        (200, "action=jump"),
        (401, "date=2026-13-01"),
    ];
    for quoted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        four_hundred_views(&data, &bad, &[], quoted);
        // The same rows without the three: what setting them aside must give.
        let without = dir.path().join("without");
        four_hundred_views(&without, &[], &[2, 200, 401], quoted);
        let (expected, _) = report(dir.path(), &without, "expected", Some("2026-11-30"));
        let (made, log) = report(dir.path(), &data, "out", Some("2026-11-30"));
        assert_eq!(
            figures(&made)["insights"],
            figures(&expected)["insights"],
            "quoted: {quoted}"
        );
        let set_aside = common::csv_text(&made.join("data/bad_rows.csv"));
        let lines: Vec<&str> = set_aside
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(lines, ["2", "200", "401"], "{set_aside}");
        // check names the same three problems in the same words as the run's log.
        let checked = Cli::new(dir.path())
            .args(["check", "--data"])
            .args([&data])
            .run()
            .code(2);
        let problems: Vec<String> = checked
            .stderr_text()
            .lines()
            .filter(|l| l.starts_with("activity.csv: line"))
            .map(str::to_string)
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        for problem in &problems {
            assert!(
                log.contains(problem.as_str()),
                "the run names {problem:?}:\n{log}"
            );
        }
    }
}

/// insights.json without its generation time, and every data/*.csv, of a
/// run of `data` as of `as_of`.
fn files_of(data: &Path, out: &Path, as_of: NaiveDate) -> (Value, Vec<(String, Vec<u8>)>) {
    use org_insights::pipeline::{run, RunControl, RunRequest};
    let request = RunRequest {
        as_of: Some(as_of),
        ..RunRequest::new(data.to_path_buf(), out.to_path_buf())
    };
    let outcome = run(&request, &RunControl::default()).unwrap();
    let mut json = common::read_json(&outcome.report_dir.join("insights.json"));
    json.as_object_mut().unwrap().remove("generated_at");
    (json, common::files_in(&outcome.report_dir.join("data")))
}

/// The property: the same rows, written in two random mixes of every
/// spelling the contract allows (case, padding, boolean spellings, quoting,
/// CRLF, BOM, typed and text Parquet, shuffled and extra columns), give
/// byte-equal insights.json and data CSVs, whichever reader took them.
#[test]
fn every_spelling_of_the_same_rows_gives_the_same_figures_and_files() {
    for seed in 0..10u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let as_of =
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(rng.i64(0..400));
        let bundle = generate::random_bundle(&mut rng, as_of);
        let dir = tempfile::tempdir().unwrap();
        let written: Vec<_> = [false, true]
            .iter()
            .map(|&canonical| {
                let data = dir.path().join(format!("data-{canonical}"));
                fs::create_dir(&data).unwrap();
                let mut spelling = fastrand::Rng::with_seed(seed * 2 + u64::from(canonical));
                let formats = if canonical {
                    generate::write_bundle_with_canonical_activity(&mut spelling, &bundle, &data)
                } else {
                    generate::write_bundle(&mut spelling, &bundle, &data)
                };
                (
                    formats,
                    files_of(&data, &dir.path().join(format!("out-{canonical}")), as_of),
                )
            })
            .collect();
        let ((awkward, one), (canonical, two)) = (&written[0], &written[1]);
        assert_eq!(
            one.0, two.0,
            "seed {seed}: insights.json, {awkward:?} against {canonical:?}"
        );
        assert_eq!(one.1.len(), two.1.len(), "seed {seed}: the same data files");
        for ((name, a), (_, b)) in one.1.iter().zip(&two.1) {
            assert!(
                a == b,
                "seed {seed}: data/{name}, {awkward:?} against {canonical:?}"
            );
        }
    }
}
