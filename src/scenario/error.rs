//! Errors of the scenario front end: one [`ScenarioError`] per problem, all of them collected
//! into [`ScenarioErrors`] so a user fixes a file in one pass.
//!
//! Owns the message format `file:line: key.path: message`. Must not: decide what is valid (that
//! is `validate`) or locate keys in files (that is `source`).

use std::fmt;

/// One problem in a scenario, located by file, line (when known) and dotted key path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file that defined the offending key (as given by the user, or `--set` for an
    /// override, or the label passed to `load_str`).
    pub file: String,
    /// 1-based line of the key in `file`, or of its parent table; `None` when unknown.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `market.price.sigma_per_sqrt_year` or `shocks[2].magnitude`;
    /// empty for a whole-file problem.
    pub key: String,
    /// What is wrong, e.g. `must be >= 0, got -0.2`.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.key, self.message)
        }
    }
}

/// All problems found in a scenario, in file order (then key order). Never empty when returned
/// as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl ScenarioErrors {
    /// The individual problems.
    pub fn errors(&self) -> &[ScenarioError] {
        &self.0
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ScenarioError> for ScenarioErrors {
    fn from(e: ScenarioError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_line_key_message() {
        let e = ScenarioError {
            file: "scenarios/x.toml".into(),
            line: Some(42),
            key: "market.price.sigma_per_sqrt_year".into(),
            message: "must be >= 0, got -0.2".into(),
        };
        assert_eq!(
            e.to_string(),
            "scenarios/x.toml:42: market.price.sigma_per_sqrt_year: must be >= 0, got -0.2"
        );
        let no_line = ScenarioError {
            line: None,
            key: String::new(),
            ..e.clone()
        };
        assert_eq!(
            no_line.to_string(),
            "scenarios/x.toml: must be >= 0, got -0.2"
        );
        let all = ScenarioErrors(vec![e.clone(), no_line]);
        assert_eq!(all.to_string().lines().count(), 2);
    }
}
