//! history.csv: one row per as-of date with the headline figures, so that
//! trends survive after old report folders are deleted.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;

use crate::insights::Headline;

/// The headline figures of one report.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub as_of: NaiveDate,
    /// (column, value) in column order.
    pub values: Vec<(String, String)>,
}

impl HistoryRow {
    pub fn new(as_of: NaiveDate, headlines: &[Headline]) -> Self {
        HistoryRow {
            as_of,
            values: headlines
                .iter()
                .map(|h| (h.key.to_string(), h.value.clone()))
                .collect(),
        }
    }
}

/// One row of history.csv, each value by its column's name.
pub type HistoryRecord = BTreeMap<String, String>;

/// The rows of history.csv dated before `as_of`, oldest first. A missing
/// or unreadable file has no rows.
pub fn earlier(path: &Path, as_of: NaiveDate) -> Vec<HistoryRecord> {
    let current = as_of.to_string();
    let mut rows: Vec<HistoryRecord> = std::fs::read(path)
        .map(|bytes| records(&bytes))
        .unwrap_or_default()
        .into_iter()
        .filter(|row| row.get("as_of").is_some_and(|date| *date < current))
        .collect();
    rows.sort_by(|a, b| a.get("as_of").cmp(&b.get("as_of")));
    rows
}

/// The rows of the bytes of a history.csv, in file order; a record that
/// cannot be read is left out.
pub fn records(history: &[u8]) -> Vec<HistoryRecord> {
    let mut reader = csv::Reader::from_reader(history);
    let Ok(header) = reader
        .headers()
        .map(|h| h.iter().map(str::to_string).collect::<Vec<_>>())
    else {
        return Vec::new();
    };
    reader
        .records()
        .flatten()
        .map(|record| {
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The contents of history.csv with `row` added, replacing an earlier row of
/// the same date; rows sorted by date. Columns of older versions are kept.
pub fn updated(existing: Option<&Path>, row: &HistoryRow) -> anyhow::Result<Vec<u8>> {
    let mut columns: Vec<String> = vec!["as_of".to_string()];
    let mut rows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();

    if let Some(path) = existing.filter(|p| p.exists()) {
        let mut reader =
            csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
        let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
        for name in &header {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
        for record in reader.records() {
            let record = record.with_context(|| format!("reading {}", path.display()))?;
            let cells: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect();
            if let Some(date) = cells.get("as_of").cloned() {
                rows.insert(date, cells);
            }
        }
    }

    for (name, _) in &row.values {
        if !columns.contains(name) {
            columns.push(name.clone());
        }
    }
    let mut cells: BTreeMap<String, String> = row.values.iter().cloned().collect();
    cells.insert("as_of".to_string(), row.as_of.to_string());
    rows.insert(row.as_of.to_string(), cells);

    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&columns)?;
    for cells in rows.values() {
        writer.write_record(
            columns
                .iter()
                .map(|c| cells.get(c).map(String::as_str).unwrap_or("")),
        )?;
    }
    writer.into_inner().context("writing history.csv")
}
