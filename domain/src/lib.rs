//! Nexus Forge's shared vocabulary, free of I/O so that the server and the
//! browser (wasm32) compile the same definitions.
//!
//! # Layout
//! - [`ids`]: typed ids (`BuildId`, `WorkflowId`, `TaskId`, `AgentId`, `UserId`, `EventId`).
//! - [`status`]: one status enum per table, mirroring the database's CHECK constraints, with
//!   the transitions each one allows.
//! - [`agent`]: capabilities, agent names and the registration request.
//! - [`dag`]: task specs and `Dag::validate` (duplicates, missing dependencies, cycles,
//!   topological levels, critical path).
//! - [`retry`]: the retry policy as a pure function of the attempt number.
//! - [`event`]: coordination events as they are stored and sent to browsers.
//! - [`spec`]: the app spec the build pipeline works from, and its validation.
//! - [`limits`]: page sizes and text lengths, decided once for every door.
//! - [`auth`]: people, tokens, invitations and audit entries as the doors show them;
//!   username and password rules.
//! - [`api`]: request/response bodies shared by REST, server functions and the dashboard.
//! - [`ws`]: the `/ws` protocol.
//!
//! The `openapi` feature (the server's) adds JSON Schemas of the DTOs for its OpenAPI
//! document; the browser build leaves it off.
//!
//! # Invariants
//! Every status word here is also a `CHECK` in `migrations/`; a test in the orchestrator
//! crate inserts each enum's words to keep the two in step.

#![warn(missing_docs)]

pub mod agent;
pub mod api;
pub mod auth;
pub mod dag;
pub mod event;
pub mod ids;
pub mod limits;
pub mod retry;
pub mod spec;
pub mod status;
pub mod ws;

/// Declares a string enum stored as lowercase text in Postgres and serialized the same way
/// in JSON, with `ALL`, `as_str` and a `FromStr` that names the valid words on failure.
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored in the database and sent over the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// The valid words, comma separated (for error messages).
            pub fn valid_words() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::UnknownWord {
                        what: stringify!($name),
                        word: s.to_owned(),
                        valid: Self::valid_words(),
                    }),
                }
            }
        }

        #[cfg(feature = "openapi")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "enum": [$($word),+] })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// A word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{word}`; valid values: {valid}")]
pub struct UnknownWord {
    /// The enum's name.
    pub what: &'static str,
    /// The word that was given.
    pub word: String,
    /// The valid words, comma separated.
    pub valid: String,
}
