//! The report layer's error type. Must not: print, or carry polars/plotters types in its API.

use std::path::{Path, PathBuf};

/// Why writing, reading or rendering a run failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output folder has no usable name (e.g. `/` or `..`).
    #[error("{}: not a usable output folder name", path.display())]
    BadTarget {
        /// The requested folder.
        path: PathBuf,
    },
    /// The output path exists but is not an earlier run folder (no `summary.json`) nor empty;
    /// it is left alone rather than replaced.
    #[error("{}: exists and is not a tenancy run folder (no summary.json); refusing to replace it", path.display())]
    NotARunFolder {
        /// The requested folder.
        path: PathBuf,
    },
    /// JSON could not be written or parsed.
    #[error("{}: invalid JSON: {message}", path.display())]
    Json {
        /// The file involved.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A table violates the data contract (name, column lengths, duplicate columns).
    #[error("table `{table}`: {reason}")]
    InvalidTable {
        /// Table name.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// A table holds NaN or infinity; nothing is written.
    #[error("table `{table}`, column `{column}`, row {row}: non-finite value {value}")]
    NonFinite {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// Parquet/CSV encoding or decoding failed.
    #[error("{}: {message}", path.display())]
    Table {
        /// The file involved.
        path: PathBuf,
        /// Underlying message.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("chart `{chart}`: {message}")]
    Chart {
        /// Chart name.
        chart: String,
        /// Underlying message.
        message: String,
    },
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
