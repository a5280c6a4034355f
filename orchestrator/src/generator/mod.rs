//! The offline generator (being written).
