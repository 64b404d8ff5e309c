//! Activity's Parquet file folded as polars reads it: each morsel's cells,
//! on polars' own threads, coded column by column ([`super::cells`]) and
//! packed row by row ([`RowRules::pack`]); a row with a bad cell is set
//! aside there, named cell by cell with its row.

use std::cell::RefCell;
use std::sync::Arc;

use polars::prelude::*;

use super::cells::*;
use super::set_aside::{BadRows, Place};
use super::{Filling, RowRules, BLANK, DEFAULT, INVALID, NO_DAY, NO_SITE, VIEWED};
use crate::bundle::activity_rules::breaks;
use crate::bundle::raw::{RawTable, ROW};
use crate::bundle::slice_rows;
use crate::bundle::spec::{ACTIONS, DEFAULT_SUCCESS, SURFACES};
use crate::support::frame::count_rows;

/// Folds `raw`'s cells as polars reads them into `table`, in slices of
/// [`slice_rows`] rows (polars maps the file, and the pages it has read
/// stay in the process's memory until its scan ends: a third of L's peak
/// when read whole). Each row's index comes with it, for a bad row's
/// place.
pub(super) fn fold(raw: &RawTable, rules: RowRules, table: &Arc<Filling>) -> PolarsResult<()> {
    let mut inputs: Vec<Expr> = rules.layout.inputs.clone();
    inputs.push(col(ROW).cast(DataType::UInt64));
    let as_of = rules.as_of;
    let packed = map_multiple(
        move |cells: &mut [Column]| rules.pack(cells),
        inputs,
        |_: &Schema, _: &[Field]| Ok(Field::new("packed".into(), packed_type())),
    );
    let scan = |frame: LazyFrame| -> PolarsResult<()> {
        let filling = Arc::clone(table);
        frame
            .select([packed.clone().alias("packed")])
            .sink_batches(
                PlanCallback::new(move |batch: DataFrame| {
                    let rows = unpacked(&batch)?;
                    let mut filling = filling
                        .lock()
                        .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
                    filling.1.add(&rows)?;
                    filling.0.add_packed(&rows, as_of, VIEWED)?;
                    Ok(false)
                }),
                false,
                None,
            )?
            .collect_with_engine(Engine::Streaming)?;
        Ok(())
    };
    let size = slice_rows();
    let total = count_rows(raw.cells.clone())?;
    let mut offset = 0;
    while offset < total.max(1) {
        scan(raw.frame.clone().slice(offset as i64, size as IdxSize))?;
        offset += size;
    }
    Ok(())
}

/// The packed rows of a batch as the pair table reads them, without the
/// rows set aside ([`SET_ASIDE`]).
fn unpacked(batch: &DataFrame) -> PolarsResult<DataFrame> {
    let fields = batch.column("packed")?.struct_()?.fields_as_series();
    let rows = DataFrame::new_infer_height(fields.into_iter().map(Column::from).collect())?;
    let kept = rows.column("pair")?.u64()?.not_equal(SET_ASIDE);
    if kept.all() {
        return Ok(rows);
    }
    rows.filter(&kept)
}

/// A packed row: its pair, its day (days since 1970-01-01) and the two
/// words of the bit layout of `super::activity`. Whether it is after
/// as_of and its last view follow from the day and word `a`.
fn packed_type() -> DataType {
    DataType::Struct(vec![
        Field::new("pair".into(), DataType::UInt64),
        Field::new("day".into(), DataType::Int32),
        Field::new("a".into(), DataType::UInt64),
        Field::new("b".into(), DataType::UInt64),
    ])
}

/// The pair of a row set aside, left out of the fold: no account has the
/// number `UNKNOWN` together with the largest product code.
const SET_ASIDE: u64 = u64::MAX;

/// The codes of one morsel's cells, a vector per column, kept by each of
/// polars' threads from one morsel to the next (fresh vectors per morsel
/// are pages for the kernel to clear, a tenth of a run).
#[derive(Default)]
struct Codes {
    accounts: Vec<u32>,
    days: Vec<i32>,
    products: Vec<u32>,
    sites: Vec<u32>,
    surfaces: Vec<u8>,
    actions: Vec<u8>,
    success: Vec<u8>,
    counts_kept: Vec<u8>,
}

thread_local! {
    static CODES: RefCell<Codes> = RefCell::default();
}

/// A morsel's packed rows, built column by column.
#[derive(Default)]
struct Packed {
    pairs: Vec<u64>,
    days: Vec<i32>,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl Packed {
    fn push(&mut self, pair: u64, day: i32, (a, b): (u64, u64)) {
        self.pairs.push(pair);
        self.days.push(day);
        self.a.push(a);
        self.b.push(b);
    }
}

/// The input holding each row's index: the last, after the layout's.
fn row_input(cells: &[Column]) -> PolarsResult<&UInt64Chunked> {
    match cells.last() {
        Some(rows) => rows.u64(),
        None => Err(polars_err!(ComputeError: "a morsel without its rows' index")),
    }
}

impl RowRules {
    /// One morsel's raw cells packed row by row (see [`packed_type`]).
    fn pack(&self, cells: &mut [Column]) -> PolarsResult<Column> {
        CODES.with(|codes| {
            let mut codes = codes
                .try_borrow_mut()
                .map_err(|_| polars_err!(ComputeError: "the codes of a morsel were in use"))?;
            self.pack_with(cells, &mut codes)
        })
    }

    /// Codes every column of the morsel, then packs each row: a row with a
    /// bad cell is set aside and named.
    fn pack_with(&self, cells: &[Column], codes: &mut Codes) -> PolarsResult<Column> {
        let layout = &self.layout;
        let height = cells[layout.account].len();
        self.account_numbers(&cells[layout.account], &mut codes.accounts)?;
        days(&cells[layout.date], layout.native_date, &mut codes.days)?;
        let products = products(cells[layout.product].str()?, &mut codes.products)?;
        let optional = |column: Option<usize>| column.map(|i| &cells[i]);
        self.site_codes(optional(layout.site), height, &mut codes.sites)?;
        let surfaces = optional(layout.surface);
        enum_codes(surfaces, SURFACES, height, &mut codes.surfaces)?;
        enum_codes(optional(layout.action), ACTIONS, height, &mut codes.actions)?;
        let native = |column: Option<(usize, bool)>| column.map(|(i, n)| (&cells[i], n));
        flags(native(layout.success), height, &mut codes.success)?;
        counts(native(layout.count), height, &mut codes.counts_kept)?;
        let row_index = row_input(cells)?;

        let mut packed = Packed::default();
        let mut bad = BadRows::default();
        for row in 0..height {
            let day = codes.days[row];
            let product = products.get(codes.products[row] as usize);
            let (action, success) = (codes.actions[row], codes.success[row]);
            let good = codes.accounts[row] != BLANK
                && day != NO_DAY
                && codes.surfaces[row] != INVALID
                && action != INVALID
                && success != INVALID
                && codes.counts_kept[row] == 1;
            let (Some(product), true) = (product, good) else {
                let index = row_index.get(row).unwrap_or(0);
                let named = layout.contract_order.iter().filter_map(|&(name, i)| {
                    let text = cell_text(&cells[i], row);
                    breaks(name, &text).then_some((name, text))
                });
                bad.add(Place::Row(index), named, (day != NO_DAY).then_some(day));
                packed.push(SET_ASIDE, day, (0, 0));
                continue;
            };
            let action = match action {
                DEFAULT => self.default_action,
                code => self.actions[usize::from(code)],
            };
            let succeeded = match success {
                DEFAULT => DEFAULT_SUCCESS,
                flag => flag != 0,
            };
            let on_mobile = codes.surfaces[row] == self.mobile;
            let words = self.words(day, product, codes.sites[row], action, succeeded, on_mobile);
            let pair = (u64::from(codes.accounts[row]) << 32) | u64::from(product.code);
            packed.push(pair, day, words);
        }
        if bad.rows() > 0 {
            self.bad
                .lock()
                .map_err(|_| polars_err!(ComputeError: "the bad rows were poisoned"))?
                .merge(bad);
        }
        let fields = [
            Series::new("pair".into(), packed.pairs),
            Series::new("day".into(), packed.days),
            Series::new("a".into(), packed.a),
            Series::new("b".into(), packed.b),
        ];
        let packed = StructChunked::from_series("packed".into(), height, fields.iter())?;
        Ok(packed.into_series().into_column())
    }

    /// Each row's account number, [`super::UNKNOWN`] for an id missing
    /// from `accounts`, [`BLANK`] for no id (the row is set aside).
    fn account_numbers(&self, ids: &Column, numbers: &mut Vec<u32>) -> PolarsResult<()> {
        numbers.clear();
        for id in ids.str()?.iter() {
            numbers.push(id.map_or(BLANK, |id| self.account_number(id)));
        }
        Ok(())
    }

    /// Each row's site code; [`NO_SITE`] for every row without the column.
    fn site_codes(
        &self,
        cells: Option<&Column>,
        height: usize,
        codes: &mut Vec<u32>,
    ) -> PolarsResult<()> {
        optional_text(cells, height, codes, NO_SITE, |site| self.site_code(site))
    }
}
