//! The time profile of a shock: weight `w(age)` in [0, 1] for each [`Shape`].
//!
//! Owns the one definition of every shape, used by the per-path precomputation and by tests.
//! Must not: know targets or magnitudes.

use crate::scenario::Shape;

/// Weight of a shock `age_days` days after its arrival day (age 0 = the arrival day itself).
///
/// - `Step`: 1 from the arrival day on.
/// - `Ramp { days }`: `min(age / days, 1)`: 0 on the arrival day, 1 from `days` days later on
///   (`days == 0` is a step).
/// - `Pulse { days }`: 1 for ages `0 ..= days − 1`, then 0 (`days == 0` never acts).
/// - `Decay { half_life_days }`: `2^(−age / half_life_days)`: 1 on the arrival day, 0.5 one
///   half-life later. A non-positive or non-finite half-life acts on the arrival day only.
pub fn shape_weight(shape: Shape, age_days: u32) -> f64 {
    match shape {
        Shape::Step => 1.0,
        Shape::Ramp { days } => {
            if age_days >= days {
                1.0
            } else {
                f64::from(age_days) / f64::from(days)
            }
        }
        Shape::Pulse { days } => {
            if age_days < days {
                1.0
            } else {
                0.0
            }
        }
        Shape::Decay { half_life_days } => {
            if age_days == 0 {
                1.0
            } else if half_life_days.is_finite() && half_life_days > 0.0 {
                (-f64::from(age_days) / half_life_days).exp2()
            } else {
                0.0
            }
        }
    }
}

/// Number of days (from the arrival day) after which the weight is zero for good, or `None` if
/// the shape can stay non-zero to the end of the horizon.
pub(crate) fn active_days(shape: Shape) -> Option<u32> {
    match shape {
        Shape::Pulse { days } => Some(days),
        Shape::Decay { half_life_days }
            if !(half_life_days.is_finite() && half_life_days > 0.0) =>
        {
            Some(1)
        }
        Shape::Step | Shape::Ramp { .. } | Shape::Decay { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_is_linear_from_zero_to_one() {
        let s = Shape::Ramp { days: 4 };
        let w: Vec<f64> = (0..6).map(|a| shape_weight(s, a)).collect();
        assert_eq!(w, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.0]);
        assert_eq!(shape_weight(Shape::Ramp { days: 0 }, 0), 1.0);
    }

    #[test]
    fn pulse_lasts_exactly_its_days() {
        let s = Shape::Pulse { days: 3 };
        let w: Vec<f64> = (0..5).map(|a| shape_weight(s, a)).collect();
        assert_eq!(w, vec![1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(active_days(s), Some(3));
        assert_eq!(shape_weight(Shape::Pulse { days: 0 }, 0), 0.0);
    }

    #[test]
    fn decay_halves_every_half_life() {
        let s = Shape::Decay {
            half_life_days: 10.0,
        };
        assert_eq!(shape_weight(s, 0), 1.0);
        assert!((shape_weight(s, 10) - 0.5).abs() < 1e-15);
        assert!((shape_weight(s, 20) - 0.25).abs() < 1e-15);
        assert!((shape_weight(s, 5) - 0.5f64.sqrt()).abs() < 1e-15);
        let degenerate = Shape::Decay {
            half_life_days: 0.0,
        };
        assert_eq!(
            (shape_weight(degenerate, 0), shape_weight(degenerate, 1)),
            (1.0, 0.0)
        );
    }
}
