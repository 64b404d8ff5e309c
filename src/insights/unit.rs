//! What makes an insight: the [`Insight`] trait that each insight's file
//! implements, and the plain data it hands to the report (a figures table,
//! a chart to draw, its words and advice). The report draws and lays out;
//! it does not know what any insight means.

use polars::prelude::PolarsResult;
use serde::Serialize;

use super::figure::{Figure, Trigger};
use super::{Context, Insights};
use crate::bundle::Table;
use crate::config::Thresholds;
use crate::insight_key::InsightKey;
use crate::support::words::{format_percent, thousands};

/// One insight: its rule, its words, its chart and its advice.
pub trait Insight: Sized {
    /// The heading of its section.
    const TITLE: &'static str;
    /// What the figure means, in plain words.
    const LEAD: &'static str;
    /// How a list of what a source does not record names it
    /// ("mobile app use").
    const NOUN: &'static str;
    /// The tables it needs; without one of them it shows "no data".
    const TABLES: &'static [Table];

    /// The figures, from the bundle's tables; `None` when a table it needs
    /// is missing.
    fn compute(ctx: &Context) -> Option<PolarsResult<Self>>;

    /// The one-sentence summary, the figures table and the chart.
    fn show(&self) -> Shown;

    /// What to do, in plain words.
    fn advise(&self, on: &Advising) -> Vec<String>;

    /// Its headline figures (tiles, digest, history.csv), in order, with
    /// their labels.
    const HEADLINES: &'static [(Figure, &'static str)] = &[];

    /// The value of one of its [`Insight::HEADLINES`], as history.csv
    /// writes it; empty when there is none.
    fn headline(&self, _figure: Figure) -> String {
        String::new()
    }

    /// When one of its headline figures mails the digest with `[email]
    /// send = "on_threshold"`.
    fn trigger(_figure: Figure, _limits: &Thresholds) -> Option<Trigger> {
        None
    }

    /// What needs attention in its figures, for the digest: each with its
    /// place among every insight's findings (lower first; `all` has the
    /// figures of the other insights).
    fn findings(&self, _all: &Insights) -> Vec<(u8, String)> {
        Vec::new()
    }

    /// The security control it measures, whose gaps the report names
    /// account by account.
    const CONTROL: Option<ControlRule> = None;
}

/// What a control's rule reads of one account with access.
pub struct AccountFacts {
    pub external: bool,
    /// `None` when the source does not record single sign-on.
    pub sso: Option<bool>,
    /// Two-step verification on, by the person or by a policy.
    pub two_step_on: bool,
    pub external_policy: bool,
    /// False for a managed account whose `sso` and `two_step` the source
    /// has not recorded yet.
    pub auth_recorded: bool,
}

/// A security control: who it is about, who meets it, and what is wrong
/// with an account that does not.
pub struct ControlRule {
    /// Who does not meet it, in words.
    pub title: &'static str,
    pub applies_to: fn(&AccountFacts) -> bool,
    pub is_met_by: fn(&AccountFacts) -> bool,
    pub gap: fn(&AccountFacts) -> &'static str,
}

/// What advice may look at besides the insight's own figures.
pub struct Advising<'a> {
    /// Every figure of the report (Rovo use is judged against the seats).
    pub insights: &'a Insights,
    pub limits: &'a Thresholds,
    /// Accounts with access and no activity in the window.
    pub idle_accounts: u64,
}

/// The rows and columns behind one chart. The page shows each column's
/// label and each cell's shown text ("Account type", "Managed", "76,176");
/// the chart's CSV keeps the keys and the raw values ("account_type",
/// "managed", "76176") that scripts read.
#[derive(Debug, Clone, Serialize)]
pub struct DataTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub raw: String,
    pub shown: String,
}

impl Cell {
    /// A count: plain in the CSV, with separators on the page.
    pub fn count(count: u64) -> Self {
        Cell {
            raw: count.to_string(),
            shown: thousands(count),
        }
    }

    /// A category known by a key in the CSV and by words on the page.
    pub fn labelled(key: &str, label: &str) -> Self {
        Cell {
            raw: key.to_string(),
            shown: label.to_string(),
        }
    }

    /// Text from the data (a domain, a product, a month), the same in both.
    /// A product: its key in the CSV, its name on the page.
    pub fn product(key: &str) -> Self {
        Cell {
            raw: key.to_string(),
            shown: crate::support::words::product_name(key),
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        Cell {
            shown: text.clone(),
            raw: text,
        }
    }

    /// A percentage with one decimal; empty when there is none.
    pub fn percent(value: Option<f64>) -> Self {
        Cell::text(format_percent(value))
    }

    /// Yes or no on the page, `true` or `false` in the CSV.
    pub fn flag(value: bool) -> Self {
        Cell {
            raw: value.to_string(),
            shown: if value { "yes" } else { "no" }.to_string(),
        }
    }
}

impl DataTable {
    /// Columns as (CSV key, page label).
    pub fn new(columns: &[(&'static str, &'static str)]) -> Self {
        DataTable {
            columns: columns
                .iter()
                .map(|&(key, label)| Column { key, label })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// A chart as data; the report draws it.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Horizontal bars, one per category, stacked when there are several
    /// series.
    Bars {
        title: &'static str,
        axis: &'static str,
        categories: Vec<String>,
        series: Vec<Series>,
    },
    /// A line of daily values (`days` as YYYY-MM-DD); the days before
    /// `known_from` (an index) are drawn as "no data".
    Line {
        title: &'static str,
        axis: &'static str,
        days: Vec<String>,
        values: Vec<u64>,
        known_from: usize,
    },
    /// Vertical columns, one per month (`months` as YYYY-MM).
    Columns {
        title: &'static str,
        axis: &'static str,
        months: Vec<String>,
        values: Vec<u64>,
    },
}

impl Chart {
    /// Bars of one series: a value per category.
    pub fn bars(
        title: &'static str,
        axis: &'static str,
        categories: Vec<String>,
        name: &'static str,
        values: Vec<u64>,
    ) -> Chart {
        Chart::Bars {
            title,
            axis,
            categories,
            series: vec![Series { name, values }],
        }
    }
}

/// One named series of a bar chart, a value per category.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: &'static str,
    pub values: Vec<u64>,
}

/// What the page shows of an insight that has data.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The figures in one sentence.
    pub summary: String,
    pub table: DataTable,
    pub chart: Chart,
}

/// One insight as the report lays it out.
#[derive(Debug, Clone)]
pub struct Presented {
    pub key: InsightKey,
    pub title: &'static str,
    pub lead: &'static str,
    /// `None` when the insight has no data.
    pub shown: Option<Shown>,
    pub advice: Vec<String>,
}

impl Presented {
    pub(super) fn of<I: Insight>(key: InsightKey, figures: Option<&I>, on: &Advising) -> Self {
        Presented {
            key,
            title: I::TITLE,
            lead: I::LEAD,
            shown: figures.map(I::show),
            advice: figures.map(|f| f.advise(on)).unwrap_or_default(),
        }
    }
}
