//! The Credit Support Annex between the SPV and the trader, as a per-path state machine.
//!
//! Owns: variation margin (threshold, minimum transfer amount, rounding, unilateral or
//! bilateral), initial margin and the independent amount posted by the trader at inception (and
//! topped up after a downgrade), interest on collateral, the trader's liquidity, the trader's
//! default (a missed margin call, a missed settlement, or an exogenous intensity with wrong-way
//! sensitivity to the index price) and the close-out after the margin period of risk.
//! Must not: value the swap (it receives the MTM legs from [`super::mtm`]), draw random numbers
//! (the engine passes one uniform per path), or move the SPV's cash itself (it reports the
//! amounts; the engine routes them through the waterfall).
//!
//! Sign conventions: `mtm_to_spv = −(trader's value)`; the VM balance is signed, positive when
//! the SPV holds the trader's collateral, negative when the trader holds the SPV's; transfers are
//! positive from the trader to the SPV.
//!
//! Daily order: (1) interest on collateral to its poster, (2) the exogenous default test on the
//! integrated intensity, (3) the day's swap settlement out of (or into) the trader's liquidity,
//! (4) on margin dates the margin call. After a default the collateral is frozen, settlements are
//! withheld and accumulate into the close-out claim, and on the day `mpor_days` after the default
//! the claim is closed out against the collateral at that day's MTM.

use super::mtm::MtmLegs;
use crate::scenario::{Csa, InitialMargin, Trader, TraderDefaultAction, DAYS_PER_YEAR};
use thiserror::Error;

/// Invalid CSA or trader inputs.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CsaError {
    #[error("{name} must be finite and non-negative, got {value}")]
    Negative { name: &'static str, value: f64 },
    #[error("margin_interval_days must be at least 1")]
    ZeroInterval,
    #[error("downgrade_multiplier must be at least 1, got {0}")]
    Multiplier(f64),
    #[error("the starting index price θ(0) must be positive, got {0}")]
    Theta(f64),
}

/// Why the trader defaulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultCause {
    /// The exogenous intensity (with wrong-way sensitivity) fired.
    Exogenous,
    /// The trader could not post initial margin and the independent amount at inception.
    InitialMargin,
    /// The trader could not pay a swap settlement.
    Settlement,
    /// The trader could not meet a margin call.
    MarginCall,
}

/// The close-out of the swap after a trader default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CloseOut {
    /// Day of the close-out (default day + MPOR, or the swap's end).
    pub day: u32,
    pub default_day: u32,
    /// MTM to the SPV + withheld settlements owed to the SPV − collateral held by the SPV (signed
    /// VM + IM + IA), dollars. Positive: the SPV's unsecured claim.
    pub amount_usd: f64,
    /// max(amount, 0): the SPV's loss (zero recovery), passed to the waterfall.
    pub shortfall_usd: f64,
    /// Cash to the SPV at close-out, dollars: the trader's collateral applied to the claim
    /// (positive), or the payment the SPV owes the trader's estate (negative).
    pub spv_cash_usd: f64,
    pub action: TraderDefaultAction,
    /// Under `Replace`, the then-par fixed price of the remaining swap ($/GPU-hour).
    pub replacement_fixed_price: Option<f64>,
}

/// Where the trader stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraderStatus {
    Performing,
    /// Defaulted on `day`; close-out pending.
    Defaulted {
        day: u32,
        cause: DefaultCause,
    },
    /// Closed out; the agreement no longer moves collateral.
    ClosedOut(CloseOut),
}

/// What the engine tells the agreement each day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsaDayInput {
    pub day: u32,
    /// MTM legs of the remaining swap at the end of the day.
    pub legs: MtmLegs,
    /// Fixed price of the swap in force, $/GPU-hour.
    pub fixed_price_usd_per_gpu_hour: f64,
    /// Swap settlement due today, trader side (positive: the SPV pays the trader), dollars.
    pub settlement_to_trader_usd: f64,
    /// Index price today, $/GPU-hour (drives the exogenous intensity).
    pub index_price_usd_per_gpu_hour: f64,
}

/// What happened today.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsaDayOutcome {
    /// Signed VM balance after today's transfer (positive: held by the SPV), dollars.
    pub vm_balance_usd: f64,
    /// IM + independent amount held by the SPV, dollars.
    pub im_held_usd: f64,
    /// Today's collateral transfer, positive from trader to SPV (0 when no call), dollars.
    pub call_usd: f64,
    /// The SPV's uncollateralized exposure max(MTM to SPV − VM − IM, 0), dollars.
    pub exposure_usd: f64,
    /// Trader's remaining liquidity (cash + unused credit line), dollars.
    pub trader_liquidity_usd: f64,
    /// Cash to the SPV's own account from the margin today: interest on the SPV's posted
    /// collateral, its posting (−) and return (+), and the close-out cash, dollars.
    pub spv_cash_usd: f64,
    /// False when today's swap settlement did not move in cash (trader default, MPOR, or the
    /// swap terminated): the engine must not pay or receive it.
    pub settlement_paid: bool,
    /// Present on the close-out day.
    pub close_out: Option<CloseOut>,
}

/// Per-path results.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CsaPathSummary {
    /// Number of collateral transfers (calls and returns) after inception.
    pub calls: u32,
    /// Largest VM the trader had posted, dollars.
    pub peak_vm_posted_by_trader_usd: f64,
    /// Largest VM the SPV had posted, dollars.
    pub peak_vm_posted_by_spv_usd: f64,
    pub defaulted: bool,
    pub default_day: Option<u32>,
    pub default_cause: Option<DefaultCause>,
    pub downgrade_day: Option<u32>,
    /// Largest liquidity the trader used (starting liquidity − lowest liquidity), dollars.
    pub liquidity_need_peak_usd: f64,
    /// The SPV's loss at close-out, dollars.
    pub close_out_shortfall_usd: f64,
    pub replacement_fixed_price: Option<f64>,
}

/// The state of the agreement on one path.
#[derive(Debug, Clone, PartialEq)]
pub struct CsaPath {
    pub status: TraderStatus,
    pub trader_liquidity_usd: f64,
    /// Signed VM balance (positive: held by the SPV).
    pub vm_usd: f64,
    /// IM + independent amount held by the SPV.
    pub im_usd: f64,
    pub downgraded: bool,
    /// Exp(1) threshold of the exogenous default.
    default_threshold: f64,
    /// ∫ λ dt so far (dimensionless).
    pub integrated_intensity: f64,
    /// Settlements withheld during the MPOR, owed to the SPV (signed), dollars.
    pub withheld_to_spv_usd: f64,
    pub summary: CsaPathSummary,
    start_liquidity_usd: f64,
}

/// The validated agreement, shared by all paths of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct CsaAgreement {
    csa: Csa,
    trader: Trader,
    initial_margin_usd: f64,
    theta0_usd_per_gpu_hour: f64,
    /// Collateral yield per day (collateral_yield / DAYS_PER_YEAR), decimal.
    yield_per_day: f64,
    /// The wrong-way sensitivity as an exponent of `powi` when it is an integer of magnitude
    /// ≤ 16 (the common case: 0, 1, 2), else `None` (general `powf`).
    integer_sensitivity: Option<i32>,
}

/// a^n by binary powering, the same products in the same order as the `powi` intrinsic's
/// library routine (so the same bits), inlined.
#[inline]
fn powi_inline(mut a: f64, n: i32) -> f64 {
    let recip = n < 0;
    let mut pow = n.unsigned_abs();
    let mut mul = 1.0;
    loop {
        if pow & 1 != 0 {
            mul *= a;
        }
        pow >>= 1;
        if pow == 0 {
            break;
        }
        a *= a;
    }
    if recip {
        1.0 / mul
    } else {
        mul
    }
}

impl CsaAgreement {
    /// `initial_margin_usd` is the IM before any downgrade multiplier (see [`super::im`]);
    /// `theta0_usd_per_gpu_hour` the mean-curve price θ(0) that scales the wrong-way intensity.
    pub fn new(
        csa: &Csa,
        trader: &Trader,
        initial_margin_usd: f64,
        theta0_usd_per_gpu_hour: f64,
    ) -> Result<Self, CsaError> {
        let nonneg = [
            ("threshold_usd", csa.threshold_usd),
            ("minimum_transfer_usd", csa.minimum_transfer_usd),
            ("rounding_usd", csa.rounding_usd),
            ("independent_amount_usd", csa.independent_amount_usd),
            ("collateral_yield", csa.collateral_yield),
            ("initial_margin_usd", initial_margin_usd),
            ("cash_usd", trader.cash_usd),
            ("credit_line_usd", trader.credit_line_usd),
            (
                "default_intensity_per_year",
                trader.default_intensity_per_year,
            ),
            ("wrong_way_sensitivity", trader.wrong_way_sensitivity),
            (
                "downgrade_intensity_per_year",
                trader.downgrade_intensity_per_year,
            ),
        ];
        for (name, value) in nonneg {
            if !(value.is_finite() && value >= 0.0) {
                return Err(CsaError::Negative { name, value });
            }
        }
        if csa.margin_interval_days == 0 {
            return Err(CsaError::ZeroInterval);
        }
        if !(csa.downgrade_multiplier >= 1.0 && csa.downgrade_multiplier.is_finite()) {
            return Err(CsaError::Multiplier(csa.downgrade_multiplier));
        }
        if !(theta0_usd_per_gpu_hour > 0.0 && theta0_usd_per_gpu_hour.is_finite()) {
            return Err(CsaError::Theta(theta0_usd_per_gpu_hour));
        }
        let k = trader.wrong_way_sensitivity;
        Ok(Self {
            csa: csa.clone(),
            trader: trader.clone(),
            initial_margin_usd,
            theta0_usd_per_gpu_hour,
            yield_per_day: csa.collateral_yield / DAYS_PER_YEAR,
            integer_sensitivity: (k == k.trunc() && k.abs() <= 16.0).then_some(-(k as i32)),
        })
    }

    /// The IM method of the terms (for reports).
    pub fn initial_margin_method(&self) -> &InitialMargin {
        &self.csa.initial_margin
    }

    /// Exogenous default intensity per year at index price `p`: base × (p/θ(0))^(−sensitivity).
    #[inline]
    pub fn intensity_per_year(&self, index_price_usd_per_gpu_hour: f64) -> f64 {
        let ratio = (index_price_usd_per_gpu_hour / self.theta0_usd_per_gpu_hour).max(1e-12);
        // Integer sensitivities (the common case: 0, 1, 2) avoid the general `powf`.
        let factor = match self.integer_sensitivity {
            Some(n) => powi_inline(ratio, n),
            None => ratio.powf(-self.trader.wrong_way_sensitivity),
        };
        let l = self.trader.default_intensity_per_year * factor;
        if l.is_finite() {
            l
        } else {
            f64::MAX
        }
    }

    /// IM + independent amount required from the trader (IM × downgrade multiplier once
    /// downgraded), dollars.
    #[inline]
    pub fn required_im_usd(&self, downgraded: bool) -> f64 {
        let mult = if downgraded {
            self.csa.downgrade_multiplier
        } else {
            1.0
        };
        self.initial_margin_usd * mult + self.csa.independent_amount_usd
    }

    /// Start a path: the trader posts IM and the independent amount out of its liquidity.
    /// `default_uniform` in [0, 1) from the engine's trader stream sets the exogenous default
    /// threshold E = −ln(1 − U) ~ Exp(1). If the trader cannot post, it defaults on day 0.
    pub fn start(&self, default_uniform: f64) -> CsaPath {
        let liquidity = self.trader.cash_usd + self.trader.credit_line_usd;
        let u = if default_uniform.is_finite() {
            default_uniform.clamp(0.0, 1.0 - f64::EPSILON)
        } else {
            0.0
        };
        let mut path = CsaPath {
            status: TraderStatus::Performing,
            trader_liquidity_usd: liquidity,
            vm_usd: 0.0,
            im_usd: 0.0,
            downgraded: false,
            default_threshold: -(-u).ln_1p(),
            integrated_intensity: 0.0,
            withheld_to_spv_usd: 0.0,
            summary: CsaPathSummary::default(),
            start_liquidity_usd: liquidity,
        };
        let im = self.required_im_usd(false);
        if im > liquidity {
            self.declare_default(&mut path, 0, DefaultCause::InitialMargin);
        } else {
            path.im_usd = im;
            path.trader_liquidity_usd -= im;
            path.note_liquidity();
        }
        path
    }

    fn declare_default(&self, path: &mut CsaPath, day: u32, cause: DefaultCause) {
        path.status = TraderStatus::Defaulted { day, cause };
        path.summary.defaulted = true;
        path.summary.default_day = Some(day);
        path.summary.default_cause = Some(cause);
    }

    /// Advance the path by one day. Inlined: the caller reads the outcome right away, and an
    /// outcome written to memory field by field and read back in 16-byte loads stalls on store
    /// forwarding.
    #[inline]
    pub fn step(&self, path: &mut CsaPath, input: &CsaDayInput) -> CsaDayOutcome {
        let mtm_to_spv = -input.legs.value(input.fixed_price_usd_per_gpu_hour);
        let mut out = CsaDayOutcome {
            vm_balance_usd: path.vm_usd,
            im_held_usd: path.im_usd,
            call_usd: 0.0,
            exposure_usd: 0.0,
            trader_liquidity_usd: path.trader_liquidity_usd,
            spv_cash_usd: 0.0,
            settlement_paid: true,
            close_out: None,
        };
        match path.status {
            TraderStatus::ClosedOut(c) => {
                out.settlement_paid = c.action == TraderDefaultAction::Replace;
                return out;
            }
            TraderStatus::Defaulted { day, .. } => {
                self.withhold(path, input, &mut out);
                if input.day >= day.saturating_add(self.csa.mpor_days) {
                    self.close_out(path, input.day, day, mtm_to_spv, input.legs, &mut out);
                }
                self.finish(path, mtm_to_spv, &mut out);
                return out;
            }
            TraderStatus::Performing => {}
        }

        // (1) Interest on collateral accrues to its poster.
        let y = self.yield_per_day;
        path.trader_liquidity_usd += y * (path.vm_usd.max(0.0) + path.im_usd);
        out.spv_cash_usd += y * (-path.vm_usd).max(0.0);

        // (2) Exogenous default on the integrated intensity; downgrade is sticky.
        let lambda = self.intensity_per_year(input.index_price_usd_per_gpu_hour);
        path.integrated_intensity += lambda / DAYS_PER_YEAR;
        if !path.downgraded && lambda > self.trader.downgrade_intensity_per_year {
            path.downgraded = true;
            path.summary.downgrade_day = Some(input.day);
        }
        if path.integrated_intensity > path.default_threshold {
            self.declare_default(path, input.day, DefaultCause::Exogenous);
            self.withhold(path, input, &mut out);
            self.maybe_immediate_close_out(path, input, mtm_to_spv, &mut out);
            self.finish(path, mtm_to_spv, &mut out);
            return out;
        }

        // (3) Today's settlement.
        if path.trader_liquidity_usd + input.settlement_to_trader_usd < 0.0 {
            self.declare_default(path, input.day, DefaultCause::Settlement);
            self.withhold(path, input, &mut out);
            self.maybe_immediate_close_out(path, input, mtm_to_spv, &mut out);
            self.finish(path, mtm_to_spv, &mut out);
            return out;
        }
        path.trader_liquidity_usd += input.settlement_to_trader_usd;

        // (4) Margin call on margin dates.
        let interval = self.csa.margin_interval_days;
        if interval == 1 || input.day % interval == 0 {
            let required_vm = self.required_vm_usd(mtm_to_spv);
            let required_im = self.required_im_usd(path.downgraded).max(path.im_usd);
            let d_vm = required_vm - path.vm_usd;
            let d_im = required_im - path.im_usd;
            let delta = d_vm + d_im;
            if delta.abs() >= self.csa.minimum_transfer_usd && delta != 0.0 {
                let transfer = self.round_vm(d_vm, required_vm) + d_im;
                if transfer > path.trader_liquidity_usd {
                    self.declare_default(path, input.day, DefaultCause::MarginCall);
                    self.maybe_immediate_close_out(path, input, mtm_to_spv, &mut out);
                    self.finish(path, mtm_to_spv, &mut out);
                    return out;
                }
                let spv_posted_before = (-path.vm_usd).max(0.0);
                path.im_usd = required_im;
                path.vm_usd += transfer - (required_im - out.im_held_usd);
                path.trader_liquidity_usd -= transfer;
                out.spv_cash_usd -= (-path.vm_usd).max(0.0) - spv_posted_before;
                out.call_usd = transfer;
                path.summary.calls += 1;
            }
        }
        self.finish(path, mtm_to_spv, &mut out);
        out
    }

    /// Close out at once when the MPOR is zero days.
    fn maybe_immediate_close_out(
        &self,
        path: &mut CsaPath,
        input: &CsaDayInput,
        mtm_to_spv: f64,
        out: &mut CsaDayOutcome,
    ) {
        if self.csa.mpor_days == 0 {
            self.close_out(path, input.day, input.day, mtm_to_spv, input.legs, out);
        }
    }

    /// Close out a pending default when the swap ends before the MPOR is over (MTM is then 0).
    pub fn finalize(&self, path: &mut CsaPath, day: u32) -> Option<CloseOut> {
        if let TraderStatus::Defaulted { day: d, .. } = path.status {
            let mut out = CsaDayOutcome {
                vm_balance_usd: path.vm_usd,
                im_held_usd: path.im_usd,
                call_usd: 0.0,
                exposure_usd: 0.0,
                trader_liquidity_usd: path.trader_liquidity_usd,
                spv_cash_usd: 0.0,
                settlement_paid: false,
                close_out: None,
            };
            self.close_out(path, day, d, 0.0, MtmLegs::default(), &mut out);
            return out.close_out;
        }
        None
    }

    /// A withheld settlement becomes part of the close-out claim.
    fn withhold(&self, path: &mut CsaPath, input: &CsaDayInput, out: &mut CsaDayOutcome) {
        path.withheld_to_spv_usd -= input.settlement_to_trader_usd;
        out.settlement_paid = false;
    }

    fn close_out(
        &self,
        path: &mut CsaPath,
        day: u32,
        default_day: u32,
        mtm_to_spv: f64,
        legs: MtmLegs,
        out: &mut CsaDayOutcome,
    ) {
        let held_from_trader = path.vm_usd.max(0.0) + path.im_usd;
        let posted_by_spv = (-path.vm_usd).max(0.0);
        // The SPV's gross claim: the swap's value to it, withheld settlements, and the return of
        // its own collateral (an unsecured claim on the estate).
        let claim = mtm_to_spv + path.withheld_to_spv_usd + posted_by_spv;
        let amount = claim - held_from_trader;
        let spv_cash = if claim >= 0.0 {
            claim.min(held_from_trader)
        } else {
            claim
        };
        let action = self.trader.on_default;
        let c = CloseOut {
            day,
            default_day,
            amount_usd: amount,
            shortfall_usd: amount.max(0.0),
            spv_cash_usd: spv_cash,
            action,
            replacement_fixed_price: match action {
                TraderDefaultAction::Replace => legs.par_fixed_price(),
                TraderDefaultAction::Terminate => None,
            },
        };
        out.spv_cash_usd += spv_cash;
        out.close_out = Some(c);
        path.status = TraderStatus::ClosedOut(c);
        path.summary.close_out_shortfall_usd = c.shortfall_usd;
        path.summary.replacement_fixed_price = c.replacement_fixed_price;
        path.vm_usd = 0.0;
        path.im_usd = 0.0;
        path.withheld_to_spv_usd = 0.0;
    }

    fn finish(&self, path: &mut CsaPath, mtm_to_spv: f64, out: &mut CsaDayOutcome) {
        path.note_liquidity();
        let s = &mut path.summary;
        s.peak_vm_posted_by_trader_usd = s.peak_vm_posted_by_trader_usd.max(path.vm_usd);
        s.peak_vm_posted_by_spv_usd = s.peak_vm_posted_by_spv_usd.max(-path.vm_usd);
        out.vm_balance_usd = path.vm_usd;
        out.im_held_usd = path.im_usd;
        out.trader_liquidity_usd = path.trader_liquidity_usd;
        out.exposure_usd = match path.status {
            TraderStatus::ClosedOut(_) => 0.0,
            _ => (mtm_to_spv + path.withheld_to_spv_usd - path.vm_usd - path.im_usd).max(0.0),
        };
    }

    /// VM the SPV requires (positive) or must post (negative, bilateral only), dollars.
    #[inline]
    pub fn required_vm_usd(&self, mtm_to_spv: f64) -> f64 {
        let th = self.csa.threshold_usd;
        if mtm_to_spv > th {
            mtm_to_spv - th
        } else if self.csa.bilateral && -mtm_to_spv > th {
            mtm_to_spv + th
        } else {
            0.0
        }
    }

    /// Round a VM change to a multiple of `rounding_usd` (none when 0): deliveries (the balance
    /// moves away from zero, toward `required_vm`) are rounded up, returns rounded down, so the
    /// secured party is never left below its requirement by rounding.
    #[inline]
    fn round_vm(&self, d_vm: f64, required_vm: f64) -> f64 {
        let r = self.csa.rounding_usd;
        if r <= 0.0 {
            return d_vm;
        }
        let delivery = d_vm * required_vm > 0.0;
        let units = d_vm.abs() / r;
        d_vm.signum()
            * r
            * if delivery {
                units.ceil()
            } else {
                units.floor()
            }
    }
}

impl CsaPath {
    fn note_liquidity(&mut self) {
        let need = self.start_liquidity_usd - self.trader_liquidity_usd;
        self.summary.liquidity_need_peak_usd = self.summary.liquidity_need_peak_usd.max(need);
    }
}

#[cfg(test)]
mod tests {
    use super::powi_inline;

    #[test]
    fn inline_powi_has_the_intrinsics_bits() {
        for &a in &[0.3, 0.77, 1.0, 1.13, 2.9, 1e-3, 123.4] {
            for n in -16..=16 {
                assert_eq!(powi_inline(a, n).to_bits(), a.powi(n).to_bits(), "{a}^{n}");
            }
        }
    }
}
