//! Layer shocks (SPEC §5, seed 000): per-path draws of the validated [`crate::scenario::Shock`]s
//! and the daily [`Overlay`] they put on the market factors and the cluster.
//!
//! Owns: arrival and magnitude sampling (one random stream per shock, handed in by the engine),
//! the time profile of each shape, the conversion of magnitudes into overlay fields, and the
//! combination of several shocks on the same day.
//! Must not: read files, know TOML or the presets (that is `scenario/`), create random generators,
//! or step the market factors (the engine applies the overlay; see the field docs of [`Overlay`]).
//!
//! Conventions (documented in `docs/shocks.md`):
//! - a relative change `m` at weight `w` moves a log field by `ln(1 + m) · w` (geometric
//!   interpolation: the multiplier is `(1 + m)^w`), with `m` floored at [`MIN_RELATIVE_CHANGE`];
//! - utilization points are fractions of capacity (0.05 = five percentage points);
//! - capacity factors multiply `clamp(1 − m·w, 0, 1)`.

mod overlay;
mod path;
mod shape;

pub use overlay::Overlay;
pub use path::{Occurrence, PathShocks, MAX_POISSON_OCCURRENCES, MIN_RELATIVE_CHANGE};
pub use shape::shape_weight;
