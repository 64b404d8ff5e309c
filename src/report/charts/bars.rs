//! Horizontal bars, one per category (stacked for several series): the
//! names left of the bars (wide) or above them (narrow), totals at their end.

use minijinja::HtmlEscape;
use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::*;
use crate::insights::Series;
use crate::support::words;

/// Horizontal bars, one per category, stacked when there are several series.
/// The total of each bar is written at its end.
pub(super) fn bars(
    title: &str,
    x_label: &str,
    categories: &[String],
    series: &[Series],
    fit: Fit,
) -> DrawResult<String> {
    let rows = categories.len();
    // The key is a line per series where a line of them would not fit.
    let legend = match (series.len(), fit) {
        (0 | 1, _) => 0,
        (_, Fit::Wide) => 28,
        (n, Fit::Narrow) => 24 * n as u32 + 4,
    };
    let row_height = match fit {
        Fit::Wide => 34,
        Fit::Narrow => 50,
    };
    let height = 110 + legend + row_height * rows.max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (fit.width(), height)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        if rows == 0 {
            nothing_to_show(&root)?;
        } else {
            let plot = Plot {
                height: height - 30 - legend,
                x_label,
                categories,
                series,
            };
            draw_bars(&root, &plot, fit)?;
        }
        root.present()?;
    }
    Ok(with_names(svg, categories))
}

/// What a bar chart's plot area draws.
pub(super) struct Plot<'a> {
    height: u32,
    x_label: &'a str,
    categories: &'a [String],
    series: &'a [Series],
}

/// Each category's total over its series.
pub(super) fn row_totals(series: &[Series], rows: usize) -> Vec<u64> {
    (0..rows)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect()
}

/// Room for the longest category name, as shortened on the axis.
pub(super) fn label_area(categories: &[String]) -> u32 {
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    (longest.min(LABEL_CHARS) as u32 * CHAR_WIDTH as u32 + 16).max(60)
}

/// The segments of row `i` (at `slot`), one per series, stacked.
pub(super) fn draw_segments<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordu64, RangedCoordf64>>,
    series: &[Series],
    i: usize,
    slot: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let mut start = 0u64;
    for (s, one) in series.iter().enumerate() {
        let value = one.values.get(i).copied().unwrap_or(0);
        if value == 0 {
            continue;
        }
        let corners = [(start, slot + 0.18), (start + value, slot + 0.82)];
        chart.draw_series(std::iter::once(Rectangle::new(
            corners,
            PALETTE[s % PALETTE.len()].filled(),
        )))?;
        if series.len() > 1 {
            // Not by colour alone: a white edge parts the segments
            // and each one that has room carries its own figure.
            chart.draw_series(std::iter::once(Rectangle::new(
                corners,
                WHITE.stroke_width(1),
            )))?;
            let width = chart.backend_coord(&(start + value, slot)).0
                - chart.backend_coord(&(start, slot)).0;
            let figure = words::thousands(value);
            if width >= CHAR_WIDTH * figure.chars().count() as i32 + 8 {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((start, slot + 0.5))
                        + Text::new(
                            figure,
                            (width / 2, 0),
                            (FONT, SEGMENT_TEXT)
                                .into_font()
                                .color(&SEGMENT_INK[s % PALETTE.len()])
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        ),
                ))?;
            }
        }
        start += value;
    }
    Ok(())
}

pub(super) fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    plot: &Plot,
    fit: Fit,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let rows = plot.categories.len();
    let (area, key) = root.split_vertically(plot.height);
    let totals = row_totals(plot.series, rows);
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    // Wide: the names in an area left of the bars. Narrow: each name on
    // its own line above its bar, from the plot's left edge.
    let label_area = match fit {
        Fit::Wide => label_area(plot.categories),
        Fit::Narrow => 4,
    };
    // Room to the right of the longest bar for its total.
    let headroom = match fit {
        Fit::Wide => max / 3 + 1,
        Fit::Narrow => max / 2 + 1,
    };
    // A tick label is centred on its tick: room for half of one past the
    // axis's end.
    let right = if fit == Fit::Narrow { 34 } else { 10 };
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .margin_right(right)
        .x_label_area_size(48)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0u64..max + headroom, 0f64..rows as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(if fit == Fit::Wide { 5 } else { 3 })
        .x_label_formatter(&|x| words::thousands(*x))
        .x_desc(plot.x_label)
        .label_style((FONT, TEXT).into_font().color(&INK))
        .draw()?;

    let text = (FONT, TEXT).into_font().color(&INK);
    for (i, total) in totals.iter().enumerate() {
        // The first category is drawn at the top.
        let slot = (rows - 1 - i) as f64;
        let (name_at, bar_at) = match fit {
            Fit::Wide => ((0, slot + 0.5), slot),
            Fit::Narrow => ((0, slot + 0.98), slot - 0.12),
        };
        let name_style = match fit {
            Fit::Wide => text.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            Fit::Narrow => text.clone().pos(Pos::new(HPos::Left, VPos::Top)),
        };
        let name_offset = if fit == Fit::Wide { (-8, 0) } else { (0, 0) };
        chart.draw_series(std::iter::once(
            EmptyElement::at(name_at) + Text::new(name_marker(i), name_offset, name_style),
        ))?;
        draw_segments(&mut chart, plot.series, i, bar_at)?;
        chart.draw_series(std::iter::once(Text::new(
            format!(" {}", words::thousands(*total)),
            (*total, bar_at + 0.5),
            text.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    if plot.series.len() > 1 {
        draw_key(&key, plot.series.iter().map(|s| s.name), fit)?;
    }
    Ok(())
}

/// The colour key of a stacked chart, below the plot.
pub(super) fn draw_key<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: impl Iterator<Item = &'a str>,
    fit: Fit,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    // Wide: one line. Narrow: a line per name.
    let (mut x, mut y) = (20, 8);
    for (i, name) in names.enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        area.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], colour.filled()))?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 20, y + 7),
            (FONT, TEXT)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        match fit {
            Fit::Wide => x += 40 + CHAR_WIDTH * name.chars().count() as i32,
            Fit::Narrow => y += 24,
        }
    }
    Ok(())
}

/// Axis labels have room for [`LABEL_CHARS`] characters; the table and
/// the label's own `<title>` ([`with_names`]) have the rest.
pub(super) fn short_label(label: &str) -> String {
    words::shorten(label, LABEL_CHARS)
}

/// Stands in for category `i`'s name while plotters draws: characters of
/// Unicode's private use area, which no escaping touches.
pub(super) fn name_marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// Puts each category's name where its marker was drawn, cut to
/// [`LABEL_CHARS`]; a cut name gets a `<title>` with the whole name, which
/// browsers show on hover and screen readers read.
pub(super) fn with_names(svg: String, categories: &[String]) -> String {
    let mut svg = svg;
    for (i, name) in categories.iter().enumerate() {
        let short = short_label(name);
        let text = if short == *name {
            HtmlEscape(name).to_string()
        } else {
            format!("<title>{}</title>{}", HtmlEscape(name), HtmlEscape(&short))
        };
        svg = svg.replacen(&name_marker(i), &text, 1);
    }
    svg
}
