//! Each insight's section of the page: what the insight presents (its
//! words, figures table and chart, from `src/insights/`), its chart drawn,
//! and what the run adds (why it has no data, the figure without the
//! excepted accounts).

use super::charts::Fit;
use crate::review::controls::ToFix;
use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::Serialize;

use super::charts;
use crate::insight_key::InsightKey;
use crate::insights::{DataTable, Presented};
use crate::review::exceptions::Review;
use crate::review::tokens::TokensToFix;
use crate::support::words::count_of;

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The key of the insight in insights.json; also names its chart and CSV.
    pub key: &'static str,
    pub title: &'static str,
    /// What the figure means, in plain words.
    pub explanation: &'static str,
    /// The figures in one sentence (empty when there is no data).
    pub summary: String,
    pub table: Option<DataTable>,
    pub svg: Option<String>,
    /// The chart drawn for a phone's width ([`charts::Fit::Narrow`]).
    pub svg_narrow: Option<String>,
    /// Why there is no data, when the needed tables are missing.
    pub missing: Option<String>,
    /// What to do, in plain words.
    pub advice: Vec<String>,
    /// The coverage figure without the excepted accounts.
    pub without_exceptions: Option<String>,
    /// For a control, the accounts that do not meet it.
    pub to_fix: Option<ToFix>,
    /// For API token activity, the tokens that need attention.
    pub tokens: Option<TokensToFix>,
}

/// The sections in the contract's order, their charts drawn.
pub fn build(
    presented: Vec<Presented>,
    missing: &BTreeMap<String, String>,
    review: &Review,
    to_fix: &[ToFix],
) -> anyhow::Result<Vec<Section>> {
    presented
        .into_iter()
        .map(|insight| {
            let key = insight.key.as_str();
            let (summary, table, svgs) = match insight.shown {
                Some(shown) => {
                    let draw = |fit| {
                        charts::draw(&shown.chart, fit)
                            .with_context(|| format!("drawing the chart of {key}"))
                    };
                    let svgs = (draw(Fit::Wide)?, draw(Fit::Narrow)?);
                    (shown.summary, Some(shown.table), Some(svgs))
                }
                None => (String::new(), None, None),
            };
            let (svg, svg_narrow) = svgs.unzip();
            Ok(Section {
                key,
                title: insight.title,
                explanation: insight.lead,
                summary,
                table,
                svg,
                svg_narrow,
                missing: missing.get(key).cloned(),
                advice: insight.advice,
                without_exceptions: without_exceptions(insight.key, review),
                to_fix: to_fix.iter().find(|t| t.key == key).cloned(),
                tokens: None,
            })
        })
        .collect()
}

/// "Without the 2 excepted accounts: 100.0 %" for the coverage insights.
fn without_exceptions(key: InsightKey, review: &Review) -> Option<String> {
    let coverage = *review.coverage.get(&key)?;
    if coverage.excepted == 0 {
        return None;
    }
    let figure = coverage
        .percent_without
        .map(|p| format!("{p:.1} %"))
        .unwrap_or_else(|| "no accounts left".to_string());
    let accounts = count_of(coverage.excepted, "excepted account");
    Some(format!(
        "Without the {accounts} (see Exceptions): {figure}."
    ))
}
