//! Activity as loading leaves it for the computing pass, which checks and
//! folds it in one read (`insights::one_pass`).
//!
//! A plain CSV file is read where it is, through a handle opened at load,
//! by the record reader (`csv_pieces`), which does not map it; only when
//! polars must read it (to name the record of a file that cannot be read
//! through) is it copied into the scratch folder first, as every file
//! polars reads is (see `raw::open`). On an export of gigabytes the copy
//! took as long as a quarter of the run.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use polars::prelude::DataType;

use super::lines;
use super::locate::{Format, TableFile};
use super::raw::{self, CsvFields, RawTable};
use crate::problems::Problem;

/// Activity not yet checked.
pub struct UncheckedActivity {
    file: TableFile,
    display: String,
    scratch: PathBuf,
    csv: Option<CsvSource>,
    /// The file opened by polars: at load for Parquet and `.csv.gz`, on
    /// first need for a plain CSV.
    opened: OnceLock<Result<RawTable, Vec<Problem>>>,
}

/// A CSV file held open for the record reader: the export itself, or the
/// decompressed copy of a `.csv.gz`.
pub(crate) struct CsvSource {
    pub file: File,
    pub fields: CsvFields,
}

impl UncheckedActivity {
    /// Opens activity's `file`; `scratch` receives what polars reads.
    pub(super) fn open(file: &TableFile, scratch: &Path) -> Result<Self, Vec<Problem>> {
        let unreadable = |err: std::io::Error| {
            vec![Problem::file(
                file.display_name(),
                format!("a readable file ({err})"),
            )]
        };
        let opened = OnceLock::new();
        let csv = if file.format == Format::Csv {
            let fields = raw::csv_fields(file, &file.path)?;
            let handle = File::open(&file.path).map_err(unreadable)?;
            Some(CsvSource {
                file: handle,
                fields,
            })
        } else {
            let raw = raw::open(file, scratch)?;
            let csv = match (&raw.csv_path, &raw.csv_fields) {
                (Some(path), Some(fields)) => Some(CsvSource {
                    file: File::open(path).map_err(unreadable)?,
                    fields: fields.clone(),
                }),
                _ => None,
            };
            // A fresh cell: it cannot be filled already.
            let _ = opened.set(Ok(raw));
            csv
        };
        Ok(UncheckedActivity {
            display: file.display_name(),
            file: file.clone(),
            scratch: scratch.to_path_buf(),
            csv,
            opened,
        })
    }

    /// The CSV file for the record reader, if activity is a CSV.
    pub(crate) fn csv(&self) -> Option<&CsvSource> {
        self.csv.as_ref()
    }

    /// The source type of each canonical column the file has.
    pub(crate) fn columns(&self) -> Option<BTreeMap<&'static str, DataType>> {
        match &self.csv {
            Some(csv) => Some(
                csv.fields
                    .positions
                    .iter()
                    .map(|&(name, _)| (name, DataType::String))
                    .collect(),
            ),
            None => self.opened().ok().map(|raw| raw.columns.clone()),
        }
    }

    /// The file as polars reads it, copied first if it is not yet.
    pub(crate) fn opened(&self) -> Result<&RawTable, &[Problem]> {
        self.opened
            .get_or_init(|| raw::open(&self.file, &self.scratch))
            .as_ref()
            .map_err(Vec::as_slice)
    }

    /// [`Self::opened`], for the check of every table at once.
    pub(super) fn into_opened(self) -> Result<RawTable, Vec<Problem>> {
        match self.opened.into_inner() {
            Some(opened) => opened,
            None => raw::open(&self.file, &self.scratch),
        }
    }

    /// The file's name as problems give it.
    pub(crate) fn display(&self) -> &str {
        self.display.as_str()
    }

    /// The problem of a file that could not be read through (`why`): for
    /// CSV, the first record the `csv` crate cannot parse, named by its
    /// line, as the check names it.
    pub(crate) fn unreadable(&self, why: &str) -> Problem {
        match self.opened() {
            Ok(raw) => lines::read_failure(raw, &why),
            Err(found) => found
                .first()
                .cloned()
                .unwrap_or_else(|| Problem::file(self.display(), why)),
        }
    }
}
