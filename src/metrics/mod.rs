//! Streaming accumulators, quantile sketches and result tables.
//! Must not: do I/O or know polars.
pub mod accum;
pub mod exact;
pub mod importance;
pub mod sketch;
pub mod summary;
pub mod table;
pub use accum::{Accumulator, Layout, Series};
pub use exact::{ExactSum, Moments};
pub use sketch::{BinnedHistogram, QuantileSketch};
pub use table::Table;
