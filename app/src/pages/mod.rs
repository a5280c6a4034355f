//! One module per route, plus the pieces pages share.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod agents;
pub(crate) mod auth;
pub(crate) mod builds;
pub(crate) mod events;
pub(crate) mod metrics;
pub(crate) mod overview;
pub(crate) mod workflows;

use leptos::prelude::*;
use leptos_meta::Title;

/// The 404 page (with a 404 status when rendered on the server).
#[component]
pub(crate) fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found"/>
        <section class="panel empty">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Back to the overview"</a></p>
        </section>
    }
}
