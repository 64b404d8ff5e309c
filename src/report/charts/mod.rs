//! SVG charts drawn with plotters. Three shapes cover every insight:
//! horizontal (stacked) bars for categories, a line for the daily trend and
//! columns for monthly trends. Bars are plain rectangles so that the same
//! figures always give byte-identical SVG.
//!
//! Each chart comes in two [`Fit`]s: wide for a desktop's column and
//! narrow for a phone's, where the page shows it unscaled so that its text
//! stays at least 12 px tall. A narrow bar chart writes each name on its
//! own line above its bar, and monthly columns become one bar per month.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use crate::insights::{Chart, Series};

use crate::support::words;

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

/// Room left of a value axis for its tick labels (with separators) and its
/// name, written sideways.
pub(super) fn value_axis_room(max: u64) -> u32 {
    let widest = words::thousands(max + max / 5 + 1).chars().count() as u32;
    widest * CHAR_WIDTH as u32 + 34
}

pub(super) fn nothing_to_show<DB: DrawingBackend>(
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

mod bars;
mod lines;
#[cfg(test)]
mod tests;

use bars::bars;
use lines::{columns, formatted_month, line};
pub use lines::{sparkline, trend};
