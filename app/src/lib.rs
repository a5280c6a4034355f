//! Nexus Forge's dashboard: Leptos components rendered on the server and hydrated in the
//! browser, and the server functions they call.
//!
//! # Layout
//! - [`shell`] and [`App`]: the HTML document and the router; [`BundleLinks`], where the
//!   server says the bundle is (a folder named by its hash) and which files each group of
//!   pages preloads.
//! - [`api`]: server functions (thin: call the orchestrator, map errors).
//! - [`error`]: [`error::AppError`], the error every server function returns.
//! - [`live`]: the WebSocket feed shared by every page, and live refetching.
//! - [`session`]: who is signed in (one resource per page), admin-only parts, sign-out.
//! - [`components`]: badges, progress bars, loading/empty/error states.
//! - `forms`: forms and buttons that lose nothing typed or clicked before the page is live
//!   (the `held` directive on every form, buttons disabled until then).
//! - [`format`]: durations, sizes, label cuts and JSON previews, one formatter each.
//! - [`graph`]: the task DAG as an SVG graph (layout maths in `graph::layout`);
//!   [`charts`]: SVG line and bar charts (geometry in `charts::geometry`).
//! - `pages`: one module per route (`/`, `/builds`, `/builds/:id`, `/agents`,
//!   `/workflows`, `/workflows/:id`, `/events`, `/performance` (the Metrics page: `/metrics`
//!   is Prometheus's), `/account`, `/admin`, and the signed-out pages `/sign-in`, `/setup`,
//!   `/sign-up`).
//!
//! Every page but the signed-out ones is for a signed-in person (the server sends anyone
//! else to `/sign-in`); the live feed connects only for them. Pages carry a
//! Content-Security-Policy with the response's nonce (Leptos puts it on its inline
//! scripts), `frame-ancestors 'none'` included.
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
mod forms;
pub mod graph;
pub mod live;
mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, Lazy, SsrMode,
};

use crate::{
    live::{provide_live_feed, use_live_feed},
    session::{provide_person, AdminOnly, SignOut},
};

/// Paths a signed-out visitor may see; the dashboard's chrome and live feed stay off there.
pub const SIGNED_OUT_PAGES: &[&str] = &["/sign-in", "/setup", "/sign-up"];

/// Sets the page's Content-Security-Policy with this response's nonce.
fn set_csp() {
    #[cfg(feature = "ssr")]
    {
        use leptos::nonce::use_nonce;
        if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
            let csp = format!(
                "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
                 style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
            );
            if let Ok(v) = http::HeaderValue::from_str(&csp) {
                response.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
            }
        }
    }
}

/// The path of the page being rendered (the request's on the server, the location's in the
/// browser), read once.
fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|p| p.uri.path().to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            window().location().pathname().unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        String::new()
    }
}

/// How the pages link the browser bundle; the server provides it as a context. Without it
/// (a server started without a built site) the plain `/pkg/<file>` addresses are linked and
/// nothing is preloaded.
#[derive(Clone, Debug, Default)]
pub struct BundleLinks {
    /// What goes before `/pkg/<file>`: a folder that names the build (`/pkg/<hash>`), so
    /// that its files can be cached for good.
    pub root: String,
    /// The wasm files (names without `.wasm`) each group of lazy pages needs, by the
    /// group's split name (`home_pages_<number>`): `pkg/preloads.json`, which
    /// `scripts/build` writes.
    pub splits: std::sync::Arc<std::collections::HashMap<String, Vec<String>>>,
}

/// The split's loader, by the name Leptos links it with.
#[cfg(feature = "ssr")]
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// Puts `<link rel=preload>` for the wasm files of a group of lazy pages, and for the
/// loader that runs them, in the page's `<head>`: they download beside the shell instead of
/// after it. Called while the page renders on the server (pages render whole before they are
/// sent, so the links reach the head).
///
/// Leptos does this itself from `__wasm_split_manifest.json`, but it looks the manifest up
/// outside the render's owner (`leptos_integration_utils`, 0.8), so whether the links were
/// there depended on which owner the thread last ran: they were missing from most pages.
#[cfg(feature = "ssr")]
pub(crate) fn preload_group(group: &str) {
    use leptos_meta::Link;

    let Some(links) = use_context::<BundleLinks>() else {
        return;
    };
    let Some(files) = links.splits.iter().find_map(|(split, files)| {
        let number = split.strip_prefix(group)?.strip_prefix('_')?;
        number.bytes().all(|b| b.is_ascii_digit()).then_some(files)
    }) else {
        return;
    };
    let root = &links.root;
    for file in files {
        // `crossorigin` as the loader's `fetch` asks (CORS, same-origin credentials), or the
        // browser would not use the preloaded copy.
        let _ = view! {
            <Link
                rel="preload"
                href=format!("{root}/pkg/{file}.wasm")
                as_="fetch"
                type_="application/wasm"
                crossorigin="anonymous"
            />
        }
        .to_html();
    }
    let _ = view! { <Link rel="modulepreload" href=format!("{root}/pkg/{SPLIT_LOADER}")/> }.to_html();
}

/// The stylesheet's address, under the [`BundleLinks`] root. Only the server's is used: in
/// the browser the `<link>` is hydrated, which keeps the attributes the server wrote, so
/// there it is the plain address, written without `format!`: formatting code in the shell's
/// wasm cost 27 kB of it (brotli, measured 2026-12-02).
fn stylesheet_href() -> String {
    #[cfg(feature = "ssr")]
    let href = format!(
        "{}/pkg/nexus-forge.css",
        use_context::<BundleLinks>().unwrap_or_default().root
    );
    #[cfg(not(feature = "ssr"))]
    let href = "/pkg/nexus-forge.css".to_owned();
    href
}

/// The HTML document around the app, rendered on the server. It links the scripts from
/// the [`BundleLinks`] root.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let root = use_context::<BundleLinks>().unwrap_or_default().root;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="dark light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options root/>
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
    set_csp();
    let signed_out_page = SIGNED_OUT_PAGES.contains(&current_path().as_str());
    provide_person();
    provide_live_feed(!signed_out_page);
    let theme = RwSignal::new("dark");
    let menu = RwSignal::new(false);

    view! {
        <Stylesheet id="leptos" href=stylesheet_href()/>
        <Title formatter=|page: String| format!("{page} · Nexus Forge")/>
        <Router>
            <div class="app" data-theme=move || theme.get()>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="topbar">
                    <a class="brand" href="/">"Nexus Forge"</a>
                    <button
                        hidden=signed_out_page
                        class="btn ghost menu-toggle"
                        aria-controls="main-nav"
                        aria-expanded=move || menu.get().to_string()
                        on:click=move |_| menu.update(|m| *m = !*m)
                    >
                        "Menu"
                    </button>
                    <nav aria-label="Main" id="main-nav" class:open=move || menu.get() on:click=move |_| menu.set(false) hidden=signed_out_page>
                        <A href="/" exact=true>"Overview"</A>
                        <A href="/builds">"Builds"</A>
                        <A href="/workflows">"Workflows"</A>
                        <A href="/events">"Events"</A>
                        <AdminOnly>
                            <A href="/agents">"Agents"</A>
                            <A href="/performance">"Metrics"</A>
                            <A href="/admin">"Admin"</A>
                        </AdminOnly>
                        <A href="/account">"Account"</A>
                    </nav>
                    <div class="topbar-end">
                        {(!signed_out_page).then(|| view! { <ConnectionBadge/> <SignOut/> })}
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
                        <Route path=path!("/") view={Lazy::<pages::OverviewPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/builds") view={Lazy::<pages::BuildsPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/builds/:id") view={Lazy::<pages::BuildDetailPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/agents") view={Lazy::<pages::AgentsPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/workflows") view={Lazy::<pages::WorkflowsPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/workflows/:id") view={Lazy::<pages::WorkflowDetailPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/events") view={Lazy::<pages::EventsPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/performance") view={Lazy::<pages::MetricsPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account") view={Lazy::<pages::AccountPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin") view={Lazy::<pages::AdminPage>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in") view={Lazy::<pages::SignInRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/setup") view={Lazy::<pages::SetupRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/sign-up") view={Lazy::<pages::SignUpRoute>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <footer class="site-footer">
                    <a href="/api/reference" rel="external">"API reference"</a>
                    " · "
                    <a href="/api/openapi.json" rel="external">"OpenAPI document"</a>
                </footer>
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
