//! Editor support: `msbc graph` ([`graph`]), `msbc fmt` and the language
//! server, over one front-end run that keeps its documents ([`analysis`]).

pub mod analysis;
pub mod fmt;
pub(crate) mod graph;
pub mod ide;
pub mod reference;
