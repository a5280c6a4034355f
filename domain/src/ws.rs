//! The `/ws` protocol, shared by the server and the browser. JSON text frames, each an
//! object with a `type`.
//!
//! 1. The server greets: [`ServerMessage::Hello`] with the newest event id.
//! 2. The client subscribes: [`ClientMessage::Subscribe`] with topics and, after a reconnect,
//!    the last event id it saw.
//! 3. The server replays the events after that id that match the topics (from
//!    `coordination_events`), answers [`ServerMessage::Subscribed`], then sends live
//!    [`ServerMessage::Event`]s, each exactly once and in id order.
//! 4. If the client falls too far behind, the server sends [`ServerMessage::Resync`]: the
//!    client reloads its data and subscribes again with the newest id.
//!
//! Either side may send a ping; the server also pings on its own so idle proxies keep the
//! connection open.

use serde::{Deserialize, Serialize};

use crate::{
    event::CoordinationEvent,
    ids::{BuildId, EventId, WorkflowId},
};

/// What a client may listen to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "topic", content = "id", rename_all = "snake_case")]
pub enum Topic {
    /// Every event the client may see.
    All,
    /// One build's events.
    Build(BuildId),
    /// One workflow's events.
    Workflow(WorkflowId),
    /// Agent registrations and status changes.
    Agents,
}

impl Topic {
    /// Whether `event` belongs to this topic.
    pub fn matches(&self, event: &CoordinationEvent) -> bool {
        match self {
            Topic::All => true,
            Topic::Build(id) => event.build_id == Some(*id),
            Topic::Workflow(id) => event.workflow_id == Some(*id),
            Topic::Agents => event.kind.area() == "agent",
        }
    }
}

/// Client to server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Replace the subscription; replay what came after `last_event_id` first.
    Subscribe {
        /// Topics; an event is sent if any topic matches.
        topics: Vec<Topic>,
        /// The newest event the client has; `None` to start from now.
        #[serde(default)]
        last_event_id: Option<EventId>,
    },
    /// Answered by `pong`.
    Ping,
}

/// Server to client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Sent once on connect.
    Hello {
        /// Server version.
        version: String,
        /// The newest event id stored when the connection opened.
        latest_event_id: EventId,
    },
    /// The subscription is in place; `replayed` events were sent before this message.
    Subscribed {
        /// The topics now in force.
        topics: Vec<Topic>,
        /// How many missed events were replayed.
        replayed: u64,
    },
    /// One coordination event.
    Event {
        /// The event.
        event: CoordinationEvent,
    },
    /// The client missed events it cannot be sent: reload and subscribe again.
    Resync {
        /// Why.
        reason: String,
    },
    /// Keep-alive, or the answer to a ping.
    Pong,
    /// The client sent something the server does not understand.
    Error {
        /// For a person.
        message: String,
    },
}
