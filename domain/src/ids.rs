//! Typed ids. A `TaskId` cannot be passed where a `WorkflowId` is expected; all of them are
//! UUIDs in Postgres except [`EventId`], the global, increasing coordination event number.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

uuid_id!(
    /// A person (row of `users`).
    UserId
);
uuid_id!(
    /// A build, stored in `projects`.
    BuildId
);
uuid_id!(
    /// A workflow: one task DAG and its execution state.
    WorkflowId
);
uuid_id!(
    /// One task of a workflow.
    TaskId
);
uuid_id!(
    /// A registered agent.
    AgentId
);
uuid_id!(
    /// One generated file of a build.
    ArtifactId
);

/// An id that did not parse, said for a person: `"x" is not a valid build id (a UUID)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{raw:?} is not a valid {what} id (a UUID)")]
pub struct BadId {
    /// What kind of id was expected (`build`, `workflow`, ...).
    pub what: &'static str,
    /// What was given (clipped to 80 characters).
    pub raw: String,
}

/// Parses an id given by a person or a client (surrounding whitespace ignored). Every door
/// parses ids through this, so a bad id gets the same message everywhere.
///
/// # Errors
/// [`BadId`].
pub fn parse<T: From<Uuid>>(what: &'static str, raw: &str) -> Result<T, BadId> {
    Uuid::parse_str(raw.trim()).map(T::from).map_err(|_| BadId {
        what,
        raw: raw.chars().take(80).collect(),
    })
}

/// The owner of everything until accounts exist: the default local user seeded by the first
/// migration. Every owned row carries an owner so isolation can be switched on later.
pub const LOCAL_USER_ID: UserId = UserId(Uuid::from_u128(1));

/// A coordination event's number: global, assigned by Postgres, increasing with insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
