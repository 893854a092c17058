//! The importance-sampled loan-default estimators and their summary.
//!
//! The importance-sampling pass (see `engine::importance`) draws every path under a shifted
//! measure Q and weights it by its likelihood ratio w = dP/dQ. For an outcome f of the path,
//! E_P[f] = E_Q[w·f], estimated by the sample mean of w·f with standard error sd(w·f)/√n (the
//! paths are independent under Q). Every sum is exact ([`Moments`], [`ExactSum`]), so shards
//! and threads merge bit-identically. Must not: know the engine's loop or do I/O.

use super::exact::{ExactSum, Moments};
use super::summary::num;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Weighted default statistics of one loan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightedLoanAcc {
    /// w·1{default} per path.
    pub default: Moments,
    /// w·loss per path, dollars.
    pub loss: Moments,
    /// Defaults seen in the pass (unweighted count).
    pub defaults_observed: u64,
    /// Σ w·1{default in loan year y}, one entry per loan year.
    pub by_year: Vec<ExactSum>,
}

impl WeightedLoanAcc {
    fn new(years: usize) -> Self {
        Self {
            by_year: vec![ExactSum::default(); years],
            ..Self::default()
        }
    }

    /// Add one path of weight `w`: its default (with the index of the loan year it fell in) and
    /// its loss in dollars.
    pub fn add(&mut self, w: f64, default_year: Option<usize>, loss_usd: f64) {
        self.default
            .add(if default_year.is_some() { w } else { 0.0 });
        self.loss.add(w * loss_usd);
        if let Some(y) = default_year {
            self.defaults_observed += 1;
            if let Some(s) = self.by_year.get_mut(y) {
                s.add(w);
            }
        }
    }

    fn merge(&mut self, o: &Self) {
        self.default.merge(&o.default);
        self.loss.merge(&o.loss);
        self.defaults_observed += o.defaults_observed;
        for (a, b) in self.by_year.iter_mut().zip(&o.by_year) {
            a.merge(b);
        }
    }
}

/// How the pass's shift was chosen (identical in every shard of a run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TiltInfo {
    /// Bits of δ_s per segment and factor (price, utilization, basis, power): the mean of the
    /// factors' independent daily normals under Q.
    pub shifts_bits: Vec<[u64; 4]>,
    /// Days per segment (the last one may be shorter).
    pub segment_days: u32,
    /// Bits of √(Σ n_s·δ_s²), the shift in standard deviations of the normals' sums.
    pub shift_sd_bits: u64,
    /// Cross-entropy levels run (0 for a shift given in the scenario).
    pub levels: u32,
    /// Paths per cross-entropy level (0 for a given shift).
    pub pilot_paths: u64,
    /// Whether the last level estimated the shift on the hedged default event itself (false:
    /// the level cap was reached on an intermediate event).
    pub converged: bool,
}

impl TiltInfo {
    /// δ_s of factor `k` (0 price, 1 utilization, 2 basis, 3 power) per segment.
    pub fn shifts_of(&self, k: usize) -> Vec<f64> {
        self.shifts_bits
            .iter()
            .map(|b| f64::from_bits(b[k]))
            .collect()
    }
    /// The shift in standard deviations of the price normals' sums (the sd of ln w under Q).
    pub fn shift_sd(&self) -> f64 {
        f64::from_bits(self.shift_sd_bits)
    }
}

/// The importance-sampling pass of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportanceAcc {
    pub tilt: TiltInfo,
    /// Likelihood ratio w per path (E_Q[w] = 1: a check on the weights).
    pub weight: Moments,
    pub hedged: WeightedLoanAcc,
    pub unhedged: WeightedLoanAcc,
}

impl ImportanceAcc {
    pub fn new(tilt: TiltInfo, years: usize) -> Self {
        Self {
            tilt,
            weight: Moments::default(),
            hedged: WeightedLoanAcc::new(years),
            unhedged: WeightedLoanAcc::new(years),
        }
    }

    /// Merge another pass of the same run (exact, order-independent).
    pub fn merge(&mut self, o: &Self) {
        self.weight.merge(&o.weight);
        self.hedged.merge(&o.hedged);
        self.unhedged.merge(&o.unhedged);
    }

    /// Effective sample size (Σw)² / Σw² (n for equal weights).
    pub fn effective_sample_size(&self) -> f64 {
        let s2 = self.weight.sum_sq.value();
        if s2 > 0.0 {
            self.weight.sum.value().powi(2) / s2
        } else {
            0.0
        }
    }
}

/// The `importance_sampling` object of `summary.json`. `plain_pd` gives the plain Monte Carlo
/// estimates (hedged, unhedged) of the same run, for the per-path variance ratio.
pub fn importance_summary(imp: &ImportanceAcc, plain_pd: (f64, f64)) -> Value {
    let n = imp.weight.n.max(1) as f64;
    let loan = |l: &WeightedLoanAcc, plain_p: f64| -> Value {
        let mut cum = 0.0;
        let by_year: Vec<Value> = l
            .by_year
            .iter()
            .map(|s| {
                cum += s.value();
                num(cum / n)
            })
            .collect();
        let is_var = l.default.variance();
        let plain_var = plain_p * (1.0 - plain_p);
        json!({
            "pd": num(l.default.mean()),
            "pd_se": num(l.default.se()),
            "pd_by_year": by_year,
            "expected_loss": num(l.loss.mean()),
            "expected_loss_se": num(l.loss.se()),
            "defaults_observed": l.defaults_observed,
            "variance_ratio": num(if is_var > 0.0 { plain_var / is_var } else { 0.0 }),
        })
    };
    json!({
        "paths": imp.weight.n,
        "shift_sd": num(imp.tilt.shift_sd()),
        "segment_days": imp.tilt.segment_days,
        "shift_by_segment": {
            "price": imp.tilt.shifts_of(0).into_iter().map(num).collect::<Vec<_>>(),
            "utilization": imp.tilt.shifts_of(1).into_iter().map(num).collect::<Vec<_>>(),
            "basis": imp.tilt.shifts_of(2).into_iter().map(num).collect::<Vec<_>>(),
            "power": imp.tilt.shifts_of(3).into_iter().map(num).collect::<Vec<_>>(),
        },
        "method": if imp.tilt.pilot_paths > 0 { "cross_entropy" } else { "given" },
        "pilot_levels": imp.tilt.levels,
        "pilot_paths": imp.tilt.pilot_paths,
        "pilot_converged": imp.tilt.converged,
        "weight_mean": num(imp.weight.mean()),
        "weight_mean_se": num(imp.weight.se()),
        "effective_sample_size": num(imp.effective_sample_size()),
        "hedged": loan(&imp.hedged, plain_pd.0),
        "unhedged": loan(&imp.unhedged, plain_pd.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> TiltInfo {
        TiltInfo {
            shifts_bits: vec![[(-0.05f64).to_bits(), 0, 0, 0]],
            segment_days: 365,
            shift_sd_bits: 0.5f64.to_bits(),
            levels: 0,
            pilot_paths: 0,
            converged: true,
        }
    }

    #[test]
    fn weighted_estimates_match_a_hand_computation() {
        let mut a = ImportanceAcc::new(info(), 2);
        assert_eq!(a.tilt.shifts_of(0), vec![-0.05]);
        // Four paths: weights 0.5, 2, 1, 0.5; defaults in year 0 (loss 10) and year 1 (loss 4).
        a.weight.add(0.5);
        a.hedged.add(0.5, Some(0), 10.0);
        a.weight.add(2.0);
        a.hedged.add(2.0, None, 0.0);
        a.weight.add(1.0);
        a.hedged.add(1.0, Some(1), 4.0);
        a.weight.add(0.5);
        a.hedged.add(0.5, None, 0.0);
        let v = importance_summary(&a, (0.5, 0.5));
        let h = &v["hedged"];
        assert_eq!(h["pd"].as_f64().unwrap(), (0.5 + 1.0) / 4.0);
        assert_eq!(h["expected_loss"].as_f64().unwrap(), (5.0 + 4.0) / 4.0);
        assert_eq!(h["pd_by_year"][0].as_f64().unwrap(), 0.5 / 4.0);
        assert_eq!(h["pd_by_year"][1].as_f64().unwrap(), 1.5 / 4.0);
        assert_eq!(h["defaults_observed"].as_u64().unwrap(), 2);
        // sd of (0.5, 0, 1, 0): mean 0.375, var = (0.015625+0.140625+0.390625+0.140625)/3.
        let var: f64 = (0.015625 + 0.140625 + 0.390625 + 0.140625) / 3.0;
        assert!((h["pd_se"].as_f64().unwrap() - (var / 4.0).sqrt()).abs() < 1e-9);
        assert!((h["variance_ratio"].as_f64().unwrap() - 0.25 / var).abs() < 1e-9);
        // ESS = (4)² / (0.25 + 4 + 1 + 0.25) = 16 / 5.5.
        assert!((a.effective_sample_size() - 16.0 / 5.5).abs() < 1e-9);
        assert_eq!(v["shift_sd"].as_f64().unwrap(), 0.5);
    }

    #[test]
    fn merge_is_the_pooled_sample() {
        let mut a = ImportanceAcc::new(info(), 1);
        let mut b = ImportanceAcc::new(info(), 1);
        let mut all = ImportanceAcc::new(info(), 1);
        for (i, w) in [0.3, 1.7, 0.9, 1.1, 0.2].into_iter().enumerate() {
            let d = (i % 2 == 0).then_some(0);
            let part = if i < 2 { &mut a } else { &mut b };
            part.weight.add(w);
            part.hedged.add(w, d, 100.0 * w);
            all.weight.add(w);
            all.hedged.add(w, d, 100.0 * w);
        }
        b.merge(&a);
        assert_eq!(b, all);
    }
}
