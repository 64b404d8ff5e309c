//! From polars' record numbers to the lines people see: a CSV record that
//! spans lines starts on the line named, found with the `csv` crate, on
//! the error path only.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::found::Found;
use super::raw::{csv_error_problem, RawTable};
use crate::problems::{Location, Problem};

/// Gives every found problem its line (CSV) or row (Parquet), in file order.
pub(super) fn place_lines(raw: &RawTable, found: &mut [Found]) -> Vec<Problem> {
    found.sort_by_key(|f| f.index);
    let mut wanted: Vec<u64> = found.iter().map(|f| f.index).collect();
    wanted.extend(found.iter().filter_map(|f| f.first_seen));
    let lines = match &raw.csv_path {
        Some(path) => record_lines(path, &wanted),
        None => HashMap::new(),
    };
    let locate = |index: u64| match lines.get(&index) {
        Some(&line) => Location::Line(line),
        None => raw.location_of(index),
    };
    let mut placed = Vec::with_capacity(found.len());
    for f in found.iter() {
        let mut problem = f.problem.clone();
        problem.location = locate(f.index);
        if let Some(first) = f.first_seen {
            let first = match locate(first) {
                Location::Line(n) => format!("line {n}"),
                Location::Row(n) => format!("row {n}"),
                Location::File => "earlier".to_string(),
            };
            let column = problem.column.as_deref().unwrap_or("id");
            problem.expected = format!("a unique {column} (already used on {first})");
        }
        placed.push(problem);
    }
    placed
}

/// The line each wanted row (0-based, after the header, as polars counts
/// rows) starts on. A quoted field may hold line breaks, and polars counts
/// a blank line as a row where the `csv` crate skips it; both are followed
/// here so that the line is the one an editor shows.
pub(super) fn record_lines(path: &Path, wanted: &[u64]) -> HashMap<u64, u64> {
    let mut lines = HashMap::new();
    let Some(&last) = wanted.iter().max() else {
        return lines;
    };
    let wanted: HashSet<u64> = wanted.iter().copied().collect();
    let Ok(mut reader) = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
    else {
        return lines;
    };
    let Ok(mut file) = File::open(path) else {
        return lines;
    };
    let mut record = csv::ByteRecord::new();
    // The line where the next record would start with no blank line between.
    let mut next_line: Option<u64> = None;
    let mut row = 0u64;
    while row <= last {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            _ => break,
        }
        let Some(position) = record.position() else {
            break;
        };
        let line = content_line(&mut file, position);
        let breaks_inside = record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(expected) = next_line {
            row += line.saturating_sub(expected);
            if wanted.contains(&row) {
                lines.insert(row, line);
            }
            row += 1;
        }
        next_line = Some(line + breaks_inside + 1);
    }
    lines
}

/// The `csv` crate places a record where the previous one's terminator
/// ended: on the `\n` of a CRLF, or before skipped blank lines. The record
/// itself starts after those line breaks.
fn content_line(file: &mut File, position: &csv::Position) -> u64 {
    let mut line = position.line();
    if file.seek(SeekFrom::Start(position.byte())).is_err() {
        return line;
    }
    let mut buffer = [0u8; 512];
    while let Ok(read) = file.read(&mut buffer) {
        if read == 0 {
            break;
        }
        for byte in &buffer[..read] {
            match byte {
                b'\n' => line += 1,
                b'\r' => {}
                _ => return line,
            }
        }
    }
    line
}

/// Turns a failed scan into a problem. For CSV, the `csv` crate reads the
/// file again to find the first record it cannot parse (bad UTF-8, a record
/// with more fields than the header) and names its line.
pub(super) fn read_failure(raw: &RawTable, err: &dyn std::fmt::Display) -> Problem {
    if let Some(path) = &raw.csv_path {
        if let Some(problem) = first_unreadable_record(path, &raw.display) {
            return problem;
        }
    }
    Problem::file(&raw.display, format!("a readable file ({err})"))
}

fn first_unreadable_record(path: &Path, display: &str) -> Option<Problem> {
    let mut reader = csv::ReaderBuilder::new().from_path(path).ok()?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(err) => return Some(csv_error_problem(display, &err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_map_to_the_line_they_start_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\r\n1,\"two\r\nlines\"\r\n2,x\r\n\"3\n\",y\n").unwrap();
        let lines = record_lines(&path, &[0, 1, 2]);
        assert_eq!(lines.get(&0), Some(&2));
        assert_eq!(lines.get(&1), Some(&4));
        assert_eq!(lines.get(&2), Some(&5));
    }

    #[test]
    fn blank_lines_are_rows_for_polars_and_lines_for_people() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        // Rows as polars numbers them: 0 blank, 1 "1,x", 2 and 3 blank, 4 "2,y".
        std::fs::write(&path, "a,b\n\n1,x\n\n\n2,y\n").unwrap();
        let lines = record_lines(&path, &[1, 4]);
        assert_eq!(lines.get(&1), Some(&3));
        assert_eq!(lines.get(&4), Some(&6));
        std::fs::write(&path, "a,b\r\n\r\n1,x\r\n2,\"y\r\n\r\nz\"\r\n\r\n3,w\r\n").unwrap();
        let lines = record_lines(&path, &[1, 2, 4]);
        assert_eq!(lines.get(&1), Some(&3));
        assert_eq!(lines.get(&2), Some(&4));
        assert_eq!(lines.get(&4), Some(&8));
    }
}
