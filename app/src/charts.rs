//! Small SVG charts without a JavaScript chart library.
//!
//! The geometry is pure and unit-tested ([`nice_ticks`], [`line_path`], [`scaled_path`],
//! [`bar_geometry`], [`time_ticks`]); [`LineChart`] and [`BarChart`] draw it in a fixed
//! `viewBox` scaled to the container's width, with a legend, an accessible `<title>` and
//! `<desc>`, and a visually hidden table of the data for screen readers.
//!
//! Colours come from CSS: a series' `class` (for instance `s-ok`, `s-info`, `s-warn`,
//! `s-bad`, `s-accent`, `s-accent-2`, `s-muted`; see `style/graph.css`) sets `--series`,
//! which lines, bars and legend swatches use.

use std::{collections::BTreeMap, fmt::Write as _};

use chrono::{DateTime, TimeZone as _, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One named line (or set of bars) of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Shown in the legend and the data table.
    pub name: String,
    /// CSS class giving the colour (`s-ok`, `s-info`, ...).
    pub class: String,
    /// `(time, value)`, any order (drawn sorted by time).
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// Width of a chart's `viewBox`.
pub const CHART_W: f64 = 640.0;
/// Height of a chart's `viewBox`.
pub const CHART_H: f64 = 240.0;
const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 16.0;
const MARGIN_TOP: f64 = 18.0;
const MARGIN_BOTTOM: f64 = 30.0;
const PLOT_W: f64 = CHART_W - MARGIN_LEFT - MARGIN_RIGHT;
const PLOT_H: f64 = CHART_H - MARGIN_TOP - MARGIN_BOTTOM;
/// A series with at most this many points gets a marker (with a tooltip) on every point.
const MAX_MARKERS: usize = 40;
/// Rows of the hidden data table (the most recent ones).
const MAX_TABLE_ROWS: usize = 500;
/// Share of a bar group's band left empty.
const GROUP_GAP: f64 = 0.2;
/// Bar charts with at most this many bars print each bar's value.
const MAX_VALUE_LABELS: usize = 16;

// ---------------------------------------------------------------------------------------------
// Geometry

/// Round tick values covering `[min, max]` with about `count` ticks (Heckbert's nice
/// numbers: steps of 1, 2 or 5 times a power of ten). The first tick is `<= min`, the last
/// `>= max`. Empty when a bound is not finite.
pub fn nice_ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() {
        return Vec::new();
    }
    let (mut lo, mut hi) = if min <= max { (min, max) } else { (max, min) };
    if lo == hi {
        if lo == 0.0 {
            hi = 1.0;
        } else {
            let d = lo.abs() / 2.0;
            lo -= d;
            hi += d;
        }
    }
    let count = count.max(2);
    let range = nice_num(hi - lo, false);
    let step = nice_num(range / (count - 1) as f64, true);
    if !step.is_finite() || step <= 0.0 {
        return vec![lo, hi];
    }
    let start = (lo / step).floor() * step;
    let end = (hi / step).ceil() * step;
    let n = ((end - start) / step).round();
    if !(0.0..=1_000.0).contains(&n) {
        return vec![lo, hi];
    }
    (0..=n as usize)
        .map(|i| round_to_step(start + i as f64 * step, step))
        .collect()
}

/// The nice number (1, 2, 5 or 10 times a power of ten) near `x`: rounded, or at least `x`.
fn nice_num(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let p = 10f64.powf(exp);
    let f = x / p;
    let nf = if round {
        match f {
            f if f < 1.5 => 1.0,
            f if f < 3.0 => 2.0,
            f if f < 7.0 => 5.0,
            _ => 10.0,
        }
    } else {
        match f {
            f if f <= 1.0 => 1.0,
            f if f <= 2.0 => 2.0,
            f if f <= 5.0 => 5.0,
            _ => 10.0,
        }
    };
    nf * p
}

/// Decimals needed to print multiples of `step`.
fn decimals_for(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 {
        return 2;
    }
    (-step.log10().floor()).clamp(0.0, 12.0) as usize
}

/// `v` rounded to the decimals of `step` (so `0.1 + 0.2` prints as `0.3`), without `-0`.
fn round_to_step(v: f64, step: f64) -> f64 {
    let p = 10f64.powi(decimals_for(step) as i32);
    let r = (v * p).round() / p;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A tick label: the decimals the step needs; `k` when the step is at least 1,000 and `M`
/// when it is at least 100,000 (so every label of an axis has the same form).
pub fn format_tick(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let v = round_to_step(v, step);
    if v == 0.0 {
        return "0".to_owned();
    }
    let (v, step, suffix) = if step >= 1e5 {
        (v / 1e6, step / 1e6, "M")
    } else if step >= 1e3 {
        (v / 1e3, step / 1e3, "k")
    } else {
        (v, step, "")
    };
    format!("{:.*}{suffix}", decimals_for(step), v)
}

/// A value for a tooltip or the data table: a few significant digits, no trailing zeros.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let a = v.abs();
    let s = if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" {
        "0".to_owned()
    } else {
        s
    }
}

/// A coordinate with at most one decimal and no trailing `.0`.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// SVG path data for `points` in a `width` x `height` box: x scaled from the points' own
/// smallest to largest x, y from `min(0, smallest y)` (bottom) to `y_max` (top; the largest y
/// when `None`). Values beyond the box are clamped; a non-finite point breaks the line.
/// Empty for no points; a single point is a lone `M` (draw a marker for it).
pub fn line_path(points: &[(f64, f64)], width: f64, height: f64, y_max: Option<f64>) -> String {
    let finite = || points.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, f64::NEG_INFINITY);
    for &(x, y) in finite() {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return String::new();
    }
    let y1 = y_max.filter(|m| m.is_finite()).unwrap_or(y1);
    scaled_path(points, (x0, x1), (y0, y1), width, height)
}

/// SVG path data for `points` with explicit domains: `x.0..x.1` maps to `0..width`,
/// `y.0..y.1` to `height..0`. A degenerate x domain puts points in the middle, a degenerate
/// y domain at the bottom. Coordinates are clamped to the box; non-finite points break the
/// line.
pub fn scaled_path(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64), width: f64, height: f64) -> String {
    let mut d = String::with_capacity(points.len() * 14);
    let mut pen_down = false;
    for &(px, py) in points {
        if !px.is_finite() || !py.is_finite() {
            pen_down = false;
            continue;
        }
        let (sx, sy) = scale_point((px, py), x, y, width, height);
        if !d.is_empty() {
            d.push(' ');
        }
        let _ = write!(d, "{}{} {}", if pen_down { 'L' } else { 'M' }, num(sx), num(sy));
        pen_down = true;
    }
    d
}

/// One point of [`scaled_path`].
fn scale_point(p: (f64, f64), x: (f64, f64), y: (f64, f64), width: f64, height: f64) -> (f64, f64) {
    let sx = if x.1 > x.0 {
        (p.0 - x.0) / (x.1 - x.0) * width
    } else {
        width / 2.0
    };
    let sy = if y.1 > y.0 {
        height - (p.1 - y.0) / (y.1 - y.0) * height
    } else {
        height
    };
    (sx.clamp(0.0, width), sy.clamp(0.0, height))
}

/// One bar of [`bar_geometry`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarRect {
    /// Index of the group (x category).
    pub group: usize,
    /// Index of the value within its group (the series).
    pub series: usize,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height (0 for a zero value).
    pub h: f64,
}

/// Bars for `groups[g][s]` (the value of series `s` in group `g`) in a `width` x `height`
/// box: one band per group, the group's bars side by side in it, heights scaled to `y_max`
/// (the largest value when `None`). Negative values are drawn as 0, values above `y_max`
/// clamped; non-finite values get no bar.
pub fn bar_geometry(groups: &[Vec<f64>], width: f64, height: f64, y_max: Option<f64>) -> Vec<BarRect> {
    let n = groups.len();
    if n == 0 {
        return Vec::new();
    }
    let per = groups.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let largest = groups
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let top = y_max.filter(|m| m.is_finite() && *m > 0.0).unwrap_or(largest);
    let top = if top > 0.0 { top } else { 1.0 };
    let band = width / n as f64;
    let slot = band * (1.0 - GROUP_GAP) / per as f64;
    let bar_w = if per > 1 { slot * 0.88 } else { slot };
    let mut out = Vec::with_capacity(n * per);
    for (g, values) in groups.iter().enumerate() {
        for (s, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let h = v.clamp(0.0, top) / top * height;
            out.push(BarRect {
                group: g,
                series: s,
                x: g as f64 * band + band * GROUP_GAP / 2.0 + s as f64 * slot + (slot - bar_w) / 2.0,
                y: height - h,
                w: bar_w,
                h,
            });
        }
    }
    out
}

/// Steps for time axes, in ms.
const TIME_STEPS_MS: &[i64] = &[
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
    7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];
const DAY_MS: i64 = 86_400_000;

/// Ticks for a time axis from `start_ms` to `end_ms` (Unix ms): about `count` of them, on
/// round multiples of a step (1 s, 5 s, 15 s, 1 min, 5 min, 1 h, 6 h, 1 day, ...), all inside
/// the range. Returns the ticks and the step.
pub fn time_ticks(start_ms: i64, end_ms: i64, count: usize) -> (Vec<i64>, i64) {
    let (lo, hi) = if start_ms <= end_ms {
        (start_ms, end_ms)
    } else {
        (end_ms, start_ms)
    };
    let want = (hi - lo) / count.max(1) as i64;
    let step = TIME_STEPS_MS
        .iter()
        .copied()
        .find(|&s| s >= want)
        .unwrap_or_else(|| (want + DAY_MS - 1) / DAY_MS * DAY_MS)
        .max(1);
    let first = lo.div_euclid(step) * step + if lo.rem_euclid(step) == 0 { 0 } else { step };
    let ticks = (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= hi)
        .take(1_000)
        .collect();
    (ticks, step)
}

/// A `strftime` format for times `step_ms` apart over `span_ms`.
pub fn time_format(step_ms: i64, span_ms: i64) -> &'static str {
    if step_ms < 60_000 {
        "%H:%M:%S"
    } else if step_ms < DAY_MS && span_ms < DAY_MS {
        "%H:%M"
    } else if step_ms < DAY_MS {
        "%d %b %H:%M"
    } else {
        "%d %b"
    }
}

fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn all_empty(series: &[Series]) -> bool {
    series.iter().all(|s| s.points.is_empty())
}

/// "p50, p95 (ms)".
fn default_title(kind: &str, series: &[Series], unit: &str) -> String {
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let mut t = format!("{kind}: {}", names.join(", "));
    if !unit.is_empty() {
        let _ = write!(t, " ({unit})");
    }
    t
}

/// "p50: 12 points, latest 3.2 ms, highest 9 ms. p95: ..."
pub fn describe(series: &[Series], unit: &str) -> String {
    let with_unit = |v: f64| {
        if unit.is_empty() {
            format_number(v)
        } else {
            format!("{} {unit}", format_number(v))
        }
    };
    series
        .iter()
        .map(|s| {
            let n = s.points.len();
            let latest = s.points.iter().max_by_key(|p| p.0).map(|p| p.1);
            let highest = s.points.iter().map(|p| p.1).filter(|v| v.is_finite()).reduce(f64::max);
            match (latest, highest) {
                (Some(l), Some(h)) => format!(
                    "{}: {n} point{}, latest {}, highest {}.",
                    s.name,
                    if n == 1 { "" } else { "s" },
                    with_unit(l),
                    with_unit(h)
                ),
                _ => format!("{}: no data.", s.name),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every distinct time of the series, sorted, and each series' value at each (`NaN` where a
/// series has none; the last point wins when a series repeats a time).
fn table_rows(series: &[Series]) -> Vec<(DateTime<Utc>, Vec<f64>)> {
    let mut rows: BTreeMap<DateTime<Utc>, Vec<f64>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        for &(t, v) in &s.points {
            rows.entry(t).or_insert_with(|| vec![f64::NAN; series.len()])[i] = v;
        }
    }
    rows.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Components

/// A line chart of one or more series over time.
///
/// Emits `figure.chart.line-chart` holding `svg.chart-svg[role=img]` (with `<title>` and
/// `<desc>`), `path.chart-line.<series class>`, `circle.chart-dot.<series class>` when a series
/// has few points, `ul.chart-legend`, and `table.visually-hidden` with the data. With no
/// points at all: `p.empty.chart-empty` "No data yet".
#[component]
pub fn LineChart(
    /// The lines.
    #[prop(into)]
    series: Signal<Vec<Series>>,
    /// Unit of the values (`ms`, `tasks/s`), shown on the axis and in descriptions.
    #[prop(optional, into)]
    unit: String,
    /// Accessible name; by default "Line chart: <series names> (<unit>)".
    #[prop(optional, into)]
    title: String,
    /// Extra description, read before the generated summary.
    #[prop(optional, into)]
    description: String,
) -> impl IntoView {
    move || {
        let series = series.get();
        if all_empty(&series) {
            return empty("line-chart");
        }
        let title = if title.is_empty() {
            default_title("Line chart", &series, &unit)
        } else {
            title.clone()
        };
        let desc = join_desc(&description, &describe(&series, &unit));

        // Domains: shared by every series.
        let times = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0.timestamp_millis()));
        let (mut t0, mut t1) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
        if t0 == t1 {
            t0 -= 30_000;
            t1 += 30_000;
        }
        let values = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite());
        let (v0, v1) = values.fold((0.0f64, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let v1 = if v1.is_finite() { v1 } else { 1.0 };
        let y_ticks = nice_ticks(v0, v1, 5);
        let y_step = if y_ticks.len() > 1 {
            y_ticks[1] - y_ticks[0]
        } else {
            1.0
        };
        let y_dom = (
            y_ticks.first().copied().unwrap_or(v0),
            y_ticks.last().copied().unwrap_or(v1),
        );
        let x_dom = (t0 as f64, t1 as f64);
        let (x_ticks, x_step) = time_ticks(t0, t1, 5);
        let x_fmt = time_format(x_step, t1 - t0);

        let grid = y_ticks
            .iter()
            .map(|&v| {
                let y = MARGIN_TOP + scale_point((0.0, v), (0.0, 1.0), y_dom, PLOT_W, PLOT_H).1;
                view! {
                    <line class="chart-gridline" x1=num(MARGIN_LEFT) x2=num(CHART_W - MARGIN_RIGHT) y1=num(y) y2=num(y)></line>
                    <text class="chart-tick chart-tick-y" x=num(MARGIN_LEFT - 6.0) y=num(y + 4.0) text-anchor="end">
                        {format_tick(v, y_step)}
                    </text>
                }
            })
            .collect_view();
        let x_axis = x_ticks
            .iter()
            .map(|&t| {
                let x = MARGIN_LEFT + scale_point((t as f64, 0.0), x_dom, (0.0, 1.0), PLOT_W, PLOT_H).0;
                let y = CHART_H - MARGIN_BOTTOM;
                view! {
                    <line class="chart-axis-tick" x1=num(x) x2=num(x) y1=num(y) y2=num(y + 4.0)></line>
                    <text class="chart-tick chart-tick-x" x=num(x) y=num(y + 18.0) text-anchor="middle">
                        {at_ms(t).format(x_fmt).to_string()}
                    </text>
                }
            })
            .collect_view();
        let lines = series
            .iter()
            .map(|s| {
                let mut pts: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0.timestamp_millis() as f64, p.1)).collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let d = scaled_path(&pts, x_dom, y_dom, PLOT_W, PLOT_H);
                let dots = (s.points.len() <= MAX_MARKERS).then(|| {
                    s.points
                        .iter()
                        .filter(|p| p.1.is_finite())
                        .map(|&(t, v)| {
                            let (cx, cy) = scale_point((t.timestamp_millis() as f64, v), x_dom, y_dom, PLOT_W, PLOT_H);
                            let tip = format!(
                                "{}: {}{} at {}",
                                s.name,
                                format_number(v),
                                unit_suffix(&unit),
                                t.format("%H:%M:%S")
                            );
                            view! {
                                <circle class=format!("chart-dot {}", s.class) cx=num(cx) cy=num(cy) r="3">
                                    <title>{tip}</title>
                                </circle>
                            }
                        })
                        .collect_view()
                });
                view! {
                    <g class=format!("chart-series {}", s.class) data-series=s.name.clone()>
                        <path class=format!("chart-line {}", s.class) d=d></path>
                        {dots}
                    </g>
                }
            })
            .collect_view();

        frame(
            "line-chart",
            title,
            desc,
            unit.clone(),
            series.clone(),
            grid,
            x_axis,
            lines,
        )
    }
}

/// A bar chart: one group of bars per distinct time, one bar per series in each group. With a
/// single time and several series, each bar is labelled with its series' name (a categorical
/// chart: pass one point per series).
///
/// Emits `figure.chart.bar-chart` holding `svg.chart-svg[role=img]` (with `<title>` and
/// `<desc>`), `rect.chart-bar.<series class>` (each with a `<title>` tooltip and
/// `data-series`), `ul.chart-legend`, and `table.visually-hidden` with the data. With no
/// points at all: `p.empty.chart-empty` "No data yet".
#[component]
pub fn BarChart(
    /// The bars, grouped by time.
    #[prop(into)]
    series: Signal<Vec<Series>>,
    /// Unit of the values, shown on the axis and in descriptions.
    #[prop(optional, into)]
    unit: String,
    /// Accessible name; by default "Bar chart: <series names> (<unit>)".
    #[prop(optional, into)]
    title: String,
    /// Extra description, read before the generated summary.
    #[prop(optional, into)]
    description: String,
) -> impl IntoView {
    move || {
        let series = series.get();
        if all_empty(&series) {
            return empty("bar-chart");
        }
        let title = if title.is_empty() {
            default_title("Bar chart", &series, &unit)
        } else {
            title.clone()
        };
        let desc = join_desc(&description, &describe(&series, &unit));

        let rows = table_rows(&series);
        let groups: Vec<Vec<f64>> = rows.iter().map(|r| r.1.clone()).collect();
        let largest = groups
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y_ticks = nice_ticks(0.0, largest, 5);
        let y_step = if y_ticks.len() > 1 {
            y_ticks[1] - y_ticks[0]
        } else {
            1.0
        };
        let top = y_ticks.last().copied().unwrap_or(1.0);
        let bars = bar_geometry(&groups, PLOT_W, PLOT_H, Some(top));
        let categorical = rows.len() == 1 && series.len() > 1;
        let min_gap = rows
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).num_milliseconds())
            .min()
            .unwrap_or(60_000);
        let span = match (rows.first(), rows.last()) {
            (Some(a), Some(b)) => (b.0 - a.0).num_milliseconds(),
            _ => 0,
        };
        let fmt = time_format(min_gap, span);
        let band = PLOT_W / rows.len().max(1) as f64;
        let label_every = ((rows.len() as f64 * 64.0 / PLOT_W).ceil() as usize).max(1);
        let value_labels = bars.len() <= MAX_VALUE_LABELS;

        let grid = y_ticks
            .iter()
            .map(|&v| {
                let y = MARGIN_TOP + PLOT_H - v / top * PLOT_H;
                view! {
                    <line class="chart-gridline" x1=num(MARGIN_LEFT) x2=num(CHART_W - MARGIN_RIGHT) y1=num(y) y2=num(y)></line>
                    <text class="chart-tick chart-tick-y" x=num(MARGIN_LEFT - 6.0) y=num(y + 4.0) text-anchor="end">
                        {format_tick(v, y_step)}
                    </text>
                }
            })
            .collect_view();
        let label_y = num(CHART_H - MARGIN_BOTTOM + 18.0);
        let x_labels = if categorical {
            bars.iter()
                .map(|b| {
                    let name = series[b.series].name.clone();
                    view! {
                        <text class="chart-tick chart-tick-x" x=num(MARGIN_LEFT + b.x + b.w / 2.0) y=label_y.clone() text-anchor="middle">
                            {name}
                        </text>
                    }
                })
                .collect_view()
        } else {
            rows.iter()
                .enumerate()
                .filter(|(g, _)| g % label_every == 0)
                .map(|(g, r)| {
                    view! {
                        <text class="chart-tick chart-tick-x" x=num(MARGIN_LEFT + band * (g as f64 + 0.5)) y=label_y.clone() text-anchor="middle">
                            {r.0.format(fmt).to_string()}
                        </text>
                    }
                })
                .collect_view()
        };
        let rects = bars
            .iter()
            .map(|b| {
                let s = &series[b.series];
                let (t, v) = (rows[b.group].0, groups[b.group][b.series]);
                let tip = format!("{}: {}{} at {}", s.name, format_number(v), unit_suffix(&unit), t.format("%H:%M:%S"));
                let value = value_labels.then(|| {
                    view! {
                        <text class="chart-value" x=num(b.x + b.w / 2.0) y=num(b.y - 4.0) text-anchor="middle">
                            {format_number(v)}
                        </text>
                    }
                });
                view! {
                    <rect class=format!("chart-bar {}", s.class) data-series=s.name.clone() x=num(b.x) y=num(b.y) width=num(b.w) height=num(b.h) rx="2">
                        <title>{tip}</title>
                    </rect>
                    {value}
                }
            })
            .collect_view();

        frame(
            "bar-chart",
            title,
            desc,
            unit.clone(),
            series.clone(),
            grid,
            x_labels,
            rects,
        )
    }
}

/// The empty state of a chart of `kind` (`line-chart`, `bar-chart`).
fn empty(kind: &'static str) -> AnyView {
    view! {
        <figure class=format!("chart {kind}")>
            <p class="empty chart-empty">"No data yet"</p>
        </figure>
    }
    .into_any()
}

/// What every chart shares around its plot: the figure, the accessible SVG with title and
/// description, the grid, the unit, the x axis, the legend and the data table.
#[allow(clippy::too_many_arguments)]
fn frame(
    kind: &'static str,
    title: String,
    desc: String,
    unit: String,
    series: Vec<Series>,
    grid: impl IntoView + 'static,
    x_axis: impl IntoView + 'static,
    plot: impl IntoView + 'static,
) -> AnyView {
    view! {
        <figure class=format!("chart {kind}")>
            <svg
                class="chart-svg"
                xmlns="http://www.w3.org/2000/svg"
                viewBox=format!("0 0 {} {}", num(CHART_W), num(CHART_H))
                width="100%"
                role="img"
                aria-label=title.clone()
            >
                <title>{title.clone()}</title>
                <desc>{desc}</desc>
                <g class="chart-grid">{grid}</g>
                <text class="chart-unit" x=num(MARGIN_LEFT - 6.0) y="11" text-anchor="end">{unit.clone()}</text>
                <line
                    class="chart-axis"
                    x1=num(MARGIN_LEFT)
                    x2=num(CHART_W - MARGIN_RIGHT)
                    y1=num(CHART_H - MARGIN_BOTTOM)
                    y2=num(CHART_H - MARGIN_BOTTOM)
                ></line>
                <g class="chart-x">{x_axis}</g>
                <g class="chart-plot" transform=format!("translate({} {})", num(MARGIN_LEFT), num(MARGIN_TOP))>
                    {plot}
                </g>
            </svg>
            <Legend series=series.clone()/>
            <DataTable caption=title series unit/>
        </figure>
    }
    .into_any()
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn join_desc(given: &str, generated: &str) -> String {
    if given.is_empty() {
        generated.to_owned()
    } else {
        format!("{given} {generated}")
    }
}

/// Colour swatch and name per series (hidden from screen readers: the table names them).
#[component]
fn Legend(series: Vec<Series>) -> impl IntoView {
    let items = series
        .into_iter()
        .map(|s| {
            view! {
                <li class=format!("chart-legend-item {}", s.class)>
                    <span class="chart-swatch" aria-hidden="true"></span>
                    {s.name}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="chart-legend" aria-hidden="true">{items}</ul> }
}

/// The data as a table only screen readers see (the latest [`MAX_TABLE_ROWS`] times).
#[component]
fn DataTable(caption: String, series: Vec<Series>, unit: String) -> impl IntoView {
    let rows = table_rows(&series);
    let skipped = rows.len().saturating_sub(MAX_TABLE_ROWS);
    let caption = if skipped > 0 {
        format!("{caption} (latest {MAX_TABLE_ROWS} of {} times)", rows.len())
    } else {
        caption
    };
    let unit = unit_suffix(&unit);
    let heads = series
        .iter()
        .map(|s| view! { <th scope="col">{format!("{}{}", s.name, if unit.is_empty() { String::new() } else { format!(" ({})", unit.trim()) })}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .skip(skipped)
        .map(|(t, values)| {
            let cells = values
                .into_iter()
                .map(|v| view! { <td>{if v.is_nan() { "—".to_owned() } else { format_number(v) }}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row"><time datetime=t.to_rfc3339()>{t.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</time></th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="visually-hidden chart-data">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    {heads}
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        at_ms(1_700_000_000_000 + s * 1_000)
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 97.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(0.0, 0.3, 4), [0.0, 0.2, 0.4]);
        assert_eq!(nice_ticks(0.0, 0.7, 5), [0.0, 0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_ticks(-3.0, 7.0, 5), [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(
            nice_ticks(1234.0, 5678.0, 5),
            [1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0]
        );
        // Reversed bounds, a single value, zero, non-finite.
        assert_eq!(nice_ticks(10.0, 0.0, 5), nice_ticks(0.0, 10.0, 5));
        assert_eq!(nice_ticks(0.0, 0.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let single = nice_ticks(5.0, 5.0, 5);
        assert!(single.first().unwrap() <= &5.0 && single.last().unwrap() >= &5.0 && single.len() >= 2);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(nice_ticks(0.0, f64::INFINITY, 5).is_empty());
        // Any range: covered, increasing, about the asked count.
        for (lo, hi) in [(0.0, 1e-6), (3.3, 3.31), (0.0, 1e9), (-7.5, -0.2), (12.0, 13.0)] {
            let ticks = nice_ticks(lo, hi, 5);
            assert!(ticks[0] <= lo && *ticks.last().unwrap() >= hi, "{lo}..{hi}: {ticks:?}");
            assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
            assert!((3..=12).contains(&ticks.len()), "{lo}..{hi}: {ticks:?}");
        }
    }

    #[test]
    fn tick_labels_use_the_steps_decimals() {
        assert_eq!(format_tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_tick(2.0, 0.5), "2.0");
        assert_eq!(format_tick(40.0, 20.0), "40");
        assert_eq!(format_tick(25_000.0, 5_000.0), "25k");
        assert_eq!(format_tick(2_500_000.0, 500_000.0), "2.5M");
        assert_eq!(format_tick(-0.0000001, 0.1), "0");
        assert_eq!(format_tick(2_000.0, 1_000.0), "2k");
        assert_eq!(format_tick(0.0, 1_000.0), "0");
        assert_eq!(format_tick(1200.0, 200.0), "1200");
        assert_eq!(format_number(4.56789), "4.57");
        assert_eq!(format_number(0.012345), "0.012");
        assert_eq!(format_number(1500.4), "1500");
        assert_eq!(format_number(2.0), "2");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(f64::NAN), "–");
    }

    #[test]
    fn a_line_spans_the_box() {
        let d = line_path(&[(0.0, 0.0), (5.0, 5.0), (10.0, 10.0)], 100.0, 50.0, None);
        assert_eq!(d, "M0 50 L50 25 L100 0");
        // y_max above the data leaves headroom.
        assert_eq!(
            line_path(&[(0.0, 0.0), (10.0, 10.0)], 100.0, 50.0, Some(20.0)),
            "M0 50 L100 25"
        );
        // y_max below the data clamps.
        assert_eq!(
            line_path(&[(0.0, 0.0), (10.0, 10.0)], 100.0, 50.0, Some(5.0)),
            "M0 50 L100 0"
        );
        // x is scaled from the points' own range.
        assert_eq!(line_path(&[(100.0, 1.0), (200.0, 2.0)], 10.0, 10.0, None), "M0 5 L10 0");
    }

    #[test]
    fn degenerate_lines_do_not_break() {
        assert_eq!(line_path(&[], 100.0, 50.0, None), "");
        assert_eq!(line_path(&[(3.0, 7.0)], 100.0, 50.0, None), "M50 0");
        assert_eq!(line_path(&[(1.0, 0.0), (2.0, 0.0)], 100.0, 50.0, None), "M0 50 L100 50");
        assert_eq!(line_path(&[(f64::NAN, 1.0)], 100.0, 50.0, None), "");
        // A gap (non-finite value) starts a new sub-path.
        assert_eq!(
            line_path(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 1.0), (3.0, 1.0)], 30.0, 10.0, None),
            "M0 0 M20 0 L30 0"
        );
        // Negative values lower the baseline below zero.
        assert_eq!(line_path(&[(0.0, -1.0), (1.0, 1.0)], 10.0, 10.0, None), "M0 10 L10 0");
    }

    #[test]
    fn scaled_paths_use_the_given_domains() {
        let d = scaled_path(&[(15.0, 5.0), (20.0, 10.0)], (10.0, 20.0), (0.0, 10.0), 100.0, 100.0);
        assert_eq!(d, "M50 50 L100 0");
    }

    #[test]
    fn bars_share_the_width_and_scale_to_the_top() {
        let bars = bar_geometry(&[vec![1.0], vec![2.0]], 100.0, 50.0, None);
        assert_eq!(
            bars,
            [
                BarRect {
                    group: 0,
                    series: 0,
                    x: 5.0,
                    y: 25.0,
                    w: 40.0,
                    h: 25.0
                },
                BarRect {
                    group: 1,
                    series: 0,
                    x: 55.0,
                    y: 0.0,
                    w: 40.0,
                    h: 50.0
                },
            ]
        );
        let bars = bar_geometry(&[vec![1.0, 2.0]], 100.0, 40.0, Some(4.0));
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[0].h, bars[1].h), (10.0, 20.0));
        assert!(bars[0].x + bars[0].w <= bars[1].x, "{bars:?}");
        assert!(bars.iter().all(|b| b.x >= 10.0 && b.x + b.w <= 90.0 + 1e-9), "{bars:?}");
    }

    #[test]
    fn odd_bar_values_are_safe() {
        assert!(bar_geometry(&[], 100.0, 50.0, None).is_empty());
        let bars = bar_geometry(
            &[vec![0.0], vec![-3.0], vec![f64::NAN], vec![9.0]],
            100.0,
            50.0,
            Some(3.0),
        );
        assert_eq!(bars.len(), 3, "no bar for NaN");
        assert_eq!(bars[0].h, 0.0);
        assert_eq!(bars[1].h, 0.0);
        assert_eq!(bars[2].h, 50.0);
        assert!(bars.iter().all(|b| b.y + b.h == 50.0));
        // All zeros: no division by zero.
        assert!(bar_geometry(&[vec![0.0, 0.0]], 10.0, 10.0, None)
            .iter()
            .all(|b| b.h == 0.0));
    }

    #[test]
    fn time_ticks_fall_on_round_times() {
        let base = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
        let (ticks, step) = time_ticks(base, base + 3_600_000, 5);
        assert_eq!(step, 900_000);
        assert!(ticks
            .iter()
            .all(|t| t % step == 0 && *t >= base && *t <= base + 3_600_000));
        assert_eq!(ticks.len(), 4);
        let (ticks, step) = time_ticks(base, base + 50_000, 5);
        assert_eq!(step, 10_000);
        assert_eq!(ticks.len(), 6);
        let (ticks, step) = time_ticks(base, base + 30 * DAY_MS, 5);
        assert_eq!(step, 6 * DAY_MS);
        assert!(!ticks.is_empty());
        let (ticks, _) = time_ticks(base, base, 5);
        assert!(ticks.len() <= 1);
        assert_eq!(time_format(10_000, 60_000), "%H:%M:%S");
        assert_eq!(time_format(900_000, 3_600_000), "%H:%M");
        assert_eq!(time_format(3_600_000, 2 * DAY_MS), "%d %b %H:%M");
        assert_eq!(time_format(DAY_MS, 30 * DAY_MS), "%d %b");
    }

    #[test]
    fn descriptions_and_table_rows_summarise_the_data() {
        let series = vec![
            Series {
                name: "p50".into(),
                class: "s-info".into(),
                points: vec![(t(0), 2.0), (t(60), 5.5)],
            },
            Series {
                name: "p95".into(),
                class: "s-warn".into(),
                points: vec![(t(60), 9.0)],
            },
            Series {
                name: "empty".into(),
                class: "s-bad".into(),
                points: vec![],
            },
        ];
        assert_eq!(
            describe(&series, "ms"),
            "p50: 2 points, latest 5.5 ms, highest 5.5 ms. p95: 1 point, latest 9 ms, highest 9 ms. empty: no data."
        );
        let rows = table_rows(&series);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, t(0));
        assert!(rows[0].1[0] == 2.0 && rows[0].1[1].is_nan() && rows[0].1[2].is_nan());
        assert_eq!(rows[1].1[..2], [5.5, 9.0]);
        assert_eq!(
            default_title("Line chart", &series[..2], "ms"),
            "Line chart: p50, p95 (ms)"
        );
        assert!(all_empty(&[]) && all_empty(&series[2..]) && !all_empty(&series));
    }

    #[test]
    fn charts_render_accessibly() {
        let owner = Owner::new();
        owner.set();
        let series = vec![
            Series {
                name: "p50".into(),
                class: "s-info".into(),
                points: vec![(t(0), 2.0), (t(60), 5.5)],
            },
            Series {
                name: "p95".into(),
                class: "s-warn".into(),
                points: vec![(t(0), 4.0), (t(60), 9.0)],
            },
        ];
        let html = view! { <LineChart series=series.clone() unit="ms"/> }.to_html();
        assert!(html.contains(r#"class="chart line-chart""#), "{html}");
        assert!(
            html.contains(r#"role="img""#) && html.contains(r#"viewBox="0 0 640 240""#),
            "{html}"
        );
        assert!(html.contains("<title>Line chart: p50, p95 (ms)</title>"), "{html}");
        assert!(html.contains("<desc>p50: 2 points"), "{html}");
        assert!(html.contains(r#"class="chart-line s-info""#), "{html}");
        assert!(html.contains(r#"class="visually-hidden chart-data""#), "{html}");
        assert!(html.contains("p95 (ms)</th>"), "{html}");
        assert!(html.contains(r#"class="chart-legend-item s-warn""#), "{html}");

        let html = view! { <BarChart series=series.clone() title="Tokens"/> }.to_html();
        assert!(
            html.contains(r#"class="chart bar-chart""#) && html.contains("<title>Tokens</title>"),
            "{html}"
        );
        assert_eq!(html.matches("<rect").count(), 4, "{html}");

        let none = vec![Series {
            name: "x".into(),
            class: "s-ok".into(),
            points: vec![],
        }];
        let html = view! { <LineChart series=none.clone()/> }.to_html();
        assert!(html.contains("No data yet") && !html.contains("<svg"), "{html}");
        let html = view! { <BarChart series={Vec::<Series>::new()}/> }.to_html();
        assert!(html.contains("No data yet"), "{html}");
    }

    #[test]
    fn series_round_trip_through_json() {
        let s = Series {
            name: "tokens".into(),
            class: "s-accent".into(),
            points: vec![(t(1), 42.0)],
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), s);
    }
}
