//! What a report weighs and whether it repeats itself: a million accounts
//! give a page under 5 MB with every list capped, and the same input and
//! as-of date give byte-identical files apart from the generation time.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{read_json, snapshot, Cli};

/// Every file of `out` by path relative to it, with each report's
/// generation time (as insights.json writes it, and to the minute as the
/// page's footer does) replaced by a fixed word.
fn normalized(out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut stamps = Vec::new();
    for entry in std::fs::read_dir(out).unwrap().flatten() {
        let json = entry.path().join("insights.json");
        if entry.file_type().unwrap().is_dir() && json.exists() {
            let stamp = read_json(&json)["generated_at"]
                .as_str()
                .unwrap()
                .to_string();
            let time = chrono::DateTime::parse_from_rfc3339(&stamp).unwrap();
            stamps.push(time.format("%Y-%m-%d %H:%M UTC").to_string());
            stamps.push(stamp);
        }
    }
    snapshot(out)
        .into_iter()
        .map(|(path, bytes)| {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            if String::from_utf8(bytes.clone()).is_err() {
                return (path.strip_prefix(out).unwrap().to_path_buf(), bytes);
            }
            for stamp in &stamps {
                text = text.replace(stamp, "GENERATED");
            }
            (
                path.strip_prefix(out).unwrap().to_path_buf(),
                text.into_bytes(),
            )
        })
        .collect()
}

#[test]
fn the_same_input_gives_the_same_files_but_the_generation_time() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample");
    let sample = sample.to_str().unwrap();
    for out in ["one", "two"] {
        for as_of in ["2026-11-09", "2026-11-10"] {
            Cli::new(dir.path())
                .report(sample, out)
                .dated(as_of)
                .run()
                .ok();
        }
    }
    let one = normalized(&dir.path().join("one"));
    let two = normalized(&dir.path().join("two"));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &one {
        assert!(two[path] == *bytes, "{} differs", path.display());
    }
    // The generation time is really there, and only it was replaced.
    let page = String::from_utf8(one[Path::new("2026-11-10/index.html")].clone()).unwrap();
    assert_eq!(page.matches("GENERATED").count(), 1);
    assert!(one.contains_key(Path::new("2026-11-10/snapshot.parquet")));
}

#[test]
fn a_million_accounts_give_a_page_under_five_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    Cli::new(dir.path())
        .args([
            "generate",
            "--accounts",
            "1000000",
            "--events",
            "300000",
            "--seed",
            "3",
            "--out",
            "data",
        ])
        .run()
        .ok();
    // Two days, so that the page also lists changes.
    for as_of in ["2026-10-30", "2026-10-31"] {
        Cli::new(dir.path())
            .report("data", "out")
            .dated(as_of)
            .run()
            .ok();
        let report = dir.path().join("out").join(as_of);
        let page = std::fs::read_to_string(report.join("index.html")).unwrap();
        assert!(page.len() < 5_000_000, "{as_of}: {} bytes", page.len());
        // Every table in the page is capped; the data CSVs have every row.
        let domains = std::fs::read_to_string(report.join("data/domains.csv")).unwrap();
        assert!(domains.lines().count() > 1_000, "the long tail of domains");
        for table in page.split("<tbody>").skip(1) {
            let rows = table
                .split("</tbody>")
                .next()
                .unwrap()
                .matches("<tr>")
                .count();
            assert!(rows <= 100, "{as_of}: a table of {rows} rows");
        }
    }
    let changes =
        std::fs::read_to_string(dir.path().join("out/2026-10-31/data/changes.csv")).unwrap();
    let went_inactive = changes
        .lines()
        .filter(|l| l.starts_with("went_inactive,"))
        .count();
    assert!(went_inactive > 25, "{went_inactive} accounts went inactive");
    let page = std::fs::read_to_string(dir.path().join("out/2026-10-31/index.html")).unwrap();
    assert!(page.contains(&format!(
        "Went inactive, still with access: <span class=\"count\">{went_inactive}</span>"
    )));
    assert!(page.contains(&format!("the first 25 of {went_inactive}")));
}
