//! [`Table`] ⇄ polars `DataFrame` of `f64` columns, Parquet and CSV files.
//!
//! Owns the table file format: one Float64 column per table column, in order, no nulls; reading
//! back gives the same names, order and bit-identical values. Must not: reorder, round or
//! otherwise alter values.

use std::fs::File;
use std::path::Path;

use polars::prelude::{
    CsvWriter, DataFrame, DataType, ParquetReader, ParquetWriter, SerReader, SerWriter,
};

use super::ReportError;
use crate::metrics::Table;

/// Checks every table against the data contract before anything is written: a usable file
/// stem, unique non-empty column names, equal column lengths, finite values only.
pub fn validate_all(tables: &[Table]) -> Result<(), ReportError> {
    let mut seen = std::collections::BTreeSet::new();
    for table in tables {
        validate(table)?;
        if !seen.insert(table.name.as_str()) {
            return Err(invalid(table, "two tables share this name"));
        }
    }
    Ok(())
}

/// Checks one table (see [`validate_all`]).
pub fn validate(table: &Table) -> Result<(), ReportError> {
    let stem_ok = !table.name.is_empty()
        && !table.name.starts_with('.')
        && table
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !stem_ok {
        return Err(invalid(
            table,
            "name must be non-empty ASCII letters, digits, '_' or '-'",
        ));
    }
    let rows = table.rows();
    let mut names = std::collections::BTreeSet::new();
    for (name, values) in &table.columns {
        if name.is_empty() {
            return Err(invalid(table, "a column has an empty name"));
        }
        if !names.insert(name.as_str()) {
            return Err(invalid(table, &format!("column `{name}` appears twice")));
        }
        if values.len() != rows {
            return Err(invalid(
                table,
                &format!(
                    "column `{name}` has {} rows, the first column {rows}",
                    values.len()
                ),
            ));
        }
        if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ReportError::NonFinite {
                table: table.name.clone(),
                column: name.clone(),
                row,
                value,
            });
        }
    }
    Ok(())
}

fn invalid(table: &Table, reason: &str) -> ReportError {
    ReportError::InvalidTable {
        table: table.name.clone(),
        reason: reason.to_string(),
    }
}

/// The table as a DataFrame of Float64 columns in the same order.
pub fn to_dataframe(table: &Table) -> Result<DataFrame, ReportError> {
    let columns = table
        .columns
        .iter()
        .map(|(name, values)| polars::prelude::Column::new(name.as_str().into(), values.as_slice()))
        .collect();
    DataFrame::new(columns).map_err(|e| invalid(table, &e.to_string()))
}

/// Converts a DataFrame back into a table named `name`; every column must be Float64 without nulls.
pub fn from_dataframe(name: &str, df: &DataFrame) -> Result<Table, String> {
    let mut table = Table::new(name);
    for column in df.get_columns() {
        if column.dtype() != &DataType::Float64 {
            return Err(format!(
                "column `{}` is {}, expected f64",
                column.name(),
                column.dtype()
            ));
        }
        let values = column.f64().map_err(|e| e.to_string())?;
        let values: Option<Vec<f64>> = values.into_iter().collect();
        let values =
            values.ok_or_else(|| format!("column `{}` has missing values", column.name()))?;
        table.push(column.name().as_str(), values);
    }
    Ok(table)
}

/// Writes `<table>.parquet` (uncompressed-safe defaults of polars).
pub fn write_parquet(path: &Path, table: &Table) -> Result<(), ReportError> {
    let mut df = to_dataframe(table)?;
    let file = File::create(path).map_err(|e| ReportError::io(path, e))?;
    ParquetWriter::new(file)
        .finish(&mut df)
        .map_err(|e| table_error(path, e))?;
    Ok(())
}

/// Writes `<table>.csv` with a header row; floats use the shortest text that parses back exactly.
pub fn write_csv(path: &Path, table: &Table) -> Result<(), ReportError> {
    let mut df = to_dataframe(table)?;
    let file = File::create(path).map_err(|e| ReportError::io(path, e))?;
    CsvWriter::new(file)
        .include_header(true)
        .finish(&mut df)
        .map_err(|e| table_error(path, e))
}

/// Reads a Parquet table; its name is the file stem.
pub fn read_parquet(path: &Path) -> Result<Table, ReportError> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File::open(path).map_err(|e| ReportError::io(path, e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| table_error(path, e))?;
    from_dataframe(&name, &df).map_err(|message| ReportError::Table {
        path: path.to_path_buf(),
        message,
    })
}

fn table_error(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_ragged_and_non_finite_tables() {
        let ragged = Table {
            name: "t".into(),
            columns: vec![("a".into(), vec![1.0]), ("b".into(), vec![])],
        };
        assert!(matches!(
            validate(&ragged),
            Err(ReportError::InvalidTable { .. })
        ));
        let nan = Table::new("t").with("a", vec![0.0, f64::NAN]);
        assert!(matches!(
            validate(&nan),
            Err(ReportError::NonFinite { row: 1, .. })
        ));
        let bad_name = Table::new("../x").with("a", vec![0.0]);
        assert!(validate(&bad_name).is_err());
        let dup = Table::new("t").with("a", vec![0.0]).with("a", vec![1.0]);
        assert!(validate(&dup).is_err());
    }

    #[test]
    fn dataframe_round_trip_is_bit_exact() {
        let values = vec![
            0.1,
            -0.0,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            1.0 / 3.0,
            -2.5e17,
        ];
        let table = Table::new("t")
            .with("x", values.clone())
            .with("y", values.iter().map(|v| v * 3.0).collect());
        let df = to_dataframe(&table).unwrap();
        let back = from_dataframe("t", &df).unwrap();
        assert_eq!(back.columns.len(), 2);
        for ((n0, c0), (n1, c1)) in table.columns.iter().zip(&back.columns) {
            assert_eq!(n0, n1);
            let bits0: Vec<u64> = c0.iter().map(|v| v.to_bits()).collect();
            let bits1: Vec<u64> = c1.iter().map(|v| v.to_bits()).collect();
            assert_eq!(bits0, bits1);
        }
    }
}
