//! Streaming accumulators and result tables.
pub mod table;
pub use table::Table;
