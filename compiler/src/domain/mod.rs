//! Domain values every layer shares, parsed once at the edge (the spec,
//! CLI flags, frontend options, `msbc.lock`): [`ImageRef`] and
//! [`Platform`]; and the one list of the config-only steps
//! ([`ConfigStep`]), which the AST and the IR each fill in their [`Form`].
//! A leaf: it imports nothing of msbc but `diag`'s "did you mean".

pub mod config_step;
pub mod image_ref;
pub mod platform;

pub use config_step::{ConfigStep, Convert, Form, ImageValue, Port, Protocol, port_keys};
pub use image_ref::ImageRef;
pub use platform::{Platform, PlatformError};
