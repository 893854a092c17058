//! Market factor models.
