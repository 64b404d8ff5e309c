//! Lines and columns over time: the daily line, the monthly columns, the
//! archive's long-term trends and the tiles' sparklines.

use chrono::NaiveDate;
use plotters::coord::types::{RangedCoordi32, RangedCoordu64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::*;
use crate::support::words;

/// A line of daily values. Only the first, the last, the lowest and the
/// highest point carry their value: thirty labels would touch.
pub(super) fn line(
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
        label_points(&mut chart, values, known_from)?;
        root.present()?;
    }
    Ok(svg)
}

/// Writes the value of the points of a daily line that carry one (from
/// `known_from` on), each where it touches no other.
fn label_points(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordi32, RangedCoordu64>>,
    values: &[u64],
    known_from: usize,
) -> DrawResult<()> {
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
    Ok(())
}

/// The points of a daily line that carry their value, most telling first:
/// the highest (label above), the lowest (below), the last and the first
/// (above); each point once.
pub(super) fn labelled_points(values: &[u64]) -> Vec<(i32, u64, bool)> {
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
pub(super) type Bounds = (i32, i32, i32, i32);

/// Where a value label of `point` fits without touching those `placed`:
/// its box and its vertical offset from the point, on the preferred side
/// first. `None`: it fits on neither side.
pub(super) fn free_spot(
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

/// Vertical columns, one per month, each with its value on top.
pub(super) fn columns(
    title: &str,
    y_label: &str,
    months: &[String],
    values: &[u64],
) -> DrawResult<String> {
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

pub(super) fn draw_columns<DB: DrawingBackend>(
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
pub(super) fn month_name(month: &str) -> String {
    formatted_month(month, "%b")
}

/// "month, Dec 2025 to Nov 2026": the axis name of a monthly chart.
pub(super) fn month_span(months: &[String]) -> String {
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
pub(super) fn formatted_month(month: &str, format: &str) -> String {
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
