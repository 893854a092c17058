//! Market factor models.
pub mod correlation;
