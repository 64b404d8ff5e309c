//! The report in a real browser and real checkers: headless Chromium loads
//! it at desktop and phone width, light and dark (no console errors, no
//! network requests, every section, no horizontal scrolling, screenshots and
//! a PDF print), axe-core finds no WCAG 2.1 A/AA violation, and the Nu Html
//! Checker finds no error. `.ci/run` installs the tools (npm puppeteer-core,
//! axe-core, vnu-jar; Debian chromium and a Java runtime).
//!
//! A deliberately broken page proves each check can fail.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Cli;
use serde_json::Value;

const SECTIONS: [&str; 18] = [
    "changes",
    "security_changes",
    "users_with_access",
    "domains",
    "managed_authentication",
    "external_two_step",
    "external_policy",
    "active_users",
    "active_by_product",
    "trello_by_plan",
    "mobile_usage",
    "rovo_access",
    "rovo_active",
    "ai_active",
    "api_tokens",
    "seat_reclaim",
    "exceptions",
    "data_quality",
];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool(relative: &str) -> PathBuf {
    let path = manifest_dir().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `npm install --no-save puppeteer-core axe-core vnu-jar` (as .ci/run does)",
        path.display()
    );
    path
}

/// The sample bundle reported on two days, so that the page has trends and
/// changes; returns the temporary folder and the second report's page.
fn sample_report() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = manifest_dir().join("fixtures/sample");
    let data = data.to_str().unwrap();
    for as_of in ["2026-11-09", "2026-11-10"] {
        Cli::new(dir.path())
            .report(data, "out")
            .dated(as_of)
            .run()
            .ok();
    }
    let page = dir.path().join("out/2026-11-10/index.html");
    (dir, page)
}

/// Runs tests/browser/check-report.mjs on `page`; screenshots go to `shots`.
fn browse(page: &Path, shots: &Path) -> Value {
    tool("node_modules/puppeteer-core");
    tool("node_modules/axe-core");
    std::fs::create_dir_all(shots).unwrap();
    let output = Command::new("node")
        .arg(manifest_dir().join("tests/browser/check-report.mjs"))
        .arg(page)
        .arg(shots)
        .current_dir(manifest_dir())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The Nu Html Checker's error messages for `page`.
fn html_errors(page: &Path) -> Vec<Value> {
    let output = Command::new("java")
        .arg("-jar")
        .arg(tool("node_modules/vnu-jar/build/dist/vnu.jar"))
        .args(["--errors-only", "--format", "json", "--exit-zero-always"])
        .arg(page)
        .output()
        .expect("java runs");
    // vnu writes its JSON report to standard error.
    let report: Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|_| panic!("vnu said: {}", String::from_utf8_lossy(&output.stderr)));
    report["messages"].as_array().unwrap().clone()
}

#[test]
fn the_report_is_clean_in_chromium_and_axe_at_every_width_and_scheme() {
    let (dir, page) = sample_report();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    let result = browse(&page, &shots);
    let views = result["views"].as_array().unwrap();
    let names: Vec<&str> = views.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["desktop-light", "desktop-dark", "phone-light", "phone-dark"]
    );
    assert_clean(&result, &SECTIONS);
    for view in views {
        let name = &view["name"];
        let dark = view["scheme"] == "dark";
        let background = view["background"].as_str().unwrap();
        assert_eq!(
            background == "rgb(255, 255, 255)",
            !dark,
            "{name}: {background}"
        );
        let shot = shots.join(format!("{}.png", name.as_str().unwrap()));
        assert!(std::fs::metadata(shot).unwrap().len() > 10_000);
    }
    assert_eq!(result["pdf_head"], "%PDF-");
    assert!(result["pdf_bytes"].as_u64().unwrap() > 10_000);
    assert_prints_whole(&result);
    drop(dir);
}

#[test]
fn the_report_has_no_html_errors() {
    let (_dir, page) = sample_report();
    assert_eq!(html_errors(&page), Vec::<Value>::new());
}

#[test]
fn every_check_fails_on_a_broken_page() {
    let page = manifest_dir().join("tests/browser/broken.html");
    let shots = tempfile::tempdir().unwrap();
    let result = browse(&page, shots.path());
    let view = &result["views"][2]; // phone, light
    assert!(!view["console_errors"].as_array().unwrap().is_empty());
    assert!(!view["requests"].as_array().unwrap().is_empty());
    assert!(view["overflow"].as_i64().unwrap() > 0);
    let rules: Vec<&str> = view["axe"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for rule in ["image-alt", "color-contrast", "html-has-lang"] {
        assert!(rules.contains(&rule), "{rule} not in {rules:?}");
    }
    for view in result["views"].as_array().unwrap() {
        let text = &view["chart_text"];
        assert!(text["lowest"]["height"].as_f64().unwrap() < 12.0, "{text}");
        assert!(!text["overlaps"].as_array().unwrap().is_empty(), "{text}");
        assert!(!text["clipped"].as_array().unwrap().is_empty(), "{text}");
        assert!(!text["ellipses"].as_array().unwrap().is_empty(), "{text}");
    }
    assert!(!html_errors(&page).is_empty());
}

/// Asserts what every page of the project meets in each view: no console
/// error, no request, no axe violation, no sideways scrolling, the sections
/// expected, and at desktop and at phone width chart text at least 12 px
/// tall as shown, none cut off at the chart's edge, none shortened with an
/// ellipsis and no two texts of a chart overlapping.
fn assert_clean(result: &Value, sections: &[&str]) {
    for view in result["views"].as_array().unwrap() {
        let name = &view["name"];
        assert_eq!(view["console_errors"], Value::Array(vec![]), "{name}");
        assert_eq!(view["requests"], Value::Array(vec![]), "{name}");
        assert_eq!(view["axe"], Value::Array(vec![]), "{name}");
        assert_eq!(view["overflow"], 0, "{name}: the page scrolls sideways");
        let found: Vec<&str> = view["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(found, sections, "{name}");
        let text = &view["chart_text"];
        assert!(text["count"].as_u64().unwrap() > 0, "{name}: no chart text");
        let lowest = text["lowest"]["height"].as_f64().unwrap();
        assert!(
            lowest >= 12.0,
            "{name}: chart text {} px tall",
            text["lowest"]
        );
        assert_eq!(text["overlaps"], Value::Array(vec![]), "{name}");
        assert_eq!(text["clipped"], Value::Array(vec![]), "{name}");
        assert_eq!(text["ellipses"], Value::Array(vec![]), "{name}");
    }
}

/// In print (A4), each chart shown fits one page, whole, its text at least
/// 11 px (8 pt) tall.
fn assert_prints_whole(result: &Value) {
    let print = &result["print"];
    assert!(print["charts"].as_u64().unwrap() > 0, "{print}");
    assert!(print["widest"].as_f64().unwrap() <= 718.0, "{print}");
    assert!(print["tallest"].as_f64().unwrap() <= 1047.0, "{print}");
    assert!(print["lowest"].as_f64().unwrap() >= 11.0, "{print}");
}

/// A generated organization of 20,000 accounts reported on three days, as
/// an admin of a large organization sees it: every chart text readable at
/// 1280 px and none touching another, on the report and on the archive
/// page, which axe and the Nu Html Checker pass too.
#[test]
fn a_large_organization_reads_well_and_so_does_its_archive() {
    let dir = tempfile::tempdir().unwrap();
    Cli::new(dir.path())
        .args([
            "generate",
            "--accounts",
            "20000",
            "--events",
            "400000",
            "--seed",
            "11",
            "--end",
            "2026-10-31",
            "--out",
            "big",
        ])
        .run()
        .ok();
    for as_of in ["2026-10-29", "2026-10-30", "2026-10-31"] {
        Cli::new(dir.path())
            .report("big", "out")
            .dated(as_of)
            .run()
            .ok();
    }
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("large-screenshots");
    let report = dir.path().join("out/2026-10-31/index.html");
    let result = browse(&report, &shots.join("report"));
    assert_clean(&result, &SECTIONS);
    assert_prints_whole(&result);
    assert_eq!(html_errors(&report), Vec::<Value>::new());
    // Two variants of every chart, and still a light page.
    let bytes = std::fs::metadata(&report).unwrap().len();
    assert!(bytes <= 400_000, "{bytes} bytes");

    let archive = dir.path().join("out/index.html");
    assert_clean(
        &browse(&archive, &shots.join("archive")),
        &["reports", "trends"],
    );
    assert_eq!(html_errors(&archive), Vec::<Value>::new());
}
