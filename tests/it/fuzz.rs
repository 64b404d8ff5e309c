//! The loader, the validator and the computing path against arbitrary
//! input: raw bytes, and bundles whose tables use the contract's own column
//! names (every optional column included) with cells that are mostly
//! plausible and sometimes hostile, written as CSV, as gzipped CSV and as
//! Parquet (columns as text, or in their native types). Each case is
//! checked (`check`) and run (`run`, through the report), must answer with
//! a report or with problems, never panic, and must finish within a time
//! limit: a hang fails the test rather than stalling CI. A committed seed
//! corpus (fuzz/corpus) runs first.
//!
//! CI runs a short pass; for a longer one:
//! `PROPTEST_CASES=5000 cargo test --release --test fuzz`.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use org_insights::bundle;
use org_insights::bundle::spec::{ColumnSpec, Kind, Table};
use org_insights::pipeline::RunControl;
use org_insights::pipeline::{self, RunRequest};
use polars::prelude::*;
use proptest::prelude::*;

/// How long one case may take, checking and running, in a debug build.
const CASE_LIMIT: Duration = Duration::from_secs(120);

const VALID_ACCOUNTS: &str =
    "account_id,email,account_type\na1,a@x.com,managed\na2,b@y.org,external\n";

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Csv,
    CsvGz,
    /// Every column as text.
    ParquetText,
}

/// Checks and runs the bundle in `dir` on a thread of its own; either
/// outcome is fine, a panic or a hang fails the test.
fn exercise(dir: &Path) {
    let data = dir.to_path_buf();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = bundle::load(&data);
        let out = data.join("out");
        let _ = pipeline::run(&RunRequest::new(data, out), &RunControl::default());
        let _ = done.send(());
    });
    match finished.recv_timeout(CASE_LIMIT) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("a case took longer than {CASE_LIMIT:?}: {}", dir.display())
        }
        // The thread panicked: the sender went away without a word.
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a case panicked"),
    }
}

/// Writes `table` as `text` in `encoding`.
fn write_table(dir: &Path, table: &str, text: &[u8], encoding: Encoding) {
    match encoding {
        Encoding::Csv => std::fs::write(dir.join(format!("{table}.csv")), text).unwrap(),
        Encoding::CsvGz => {
            let file = std::fs::File::create(dir.join(format!("{table}.csv.gz"))).unwrap();
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            gz.write_all(text).unwrap();
            gz.finish().unwrap();
        }
        Encoding::ParquetText => {
            let path = dir.join(format!("{table}.parquet"));
            match text_frame(text) {
                Some(mut frame) => {
                    let file = std::fs::File::create(&path).unwrap();
                    ParquetWriter::new(file).finish(&mut frame).unwrap();
                }
                // Not CSV at all: the bytes as a (broken) Parquet file.
                None => std::fs::write(path, text).unwrap(),
            }
        }
    }
}

/// A frame of text columns from CSV `text` (columns named as the header
/// says, a repeated name made unique, missing cells null).
fn text_frame(text: &[u8]) -> Option<DataFrame> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text);
    let mut records = reader.records();
    let header = records.next()?.ok()?;
    let rows: Vec<csv::StringRecord> = records.collect::<Result<_, _>>().ok()?;
    let mut names: Vec<String> = Vec::new();
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut name = name.to_string();
            if name.is_empty() || names.contains(&name) {
                name = format!("{name}_{i}");
            }
            names.push(name.clone());
            let values: Vec<Option<&str>> = rows.iter().map(|r| r.get(i)).collect();
            Column::new(name.into(), values)
        })
        .collect::<Vec<_>>();
    if columns.is_empty() {
        return None;
    }
    DataFrame::new_infer_height(columns).ok()
}

#[test]
fn the_seed_corpus_loads_and_runs_without_panicking() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds = 0;
    for entry in std::fs::read_dir(corpus).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        for table in Table::ALL {
            for encoding in [Encoding::Csv, Encoding::CsvGz, Encoding::ParquetText] {
                let dir = tempfile::tempdir().unwrap();
                if table != Table::Accounts {
                    std::fs::write(dir.path().join("accounts.csv"), VALID_ACCOUNTS).unwrap();
                }
                write_table(dir.path(), table.name(), &bytes, encoding);
                exercise(dir.path());
            }
        }
        seeds += 1;
    }
    assert!(seeds >= 5, "the corpus has its seeds");
}

/// A cell of a column of `kind`: what the contract allows or, in a hostile
/// table, sometimes the values and characters that break parsers.
fn cell(kind: Kind, hostile: bool) -> BoxedStrategy<String> {
    let plausible: BoxedStrategy<String> = match kind {
        Kind::Text => prop_oneof![
            Just("a1".to_string()),
            Just("a2".to_string()),
            Just("a9".to_string()),
            Just("acme.atlassian.net".to_string()),
        ]
        .boxed(),
        Kind::Key => prop_oneof![
            Just("jira".to_string()),
            Just("Trello".to_string()),
            Just("x.com".to_string()),
        ]
        .boxed(),
        Kind::Email => Just(" A@X.com".to_string()).boxed(),
        Kind::Enum { values, .. } => prop::sample::select(values.to_vec())
            .prop_map(|v| v.to_uppercase())
            .boxed(),
        Kind::Bool { .. } => prop::sample::select(vec!["true", "0", "Yes", "FALSE"])
            .prop_map(String::from)
            .boxed(),
        Kind::Date => (0u32..400)
            .prop_map(|d| {
                let day = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap()
                    + chrono::Days::new(u64::from(d));
                day.to_string()
            })
            .boxed(),
        Kind::Int { .. } => (1i64..5).prop_map(|n| n.to_string()).boxed(),
        Kind::Timestamp => prop_oneof![
            Just("2026-11-02T09:15:00Z".to_string()),
            Just("2026-11-02 09:15:00.250+02:00".to_string()),
            Just("2026-10-31t23:59:60-05:30".to_string()),
        ]
        .boxed(),
    };
    if !hostile {
        return plausible;
    }
    prop_oneof![
        6 => plausible,
        1 => Just(String::new()),
        1 => Just("-1".to_string()),
        1 => "[\"',\\r\\n ;\\t]{0,4}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// A header: each of the table's columns in any case and order, an
/// optional one (or, in a hostile table, any) sometimes left out, and a
/// column the contract does not know.
fn header(table: Table, hostile: bool) -> BoxedStrategy<Vec<(String, Kind)>> {
    let columns: Vec<ColumnSpec> = table.columns().to_vec();
    (
        prop::collection::vec(prop::bool::weighted(0.85), columns.len()),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(move |(keep, shout, order)| {
            let mut chosen: Vec<(String, Kind)> = columns
                .iter()
                .zip(keep)
                .filter(|(c, keep)| *keep || (c.required && !hostile))
                .map(|(c, _)| {
                    let name = if shout {
                        c.name.to_uppercase()
                    } else {
                        c.name.to_string()
                    };
                    (format!(" {name}"), c.kind)
                })
                .collect();
            chosen.push(("notes".to_string(), Kind::Text));
            let len = chosen.len();
            chosen.rotate_left((order as usize) % len);
            chosen
        })
        .boxed()
}

/// A table as CSV text; accounts get one id per row.
fn table_text(table: Table, hostile: bool) -> BoxedStrategy<String> {
    header(table, hostile)
        .prop_flat_map(move |header| {
            let row: Vec<BoxedStrategy<String>> = header
                .iter()
                .map(|(_, kind)| cell(*kind, hostile))
                .collect();
            (
                Just(header),
                prop::collection::vec(row, 0..10),
                any::<bool>(),
            )
        })
        .prop_map(move |(header, mut rows, crlf)| {
            // A table's unique ids (accounts, tokens, events): one per row.
            let id = table.unique_key().and_then(|key| {
                header
                    .iter()
                    .position(|(name, _)| name.trim().eq_ignore_ascii_case(key))
            });
            if let Some(id) = id {
                for (i, row) in rows.iter_mut().enumerate() {
                    row[id] = format!("a{i}");
                }
            }
            let mut writer = csv::WriterBuilder::new()
                .terminator(if crlf {
                    csv::Terminator::CRLF
                } else {
                    csv::Terminator::Any(b'\n')
                })
                .from_writer(Vec::new());
            writer
                .write_record(header.iter().map(|(name, _)| name))
                .unwrap();
            for row in rows {
                writer.write_record(row).unwrap();
            }
            String::from_utf8(writer.into_inner().unwrap()).unwrap()
        })
        .boxed()
}

/// Every table of a bundle, each present or not (accounts always); one
/// bundle in three has hostile cells.
fn bundle_tables() -> impl Strategy<Value = Vec<(Table, String)>> {
    prop::bool::weighted(0.33).prop_flat_map(bundle_tables_with)
}

fn bundle_tables_with(hostile: bool) -> impl Strategy<Value = Vec<(Table, String)>> {
    let tables: Vec<BoxedStrategy<Option<(Table, String)>>> = Table::ALL
        .iter()
        .map(|&table| {
            let text = table_text(table, hostile).prop_map(move |t| (table, t));
            if table == Table::Accounts {
                text.prop_map(Some).boxed()
            } else {
                prop::option::weighted(0.7, text).boxed()
            }
        })
        .collect();
    tables.prop_map(|tables| tables.into_iter().flatten().collect())
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Csv),
        Just(Encoding::CsvGz),
        Just(Encoding::ParquetText)
    ]
}

/// A Parquet table whose columns have their native types (boolean, date,
/// integer), as other tools write them, with nulls.
fn typed_parquet(dir: &Path, table: Table, rows: &[u8]) {
    let height = rows.len();
    let value = |i: usize| rows[i % height.max(1)];
    let columns: Vec<Column> = table
        .columns()
        .iter()
        .map(|spec| {
            let name = spec.name.into();
            let nth = |i: usize| (value(i) as usize + spec.name.len()) % 7;
            match spec.kind {
                Kind::Bool { .. } => Column::new(
                    name,
                    (0..height)
                        .map(|i| (nth(i) != 0).then_some(nth(i) % 2 == 0))
                        .collect::<Vec<_>>(),
                ),
                Kind::Date => Column::new(
                    name,
                    (0..height)
                        .map(|i| (nth(i) != 0).then_some(20_300 + nth(i) as i32 * 9))
                        .collect::<Vec<_>>(),
                )
                .cast(&DataType::Date)
                .unwrap(),
                Kind::Int { .. } => Column::new(
                    name,
                    (0..height)
                        .map(|i| (nth(i) != 0).then_some(nth(i) as i64 - 1))
                        .collect::<Vec<_>>(),
                ),
                Kind::Enum { values, .. } => Column::new(
                    name,
                    (0..height)
                        .map(|i| values.get(nth(i)).copied())
                        .collect::<Vec<_>>(),
                ),
                Kind::Email => Column::new(
                    name,
                    (0..height)
                        .map(|i| format!("p{}@x.com", nth(i)))
                        .collect::<Vec<_>>(),
                ),
                Kind::Text | Kind::Key => Column::new(
                    name,
                    (0..height)
                        .map(|i| format!("a{}", nth(i)))
                        .collect::<Vec<_>>(),
                ),
                // Milliseconds since 1970, with a zone as other tools write it.
                Kind::Timestamp => Column::new(
                    name,
                    (0..height)
                        .map(|i| {
                            (nth(i) != 0).then_some(1_790_000_000_000 + nth(i) as i64 * 3_600_000)
                        })
                        .collect::<Vec<_>>(),
                )
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some(polars::prelude::TimeZone::UTC),
                ))
                .unwrap(),
            }
        })
        .collect();
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    let file = std::fs::File::create(dir.join(format!("{}.parquet", table.name()))).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        table in prop::sample::select(Table::ALL.to_vec()),
        encoding in encoding(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        if table != Table::Accounts {
            std::fs::write(dir.path().join("accounts.csv"), VALID_ACCOUNTS).unwrap();
        }
        write_table(dir.path(), table.name(), &bytes, encoding);
        exercise(dir.path());
    }

    #[test]
    fn bundles_of_every_table_and_format_never_panic(
        tables in bundle_tables(),
        encodings in prop::collection::vec(encoding(), Table::ALL.len()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for ((table, text), encoding) in tables.iter().zip(encodings) {
            write_table(dir.path(), table.name(), text.as_bytes(), encoding);
        }
        exercise(dir.path());
    }

    #[test]
    fn typed_parquet_tables_never_panic(
        rows in prop::collection::vec(any::<u8>(), 0..12),
        present in prop::collection::vec(any::<bool>(), Table::ALL.len()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (table, present) in Table::ALL.into_iter().zip(present) {
            if present || table == Table::Accounts {
                typed_parquet(dir.path(), table, &rows);
            }
        }
        exercise(dir.path());
    }
}

/// The generated bundles reach the computing path, not only the checks:
/// of forty drawn with a fixed seed, many produce a whole report.
#[test]
fn generated_bundles_reach_the_report() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (
        bundle_tables(),
        prop::collection::vec(encoding(), Table::ALL.len()),
    );
    let mut reports = 0;
    for _ in 0..40 {
        let (tables, encodings) = strategy.new_tree(&mut runner).unwrap().current();
        let dir = tempfile::tempdir().unwrap();
        for ((table, text), encoding) in tables.iter().zip(encodings) {
            write_table(dir.path(), table.name(), text.as_bytes(), encoding);
        }
        exercise(dir.path());
        if dir.path().join("out/latest/insights.json").exists() {
            reports += 1;
        }
    }
    eprintln!("{reports} of 40 generated bundles made a report");
    assert!(
        reports >= 10,
        "only {reports} of 40 generated bundles made a report"
    );
}
