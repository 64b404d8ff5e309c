//! The archive page, `<out>/index.html`: every report kept in the folder,
//! newest first, with its headline figures and a link, and the long-term
//! trend of each headline figure over the whole of history.csv. Rewritten
//! (atomically, by the caller) after each run.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use minijinja::context;
use serde::Serialize;

use super::history::{self, HistoryRecord};
use super::{charts, html, past};
use crate::insights::headline_columns;
use crate::report::templates::environment;

#[derive(Serialize)]
struct Listed {
    date: String,
    /// Each headline figure, in [`headline_columns`]' order; empty when none.
    values: Vec<String>,
}

/// The archive page of `out`, from its report folders and the bytes of its
/// history.csv.
pub fn page(out: &Path, history: &[u8]) -> anyhow::Result<Vec<u8>> {
    let rows = history_rows(history);
    let reports: Vec<Listed> = past::dated_reports(out)
        .into_iter()
        .rev()
        .map(|date| {
            let date = date.to_string();
            let row = rows.get(&date);
            let values = headline_columns()
                .iter()
                .map(|(figure, _)| {
                    row.and_then(|r| r.get(figure.key()))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            Listed { date, values }
        })
        .collect();
    let trends = trends(&rows)?;
    let env = environment()?;
    let page = env
        .get_template("archive.html")?
        .render(context! {
            version => env!("CARGO_PKG_VERSION"),
            columns => headline_columns().iter().map(|(_, label)| *label).collect::<Vec<_>>(),
            newest => reports.first().map(|r| r.date.clone()).unwrap_or_default(),
            reports => reports,
            dates => rows.len(),
            trends => trends,
        })
        .context("rendering the archive page")?;
    Ok(page.into_bytes())
}

/// history.csv's rows by date.
fn history_rows(history: &[u8]) -> BTreeMap<String, HistoryRecord> {
    history::records(history)
        .into_iter()
        .filter_map(|row| Some((row.get("as_of")?.clone(), row)))
        .collect()
}

/// One accessible chart per headline figure with at least two values.
fn trends(rows: &BTreeMap<String, HistoryRecord>) -> anyhow::Result<Vec<String>> {
    let mut charts_drawn = Vec::new();
    for (figure, label) in headline_columns() {
        let key = figure.key();
        let points: Vec<(String, f64)> = rows
            .iter()
            .filter_map(|(date, row)| Some((date.clone(), row.get(key)?.parse::<f64>().ok()?)))
            .collect();
        if points.len() < 2 {
            continue;
        }
        let (dates, values): (Vec<String>, Vec<f64>) = points.into_iter().unzip();
        let svg = charts::trend(label, &dates, &values, figure.is_percent())?;
        let description = format!(
            "{} dates from {} to {}; the latest value {}.",
            dates.len(),
            dates.first().map(String::as_str).unwrap_or_default(),
            dates.last().map(String::as_str).unwrap_or_default(),
            values.last().copied().unwrap_or_default()
        );
        charts_drawn.push(html::wrap_svg(
            &format!("trend-{key}"),
            label,
            &description,
            &svg,
        )?);
    }
    Ok(charts_drawn)
}
