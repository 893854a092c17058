//! Progress observers: the engine reports progress through this trait and never prints.
//! The CLI's implementation drives an indicatif bar; the default does nothing.

/// Receives progress events from a run. All methods default to no-ops.
pub trait Observer: Sync {
    /// A pass over `total_paths` paths starts (`label`: "par price", "paths", ...).
    fn on_start(&self, _label: &str, _total_paths: u64) {}
    /// `paths` more paths are done.
    fn on_progress(&self, _paths: u64) {}
    /// The pass is done.
    fn on_finish(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl Observer for NoopObserver {}
