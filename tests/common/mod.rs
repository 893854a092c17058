//! Shared by the integration tests.

use std::path::Path;
use tenancy::scenario::{load_file, Scenario};

/// The scenario `scenarios/library/<file>`, loaded and validated (panics with the loader's
/// message otherwise).
pub fn library_scenario(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/library")
        .join(file);
    load_file(&path, &[])
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .scenario
}
