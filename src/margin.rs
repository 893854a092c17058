//! Initial-margin sizing (`tenancy margin`).
use crate::cli::args::MarginArgs;
use crate::cli::CliError;

/// `tenancy margin`.
pub fn margin_command(_a: &MarginArgs) -> Result<(), CliError> {
    Err(CliError::run(anyhow::anyhow!(
        "margin sizing is being integrated"
    )))
}
