//! SVG charts drawn with plotters. Three shapes cover every insight:
//! horizontal (stacked) bars for categories, a line for the daily trend and
//! columns for monthly trends. Bars are plain rectangles so that the same
//! figures always give byte-identical SVG.
//!
//! Each chart comes in two [`Fit`]s: wide for a desktop's column and
//! narrow for a phone's, where the page shows it unscaled so that its text
//! stays at least 12 px tall. A narrow bar chart writes each name on its
//! own line above its bar, and monthly columns become one bar per month.

use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use crate::insights::{Chart, Series};
use chrono::NaiveDate;
use minijinja::HtmlEscape;

use crate::words;

/// Okabe–Ito colours: distinguishable with every common colour-vision
/// deficiency.
pub const PALETTE: [RGBColor; 4] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
];
const INK: RGBColor = RGBColor(33, 37, 41);
/// The span of a daily line before its source began recording.
const NO_DATA: RGBColor = RGBColor(233, 236, 239);
/// Text on each palette colour with a contrast of at least 4.5:1: white on
/// blue, near-black on the lighter three.
const SEGMENT_INK: [RGBColor; 4] = [WHITE, INK, INK, INK];
const FONT: &str = "sans-serif";

/// The width a chart is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// 760 px: a desktop's column (980 px at most) holds it unscaled.
    Wide,
    /// 340 px: a 390 px phone's column (350 px) holds it unscaled.
    Narrow,
}

impl Fit {
    fn width(self) -> u32 {
        match self {
            Fit::Wide => 760,
            Fit::Narrow => 340,
        }
    }
}
/// The size of every chart text but titles. Chromium draws 13 px text
/// 11 px tall; 15 px text stands at least 12 px tall on screen when the
/// chart is drawn at its own width (the page's column at 1280 px holds it
/// unscaled).
const TEXT: u32 = 15;
/// Figures inside the segments of a stacked bar.
const SEGMENT_TEXT: u32 = 15;
/// The width of one character of chart text, over-estimated so that text
/// given this much room does not touch its neighbour.
const CHAR_WIDTH: i32 = 10;
/// Category names on an axis are cut to this many characters: a product
/// name, a domain or a site of up to 32 characters is written whole.
const LABEL_CHARS: usize = 32;

type DrawResult<T> = anyhow::Result<T>;

/// Draws an insight's chart for `fit`.
pub fn draw(chart: &Chart, fit: Fit) -> DrawResult<String> {
    match chart {
        Chart::Bars {
            title,
            axis,
            categories,
            series,
        } => bars(title, axis, categories, series, fit),
        Chart::Line {
            title,
            axis,
            days,
            values,
            known_from,
        } => line(title, axis, days, values, *known_from, fit),
        Chart::Columns {
            title,
            axis,
            months,
            values,
        } => match fit {
            Fit::Wide => columns(title, axis, months, values),
            // Twelve columns in 340 px leave no room for their names.
            Fit::Narrow => {
                let names = months
                    .iter()
                    .map(|m| formatted_month(m, "%b %Y"))
                    .collect::<Vec<_>>();
                let series = [Series {
                    name: "",
                    values: values.clone(),
                }];
                bars(title, axis, &names, &series, fit)
            }
        },
    }
}

/// Horizontal bars, one per category, stacked when there are several series.
/// The total of each bar is written at its end.
fn bars(
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
struct Plot<'a> {
    height: u32,
    x_label: &'a str,
    categories: &'a [String],
    series: &'a [Series],
}

/// Each category's total over its series.
fn row_totals(series: &[Series], rows: usize) -> Vec<u64> {
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
fn label_area(categories: &[String]) -> u32 {
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    (longest.min(LABEL_CHARS) as u32 * CHAR_WIDTH as u32 + 16).max(60)
}

/// The segments of row `i` (at `slot`), one per series, stacked.
fn draw_segments<DB: DrawingBackend>(
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

fn draw_bars<DB: DrawingBackend>(
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

/// A line of daily values. Only the first, the last, the lowest and the
/// highest point carry their value: thirty labels would touch.
fn line(
    title: &str,
    y_label: &str,
    days: &[String],
    values: &[u64],
    known_from: usize,
    fit: Fit,
) -> DrawResult<String> {
    let known_from = known_from.min(values.len());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (fit.width(), 340)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        let last = values.len().saturating_sub(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            // Room for half of the last day, centred on the last point.
            .margin_right(32)
            .x_label_area_size(48)
            .y_label_area_size(value_axis_room(max))
            .build_cartesian_2d(0..last.max(1), 0u64..max + max / 5 + 1)?;
        chart
            .configure_mesh()
            .x_labels(if fit == Fit::Wide { 8 } else { 4 })
            .x_label_formatter(&|i| {
                // Narrow: the first day's label would touch the value
                // axis's 0.
                if fit == Fit::Narrow && *i == 0 {
                    return String::new();
                }
                days.get(*i as usize)
                    .map(|d| d.get(5..).unwrap_or(d).to_string())
                    .unwrap_or_default()
            })
            .y_labels(6)
            .y_label_formatter(&|y| words::thousands(*y))
            .y_desc(y_label)
            .x_desc("day")
            .label_style((FONT, TEXT).into_font().color(&INK))
            .draw()?;
        let top = max + max / 5 + 1;
        if known_from > 0 {
            // Before the source began recording: a shaded "no data" span.
            let end = (known_from as i32).min(last.max(1));
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0, top), (end, 0)],
                NO_DATA.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                "no data",
                (end / 2, top - top / 10),
                (FONT, TEXT)
                    .into_font()
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            )))?;
        }
        let points: Vec<(i32, u64)> = values
            .iter()
            .enumerate()
            .skip(known_from)
            .map(|(i, v)| (i as i32, *v))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), PALETTE[0].stroke_width(2)))?;
        chart.draw_series(
            points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 3, PALETTE[0].filled())),
        )?;
        let mut placed: Vec<Bounds> = Vec::new();
        let offset = known_from as i32;
        for (x, y, above) in labelled_points(&values[known_from..]) {
            let x = x + offset;
            let at = chart.backend_coord(&(x, y));
            let text = words::thousands(y);
            let Some((bounds, offset)) = free_spot(at, &text, above, &placed) else {
                continue;
            };
            placed.push(bounds);
            let vertical = if offset < 0 { VPos::Bottom } else { VPos::Top };
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y))
                    + Text::new(
                        text,
                        (0, offset),
                        (FONT, TEXT)
                            .into_font()
                            .color(&INK)
                            .pos(Pos::new(HPos::Center, vertical)),
                    ),
            ))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// The points of a daily line that carry their value, most telling first:
/// the highest (label above), the lowest (below), the last and the first
/// (above); each point once.
fn labelled_points(values: &[u64]) -> Vec<(i32, u64, bool)> {
    let (Some(high), Some(low)) = (
        (0..values.len()).max_by_key(|&i| (values[i], std::cmp::Reverse(i))),
        (0..values.len()).min_by_key(|&i| (values[i], i)),
    ) else {
        return Vec::new();
    };
    let mut chosen: Vec<(i32, u64, bool)> = Vec::new();
    for (i, above) in [
        (high, true),
        (low, false),
        (values.len() - 1, true),
        (0, true),
    ] {
        if !chosen.iter().any(|&(x, _, _)| x == i as i32) {
            chosen.push((i as i32, values[i], above));
        }
    }
    chosen
}

/// A text's box in pixels: left, top, right, bottom.
type Bounds = (i32, i32, i32, i32);

/// Where a value label of `point` fits without touching those `placed`:
/// its box and its vertical offset from the point, on the preferred side
/// first. `None`: it fits on neither side.
fn free_spot(
    point: (i32, i32),
    text: &str,
    above: bool,
    placed: &[Bounds],
) -> Option<(Bounds, i32)> {
    let half = CHAR_WIDTH * text.chars().count() as i32 / 2;
    let height = TEXT as i32 + 4;
    let sides = if above { [-6, 6] } else { [6, -6] };
    sides.into_iter().find_map(|offset| {
        let top = if offset < 0 {
            point.1 + offset - height
        } else {
            point.1 + offset
        };
        let bounds = (point.0 - half, top, point.0 + half, top + height);
        let touches = |other: &Bounds| {
            bounds.0 < other.2 && other.0 < bounds.2 && bounds.1 < other.3 && other.1 < bounds.3
        };
        (!placed.iter().any(touches)).then_some((bounds, offset))
    })
}

/// Room left of a value axis for its tick labels (with separators) and its
/// name, written sideways.
fn value_axis_room(max: u64) -> u32 {
    let widest = words::thousands(max + max / 5 + 1).chars().count() as u32;
    widest * CHAR_WIDTH as u32 + 34
}

/// Vertical columns, one per month, each with its value on top.
fn columns(title: &str, y_label: &str, months: &[String], values: &[u64]) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (Fit::Wide.width(), 320)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        if months.is_empty() {
            nothing_to_show(&root)?;
        } else {
            draw_columns(&root, y_label, months, values)?;
        }
        root.present()?;
    }
    Ok(svg)
}

fn draw_columns<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    y_label: &str,
    months: &[String],
    values: &[u64],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(value_axis_room(max))
        .build_cartesian_2d(0f64..months.len() as f64, 0u64..max + max / 5 + 1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|y| words::thousands(*y))
        .y_desc(y_label)
        .x_desc(month_span(months))
        .label_style((FONT, TEXT).into_font().color(&INK))
        .draw()?;
    let text = (FONT, TEXT).into_font().color(&INK);
    // Every column carries its value when the widest fits its column;
    // otherwise only the last and the highest do.
    let pitch = chart.backend_coord(&(1.0, 0)).0 - chart.backend_coord(&(0.0, 0)).0;
    let widest = values
        .iter()
        .map(|v| words::thousands(*v).chars().count())
        .max()
        .unwrap_or(0);
    let all_fit = CHAR_WIDTH * widest as i32 + 4 <= pitch;
    let highest = (0..values.len()).max_by_key(|&i| (values[i], std::cmp::Reverse(i)));
    for (i, (month, value)) in months.iter().zip(values).enumerate() {
        let slot = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(slot + 0.15, 0), (slot + 0.85, *value)],
            PALETTE[0].filled(),
        )))?;
        if all_fit || i + 1 == values.len() || Some(i) == highest {
            chart.draw_series(std::iter::once(Text::new(
                words::thousands(*value),
                (slot + 0.5, *value),
                text.clone().pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))?;
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((slot + 0.5, 0))
                + Text::new(
                    month_name(month),
                    (0, 8),
                    text.clone().pos(Pos::new(HPos::Center, VPos::Top)),
                ),
        ))?;
    }
    Ok(())
}

/// "2026-03" as "Mar": twelve "2026-03" labels would touch; the axis name
/// says which months ([`month_span`]).
fn month_name(month: &str) -> String {
    formatted_month(month, "%b")
}

/// "month, Dec 2025 to Nov 2026": the axis name of a monthly chart.
fn month_span(months: &[String]) -> String {
    let long = |month: &String| formatted_month(month, "%b %Y");
    match (months.first(), months.last()) {
        (Some(first), Some(last)) if first != last => {
            format!("month, {} to {}", long(first), long(last))
        }
        (Some(only), _) => format!("month, {}", long(only)),
        _ => "month".to_string(),
    }
}

/// A "YYYY-MM" month in `format`; anything else as it is.
fn formatted_month(month: &str, format: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|first| first.format(format).to_string())
        .unwrap_or_else(|_| month.to_string())
}

/// The long-term trend of one headline figure over every date of
/// history.csv (the archive page, as small multiples): a line, the last
/// point marked and labelled, the first and last dates on the axis.
pub fn trend(title: &str, dates: &[String], values: &[f64], percent: bool) -> DrawResult<String> {
    let shown = |v: f64| {
        if percent {
            format!("{v:.1}")
        } else {
            words::thousands(v.max(0.0).round() as u64)
        }
    };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (Fit::Narrow.width(), 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        let high = values.iter().copied().fold(0.0, f64::max).max(1.0);
        let top = if percent { 100.0 } else { high * 1.2 };
        let last = values.len().saturating_sub(1).max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            // Room for half of the last date, centred on the last point.
            .margin_right(56)
            .x_label_area_size(48)
            .y_label_area_size(value_axis_room(top as u64))
            .build_cartesian_2d(0..last, 0f64..top)?;
        // No tick labels (the two ends are written below); plotters asks
        // for at least one on an integer axis.
        chart
            .configure_mesh()
            .x_labels(1)
            .x_label_formatter(&|_| String::new())
            .y_labels(5)
            .y_label_formatter(&|y| shown(*y))
            .x_desc("report date")
            .label_style((FONT, TEXT).into_font().color(&INK))
            .draw()?;
        // The first and the last date, each at its end of the axis.
        let text = (FONT, TEXT).into_font().color(&INK);
        let ends = [
            (0, dates.first(), HPos::Left),
            (last, dates.last(), HPos::Right),
        ];
        for (x, date, side) in ends {
            if let Some(date) = date {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, 0.0))
                        + Text::new(
                            date.clone(),
                            (0, 8),
                            text.clone().pos(Pos::new(side, VPos::Top)),
                        ),
                ))?;
            }
        }
        let points: Vec<(i32, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i32, *v))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), PALETTE[0].stroke_width(2)))?;
        if let Some(&(x, y)) = points.last() {
            chart.draw_series(std::iter::once(Circle::new((x, y), 3, PALETTE[0].filled())))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y))
                    + Text::new(
                        shown(y),
                        (-6, -6),
                        (FONT, TEXT)
                            .into_font()
                            .color(&INK)
                            .pos(Pos::new(HPos::Right, VPos::Bottom)),
                    ),
            ))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// A sparkline: the trend of one headline figure over past reports, a line
/// without axes, the latest point marked. No background, so it sits on the
/// tile in either colour scheme.
pub fn sparkline(values: &[f64]) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (120, 32)).into_drawing_area();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = if low.is_finite() && high > low {
            (low, high)
        } else {
            let centre = if low.is_finite() { low } else { 0.0 };
            (centre - 1.0, centre + 1.0)
        };
        let last = values.len().saturating_sub(1).max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(4)
            .build_cartesian_2d(0f64..last, low..high)?;
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), PALETTE[0].stroke_width(2)))?;
        if let Some(&end) = points.last() {
            chart.draw_series(std::iter::once(Circle::new(end, 3, PALETTE[0].filled())))?;
        }
        root.present()?;
    }
    Ok(svg)
}

fn nothing_to_show<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let (width, height) = area.dim_in_pixel();
    area.draw(&Text::new(
        "nothing to show",
        (width as i32 / 2, height as i32 / 2),
        (FONT, 15)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// The colour key of a stacked chart, below the plot.
fn draw_key<'a, DB: DrawingBackend>(
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
fn short_label(label: &str) -> String {
    words::shorten(label, LABEL_CHARS)
}

/// Stands in for category `i`'s name while plotters draws: characters of
/// Unicode's private use area, which no escaping touches.
fn name_marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// Puts each category's name where its marker was drawn, cut to
/// [`LABEL_CHARS`]; a cut name gets a `<title>` with the whole name, which
/// browsers show on hover and screen readers read.
fn with_names(svg: String, categories: &[String]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(svg: &str, label: &str) -> usize {
        svg.matches(&format!(">\n{label}\n</text>")).count()
    }

    #[test]
    fn every_category_is_labelled_once_in_order() {
        for rows in 1..4 {
            let categories: Vec<String> = (0..rows).map(|i| format!("cat{i}")).collect();
            let values = (1..=rows as u64).collect();
            let svg = bars(
                "t",
                "x",
                &categories,
                &[Series { name: "s", values }],
                Fit::Wide,
            )
            .unwrap();
            for category in &categories {
                assert_eq!(labels(&svg, category), 1, "{category} of {rows}");
            }
            // The first category is drawn above the others.
            if rows > 1 {
                let y_of = |label: &str| {
                    let at = svg.find(&format!("\n{label}\n")).unwrap();
                    let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
                    let y = tag.split("y=\"").nth(1).unwrap().split('"').next().unwrap();
                    y.parse::<i32>().unwrap()
                };
                assert!(y_of("cat0") < y_of("cat1"));
            }
        }
    }

    #[test]
    fn every_month_is_labelled_once_by_its_name() {
        for n in 1..4 {
            let months: Vec<String> = (0..n).map(|i| format!("2026-0{}", i + 1)).collect();
            let svg = columns("t", "y", &months, &vec![3; n]).unwrap();
            for name in ["Jan", "Feb", "Mar"].iter().take(n) {
                assert_eq!(labels(&svg, name), 1, "{name} of {n}");
            }
        }
        let svg = columns("t", "y", &["2025-12".into(), "2026-01".into()], &[1, 2]).unwrap();
        assert_eq!(labels(&svg, "month, Dec 2025 to Jan 2026"), 1);
    }

    #[test]
    fn the_daily_line_labels_first_last_lowest_and_highest() {
        let values: Vec<u64> = (0..30).map(|i| 14_000 + (i * 37 % 11) * 10).collect();
        let days: Vec<String> = (1..=30).map(|d| format!("2026-11-{d:02}")).collect();
        let svg = line("t", "y", &days, &values, 0, Fit::Wide).unwrap();
        let (low, high) = (values.iter().min().unwrap(), values.iter().max().unwrap());
        // Labels that are values (axis ticks are round: 0, 2,000, ...).
        let value_labels: Vec<String> = svg
            .split("</text>")
            .filter_map(|t| t.rsplit('\n').nth(1))
            .filter(|t| t.starts_with("14,"))
            .map(String::from)
            .collect();
        assert!(value_labels.len() <= 4, "{value_labels:?}");
        for expected in [values[0], values[29], *low, *high] {
            assert!(
                value_labels.contains(&words::thousands(expected)),
                "{expected} in {value_labels:?}"
            );
        }
    }

    #[test]
    fn days_before_the_source_began_are_no_data_not_zeros() {
        let days: Vec<String> = (1..=30).map(|d| format!("2026-11-{d:02}")).collect();
        let mut values = vec![0u64; 30];
        values[20..].copy_from_slice(&[5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        let svg = line("t", "y", &days, &values, 20, Fit::Wide).unwrap();
        assert_eq!(labels(&svg, "no data"), 1);
        // A point per known day only; the zeros before are not drawn.
        assert_eq!(svg.matches("<circle").count(), 10);
        assert_eq!(labels(&svg, "0"), 1, "only the axis tick reads 0");
        let all_known = line("t", "y", &days, &values, 0, Fit::Wide).unwrap();
        assert_eq!(labels(&all_known, "no data"), 0);
        assert_eq!(all_known.matches("<circle").count(), 30);
    }

    #[test]
    fn value_labels_never_overlap() {
        let placed = vec![(0, 0, 40, 18)];
        // Above is taken: the label goes below the point.
        let (bounds, offset) = free_spot((20, 24), "14,000", true, &placed).unwrap();
        assert!(offset > 0 && bounds.1 >= 18, "{bounds:?}");
        // Both sides taken: no label.
        let crowded = vec![(0, 0, 40, 18), (0, 28, 40, 60)];
        assert_eq!(free_spot((20, 24), "14,000", true, &crowded), None);
        assert_eq!(labelled_points(&[5, 5, 5]).len(), 2);
        assert_eq!(labelled_points(&[]), Vec::new());
    }

    #[test]
    fn long_names_are_cut_with_the_whole_name_in_a_title() {
        let long = "a-very-long-subdomain.of-an-organization.example.com".to_string();
        let svg = bars(
            "t",
            "x",
            &[long.clone(), "a&b".into()],
            &[Series {
                name: "s",
                values: vec![1, 2],
            }],
            Fit::Wide,
        )
        .unwrap();
        assert!(svg.contains(&format!(
            "<title>{long}</title>{}",
            words::shorten(&long, LABEL_CHARS)
        )));
        assert!(svg.contains(">\na&amp;b\n</text>"));
        assert!(!svg.contains('\u{E000}'));
    }

    #[test]
    fn ticks_and_totals_have_thousands_separators() {
        let svg = bars(
            "t",
            "x",
            &["a".into()],
            &[Series {
                name: "s",
                values: vec![76_176],
            }],
            Fit::Wide,
        )
        .unwrap();
        assert_eq!(labels(&svg, " 76,176"), 1);
        assert!(svg.contains(">\n50,000\n</text>"), "{svg}");
    }

    #[test]
    fn stacked_segments_carry_their_own_figures() {
        let two = bars(
            "t",
            "x",
            &["a".into()],
            &[
                Series {
                    name: "one",
                    values: vec![37],
                },
                Series {
                    name: "two",
                    values: vec![53],
                },
            ],
            Fit::Wide,
        )
        .unwrap();
        // Figures that fall on no axis tick.
        assert_eq!(labels(&two, "37"), 1);
        assert_eq!(labels(&two, "53"), 1);
        assert_eq!(labels(&two, " 90"), 1);
        // One series: the bar's total says it all.
        let one = bars(
            "t",
            "x",
            &["a".into()],
            &[Series {
                name: "one",
                values: vec![37],
            }],
            Fit::Wide,
        )
        .unwrap();
        assert_eq!(labels(&one, "37"), 0);
        assert_eq!(labels(&one, " 37"), 1);
    }

    #[test]
    fn a_narrow_chart_writes_names_of_32_characters_whole_above_their_bars() {
        let name = "Jira Service Management, Europe!".to_string();
        assert_eq!(name.chars().count(), 32);
        let series = [Series {
            name: "s",
            values: vec![12_000, 7],
        }];
        for fit in [Fit::Wide, Fit::Narrow] {
            let svg = bars("t", "x", &[name.clone(), "b".into()], &series, fit).unwrap();
            assert_eq!(
                labels(&svg, "Jira Service Management, Europe!"),
                1,
                "{fit:?}"
            );
            assert!(!svg.contains('…') && !svg.contains("<title>"), "{fit:?}");
            let width = format!("width=\"{}\"", fit.width());
            assert!(svg.contains(&width), "{fit:?}");
        }
        // Narrow: the name starts at the left edge, above the bar.
        let narrow = bars(
            "t",
            "x",
            std::slice::from_ref(&name),
            &series[..1],
            Fit::Narrow,
        )
        .unwrap();
        let label = narrow.split("Jira Service Management").next().unwrap();
        assert!(label
            .rsplit("<text")
            .next()
            .unwrap()
            .contains("text-anchor=\"start\""));
        // Longer names are still cut, with the whole name in a title.
        let long = "x".repeat(40);
        let svg = bars(
            "t",
            "x",
            std::slice::from_ref(&long),
            &series[..1],
            Fit::Narrow,
        )
        .unwrap();
        assert!(svg.contains(&format!("<title>{long}</title>")));
    }

    #[test]
    fn narrow_monthly_columns_become_a_bar_per_month() {
        let chart = Chart::Columns {
            title: "t",
            axis: "active users",
            months: vec!["2025-12".into(), "2026-01".into()],
            values: vec![4, 9],
        };
        let narrow = draw(&chart, Fit::Narrow).unwrap();
        assert_eq!(labels(&narrow, "Dec 2025"), 1);
        assert_eq!(labels(&narrow, "Jan 2026"), 1);
        assert_eq!(labels(&narrow, " 9"), 1);
        assert!(narrow.contains("width=\"340\""));
        let wide = draw(&chart, Fit::Wide).unwrap();
        assert_eq!(labels(&wide, "Dec"), 1);
    }

    #[test]
    fn the_same_figures_draw_the_same_svg() {
        let draw = || {
            bars(
                "t",
                "x",
                &["a".into(), "b".into()],
                &[
                    Series {
                        name: "one",
                        values: vec![1, 2],
                    },
                    Series {
                        name: "two",
                        values: vec![3, 0],
                    },
                ],
                Fit::Wide,
            )
            .unwrap()
        };
        assert_eq!(draw(), draw());
    }
}
