//! The headline tiles at the top of the report: each figure with its change
//! since the previous report and since 30 days before, and a sparkline of
//! its history.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::charts;
use crate::insights::Headline;
use crate::support::words::{self, Direction};

/// Points in a sparkline: about two months of daily reports.
const SPARKLINE_POINTS: usize = 60;

#[derive(Debug, Clone, Serialize)]
pub struct Tile {
    pub label: &'static str,
    /// Empty when the figure has no data.
    pub value: String,
    pub since_previous: Option<Delta>,
    pub since_month: Option<Delta>,
    /// An SVG, when there are at least two figures to draw.
    pub sparkline: Option<String>,
    /// What the sparkline shows, for screen readers.
    pub sparkline_text: String,
}

/// The change of a figure against an earlier report.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// The earlier report's date.
    pub since: String,
    /// Signed and with its unit: "+12", "−3", "+1.5 pts", "no change".
    pub text: String,
    /// For the arrow beside the text.
    pub direction: Direction,
}

/// `history` is history.csv before the report date, oldest first.
pub fn build(
    headlines: &[Headline],
    history: &[BTreeMap<String, String>],
    as_of: NaiveDate,
) -> Vec<Tile> {
    let month_before = as_of
        .checked_sub_days(Days::new(30))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let previous = history.last();
    let a_month_ago = history
        .iter()
        .rev()
        .find(|row| row.get("as_of").is_some_and(|d| *d <= month_before));
    headlines
        .iter()
        .map(|h| {
            let percent = h.figure.is_percent();
            let delta = |row: Option<&BTreeMap<String, String>>| {
                let row = row?;
                let before = row.get(h.key)?.parse::<f64>().ok()?;
                let now = h.value.parse::<f64>().ok()?;
                let words::Change { text, direction } = words::change(now - before, percent);
                Some(Delta {
                    since: row.get("as_of").cloned().unwrap_or_default(),
                    text,
                    direction,
                })
            };
            let mut trend: Vec<(String, f64)> = history
                .iter()
                .filter_map(|row| {
                    let value = row.get(h.key)?.parse::<f64>().ok()?;
                    Some((row.get("as_of")?.clone(), value))
                })
                .collect();
            if let Ok(now) = h.value.parse::<f64>() {
                trend.push((as_of.to_string(), now));
            }
            let trend = &trend[trend.len().saturating_sub(SPARKLINE_POINTS)..];
            let values: Vec<f64> = trend.iter().map(|(_, v)| *v).collect();
            let sparkline = (values.len() >= 2)
                .then(|| charts::sparkline(&values).ok())
                .flatten();
            let sparkline_text = match (trend.first(), trend.last()) {
                (Some((from, first)), Some((to, last))) if trend.len() >= 2 => format!(
                    "{} over {} reports, from {} on {from} to {} on {to}",
                    h.label,
                    trend.len(),
                    number(*first),
                    number(*last)
                ),
                _ => String::new(),
            };
            Tile {
                label: h.label,
                value: h.value.clone(),
                since_previous: delta(previous),
                since_month: delta(a_month_ago),
                sparkline,
                sparkline_text,
            }
        })
        .collect()
}

/// A figure of history.csv as the page writes it (76,176; 90.1).
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        words::readable(&format!("{}", value as i64))
    } else {
        words::readable(&format!("{value:.1}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::Figure;

    fn headline(figure: Figure, value: &str) -> Headline {
        Headline {
            figure,
            label: "x",
            key: figure.key(),
            value: value.to_string(),
        }
    }

    fn row(as_of: &str, key: &str, value: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("as_of".to_string(), as_of.to_string()),
            (key.to_string(), value.to_string()),
        ])
    }

    #[test]
    fn changes_against_the_previous_report_and_a_month_before() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let history = vec![
            row("2026-02-28", "users_with_access", "90"),
            row("2026-03-01", "users_with_access", "95"), // the 30 days before is 03-01
            row("2026-03-02", "users_with_access", "99"),
            row("2026-03-30", "users_with_access", "110"),
        ];
        let tiles = build(&[headline(Figure::UsersWithAccess, "104")], &history, as_of);
        let tile = &tiles[0];
        let previous = tile.since_previous.as_ref().unwrap();
        assert_eq!(
            (previous.since.as_str(), previous.text.as_str()),
            ("2026-03-30", "\u{2212}6")
        );
        let month = tile.since_month.as_ref().unwrap();
        assert_eq!(
            (month.since.as_str(), month.text.as_str()),
            ("2026-03-01", "+9")
        );
        assert!(tile.sparkline.is_some());
        assert!(tile
            .sparkline_text
            .contains("over 5 reports, from 90 on 2026-02-28 to 104 on 2026-03-31"));
    }

    #[test]
    fn percentages_change_in_points_and_missing_figures_have_no_change() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let history = vec![row("2026-03-30", "external_policy_percent", "93.3")];
        let tiles = build(
            &[headline(Figure::ExternalPolicyPercent, "95.1")],
            &history,
            as_of,
        );
        assert_eq!(tiles[0].since_previous.as_ref().unwrap().text, "+1.8 pts");
        assert!(tiles[0].since_month.is_none());

        let tiles = build(
            &[headline(Figure::ExternalPolicyPercent, "")],
            &history,
            as_of,
        );
        assert!(tiles[0].since_previous.is_none());
        assert!(tiles[0].sparkline.is_none());
    }
}
