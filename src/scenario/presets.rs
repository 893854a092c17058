//! Named layer-shock presets (SPEC §5, seed 000's layer shock matrix): the documented default
//! of every shock key, which a `[[shocks]]` entry with `preset = "..."` may override key by key.
//!
//! Owns the preset table and its reasoning. Must not: validate (a preset expands into a
//! `RawShock` that goes through the same checks as a hand-written one) or simulate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::raw::{RawArrival, RawMagnitude, RawShape, RawShock, RawShockTarget};

/// A named preset shock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// L0: grid interconnection delay; commissioning slips, interest still accrues.
    GridDelay,
    /// L0: power curtailment events remove part of the capacity for a few days.
    Curtailment,
    /// L1: HBM shortage; memory-rich capacity reprices up for a period.
    HbmShortage,
    /// L1: a new GPU generation ramps; the price mean curve steps down.
    NewGeneration,
    /// L3: serving/quantization efficiency gain; price level down, some demand up.
    EfficiencyGain,
    /// L8: longer contexts raise memory pressure; memory-rich SKUs reprice up.
    ContextGrowth,
    /// L15: sovereign / non-substitutable demand; operator basis widens.
    Sovereign,
    /// L11: the index methodology changes; the index moves relative to operator prices.
    MethodologyChange,
}

/// One row of the preset table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresetDefaults {
    pub preset: Preset,
    /// The name used in reports and in `preset = "..."`.
    pub name: &'static str,
    /// Layer number (the `n` of `Ln`).
    pub layer: u8,
    /// Probability of occurrence within the horizon (probability arrivals) or arrivals per
    /// year (Poisson arrivals, see `poisson`).
    pub rate: f64,
    /// True: Poisson arrivals at `rate` per year; false: one arrival with probability `rate`.
    pub poisson: bool,
    /// Probability arrivals: the arrival day is always 0 (true) or uniform over the horizon.
    pub at_day_zero: bool,
    /// Fixed magnitude, in the target's unit (see `model::ShockTarget`).
    pub magnitude: f64,
    pub shape: PresetShape,
    pub target: RawShockTarget,
    /// Extra utilization points per unit of relative price change.
    pub demand_elasticity: f64,
    /// Why these defaults (shown in `docs/scenario-format.md`).
    pub rationale: &'static str,
}

/// Shape of a preset (a `Copy` mirror of `RawShape`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PresetShape {
    Step,
    Ramp { days: u32 },
    Pulse { days: u32 },
}

/// The preset table, in layer order.
pub const PRESETS: [PresetDefaults; 8] = [
    // Grid delay: interconnection queues are the most common reason a new AI site misses its
    // date (seed 000, L0). A 30 % chance that the cluster's energization slips by four months
    // (120 days) is a middle-of-the-road assumption for a site that is not yet energized; the
    // delay is known at close (day 0), so it shifts commissioning, not a running cluster.
    PresetDefaults {
        preset: Preset::GridDelay,
        name: "grid_delay",
        layer: 0,
        rate: 0.3,
        poisson: false,
        at_day_zero: true,
        magnitude: 120.0,
        shape: PresetShape::Step,
        target: RawShockTarget::CommissioningDate,
        demand_elasticity: 0.0,
        rationale: "30 % chance that energization slips 120 days, known at close",
    },
    // Curtailment: demand-response and grid-emergency events happen a few times a year
    // (4/yr); each removes a quarter of the capacity (a flexible-load agreement curtailing one
    // hall) for 3 days.
    PresetDefaults {
        preset: Preset::Curtailment,
        name: "curtailment",
        layer: 0,
        rate: 4.0,
        poisson: true,
        at_day_zero: false,
        magnitude: 0.25,
        shape: PresetShape::Pulse { days: 3 },
        target: RawShockTarget::Capacity,
        demand_elasticity: 0.0,
        rationale: "4 events a year, each removing 25 % of capacity for 3 days",
    },
    // HBM shortage: memory allocation squeezes (2023-2024) repriced memory-rich GPUs up by
    // tens of per cent for about half a year; 30 % chance over the loan, +20 % price level
    // for 180 days.
    PresetDefaults {
        preset: Preset::HbmShortage,
        name: "hbm_shortage",
        layer: 1,
        rate: 0.3,
        poisson: false,
        at_day_zero: false,
        magnitude: 0.20,
        shape: PresetShape::Pulse { days: 180 },
        target: RawShockTarget::PriceLevel,
        demand_elasticity: 0.0,
        rationale: "30 % chance of +20 % price level for 180 days",
    },
    // New generation: a new GPU generation ships roughly every two years, so an even chance
    // within a multi-year loan; older fleets reprice ~30 % lower over the ~9 months the new
    // parts take to ramp. It moves the mean curve, so collateral falls through the price
    // ratio as well.
    PresetDefaults {
        preset: Preset::NewGeneration,
        name: "new_generation",
        layer: 1,
        rate: 0.5,
        poisson: false,
        at_day_zero: false,
        magnitude: -0.30,
        shape: PresetShape::Ramp { days: 270 },
        target: RawShockTarget::PriceMeanCurve,
        demand_elasticity: 0.0,
        rationale: "50 % chance the mean curve falls 30 % over 270 days (collateral follows)",
    },
    // Efficiency gain: serving and quantization gains (L3/L4) raise effective supply on
    // installed hardware: −25 % price level over 4 months with a 40 % chance; cheaper compute
    // pulls some demand back (0.2 utilization points per unit of relative price change).
    PresetDefaults {
        preset: Preset::EfficiencyGain,
        name: "efficiency_gain",
        layer: 3,
        rate: 0.4,
        poisson: false,
        at_day_zero: false,
        magnitude: -0.25,
        shape: PresetShape::Ramp { days: 120 },
        target: RawShockTarget::PriceLevel,
        demand_elasticity: 0.2,
        rationale: "40 % chance of −25 % price level over 120 days, demand elasticity 0.2",
    },
    // Context growth: longer context windows make KV-cache memory the binding constraint
    // (L8-L9), lifting the value of memory-rich SKUs: +10 % on the mean curve over 6 months,
    // 30 % chance.
    PresetDefaults {
        preset: Preset::ContextGrowth,
        name: "context_growth",
        layer: 8,
        rate: 0.3,
        poisson: false,
        at_day_zero: false,
        magnitude: 0.10,
        shape: PresetShape::Ramp { days: 180 },
        target: RawShockTarget::PriceMeanCurve,
        demand_elasticity: 0.0,
        rationale: "30 % chance the mean curve rises 10 % over 180 days",
    },
    // Sovereign: part of demand becomes non-substitutable (regulated workloads must stay
    // in-jurisdiction), so an operator outside that pool earns less than the index: the basis
    // widens by −0.10 log (≈ −10 %) permanently, 30 % chance.
    PresetDefaults {
        preset: Preset::Sovereign,
        name: "sovereign",
        layer: 15,
        rate: 0.3,
        poisson: false,
        at_day_zero: false,
        magnitude: -0.10,
        shape: PresetShape::Step,
        target: RawShockTarget::OperatorBasis,
        demand_elasticity: 0.0,
        rationale: "30 % chance the operator basis widens by −0.10 log, permanently",
    },
    // Methodology change: index providers re-weight venues or SKUs (L11); the index jumps
    // +10 % relative to realized operator prices with no physical change, 20 % chance.
    PresetDefaults {
        preset: Preset::MethodologyChange,
        name: "methodology_change",
        layer: 11,
        rate: 0.2,
        poisson: false,
        at_day_zero: false,
        magnitude: 0.10,
        shape: PresetShape::Step,
        target: RawShockTarget::IndexMethodology,
        demand_elasticity: 0.0,
        rationale: "20 % chance the index steps +10 % against operator prices",
    },
];

impl Preset {
    /// Every preset, in layer order.
    pub const ALL: [Preset; 8] = [
        Preset::GridDelay,
        Preset::Curtailment,
        Preset::HbmShortage,
        Preset::NewGeneration,
        Preset::EfficiencyGain,
        Preset::ContextGrowth,
        Preset::Sovereign,
        Preset::MethodologyChange,
    ];

    /// This preset's row of [`PRESETS`].
    pub fn defaults(self) -> &'static PresetDefaults {
        // Invariant: PRESETS has one row per variant (tested below).
        PRESETS
            .iter()
            .find(|row| row.preset == self)
            .unwrap_or(&PRESETS[0])
    }

    /// The preset as a fully specified raw shock (the probability window is the whole
    /// horizon: `last_day` left to the horizon default).
    pub fn expand(self) -> RawShock {
        let d = self.defaults();
        let arrival = if d.poisson {
            RawArrival::Poisson {
                rate_per_year: d.rate,
            }
        } else {
            RawArrival::Probability {
                probability: d.rate,
                first_day: 0,
                last_day: if d.at_day_zero { Some(0) } else { None },
            }
        };
        let shape = match d.shape {
            PresetShape::Step => RawShape::Step,
            PresetShape::Ramp { days } => RawShape::Ramp { days },
            PresetShape::Pulse { days } => RawShape::Pulse { days },
        };
        RawShock {
            preset: Some(self),
            name: Some(d.name.to_owned()),
            layer: Some(format!("L{}", d.layer)),
            arrival: Some(arrival),
            magnitude: Some(RawMagnitude::Number(d.magnitude)),
            shape: Some(shape),
            target: Some(d.target),
            demand_elasticity: Some(d.demand_elasticity),
        }
    }
}

/// A shock entry with its preset's defaults filled in for every key the user left out.
pub fn apply_preset(shock: &RawShock) -> RawShock {
    let Some(preset) = shock.preset else {
        return shock.clone();
    };
    let base = preset.expand();
    RawShock {
        preset: Some(preset),
        name: shock.name.clone().or(base.name),
        layer: shock.layer.clone().or(base.layer),
        arrival: shock.arrival.clone().or(base.arrival),
        magnitude: shock.magnitude.clone().or(base.magnitude),
        shape: shock.shape.clone().or(base.shape),
        target: shock.target.or(base.target),
        demand_elasticity: shock.demand_elasticity.or(base.demand_elasticity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_preset_and_names_match_serde() {
        for (i, p) in Preset::ALL.iter().enumerate() {
            assert_eq!(PRESETS[i].preset, *p);
            let json = serde_json::to_string(p).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", PRESETS[i].name));
        }
    }

    #[test]
    fn user_keys_override_preset_defaults() {
        let user = RawShock {
            preset: Some(Preset::GridDelay),
            magnitude: Some(RawMagnitude::Number(200.0)),
            ..RawShock::default()
        };
        let merged = apply_preset(&user);
        assert_eq!(merged.magnitude, Some(RawMagnitude::Number(200.0)));
        assert_eq!(merged.layer.as_deref(), Some("L0"));
        assert_eq!(merged.target, Some(RawShockTarget::CommissioningDate));
        assert_eq!(
            merged.arrival,
            Some(RawArrival::Probability {
                probability: 0.3,
                first_day: 0,
                last_day: Some(0)
            })
        );
    }
}
