//! Finding the file of each table in a bundle directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::spec::Table;
use crate::problems::{Problem, Problems};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    CsvGz,
    Parquet,
}

/// The one file that holds a table.
#[derive(Debug, Clone)]
pub struct TableFile {
    pub table: Table,
    pub path: PathBuf,
    pub format: Format,
}

impl TableFile {
    /// The file name as shown in messages.
    pub fn display_name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// Which table and format a file name stands for. File names are matched
/// case-insensitively so that `Accounts.CSV` from a Windows share still loads.
fn classify(file_name: &str) -> Option<(Table, Format)> {
    let lower = file_name.to_lowercase();
    Table::ALL.iter().find_map(|&table| {
        let stem = table.name();
        let rest = lower.strip_prefix(stem)?;
        let format = match rest {
            ".csv" => Format::Csv,
            ".csv.gz" => Format::CsvGz,
            ".parquet" => Format::Parquet,
            _ => return None,
        };
        Some((table, format))
    })
}

/// Finds every table file in `dir`. Problems: a directory that cannot be
/// read, a table with two files, a missing `accounts`.
pub fn locate(dir: &Path) -> Result<BTreeMap<Table, TableFile>, Problems> {
    let mut problems = Problems::default();
    let dir_name = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(Problem::file(
                dir_name,
                format!("a readable bundle directory ({err})"),
            ));
            return Err(problems);
        }
    };

    let mut found: BTreeMap<Table, Vec<TableFile>> = BTreeMap::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((table, format)) = classify(&name) {
            // Reading a FIFO would wait forever, and with it every later
            // scheduled run: only regular files (or links to one) are read.
            if let Some(kind) = not_a_regular_file(&entry.path()) {
                problems.push(Problem::file(
                    name,
                    format!("a regular file with the {} table, not {kind}", table.name()),
                ));
                continue;
            }
            found.entry(table).or_default().push(TableFile {
                table,
                path: entry.path(),
                format,
            });
        }
    }

    let mut tables = BTreeMap::new();
    for table in Table::ALL {
        let mut files = found.remove(&table).unwrap_or_default();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        match files.len() {
            0 if table.is_required() => problems.push(Problem::file(
                format!("{dir_name}/{}", table.name()),
                format!(
                    "a {0}.csv, {0}.csv.gz or {0}.parquet file: the {0} table is required",
                    table.name()
                ),
            )),
            0 => {}
            1 => {
                tables.insert(table, files.remove(0));
            }
            _ => {
                let names: Vec<String> = files.iter().map(TableFile::display_name).collect();
                problems.push(Problem::file(
                    names.join(" and "),
                    format!(
                        "one file for the {} table, not {}",
                        table.name(),
                        names.len()
                    ),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(tables)
    } else {
        Err(problems)
    }
}

/// What `path` is when it is not a regular file (following links).
pub(crate) fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = match std::fs::metadata(path) {
        Ok(meta) => meta.file_type(),
        Err(_) => return Some("a file that cannot be read (a broken link?)"),
    };
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else {
        Some("a special file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_format_case_insensitively() {
        assert_eq!(
            classify("accounts.csv"),
            Some((Table::Accounts, Format::Csv))
        );
        assert_eq!(
            classify("Activity.CSV.GZ"),
            Some((Table::Activity, Format::CsvGz))
        );
        assert_eq!(
            classify("product_access.parquet"),
            Some((Table::ProductAccess, Format::Parquet))
        );
        assert_eq!(classify("accounts.csv.bak"), None);
        assert_eq!(classify("accounts_old.csv"), None);
        assert_eq!(classify("notes.txt"), None);
    }
}
