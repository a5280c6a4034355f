//! Small pieces every page uses: status badges, progress bars, times, loading, empty and
//! error states.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::error::AppError;

/// A status word as a coloured badge (`status-<word>` in the stylesheet).
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class=format!("badge status-{status}") data-status=status.clone()>{status.replace('_', " ")}</span> }
}

/// A progress bar with its percentage as text.
#[component]
pub fn ProgressBar(#[prop(into)] value: Signal<f32>, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <div class="progress">
            <div
                class="progress-track"
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || format!("{:.0}", value.get())
            >
                <div class="progress-fill" style=move || format!("width: {:.1}%", value.get().clamp(0.0, 100.0))></div>
            </div>
            <span class="progress-text">{move || format!("{:.0}%", value.get())}</span>
        </div>
    }
}

/// A timestamp as `HH:MM:SS` with the full time in its `datetime` attribute.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339() title=at.format("%Y-%m-%d %H:%M:%S UTC").to_string()>{at.format("%H:%M:%S").to_string()}</time> }
}

/// What is shown while data loads.
#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="loading" role="status">{format!("Loading {what}…")}</p> }
}

/// What is shown when there is nothing.
#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! { <div class="empty">{children()}</div> }
}

/// An error in place of content.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="error-note" role="alert">{error.to_string()}</p> }
}

/// A metric card.
#[component]
pub fn Metric(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    #[prop(optional, into)] id: String,
) -> impl IntoView {
    view! {
        <div class="metric" id=id>
            <span class="metric-value">{move || value.get()}</span>
            <span class="metric-label">{label}</span>
        </div>
    }
}

/// A shortened id for display.
pub fn short_id(id: impl ToString) -> String {
    id.to_string().chars().take(8).collect()
}
