//! The timeline chart: each symptom's severity over the hours since the
//! treatment, with the decisions as markers, drawn as SVG on the server so
//! it works without JavaScript and prints. Colours come with dash
//! patterns and marker shapes, and the legend draws exactly the symbols
//! the chart uses, so everything can be told apart in black and white too.
//!
//! Sized for a phone: the drawing is narrow (340 units), so at 375 px its
//! text renders at 12 px or more; check-ins close in time are drawn a
//! marker's width apart rather than on top of each other (the table of
//! check-ins beside the chart gives the exact times).

use std::fmt::Write as _;

use aftercare_core::vocabulary::{Severity, SymptomKind};
use aftercare_core::{Course, Level};
use maud::{Markup, html};

use crate::web::words;

/// One symptom's points: (check-in index, severity 0–4), at the check-ins
/// that mention it.
pub(crate) struct Series {
    /// The symptom.
    pub(crate) kind: SymptomKind,
    /// The points, oldest first.
    pub(crate) points: Vec<(usize, f64)>,
}

/// What the chart shows, for the SVG and the PDF alike.
pub(crate) struct ChartData {
    /// Hours since the treatment of each check-in, oldest first.
    pub(crate) hours: Vec<f64>,
    /// One series per symptom reported anywhere in the course.
    pub(crate) series: Vec<Series>,
    /// The decisions: (check-in index, level).
    pub(crate) markers: Vec<(usize, Level)>,
    /// The right end of the time axis, in hours.
    pub(crate) max_hours: f64,
}

impl ChartData {
    /// Where each check-in is drawn, as a share of the plot's width: at its
    /// time, moved right just enough that no two are closer than `gap`
    /// (and back left from the end if that runs past it).
    pub(crate) fn columns(&self, gap: f64) -> Vec<f64> {
        let mut columns: Vec<f64> = self
            .hours
            .iter()
            .map(|hours| (hours / self.max_hours).clamp(0.0, 1.0))
            .collect();
        for index in 1..columns.len() {
            columns[index] = columns[index].max(columns[index - 1] + gap);
        }
        if let Some(last) = columns.last_mut() {
            *last = last.min(1.0);
        }
        for index in (0..columns.len().saturating_sub(1)).rev() {
            columns[index] = columns[index].min(columns[index + 1] - gap);
        }
        columns.iter().map(|column| column.max(0.0)).collect()
    }

    /// The levels the markers show, each once, lowest first.
    pub(crate) fn levels_shown(&self) -> Vec<Level> {
        let mut levels: Vec<Level> = self.markers.iter().map(|(_, level)| *level).collect();
        levels.sort();
        levels.dedup();
        levels
    }
}

/// Line colours (dark enough on white) and dash patterns, used in turn.
pub(crate) const STYLES: &[(&str, &str)] = &[
    ("#0b5cad", ""),
    ("#b34700", "6 3"),
    ("#1e6b34", "2 3"),
    ("#7a1f8a", "8 3 2 3"),
    ("#8a0b2e", "4 4"),
    ("#2f4f4f", "1 2"),
    ("#6b5600", "10 4"),
    ("#003f5c", "3 2 8 2"),
];

/// The colour of a level's marker.
pub(crate) fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Expected => "#1e6b34",
        Level::SelfCare => "#2f6f6f",
        Level::ContactTherapist => "#8a5a00",
        Level::SeeDoctor => "#9c4a00",
        Level::Urgent => "#a01818",
        Level::Emergency => "#7a0000",
    }
}

/// A level in a few words, for the legend.
pub(crate) fn level_name(level: Level) -> &'static str {
    match level {
        Level::Expected => "Expected reaction",
        Level::SelfCare => "Self-care",
        Level::ContactTherapist => "Tell the therapist",
        Level::SeeDoctor => "See a doctor",
        Level::Urgent => "Urgent care today",
        Level::Emergency => "Emergency",
    }
}

/// The shape of a level's marker, so levels differ without colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A disc.
    Circle,
    /// A square.
    Square,
    /// A diamond.
    Diamond,
    /// A triangle, point up.
    TriangleUp,
    /// A triangle, point down.
    TriangleDown,
    /// An eight-pointed star.
    Star,
}

/// The marker shape of a level.
pub(crate) fn level_mark(level: Level) -> Mark {
    match level {
        Level::Expected => Mark::Circle,
        Level::SelfCare => Mark::Square,
        Level::ContactTherapist => Mark::Diamond,
        Level::SeeDoctor => Mark::TriangleUp,
        Level::Urgent => Mark::TriangleDown,
        Level::Emergency => Mark::Star,
    }
}

/// The corners of a marker of radius `r` centred on (`cx`, `cy`), with y
/// growing downwards (flip it for the PDF); a circle as a polygon of 16.
pub(crate) fn mark_points(mark: Mark, cx: f64, cy: f64, r: f64) -> Vec<(f64, f64)> {
    let ring = |count: u32, radius: &dyn Fn(u32) -> f64, turn: f64| {
        (0..count)
            .map(|i| {
                let angle = turn + std::f64::consts::TAU * f64::from(i) / f64::from(count);
                (cx + radius(i) * angle.sin(), cy - radius(i) * angle.cos())
            })
            .collect::<Vec<_>>()
    };
    match mark {
        Mark::Circle => ring(16, &|_| r, 0.0),
        Mark::Square => ring(4, &|_| r * 1.2, std::f64::consts::FRAC_PI_4),
        Mark::Diamond => ring(4, &|_| r * 1.25, 0.0),
        Mark::TriangleUp => ring(3, &|_| r * 1.3, 0.0),
        Mark::TriangleDown => ring(3, &|_| r * 1.3, std::f64::consts::PI),
        Mark::Star => ring(16, &|i| if i % 2 == 0 { r * 1.35 } else { r * 0.6 }, 0.0),
    }
}

/// A level's marker as SVG, drawn about the origin and moved into place,
/// so the chart and the legend draw exactly the same element.
fn marker(level: Level, cx: f64, cy: f64) -> Markup {
    let mark = level_mark(level);
    let colour = level_colour(level);
    html! {
        g transform={ "translate(" (n(cx)) " " (n(cy)) ")" } {
            @if mark == Mark::Circle {
                circle cx="0" cy="0" r=(n(MARK)) fill=(colour) stroke="#ffffff" stroke-width="1" {}
            } @else {
                @let points = mark_points(mark, 0.0, 0.0, MARK).iter().fold(String::new(), |mut text, (x, y)| {
                    let _ = write!(text, "{},{} ", n(*x), n(*y));
                    text
                });
                polygon points=(points.trim_end()) fill=(colour) stroke="#ffffff" stroke-width="1" {}
            }
        }
    }
}

/// A symptom's height at a check-in: its severity, "mild" when present
/// but not graded, 0 when reported gone, and no point at all when the
/// check-in does not mention it (silence is not "gone").
fn height(course: &Course, checkin: usize, kind: SymptomKind) -> Option<f64> {
    let symptom = course.checkins[checkin]
        .symptoms
        .iter()
        .find(|symptom| symptom.kind == kind)?;
    Some(if symptom.is_present() {
        symptom.severity.unwrap_or(Severity::Mild).index() as f64
    } else {
        0.0
    })
}

/// The chart's data for a course and the levels of its check-ins' decisions.
pub(crate) fn data(course: &Course, levels: &[Level]) -> ChartData {
    let hours: Vec<f64> = course
        .checkins
        .iter()
        .map(|checkin| checkin.at.hours_since(course.treatment.at).max(0.0))
        .collect();
    let mut kinds: Vec<SymptomKind> = Vec::new();
    for checkin in &course.checkins {
        for symptom in &checkin.symptoms {
            if !kinds.contains(&symptom.kind) {
                kinds.push(symptom.kind);
            }
        }
    }
    let series = kinds
        .into_iter()
        .map(|kind| Series {
            kind,
            points: (0..course.checkins.len())
                .filter_map(|index| Some((index, height(course, index, kind)?)))
                .collect(),
        })
        .collect();
    let markers = levels
        .iter()
        .copied()
        .enumerate()
        .take(hours.len())
        .collect();
    let last = hours.iter().copied().fold(0.0_f64, f64::max);
    // Whole days, at least one, so the axis reads in familiar steps.
    let max_hours = ((last / 24.0).ceil().max(1.0)) * 24.0;
    ChartData {
        hours,
        series,
        markers,
        max_hours,
    }
}

/// The drawing's width: narrow, so that a phone shows it near full size.
const WIDTH: f64 = 340.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 12.0;
/// Room above the plot for the decision markers.
const TOP: f64 = 58.0;
const PLOT_HEIGHT: f64 = 150.0;
const LEGEND_ROW: f64 = 20.0;
/// Text size in drawing units: 12.5 px or more wherever the drawing is
/// 340 px wide or wider.
const TEXT: f64 = 12.5;
/// Marker radius.
const MARK: f64 = 5.5;

/// The plot's width.
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;

/// The x position of a share of the plot's width.
fn x(share: f64) -> f64 {
    LEFT + share * PLOT_WIDTH
}

/// The y position of a severity.
fn y(severity: f64) -> f64 {
    TOP + PLOT_HEIGHT - severity / 4.0 * PLOT_HEIGHT
}

/// Numbers in SVG attributes: one decimal is plenty.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

/// The tick step of the time axis, in hours: at most eight ticks.
pub(crate) fn tick_step(max_hours: f64) -> f64 {
    [6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 672.0]
        .into_iter()
        .find(|step| max_hours / step <= 8.0)
        .unwrap_or(1344.0)
}

/// The chart as inline SVG, `id="timeline"`.
pub(crate) fn timeline(course: &Course, levels: &[Level]) -> Markup {
    let chart = data(course, levels);
    let columns = chart.columns((2.0 * MARK + 3.0) / PLOT_WIDTH);
    let shown = chart.levels_shown();
    let legend_top = TOP + PLOT_HEIGHT + 56.0;
    let level_top = legend_top + LEGEND_ROW * chart.series.len() as f64;
    let height = level_top + LEGEND_ROW * shown.len() as f64 + 4.0;
    let max = chart.max_hours;
    let step = tick_step(max);
    let ticks: Vec<f64> = (0..=((max / step).floor() as u32))
        .map(|i| f64::from(i) * step)
        .collect();
    html! {
        svg id="timeline" class="chart" xmlns="http://www.w3.org/2000/svg" role="img"
            viewBox={ "0 0 " (n(WIDTH)) " " (n(height)) } aria-labelledby="timeline-title timeline-desc" {
            title id="timeline-title" { "Symptoms over time since the treatment" }
            desc id="timeline-desc" {
                "Severity of each reported symptom (none, meaning gone, to very severe) by hours since the treatment, "
                "at the check-ins that mention it; "
                "the marks along the top show each check-in's answer, by shape and colour. "
                "The table of check-ins gives the same in words."
            }
            // Axes and grid.
            g class="axes" font-size=(TEXT) fill="#1a1a1a" {
                @for (index, severity) in Severity::ALL.iter().enumerate() {
                    line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(n(y(index as f64))) y2=(n(y(index as f64))) stroke="#d0d0d0" stroke-width="1" {}
                    text x=(n(LEFT - 6.0)) y=(n(y(index as f64) + 4.0)) text-anchor="end" { (words::severity(*severity)) }
                }
                @for tick in &ticks {
                    line x1=(n(x(tick / max))) x2=(n(x(tick / max))) y1=(n(TOP + PLOT_HEIGHT)) y2=(n(TOP + PLOT_HEIGHT + 4.0)) stroke="#1a1a1a" {}
                    text x=(n(x(tick / max))) y=(n(TOP + PLOT_HEIGHT + 18.0)) text-anchor="middle" { (format!("{tick:.0}")) }
                }
                line x1=(n(LEFT)) x2=(n(LEFT)) y1=(n(TOP)) y2=(n(TOP + PLOT_HEIGHT)) stroke="#1a1a1a" {}
                line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(n(TOP + PLOT_HEIGHT)) y2=(n(TOP + PLOT_HEIGHT)) stroke="#1a1a1a" {}
                text x=(n(LEFT + PLOT_WIDTH / 2.0)) y=(n(TOP + PLOT_HEIGHT + 36.0)) text-anchor="middle" { "Hours since the treatment" }
                text x="4" y=(n(TOP - 26.0)) { "Answers" }
                text x="4" y=(n(TOP - 8.0)) { "Severity" }
            }
            // Decision markers along the top, one column per check-in.
            g class="markers" {
                @for (index, level) in &chart.markers {
                    g class="marker" data-level=(level.as_str()) {
                        title { (format!("{:.0}", chart.hours[*index])) " h: " (level_name(*level)) }
                        (marker(*level, x(columns[*index]), TOP - 30.0))
                    }
                }
            }
            // One series per symptom.
            @for (index, series) in chart.series.iter().enumerate() {
                @let (colour, dash) = STYLES[index % STYLES.len()];
                @let points = series.points.iter().map(|(c, s)| format!("{},{}", n(x(columns[*c])), n(y(*s)))).collect::<Vec<_>>().join(" ");
                g class="series" data-symptom=(series.kind.as_str()) {
                    title { (words::symptom(series.kind)) }
                    polyline points=(points) fill="none" stroke=(colour) stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                    @for (c, s) in &series.points {
                        circle cx=(n(x(columns[*c]))) cy=(n(y(*s))) r="3.5" fill=(colour) {}
                    }
                }
            }
            // Legend: the very symbols drawn above.
            g class="legend" font-size=(TEXT) fill="#1a1a1a" {
                @for (index, series) in chart.series.iter().enumerate() {
                    @let (colour, dash) = STYLES[index % STYLES.len()];
                    @let ly = legend_top + LEGEND_ROW * index as f64;
                    g class="legend-series" data-legend-symptom=(series.kind.as_str()) {
                        line x1="8" x2="40" y1=(n(ly - 4.0)) y2=(n(ly - 4.0)) stroke=(colour) stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                        circle cx="24" cy=(n(ly - 4.0)) r="3.5" fill=(colour) {}
                        text x="48" y=(n(ly)) { (words::symptom(series.kind)) }
                    }
                }
                @for (index, level) in shown.iter().enumerate() {
                    @let ly = level_top + LEGEND_ROW * index as f64;
                    g class="legend-level" data-legend-level=(level.as_str()) {
                        (marker(*level, 24.0, ly - 4.0))
                        text x="48" y=(n(ly)) { (level_name(*level)) }
                    }
                }
                @if chart.series.is_empty() {
                    text x=(n(LEFT + 8.0)) y=(n(TOP + PLOT_HEIGHT / 2.0)) { "No symptoms reported yet." }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(hours: &[f64]) -> ChartData {
        ChartData {
            hours: hours.to_vec(),
            series: Vec::new(),
            markers: Vec::new(),
            max_hours: 48.0,
        }
    }

    #[test]
    fn close_check_ins_are_drawn_apart_and_far_ones_where_they_are() {
        let columns = chart(&[6.0, 6.1, 6.2, 30.0]).columns(0.05);
        assert!((columns[0] - 0.125).abs() < 1e-9, "{columns:?}");
        assert!(columns[1] - columns[0] >= 0.05 - 1e-9, "{columns:?}");
        assert!(columns[2] - columns[1] >= 0.05 - 1e-9, "{columns:?}");
        assert!((columns[3] - 0.625).abs() < 1e-9, "{columns:?}");
    }

    #[test]
    fn check_ins_at_the_end_move_left_not_off_the_plot() {
        let columns = chart(&[47.9, 48.0]).columns(0.05);
        assert!(columns[1] <= 1.0, "{columns:?}");
        assert!(columns[1] - columns[0] >= 0.05 - 1e-9, "{columns:?}");
    }

    #[test]
    fn every_level_has_its_own_shape() {
        let mut marks: Vec<Mark> = Level::ALL.iter().map(|level| level_mark(*level)).collect();
        marks.dedup();
        assert_eq!(marks.len(), Level::ALL.len());
    }

    #[test]
    fn the_time_axis_has_at_most_eight_ticks() {
        for days in 1..=60 {
            let max = f64::from(days) * 24.0;
            assert!(max / tick_step(max) <= 8.0, "{days} days");
        }
    }
}
