//! Activity's CSV file checked and folded record by record, on every core,
//! without polars' CSV reader.
//!
//! polars' reader builds a column of strings for every cell of a morsel,
//! and the rules then read them back: on a CSV export, polars' reader was
//! nearly half of a run. Here each thread reads whole lines of the file
//! with the `csv` crate (`bundle::csv_pieces`), codes each cell by its
//! rule as it reads it, sets a bad record aside with its line, and folds
//! its packed rows in batches. The first quote character met sends the
//! read back to the start, with the pieces cut outside quoted fields.

use chrono::NaiveDate;
use polars::prelude::*;

use super::set_aside::{BadRows, Place};
use super::{Filling, Product, RowRules, DEFAULT, NO_SITE, VIEWED};
use crate::bundle::activity_rules::{
    account_rule, breaks, count_rule, day_code, enum_code, flag_code, Invalid, Rule,
};
use crate::bundle::csv_pieces::{for_each_record, Cuts, Lines, Record, Stop};
use crate::bundle::raw::CsvFields;
use crate::bundle::spec::{ACTIONS, DEFAULT_SUCCESS, SURFACES};
use crate::bundle::{CsvSource, UncheckedActivity};
use crate::insights::pair_table::PackedRows;
use crate::support::frame::days_to_date;

/// Rows a thread packs before it folds them into the shared table.
const BATCH_ROWS: usize = 1 << 16;

/// Folds every record of the CSV file `csv` into `table`; gives the rows
/// set aside, what places their lines, and why the file was read twice
/// when it was. `Err` with why the file could not be read through.
///
/// The pieces are first cut at the first line end after each cut, as if
/// no field held a line end; when one did, right at a cut, the rows are
/// folded again with the pieces cut outside quoted fields, which the run
/// says at warn level.
pub(super) fn fold(
    csv: &CsvSource,
    rules: &RowRules,
    table: &Filling,
) -> Result<(BadRows, Lines, Option<&'static str>), String> {
    match fold_with(csv, rules, table, None) {
        Err(Misread::At(cuts)) => {
            tracing::warn!(reason = READ_AGAIN, "activity was read the slower way");
            reset(table).map_err(|err| err.to_string())?;
            let (bad, lines) =
                fold_with(csv, rules, table, Some(&cuts)).map_err(Misread::into_why)?;
            Ok((bad, lines, Some(READ_AGAIN)))
        }
        read => {
            let (bad, lines) = read.map_err(Misread::into_why)?;
            Ok((bad, lines, None))
        }
    }
}

/// Why a CSV is read a second time.
const READ_AGAIN: &str = "activity's CSV holds a line end inside a quoted field where the read \
     cut the file into pieces, so it was read a second time with its pieces cut outside quoted fields";

/// Why a fold did not end.
enum Misread {
    /// A cut fell inside a quoted field; these are the cuts.
    At(Cuts),
    /// The file could not be read through, and why.
    Unreadable(String),
}

impl Misread {
    fn into_why(self) -> String {
        match self {
            Misread::At(_) => "pieces that could be cut outside quoted fields".to_string(),
            Misread::Unreadable(why) => why,
        }
    }
}

/// Empties the table and the latest date of a read cut short.
fn reset(table: &Filling) -> PolarsResult<()> {
    let mut filling = super::lock(table)?;
    let accounts = filling.0.accounts();
    *filling = (
        super::PairTable::new(accounts, super::UNKNOWN),
        super::Latest::default(),
    );
    Ok(())
}

/// [`fold`] with the pieces cut at the first line end after each cut, or
/// outside quoted fields with `cuts`.
fn fold_with(
    csv: &CsvSource,
    rules: &RowRules,
    table: &Filling,
    cuts: Option<&Cuts>,
) -> Result<(BadRows, Lines), Misread> {
    let columns = Columns::new(rules, &csv.fields).ok_or_else(|| {
        Misread::Unreadable("a header whose columns agree with the table's".to_string())
    })?;
    let new_coder = || RowCoder::new(rules, &columns);
    let add = |coder: &mut RowCoder, record: &Record| coder.add(record, table);
    let pieces = for_each_record(&csv.file, cuts, new_coder, add).map_err(|stop| match stop {
        Stop::Misread(cuts) => Misread::At(cuts),
        Stop::Unreadable(why) | Stop::Refused(why) => Misread::Unreadable(why),
    })?;
    let mut bad = BadRows::default();
    for mut coder in pieces.states {
        let flushed = coder.flush(table);
        flushed.map_err(|err| Misread::Unreadable(err.to_string()))?;
        bad.merge(std::mem::take(&mut coder.bad));
    }
    tracing::debug!(
        cut_outside_quotes = cuts.is_some(),
        "activity's CSV read record by record"
    );
    Ok((bad, pieces.lines))
}

/// The latest valid date of activity, read as the one pass reads it (rows
/// set aside for another cell count too, as the check counts them);
/// `None` without a dated row, or when the file cannot be read through:
/// the fold then names the problem.
pub fn latest_date(activity: &UncheckedActivity) -> Option<NaiveDate> {
    let day = match activity.csv() {
        Some(csv) => {
            let latest = match latest_csv_date(csv, None) {
                Err(Stop::Misread(cuts)) => latest_csv_date(csv, Some(&cuts)),
                read => read,
            };
            latest.ok()?
        }
        None => super::cells::latest_parquet_date(activity.opened().ok()?).ok()?,
    };
    day.and_then(days_to_date)
}

/// [`latest_date`] of a CSV file, its pieces cut outside quoted fields
/// with `cuts`.
fn latest_csv_date(csv: &CsvSource, cuts: Option<&Cuts>) -> Result<Option<i32>, Stop<()>> {
    let date = csv.fields.position("date").ok_or(Stop::Refused(()))?;
    let pieces = for_each_record(
        &csv.file,
        cuts,
        || None,
        |latest: &mut Option<i32>, record: &Record| {
            let day = record.get(date).and_then(|cell| day_code(cell).ok());
            *latest = (*latest).max(day);
            Ok(())
        },
    )?;
    Ok(pieces.states.into_iter().flatten().max())
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
    /// The contract's columns the file has, in the contract's order, with
    /// their fields: the order a bad row's cells are named in.
    contract_order: Vec<(&'static str, usize)>,
}

impl Columns {
    /// `None` if the layout and the header disagree (they are made from
    /// the same header, so never in practice).
    fn new(rules: &RowRules, fields: &CsvFields) -> Option<Self> {
        let layout = &rules.layout;
        let at = |input: usize| fields.position(layout.names.get(input)?);
        // `Some(None)`: the file does not have the column.
        let read = |input: Option<usize>| match input {
            None => Some(None),
            Some(i) => at(i).map(Some),
        };
        let contract_order = layout
            .contract_order
            .iter()
            .map(|&(name, input)| Some((name, at(input)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Columns {
            fields: fields.clone(),
            account: at(layout.account)?,
            date: at(layout.date)?,
            product: at(layout.product)?,
            site: read(layout.site)?,
            surface: read(layout.surface)?,
            action: read(layout.action)?,
            success: read(layout.success.map(|(i, _)| i))?,
            count: read(layout.count.map(|(i, _)| i))?,
            contract_order,
        })
    }
}

/// A row coded and packed, before its account is numbered.
struct PackedRow {
    product_code: u32,
    day: i32,
    words: (u64, u64),
}

/// One thread's coding of records: the codes of the cells it has met, the
/// rows packed since its last fold, and the rows it set aside.
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
    bad: BadRows,
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
            bad: BadRows::default(),
        }
    }

    /// Checks and packs one record, folding the batch when it is full; a
    /// record with a bad cell is set aside. `Err` for a record polars
    /// could not read (more fields than the header).
    fn add(&mut self, record: &Record, table: &Filling) -> Result<(), String> {
        let columns = self.columns;
        if record.len() > columns.fields.width {
            return Err(format!(
                "a record of {} fields, where the header has {}",
                record.len(),
                columns.fields.width
            ));
        }
        let account = record.get(columns.account).unwrap_or("");
        let Ok(account) = account_rule(account) else {
            if !record.blank(&columns.fields) {
                self.set_aside(record);
            }
            return Ok(());
        };
        let Ok(row) = self.code(record) else {
            self.set_aside(record);
            return Ok(());
        };
        // The account's number goes above the product's code at the fold.
        self.pairs.push(u64::from(row.product_code));
        self.ids.push_str(account);
        self.id_ends.push(self.ids.len());
        self.packed_days.push(row.day);
        self.a.push(row.words.0);
        self.b.push(row.words.1);
        self.latest = self.latest.max(Some(row.day));
        if self.pairs.len() >= BATCH_ROWS {
            self.flush(table).map_err(|err| err.to_string())?;
        }
        Ok(())
    }

    /// Codes a record's cells (but its account) by their rules, each once
    /// per distinct value, and packs them.
    fn code(&mut self, record: &Record) -> Rule<PackedRow> {
        let (columns, rules) = (self.columns, self.rules);
        // A field the record lacks is empty, as polars reads it.
        let cell = |index: usize| record.get(index).unwrap_or("");
        let optional = |column: Option<usize>| column.map_or("", cell);
        let day = self.days.code(cell(columns.date), day_code)?;
        let products = &mut self.products;
        let product = self.product_index.code(cell(columns.product), |name| {
            let product = Product::new(name).ok().flatten().ok_or(Invalid)?;
            products.push(product);
            Ok((products.len() - 1) as u32)
        })?;
        let site = match optional(columns.site) {
            "" => NO_SITE,
            site => self.sites.code(site, |site| Ok(rules.site_code(site)))?,
        };
        let surface = match optional(columns.surface) {
            "" => DEFAULT,
            surface => self.surfaces.code(surface, |c| enum_code(c, SURFACES))?,
        };
        let action = match optional(columns.action) {
            "" => rules.default_action,
            action => {
                let code = self.actions.code(action, |c| enum_code(c, ACTIONS))?;
                match code {
                    DEFAULT => rules.default_action,
                    code => rules.actions[usize::from(code)],
                }
            }
        };
        let succeeded = match optional(columns.success) {
            "" => DEFAULT_SUCCESS,
            flag => match self.success.code(flag, flag_code)? {
                DEFAULT => DEFAULT_SUCCESS,
                flag => flag != 0,
            },
        };
        // Counts vary row to row: plain digits are read faster than looked up.
        count_rule(optional(columns.count))?;
        let product = &self.products[product as usize];
        let on_mobile = surface == rules.mobile;
        Ok(PackedRow {
            product_code: product.code,
            day,
            words: rules.words(day, product, site, action, succeeded, on_mobile),
        })
    }

    /// Sets a record aside, naming each of its bad cells.
    fn set_aside(&mut self, record: &Record) {
        let cell = |index: usize| record.get(index).unwrap_or("");
        let named = self.columns.contract_order.iter().filter_map(|&(name, i)| {
            let value = cell(i);
            breaks(name, value).then(|| (name, value.to_string()))
        });
        let day = day_code(cell(self.columns.date)).ok();
        self.bad.add(Place::Csv(record.at()), named, day);
    }

    /// Puts each packed row's account number above its product's code.
    /// The lookups run in a loop of their own: with a million accounts
    /// each one waits for memory, and a short loop of independent lookups
    /// lets the processor wait for several at once (looked up as each
    /// record was read, they were most of the time of a run on L).
    fn number_accounts(&mut self) {
        let mut start = 0;
        for (pair, &end) in self.pairs.iter_mut().zip(&self.id_ends) {
            let number = self.rules.account_number(&self.ids[start..end]);
            start = end;
            *pair |= u64::from(number) << 32;
        }
    }

    /// Folds the rows packed so far into `table`.
    fn flush(&mut self, table: &Filling) -> PolarsResult<()> {
        self.number_accounts();
        let mut filling = super::lock(table)?;
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
    /// `cell`'s code by its rule `new`, run once per distinct cell; a bad
    /// cell is not kept (there are few).
    fn code(&mut self, cell: &str, new: impl FnOnce(&str) -> Rule<T>) -> Rule<T> {
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
