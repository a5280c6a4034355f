//! One module per route, plus the pieces pages share.

pub(crate) mod overview;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;

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

/// An error in place of a section's content.
#[component]
pub(crate) fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="error-note" role="alert">{error.to_string()}</p> }
}
