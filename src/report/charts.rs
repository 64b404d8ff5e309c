//! SVG charts drawn with plotters. Three shapes cover every insight:
//! horizontal (stacked) bars for categories, a line for the daily trend and
//! columns for monthly trends. Bars are plain rectangles so that the same
//! figures always give byte-identical SVG.

use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use crate::insights::{Chart, Series};
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
/// Text on each palette colour with a contrast of at least 4.5:1: white on
/// blue, near-black on the lighter three.
const SEGMENT_INK: [RGBColor; 4] = [WHITE, INK, INK, INK];
const WIDTH: u32 = 760;
const FONT: &str = "sans-serif";

type DrawResult<T> = anyhow::Result<T>;

/// Draws an insight's chart.
pub fn draw(chart: &Chart) -> DrawResult<String> {
    match chart {
        Chart::Bars {
            title,
            axis,
            categories,
            series,
        } => bars(title, axis, categories, series),
        Chart::Line {
            title,
            axis,
            days,
            values,
        } => line(title, axis, days, values),
        Chart::Columns {
            title,
            axis,
            months,
            values,
        } => columns(title, axis, months, values),
    }
}

/// Horizontal bars, one per category, stacked when there are several series.
/// The total of each bar is written at its end.
fn bars(
    title: &str,
    x_label: &str,
    categories: &[String],
    series: &[Series],
) -> DrawResult<String> {
    let rows = categories.len();
    let legend = if series.len() > 1 { 28 } else { 0 };
    let height = 110 + legend + 34 * rows.max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        if rows == 0 {
            nothing_to_show(&root)?;
        } else {
            draw_bars(&root, height - 30 - legend, x_label, categories, series)?;
        }
        root.present()?;
    }
    Ok(svg)
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
    (longest.min(28) as u32 * 8 + 16).max(60)
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
            let figure = value.to_string();
            if width >= 8 * figure.len() as i32 + 6 {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((start, slot + 0.5))
                        + Text::new(
                            figure,
                            (width / 2, 0),
                            (FONT, 12)
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
    plot_height: u32,
    x_label: &str,
    categories: &[String],
    series: &[Series],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let rows = categories.len();
    {
        let (plot, key) = root.split_vertically(plot_height);
        let totals = row_totals(series, rows);
        let max = totals.iter().copied().max().unwrap_or(0).max(1);
        let label_area = label_area(categories);

        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0u64..max + max / 6 + 1, 0f64..rows as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&|x| x.to_string())
            .x_desc(x_label)
            .label_style((FONT, 13).into_font().color(&INK))
            .draw()?;

        let text = (FONT, 13).into_font().color(&INK);
        for (i, total) in totals.iter().enumerate() {
            // The first category is drawn at the top.
            let slot = (rows - 1 - i) as f64;
            chart.draw_series(std::iter::once(
                EmptyElement::at((0, slot + 0.5))
                    + Text::new(
                        short_label(&categories[i]),
                        (-8, 0),
                        text.clone().pos(Pos::new(HPos::Right, VPos::Center)),
                    ),
            ))?;
            draw_segments(&mut chart, series, i, slot)?;
            chart.draw_series(std::iter::once(Text::new(
                format!(" {total}"),
                (*total, slot + 0.5),
                text.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
        }
        if series.len() > 1 {
            draw_key(&key, series.iter().map(|s| s.name))?;
        }
    }
    Ok(())
}

/// A line of daily values; every point carries its value.
fn line(title: &str, y_label: &str, days: &[String], values: &[u64]) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 340)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, (FONT, 18).into_font().color(&INK))?;
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        let last = values.len().saturating_sub(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0..last.max(1), 0u64..max + max / 5 + 1)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| {
                days.get(*i as usize)
                    .map(|d| d.get(5..).unwrap_or(d).to_string())
                    .unwrap_or_default()
            })
            .y_labels(6)
            .y_label_formatter(&|y| y.to_string())
            .y_desc(y_label)
            .x_desc("day")
            .label_style((FONT, 13).into_font().color(&INK))
            .draw()?;
        let points: Vec<(i32, u64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i32, *v))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), PALETTE[0].stroke_width(2)))?;
        chart.draw_series(
            points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 3, PALETTE[0].filled())),
        )?;
        chart.draw_series(points.iter().map(|&(x, y)| {
            Text::new(
                y.to_string(),
                (x, y),
                (FONT, 10)
                    .into_font()
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}

/// Vertical columns, one per month, each with its value on top.
fn columns(title: &str, y_label: &str, months: &[String], values: &[u64]) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 320)).into_drawing_area();
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
    {
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..months.len() as f64, 0u64..max + max / 5 + 1)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|y| y.to_string())
            .y_desc(y_label)
            .label_style((FONT, 12).into_font().color(&INK))
            .draw()?;
        let text = (FONT, 12).into_font().color(&INK);
        for (i, (month, value)) in months.iter().zip(values).enumerate() {
            let slot = i as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(slot + 0.15, 0), (slot + 0.85, *value)],
                PALETTE[0].filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                value.to_string(),
                (slot + 0.5, *value),
                text.clone().pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((slot + 0.5, 0))
                    + Text::new(
                        month.clone(),
                        (0, 8),
                        text.clone().pos(Pos::new(HPos::Center, VPos::Top)),
                    ),
            ))?;
        }
    }
    Ok(())
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
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let mut x = 20;
    for (i, name) in names.enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        area.draw(&Rectangle::new([(x, 8), (x + 14, 22)], colour.filled()))?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 20, 15),
            (FONT, 13)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += 40 + 8 * name.chars().count() as i32;
    }
    Ok(())
}

/// Axis labels have room for about 28 characters; the table has the rest.
fn short_label(label: &str) -> String {
    words::shorten(label, 28)
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
            let svg = bars("t", "x", &categories, &[Series { name: "s", values }]).unwrap();
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
    fn every_month_is_labelled_once() {
        for n in 1..4 {
            let months: Vec<String> = (0..n).map(|i| format!("2026-0{}", i + 1)).collect();
            let svg = columns("t", "y", &months, &vec![3; n]).unwrap();
            for month in &months {
                assert_eq!(labels(&svg, month), 1, "{month} of {n}");
            }
        }
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
        )
        .unwrap();
        assert_eq!(labels(&one, "37"), 0);
        assert_eq!(labels(&one, " 37"), 1);
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
            )
            .unwrap()
        };
        assert_eq!(draw(), draw());
    }
}
