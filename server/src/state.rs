//! State shared by every handler: cheap clones of long-lived handles.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use orchestrator::Orchestrator;
use tokio_util::sync::CancellationToken;

/// What handlers get through `State`.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos site settings (for SSR and static files).
    pub leptos_options: LeptosOptions,
    /// The orchestrator.
    pub orchestrator: Orchestrator,
    /// Cancelled when the process is shutting down; long-lived handlers (WebSockets) end.
    pub shutdown: CancellationToken,
}
