//! `/ws`: the live feed. The protocol is in `domain::ws` and the README.
//!
//! One task per socket runs a `select!` over the client's messages, the process's event bus,
//! a keep-alive timer and shutdown. Replay-then-live: the bus receiver is created before the
//! replay reads the table up to the bus's watermark `W`, and live events at or below `W`
//! are dropped, so every event is sent once and in id order. A socket that cannot keep up
//! lags on its own receiver and is told to resync; the bus never waits for it.

use std::{collections::HashSet, time::Duration};

use axum::{
    extract::{
        ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    response::Response,
    routing::get,
    Router,
};
use domain::{
    event::CoordinationEvent,
    ids::{EventId, LOCAL_USER_ID},
    ws::{ClientMessage, ServerMessage, Topic},
};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Keep-alive ping interval.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Most events replayed after a reconnect; beyond that the client is told to resync.
const MAX_REPLAY: i64 = 5_000;
/// Events read per replay query.
const REPLAY_PAGE: i64 = 500;

/// `/ws`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve(socket, state))
}

/// Whether the (future) signed-in person may see `event`. Until accounts exist everything
/// belongs to the local user; system events (agents) have no owner and are for everyone.
fn visible(event: &CoordinationEvent) -> bool {
    event.owner_id.is_none_or(|o| o == LOCAL_USER_ID)
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(Utf8Bytes::from(text))).await.is_ok(),
        Err(_) => false,
    }
}

async fn serve(mut socket: WebSocket, state: AppState) {
    let bus = state.orchestrator.bus().clone();
    let mut rx = bus.subscribe();
    let hello = ServerMessage::Hello {
        version: env!("CARGO_PKG_VERSION").into(),
        latest_event_id: bus.watermark(),
    };
    if !send(&mut socket, &hello).await {
        return;
    }
    // Nothing is sent until the client subscribes.
    let mut topics: Option<HashSet<Topic>> = None;
    // Live events at or below this were covered by the replay.
    let mut floor = EventId(i64::MAX);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;

    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match serde_json::from_str::<ClientMessage>(text.as_str()) {
                    Ok(ClientMessage::Ping) => {
                        if !send(&mut socket, &ServerMessage::Pong).await { return; }
                    }
                    Ok(ClientMessage::Subscribe { topics: wanted, last_event_id }) => {
                        let wanted: HashSet<Topic> = wanted.into_iter().collect();
                        let watermark = bus.watermark();
                        let mut replayed = 0;
                        if let Some(since) = last_event_id.filter(|s| *s < watermark) {
                            match replay(&mut socket, &state, &wanted, since, watermark).await {
                                Replay::Sent(n) => replayed = n,
                                Replay::TooMany => {
                                    let msg = ServerMessage::Resync { reason: "too many events were missed".into() };
                                    if !send(&mut socket, &msg).await { return; }
                                }
                                Replay::Closed => return,
                            }
                        }
                        floor = watermark;
                        let msg = ServerMessage::Subscribed { topics: wanted.iter().copied().collect(), replayed };
                        topics = Some(wanted);
                        if !send(&mut socket, &msg).await { return; }
                    }
                    Err(e) => {
                        let msg = ServerMessage::Error { message: format!("cannot read that message: {e}") };
                        if !send(&mut socket, &msg).await { return; }
                    }
                }
            }
            event = rx.recv() => {
                match event {
                    Ok(event) => {
                        let Some(wanted) = &topics else { continue };
                        if event.id <= floor || !visible(&event) || !wanted.iter().any(|t| t.matches(&event)) {
                            continue;
                        }
                        if !send(&mut socket, &ServerMessage::Event { event: (*event).clone() }).await { return; }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::debug!(missed = n, "websocket client lagged");
                        let msg = ServerMessage::Resync { reason: format!("the connection fell {n} events behind") };
                        if !send(&mut socket, &msg).await { return; }
                    }
                    Err(RecvError::Closed) => return,
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Default::default())).await.is_err() { return; }
            }
        }
    }
}

enum Replay {
    Sent(u64),
    TooMany,
    Closed,
}

/// Sends the stored events in `(since, until]` that match `topics`.
async fn replay(
    socket: &mut WebSocket,
    state: &AppState,
    topics: &HashSet<Topic>,
    since: EventId,
    until: EventId,
) -> Replay {
    if until.0 - since.0 > MAX_REPLAY {
        return Replay::TooMany;
    }
    let mut cursor = since;
    let mut sent = 0;
    loop {
        let page = match state.orchestrator.replay_events(cursor, until, REPLAY_PAGE).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error.message = %e, "websocket replay failed");
                return Replay::TooMany;
            }
        };
        let Some(last) = page.last().map(|e| e.id) else {
            return Replay::Sent(sent);
        };
        for event in page {
            if visible(&event) && topics.iter().any(|t| t.matches(&event)) {
                if !send(socket, &ServerMessage::Event { event }).await {
                    return Replay::Closed;
                }
                sent += 1;
            }
        }
        cursor = last;
    }
}
