//! The amortizing GPU-backed loan: sizing and the contractual payment schedule (SPEC §7).
//!
//! Owns: principal sizing (advance rate, or "lesser of" for sculpted debt), the schedule of
//! interest and principal on each payment date, and the notional factor derived from it.
//! Must not: hold path state or move cash (that is `path` and `waterfall`).
//!
//! Conventions: payment k = 1..=tenor falls at time `k · payment_interval_days` days after close
//! (processed at the end of simulated day `k·I − 1`). The period rate is
//! `r = annual_rate · I / 365` (simple interest accrued per day). The first `grace_months`
//! payments are interest only; the remaining `n = tenor − grace` amortize:
//! - annuity: level debt service `A = P·r / (1 − (1+r)^−n)`;
//! - straight-line: principal `P/n` plus interest on the balance;
//! - sculpted: `DS_k = CFADS_k / target_dscr` on the base case, scaled down uniformly when the
//!   advance-rate limit binds. The sculpted principal is the PV at the loan rate of those debt
//!   services, discounted to the end of the grace period (the balance stays P while interest only
//!   is paid, so this is exactly the balance the amortizing payments retire).
//!
//! The last payment always retires the remaining balance exactly.

use super::ContractError;

/// One scheduled payment of the loan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduledPayment {
    /// Payment number, 1-based.
    pub number: u32,
    /// Days after close at which it is due.
    pub day: u32,
    /// Scheduled balance before the payment, $.
    pub balance_before_usd: f64,
    /// Interest due: balance_before · r, $.
    pub interest_usd: f64,
    /// Principal due, $ (negative only for a sculpted period whose debt service is below
    /// interest: the shortfall is capitalized).
    pub principal_usd: f64,
    /// Scheduled balance after the payment, $.
    pub balance_after_usd: f64,
}

impl ScheduledPayment {
    /// Debt service due (interest + principal), $.
    pub fn debt_service_usd(&self) -> f64 {
        self.interest_usd + self.principal_usd
    }
}

/// The contractual schedule of the loan.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanSchedule {
    /// Original principal, $.
    pub principal_usd: f64,
    /// Principal the advance rate alone allows (capex · advance_rate), $.
    pub advance_limit_usd: f64,
    /// Period interest rate r = annual_rate · interval / 365.
    pub period_rate: f64,
    /// Days between payments.
    pub payment_interval_days: u32,
    /// Interest-only payments at the start.
    pub grace_payments: u32,
    /// Payments 1..=tenor in order.
    pub payments: Vec<ScheduledPayment>,
}

/// How the amortizing debt service is shaped.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleShape<'a> {
    Annuity,
    StraightLine,
    /// Base-case CFADS per payment period (one entry per payment, $) and the target DSCR.
    Sculpted {
        cfads_usd: &'a [f64],
        target_dscr: f64,
    },
}

impl LoanSchedule {
    /// Build the schedule. `advance_limit_usd` = capex · advance rate.
    pub fn build(
        advance_limit_usd: f64,
        annual_rate: f64,
        tenor: u32,
        payment_interval_days: u32,
        grace: u32,
        shape: ScheduleShape<'_>,
    ) -> Result<Self, ContractError> {
        if tenor == 0 || grace >= tenor {
            return Err(ContractError::Schedule(format!(
                "tenor {tenor} payments must exceed the grace period {grace}"
            )));
        }
        if payment_interval_days == 0 {
            return Err(ContractError::Schedule(
                "payment interval must be at least one day".into(),
            ));
        }
        let r = annual_rate * f64::from(payment_interval_days) / crate::scenario::DAYS_PER_YEAR;
        let n = tenor - grace;
        // Amortizing debt service per amortizing payment (index 0 = payment grace+1), if shaped.
        let (principal, sculpted_ds): (f64, Option<Vec<f64>>) = match shape {
            ScheduleShape::Annuity | ScheduleShape::StraightLine => (advance_limit_usd, None),
            ScheduleShape::Sculpted {
                cfads_usd,
                target_dscr,
            } => {
                if cfads_usd.len() < tenor as usize || target_dscr <= 0.0 {
                    return Err(ContractError::Schedule(format!(
                        "sculpting needs base-case CFADS for {tenor} payment periods and a \
                         positive target DSCR (got {} periods, target {target_dscr})",
                        cfads_usd.len()
                    )));
                }
                let ds: Vec<f64> = cfads_usd[grace as usize..tenor as usize]
                    .iter()
                    .map(|c| c.max(0.0) / target_dscr)
                    .collect();
                let mut pv = 0.0;
                let mut df = 1.0;
                for d in &ds {
                    df /= 1.0 + r;
                    pv += d * df;
                }
                if pv <= 0.0 {
                    return Err(ContractError::Schedule(
                        "base-case CFADS over the amortizing periods is not positive: \
                         sculpted debt cannot be sized"
                            .into(),
                    ));
                }
                if pv <= advance_limit_usd {
                    (pv, Some(ds))
                } else {
                    let scale = advance_limit_usd / pv;
                    (
                        advance_limit_usd,
                        Some(ds.iter().map(|d| d * scale).collect()),
                    )
                }
            }
        };
        if !(principal.is_finite() && principal > 0.0) {
            return Err(ContractError::Schedule(format!(
                "loan principal must be positive and finite, got {principal}"
            )));
        }
        let annuity = if r > 0.0 {
            principal * r / (1.0 - (1.0 + r).powi(-(n as i32)))
        } else {
            principal / f64::from(n)
        };
        let mut payments = Vec::with_capacity(tenor as usize);
        let mut balance = principal;
        for k in 1..=tenor {
            let interest = balance * r;
            let principal_k = if k <= grace {
                0.0
            } else if k == tenor {
                balance
            } else {
                let j = (k - grace - 1) as usize;
                match &sculpted_ds {
                    Some(ds) => ds[j] - interest,
                    None => match shape {
                        ScheduleShape::StraightLine => principal / f64::from(n),
                        _ => annuity - interest,
                    },
                }
            };
            let after = if k == tenor {
                0.0
            } else {
                balance - principal_k
            };
            payments.push(ScheduledPayment {
                number: k,
                day: k * payment_interval_days,
                balance_before_usd: balance,
                interest_usd: interest,
                principal_usd: principal_k,
                balance_after_usd: after,
            });
            balance = after;
        }
        Ok(Self {
            principal_usd: principal,
            advance_limit_usd,
            period_rate: r,
            payment_interval_days,
            grace_payments: grace,
            payments,
        })
    }

    /// Day of the final payment (maturity), days after close.
    pub fn maturity_day(&self) -> u32 {
        self.payments.last().map_or(0, |p| p.day)
    }

    /// Number of payments made at or before time `day` (payments at time `day` count).
    pub fn payments_made_by(&self, day: u32) -> usize {
        ((day / self.payment_interval_days) as usize).min(self.payments.len())
    }

    /// Scheduled balance outstanding at time `day`, $ (steps down at payment days).
    pub fn balance_at(&self, day: u32) -> f64 {
        match self.payments_made_by(day) {
            0 => self.principal_usd,
            k => self.payments[k - 1].balance_after_usd,
        }
    }

    /// Notional factor n(t) = scheduled balance at time `day` / original principal.
    pub fn notional_factor(&self, day: u32) -> f64 {
        (self.balance_at(day) / self.principal_usd).max(0.0)
    }

    /// Debt service of payment `number` (1-based), 0 outside the schedule, $.
    pub fn debt_service_usd(&self, number: usize) -> f64 {
        number
            .checked_sub(1)
            .and_then(|i| self.payments.get(i))
            .map_or(0.0, ScheduledPayment::debt_service_usd)
    }
}
