//! RFC 4180 conformance with the cases of csv-spectrum (npm package of that
//! name; `.ci/run` installs it into node_modules): quotes, escaped quotes,
//! commas and line breaks inside fields, empty fields, CRLF, UTF-8. Each
//! case's columns become, one at a time, the `name` column of an accounts
//! table, and the loaded names must equal the case's expected JSON (trimmed,
//! as the contract trims every cell; an empty cell is no name).

use std::path::{Path, PathBuf};

use org_insights::bundle::{self, Table};
use serde_json::Value;

fn spectrum() -> PathBuf {
    let dir = std::env::var_os("CSV_SPECTRUM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/csv-spectrum"));
    assert!(
        dir.join("csvs").is_dir(),
        "csv-spectrum not found at {}: npm install --no-save csv-spectrum",
        dir.display()
    );
    dir
}

/// Byte offsets where each record of `csv` starts (header included).
fn record_starts(csv: &[u8]) -> Vec<usize> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut record = csv::ByteRecord::new();
    let mut starts = Vec::new();
    while reader.read_byte_record(&mut record).unwrap() {
        let mut at = record.position().unwrap().byte() as usize;
        // A position may sit on the line break that ended the previous record.
        while at < csv.len() && (csv[at] == b'\r' || csv[at] == b'\n') {
            at += 1;
        }
        starts.push(at);
    }
    starts
}

/// The case with the contract's columns put before every record and its
/// column `column` renamed `name`.
fn as_accounts(csv: &[u8], header: &[String], column: usize) -> Vec<u8> {
    let starts = record_starts(csv);
    let mut out = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(csv.len());
        if i == 0 {
            let names: Vec<String> = header
                .iter()
                .enumerate()
                .map(|(j, h)| {
                    if j == column {
                        "name".to_string()
                    } else {
                        format!("x_{h}")
                    }
                })
                .collect();
            out.extend(format!("account_id,email,account_type,{}", names.join(",")).as_bytes());
            out.extend(
                &csv[start..end][csv[start..end]
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(end - start)..],
            );
        } else {
            out.extend(format!("a{i},a{i}@example.com,managed,").as_bytes());
            out.extend(&csv[start..end]);
        }
    }
    out
}

#[test]
fn every_csv_spectrum_case_loads_as_rfc_4180_says() {
    let dir = spectrum();
    let mut cases = 0;
    for entry in std::fs::read_dir(dir.join("csvs")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().replace(".csv", "");
        let csv = std::fs::read(entry.path()).unwrap();
        let json: Value = serde_json::from_slice(
            &std::fs::read(dir.join("json").join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        // A case with one record gives it as an object, not a list.
        let expected: Vec<Value> = match json {
            Value::Array(rows) => rows,
            row => vec![row],
        };
        let header: Vec<String> = csv::Reader::from_reader(csv.as_slice())
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        for (column, key) in header.iter().enumerate() {
            let bundle_dir = tempfile::tempdir().unwrap();
            std::fs::write(
                bundle_dir.path().join("accounts.csv"),
                as_accounts(&csv, &header, column),
            )
            .unwrap();
            let bundle =
                bundle::load(bundle_dir.path()).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            let accounts = bundle.frame(Table::Accounts).unwrap().collect().unwrap();
            let got: Vec<Option<String>> = accounts
                .column("name")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            let want: Vec<Option<String>> = expected
                .iter()
                .map(|row| {
                    let value = row[key].as_str().unwrap().trim();
                    (!value.is_empty()).then(|| value.to_string())
                })
                .collect();
            assert_eq!(got, want, "csv-spectrum {name}, column {key}");
        }
        cases += 1;
    }
    assert!(cases >= 10, "csv-spectrum has its cases");
}
