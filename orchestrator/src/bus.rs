//! The in-process event bus and its bridge from Postgres.
//!
//! Every process runs one [`EventBus::run_bridge`]: it `LISTEN`s on `nf_events` (the
//! doorbell the `coordination_events` trigger rings on each insert) and reads the new rows
//! itself, so a lost notification or a dropped connection loses nothing; a slow poll is the
//! fallback. Events go out on a bounded `tokio::sync::broadcast` channel: a subscriber that
//! falls behind gets `Lagged` and must resync from the table; it never slows anyone else.
//!
//! # Order and gaps
//! Event ids come from an identity column, so they are handed out at insert time but become
//! visible at commit time, possibly out of order. The bridge therefore publishes strictly in
//! id order and stops at a gap (an id not visible yet) until it fills or [`GAP_TIMEOUT`]
//! passes (the id belonged to a transaction that rolled back). The result is that each
//! subscriber sees each event once, in id order, and `watermark()` is a point below which
//! the table will not change: replay-then-live (see `server/src/ws.rs`) relies on it. A row
//! of a kind this version does not know (a newer version wrote it) is stepped over, never
//! waited on.
//!
//! # One serialisation per event
//! Subscribers share each event ([`Published`]), and with it the `/ws` frame that sends it:
//! made by the first socket that needs it, then the same bytes for every other socket.

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

use domain::{event::CoordinationEvent, ids::EventId, ws::ServerMessage};
use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::{
    error::Result,
    store::events::{self, EventFilter},
};

/// How long a missing id may hold up the events after it before it is assumed rolled back.
pub const GAP_TIMEOUT: Duration = Duration::from_secs(2);
/// Poll interval when no notification arrives.
const FALLBACK_POLL: Duration = Duration::from_millis(500);
/// Rows read per query.
const BATCH: i64 = 1000;
/// The first wait before reading again after a failed read; it doubles up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between two reads while Postgres is away.
const LAST_RETRY: Duration = Duration::from_secs(5);
/// The Postgres channel the trigger notifies.
pub const CHANNEL: &str = "nf_events";

/// A cheap-to-clone handle on the process's event stream.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    tx: broadcast::Sender<Arc<Published>>,
    watermark: AtomicI64,
}

/// An event as the bus hands it out: one per event, shared by every subscriber.
#[derive(Debug)]
pub struct Published {
    event: CoordinationEvent,
    frame: OnceLock<Option<bytes::Bytes>>,
}

impl Published {
    /// Wraps an event.
    pub fn new(event: CoordinationEvent) -> Self {
        Self {
            event,
            frame: OnceLock::new(),
        }
    }

    /// The `/ws` text frame that sends this event (`ServerMessage::Event` as JSON): made
    /// once, by whichever subscriber asks first, and shared by every other.
    pub fn ws_frame(&self) -> Option<bytes::Bytes> {
        self.frame
            .get_or_init(|| {
                let msg = ServerMessage::Event {
                    event: self.event.clone(),
                };
                serde_json::to_vec(&msg).ok().map(bytes::Bytes::from)
            })
            .clone()
    }
}

impl std::ops::Deref for Published {
    type Target = CoordinationEvent;

    fn deref(&self) -> &CoordinationEvent {
        &self.event
    }
}

impl EventBus {
    /// A bus whose subscribers may fall `capacity` events behind before they lag.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self {
            inner: Arc::new(Inner {
                tx,
                watermark: AtomicI64::new(0),
            }),
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.inner.tx.subscribe()
    }

    /// The id of the last event published; every event at or below it has been published
    /// and no new one will appear below it.
    pub fn watermark(&self) -> EventId {
        EventId(self.inner.watermark.load(Ordering::Acquire))
    }

    fn publish(&self, event: CoordinationEvent) {
        let id = event.id.0;
        // No receivers is fine: nobody is listening yet.
        let _ = self.inner.tx.send(Arc::new(Published::new(event)));
        self.inner.watermark.store(id, Ordering::Release);
    }

    /// Bridges Postgres into this bus until `shutdown` is cancelled. Starts after the newest
    /// event at start-up; reconnects with backoff when Postgres goes away.
    pub async fn run_bridge(self, pool: PgPool, shutdown: CancellationToken) {
        let mut backoff = FIRST_RETRY;
        let mut cursor = loop {
            match events::latest_id(&pool).await {
                Ok(id) => break id.0,
                Err(e) => {
                    tracing::warn!(error.message = %e, "event bridge cannot read the event log; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = next_backoff(backoff);
                }
            }
        };
        self.inner.watermark.store(cursor, Ordering::Release);
        let mut gap: Option<(i64, Instant)> = None;
        let mut listener: Option<PgListener> = None;
        loop {
            if listener.is_none() {
                listener = connect_listener(&pool).await;
            }
            // Read everything available, then wait for the doorbell.
            match self.drain(&pool, &mut cursor, &mut gap).await {
                Ok(()) => backoff = FIRST_RETRY,
                Err(e) => {
                    tracing::warn!(error.message = %e, "event bridge read failed; retrying");
                    listener = None;
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = next_backoff(backoff);
                    continue;
                }
            }
            let wait = if gap.is_some() {
                Duration::from_millis(10)
            } else {
                FALLBACK_POLL
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                r = recv(&mut listener), if listener.is_some() => {
                    if !r { listener = None; }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn drain(&self, pool: &PgPool, cursor: &mut i64, gap: &mut Option<(i64, Instant)>) -> Result<()> {
        loop {
            let filter = EventFilter {
                since: Some(EventId(*cursor)),
                ..Default::default()
            };
            let batch = events::page_by_id(pool, &filter, BATCH).await?;
            let full = batch.len() as i64 == BATCH;
            for (id, event) in batch {
                if id != *cursor + 1 {
                    let expected = *cursor + 1;
                    match gap {
                        Some((at, since)) if *at == expected && since.elapsed() >= GAP_TIMEOUT => {
                            tracing::debug!(from = expected, to = id - 1, "skipping event ids never committed");
                        }
                        Some((at, _)) if *at == expected => return Ok(()),
                        _ => {
                            *gap = Some((expected, Instant::now()));
                            return Ok(());
                        }
                    }
                }
                *gap = None;
                *cursor = id;
                // An event of a kind this version does not know is stepped over, not waited on.
                if let Some(event) = event {
                    self.publish(event);
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}

/// The wait after `backoff`: twice as long, at most [`LAST_RETRY`].
fn next_backoff(backoff: Duration) -> Duration {
    (backoff * 2).min(LAST_RETRY)
}

async fn connect_listener(pool: &PgPool) -> Option<PgListener> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!(error.message = %e, "cannot LISTEN yet; polling");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(e) => {
            tracing::debug!(error.message = %e, "LISTEN failed; polling");
            None
        }
    }
}

/// Waits for one notification; `false` when the connection is gone.
async fn recv(listener: &mut Option<PgListener>) -> bool {
    match listener.as_mut() {
        Some(l) => matches!(l.try_recv().await, Ok(Some(_))),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use sqlx::PgConnection;

    use super::*;

    /// Appends a row and returns its id.
    async fn insert(conn: &mut PgConnection, kind: &str) -> i64 {
        crate::store::events::insert_bare(conn, kind, 1).await.unwrap()[0]
    }

    async fn next(rx: &mut broadcast::Receiver<Arc<Published>>) -> i64 {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event within 10 s")
            .expect("no lag")
            .id
            .0
    }

    /// Nothing arrives for `window`.
    async fn quiet(rx: &mut broadcast::Receiver<Arc<Published>>, window: Duration) {
        if let Ok(e) = tokio::time::timeout(window, rx.recv()).await {
            panic!("published too early: {e:?}");
        }
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_bridge_publishes_committed_events_once_in_id_order_waiting_at_a_gap(pool: PgPool) {
        let mut conn = pool.acquire().await.unwrap();
        let old = insert(&mut conn, "agent.status_changed").await;
        let bus = EventBus::new(4096);
        let mut rx = bus.subscribe();
        let stop = CancellationToken::new();
        let bridge = tokio::spawn(bus.clone().run_bridge(pool.clone(), stop.clone()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while bus.watermark().0 != old {
            assert!(Instant::now() < deadline, "the bridge starts at the newest event");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // An id handed out to a transaction still open holds up a later committed one.
        let mut open = pool.begin().await.unwrap();
        let held = insert(&mut open, "agent.status_changed").await;
        let later = insert(&mut conn, "task.started").await;
        assert!(held < later);
        quiet(&mut rx, Duration::from_millis(500)).await;
        assert_eq!(bus.watermark().0, old, "nothing past the gap is published");
        open.commit().await.unwrap();
        assert_eq!(next(&mut rx).await, held, "the event before the gap was not published");
        assert_eq!(next(&mut rx).await, later);
        assert_eq!(bus.watermark().0, later);

        // An id that never commits is stepped over once the gap has waited long enough.
        let mut lost = pool.begin().await.unwrap();
        let hole = insert(&mut lost, "task.started").await;
        let after_hole = insert(&mut conn, "task.started").await;
        let waited = Instant::now();
        lost.rollback().await.unwrap();
        assert_eq!(
            next(&mut rx).await,
            after_hole,
            "the hole at {hole} was never stepped over"
        );
        assert!(waited.elapsed() >= GAP_TIMEOUT - Duration::from_millis(100));

        // A row of a kind this version does not know moves the watermark and is not sent.
        let unknown = insert(&mut conn, "future.kind").await;
        let known = insert(&mut conn, "task.started").await;
        assert_eq!(
            next(&mut rx).await,
            known,
            "the unknown kind {unknown} was sent or waited on"
        );
        assert_eq!(bus.watermark().0, known);

        // A burst bigger than one read arrives whole and in order.
        let burst = crate::store::events::insert_bare(&mut conn, "task.started", 1500)
            .await
            .unwrap();
        let mut got = Vec::new();
        while got.len() < burst.len() {
            got.push(next(&mut rx).await);
        }
        assert_eq!(got, burst);
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(30), bridge)
            .await
            .expect("the bridge stops when told")
            .unwrap();
    }

    #[test]
    fn while_postgres_is_away_the_bridge_waits_twice_as_long_each_time_up_to_five_seconds() {
        let waits: Vec<u64> = std::iter::successors(Some(FIRST_RETRY), |d| Some(next_backoff(*d)))
            .take(9)
            .map(|d| d.as_millis() as u64)
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn every_subscriber_gets_the_same_frame_made_once(pool: PgPool) {
        let bus = EventBus::new(64);
        let (mut a, mut b) = (bus.subscribe(), bus.subscribe());
        let stop = CancellationToken::new();
        let bridge = tokio::spawn(bus.clone().run_bridge(pool.clone(), stop.clone()));
        // The bridge starts after the newest event: wait until it has read the table.
        let mut conn = pool.acquire().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let seen_by_a = loop {
            let id = insert(&mut conn, "task.started").await;
            if let Ok(Ok(e)) = tokio::time::timeout(Duration::from_millis(300), a.recv()).await {
                if e.id.0 == id {
                    break e;
                }
            }
            assert!(Instant::now() < deadline, "the bridge never published");
        };
        let seen_by_b = loop {
            let e = tokio::time::timeout(Duration::from_secs(10), b.recv())
                .await
                .expect("the other subscriber gets it too")
                .unwrap();
            if e.id == seen_by_a.id {
                break e;
            }
        };
        assert!(Arc::ptr_eq(&seen_by_a, &seen_by_b), "one shared event, not a copy each");
        let frame = seen_by_a.ws_frame().expect("a frame");
        let msg: ServerMessage = serde_json::from_slice(&frame).unwrap();
        assert_eq!(
            msg,
            ServerMessage::Event {
                event: (**seen_by_a).clone()
            }
        );
        // Made once: the other subscriber gets the same bytes.
        assert_eq!(seen_by_b.ws_frame().unwrap().as_ptr(), frame.as_ptr());
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(30), bridge)
            .await
            .expect("the bridge stops when told")
            .unwrap();
    }
}
