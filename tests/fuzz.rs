//! The loader and validator against arbitrary input: raw bytes and
//! CSV-shaped text with quotes, separators, line breaks and odd headers, as
//! every table of a bundle. It must answer with a report or with problems,
//! never panic. A committed seed corpus (fuzz/corpus) runs first.
//!
//! CI runs a short pass; for a longer one:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz`.

use std::path::Path;

use org_insights::bundle;
use proptest::prelude::*;

const TABLES: [&str; 5] = ["accounts", "product_access", "sites", "domains", "activity"];

/// Writes `bytes` as `table.csv` next to a valid accounts table (unless it
/// is the accounts table) and loads the bundle.
fn load(table: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    if table != "accounts" {
        std::fs::write(
            dir.path().join("accounts.csv"),
            "account_id,email,account_type\na1,a@x.com,managed\n",
        )
        .unwrap();
    }
    std::fs::write(dir.path().join(format!("{table}.csv")), bytes).unwrap();
    // Either outcome is fine; a panic fails the test.
    let _ = bundle::load(dir.path());
}

#[test]
fn the_seed_corpus_loads_without_panicking() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds = 0;
    for entry in std::fs::read_dir(corpus).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        for table in TABLES {
            load(table, &bytes);
        }
        seeds += 1;
    }
    assert!(seeds >= 5, "the corpus has its seeds");
}

/// A cell: mostly plausible values, with the characters that break parsers.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("managed".to_string()),
        Just("2026-01-31".to_string()),
        Just("TRUE".to_string()),
        "[a-z@. ]{0,12}",
        "[\"',\\r\\n ;\\t]{0,4}",
        any::<String>(),
    ]
}

fn csv_text() -> impl Strategy<Value = String> {
    let header = prop::collection::vec(
        prop_oneof![
            Just("account_id".to_string()),
            Just("email".to_string()),
            Just("account_type".to_string()),
            Just("date".to_string()),
            Just("product".to_string()),
            Just("site".to_string()),
            Just(" Count ".to_string()),
            cell(),
        ],
        0..8,
    );
    let rows = prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..12);
    (header, rows, any::<bool>(), any::<bool>()).prop_map(|(header, rows, quote, crlf)| {
        let end = if crlf { "\r\n" } else { "\n" };
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .map(|c| {
                    if quote {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut text = line(&header);
        for row in rows {
            text.push_str(end);
            text.push_str(&line(&row));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), table in 0..TABLES.len()) {
        load(TABLES[table], &bytes);
    }

    #[test]
    fn csv_shaped_text_never_panics(text in csv_text(), table in 0..TABLES.len()) {
        load(TABLES[table], text.as_bytes());
    }
}
