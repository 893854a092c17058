//! Raw command-line flags (clap only). `cli::mod` turns them into validated settings.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Monte Carlo stress simulator for financing GPU clusters hedged with a tenancy swap.
#[derive(Debug, Parser)]
#[command(name = "tenancy", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the embedded base scenario when no file is given) and write its report.
    Run(RunArgs),
    /// Sweep one or more scenario keys on common random numbers.
    Sweep(SweepArgs),
    /// Initial-margin sizing report for a scenario.
    Margin(MarginArgs),
    /// Validate a scenario file and report every problem at once.
    Validate { file: PathBuf },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Merge shard outputs (`run --shard I/N`) into one run.
    Merge {
        /// Shard output folders.
        dirs: Vec<PathBuf>,
        /// Output folder of the merged run.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        common: OutputArgs,
    },
    /// Re-render charts and report.html from a saved run folder.
    Report { dir: PathBuf },
    /// Validate a LayeredComputeExposure record and write its layer coverage statement.
    Exposure {
        file: PathBuf,
        /// Quantify the excluded layers' risk with this scenario's layer attribution.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Paths for the attribution runs.
        #[arg(long, default_value_t = 4000)]
        paths: u64,
        /// Write the statement (Markdown) here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Flags shared by commands that simulate.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Number of Monte Carlo paths (default: the scenario's `simulation.paths`).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Seed (default: the scenario's `simulation.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Override a scenario key, e.g. `--set swap.strike_utilization=0.6` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Antithetic variates (same as `--set simulation.antithetic=true`).
    #[arg(long)]
    pub antithetic: bool,
    /// Add an importance-sampling pass for rare loan defaults (same as `--set
    /// simulation.importance_sampling=true`; the shift is `simulation.importance_shift_sd`).
    #[arg(long)]
    pub importance_sampling: bool,
}

/// Flags shared by commands that write an output folder.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Also write every table as CSV.
    #[arg(long)]
    pub csv: bool,
    /// Skip charts and report.html (tables and summary only).
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); omitted = the embedded base scenario.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run shard I of N (1-based, e.g. 2/4) and write a mergeable partial result.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Rerun with each layer's shocks switched off and report each layer's contribution (the
    /// default when the scenario has shocks).
    #[arg(long)]
    pub attribute_layers: bool,
    /// Skip the layer attribution of a scenario with shocks.
    #[arg(long, conflicts_with = "attribute_layers")]
    pub no_attribution: bool,
    /// Also write `paths.parquet`: one row per path with its outcomes (memory grows with paths).
    #[arg(long)]
    pub paths_table: bool,
    /// Run batches of `--paths` paths until a summary estimate's standard error is at most the
    /// target, e.g. `--target-se loan.hedged.pd=0.001` (reads `loan.hedged.pd_se`).
    #[arg(long, value_name = "KEY=SE")]
    pub target_se: Option<String>,
    /// Cap on the total paths of a `--target-se` run.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_paths: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML); omitted = the embedded base scenario.
    pub scenario: Option<PathBuf>,
    /// A `--set KEY=START:STOP:STEP` or `--set KEY=a,b,c` is a sweep axis (two make a grid); a
    /// plain `--set KEY=VALUE` fixes a key for every point.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/<scenario name>-sweep).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct MarginArgs {
    /// Scenario file (TOML); omitted = the embedded base scenario.
    pub scenario: Option<PathBuf>,
    /// The stress: price=-0.5,utilization=0.2,days=30 (the seed-002 stress by default).
    #[arg(long, default_value = "price=-0.5,utilization=0.2,days=30")]
    pub stress: String,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/<scenario name>-margin).
    #[arg(long)]
    pub out: Option<PathBuf>,
}
