//! `org-insights generate`: the same options and seed give the same files,
//! another seed other files, and the bundle follows the contract.

use crate::common;

use std::path::Path;

use common::{read_json, Cli};

fn generate(dir: &Path, out: &str, seed: &str, format: &str) {
    Cli::new(dir)
        .args([
            "generate",
            "--accounts",
            "300",
            "--events",
            "20000",
            "--seed",
            seed,
            "--format",
            format,
            "--out",
            out,
        ])
        .run()
        .ok();
}

#[test]
fn the_same_seed_gives_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["parquet", "csv"] {
        generate(dir.path(), &format!("{format}-a"), "5", format);
        generate(dir.path(), &format!("{format}-b"), "5", format);
        generate(dir.path(), &format!("{format}-c"), "6", format);
        let a = common::files_in(&dir.path().join(format!("{format}-a")));
        assert_eq!(a.len(), 7, "every table");
        assert_eq!(
            a,
            common::files_in(&dir.path().join(format!("{format}-b"))),
            "{format}"
        );
        assert_ne!(
            a,
            common::files_in(&dir.path().join(format!("{format}-c"))),
            "{format}"
        );
    }
}

#[test]
fn a_generated_bundle_passes_the_checks_and_fills_every_insight() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "data", "1", "parquet");
    Cli::new(dir.path()).report("data", "out").run().ok();
    let json: serde_json::Value = read_json(&dir.path().join("out/latest/insights.json"));
    assert_eq!(json["as_of"], "2026-10-31");
    assert_eq!(json["missing"], serde_json::json!({}));
    for (key, value) in json["insights"].as_object().unwrap() {
        assert!(!value.is_null(), "{key}");
    }
    assert!(json["insights"]["rovo_active"]["active"].as_u64().unwrap() > 0);
    assert!(json["insights"]["mobile_usage"]["total"].as_u64().unwrap() > 0);
    assert!(
        json["data_quality"]["unknown_accounts"]["activity"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn checking_activity_in_slices_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "data", "3", "parquet");
    let run = |out: &str, slice_rows: &str| {
        Cli::new(dir.path())
            .report("data", out)
            .env("ORG_INSIGHTS_SLICE_ROWS", slice_rows)
            .run()
            .ok();
        let mut json: serde_json::Value =
            read_json(&dir.path().join(out).join("latest/insights.json"));
        json["generated_at"] = serde_json::Value::Null;
        json
    };
    // The checks read the 20,000 activity rows as one slice, then as seven.
    let whole = run("whole", "1000000");
    let sliced = run("sliced", "3000");
    assert_eq!(whole, sliced);
}
