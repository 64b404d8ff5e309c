//! Names people typed, as hostile as they come, in every string column:
//! markup, attribute breakouts, template syntax, right-to-left overrides,
//! very long values and spreadsheet formulas. The report escapes them in
//! the HTML and inside the SVG, never runs them (checked in a real browser,
//! headless Chromium), never evaluates them as templates, and neutralises
//! formulas in the data CSVs.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::Cli;

const PWNED: &str = "document.title='pwned'";

fn hostile_bundle(dir: &Path) {
    let data = dir.join("data");
    fs::create_dir(&data).unwrap();
    let long = "L".repeat(20_000);
    let accounts = format!(
        "account_id,email,account_type,name\n\
         \"<script>{PWNED}</script>\",\"a@\"\"><img src=x onerror=\"\"{PWNED}\"\">.com\",managed,\"\u{202E}gnp.exe\"\n\
         \"{{{{ 7*7 }}}}\",b@{long}.com,external,\"</text><script>{PWNED}</script>\"\n\
         e1,c@partner.com,external,Zoë\n"
    );
    fs::write(data.join("accounts.csv"), accounts).unwrap();
    let access = format!(
        "account_id,product,site\n\
         \"<script>{PWNED}</script>\",\"</text><script>{PWNED}</script>\",\"\"\"><svg onload={PWNED}>\"\n\
         \"{{{{ 7*7 }}}}\",=HYPERLINK(1),{{{{ 7*7 }}}}\n\
         e1,jira,acme.atlassian.net\n"
    );
    fs::write(data.join("product_access.csv"), access).unwrap();
    let sites = format!(
        "site,product,rovo,rovo_activated_on\n\
         \"\"\"><svg onload={PWNED}>\",jira,true,2026-01-01\n\
         {{{{ 7*7 }}}},@SUM(A1),true,2025-12-30\n"
    );
    fs::write(data.join("sites.csv"), sites).unwrap();
    let activity = format!(
        "date,account_id,product,site,surface\n\
         2026-01-01,\"<script>{PWNED}</script>\",\"</text><script>{PWNED}</script>\",,mobile\n\
         2026-01-01,e1,-2+3,,web\n"
    );
    fs::write(data.join("activity.csv"), activity).unwrap();
}

fn report(dir: &Path) -> std::path::PathBuf {
    hostile_bundle(dir);
    Cli::new(dir)
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    dir.join("out/2026-01-01")
}

#[test]
fn markup_in_names_is_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let day = report(dir.path());
    let html = fs::read_to_string(day.join("index.html")).unwrap();
    // Attribute text such as onerror= may show, as text: no tag can open.
    for raw in ["<script", "<img", "<svg onload"] {
        assert!(!html.contains(raw), "{raw} reached index.html unescaped");
    }
    // The hostile text is there, as text.
    assert!(
        html.contains("&lt;&#x2f;text&gt;&lt;script&gt;"),
        "the product shows escaped"
    );
    assert!(html.contains("{{ 7*7 }}"), "template syntax shows as typed");
    assert!(!html.contains(">49<"), "template syntax is never evaluated");
    for entry in fs::read_dir(day.join("charts")).unwrap().flatten() {
        let svg = fs::read_to_string(entry.path()).unwrap();
        for raw in ["<script", "<img", "<svg onload", "</text><"] {
            assert!(!svg.contains(raw), "{raw} in {}", entry.path().display());
        }
    }
}

#[test]
fn formulas_in_data_csvs_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let day = report(dir.path());
    let by_product = fs::read_to_string(day.join("data/active_by_product.csv")).unwrap();
    assert!(by_product.contains("'=hyperlink(1)"), "{by_product}");
    let mobile = fs::read_to_string(day.join("data/mobile_usage.csv")).unwrap();
    assert!(mobile.contains("'-2+3"), "{mobile}");
    for entry in fs::read_dir(day.join("data")).unwrap().flatten() {
        let mut reader = csv::Reader::from_path(entry.path()).unwrap();
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell:?} in {}",
                    entry.path().display()
                );
            }
        }
    }
}

#[test]
fn no_script_runs_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let day = report(dir.path());
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", day.join("index.html").display()),
        ])
        .output()
        .expect("chromium for this test: apt-get install chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    let title = dom
        .split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or_default();
    assert_eq!(
        title, "Organization insights, 2026-01-01",
        "a script changed the title"
    );
    assert!(dom.contains("Domains with access"), "the page rendered");
}

/// An admin's own report.html is escaped as the built-in one is: the
/// figures, the charts and the file of the bundle keep their markup as text.
#[test]
fn an_overridden_report_template_still_escapes_hostile_names() {
    let dir = tempfile::tempdir().unwrap();
    hostile_bundle(dir.path());
    let own = dir.path().join("look");
    fs::create_dir(&own).unwrap();
    fs::write(
        own.join("report.html"),
        "<!doctype html><html lang=\"en\"><title>Ours, {{ as_of }}</title><body>\n\
         {% for s in sections %}<h2>{{ s.title }}</h2>{% if s.table %}<table>\
         {% for row in s.table.rows %}<tr>{% for cell in row %}<td>{{ cell.shown }}</td><td>{{ cell.raw }}</td>{% endfor %}</tr>{% endfor %}\
         </table>{% endif %}{% for a in s.advice %}<p>{{ a }}</p>{% endfor %}{% endfor %}\n\
         {% for w in warnings %}<p>{{ w }}</p>{% endfor %}</body></html>\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        "[output]\ntemplates = \"look\"\n",
    )
    .unwrap();
    Cli::new(dir.path())
        .report("data", "out")
        .dated("2026-01-01")
        .run()
        .ok();
    let html = fs::read_to_string(dir.path().join("out/2026-01-01/index.html")).unwrap();
    assert!(
        html.starts_with("<!doctype html><html lang=\"en\"><title>Ours"),
        "the override was used"
    );
    for raw in ["<script", "<img", "<svg onload", "</text><"] {
        assert!(
            !html.contains(raw),
            "{raw} reached the overridden page unescaped"
        );
    }
    // The hostile product is in the figures, as text.
    assert!(html.contains("&lt;&#x2f;text&gt;&lt;script&gt;"), "{html}");
}
