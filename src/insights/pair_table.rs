//! The usage of each account and product, folded row by row into a table
//! indexed by the pair itself.
//!
//! The computing pass's key is already dense: an account's number (its row
//! in `accounts`) and a product's code. polars' hash grouping spends most of
//! its time finding each row's group in a hash table of half a million
//! (M) or five million (L) randomly reached groups; here a row's group is
//! an array index. polars' streaming engine still reads, checks and
//! flags every row, and hands the flagged rows over batch by batch
//! ([`LazyFrame::sink_batches`]).

use std::collections::HashMap;

use polars::prelude::*;

/// What the table keeps of each pair's rows: 32 bytes, so that a row's
/// update touches one aligned half cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(32))]
struct PairState {
    rows: u64,
    after: u32,
    /// The latest counted view, as days since 1970-01-01; [`NO_VIEW`]: none.
    last_view: i32,
    a: u64,
    b: u64,
}

const NO_VIEW: i32 = i32::MIN;

impl Default for PairState {
    fn default() -> Self {
        PairState {
            rows: 0,
            after: 0,
            last_view: NO_VIEW,
            a: 0,
            b: 0,
        }
    }
}

impl PairState {
    fn add(&mut self, row: &PairState) {
        self.rows += row.rows;
        // Rows after as_of of one pair are fewer than 2^32 in any real
        // export; saturating keeps a count that large at its cap.
        self.after = self.after.saturating_add(row.after);
        self.last_view = self.last_view.max(row.last_view);
        self.a |= row.a;
        self.b |= row.b;
    }
}

/// Packed rows (see [`PairTable::add_packed`]), one slice per field, all
/// of the same length.
pub struct PackedRows<'a> {
    pub pairs: &'a [u64],
    pub days: &'a [i32],
    pub a: &'a [u64],
    pub b: &'a [u64],
}

/// Products given a block of their own at most: an organization has a
/// handful; any beyond these go to a hash map, pair by pair.
const MAX_BLOCKS: usize = 64;
/// Memory the blocks may take at most (a million accounts: 26 products).
const MAX_BLOCK_BYTES: usize = 1 << 30;
/// Product codes looked up in a vector; larger ones (a process that has
/// seen thousands of product names) go to the hash map.
const MAX_DIRECT_CODE: u32 = 1 << 16;

/// Each pair's [`PairState`]: a block of one state per account (and one
/// for every unknown account) for each product met, in the order met.
pub struct PairTable {
    /// Accounts in `accounts`; the state after them is unknown accounts'.
    accounts: usize,
    unknown: u32,
    /// The block of each product code met, by code.
    block_of_code: Vec<Option<usize>>,
    /// The product code of each block.
    codes: Vec<u32>,
    states: Vec<PairState>,
    max_blocks: usize,
    /// Pairs of products without a block.
    overflow: HashMap<u64, PairState>,
}

impl PairTable {
    /// A table for `accounts` accounts numbered from 0; `unknown` is the
    /// number that stands for an account missing from `accounts`.
    pub fn new(accounts: usize, unknown: u32) -> Self {
        let block_bytes = (accounts + 1) * std::mem::size_of::<PairState>();
        PairTable {
            accounts,
            unknown,
            block_of_code: Vec::new(),
            codes: Vec::new(),
            states: Vec::new(),
            max_blocks: (MAX_BLOCK_BYTES / block_bytes).clamp(1, MAX_BLOCKS),
            overflow: HashMap::new(),
        }
    }

    /// The accounts the table was made for.
    pub fn accounts(&self) -> usize {
        self.accounts
    }

    /// Folds in one batch of packed rows: `pair`, `day` (days since
    /// 1970-01-01), `a`, `b`. A row is after as_of when its day is, and its
    /// day is its pair's latest view when word `a` has a bit of `viewed`
    /// (bits that only a counted view sets).
    pub fn add_packed(&mut self, batch: &DataFrame, as_of: i32, viewed: u64) -> PolarsResult<()> {
        let words = |name: &str| -> PolarsResult<UInt64Chunked> {
            Ok(batch.column(name)?.u64()?.rechunk().into_owned())
        };
        let (pairs, a, b) = (words("pair")?, words("a")?, words("b")?);
        let days = batch.column("day")?.i32()?.rechunk().into_owned();
        let (pairs, days, a, b) = (
            pairs.cont_slice()?,
            days.cont_slice()?,
            a.cont_slice()?,
            b.cont_slice()?,
        );
        self.add_packed_rows(PackedRows { pairs, days, a, b }, as_of, viewed);
        Ok(())
    }

    /// [`Self::add_packed`] of rows held in plain slices.
    pub fn add_packed_rows(&mut self, rows: PackedRows, as_of: i32, viewed: u64) {
        let PackedRows { pairs, days, a, b } = rows;
        let rows = (0..pairs.len()).map(|i| PairState {
            rows: 1,
            after: u32::from(days[i] > as_of),
            last_view: if a[i] & viewed != 0 { days[i] } else { NO_VIEW },
            a: a[i],
            b: b[i],
        });
        self.fold(pairs, rows);
    }

    /// Adds each of `rows` to the state of its pair in `pairs`.
    fn fold(&mut self, pairs: &[u64], rows: impl Iterator<Item = PairState>) {
        // Each row's state first, then the updates: a loop of independent
        // memory accesses, short enough for the processor to overlap many.
        let index: Vec<usize> = pairs.iter().map(|&pair| self.index_of(pair)).collect();
        let mut overflow = Vec::new();
        for ((&index, &pair), row) in index.iter().zip(pairs).zip(rows) {
            match self.states.get_mut(index) {
                Some(state) => state.add(&row),
                None => overflow.push((pair, row)),
            }
        }
        for (pair, row) in overflow {
            self.overflow.entry(pair).or_default().add(&row);
        }
    }

    /// The index of `pair`'s state in `states`, or `usize::MAX` for a pair
    /// kept in `overflow`.
    fn index_of(&mut self, pair: u64) -> usize {
        let account = (pair >> 32) as u32;
        let index = if account == self.unknown {
            Some(self.accounts)
        } else {
            Some(account as usize).filter(|&a| a < self.accounts)
        };
        match (index, self.block(pair as u32)) {
            (Some(index), Some(block)) => block * (self.accounts + 1) + index,
            _ => usize::MAX,
        }
    }

    /// The block of product `code`, given one if there is room.
    fn block(&mut self, code: u32) -> Option<usize> {
        if code >= MAX_DIRECT_CODE {
            return None;
        }
        let slot = code as usize;
        if let Some(block) = self.block_of_code.get(slot).copied().flatten() {
            return Some(block);
        }
        if self.codes.len() == self.max_blocks {
            return None;
        }
        if self.block_of_code.len() <= slot {
            self.block_of_code.resize(slot + 1, None);
        }
        let block = self.codes.len();
        self.codes.push(code);
        self.block_of_code[slot] = Some(block);
        self.states
            .resize(self.states.len() + self.accounts + 1, PairState::default());
        Some(block)
    }

    /// One row per pair with a row: `pair`, `rows`, `after`, `last_view`
    /// (a date), `a`, `b`, as polars' grouping by `pair` would give them.
    /// The columns are filled straight from the states, each at its final
    /// size: on L the states and the columns are 200 MB each, and a third
    /// copy between them was the run's peak.
    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        let block_len = self.accounts + 1;
        let filled =
            self.states.iter().filter(|state| state.rows > 0).count() + self.overflow.len();
        let mut columns = PairColumns::with_capacity(filled);
        for (i, state) in self.states.iter().enumerate() {
            if state.rows == 0 {
                continue;
            }
            let (block, index) = (i / block_len, i % block_len);
            let account = if index == self.accounts {
                self.unknown
            } else {
                index as u32
            };
            columns.push(
                (u64::from(account) << 32) | u64::from(self.codes[block]),
                state,
            );
        }
        drop(self.states);
        for (pair, state) in &self.overflow {
            columns.push(*pair, state);
        }
        columns.into_frame()
    }
}

/// The columns of [`PairTable::into_frame`], filled pair by pair.
struct PairColumns {
    pairs: Vec<u64>,
    rows: Vec<u64>,
    after: Vec<u64>,
    last_view: Vec<Option<i32>>,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl PairColumns {
    fn with_capacity(pairs: usize) -> Self {
        PairColumns {
            pairs: Vec::with_capacity(pairs),
            rows: Vec::with_capacity(pairs),
            after: Vec::with_capacity(pairs),
            last_view: Vec::with_capacity(pairs),
            a: Vec::with_capacity(pairs),
            b: Vec::with_capacity(pairs),
        }
    }

    fn push(&mut self, pair: u64, state: &PairState) {
        self.pairs.push(pair);
        self.rows.push(state.rows);
        self.after.push(u64::from(state.after));
        self.last_view
            .push(Some(state.last_view).filter(|&day| day != NO_VIEW));
        self.a.push(state.a);
        self.b.push(state.b);
    }

    fn into_frame(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new("pair".into(), self.pairs),
            Column::new("rows".into(), self.rows),
            Column::new("after".into(), self.after),
            Column::new("last_view".into(), self.last_view).cast(&DataType::Date)?,
            Column::new("a".into(), self.a),
            Column::new("b".into(), self.b),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNKNOWN: u32 = u32::MAX;

    fn pair(account: u32, code: u32) -> u64 {
        (u64::from(account) << 32) | u64::from(code)
    }

    /// In these tests, bit 0 of word `a` is a view, and as_of is day 100.
    const VIEWED: u64 = 1;
    const AS_OF: i32 = 100;

    /// Folds packed rows `(pair, day, a, b)` into `table`.
    fn add(table: &mut PairTable, rows: &[(u64, i32, u64, u64)]) {
        let pairs: Vec<u64> = rows.iter().map(|r| r.0).collect();
        let days: Vec<i32> = rows.iter().map(|r| r.1).collect();
        let a: Vec<u64> = rows.iter().map(|r| r.2).collect();
        let b: Vec<u64> = rows.iter().map(|r| r.3).collect();
        let rows = PackedRows {
            pairs: &pairs,
            days: &days,
            a: &a,
            b: &b,
        };
        table.add_packed_rows(rows, AS_OF, VIEWED);
    }

    /// The table's rows, sorted by pair, as plain tuples.
    fn folded(table: PairTable) -> Vec<(u64, u64, u64, Option<i32>, u64, u64)> {
        let frame = table
            .into_frame()
            .unwrap()
            .sort(["pair"], Default::default())
            .unwrap();
        let u = |name: &str| -> Vec<u64> {
            frame
                .column(name)
                .unwrap()
                .u64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        let days: Vec<Option<i32>> = frame
            .column("last_view")
            .unwrap()
            .cast(&DataType::Int32)
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .collect();
        let (pairs, rows, after, a, b) = (u("pair"), u("rows"), u("after"), u("a"), u("b"));
        (0..frame.height())
            .map(|i| (pairs[i], rows[i], after[i], days[i], a[i], b[i]))
            .collect()
    }

    #[test]
    fn rows_of_a_pair_are_counted_ored_and_maxed_across_batches() {
        let mut table = PairTable::new(3, UNKNOWN);
        add(
            &mut table,
            &[
                (pair(0, 7), 10, 0b001, 0),
                (pair(2, 7), 150, 0b100, 1),
                (pair(0, 7), 12, 0b011, 0),
            ],
        );
        add(
            &mut table,
            &[
                (pair(0, 7), 11, 0b001, 2),
                (pair(0, 9), 20, 0b010, 0),
                (pair(UNKNOWN, 7), 3, 0b001, 0),
                (pair(UNKNOWN, 7), 120, 0b1000, 0),
            ],
        );
        // By hand: account 0 on product 7 has three rows, views on days
        // 10, 12 and 11, words 0b011 and 2; account 0 on product 9 one row
        // without a view; account 2 one row after as_of, without a view;
        // unknown accounts two rows on product 7, one after as_of, the
        // other a view on day 3.
        assert_eq!(
            folded(table),
            vec![
                (pair(0, 7), 3, 0, Some(12), 0b011, 2),
                (pair(0, 9), 1, 0, None, 0b010, 0),
                (pair(2, 7), 1, 1, None, 0b100, 1),
                (pair(UNKNOWN, 7), 2, 1, Some(3), 0b1001, 0),
            ]
        );
    }

    #[test]
    fn products_beyond_the_blocks_are_folded_in_the_same_way() {
        // One block only: the second product met goes to the hash map.
        let mut table = PairTable::new(2, UNKNOWN);
        table.max_blocks = 1;
        add(
            &mut table,
            &[
                (pair(1, 4), 5, 1, 0),
                (pair(1, 5), 6, 0b011, 0),
                (pair(1, 5), 109, 0b101, 8),
                (pair(UNKNOWN, 5), 50, 0b10, 0),
                (pair(1, MAX_DIRECT_CODE + 1), 7, 16, 0),
            ],
        );
        assert_eq!(table.codes, vec![4]);
        assert_eq!(
            folded(table),
            vec![
                (pair(1, 4), 1, 0, Some(5), 1, 0),
                (pair(1, 5), 2, 1, Some(109), 0b111, 8),
                (pair(1, MAX_DIRECT_CODE + 1), 1, 0, None, 16, 0),
                (pair(UNKNOWN, 5), 1, 0, None, 0b10, 0),
            ]
        );
    }

    #[test]
    fn blocks_fit_the_memory_budget() {
        let table = PairTable::new(1_000_000, UNKNOWN);
        let bytes = table.max_blocks * 1_000_001 * std::mem::size_of::<PairState>();
        assert!(table.max_blocks >= 16, "{}", table.max_blocks);
        assert!(bytes <= MAX_BLOCK_BYTES);
        assert_eq!(PairTable::new(10, UNKNOWN).max_blocks, MAX_BLOCKS);
    }
}
