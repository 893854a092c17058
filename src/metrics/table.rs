//! Columnar tables of aggregated results: the data contract between `metrics` and `report`.
//!
//! A [`Table`] is a named list of equally long `f64` columns. Metrics build them; `report`
//! writes them (Parquet/CSV via polars), reads them back (`tenancy report DIR`) and draws charts
//! from them. Must not: know about files, polars or plotters.

/// A named set of equally long numeric columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// File stem, e.g. `periods` → `periods.parquet`.
    pub name: String,
    /// (column name, values); every column has the same length.
    pub columns: Vec<(String, Vec<f64>)>,
}

impl Table {
    /// An empty table with this name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            columns: Vec::new(),
        }
    }

    /// Append a column (builder style). Panics in debug builds if the length differs.
    pub fn with(mut self, column: impl Into<String>, values: Vec<f64>) -> Self {
        self.push(column, values);
        self
    }

    /// Append a column.
    pub fn push(&mut self, column: impl Into<String>, values: Vec<f64>) {
        debug_assert!(self
            .columns
            .first()
            .is_none_or(|(_, c)| c.len() == values.len()));
        self.columns.push((column.into(), values));
    }

    /// Number of rows (0 for a table without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    }
}
