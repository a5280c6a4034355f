//! `/performance` (the Metrics page): throughput, task latency percentiles, queue wait and depth, tokens, as SVG
//! charts over a chosen window.

use chrono::{DateTime, Utc};
use domain::api::MetricPoint;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::metrics,
    charts::{BarChart, LineChart, Series},
    components::{ErrorNote, Loading},
    live::use_live_version,
};

fn series(name: &str, class: &str, points: &[MetricPoint], value: impl Fn(&MetricPoint) -> Option<f64>) -> Series {
    Series {
        name: name.into(),
        class: class.into(),
        points: points
            .iter()
            .filter_map(|p| value(p).map(|v| (p.at, v)))
            .collect::<Vec<(DateTime<Utc>, f64)>>(),
    }
}

/// `/performance`.
#[component]
pub(crate) fn Metrics() -> impl IntoView {
    let minutes = RwSignal::new(60i64);
    let version = use_live_version(|e| e.kind.as_str() == "task.succeeded" || e.kind.as_str() == "workflow.finished");
    let data = Resource::new(move || (minutes.get(), version.get()), |(m, _)| metrics(m));
    view! {
        <Title text="Metrics"/>
        <div class="page-head">
            <h1>"Metrics"</h1>
            <div class="field inline">
                <label for="window">"Window"</label>
                <select id="window" on:change=move |ev| minutes.set(event_target_value(&ev).parse().unwrap_or(60))>
                    <option value="15">"15 minutes"</option>
                    <option value="60" selected>"1 hour"</option>
                    <option value="360">"6 hours"</option>
                    <option value="1440">"24 hours"</option>
                </select>
            </div>
        </div>
        <Transition fallback=|| view! { <Loading what="metrics"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(m) => {
                        let per_sec = m.bucket_secs.max(1) as f64;
                        let throughput = vec![series("tasks/s", "s-ok", &m.task_duration, |p| Some(p.count as f64 / per_sec))];
                        let latency = vec![
                            series("p50", "s-info", &m.task_duration, |p| p.p50),
                            series("p95", "s-warn", &m.task_duration, |p| p.p95),
                        ];
                        let wait = vec![
                            series("p50", "s-info", &m.queue_wait, |p| p.p50),
                            series("p95", "s-warn", &m.queue_wait, |p| p.p95),
                        ];
                        let depth = vec![series("ready tasks", "s-accent", &m.queue_depth, |p| p.max)];
                        let tokens = vec![series("tokens", "s-accent", &m.tokens, |p| Some(p.sum))];
                        view! {
                            <div class="chart-grid">
                                <section class="panel"><h2>"Throughput (tasks per second)"</h2><LineChart series=Signal::derive(move || throughput.clone()) unit="tasks/s"/></section>
                                <section class="panel"><h2>"Task duration (ms)"</h2><LineChart series=Signal::derive(move || latency.clone()) unit="ms"/></section>
                                <section class="panel"><h2>"Queue wait (ms)"</h2><LineChart series=Signal::derive(move || wait.clone()) unit="ms"/></section>
                                <section class="panel"><h2>"Queue depth"</h2><LineChart series=Signal::derive(move || depth.clone()) unit="tasks"/></section>
                                <section class="panel"><h2>"Tokens used"</h2><BarChart series=Signal::derive(move || tokens.clone()) unit="tokens"/></section>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
