//! Layer shocks.
