//! Domain values every layer shares, parsed once at the edge (the spec,
//! CLI flags, frontend options, `msbc.lock`): [`ImageRef`] and
//! [`Platform`]. A leaf: it imports nothing of msbc but `diag`'s "did you
//! mean".

pub mod image_ref;
pub mod platform;

pub use image_ref::ImageRef;
pub use platform::{Platform, PlatformError};
