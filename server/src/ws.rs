//! `/ws`: the live feed. The protocol is in `domain::ws` and the README.
//!
//! Only a signed-in caller (session cookie or bearer token) may connect, from an allowed
//! origin (`crate::guard`); it gets only the events it may see (its own; an admin, all),
//! replay included. One task per socket runs a `select!` over the client's messages, the
//! process's event bus, a keep-alive timer and shutdown. Replay-then-live: the bus receiver
//! is created before the replay reads the table up to the bus's watermark `W`, and live
//! events at or below `W` are dropped, so every event is sent once and in id order. A
//! socket that cannot keep up lags on its own receiver and is told to resync; the bus never
//! waits for it. A live event is serialised once, whatever the number of sockets: each sends
//! the bus's shared frame (`orchestrator::bus::Published::ws_frame`). Events already waiting
//! for a socket go out together, up to [`MAX_BATCH`] frames per write.
//!
//! Bounds: [`MAX_MESSAGE_BYTES`] per client message; [`MAX_TOPICS`] per subscribe; a
//! person holds at most `--ws-per-person` sockets (more are closed with 1008); a client
//! sending faster than [`CLIENT_RATE`] messages a second is closed with 1008; a send that
//! does not complete within [`SEND_TIMEOUT`] drops the client.

use std::{collections::HashSet, num::NonZeroU32, time::Duration};

use axum::{
    extract::{
        ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
        State,
    },
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use domain::{
    ids::EventId,
    ws::{ClientMessage, ServerMessage, Topic},
};
use futures::SinkExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use orchestrator::{visible_to, Actor};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::{
    error::ApiError,
    metrics,
    state::{AppState, SocketSlot},
};

/// Keep-alive ping interval.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Most events replayed after a reconnect; beyond that the client is told to resync.
const MAX_REPLAY: i64 = 5_000;
/// Events read per replay query.
const REPLAY_PAGE: i64 = 500;
/// Largest message (and frame) a client may send.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Most topics one subscribe may name.
pub const MAX_TOPICS: usize = 64;
/// Messages a client may send per second (with a burst of twice that).
pub const CLIENT_RATE: u32 = 20;
/// Longest one send may take before the client is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Most event frames written to one socket in one go (one or two system calls).
const MAX_BATCH: usize = 32;
/// Bytes gathered before a write: a single event is written at once (every send flushes),
/// a batch in pieces of this size.
const WRITE_BUFFER: usize = 8 * 1024;

/// `/ws`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(State(state): State<AppState>, actor: Option<Extension<Actor>>, ws: WebSocketUpgrade) -> Response {
    let Some(Extension(actor)) = actor else {
        return ApiError::Unauthorized("sign in, or send an API token (Authorization: Bearer …), to open /ws".into())
            .into_response();
    };
    let slot = state.sockets.take(actor.id());
    // tungstenite's defaults reserve 128 KiB per socket to read and let writes gather 128 KiB
    // more; our messages are small and a lone event is flushed at once, so a few KiB each way
    // is what a connection needs (the buffers still grow for a large message, up to the limit).
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(4 * MAX_MESSAGE_BYTES)
        .on_upgrade(move |mut socket| async move {
            match slot {
                Some(slot) => serve(socket, state, actor, slot).await,
                None => {
                    let reason = format!("at most {} open connections per person", state.sockets.per_person);
                    close(&mut socket, close_code::POLICY, reason).await;
                }
            }
        })
}

async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(reason),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    // Read on until the client answers the close (briefly): a socket closed with unread input
    // ends in a TCP reset, which can destroy the close frame before the client reads it.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Sends a frame now: queued, then written out with whatever was queued before it.
async fn send_frame(socket: &mut WebSocket, frame: Utf8Bytes) -> bool {
    feed_frame(socket, frame).await && flush(socket).await
}

/// Queues a frame in the socket's write buffer (written out once the buffer holds
/// [`WRITE_BUFFER`], or at the next [`flush`]).
async fn feed_frame(socket: &mut WebSocket, frame: Utf8Bytes) -> bool {
    let fed = matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.feed(Message::Text(frame))).await,
        Ok(Ok(()))
    );
    if fed {
        metrics::ws_message("sent");
    }
    fed
}

/// Writes out whatever [`feed_frame`] queued.
async fn flush(socket: &mut WebSocket) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.flush()).await, Ok(Ok(())))
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => send_frame(socket, Utf8Bytes::from(text)).await,
        Err(_) => false,
    }
}

/// Why a subscribe is refused, if it is.
fn refuse_subscribe(topics: &[Topic], last_event_id: Option<EventId>) -> Option<String> {
    if topics.len() > MAX_TOPICS {
        return Some(format!(
            "at most {MAX_TOPICS} topics per subscribe, not {}",
            topics.len()
        ));
    }
    match last_event_id {
        Some(id) if id.0 < 0 => Some(format!("last_event_id must be an event id (0 or more), not {}", id.0)),
        _ => None,
    }
}

async fn serve(mut socket: WebSocket, state: AppState, actor: Actor, _slot: SocketSlot) {
    let burst = NonZeroU32::new(CLIENT_RATE * 2).unwrap_or(NonZeroU32::MIN);
    let rate = NonZeroU32::new(CLIENT_RATE).unwrap_or(NonZeroU32::MIN);
    let flood: DefaultDirectRateLimiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
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
                close(&mut socket, close_code::AWAY, "the server is shutting down".into()).await;
                return;
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => {
                        metrics::ws_message("received");
                        t
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                if flood.check().is_err() {
                    close(&mut socket, close_code::POLICY, format!("too many messages: at most {CLIENT_RATE} a second")).await;
                    return;
                }
                match serde_json::from_str::<ClientMessage>(text.as_str()) {
                    Ok(ClientMessage::Ping) => {
                        if !send(&mut socket, &ServerMessage::Pong).await { return; }
                    }
                    Ok(ClientMessage::Subscribe { topics: wanted, last_event_id }) => {
                        if let Some(message) = refuse_subscribe(&wanted, last_event_id) {
                            if !send(&mut socket, &ServerMessage::Error { message }).await { return; }
                            continue;
                        }
                        let wanted: HashSet<Topic> = wanted.into_iter().collect();
                        let watermark = bus.watermark();
                        let mut replayed = 0;
                        if let Some(since) = last_event_id.filter(|s| *s < watermark) {
                            match replay(&mut socket, &state, &actor, &wanted, since, watermark).await {
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
                // This event and whatever else is already waiting, up to MAX_BATCH frames,
                // go out in as few writes as the buffer allows: a client that fell behind
                // catches up in a few system calls instead of one per event.
                let mut next = event;
                let mut fed = 0;
                let mut looked = 0;
                loop {
                    match next {
                        Ok(event) => {
                            let Some(wanted) = &topics else { break };
                            if event.id > floor && visible_to(&event, &actor) && wanted.iter().any(|t| t.matches(&event)) {
                                // The frame is made once per event and shared by every socket.
                                if let Some(frame) = event.ws_frame().and_then(|b| Utf8Bytes::try_from(b).ok()) {
                                    if !feed_frame(&mut socket, frame).await { return; }
                                    fed += 1;
                                }
                            }
                        }
                        Err(RecvError::Lagged(n)) => {
                            tracing::debug!(missed = n, "websocket client lagged");
                            let msg = ServerMessage::Resync { reason: format!("the connection fell {n} events behind") };
                            if !send(&mut socket, &msg).await { return; }
                            fed = 0;
                        }
                        Err(RecvError::Closed) => return,
                    }
                    looked += 1;
                    if fed >= MAX_BATCH || looked >= 4 * MAX_BATCH {
                        break;
                    }
                    next = match rx.try_recv() {
                        Ok(event) => Ok(event),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                        Err(TryRecvError::Closed) => Err(RecvError::Closed),
                    };
                }
                if fed > 0 && !flush(&mut socket).await { return; }
            }
            _ = ping.tick() => {
                let sent = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default()))).await;
                if !matches!(sent, Ok(Ok(()))) { return; }
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
    actor: &Actor,
    topics: &HashSet<Topic>,
    since: EventId,
    until: EventId,
) -> Replay {
    if until.0.saturating_sub(since.0) > MAX_REPLAY {
        return Replay::TooMany;
    }
    let mut cursor = since;
    let mut sent = 0;
    loop {
        let page = match state
            .orchestrator
            .replay_events(cursor, until, REPLAY_PAGE, actor)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error.message = %e, "websocket replay failed");
                return Replay::TooMany;
            }
        };
        // Rows of kinds this version does not know are not sent but still move the cursor.
        let Some(last) = page.last_id else {
            return Replay::Sent(sent);
        };
        for event in page.events {
            if topics.iter().any(|t| t.matches(&event)) {
                if !send(socket, &ServerMessage::Event { event }).await {
                    return Replay::Closed;
                }
                sent += 1;
            }
        }
        cursor = last;
    }
}
