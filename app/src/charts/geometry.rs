//! The charts' geometry, pure and unit-tested: round ticks, time ticks, line and bar
//! shapes in a fixed `viewBox`, and the text that describes a chart's data.

use std::{collections::BTreeMap, fmt::Write as _};

use chrono::{DateTime, TimeZone as _, Utc};
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
pub(super) const MARGIN_LEFT: f64 = 56.0;
pub(super) const MARGIN_RIGHT: f64 = 16.0;
pub(super) const MARGIN_TOP: f64 = 18.0;
pub(super) const MARGIN_BOTTOM: f64 = 30.0;
pub(super) const PLOT_W: f64 = CHART_W - MARGIN_LEFT - MARGIN_RIGHT;
pub(super) const PLOT_H: f64 = CHART_H - MARGIN_TOP - MARGIN_BOTTOM;
/// A series with at most this many points gets a marker (with a tooltip) on every point.
pub(super) const MAX_MARKERS: usize = 40;
/// Rows of the hidden data table (the most recent ones).
pub(super) const MAX_TABLE_ROWS: usize = 500;
/// Share of a bar group's band left empty.
pub(super) const GROUP_GAP: f64 = 0.2;
/// Bar charts with at most this many bars print each bar's value.
pub(super) const MAX_VALUE_LABELS: usize = 16;

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
pub(super) fn nice_num(x: f64, round: bool) -> f64 {
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
pub(super) fn decimals_for(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 {
        return 2;
    }
    (-step.log10().floor()).clamp(0.0, 12.0) as usize
}

/// `v` rounded to the decimals of `step` (so `0.1 + 0.2` prints as `0.3`), without `-0`.
pub(super) fn round_to_step(v: f64, step: f64) -> f64 {
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
pub(super) fn num(v: f64) -> String {
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
pub(super) fn scale_point(p: (f64, f64), x: (f64, f64), y: (f64, f64), width: f64, height: f64) -> (f64, f64) {
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
pub(super) const TIME_STEPS_MS: &[i64] = &[
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
    7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];
pub(super) const DAY_MS: i64 = 86_400_000;

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

pub(super) fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub(super) fn all_empty(series: &[Series]) -> bool {
    series.iter().all(|s| s.points.is_empty())
}

/// "p50, p95 (ms)".
pub(super) fn default_title(kind: &str, series: &[Series], unit: &str) -> String {
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
pub(super) fn table_rows(series: &[Series]) -> Vec<(DateTime<Utc>, Vec<f64>)> {
    let mut rows: BTreeMap<DateTime<Utc>, Vec<f64>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        for &(t, v) in &s.points {
            rows.entry(t).or_insert_with(|| vec![f64::NAN; series.len()])[i] = v;
        }
    }
    rows.into_iter().collect()
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
