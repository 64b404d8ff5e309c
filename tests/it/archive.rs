//! The output folder over time: the archive page `<out>/index.html`,
//! retention (`[output] keep_daily`, `keep_monthly`) and the admin's own
//! templates (`[output] templates`), through the real binary.

use crate::common;
use crate::common::sample;

use std::fs;
use std::path::Path;

use common::Cli;

fn config(dir: &Path, output: &str) {
    fs::write(
        dir.join("org-insights.toml"),
        format!(
            "data_dir = \"{}\"\nout_dir = \"out\"\n\n[output]\n{output}\n",
            sample()
        ),
    )
    .unwrap();
}

fn run_on(dir: &Path, as_of: &str) -> common::Ran {
    Cli::new(dir)
        .args(["run", "--as-of", as_of])
        .env("RUST_LOG", "info")
        .run()
        .ok()
}

fn folders(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn the_archive_lists_every_report_newest_first_with_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "");
    for day in ["2026-11-08", "2026-11-09", "2026-11-10"] {
        run_on(dir.path(), day);
    }
    let page = fs::read_to_string(dir.path().join("out/index.html")).unwrap();
    let links: Vec<usize> = ["2026-11-10", "2026-11-09", "2026-11-08"]
        .iter()
        .map(|day| {
            page.find(&format!("<a href=\"{day}/index.html\">{day}</a>"))
                .unwrap()
        })
        .collect();
    assert!(links.windows(2).all(|w| w[0] < w[1]), "newest first");
    assert!(page.contains("3 reports in this folder"));
    // The sample's users with access (8) and one trend chart per figure.
    assert!(page.contains("<td class=\"num\">8</td>"));
    assert!(page.contains("role=\"img\""));
    assert!(page.contains("Every date in history.csv (3 in all)"));
    // Self-contained: nothing fetched.
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
}

#[test]
fn retention_keeps_the_last_days_and_months_and_history_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "keep_daily = 2\nkeep_monthly = 2");
    let days = [
        "2026-08-20",
        "2026-09-10",
        "2026-09-30",
        "2026-10-15",
        "2026-10-31",
        "2026-11-05",
        "2026-11-06",
        "2026-11-07",
    ];
    let mut removals = 0;
    for day in days {
        let ran = run_on(dir.path(), day);
        removals += String::from_utf8_lossy(&ran.stderr)
            .matches("removed an old report")
            .count();
    }
    let out = dir.path().join("out");
    // The last two days (Nov 6, 7) and the last report of each of the last
    // two months (November's is Nov 7, October's Oct 31).
    assert_eq!(
        folders(&out),
        [
            "2026-10-31",
            "2026-11-06",
            "2026-11-07",
            "history.csv",
            "index.html",
            "latest"
        ]
    );
    assert_eq!(removals, 5, "each removal is logged");
    let history = fs::read_to_string(out.join("history.csv")).unwrap();
    for day in days {
        assert!(
            history.contains(&format!("\n{day},")),
            "{day} kept in history.csv"
        );
    }
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("3 reports in this folder"));
    assert!(page.contains("Every date in history.csv (8 in all)"));
    assert_eq!(
        fs::read_link(out.join("latest")).unwrap(),
        Path::new("2026-11-07")
    );
}

#[test]
fn own_templates_override_the_built_in_ones_and_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("look");
    fs::create_dir(&own).unwrap();
    let builtin =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/report.html"))
            .unwrap();
    fs::write(
        own.join("report.html"),
        builtin.replace("</footer>", "<p>Acme IT security</p></footer>"),
    )
    .unwrap();
    fs::write(
        own.join("digest.txt"),
        "{{ as_of }}: {{ headlines|length }} figures\n",
    )
    .unwrap();
    config(dir.path(), "templates = \"look\"");
    run_on(dir.path(), "2026-11-10");
    let page = fs::read_to_string(dir.path().join("out/latest/index.html")).unwrap();
    assert!(page.contains("<p>Acme IT security</p></footer>"));
    // The archive page keeps the built-in look.
    let archive = fs::read_to_string(dir.path().join("out/index.html")).unwrap();
    assert!(!archive.contains("Acme IT security"));

    // A syntax error: exit 2 at start, naming the file and the line, and
    // nothing written.
    fs::write(own.join("digest.txt"), "line one\n{% if as_of %}\nno end\n").unwrap();
    let before = common::snapshot(&dir.path().join("out"));
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-11"])
        .run()
        .code(2)
        .stderr_has("look/digest.txt: line ")
        .stderr_has("a valid minijinja template");
    assert_eq!(common::snapshot(&dir.path().join("out")), before);

    // A name that overrides nothing is a mistake, not silence.
    fs::write(own.join("digest.txt"), "{{ as_of }}\n").unwrap();
    fs::write(own.join("reprot.html"), "typo").unwrap();
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-11"])
        .run()
        .code(2)
        .stderr_has("look/reprot.html: expected a template named one of");
}

/// A year of daily reports on disk (folders and history.csv rows from
/// 2025-12-01 to 2026-11-29), then the run of 2026-11-30 with a week of
/// days and a year of months kept.
#[test]
fn a_simulated_year_leaves_a_week_and_the_last_report_of_each_month() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "keep_daily = 7\nkeep_monthly = 12");
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let first = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let last = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let mut history = String::from("as_of,users_with_access\n");
    for day in first.iter_days().take_while(|d| *d <= last) {
        fs::create_dir(out.join(day.to_string())).unwrap();
        fs::write(
            out.join(day.to_string()).join("index.html"),
            "an old report",
        )
        .unwrap();
        history.push_str(&format!("{day},8\n"));
    }
    fs::write(out.join("history.csv"), history).unwrap();

    let ran = run_on(dir.path(), "2026-11-30");
    let removed = String::from_utf8_lossy(&ran.stderr)
        .matches("removed an old report")
        .count();

    let mut expected: Vec<String> = [
        "2025-12-31",
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
    ]
    .map(String::from)
    .to_vec();
    expected.extend((24..=30).map(|d| format!("2026-11-{d}")));
    expected.extend(["history.csv", "index.html", "latest"].map(String::from));
    assert_eq!(folders(&out), expected);
    assert_eq!(removed, 365 - 18, "one log line per removed report");
    let history = fs::read_to_string(out.join("history.csv")).unwrap();
    assert_eq!(
        history.lines().count(),
        1 + 365,
        "history.csv keeps every day"
    );
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("18 reports in this folder"));
    assert!(page.contains("Every date in history.csv (365 in all)"));
}
