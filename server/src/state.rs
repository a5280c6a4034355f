//! State shared by every handler: one `Arc` of long-lived handles.
//!
//! Axum clones the state for every layer that takes it and for every `State` extractor, on
//! every request: a clone of the fields themselves (Leptos's options alone are a dozen
//! `Arc<str>`, the shutdown token takes a lock) was a tenth of the CPU time of a status
//! request under load, measured with `perf`. Behind one `Arc`, a clone is one increment.

use std::{collections::HashMap, ops::Deref, sync::Arc};

use axum::extract::FromRef;
use domain::ids::UserId;
use leptos::prelude::LeptosOptions;
use orchestrator::Orchestrator;
use tokio_util::sync::CancellationToken;

use crate::guard::SharedGuard;

/// What handlers get through `State`: the [`Shared`] handles, behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state over these handles.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Orchestrator {
    fn from_ref(state: &AppState) -> Self {
        state.orchestrator.clone()
    }
}

impl FromRef<AppState> for SharedGuard {
    fn from_ref(state: &AppState) -> Self {
        state.guard.clone()
    }
}

/// The long-lived handles every handler may use.
pub struct Shared {
    /// Leptos site settings (for SSR and static files).
    pub leptos_options: LeptosOptions,
    /// The orchestrator.
    pub orchestrator: Orchestrator,
    /// Cancelled when the process is shutting down; long-lived handlers (WebSockets) end.
    pub shutdown: CancellationToken,
    /// The request policy (hosts, origins, rates).
    pub guard: SharedGuard,
    /// Open `/ws` connections per person, and the most one may hold.
    pub sockets: Arc<Sockets>,
    /// Pages just rendered, reused for a tenth of a second (`crate::page_cache`).
    pub pages: Arc<crate::page_cache::PageCache>,
}

/// Open `/ws` connections per person.
#[derive(Debug, Default)]
pub struct Sockets {
    /// The most one person may hold.
    pub per_person: usize,
    open: std::sync::Mutex<HashMap<UserId, usize>>,
}

/// One counted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct SocketSlot {
    sockets: Arc<Sockets>,
    person: UserId,
}

impl Sockets {
    /// Sockets with a per-person cap.
    pub fn new(per_person: usize) -> Self {
        Self {
            per_person,
            open: Default::default(),
        }
    }

    /// A slot for `person`, unless they already hold as many as allowed.
    pub fn take(self: &Arc<Self>, person: UserId) -> Option<SocketSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(person).or_default();
        if *n >= self.per_person {
            return None;
        }
        *n += 1;
        crate::metrics::ws_opened(1.0);
        Some(SocketSlot {
            sockets: self.clone(),
            person,
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        crate::metrics::ws_opened(-1.0);
        let mut open = self.sockets.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.person) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.person);
            }
        }
    }
}
