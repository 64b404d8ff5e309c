//! The charts, drawn and read back as SVG text.

use super::bars::*;
use super::lines::*;
use super::*;
use crate::insights::{Chart, Series};
use crate::support::words;

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
