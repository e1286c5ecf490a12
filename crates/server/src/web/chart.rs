//! The timeline chart: each symptom's severity over the hours since the
//! treatment, with the decisions as markers, drawn as SVG on the server so
//! it works without JavaScript and prints. Colours come with dash
//! patterns and a legend, so the series can be told apart in black and
//! white too.

use aftercare_core::vocabulary::{Severity, SymptomKind};
use aftercare_core::{Course, Level};
use maud::{Markup, html};

use crate::web::words;

/// One symptom's points: (hours since the treatment, severity 0–4), at
/// the check-ins that mention it.
pub(crate) struct Series {
    /// The symptom.
    pub(crate) kind: SymptomKind,
    /// The points, oldest first.
    pub(crate) points: Vec<(f64, f64)>,
}

/// What the chart shows, for the SVG and the PDF alike.
pub(crate) struct ChartData {
    /// One series per symptom reported anywhere in the course.
    pub(crate) series: Vec<Series>,
    /// The decisions: (hours since the treatment, level).
    pub(crate) markers: Vec<(f64, Level)>,
    /// The right end of the time axis, in hours.
    pub(crate) max_hours: f64,
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
                .filter_map(|index| Some((hours[index], height(course, index, kind)?)))
                .collect(),
        })
        .collect();
    let markers = hours.iter().copied().zip(levels.iter().copied()).collect();
    let last = hours.iter().copied().fold(0.0_f64, f64::max);
    // Whole days, at least one, so the axis reads in familiar steps.
    let max_hours = ((last / 24.0).ceil().max(1.0)) * 24.0;
    ChartData {
        series,
        markers,
        max_hours,
    }
}

const WIDTH: f64 = 640.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const PLOT_HEIGHT: f64 = 180.0;
const LEGEND_ROW: f64 = 20.0;

/// The x position of an hour.
fn x(hours: f64, max_hours: f64) -> f64 {
    LEFT + hours / max_hours * (WIDTH - LEFT - RIGHT)
}

/// The y position of a severity.
fn y(severity: f64) -> f64 {
    TOP + PLOT_HEIGHT - severity / 4.0 * PLOT_HEIGHT
}

/// Numbers in SVG attributes: one decimal is plenty.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

/// The tick step of the time axis, in hours.
fn tick_step(max_hours: f64) -> f64 {
    match max_hours {
        m if m <= 48.0 => 6.0,
        m if m <= 7.0 * 24.0 => 24.0,
        m if m <= 21.0 * 24.0 => 48.0,
        _ => 168.0,
    }
}

/// The chart as inline SVG, `id="timeline"`.
pub(crate) fn timeline(course: &Course, levels: &[Level]) -> Markup {
    let chart = data(course, levels);
    let legend_rows = chart.series.len().div_ceil(2) + 1;
    let height = TOP + PLOT_HEIGHT + 44.0 + LEGEND_ROW * legend_rows as f64;
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
                "dots along the top mark each check-in's answer."
            }
            // Axes and grid.
            g class="axes" font-size="11" fill="#1a1a1a" {
                @for (index, severity) in Severity::ALL.iter().enumerate() {
                    line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(n(y(index as f64))) y2=(n(y(index as f64))) stroke="#d0d0d0" stroke-width="1" {}
                    text x=(n(LEFT - 6.0)) y=(n(y(index as f64) + 4.0)) text-anchor="end" { (words::severity(*severity)) }
                }
                @for tick in &ticks {
                    line x1=(n(x(*tick, max))) x2=(n(x(*tick, max))) y1=(n(TOP + PLOT_HEIGHT)) y2=(n(TOP + PLOT_HEIGHT + 4.0)) stroke="#1a1a1a" {}
                    text x=(n(x(*tick, max))) y=(n(TOP + PLOT_HEIGHT + 16.0)) text-anchor="middle" { (format!("{tick:.0}")) }
                }
                line x1=(n(LEFT)) x2=(n(LEFT)) y1=(n(TOP)) y2=(n(TOP + PLOT_HEIGHT)) stroke="#1a1a1a" {}
                line x1=(n(LEFT)) x2=(n(WIDTH - RIGHT)) y1=(n(TOP + PLOT_HEIGHT)) y2=(n(TOP + PLOT_HEIGHT)) stroke="#1a1a1a" {}
                text x=(n((LEFT + WIDTH - RIGHT) / 2.0)) y=(n(TOP + PLOT_HEIGHT + 32.0)) text-anchor="middle" { "Hours since the treatment" }
                text x="4" y="14" { "Severity" }
            }
            // Decision markers along the top.
            g class="markers" {
                @for (hours, level) in &chart.markers {
                    circle class="marker" data-level=(level.as_str()) cx=(n(x(*hours, max))) cy=(n(TOP - 12.0)) r="6" fill=(level_colour(*level)) stroke="#ffffff" stroke-width="1" {
                        title { (format!("{hours:.0}")) " h: " (level.heading()) }
                    }
                }
            }
            // One series per symptom.
            @for (index, series) in chart.series.iter().enumerate() {
                @let (colour, dash) = STYLES[index % STYLES.len()];
                @let points = series.points.iter().map(|(h, s)| format!("{},{}", n(x(*h, max)), n(y(*s)))).collect::<Vec<_>>().join(" ");
                g class="series" data-symptom=(series.kind.as_str()) {
                    title { (words::symptom(series.kind)) }
                    polyline points=(points) fill="none" stroke=(colour) stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                    @for (h, s) in &series.points {
                        circle cx=(n(x(*h, max))) cy=(n(y(*s))) r="3.5" fill=(colour) {}
                    }
                }
            }
            // Legend.
            g class="legend" font-size="12" fill="#1a1a1a" {
                @for (index, series) in chart.series.iter().enumerate() {
                    @let (colour, dash) = STYLES[index % STYLES.len()];
                    @let lx = if index % 2 == 0 { LEFT } else { LEFT + (WIDTH - LEFT) / 2.0 };
                    @let ly = TOP + PLOT_HEIGHT + 50.0 + LEGEND_ROW * (index / 2) as f64;
                    line x1=(n(lx)) x2=(n(lx + 28.0)) y1=(n(ly - 4.0)) y2=(n(ly - 4.0)) stroke=(colour) stroke-width="2.5" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
                    text x=(n(lx + 34.0)) y=(n(ly)) { (words::symptom(series.kind)) }
                }
                @let ly = TOP + PLOT_HEIGHT + 50.0 + LEGEND_ROW * (legend_rows - 1) as f64;
                circle cx=(n(LEFT + 6.0)) cy=(n(ly - 4.0)) r="6" fill="#8a5a00" {}
                text x=(n(LEFT + 18.0)) y=(n(ly)) { "Check-in answer (colour by level)" }
                @if chart.series.is_empty() {
                    text x=(n(LEFT + 8.0)) y=(n(TOP + PLOT_HEIGHT / 2.0)) { "No symptoms reported yet." }
                }
            }
        }
    }
}
