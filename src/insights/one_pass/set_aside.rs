//! The rows the one pass sets aside: each bad cell met, with where it is,
//! gathered from every thread, then put in file order and held against
//! `[input] max_bad_rows_percent` as the contract says.

use super::Limits;
use crate::bundle::csv_pieces::{Lines, PieceLine};
use crate::bundle::spec::Table;
use crate::bundle::SetAside;
use crate::problems::{Location, Problem, Problems, MAX_LISTED};

/// Bad cells each reader keeps, beyond which it only counts its bad rows:
/// a file of nothing but bad rows must not fill the memory. A reader takes
/// its pieces in file order, so what it keeps are its first; with a
/// million, every bad row of a tolerated file of up to a hundred million
/// rows (at 1 %) is listed.
const KEPT_CELLS: usize = 1 << 20;

/// Where a bad cell is, before it can be placed in the file.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place {
    /// A CSV record, by its piece and its line in it.
    Csv(PieceLine),
    /// A Parquet row, 0-based.
    Row(u64),
}

struct BadCell {
    place: Place,
    column: &'static str,
    value: String,
}

/// One reader's bad rows.
#[derive(Default)]
pub(super) struct BadRows {
    rows: u64,
    cells: Vec<BadCell>,
    /// The latest valid date among them: the check's latest date counts
    /// every row's, set aside or not.
    pub(super) latest: Option<i32>,
}

impl BadRows {
    /// Adds a bad row: its bad cells (column and value, in the contract's
    /// column order) and its date, when that one is valid.
    pub(super) fn add(
        &mut self,
        place: Place,
        cells: impl IntoIterator<Item = (&'static str, String)>,
        day: Option<i32>,
    ) {
        self.rows += 1;
        self.latest = self.latest.max(day);
        if self.cells.len() < KEPT_CELLS {
            self.cells
                .extend(cells.into_iter().map(|(column, value)| BadCell {
                    place,
                    column,
                    value,
                }));
        }
    }

    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// Takes in another reader's bad rows.
    pub(super) fn merge(&mut self, other: BadRows) {
        self.rows += other.rows;
        self.latest = self.latest.max(other.latest);
        self.cells.extend(other.cells);
    }

    /// The rows set aside, when `tolerance` allows them among `rows` rows
    /// (bad ones included); else the problems that stop the run, as the
    /// check lists them: the first that fit the room of `limits` in file
    /// order, the others counted. `lines` places CSV records.
    pub(super) fn settle(
        self,
        display: &str,
        lines: Option<&Lines>,
        rows: u64,
        limits: Limits,
    ) -> Result<SetAside, Problems> {
        let bad_rows = self.rows;
        let mut placed: Vec<Problem> = self
            .cells
            .into_iter()
            .map(|cell| Problem {
                file: display.to_string(),
                location: match (cell.place, lines) {
                    (Place::Csv(at), Some(lines)) => Location::Line(lines.line(at)),
                    (Place::Csv(_), None) => Location::File,
                    (Place::Row(index), _) => Location::Row(index + 1),
                },
                column: Some(cell.column.to_string()),
                value: Some(cell.value),
                expected: expectation(cell.column),
            })
            .collect();
        // Stable: a row's cells stay in the contract's column order.
        placed.sort_by_key(|problem| problem.location);
        if limits.tolerance.allows(bad_rows, rows) {
            return Ok(SetAside {
                rows: bad_rows,
                problems: placed,
            });
        }
        let mut problems = Problems::default();
        placed.truncate(limits.room.min(MAX_LISTED));
        let listed = placed.len() as u64;
        placed.into_iter().for_each(|p| problems.push(p));
        problems.add_unlisted(bad_rows.saturating_sub(listed) as usize);
        Err(problems)
    }
}

/// What the contract expects of activity's `column`.
fn expectation(column: &str) -> String {
    Table::Activity
        .columns()
        .iter()
        .find(|spec| spec.name == column)
        .map(|spec| spec.kind.expectation())
        .unwrap_or_default()
}
