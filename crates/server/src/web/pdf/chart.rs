//! The timeline chart drawn into the PDF with lines and the chart's own
//! markers (the data and shapes come from `web/chart.rs`).

use aftercare_core::Level;
use aftercare_core::vocabulary::Severity;
use pdf_writer::Content;

use super::font::Face;
use super::layout::{INK, Layout, MARGIN, TEXT_WIDTH, rgb};
use crate::web::chart::{self, STYLES};
use crate::web::words;

impl Layout {
    /// The current page, set to stroke and fill in the colour and dash of
    /// the chart's series number `index`.
    fn series_pen(&mut self, index: usize) -> &mut Content {
        let (colour, dash) = STYLES[index % STYLES.len()];
        let pattern: Vec<f32> = dash
            .split_whitespace()
            .filter_map(|d| d.parse().ok())
            .collect();
        let (red, green, blue) = rgb(colour);
        let content = self.content();
        content.set_stroke_rgb(red, green, blue);
        content.set_fill_rgb(red, green, blue);
        content.set_line_width(1.5);
        content.set_dash_pattern(pattern.iter().copied(), 0.0);
        content
    }

    /// The timeline chart, drawn with lines and the chart's own markers.
    pub(super) fn chart(&mut self, data: &chart::ChartData) {
        let levels = data.levels_shown();
        let (left, plot_width, plot_height) = (MARGIN + 62.0, TEXT_WIDTH - 70.0, 110.0);
        self.room(chart_height(data));
        let markers_y = self.y - 10.0;
        let plot_top = self.y - 28.0;
        let bottom = plot_top - plot_height;
        let columns = data.columns(f64::from(12.0 / plot_width));
        let at = |column: usize| left + columns[column] as f32 * plot_width;
        let at_severity = |severity: f64| bottom + (severity / 4.0) as f32 * plot_height;
        {
            let content = self.content();
            content.set_line_width(0.5);
            content.set_stroke_rgb(0.8, 0.8, 0.8);
            for level in 0..5 {
                content.move_to(left, at_severity(f64::from(level)));
                content.line_to(left + plot_width, at_severity(f64::from(level)));
            }
            content.stroke();
            content.set_stroke_rgb(INK.0, INK.1, INK.2);
            content.move_to(left, plot_top);
            content.line_to(left, bottom);
            content.line_to(left + plot_width, bottom);
            content.stroke();
        }
        self.draw(
            Face::Regular,
            7.5,
            (MARGIN, markers_y - 2.5),
            INK,
            "Answers",
        );
        for (index, severity) in Severity::ALL.iter().enumerate() {
            let y = at_severity(index as f64) - 2.5;
            self.draw(
                Face::Regular,
                7.5,
                (MARGIN, y),
                INK,
                words::severity(*severity),
            );
        }
        let step = chart::tick_step(data.max_hours);
        let mut tick = 0.0;
        while tick <= data.max_hours {
            let x = left + (tick / data.max_hours) as f32 * plot_width;
            let label = format!("{tick:.0}");
            let half = self.regular.width(&label, 7.5) / 2.0;
            self.draw(Face::Regular, 7.5, (x - half, bottom - 10.0), INK, &label);
            tick += step;
        }
        let title = "Hours since the treatment";
        let half = self.regular.width(title, 7.5) / 2.0;
        self.draw(
            Face::Regular,
            7.5,
            (left + plot_width / 2.0 - half, bottom - 20.0),
            INK,
            title,
        );
        for (index, series) in data.series.iter().enumerate() {
            let content = self.series_pen(index);
            for (point, (column, severity)) in series.points.iter().enumerate() {
                if point == 0 {
                    content.move_to(at(*column), at_severity(*severity));
                } else {
                    content.line_to(at(*column), at_severity(*severity));
                }
            }
            content.stroke();
            content.set_dash_pattern([], 0.0);
            for (column, severity) in &series.points {
                mark(
                    content,
                    chart::Mark::Circle,
                    (at(*column), at_severity(*severity)),
                    2.2,
                );
            }
        }
        for (column, level) in &data.markers {
            let (red, green, blue) = rgb(chart::level_colour(*level));
            let content = self.content();
            content.set_fill_rgb(red, green, blue);
            mark(
                content,
                chart::level_mark(*level),
                (at(*column), markers_y),
                3.6,
            );
        }
        self.y = self.chart_legend(data, &levels, left, bottom - 34.0) - 4.0;
    }

    /// The chart's legend from `top` down, with the same line, dot and
    /// marker shapes as the chart; answers where it ends.
    fn chart_legend(
        &mut self,
        data: &chart::ChartData,
        levels: &[Level],
        left: f32,
        top: f32,
    ) -> f32 {
        let mut y = top;
        for (index, series) in data.series.iter().enumerate() {
            let content = self.series_pen(index);
            content.move_to(left, y + 2.5);
            content.line_to(left + 24.0, y + 2.5);
            content.stroke();
            content.set_dash_pattern([], 0.0);
            mark(content, chart::Mark::Circle, (left + 12.0, y + 2.5), 2.2);
            self.draw(
                Face::Regular,
                7.5,
                (left + 30.0, y),
                INK,
                words::symptom(series.kind),
            );
            y -= 11.0;
        }
        for &level in levels {
            let (red, green, blue) = rgb(chart::level_colour(level));
            let content = self.content();
            content.set_fill_rgb(red, green, blue);
            mark(
                content,
                chart::level_mark(level),
                (left + 12.0, y + 2.5),
                3.6,
            );
            self.draw(
                Face::Regular,
                7.5,
                (left + 30.0, y),
                INK,
                chart::level_name(level),
            );
            y -= 11.0;
        }
        y
    }
}

/// The height the chart takes, legend included.
pub(super) fn chart_height(data: &chart::ChartData) -> f32 {
    let legend_rows = data.series.len() + data.levels_shown().len();
    28.0 + 110.0 + 34.0 + 11.0 * legend_rows as f32 + 4.0
}

/// Fills a chart mark of radius `r` centred on (`cx`, `cy`). The chart
/// gives its corners with y growing downwards; the PDF's y grows upwards,
/// so they are mirrored about the centre (a triangle keeps its point up).
fn mark(content: &mut Content, shape: chart::Mark, (cx, cy): (f32, f32), r: f32) {
    let points = chart::mark_points(shape, f64::from(cx), f64::from(cy), f64::from(r));
    for (index, (x, y)) in points.iter().enumerate() {
        let (x, y) = (*x as f32, 2.0 * cy - *y as f32);
        if index == 0 {
            content.move_to(x, y);
        } else {
            content.line_to(x, y);
        }
    }
    content.close_path();
    content.fill_nonzero();
}
