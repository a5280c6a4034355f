//! Start-up and shutdown: connect and migrate, bind (the main listener, and the metrics one
//! when `--metrics-listen` is set), assemble the router, serve until a signal, then stop the
//! background work within the grace period.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use app::{shell, App, BundleLinks};
use axum::{http::StatusCode, serve::ListenerExt, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use orchestrator::{
    db::{self, DbConfig},
    AccountSettings, Orchestrator,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{
    compression::{
        predicate::{DefaultPredicate, NotForContentType},
        CompressionLayer, Predicate,
    },
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    auth,
    bundle::Bundle,
    config::Config,
    guard::{self, Guard},
    metrics, openapi, page_cache, routes, sessions,
    state::{AppState, Shared, Sockets},
    telemetry, ws,
};

/// A server that is connected, migrated and bound, but not serving yet.
pub struct Application {
    listener: TcpListener,
    router: Router,
    orchestrator: Orchestrator,
    shutdown: CancellationToken,
    grace: Duration,
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Connects to Postgres (creating and migrating the database), binds the listener and
    /// builds the router.
    ///
    /// # Errors
    /// One line for a person: Postgres unreachable, address in use, and so on.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = db::connect_and_migrate(&DbConfig {
            url: config.database_url.clone(),
            max_connections: config.db_max_connections,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_millis(config.security.statement_timeout_ms),
        })
        .await?;
        Self::from_pool(config, pool).await
    }

    /// Like [`Application::build`], on a pool that is already connected and migrated.
    ///
    /// # Errors
    /// The address cannot be bound; the Leptos settings are invalid.
    pub async fn from_pool(config: Config, pool: sqlx::PgPool) -> anyhow::Result<Self> {
        let providers = orchestrator::llm::Providers::from_settings(&config.llm()).map_err(anyhow::Error::msg)?;
        tracing::info!(default = providers.default_name(), configured = ?providers.names(), "LLM providers");
        let guard = Arc::new(Guard::new(&config.security).map_err(anyhow::Error::msg)?);
        let orchestrator = Orchestrator::builder(pool)
            .scheduler(config.scheduler())
            .bus_capacity(config.event_buffer as usize)
            .providers(providers)
            .accounts(AccountSettings {
                open_signup: config.security.open_signup,
            })
            .limits(config.limits())
            .retention(config.retention())
            .verify(config.verify())
            .build();

        let mut leptos_options = get_configuration(None)
            .context("reading the Leptos settings")?
            .leptos_options;
        leptos_options.site_root = config.site_root.to_string_lossy().as_ref().into();
        leptos_options.site_addr = config.listen;

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let shutdown = CancellationToken::new();
        let secure_cookies = config.security.secure_cookies
            || config
                .security
                .public_url
                .as_deref()
                .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"));
        let state = AppState::new(Shared {
            leptos_options: leptos_options.clone(),
            orchestrator: orchestrator.clone(),
            shutdown: shutdown.clone(),
            guard,
            sockets: Arc::new(Sockets::new(config.security.ws_per_person as usize)),
            pages: Arc::default(),
        });
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for /metrics"))?,
            ),
            None => None,
        };
        // Install the metrics recorder before anything records (the background work starts next).
        metrics::handle();
        let timeout = Duration::from_secs(config.security.request_timeout_secs);
        let pkg = Path::new(leptos_options.site_root.as_ref()).join("pkg");
        let bundle = Bundle::read(&pkg).with_context(|| format!("cannot read the bundle in {}", pkg.display()))?;
        Ok(Self {
            listener,
            router: router(state, bundle, secure_cookies, timeout),
            orchestrator,
            shutdown,
            grace: Duration::from_secs(config.shutdown_grace_secs),
            metrics_listener,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The address `/metrics` is served on without sign-in, when `--metrics-listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    ///
    /// # Errors
    /// The listener failed.
    pub async fn run_until_stopped(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            orchestrator,
            shutdown,
            grace,
            metrics_listener,
        } = self;
        let mut background = orchestrator.spawn_background(shutdown.clone());
        background.spawn(metrics::upkeep(shutdown.clone()));
        if let Some(l) = metrics_listener {
            let addr = l.local_addr()?;
            tracing::info!("serving /metrics without sign-in on http://{addr}/metrics");
            let open = metrics::open_router(orchestrator.clone());
            let stop = shutdown.clone();
            background.spawn(async move {
                let served = axum::serve(l, open)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error.message = %e, "the /metrics listener failed");
                }
            });
        }
        let addr = listener.local_addr()?;
        tracing::info!("serving on http://{addr}");
        if orchestrator.setup_needed().await.unwrap_or(false) {
            let host = if addr.ip().is_unspecified() {
                format!("127.0.0.1:{}", addr.port())
            } else {
                addr.to_string()
            };
            eprintln!(
                "No account can sign in yet: open http://{host}/setup to create the first admin \
                 (or run `nexus-forge admin create-user --username NAME --password-file FILE --admin`)."
            );
        }

        let stop = shutdown.clone();
        let listener = listener.tap_io(|tcp| {
            // Without this, multi-part responses (SSR streams, files) stall ~40 ms on Nagle.
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                signal.await;
                tracing::info!("shutting down");
                stop.cancel();
            })
            .await;

        shutdown.cancel();
        if tokio::time::timeout(grace, async { while background.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::warn!("background work did not stop within {grace:?}; exiting anyway");
        }
        orchestrator.close().await;
        served.context("the HTTP server failed")
    }
}

/// The whole router: REST, `/ws`, server functions, SSR pages, static files, and the layers
/// every request passes (outermost first): its id, the HTTP metrics, tracing, the guard
/// (host, origin, JSON, NUL, per-address rate, headers), a time limit, the session, who is
/// calling, the per-person rate, the sign-in gate for pages, gzip, and the page cache.
///
/// The browser bundle (`/pkg/*`, [`Bundle`]) is the exception: the same public files for
/// everyone, so it passes none of those layers (they cost more than sending the file: about
/// half the throughput, measured with the load suite).
pub fn router(state: AppState, bundle: Bundle, secure_cookies: bool, timeout: Duration) -> Router {
    let links = BundleLinks {
        root: bundle.url_root(),
        splits: Arc::new(bundle.splits()),
    };
    Router::new()
        .nest_service("/pkg", bundle.router())
        .merge(dynamic(state, links, secure_cookies, timeout))
}

/// Everything but the bundle, with the layers. The pages link the bundle as `links` say.
fn dynamic(state: AppState, links: BundleLinks, secure_cookies: bool, timeout: Duration) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let orchestrator = state.orchestrator.clone();
    let error_links = links.clone();
    Router::new()
        .merge(routes::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .merge(ws::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(orchestrator.clone());
                provide_context(links.clone());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(error_links.clone()),
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), page_cache::pages))
        .layer(compression())
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::gate_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::per_person))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::identify))
        .layer(sessions::layer(state.orchestrator.clone(), secure_cookies))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::check))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(telemetry::request_ids))
        .with_state(state)
}

/// gzip for pages and API answers when the client accepts it (the bundle has its own
/// precompressed copies): over 32 bytes, not images, event streams or a build's zip (already
/// deflated), and never the `/ws` upgrade.
fn compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    let not_upgrade = |status: StatusCode,
                       _: axum::http::Version,
                       _: &axum::http::HeaderMap,
                       _: &axum::http::Extensions| { status != StatusCode::SWITCHING_PROTOCOLS };
    CompressionLayer::new().compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::const_new("application/zip"))
            .and(not_upgrade),
    )
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
