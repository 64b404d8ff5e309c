//! SVG charts drawn with plotters. Three shapes cover every insight:
//! horizontal (stacked) bars for categories, a line for the daily trend and
//! columns for monthly trends. Bars are plain rectangles so that the same
//! figures always give byte-identical SVG.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

/// Okabe–Ito colours: distinguishable with every common colour-vision
/// deficiency.
pub const PALETTE: [RGBColor; 4] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
];
const INK: RGBColor = RGBColor(33, 37, 41);
const WIDTH: u32 = 760;
const FONT: &str = "sans-serif";

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// One named series of a bar chart, a value per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<u64>,
}

/// Horizontal bars, one per category, stacked when there are several series.
/// The total of each bar is written at its end.
pub fn bars(
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
        let totals: Vec<u64> = (0..rows)
            .map(|i| {
                series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .sum()
            })
            .collect();
        let max = totals.iter().copied().max().unwrap_or(0).max(1);
        let longest = categories
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        let label_area = (longest.min(28) as u32 * 8 + 16).max(60);

        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0u64..max + max / 6 + 1, (0..rows as i32).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) => short_label(
                    categories
                        .get(*i as usize)
                        .map(String::as_str)
                        .unwrap_or(""),
                ),
                _ => String::new(),
            })
            .x_labels(6)
            .x_label_formatter(&|x| x.to_string())
            .x_desc(x_label)
            .label_style((FONT, 13).into_font().color(&INK))
            .draw()?;

        for (i, total) in totals.iter().enumerate() {
            let mut start = 0u64;
            for (s, one) in series.iter().enumerate() {
                let value = one.values.get(i).copied().unwrap_or(0);
                if value == 0 {
                    continue;
                }
                let mut bar = Rectangle::new(
                    [
                        (start, SegmentValue::Exact(i as i32)),
                        (start + value, SegmentValue::Exact(i as i32 + 1)),
                    ],
                    PALETTE[s % PALETTE.len()].filled(),
                );
                bar.set_margin(5, 5, 0, 0);
                chart.draw_series(std::iter::once(bar))?;
                start += value;
            }
            chart.draw_series(std::iter::once(Text::new(
                format!(" {total}"),
                (*total, SegmentValue::CenterOf(i as i32)),
                (FONT, 13)
                    .into_font()
                    .color(&INK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
        }
        if series.len() > 1 {
            draw_key(&key, series.iter().map(|s| s.name))?;
        }
    }
    Ok(())
}

/// A line of daily values; every point carries its value.
pub fn line(title: &str, y_label: &str, days: &[String], values: &[u64]) -> DrawResult<String> {
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
pub fn columns(
    title: &str,
    y_label: &str,
    months: &[String],
    values: &[u64],
) -> DrawResult<String> {
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
            .build_cartesian_2d(
                (0..months.len() as i32).into_segmented(),
                0u64..max + max / 5 + 1,
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(months.len())
            .x_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) => months.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_labels(6)
            .y_label_formatter(&|y| y.to_string())
            .y_desc(y_label)
            .x_desc("month")
            .label_style((FONT, 12).into_font().color(&INK))
            .draw()?;
        for (i, value) in values.iter().enumerate() {
            let mut column = Rectangle::new(
                [
                    (SegmentValue::Exact(i as i32), 0),
                    (SegmentValue::Exact(i as i32 + 1), *value),
                ],
                PALETTE[0].filled(),
            );
            column.set_margin(0, 0, 8, 8);
            chart.draw_series(std::iter::once(column))?;
            chart.draw_series(std::iter::once(Text::new(
                value.to_string(),
                (SegmentValue::CenterOf(i as i32), *value),
                (FONT, 12)
                    .into_font()
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))?;
        }
    }
    Ok(())
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
    const KEEP: usize = 28;
    if label.chars().count() <= KEEP {
        label.to_string()
    } else {
        let head: String = label.chars().take(KEEP - 1).collect();
        format!("{head}…")
    }
}
