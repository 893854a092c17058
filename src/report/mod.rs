//! Reports: everything a run writes to disk and everything a reader sees.
//!
//! Owns the output folder layout (`summary.json`, `manifest.json`, `scenario.toml`,
//! `<table>.parquet`/`.csv`, `charts/<name>.png|.svg`, `report.html`), the atomic
//! write-then-rename of a run folder, reading a saved run back, and re-rendering charts and HTML.
//!
//! **Architecture invariant**: this is the only module that imports polars and plotters. It
//! computes no statistics: charts and the HTML page draw the tables and summary that `metrics`
//! produced. Must not: simulate, aggregate paths, or change a number it is given.

pub mod charts;
pub mod error;
pub mod html;
pub mod sample;
pub mod style;
pub mod summary;
pub mod tables;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use error::ReportError;

use crate::metrics::Table;

/// File names inside a run folder (one owner for the output layout).
pub mod files {
    /// Headline estimates with their Monte Carlo standard errors (pretty JSON).
    pub const SUMMARY: &str = "summary.json";
    /// Machine-dependent run facts: version, threads, wall time, command, creation time.
    pub const MANIFEST: &str = "manifest.json";
    /// The merged scenario the run used.
    pub const SCENARIO: &str = "scenario.toml";
    /// The self-contained HTML report.
    pub const REPORT: &str = "report.html";
    /// Sub-folder holding `<chart>.png` and `<chart>.svg`.
    pub const CHARTS_DIR: &str = "charts";
}

/// Everything a finished run hands to the report writer.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// Nested object with stable keys (`run.*`, `loan.*`, `swap.*`, `trader.*`, `margin.*`, ...).
    pub summary: serde_json::Value,
    /// Machine-dependent facts: `version`, `threads`, `wall_time_s`, `command`, `created_utc`.
    pub manifest: serde_json::Value,
    /// Aggregated result tables (`periods`, `loss_hist`, `sweep`, ...).
    pub tables: Vec<Table>,
    /// The merged scenario, echoed in the report.
    pub scenario_toml: String,
}

impl RunOutput {
    /// The table with this name, if the run produced it.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Which optional outputs [`write_run`] produces (Parquet tables and JSON are always written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Also write every table as `<table>.csv`.
    pub csv: bool,
    /// Render `charts/<name>.png` and `.svg`.
    pub charts: bool,
    /// Write `report.html` (charts are rendered for it even when `charts` is false, then removed).
    pub html: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            csv: false,
            charts: true,
            html: true,
        }
    }
}

/// Writes everything into a temporary sibling folder and renames it onto `dir` at the end
/// (replacing an older run), so a failure never leaves half-written output.
pub fn write_run(dir: &Path, out: &RunOutput, opts: &WriteOptions) -> Result<(), ReportError> {
    tables::validate_all(&out.tables)?;
    check_replaceable(dir)?;
    let staging = StagingDir::create(dir)?;
    // On error `staging` is dropped, which removes the partial folder.
    write_into(staging.path(), out, opts)?;
    staging.commit(dir)
}

/// Reads summary.json, manifest.json, scenario.toml and every *.parquet table back.
///
/// Tables come back sorted by name (the folder does not record the writer's order).
pub fn read_run(dir: &Path) -> Result<RunOutput, ReportError> {
    let summary = read_json(&dir.join(files::SUMMARY))?;
    let manifest = read_json(&dir.join(files::MANIFEST))?;
    let scenario_path = dir.join(files::SCENARIO);
    let scenario_toml =
        fs::read_to_string(&scenario_path).map_err(|e| ReportError::io(&scenario_path, e))?;
    let mut parquet_files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))? {
        let path = entry.map_err(|e| ReportError::io(dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "parquet") {
            parquet_files.push(path);
        }
    }
    parquet_files.sort();
    let tables = parquet_files
        .iter()
        .map(|p| tables::read_parquet(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RunOutput {
        summary,
        manifest,
        tables,
        scenario_toml,
    })
}

/// Re-renders charts and report.html from a saved run (for `tenancy report DIR`).
///
/// The new charts are rendered into a temporary folder first and swapped in at the end; the
/// tables, summary and manifest are left untouched.
pub fn rerender(dir: &Path) -> Result<(), ReportError> {
    let out = read_run(dir)?;
    let staging = StagingDir::create(&dir.join(files::CHARTS_DIR))?;
    let rendered = charts::render_all(&out, staging.path())?;
    let html = html::render(&out, &rendered)?;
    let html_tmp = dir.join(format!(".{}.tmp", files::REPORT));
    fs::write(&html_tmp, html).map_err(|e| ReportError::io(&html_tmp, e))?;
    if let Err(e) = staging.commit(&dir.join(files::CHARTS_DIR)) {
        let _ = fs::remove_file(&html_tmp);
        return Err(e);
    }
    let report = dir.join(files::REPORT);
    fs::rename(&html_tmp, &report).map_err(|e| ReportError::io(&report, e))
}

/// `dir` may be replaced only if it does not exist, is an empty folder, or holds an earlier run.
fn check_replaceable(dir: &Path) -> Result<(), ReportError> {
    let refuse = || ReportError::NotARunFolder {
        path: dir.to_path_buf(),
    };
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ReportError::io(dir, e)),
        Ok(meta) if !meta.is_dir() => Err(refuse()),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))?;
            if entries.next().is_none() || dir.join(files::SUMMARY).is_file() {
                Ok(())
            } else {
                Err(refuse())
            }
        }
    }
}

fn write_into(dir: &Path, out: &RunOutput, opts: &WriteOptions) -> Result<(), ReportError> {
    write_json(&dir.join(files::SUMMARY), &out.summary)?;
    write_json(&dir.join(files::MANIFEST), &out.manifest)?;
    let scenario = dir.join(files::SCENARIO);
    fs::write(&scenario, &out.scenario_toml).map_err(|e| ReportError::io(&scenario, e))?;
    for table in &out.tables {
        tables::write_parquet(&dir.join(format!("{}.parquet", table.name)), table)?;
        if opts.csv {
            tables::write_csv(&dir.join(format!("{}.csv", table.name)), table)?;
        }
    }
    if opts.charts || opts.html {
        let charts_dir = dir.join(files::CHARTS_DIR);
        fs::create_dir(&charts_dir).map_err(|e| ReportError::io(&charts_dir, e))?;
        let rendered = charts::render_all(out, &charts_dir)?;
        if opts.html {
            let report = dir.join(files::REPORT);
            let page = html::render(out, &rendered)?;
            fs::write(&report, page).map_err(|e| ReportError::io(&report, e))?;
        }
        if !opts.charts {
            fs::remove_dir_all(&charts_dir).map_err(|e| ReportError::io(&charts_dir, e))?;
        }
    }
    Ok(())
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), ReportError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| ReportError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    fs::write(path, text).map_err(|e| ReportError::io(path, e))
}

fn read_json(path: &Path) -> Result<serde_json::Value, ReportError> {
    let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| ReportError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// A hidden sibling folder that is removed on drop unless committed onto its target.
struct StagingDir {
    path: PathBuf,
    committed: bool,
}

impl StagingDir {
    /// Creates `.<name>.tmp-<pid>-<nanos>` next to `target` (creating `target`'s parent).
    fn create(target: &Path) -> Result<Self, ReportError> {
        let name = target
            .file_name()
            .ok_or_else(|| ReportError::BadTarget {
                path: target.to_path_buf(),
            })?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| ReportError::io(&parent, e))?;
        let path = parent.join(format!(".{name}.tmp-{}", unique_suffix()));
        fs::create_dir(&path).map_err(|e| ReportError::io(&path, e))?;
        Ok(Self {
            path,
            committed: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staged folder onto `target`, replacing (and then deleting) an older one.
    fn commit(mut self, target: &Path) -> Result<(), ReportError> {
        let old = if target.exists() {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let old = self
                .path
                .with_file_name(format!(".{name}.old-{}", unique_suffix()));
            fs::rename(target, &old).map_err(|e| ReportError::io(target, e))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = fs::rename(&self.path, target) {
            if let Some(old) = &old {
                let _ = fs::rename(old, target);
            }
            return Err(ReportError::io(target, e));
        }
        self.committed = true;
        // The new folder is in place; failing to delete the old one (hidden, `.…old-…`) must
        // not report the write as failed.
        if let Some(old) = old {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
