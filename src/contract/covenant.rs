//! Trailing-window covenant tests (SPEC §7): minimum DSCR and minimum realized utilization.
//!
//! Owns: the ring buffers of the trailing windows and the ratio arithmetic. Must not: decide what
//! a breach does (that is `path`, from the covenant's configured action) or allocate after
//! construction.
//!
//! - DSCR covenant: Σ CFADS / Σ debt service over the trailing `window` payment periods, tested
//!   once the window is full.
//! - Utilization covenant: Σ hours sold / Σ capacity hours over the trailing `window` days with
//!   capacity > 0, tested on payment days once that many commissioned days exist.

/// Ratios are capped at this value (a period with no debt service due has an infinite DSCR;
/// reports need finite numbers).
pub const RATIO_CAP: f64 = 100.0;

/// `num / den`, capped at [`RATIO_CAP`]; `RATIO_CAP` when `den <= 0` and `num >= 0`, 0 when both
/// are non-positive with a negative numerator.
pub fn capped_ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        (num / den).min(RATIO_CAP)
    } else if num >= 0.0 {
        RATIO_CAP
    } else {
        0.0
    }
}

/// A trailing window of (numerator, denominator) pairs; the ratio of their sums.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailingRatio {
    num: Vec<f64>,
    den: Vec<f64>,
    next: usize,
    filled: usize,
}

impl TrailingRatio {
    /// A window of `window` entries (at least 1).
    pub fn new(window: u32) -> Self {
        let w = window.max(1) as usize;
        Self {
            num: vec![0.0; w],
            den: vec![0.0; w],
            next: 0,
            filled: 0,
        }
    }

    /// Forget all entries (keeps the buffers).
    pub fn reset(&mut self) {
        self.next = 0;
        self.filled = 0;
    }

    /// Append an entry, evicting the oldest once full.
    pub fn push(&mut self, num: f64, den: f64) {
        let w = self.num.len();
        self.num[self.next] = num;
        self.den[self.next] = den;
        // (next + 1) mod w without an integer division (pushed every day).
        self.next = if self.next + 1 == w { 0 } else { self.next + 1 };
        self.filled = (self.filled + 1).min(w);
    }

    /// Has the window filled up?
    pub fn is_full(&self) -> bool {
        self.filled == self.num.len()
    }

    /// Ratio of sums over the entries in the window (summed afresh: no drift).
    pub fn ratio(&self) -> f64 {
        // Before the window is full the entries sit at 0..filled; afterwards all are live.
        let n: f64 = self.num[..self.filled].iter().sum();
        let d: f64 = self.den[..self.filled].iter().sum();
        capped_ratio(n, d)
    }
}
