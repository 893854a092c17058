//! The `tenancy` binary: parse arguments, run the command, print errors, exit 0/1/2.
//! Exit code 2 = bad input (scenario, flags, files), 1 = a failure while running.

use std::process::ExitCode;

fn main() -> ExitCode {
    match tenancy::cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {:#}", e.error);
            ExitCode::from(e.code)
        }
    }
}
