//! Nexus Forge's dashboard: Leptos components rendered on the server and hydrated in the
//! browser, and the server functions they call.
//!
//! # Layout
//! - [`shell`] and [`App`]: the HTML document and the router.
//! - [`api`]: server functions (thin: call the orchestrator, map errors).
//! - [`error`]: [`error::AppError`], the error every server function returns.
//! - [`live`]: the WebSocket feed shared by every page, and live refetching.
//! - [`components`]: badges, progress bars, loading/empty/error states.
//! - [`format`]: durations, sizes, label cuts and JSON previews, one formatter each.
//! - [`graph`]: the task DAG as an SVG graph (layout maths in `graph::layout`);
//!   [`charts`]: SVG line and bar charts (geometry in `charts::geometry`).
//! - `pages`: one module per route (`/`, `/builds`, `/builds/:id`, `/agents`,
//!   `/workflows`, `/workflows/:id`, `/events`, `/metrics`).
//!
//! Pages render with `SsrMode::Async`: the server waits for their data, so the first paint is
//! complete HTML that reads fine without JavaScript; hydration then makes it live.
//!
//! Features: `ssr` (server: renders, runs server functions, pulls in `orchestrator`) and
//! `hydrate` (browser: WebSocket, event handlers). Never both.

#![recursion_limit = "256"]
#![allow(unreachable_pub)] // `#[component]` expands into `pub` items this lint cannot see through.

pub mod api;
pub mod charts;
pub mod components;
pub mod error;
pub mod format;
pub mod graph;
pub mod live;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

use crate::live::{provide_live_feed, use_live_feed};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="dark light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The dashboard: navigation, connection status and the routed page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_live_feed();
    let theme = RwSignal::new("dark");
    let menu = RwSignal::new(false);

    view! {
        <Stylesheet id="leptos" href="/pkg/nexus-forge.css"/>
        <Title formatter=|page: String| format!("{page} · Nexus Forge")/>
        <Router>
            <div class="app" data-theme=move || theme.get()>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="topbar">
                    <a class="brand" href="/">"Nexus Forge"</a>
                    <button
                        class="btn ghost menu-toggle"
                        aria-controls="main-nav"
                        aria-expanded=move || menu.get().to_string()
                        on:click=move |_| menu.update(|m| *m = !*m)
                    >
                        "Menu"
                    </button>
                    <nav aria-label="Main" id="main-nav" class:open=move || menu.get() on:click=move |_| menu.set(false)>
                        <A href="/" exact=true>"Overview"</A>
                        <A href="/builds">"Builds"</A>
                        <A href="/agents">"Agents"</A>
                        <A href="/workflows">"Workflows"</A>
                        <A href="/events">"Events"</A>
                        <A href="/metrics">"Metrics"</A>
                    </nav>
                    <div class="topbar-end">
                        <ConnectionBadge/>
                        <button
                            class="btn ghost"
                            id="theme-toggle"
                            aria-label="Switch between dark and light theme"
                            on:click=move |_| theme.update(|t| *t = if *t == "dark" { "light" } else { "dark" })
                        >
                            {move || if theme.get() == "dark" { "Light theme" } else { "Dark theme" }}
                        </button>
                    </div>
                </header>
                <main class="content" id="main" tabindex="-1">
                    <Routes fallback=pages::NotFound>
                        <Route path=path!("/") view=pages::overview::Overview ssr=SsrMode::Async/>
                        <Route path=path!("/builds") view=pages::builds::Builds ssr=SsrMode::Async/>
                        <Route path=path!("/builds/:id") view=pages::builds::BuildDetail ssr=SsrMode::Async/>
                        <Route path=path!("/agents") view=pages::agents::Agents ssr=SsrMode::Async/>
                        <Route path=path!("/workflows") view=pages::workflows::Workflows ssr=SsrMode::Async/>
                        <Route path=path!("/workflows/:id") view=pages::workflows::WorkflowDetail ssr=SsrMode::Async/>
                        <Route path=path!("/events") view=pages::events::Events ssr=SsrMode::Async/>
                        <Route path=path!("/metrics") view=pages::metrics::Metrics ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// The WebSocket's state as a badge.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let feed = use_live_feed();
    view! {
        <span
            class=move || format!("badge conn conn-{}", feed.state.get().label())
            id="ws-status"
            role="status"
            aria-live="polite"
        >
            {move || feed.state.get().label()}
        </span>
    }
}
