//! Small SVG charts without a JavaScript chart library.
//!
//! The geometry (module `geometry`) is pure and unit-tested ([`nice_ticks`], [`line_path`], [`scaled_path`],
//! [`bar_geometry`], [`time_ticks`]); [`LineChart`] and [`BarChart`] draw it in a fixed
//! `viewBox` scaled to the container's width, with a legend, an accessible `<title>` and
//! `<desc>`, and a visually hidden table of the data for screen readers.
//!
//! Colours come from CSS: a series' `class` (for instance `s-ok`, `s-info`, `s-warn`,
//! `s-bad`, `s-accent`, `s-accent-2`, `s-muted`; see `style/graph.css`) sets `--series`,
//! which lines, bars and legend swatches use.

use leptos::prelude::*;

pub use geometry::*;

mod geometry;

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
    use chrono::{DateTime, Utc};

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        at_ms(1_700_000_000_000 + s * 1_000)
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
}
