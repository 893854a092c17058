//! The command line: parse flags (clap, in [`args`]), turn them into settings, call [`crate::app`],
//! and map every failure to an exit code. Bad input (scenario, flags, files) exits 2; a failure
//! while running exits 1. Must not: simulate or write results itself.

pub mod args;
pub mod progress;

use crate::app;
use args::{Cli, Command};
use clap::Parser;

/// An error with the process exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub error: anyhow::Error,
    pub code: u8,
}

impl CliError {
    /// Bad input: exit code 2.
    pub fn input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            code: 2,
        }
    }
    /// A failure while running: exit code 1.
    pub fn run(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            code: 1,
        }
    }
}

/// Parse `std::env::args` and run the command.
pub fn main() -> Result<(), CliError> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            if code == 0 {
                return Ok(());
            }
            return Err(CliError {
                error: anyhow::anyhow!("invalid command line (see above)"),
                code,
            });
        }
    };
    match cli.command {
        Command::Run(a) => app::run_command(&a),
        Command::Sweep(a) => app::sweep_command(&a),
        Command::Margin(a) => crate::margin::margin_command(&a),
        Command::Validate { file } => app::validate_command(&file),
        Command::Schema => {
            println!("{}", crate::scenario::json_schema());
            Ok(())
        }
        Command::Merge { dirs, out, common } => app::merge_command(&dirs, &out, &common),
        Command::Report { dir } => app::report_command(&dir),
        Command::Exposure {
            file,
            scenario,
            paths,
            out,
        } => app::exposure_command(&file, scenario.as_deref(), paths, out.as_deref()),
    }
}
