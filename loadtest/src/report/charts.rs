//! Draws the report's figures as SVG with plotters: axes with units and ticks, a title, a grid,
//! and a legend wherever there is more than one series or marker. Each function returns the
//! SVG text, or a short note in its place if plotters fails, so the rest of the page still
//! renders.

use std::collections::HashSet;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::figures::{Axis, BarFigure, Histogram, LineFigure, Marker, PowerTuning, Timelines};

const SIZE: (u32, u32) = (760, 340);
const FONT: &str = "sans-serif";

/// Series colours (Tableau 10), in order; the bar colour is the first.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
];

/// Marker colours, by the marker's label: percentiles and fault kinds.
const MARKER_COLOURS: [RGBColor; 5] = [
    RGBColor(0x9c, 0x27, 0xb0),
    RGBColor(0xd3, 0x2f, 0x2f),
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0xff, 0xa0, 0x00),
    RGBColor(0x00, 0x89, 0x7b),
];

type Failure = Box<dyn std::error::Error>;

/// Tick labels without a trailing `.0`: 5, 10, 2.5.
fn number(value: &f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Failure>) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Failure::from)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Failure::from))
    };
    match result {
        Ok(()) => out,
        Err(err) => format!("<p class=chart-error>This chart could not be drawn: {err}</p>"),
    }
}

/// The distinct marker labels in order, each with its colour.
fn marker_colour(markers: &[Marker], marker: &Marker) -> RGBColor {
    let mut kinds: Vec<&str> = Vec::new();
    for m in markers {
        if !kinds.contains(&m.label.as_str()) {
            kinds.push(&m.label);
        }
    }
    let index = kinds.iter().position(|k| *k == marker.label).unwrap_or(0);
    MARKER_COLOURS[index % MARKER_COLOURS.len()]
}

/// Vertical lines (moments) and shaded bands (stretches) across the plot, one legend entry per
/// label.
fn draw_markers<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    markers: &[Marker],
    y: std::ops::Range<f64>,
) -> Result<(), Failure> {
    let mut shown = HashSet::new();
    for marker in markers {
        let colour = marker_colour(markers, marker);
        let series = if marker.from == marker.to {
            chart.draw_series(LineSeries::new(
                [(marker.from, y.start), (marker.from, y.end)],
                colour.stroke_width(2),
            ))?
        } else {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(marker.from, y.start), (marker.to, y.end)],
                colour.mix(0.18).filled(),
            )))?
        };
        if shown.insert(marker.label.clone()) {
            series.label(marker.label.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
            });
        }
    }
    Ok(())
}

fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
) -> Result<(), Failure> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 12))
        .draw()?;
    Ok(())
}

/// A titled chart with two numeric axes, their units and ticks, and a light grid.
fn numeric_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x: &Axis,
    y: &Axis,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>, Failure>
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 17))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x.range.clone(), y.range.clone())?;
    chart
        .configure_mesh()
        .x_desc(x.label)
        .y_desc(y.label)
        .x_label_formatter(&number)
        .y_label_formatter(&number)
        .label_style((FONT, 12))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;
    Ok(chart)
}

pub fn line_chart(figure: &LineFigure) -> String {
    svg(|root| {
        let mut chart = numeric_chart(root, figure.title, &figure.x, &figure.y)?;
        draw_markers(&mut chart, &figure.markers, figure.y.range.clone())?;
        for (i, line) in figure.lines.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let series = if figure.dots {
                chart.draw_series(
                    line.points
                        .iter()
                        .map(|&p| Circle::new(p, 2, colour.mix(0.7).filled())),
                )?
            } else {
                chart.draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    colour.stroke_width(2),
                ))?
            };
            series.label(line.name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(3))
            });
        }
        if figure.lines.len() + figure.markers.len() > 1 {
            legend(&mut chart)?;
        }
        Ok(())
    })
}

pub fn histogram(figure: &Histogram) -> String {
    svg(|root| {
        let mut chart = numeric_chart(root, figure.title, &figure.x, &figure.y)?;
        chart.draw_series(figure.bins.iter().map(|&(from, to, count)| {
            Rectangle::new([(from, 0.0), (to, f64::from(count))], PALETTE[0].filled())
        }))?;
        draw_markers(&mut chart, &figure.markers, figure.y.range.clone())?;
        legend(&mut chart)?;
        Ok(())
    })
}

/// Horizontal bars in the figure's order from the top, each labelled with its value.
pub fn bar_chart(figure: &BarFigure) -> String {
    svg(|root| {
        let n = figure.bars.len();
        let top = figure
            .bars
            .iter()
            .map(|b| b.1)
            .fold(0.0, f64::max)
            .max(1e-9);
        // Plotters counts categories from the bottom.
        let row = |i: usize| n - 1 - i;
        let names: Vec<&str> = figure.bars.iter().rev().map(|b| b.0).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(figure.title, (FONT, 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..top * 1.3, (0..n).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(figure.unit)
            .x_label_formatter(&number)
            .y_labels(n)
            .y_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) => names.get(*i).copied().unwrap_or("").to_owned(),
                _ => String::new(),
            })
            .label_style((FONT, 12))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()?;
        chart.draw_series(figure.bars.iter().enumerate().map(|(i, &(_, value))| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row(i))),
                    (value, SegmentValue::Exact(row(i) + 1)),
                ],
                PALETTE[0].filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            bar
        }))?;
        chart.draw_series(figure.bars.iter().enumerate().map(|(i, &(_, value))| {
            Text::new(
                format!("{value:.2} {}", figure.unit),
                (value + top * 0.01, SegmentValue::CenterOf(row(i))),
                (FONT, 12).into_font(),
            )
        }))?;
        Ok(())
    })
}

/// One row per instance: the cold start's init, then each invocation.
pub fn timelines(figure: &Timelines) -> String {
    svg(|root| {
        let n = figure.rows.len().max(1);
        let labels: Vec<&str> = figure.rows.iter().map(|r| r.label.as_str()).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(figure.title, (FONT, 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(90)
            .build_cartesian_2d(figure.x.range.clone(), (0..n).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(figure.x.label)
            .x_label_formatter(&number)
            .y_labels(n)
            .y_label_formatter(&|value| match value {
                SegmentValue::CenterOf(i) => labels.get(*i).copied().unwrap_or("").to_owned(),
                _ => String::new(),
            })
            .label_style((FONT, 12))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()?;
        let span = |i: usize, (from, to): (f64, f64), colour: RGBColor| {
            let mut bar = Rectangle::new(
                [
                    (from, SegmentValue::Exact(i)),
                    (to, SegmentValue::Exact(i + 1)),
                ],
                colour.filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        };
        chart
            .draw_series(
                figure
                    .rows
                    .iter()
                    .enumerate()
                    .flat_map(|(i, row)| row.busy.iter().map(move |&s| span(i, s, PALETTE[0]))),
            )?
            .label("invocation")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], PALETTE[0].filled()));
        // An init lasts milliseconds, too short to see on a run's time axis: a triangle marks
        // each cold start, with the init as a bar behind it.
        chart.draw_series(
            figure
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, row)| row.init.map(|s| span(i, s, PALETTE[1]))),
        )?;
        chart
            .draw_series(figure.rows.iter().enumerate().filter_map(|(i, row)| {
                row.init.map(|(from, _)| {
                    TriangleMarker::new((from, SegmentValue::CenterOf(i)), 7, PALETTE[1].filled())
                })
            }))?
            .label("cold start (init)")
            .legend(|(x, y)| TriangleMarker::new((x + 7, y), 6, PALETTE[1].filled()));
        legend(&mut chart)?;
        Ok(())
    })
}

/// Cost (left axis) and p50 latency (right axis) against memory, the cheapest and the fastest
/// size marked.
pub fn power_tuning(figure: &PowerTuning) -> String {
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Cost and speed by memory size", (FONT, 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(figure.memory.range.clone(), figure.cost.range.clone())?
            .set_secondary_coord(figure.memory.range.clone(), figure.latency.range.clone());
        chart
            .configure_mesh()
            .x_desc(figure.memory.label)
            .y_desc(figure.cost.label)
            .x_label_formatter(&number)
            .label_style((FONT, 12))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc(figure.latency.label)
            .label_style((FONT, 12))
            .draw()?;
        let cost: Vec<(f64, f64)> = figure.points.iter().map(|p| (p.0, p.1)).collect();
        let latency: Vec<(f64, f64)> = figure.points.iter().map(|p| (p.0, p.2)).collect();
        chart
            .draw_series(LineSeries::new(cost.clone(), PALETTE[0].stroke_width(2)))?
            .label("USD per million")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], PALETTE[0].stroke_width(3))
            });
        chart.draw_series(cost.iter().map(|&p| Circle::new(p, 4, PALETTE[0].filled())))?;
        chart
            .draw_secondary_series(LineSeries::new(latency.clone(), PALETTE[1].stroke_width(2)))?
            .label("p50 latency")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], PALETTE[1].stroke_width(3))
            });
        chart.draw_secondary_series(
            latency
                .iter()
                .map(|&p| Circle::new(p, 4, PALETTE[1].filled())),
        )?;
        let note = |point: (f64, f64), text: &str| {
            EmptyElement::at(point)
                + Circle::new((0, 0), 8, BLACK.stroke_width(2))
                + Text::new(text.to_owned(), (10, -16), (FONT, 13).into_font())
        };
        chart.draw_series(std::iter::once(note(cost[figure.cheapest], "cheapest")))?;
        chart.draw_secondary_series(std::iter::once(note(latency[figure.fastest], "fastest")))?;
        legend(&mut chart)?;
        Ok(())
    })
}
