//! `[privacy] names`: a hash run leaves no name or email of the bundle in
//! any file it writes or any line it logs, its hashes are stable so changes
//! still line up; mask shows `y***@partner.com`; a missing key is a clear
//! error; the digest carries no names unless `[email] include_names`.

use crate::common;
use crate::common::sample;

use std::fs;
use std::path::Path;

use common::smtp::SmtpServer;
use common::{snapshot, Cli};
use mail_parser::MessageParser;
use polars::prelude::*;

/// Every email (lower-cased) and display name of the sample's accounts.csv.
fn sample_people() -> Vec<String> {
    let mut reader = csv::Reader::from_path(Path::new(&sample()).join("accounts.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (email, name) = (at("email"), at("name"));
    let mut people = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        people.push(record[email].trim().to_lowercase());
        people.push(record[name].trim().to_string());
    }
    people
}

/// Runs the sample on 2026-11-09 and 2026-11-10 with `config`; returns the
/// standard error of both runs.
fn two_days(dir: &Path, config: &str, env: &[(&str, &str)]) -> String {
    fs::write(
        dir.join("org-insights.toml"),
        format!("data_dir = \"{}\"\nout_dir = \"out\"\n{config}", sample()),
    )
    .unwrap();
    let mut logs = String::new();
    for as_of in ["2026-11-09", "2026-11-10"] {
        let output = env
            .iter()
            .fold(Cli::new(dir).env("RUST_LOG", "debug"), |cli, (k, v)| {
                cli.env(k, v)
            })
            .args(["run", "--as-of", as_of])
            .run();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        logs.push_str(&String::from_utf8_lossy(&output.stderr));
        logs.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    logs
}

/// Every cell of a Parquet file as text, one per line.
fn parquet_cells(path: &Path) -> String {
    let frame = ParquetReader::new(fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let mut text = String::new();
    for column in frame.columns() {
        let column = column.cast(&DataType::String).unwrap();
        for value in column.str().unwrap().iter().flatten() {
            text.push_str(value);
            text.push('\n');
        }
    }
    assert!(
        text.contains("@"),
        "the snapshot holds its (concealed) emails"
    );
    text
}

/// Emails case-insensitively, names as written ("Vic" is not "service").
fn found(text: &str, person: &str) -> bool {
    if person.contains('@') {
        text.to_lowercase().contains(person)
    } else {
        text.contains(person)
    }
}

fn went_inactive(dir: &Path) -> String {
    let changes = fs::read_to_string(dir.join("out/2026-11-10/data/changes.csv")).unwrap();
    changes
        .lines()
        .find(|l| l.starts_with("went_inactive,"))
        .unwrap()
        .to_string()
}

const HASH: &str = "[privacy]\nnames = \"hash\"\nhash_key_env = \"ORG_INSIGHTS_TEST_KEY\"\n";

#[test]
fn a_hash_run_writes_and_logs_no_name_or_email() {
    let dir = tempfile::tempdir().unwrap();
    let logs = two_days(dir.path(), HASH, &[("ORG_INSIGHTS_TEST_KEY", "k1")]);
    let files = snapshot(&dir.path().join("out"));
    assert!(files.keys().any(|p| p.ends_with("snapshot.parquet")));
    // A compressed file hides what it holds from a search of its bytes:
    // Parquet is searched in its decoded cells.
    let texts: Vec<(&std::path::PathBuf, String)> = files
        .iter()
        .map(|(path, bytes)| match path.extension() {
            Some(ext) if ext == "parquet" => (path, parquet_cells(path)),
            _ => (path, String::from_utf8_lossy(bytes).into_owned()),
        })
        .collect();
    for person in sample_people() {
        for (path, text) in &texts {
            assert!(!found(text, &person), "{person} in {}", path.display());
        }
        assert!(!found(&logs, &person), "{person} in the logs");
    }
    let page = fs::read_to_string(dir.path().join("out/2026-11-10/index.html")).unwrap();
    assert!(page.contains("names and email addresses are replaced by keyed hashes"));
}

#[test]
fn hashes_are_stable_between_runs_and_keyed() {
    let one = tempfile::tempdir().unwrap();
    two_days(one.path(), HASH, &[("ORG_INSIGHTS_TEST_KEY", "k1")]);
    let row = went_inactive(one.path());
    // e2 (yolanda@partner.com) viewed last on 2026-10-11: active on 11-09,
    // not on 11-10. Its hashed address is the one the first day kept.
    let hashed = row.split(',').nth(2).unwrap().to_string();
    assert!(
        hashed.starts_with('h') && hashed.ends_with("@partner.com"),
        "{row}"
    );
    assert_eq!(
        row,
        format!("went_inactive,e2,{hashed},partner.com,last active 2026-10-11")
    );
    let file = fs::File::open(one.path().join("out/2026-11-09/snapshot.parquet")).unwrap();
    let day_one = ParquetReader::new(file).finish().unwrap();
    let emails: Vec<String> = day_one
        .column("email")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|e| e.unwrap().to_string())
        .collect();
    assert!(emails.contains(&hashed), "{emails:?}");

    let other = tempfile::tempdir().unwrap();
    two_days(
        other.path(),
        HASH,
        &[("ORG_INSIGHTS_TEST_KEY", "another key")],
    );
    assert_ne!(went_inactive(other.path()), row);
}

#[test]
fn mask_shows_the_first_letter_and_the_domain() {
    let dir = tempfile::tempdir().unwrap();
    two_days(dir.path(), "[privacy]\nnames = \"mask\"\n", &[]);
    assert_eq!(
        went_inactive(dir.path()),
        "went_inactive,e2,y***@partner.com,partner.com,last active 2026-10-11"
    );
    let page = fs::read_to_string(dir.path().join("out/2026-11-10/index.html")).unwrap();
    assert!(page.contains("<td>y***@partner.com</td>"));
    assert!(!page.contains("yolanda"));
}

#[test]
fn a_missing_hash_key_is_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("org-insights.toml"),
        format!("data_dir = \"{}\"\nout_dir = \"out\"\n{HASH}", sample()),
    )
    .unwrap();
    let output = Cli::new(dir.path()).args(["run"]).run();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ORG_INSIGHTS_TEST_KEY"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn bad_emails_are_concealed_in_error_messages() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    fs::write(
        dir.path().join("data/accounts.csv"),
        "account_id,email,account_type\na1,jane.doe@@acme.com,managed\n",
    )
    .unwrap();
    fs::write(dir.path().join("c.toml"), "[privacy]\nnames = \"mask\"\n").unwrap();
    let output = Cli::new(dir.path())
        .args(["--config", "c.toml", "run", "--data", "data"])
        .run();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("accounts.csv: line 2, column 'email', value \"j***@acme.com\""),
        "{stderr}"
    );
    assert!(!stderr.contains("jane.doe"), "{stderr}");
}

fn digest_attachment(include_names: bool) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    let email = format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\ntimeout_seconds = 5\ninclude_names = {include_names}\n",
        server.port
    );
    two_days(dir.path(), &email, &[]);
    Cli::new(dir.path())
        .args(["run", "--as-of", "2026-11-10", "--email"])
        .run()
        .ok();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    let body = format!(
        "{}{}",
        message.body_text(0).unwrap(),
        message.body_html(0).unwrap()
    );
    let attached = String::from_utf8(message.attachment(0).unwrap().contents().to_vec()).unwrap();
    (body, attached)
}

#[test]
fn the_digest_carries_no_names_unless_asked() {
    let (body, attached) = digest_attachment(false);
    for person in sample_people() {
        assert!(!found(&body, &person), "{person} in the digest");
        assert!(!found(&attached, &person), "{person} attached");
    }
    assert!(attached.contains("<td>y***@partner.com</td>"));

    let (_, attached) = digest_attachment(true);
    assert!(attached.contains("<td>yolanda@partner.com</td>"));
}

/// The search above can fail: with names shown, the decoded snapshot holds
/// the sample's emails (its raw, compressed bytes need not).
#[test]
fn the_decoded_snapshot_shows_emails_when_names_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    two_days(dir.path(), "", &[]);
    let cells = parquet_cells(&dir.path().join("out/2026-11-10/snapshot.parquet"));
    let emails: Vec<String> = sample_people()
        .into_iter()
        .filter(|p| p.contains('@'))
        .collect();
    assert!(emails.iter().all(|e| found(&cells, e)), "{cells}");
}
