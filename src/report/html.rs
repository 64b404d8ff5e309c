//! The HTML page and the accessible wrapper of each SVG chart, rendered with
//! minijinja; autoescaping is on for both, so every name from the data is
//! escaped.

use anyhow::Context as _;
use minijinja::context;

use serde::Serialize;

use super::sections::Section;
use super::security::SecurityView;
use super::tiles::Tile;
use super::RunInfo;
use crate::insights::DataTable;
use crate::insights::{window_start, WINDOW_DAYS};
use crate::report::templates::environment;
use crate::review::changes::{Baseline, ChangeEntry, Changes};
use crate::review::data_quality::DataQuality;
use crate::review::exceptions::Review;
use crate::review::reclaim_plan::Plan;
use crate::review::seat_reclaim::{SeatReclaim, IDLE_DAYS};

/// Rows of a figures table shown in the page; the CSV has them all.
const ROW_CAP: usize = 100;
/// Accounts of a change group shown in the page; data/changes.csv has all.
const CHANGE_CAP: usize = 25;
/// Accounts to fix shown under a control's advice; its CSV has all.
const TO_FIX_CAP: usize = 50;
/// Problems of set-aside rows shown in the page; data/bad_rows.csv has all.
const BAD_ROW_CAP: usize = 200;

/// Everything the page shows.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    pub sections: &'a [Section],
    pub tiles: &'a [Tile],
    pub changes: Option<&'a Changes>,
    pub baseline: &'a Baseline,
    pub seats: Option<&'a SeatReclaim>,
    /// With `[reclaim]`: its plan.
    pub reclaim: Option<&'a Plan>,
    pub exceptions: &'a Review,
    /// How names and emails appear, for the footer.
    pub names: &'static str,
    pub quality: &'a DataQuality,
    pub warnings: &'a [String],
    pub security: &'a SecurityView,
}

/// A change group as the page shows it: the first accounts and a count.
#[derive(Serialize)]
struct ChangeView<'a> {
    key: &'a str,
    title: &'a str,
    recorded: bool,
    count: usize,
    shown: &'a [ChangeEntry],
}

pub fn page(run: &RunInfo, page: &Page) -> anyhow::Result<String> {
    let compared_with = match page.baseline {
        Baseline::FirstReport => {
            "This is the first report in this folder: changes appear from the next report.".to_string()
        }
        Baseline::NoSnapshot(date) => format!(
            "The previous report ({date}) kept no account snapshot: changes appear from the next report."
        ),
        Baseline::Previous(snapshot) => format!("Compared with the report of {}.", snapshot.as_of),
    };
    let changes: Vec<ChangeView> = page
        .changes
        .iter()
        .flat_map(|c| &c.groups)
        .map(|g| ChangeView {
            key: g.key,
            title: g.title,
            recorded: g.recorded,
            count: g.entries.len(),
            shown: &g.entries[..g.entries.len().min(CHANGE_CAP)],
        })
        .collect();
    let bad_rows: Vec<String> = page
        .quality
        .bad_rows
        .iter()
        .take(BAD_ROW_CAP)
        .map(|bad| bad.problem.to_string())
        .collect();
    let env = environment()?;
    let template = env.get_template("report.html")?;
    template
        .render(context! {
            as_of => run.as_of.to_string(),
            window_days => WINDOW_DAYS,
            window_start => window_start(run.as_of).to_string(),
            // To the minute: insights.json keeps the exact time.
            generated_at => run.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            bundle => run.bundle,
            source => run.freshness.source,
            notices => run.freshness.notices,
            version => env!("CARGO_PKG_VERSION"),
            tiles => page.tiles,
            compared_with => compared_with,
            changes => changes,
            sections => page.sections,
            seats => page.seats,
            reclaim => page.reclaim,
            idle_days => IDLE_DAYS,
            exceptions => page.exceptions.exceptions,
            names => page.names,
            data_quality => page.quality,
            warnings => page.warnings,
            bad_rows => bad_rows,
            bad_rows_total => page.quality.bad_rows.len(),
            to_fix_cap => TO_FIX_CAP,
            row_cap => ROW_CAP,
            security => page.security,
        })
        .context("rendering index.html")
}

/// Gives a plotters SVG a `role`, a `<title>` and a `<desc>` that lists its
/// figures, so that screen readers can read the chart.
pub fn accessible_svg(section: &Section, svg: &str, table: &DataTable) -> anyhow::Result<String> {
    let description = table
        .rows
        .iter()
        .take(ROW_CAP)
        .map(|row| {
            row.iter()
                .map(|cell| cell.shown.as_str())
                .collect::<Vec<_>>()
                .join(": ")
        })
        .collect::<Vec<_>>()
        .join("; ");
    wrap_svg(section.key, section.title, &description, svg)
}

/// The narrow variant of a section's chart, for a phone: its own ids, and
/// a `<desc>` that points at the figures rather than repeating them (the
/// wide variant's, hidden there, lists them).
pub fn narrow_svg(section: &Section, svg: &str) -> anyhow::Result<String> {
    wrap_svg(
        &format!("{}-narrow", section.key),
        section.title,
        "The figures are in the table below the chart.",
        svg,
    )
}

/// A plotters SVG with `role="img"`, its `<title>` and its `<desc>`; `id`
/// makes their ids unique in the page.
pub fn wrap_svg(id: &str, title: &str, description: &str, svg: &str) -> anyhow::Result<String> {
    let open = svg.find("<svg").context("the chart has no <svg> element")?;
    let close = svg[open..]
        .find('>')
        .context("the chart's <svg> tag is not closed")?
        + open;
    let attributes = &svg[open + 4..close];
    let body = &svg[close + 1..];
    let env = environment()?;
    let rendered = env.get_template("chart.svg")?.render(context! {
        key => id,
        title => title,
        description => description,
        attributes => attributes,
        body => body.trim_start(),
    })?;
    Ok(rendered)
}
