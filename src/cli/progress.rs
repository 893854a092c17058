//! The progress bar: an [`Observer`] that drives an indicatif bar on stderr, hidden when stderr
//! is not a terminal or with `--quiet`.

use crate::engine::Observer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// A progress bar on stderr (one pass at a time).
#[derive(Debug)]
pub struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Progress {
    /// A bar that shows only when stderr is a terminal and `quiet` is false.
    pub fn new(quiet: bool) -> Self {
        Self {
            bar: Mutex::new(None),
            visible: !quiet && std::io::stderr().is_terminal(),
        }
    }
}

impl Observer for Progress {
    fn on_start(&self, label: &str, total_paths: u64) {
        if !self.visible {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total_paths), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix:>10} [{bar:40}] {pos}/{len} paths  {per_sec}  eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label.to_string());
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }
    fn on_progress(&self, paths: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(bar) = b.as_ref() {
                bar.inc(paths);
            }
        }
    }
    fn on_finish(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(bar) = b.take() {
                bar.finish_and_clear();
            }
        }
    }
}
