//! Inputs at the limits: huge cells, thousands of columns, a quote that is
//! never closed, a gzip bomb. Each gives a report or a clear error, never a
//! crash or a runaway.

use crate::common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::Cli;

fn run(dir: &Path) -> (Option<i32>, String) {
    let output = Cli::new(dir)
        .report("data", "out")
        .dated("2026-01-01")
        .run();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn with_accounts(accounts: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    fs::write(dir.path().join("data/accounts.csv"), accounts).unwrap();
    dir
}

#[test]
fn a_ten_megabyte_cell_loads() {
    let mut accounts = b"account_id,email,account_type,name\na1,a@acme.com,managed,\"".to_vec();
    accounts.extend(std::iter::repeat_n(b'x', 10 << 20));
    accounts.extend(b"\"\n");
    let dir = with_accounts(&accounts);
    let (code, stderr) = run(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn ten_thousand_columns_load() {
    let mut header: Vec<String> = (0..10_000).map(|i| format!("extra{i}")).collect();
    header.extend(["account_id", "email", "account_type"].map(String::from));
    let mut row: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    row.extend(["a1", "a@acme.com", "managed"].map(String::from));
    let dir = with_accounts(format!("{}\n{}\n", header.join(","), row.join(",")).as_bytes());
    let (code, stderr) = run(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_quote_never_closed_is_a_clear_error() {
    let dir = with_accounts(b"account_id,email,account_type\na1,a@acme.com,managed\n\"a2,b@acme.com,managed\na3,c@acme.com,managed\n");
    let (code, stderr) = run(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("accounts.csv"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_gzip_bomb_is_refused_before_it_fills_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("data")).unwrap();
    // About 1.1 GiB of zeros squeezes into about a megabyte.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(b"account_id,email,account_type\n")
        .unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..1100 {
        encoder.write_all(&zeros).unwrap();
    }
    fs::write(
        dir.path().join("data/accounts.csv.gz"),
        encoder.finish().unwrap(),
    )
    .unwrap();
    let (code, stderr) = run(dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("gzip bomb"), "{stderr}");
}
