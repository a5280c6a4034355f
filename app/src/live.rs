//! The live connection: one WebSocket per page to `/ws`, shared through context.
//!
//! [`LiveFeed`] holds the connection state, the most recent events and the id of the last
//! one seen. In the browser, [`provide_live_feed`] connects, subscribes to everything,
//! reconnects with exponential backoff (1 s doubling to 30 s) and on reconnect sends the last
//! id it saw, so the server replays the gap: no event is lost or shown twice. A `resync`
//! message bumps [`LiveFeed::resyncs`], which pages use to refetch their data. On the server
//! the feed stays `Connecting` and empty.
//!
//! Pages stay live with two helpers: [`use_live_version`] (a counter that moves, throttled,
//! when a relevant event arrives; put it in a resource's source) and [`live_value`] (a value
//! rendered on the server that is refetched in place, so components update rather than
//! being rebuilt).

use std::collections::VecDeque;

use domain::{event::CoordinationEvent, ids::EventId};
use leptos::prelude::*;

/// Most events kept for the activity feed.
pub const KEEP_EVENTS: usize = 200;

/// Where the WebSocket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Opening the first connection (and always, during server rendering).
    Connecting,
    /// Subscribed and receiving.
    Live,
    /// Lost; the next attempt is scheduled.
    Reconnecting {
        /// How many attempts have failed in a row.
        attempt: u32,
    },
}

impl ConnState {
    /// A short word for the status badge.
    pub fn label(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Live => "live",
            ConnState::Reconnecting { .. } => "reconnecting",
        }
    }
}

/// The page's live state, provided as context by [`provide_live_feed`].
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// Connection state.
    pub state: RwSignal<ConnState>,
    /// Most recent events, oldest first, at most [`KEEP_EVENTS`].
    pub events: RwSignal<VecDeque<CoordinationEvent>>,
    /// The last event id received.
    pub last_id: RwSignal<Option<EventId>>,
    /// Bumped when the server says the client missed events: refetch.
    pub resyncs: RwSignal<u64>,
}

impl LiveFeed {
    /// Appends `event` unless it is not newer than the last one seen (a replay overlap).
    pub fn push(&self, event: CoordinationEvent) {
        if self.last_id.get_untracked().is_some_and(|last| event.id <= last) {
            return;
        }
        self.last_id.set(Some(event.id));
        self.events.update(|q| {
            q.push_back(event);
            while q.len() > KEEP_EVENTS {
                q.pop_front();
            }
        });
    }
}

/// The feed from context.
pub fn use_live_feed() -> LiveFeed {
    expect_context::<LiveFeed>()
}

/// Creates the feed, provides it as context and, in the browser, connects when `connect`
/// (a signed-out page has nothing to follow: `/ws` would refuse it).
pub fn provide_live_feed(connect: bool) -> LiveFeed {
    let feed = LiveFeed {
        state: RwSignal::new(ConnState::Connecting),
        events: RwSignal::new(VecDeque::new()),
        last_id: RwSignal::new(None),
        resyncs: RwSignal::new(0),
    };
    provide_context(feed);
    #[cfg(feature = "hydrate")]
    if connect {
        Effect::new(move |_| browser::connect(feed, 0));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = connect;
    feed
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use domain::ws::{ClientMessage, ServerMessage, Topic};
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{MessageEvent, WebSocket};

    use super::{ConnState, LiveFeed};

    fn url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}/ws", location.host().ok()?))
    }

    fn send(ws: &WebSocket, msg: &ClientMessage) {
        if let Ok(text) = serde_json::to_string(msg) {
            let _ = ws.send_with_str(&text);
        }
    }

    /// The open connection and its handlers; replaced (and so dropped) on reconnect.
    struct Conn {
        ws: WebSocket,
        _on_open: Closure<dyn FnMut()>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut()>,
    }

    thread_local! {
        static CONN: std::cell::RefCell<Option<Conn>> = const { std::cell::RefCell::new(None) };
    }

    /// Opens a connection; on close, schedules the next attempt with backoff.
    pub(super) fn connect(feed: LiveFeed, attempt: u32) {
        // The previous connection is closed by now (this runs from a timer after its
        // `onclose`); detach and drop its handlers.
        if let Some(old) = CONN.with(|c| c.borrow_mut().take()) {
            old.ws.set_onopen(None);
            old.ws.set_onmessage(None);
            old.ws.set_onclose(None);
        }
        let Some(url) = url() else { return };
        let Ok(ws) = WebSocket::new(&url) else {
            retry(feed, attempt + 1);
            return;
        };

        let on_open = {
            let ws = ws.clone();
            Closure::<dyn FnMut()>::new(move || {
                send(
                    &ws,
                    &ClientMessage::Subscribe {
                        topics: vec![Topic::All],
                        last_event_id: feed.last_id.get_untracked(),
                    },
                );
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));

        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            let Ok(msg) = serde_json::from_str::<ServerMessage>(&text) else {
                return;
            };
            match msg {
                ServerMessage::Subscribed { .. } => feed.state.set(ConnState::Live),
                ServerMessage::Event { event } => feed.push(event),
                ServerMessage::Resync { .. } => {
                    feed.last_id.set(None);
                    feed.resyncs.update(|n| *n += 1);
                }
                ServerMessage::Hello { .. } | ServerMessage::Pong | ServerMessage::Error { .. } => {}
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        // `onclose` follows every failed or lost connection, so it alone schedules retries.
        let on_close = Closure::<dyn FnMut()>::new(move || {
            let next = if feed.state.get_untracked() == ConnState::Live {
                1
            } else {
                attempt + 1
            };
            retry(feed, next);
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        CONN.with(|c| {
            *c.borrow_mut() = Some(Conn {
                ws,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            });
        });
    }

    fn retry(feed: LiveFeed, attempt: u32) {
        feed.state.set(ConnState::Reconnecting { attempt });
        let delay = Duration::from_millis((1000u64 << attempt.saturating_sub(1).min(5)).min(30_000));
        set_timeout(move || connect(feed, attempt), delay);
    }
}

/// A number that goes up when an event matching `relevant` arrives, at most every 400 ms
/// (trailing edge, so the last event of a burst is never missed), and on every resync.
/// Pages put it in their resources' sources to refetch live.
pub fn use_live_version(relevant: impl Fn(&CoordinationEvent) -> bool + Send + Sync + 'static) -> Signal<u64> {
    let feed = use_live_feed();
    let latest = Memo::new(move |_| feed.events.with(|q| q.iter().rev().find(|e| relevant(e)).map(|e| e.id)));
    let version = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        let pending = StoredValue::new(false);
        Effect::new(move |prev: Option<Option<EventId>>| {
            let now = latest.get();
            if prev.is_some() && now != prev.flatten() && !pending.get_value() {
                pending.set_value(true);
                set_timeout(
                    // The page may be gone by now (another build opened): then nothing.
                    move || {
                        pending.try_set_value(false);
                        version.try_update(|v| *v += 1);
                    },
                    std::time::Duration::from_millis(400),
                );
            }
            now
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = latest;
    Signal::derive(move || version.get() + feed.resyncs.get())
}

/// Keeps a value that was rendered on the server fresh in the browser: once on mount and
/// each time `version` moves, `fetch` runs again and the newest answer replaces the value (an answer that
/// arrives after a newer one is dropped). Components read the returned signal, so they
/// update in place instead of being rebuilt (selections, open files and iframes survive).
pub fn live_value<T, Fut>(
    initial: T,
    version: Signal<u64>,
    fetch: impl Fn() -> Fut + Send + Sync + 'static,
) -> RwSignal<T>
where
    T: Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>> + 'static,
{
    let value = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    {
        let asked = StoredValue::new(0u64);
        let fetch = std::sync::Arc::new(fetch);
        // Also once on mount: events that arrived between the value's fetch (on the server,
        // or before a client-side navigation) and this page's first look at the feed would
        // otherwise never be seen, and a build that finished in that gap would stay
        // "running" on the page.
        Effect::new(move |_| {
            version.track();
            let n = asked.get_value() + 1;
            asked.set_value(n);
            let fetch = fetch.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = fetch().await {
                    // The page may have moved on (another build) while this was asked:
                    // then the value is gone and the answer is dropped.
                    if asked.try_get_value() == Some(n) {
                        value.try_set(fresh);
                    }
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (version, fetch);
    value
}
