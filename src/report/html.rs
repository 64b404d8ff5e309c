//! The HTML page and the accessible wrapper of each SVG chart, rendered with
//! minijinja; autoescaping is on for both, so every name from the data is
//! escaped.

use anyhow::Context as _;
use minijinja::context;

use super::files::RunInfo;
use super::sections::{DataTable, Headline, Section};
use crate::data_quality::DataQuality;
use crate::insights::{window_start, WINDOW_DAYS};
use crate::templates::environment;

/// Rows of a figures table shown in the page; the CSV has them all.
const ROW_CAP: usize = 100;

pub fn page(
    run: &RunInfo,
    sections: &[Section],
    headlines: &[Headline],
    quality: &DataQuality,
    warnings: &[String],
) -> anyhow::Result<String> {
    let env = environment()?;
    let template = env.get_template("report.html")?;
    template
        .render(context! {
            as_of => run.as_of.to_string(),
            window_days => WINDOW_DAYS,
            window_start => window_start(run.as_of).to_string(),
            generated_at => run.generated_at.to_rfc3339(),
            bundle => run.bundle,
            version => env!("CARGO_PKG_VERSION"),
            headlines => headlines,
            sections => sections,
            data_quality => quality,
            warnings => warnings,
            row_cap => ROW_CAP,
        })
        .context("rendering index.html")
}

/// Gives a plotters SVG a `role`, a `<title>` and a `<desc>` that lists its
/// figures, so that screen readers can read the chart.
pub fn accessible_svg(section: &Section, svg: &str, table: &DataTable) -> anyhow::Result<String> {
    let open = svg.find("<svg").context("the chart has no <svg> element")?;
    let close = svg[open..]
        .find('>')
        .context("the chart's <svg> tag is not closed")?
        + open;
    let attributes = &svg[open + 4..close];
    let body = &svg[close + 1..];
    let description = table
        .rows
        .iter()
        .take(ROW_CAP)
        .map(|row| row.join(": "))
        .collect::<Vec<_>>()
        .join("; ");
    let env = environment()?;
    let rendered = env.get_template("chart.svg")?.render(context! {
        key => section.key,
        title => section.title,
        description => description,
        attributes => attributes,
        body => body.trim_start(),
    })?;
    Ok(rendered)
}
