//! Path engine: random streams, the daily path loop, rayon batches, observers.
//! Must not: do I/O.
pub mod importance;
pub mod margin;
pub mod observer;
pub mod run;
pub mod streams;
pub use observer::{NoopObserver, Observer};
pub use run::{simulate, EngineError, RunContext, RunSettings};
