//! Activity's CSV file checked and folded record by record, on every core,
//! without polars' CSV reader.
//!
//! polars' reader builds a column of strings for every cell of a morsel,
//! and [`RowRules::pack`] then reads them back: on a CSV export, polars'
//! reader was nearly half of a run. Here each thread reads whole lines of
//! the file with the `csv` crate (`bundle::csv_pieces`), codes each cell
//! as it reads it, and folds its packed rows in batches. A file with a
//! quote character is left to polars, which follows quoted fields across
//! lines.

use polars::prelude::*;

use super::cells::{count_is_canonical, day_code, enum_code, flag_code};
use super::{not_canonical, Filling, Product, RowRules, DEFAULT, NO_SITE, VIEWED};
use crate::bundle::csv_pieces::{for_each_record, Record, Stop};
use crate::bundle::raw::CsvFields;
use crate::bundle::spec::{ACTIONS, DEFAULT_SUCCESS, SURFACES};
use crate::bundle::CsvSource;
use crate::insights::pair_table::PackedRows;

/// Why the records were not all folded.
pub(super) enum CsvStop {
    /// The file has a quote character: it is to be read again by
    /// [`fold_quoted`].
    Quoted,
    /// A cell is not canonical, or the file cannot be read as this
    /// reader reads it: activity is to be checked in full.
    NotCanonical(PolarsError),
}

/// Rows a thread packs before it folds them into the shared table.
const BATCH_ROWS: usize = 1 << 16;

/// Folds every record of the CSV file `csv` into `table`; stops at the
/// first quote character.
pub(super) fn fold(csv: &CsvSource, rules: &RowRules, table: &Filling) -> Result<(), CsvStop> {
    fold_with(csv, rules, table, false)
}

/// [`fold`] for a file whose fields may be quoted: the pieces are cut
/// outside quoted fields (see [`crate::bundle::csv_pieces`]).
pub(super) fn fold_quoted(
    csv: &CsvSource,
    rules: &RowRules,
    table: &Filling,
) -> Result<(), CsvStop> {
    fold_with(csv, rules, table, true)
}

fn fold_with(
    csv: &CsvSource,
    rules: &RowRules,
    table: &Filling,
    quoted: bool,
) -> Result<(), CsvStop> {
    let Some(columns) = Columns::new(rules, &csv.fields) else {
        let disagree = polars_err!(ComputeError: "activity's header and columns disagree");
        return Err(CsvStop::NotCanonical(disagree));
    };
    let new_coder = || RowCoder::new(rules, &columns);
    let add = |coder: &mut RowCoder, record: &Record| coder.add(record, table);
    let coders = for_each_record(&csv.file, quoted, new_coder, add);
    let flushed = coders.and_then(|coders| {
        coders
            .into_iter()
            .try_for_each(|mut coder| coder.flush(table))
            .map_err(Stop::Refused)
    });
    if flushed.is_ok() {
        tracing::debug!(quoted, "activity's CSV read record by record");
    }
    flushed.map_err(|stop| match stop {
        Stop::Quoted => CsvStop::Quoted,
        Stop::Unreadable(why) => CsvStop::NotCanonical(polars_err!(ComputeError: "{why}")),
        Stop::Refused(err) => CsvStop::NotCanonical(err),
    })
}

/// The position of each column the pass reads among a record's fields.
struct Columns {
    fields: CsvFields,
    account: usize,
    date: usize,
    product: usize,
    site: Option<usize>,
    surface: Option<usize>,
    action: Option<usize>,
    success: Option<usize>,
    count: Option<usize>,
}

impl Columns {
    /// `None` if the layout and the header disagree (they are made from
    /// the same header, so never in practice).
    fn new(rules: &RowRules, fields: &CsvFields) -> Option<Self> {
        let at = |name: &str| fields.position(name);
        // `Some(None)`: the file does not have the column.
        let read = |index: Option<usize>| match index {
            None => Some(None),
            Some(i) => at(rules.layout.names[i]).map(Some),
        };
        Some(Columns {
            fields: fields.clone(),
            account: at("account_id")?,
            date: at("date")?,
            product: at("product")?,
            site: read(rules.layout.site)?,
            surface: read(rules.layout.surface)?,
            action: read(rules.layout.action)?,
            success: read(rules.layout.success.map(|(i, _)| i))?,
            count: read(rules.layout.count.map(|(i, _)| i))?,
        })
    }
}

/// One thread's coding of records: the codes of the cells it has met, and
/// the rows packed since its last fold.
struct RowCoder<'r> {
    rules: &'r RowRules,
    columns: &'r Columns,
    days: Repeated<i32>,
    /// Each product's index in `products`.
    product_index: Repeated<u32>,
    products: Vec<Product>,
    sites: Repeated<u32>,
    surfaces: Repeated<u8>,
    actions: Repeated<u8>,
    success: Repeated<u8>,
    /// The packed rows since the last fold; `pairs` holds only the
    /// product's code until [`Self::number_accounts`].
    pairs: Vec<u64>,
    /// The account id of each packed row, one after the other, and where
    /// each ends.
    ids: String,
    id_ends: Vec<usize>,
    packed_days: Vec<i32>,
    a: Vec<u64>,
    b: Vec<u64>,
    latest: Option<i32>,
}

impl<'r> RowCoder<'r> {
    fn new(rules: &'r RowRules, columns: &'r Columns) -> Self {
        RowCoder {
            rules,
            columns,
            days: Repeated::default(),
            product_index: Repeated::default(),
            products: Vec::new(),
            sites: Repeated::default(),
            surfaces: Repeated::default(),
            actions: Repeated::default(),
            success: Repeated::default(),
            pairs: Vec::with_capacity(BATCH_ROWS),
            ids: String::new(),
            id_ends: Vec::with_capacity(BATCH_ROWS),
            packed_days: Vec::with_capacity(BATCH_ROWS),
            a: Vec::with_capacity(BATCH_ROWS),
            b: Vec::with_capacity(BATCH_ROWS),
            latest: None,
        }
    }

    /// Checks and packs one record, folding the batch when it is full.
    fn add(&mut self, record: &Record, table: &Filling) -> PolarsResult<()> {
        let columns = self.columns;
        // Every cell is read trimmed, as the contract reads it.
        let cell = |index: usize| record.get(index).unwrap_or("").trim();
        let account = cell(columns.account);
        if record.len() != columns.fields.width || account.is_empty() {
            return if record.blank(&columns.fields) {
                Ok(())
            } else {
                Err(not_canonical("account_id, or a line's fields"))
            };
        }
        let rules = self.rules;
        let day = self.days.code(cell(columns.date), day_code)?;
        let products = &mut self.products;
        let product = self.product_index.code(cell(columns.product), |name| {
            products.push(Product::new(name)?);
            Ok((products.len() - 1) as u32)
        })?;
        let optional = |column: Option<usize>| column.map_or("", cell);
        let site = match optional(columns.site) {
            "" => NO_SITE,
            site => self.sites.code(site, |site| rules.site_code(site))?,
        };
        let surface = match optional(columns.surface) {
            "" => DEFAULT,
            surface => self
                .surfaces
                .code(surface, |cell| enum_code(cell, SURFACES, "surface"))?,
        };
        let action = match optional(columns.action) {
            "" => rules.default_action,
            action => {
                let code = self
                    .actions
                    .code(action, |cell| enum_code(cell, ACTIONS, "action"))?;
                rules.actions[usize::from(code)]
            }
        };
        let succeeded = match optional(columns.success) {
            "" => DEFAULT_SUCCESS,
            flag => self.success.code(flag, flag_code)? != 0,
        };
        if !count_is_canonical(optional(columns.count)) {
            return Err(not_canonical("count"));
        }
        let product = &self.products[product as usize];
        let (a, b) = rules.words(
            day,
            product,
            site,
            action,
            succeeded,
            surface == rules.mobile,
        );
        // The account's number goes above the product's code at the fold.
        self.pairs.push(u64::from(product.code));
        self.ids.push_str(account);
        self.id_ends.push(self.ids.len());
        self.packed_days.push(day);
        self.a.push(a);
        self.b.push(b);
        self.latest = self.latest.max(Some(day));
        if self.pairs.len() >= BATCH_ROWS {
            self.flush(table)?;
        }
        Ok(())
    }

    /// Puts each packed row's account number above its product's code.
    /// The lookups run in a loop of their own: with a million accounts
    /// each one waits for memory, and a short loop of independent lookups
    /// lets the processor wait for several at once (looked up as each
    /// record was read, they were most of the time of a run on L).
    fn number_accounts(&mut self) -> PolarsResult<()> {
        let mut start = 0;
        for (pair, &end) in self.pairs.iter_mut().zip(&self.id_ends) {
            let number = self.rules.account_number(&self.ids[start..end])?;
            start = end;
            *pair |= u64::from(number) << 32;
        }
        Ok(())
    }

    /// Folds the rows packed so far into `table`.
    fn flush(&mut self, table: &Filling) -> PolarsResult<()> {
        self.number_accounts()?;
        let mut filling = table
            .lock()
            .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
        let rows = PackedRows {
            pairs: &self.pairs,
            days: &self.packed_days,
            a: &self.a,
            b: &self.b,
        };
        filling.0.add_packed_rows(rows, self.rules.as_of, VIEWED);
        filling.1.include(self.latest);
        drop(filling);
        self.pairs.clear();
        self.ids.clear();
        self.id_ends.clear();
        self.packed_days.clear();
        self.a.clear();
        self.b.clear();
        Ok(())
    }
}

/// The codes of a column whose values repeat, each worked out once per
/// thread; the last cell's is kept apart, since neighbouring rows often
/// share a value.
struct Repeated<T> {
    last: Option<T>,
    last_text: String,
    known: PlHashMap<Box<str>, T>,
}

impl<T> Default for Repeated<T> {
    fn default() -> Self {
        Repeated {
            last: None,
            last_text: String::new(),
            known: PlHashMap::new(),
        }
    }
}

impl<T: Copy> Repeated<T> {
    fn code(&mut self, cell: &str, new: impl FnOnce(&str) -> PolarsResult<T>) -> PolarsResult<T> {
        if let Some(code) = self.last.filter(|_| self.last_text == cell) {
            return Ok(code);
        }
        let code = match self.known.get(cell) {
            Some(&code) => code,
            None => {
                let code = new(cell)?;
                self.known.insert(cell.into(), code);
                code
            }
        };
        self.last = Some(code);
        self.last_text.clear();
        self.last_text.push_str(cell);
        Ok(code)
    }
}
