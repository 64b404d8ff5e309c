//! Opening a table file as a polars LazyFrame whose columns carry the
//! contract's names, before any cell is checked.
//!
//! CSV is read by polars with an explicit all-string schema (so no value is
//! ever guessed or coerced); the header is read first with the `csv` crate,
//! which also strips a BOM and understands quoted header names. Parquet keeps
//! the native type of each column; the validator knows both.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::locate::{Format, TableFile};
use super::spec::ColumnSpec;
use crate::problems::{Location, Problem};

/// The name of the row-index column added to every raw frame.
pub const ROW: &str = "__row";

/// A table file opened lazily, its columns renamed to the contract's names.
#[derive(Clone)]
pub struct RawTable {
    pub file: TableFile,
    /// The file name as shown in messages.
    pub display: String,
    /// Canonical columns that the file has, plus [`ROW`].
    pub frame: LazyFrame,
    /// The same columns as read, without [`ROW`] and without skipping
    /// blank lines: for a scan that needs neither (see
    /// `insights::one_pass`).
    pub cells: LazyFrame,
    /// The source type of each canonical column the file has.
    pub columns: BTreeMap<&'static str, DataType>,
    /// For CSV: the plain (decompressed) file, to map records to lines.
    pub csv_path: Option<PathBuf>,
    /// For CSV: where each canonical column sits among the header's fields.
    pub csv_fields: Option<CsvFields>,
}

/// Where a CSV file's canonical columns are, by position, for a reader of
/// its records (`csv_pieces`).
#[derive(Clone)]
pub struct CsvFields {
    /// Fields in the header.
    pub width: usize,
    /// Each canonical column the file has, in the contract's order, and
    /// its position among the fields.
    pub positions: Vec<(&'static str, usize)>,
}

impl CsvFields {
    /// The position of column `name` among the fields, if the file has it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.positions
            .iter()
            .find(|(column, _)| *column == name)
            .map(|&(_, position)| position)
    }
}

impl RawTable {
    /// For CSV: where the checking scan keeps the cells it parsed (an Arrow
    /// IPC file in the scratch folder), so that computing reads them
    /// instead of parsing the file a second time.
    pub fn parsed_copy(&self) -> Option<PathBuf> {
        self.csv_path
            .as_ref()
            .map(|path| path.with_extension("arrow"))
    }

    /// Where record `index` (0-based, header excluded) is, before CSV line
    /// mapping: Parquet rows are exact, CSV lines are refined later.
    pub fn location_of(&self, index: u64) -> Location {
        match self.file.format {
            Format::Parquet => Location::Row(index + 1),
            Format::Csv | Format::CsvGz => Location::Line(index + 2),
        }
    }
}

/// Header names are matched after trimming and lower-casing.
fn normalize_header(name: &str) -> String {
    crate::support::words::header_key(name)
}

/// Opens `file`; `scratch` receives the decompressed copy of a `.csv.gz`.
///
/// Every file is read from a private copy in `scratch`: polars maps files
/// into memory, and a file cut short under a mapping kills the process
/// (SIGBUS); the copy also keeps the checking scan and the computing scan
/// on the same bytes if the export is replaced mid-run.
pub fn open(file: &TableFile, scratch: &Path) -> Result<RawTable, Vec<Problem>> {
    let display = file.display_name();
    let snapshot = |extension: &str| -> Result<PathBuf, Vec<Problem>> {
        let copy = scratch.join(format!("{}.{extension}", file.table.name()));
        std::fs::copy(&file.path, &copy)
            .map_err(|err| vec![Problem::file(&display, format!("a readable file ({err})"))])?;
        Ok(copy)
    };
    match file.format {
        Format::Parquet => {
            let copy = snapshot("parquet")?;
            open_parquet(file, display, &copy)
        }
        Format::Csv => {
            let copy = snapshot("csv")?;
            open_csv(file, display, copy)
        }
        Format::CsvGz => {
            let plain = scratch.join(format!("{}.csv", file.table.name()));
            gunzip(&file.path, &plain).map_err(|err| {
                vec![Problem::file(
                    &display,
                    format!("a readable gzip-compressed CSV file ({err})"),
                )]
            })?;
            open_csv(file, display, plain)
        }
    }
}

/// A compressed export expands at most this many times its size (and at
/// least to [`MIN_EXPANSION_LIMIT`]); past that it is a gzip bomb, not an
/// export, and must not fill the disk.
const EXPANSION_RATIO: u64 = 200;
const MIN_EXPANSION_LIMIT: u64 = 1 << 30;

fn gunzip(from: &Path, to: &Path) -> std::io::Result<()> {
    let compressed = File::open(from)?;
    let limit = (compressed.metadata()?.len() * EXPANSION_RATIO).max(MIN_EXPANSION_LIMIT);
    let decoder = flate2::read::MultiGzDecoder::new(BufReader::new(compressed));
    let mut out = BufWriter::new(File::create(to)?);
    let copied = std::io::copy(&mut decoder.take(limit + 1), &mut out)?;
    if copied > limit {
        return Err(std::io::Error::other(format!(
            "it expands to more than {limit} bytes: a gzip bomb, not an export"
        )));
    }
    std::io::Write::flush(&mut out)
}

fn polars_path(path: &Path, display: &str) -> Result<PlRefPath, Vec<Problem>> {
    path.to_str()
        .map(PlRefPath::new)
        .ok_or_else(|| vec![Problem::file(display, "a file path that is valid UTF-8")])
}

/// Where the canonical columns of the CSV file at `path` are, read from
/// its header.
pub fn csv_fields(file: &TableFile, path: &Path) -> Result<CsvFields, Vec<Problem>> {
    let display = file.display_name();
    let header = read_csv_header(path, &display)?;
    let positions = match_columns(
        file.table.columns(),
        header.iter().map(|name| normalize_header(name)),
        &display,
        Location::Line(1),
    )?;
    Ok(CsvFields {
        width: header.len(),
        positions,
    })
}

fn open_csv(file: &TableFile, display: String, plain: PathBuf) -> Result<RawTable, Vec<Problem>> {
    let fields = csv_fields(file, &plain)?;

    // Positional names: the file's own header may hold duplicates, blanks or
    // a BOM, none of which must reach polars.
    let schema: Schema = (0..fields.width)
        .map(|i| Field::new(format!("c{i}").into(), DataType::String))
        .collect();
    let frame = LazyCsvReader::new(polars_path(&plain, &display)?)
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_missing_is_null(true)
        .finish()
        .map_err(|err| {
            vec![Problem::file(
                &display,
                format!("a readable CSV file ({err})"),
            )]
        })?;

    // Numbered after the scan: a row index inside polars' CSV reader
    // costs every scan about a tenth of its time, and only messages about
    // bad rows read it.
    let mut columns = BTreeMap::new();
    let mut named = Vec::new();
    let mut cells = Vec::new();
    for &(name, position) in &fields.positions {
        let cell = col(format!("c{position}"));
        cells.push(cell.clone());
        named.push(cell.alias(name));
        columns.insert(name, DataType::String);
    }
    let numbered = frame.clone().with_row_index(ROW, None);
    Ok(RawTable {
        file: file.clone(),
        display,
        frame: numbered.filter(has_a_value(cells)).select(
            [col(ROW)]
                .into_iter()
                .chain(named.clone())
                .collect::<Vec<_>>(),
        ),
        cells: frame.select(named),
        columns,
        csv_path: Some(plain),
        csv_fields: Some(fields),
    })
}

/// Polars reads a blank line as a row of nulls, where the `csv` crate skips
/// it. A row with no value in any of the table's own columns carries no
/// data: it is skipped, and line numbers still count it (see
/// `validate::record_lines`). Only the table's columns are looked at, so a
/// file with thousands of other columns costs nothing more.
fn has_a_value(cells: Vec<Expr>) -> Expr {
    cells
        .into_iter()
        .map(|cell| {
            let trimmed = cell.str().strip_chars(lit(NULL));
            trimmed.clone().is_not_null().and(trimmed.neq(lit("")))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(true))
        .fill_null(lit(false))
}

fn read_csv_header(path: &Path, display: &str) -> Result<Vec<String>, Vec<Problem>> {
    if let Some(problem) = not_utf8_csv(path, display) {
        return Err(vec![problem]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|err| vec![Problem::file(display, format!("a readable file ({err})"))])?;
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) if semicolon_separated(&record) => Err(vec![Problem {
            file: display.to_string(),
            location: Location::Line(1),
            column: None,
            value: None,
            expected: SEMICOLONS.to_string(),
        }]),
        Ok(true) => Ok(record.iter().map(str::to_string).collect()),
        Ok(false) => Err(vec![Problem::file(
            display,
            "a header row naming the columns (the file is empty)",
        )]),
        Err(err) => Err(vec![csv_error_problem(display, &err)]),
    }
}

/// What a header that is one field of names parted by `;` gets.
pub const SEMICOLONS: &str = "columns separated by commas; this file looks semicolon-separated \
     (Excel writes CSV that way in languages that use a decimal comma): save it from Excel as \
     \"CSV UTF-8 (Comma delimited)\", or export it again with commas";

/// Whether a header row is a single field of names parted by semicolons.
pub fn semicolon_separated(header: &csv::StringRecord) -> bool {
    header.len() == 1 && header.get(0).is_some_and(|field| field.contains(';'))
}

/// A problem when the file at `path` starts as UTF-16 text (Excel's
/// "Unicode text"), which is not the UTF-8 the contract asks for.
pub fn not_utf8_csv(path: &Path, display: &str) -> Option<Problem> {
    let mut head = [0u8; 64];
    let read = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read(&mut file, &mut head))
        .ok()?;
    let head = &head[..read];
    let bom = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    // Without a BOM, UTF-16 text of ASCII names has a NUL in every pair.
    let pairs = head.len() / 2;
    let nul_pairs = head.chunks(2).filter(|pair| pair.contains(&0)).count();
    (bom || (pairs >= 4 && nul_pairs == pairs)).then(|| {
        Problem::file(
            display,
            "UTF-8 text; this file is UTF-16 (what Excel saves as \"Unicode text\"): \
             open it in Excel and save it as \"CSV UTF-8 (Comma delimited)\"",
        )
    })
}

/// Describes an error of the `csv` crate (bad UTF-8, I/O) with its line.
pub fn csv_error_problem(display: &str, err: &csv::Error) -> Problem {
    let line = err.position().map(|p| p.line()).unwrap_or(1);
    let expected = match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "UTF-8 text (invalid byte sequence in field {})",
            err.field() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{expected_len} fields like the header, found {len}"),
        _ => format!("a readable CSV file ({err})"),
    };
    Problem {
        file: display.to_string(),
        location: Location::Line(line),
        column: None,
        value: None,
        expected,
    }
}

fn open_parquet(file: &TableFile, display: String, path: &Path) -> Result<RawTable, Vec<Problem>> {
    let numbered = ScanArgsParquet {
        row_index: Some(RowIndex {
            name: ROW.into(),
            offset: 0,
        }),
        ..Default::default()
    };
    let not_parquet = |err: PolarsError| {
        vec![Problem::file(
            &display,
            format!("a readable Parquet file ({err})"),
        )]
    };
    let source = polars_path(path, &display)?;
    let mut frame = LazyFrame::scan_parquet(source.clone(), numbered).map_err(not_parquet)?;
    let plain = LazyFrame::scan_parquet(source, ScanArgsParquet::default()).map_err(not_parquet)?;
    let schema = frame.collect_schema().map_err(not_parquet)?;
    let names: Vec<(PlSmallStr, DataType)> = schema
        .iter()
        .filter(|(name, _)| name.as_str() != ROW)
        .map(|(name, dtype)| (name.clone(), dtype.clone()))
        .collect();
    let positions = match_columns(
        file.table.columns(),
        names.iter().map(|(name, _)| normalize_header(name)),
        &display,
        Location::File,
    )?;

    let mut columns = BTreeMap::new();
    let mut named = Vec::new();
    for (name, position) in positions {
        let (source, dtype) = &names[position];
        named.push(col(source.clone()).alias(name));
        columns.insert(name, dtype.clone());
    }
    Ok(RawTable {
        file: file.clone(),
        display,
        frame: frame.select(
            [col(ROW)]
                .into_iter()
                .chain(named.clone())
                .collect::<Vec<_>>(),
        ),
        cells: plain.select(named),
        columns,
        csv_path: None,
        csv_fields: None,
    })
}

/// Maps each contract column to its position among the file's (normalized)
/// column names. Unknown columns are ignored; a missing required column or a
/// contract column named twice is a problem.
fn match_columns(
    specs: &'static [ColumnSpec],
    names: impl Iterator<Item = String>,
    display: &str,
    header_location: Location,
) -> Result<Vec<(&'static str, usize)>, Vec<Problem>> {
    let names: Vec<String> = names.collect();
    let mut problems = Vec::new();
    let mut positions = Vec::new();
    for spec in specs {
        let matches: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.as_str() == spec.name)
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [] if spec.required => problems.push(Problem {
                file: display.to_string(),
                location: header_location,
                column: Some(spec.name.to_string()),
                value: None,
                expected: format!(
                    "a column named '{}' (required); the header has: {}",
                    spec.name,
                    names.join(", ")
                ),
            }),
            [] => {}
            [position] => positions.push((spec.name, *position)),
            _ => problems.push(Problem {
                file: display.to_string(),
                location: header_location,
                column: Some(spec.name.to_string()),
                value: None,
                expected: format!(
                    "the column '{}' once, found {} times (names match case-insensitively)",
                    spec.name,
                    matches.len()
                ),
            }),
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}
