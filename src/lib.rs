//! tenancy: Monte Carlo stress simulator for financing GPU clusters hedged with a tenancy swap.
//!
//! Data flow (one way): `scenario` (TOML → validated [`scenario::Scenario`]) → `market` and
//! `shocks` (factor paths) → `engine` (per-path streams, rayon batches) → `contract` (cluster,
//! loan, swap, waterfall, CSA) → `metrics` (streaming accumulators, summary, tables) → `report`
//! (Parquet, charts, HTML). See `ARCHITECTURE.md`.

pub mod app;
pub mod attribution;
pub mod cli;
pub mod contract;
pub mod csa;
pub mod engine;
pub mod exposure;
pub mod margin;
pub mod market;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod shocks;
