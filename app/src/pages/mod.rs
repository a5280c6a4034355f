//! One module per route, plus the pieces pages share, and the lazy routes that split the
//! browser bundle by page group.

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

/// Every page is a lazy route, in one of five groups. In the browser each group's code is
/// a wasm file of its own (with a few files of code groups share), fetched the first time
/// one of its pages is shown: `scripts/build` splits the bundle at the group functions
/// below (`wasm-split-cli`), so a first visit downloads the shell (router, navigation, live
/// feed) and one group, not all thirteen pages. On the server, and in the HTML it sends,
/// nothing changes: the page is rendered with its data as before, its group's files are
/// preloaded from its `<head>`, and it is hydrated once they have arrived.
///
/// Why groups rather than a file per page: the splitter puts the code used by more than one
/// split point into a chunk per combination of users. With a split point per page that was
/// 245 chunks, 110 of them for the overview alone, each compressed on its own: 399 kB for the
/// overview's first load. With these five groups it is 22 chunks, and the overview's first
/// load is 347 kB in 12 wasm files (sign-in: 269 kB), against 670 kB unsplit (measured
/// 2026-12-02, brotli, shell included). Groups keep pages that share most of their code (the
/// builds list and a build, the workflow pages and the events) in one file.
#[derive(Clone, Copy)]
pub(crate) enum Page {
    Overview,
    Builds,
    BuildDetail,
    Workflows,
    WorkflowDetail,
    Events,
    Agents,
    Metrics,
    Account,
    Admin,
    SignIn,
    Setup,
    SignUp,
}

/// The overview, on its own: the page most visits start on.
#[leptos::lazy]
fn home_pages(_page: Page) -> AnyView {
    overview::Overview().into_any()
}

/// The builds list and one build.
#[leptos::lazy]
fn build_pages(page: Page) -> AnyView {
    match page {
        Page::BuildDetail => builds::BuildDetail().into_any(),
        _ => builds::Builds().into_any(),
    }
}

/// The workflows, one workflow and the event log.
#[leptos::lazy]
fn run_pages(page: Page) -> AnyView {
    match page {
        Page::WorkflowDetail => workflows::WorkflowDetail().into_any(),
        Page::Events => events::Events().into_any(),
        _ => workflows::Workflows().into_any(),
    }
}

/// The account and the admins' pages: agents, metrics, people.
#[leptos::lazy]
fn admin_pages(page: Page) -> AnyView {
    match page {
        Page::Agents => agents::Agents().into_any(),
        Page::Metrics => metrics::Metrics().into_any(),
        Page::Admin => admin::Admin().into_any(),
        _ => account::Account().into_any(),
    }
}

/// Signing in, setting up and signing up: what a visitor who is not signed in sees.
#[leptos::lazy]
fn auth_pages(page: Page) -> AnyView {
    match page {
        Page::Setup => auth::SetupPage().into_any(),
        Page::SignUp => auth::SignUpPage().into_any(),
        _ => auth::SignInPage().into_any(),
    }
}

macro_rules! lazy_pages {
    ($($route:ident => $group:ident($page:ident) / $preload:ident),+ $(,)?) => {$(
        #[doc = concat!("The lazy route of [`Page::", stringify!($page), "`], in `", stringify!($group), "`.")]
        pub(crate) struct $route;

        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                crate::preload_group(stringify!($group));
                $group(Page::$page).await
            }

            /// Fetches the group's wasm. The router awaits this before it renders or hydrates
            /// the page: hydrating it without its code would not match the server's HTML.
            async fn preload() {
                // `#[lazy]` makes the preloader only in the browser build.
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )+};
}

lazy_pages! {
    OverviewPage => home_pages(Overview) / __preload_home_pages,
    BuildsPage => build_pages(Builds) / __preload_build_pages,
    BuildDetailPage => build_pages(BuildDetail) / __preload_build_pages,
    WorkflowsPage => run_pages(Workflows) / __preload_run_pages,
    WorkflowDetailPage => run_pages(WorkflowDetail) / __preload_run_pages,
    EventsPage => run_pages(Events) / __preload_run_pages,
    AgentsPage => admin_pages(Agents) / __preload_admin_pages,
    MetricsPage => admin_pages(Metrics) / __preload_admin_pages,
    AccountPage => admin_pages(Account) / __preload_admin_pages,
    AdminPage => admin_pages(Admin) / __preload_admin_pages,
    SignInRoute => auth_pages(SignIn) / __preload_auth_pages,
    SetupRoute => auth_pages(Setup) / __preload_auth_pages,
    SignUpRoute => auth_pages(SignUp) / __preload_auth_pages,
}

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
