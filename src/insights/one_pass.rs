//! Activity read once: every cell checked and every row folded in the
//! same scan of the file.
//!
//! Checking `activity` and folding it each read the whole table, and it is
//! the one large table. Most exports are already canonical: every cell
//! trimmed, lower-cased where the contract says so, dates as YYYY-MM-DD,
//! flags and counts spelled plainly, every account id as `accounts` has
//! it. For them one scan does both: polars reads the file and hands each
//! morsel's raw cells, on its own threads, to [`RowRules::pack`], which
//! tests each cell against its canonical form and packs the row as the
//! folding pass of [`super::activity`] does (pair, after, last view, the
//! two words); the pair table folds the packed rows.
//!
//! The first cell that is not canonical (a bad one, or a good one that the
//! contract reads only after trimming or lower-casing, or an account id
//! that is missing or padded) stops the scan, and activity is then checked
//! in full and read as before: every problem is reported as the check
//! reports it, and an awkward export costs a scan cut short.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;

use super::activity::{
    SiteFacts, AI_MONTHS_SHIFT, CLICKS, GENERATING, MONTHS, OLDER, ROVO_MONTHS_SHIFT,
    TRELLO_PLAN_SHIFT, UNKNOWN, VIEW_MONTHS_SHIFT, WINDOW_AI_BIT, WINDOW_ANY_BIT,
    WINDOW_MOBILE_BIT, WINDOW_ROVO_BIT,
};
use super::pair_table::PairTable;
use crate::bundle::canonical;
use crate::bundle::spec::{ACTIONS, SURFACES};
use crate::support::frame::{date_to_days, days_to_date};

/// What the one pass found: the rows folded by pair (as
/// `activity::fold_pairs` gives them), the table's rows and its latest date.
pub struct Folded {
    pub by_pair: DataFrame,
    pub rows: u64,
    pub latest: Option<NaiveDate>,
}

/// Why the pass stopped at a cell that is not canonical (the log names
/// the column, never the value); any stop sends activity to the full
/// check, which reports what is wrong.
fn not_canonical(column: &str) -> PolarsError {
    polars_err!(ComputeError: "a cell of activity's {column} is not in canonical form")
}

/// Reads `cells` (activity's columns as the file has them, typed as
/// `columns` says) once, checking and folding every row. `None` when a
/// cell is not canonical or a column is of a type this pass does not
/// read: activity is then to be checked in full and read as before.
pub fn fold(
    cells: LazyFrame,
    columns: &BTreeMap<&'static str, DataType>,
    account_ids: &[Option<&str>],
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<Option<Folded>> {
    let Some(layout) = Layout::new(columns) else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let inputs: Vec<Expr> = layout.names.iter().map(|name| col(*name)).collect();
    let rules = RowRules::new(layout, account_ids, sites, as_of, window_start);
    let packed = map_multiple(
        move |cells: &mut [Column]| rules.pack(cells),
        inputs,
        |_: &Schema, _: &[Field]| Ok(Field::new("packed".into(), packed_type())),
    );
    let table = Arc::new(Mutex::new((
        PairTable::new(account_ids.len(), UNKNOWN),
        Latest::default(),
    )));
    let filling = Arc::clone(&table);
    let scan = cells.select([packed.alias("packed")]).sink_batches(
        PlanCallback::new(move |batch: DataFrame| {
            let rows = unpacked(&batch)?;
            let mut filling = filling
                .lock()
                .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
            filling.1.add(&rows)?;
            filling.0.add(&rows)?;
            Ok(false)
        }),
        false,
        None,
    )?;
    if let Err(err) = scan.collect_with_engine(Engine::Streaming) {
        tracing::debug!(%err, "activity is read again after a full check");
        return Ok(None);
    }
    let (pairs, latest) = {
        let mut table = table
            .lock()
            .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
        std::mem::replace(&mut *table, (PairTable::new(0, UNKNOWN), Latest::default()))
    };
    let by_pair = pairs.into_frame()?;
    let rows = by_pair.column("rows")?.u64()?.sum().unwrap_or(0);
    tracing::debug!(
        pairs = by_pair.height(),
        ms = started.elapsed().as_millis() as u64,
        "activity checked and folded in one pass"
    );
    Ok(Some(Folded {
        by_pair,
        rows,
        latest: latest.0.and_then(days_to_date),
    }))
}

/// The latest date of every row, after as_of too.
#[derive(Default)]
struct Latest(Option<i32>);

impl Latest {
    fn add(&mut self, rows: &DataFrame) -> PolarsResult<()> {
        let latest = rows.column("day")?.i32()?.max();
        self.0 = self.0.max(latest);
        Ok(())
    }
}

/// The packed rows of a batch as the pair table reads them, without the
/// blank lines (a null pair).
fn unpacked(batch: &DataFrame) -> PolarsResult<DataFrame> {
    let fields = batch.column("packed")?.struct_()?.fields_as_series();
    let rows = DataFrame::new_infer_height(fields.into_iter().map(Column::from).collect())?;
    if rows.column("pair")?.null_count() == 0 {
        return Ok(rows);
    }
    let mask = rows.column("pair")?.is_not_null();
    rows.filter(&mask)
}

fn packed_type() -> DataType {
    DataType::Struct(vec![
        Field::new("pair".into(), DataType::UInt64),
        Field::new("after".into(), DataType::UInt64),
        Field::new("last_view".into(), DataType::Int32),
        Field::new("a".into(), DataType::UInt64),
        Field::new("b".into(), DataType::UInt64),
        Field::new("day".into(), DataType::Int32),
    ])
}

/// Where each column the pass reads sits among the packing function's
/// inputs, and how it is typed.
struct Layout {
    names: Vec<&'static str>,
    site: Option<usize>,
    surface: Option<usize>,
    action: Option<usize>,
    success: Option<(usize, bool)>,
    count: Option<(usize, bool)>,
    /// Whether `date` is a native date (else text).
    native_date: bool,
}

/// `account_id`, `date` and `product` come first, in this order.
const ACCOUNT: usize = 0;
const DATE: usize = 1;
const PRODUCT: usize = 2;

impl Layout {
    /// `None` for a column type this pass does not read (a timestamp, a
    /// number where text is expected, …): the full check reads those.
    fn new(columns: &BTreeMap<&'static str, DataType>) -> Option<Self> {
        let text = |name: &str| columns.get(name) == Some(&DataType::String);
        if !text("account_id") || !text("product") {
            return None;
        }
        let native_date = match columns.get("date")? {
            DataType::String => false,
            DataType::Date => true,
            _ => return None,
        };
        let mut names = vec!["account_id", "date", "product"];
        let mut optional = |name: &'static str, native: fn(&DataType) -> bool| {
            let dtype = columns.get(name)?;
            let is_native = native(dtype);
            (is_native || *dtype == DataType::String).then(|| {
                names.push(name);
                (names.len() - 1, is_native)
            })
        };
        let never = |_: &DataType| false;
        let site = optional("site", never);
        let surface = optional("surface", never);
        let action = optional("action", never);
        let success = optional("success", |d| *d == DataType::Boolean);
        let count = optional("count", DataType::is_integer);
        let present = |name: &str| columns.contains_key(name);
        // A column of another type is read by the full check.
        let all_read = [
            ("site", site.is_some()),
            ("surface", surface.is_some()),
            ("action", action.is_some()),
            ("success", success.is_some()),
            ("count", count.is_some()),
        ]
        .iter()
        .all(|(name, read)| *read || !present(name));
        all_read.then(|| Layout {
            names,
            site: site.map(|(i, _)| i),
            surface: surface.map(|(i, _)| i),
            action: action.map(|(i, _)| i),
            success,
            count,
            native_date,
        })
    }
}

/// What a site of `sites` means to a row on it.
#[derive(Default)]
struct SiteFact {
    rovo: bool,
    /// The site's Trello plan (index in `PLANS`), 0 (free) if none.
    trello_rank: u32,
    /// Products whose AI is on at the site.
    ai_products: Vec<String>,
}

/// What an action means to the figures.
#[derive(Clone, Copy, Default)]
struct ActionFacts {
    view: bool,
    generating: bool,
    click: bool,
    ai: bool,
}

/// Everything [`RowRules::pack`] needs, shared by polars' threads.
struct RowRules {
    layout: Layout,
    /// Each account id's number, its row in `accounts`.
    accounts: PlHashMap<String, u32>,
    /// With `sites`: each site that carries a fact, and its facts.
    sites: Option<PlHashMap<String, SiteFact>>,
    actions: Vec<ActionFacts>,
    /// An empty action's: `view`.
    default_action: ActionFacts,
    as_of: i32,
    window_start: i32,
    /// The first day of as_of's month and of each month before it.
    month_starts: [i32; MONTHS as usize],
}

/// A row's site: none, one without facts, or one of `RowRules::sites`.
#[derive(Clone)]
enum Site<'a> {
    None,
    Plain,
    Known(&'a SiteFact),
}

/// A product met in a morsel: its code in polars' global categories.
struct Product<'a> {
    name: &'a str,
    code: u32,
    trello: bool,
}

impl RowRules {
    fn new(
        layout: Layout,
        account_ids: &[Option<&str>],
        sites: Option<&SiteFacts>,
        as_of: NaiveDate,
        window_start: NaiveDate,
    ) -> Self {
        let mut accounts = PlHashMap::with_capacity(account_ids.len());
        for (number, id) in account_ids.iter().enumerate() {
            if let Some(id) = id {
                accounts.insert((*id).to_string(), number as u32);
            }
        }
        let actions: Vec<ActionFacts> = ACTIONS
            .iter()
            .map(|action| ActionFacts {
                view: *action == "view",
                generating: GENERATING.contains(action),
                click: CLICKS.contains(action),
                ai: *action == "ai",
            })
            .collect();
        let first_of_month = as_of.with_day(1).unwrap_or(as_of);
        let month_starts = std::array::from_fn(|k| {
            let start = first_of_month
                .checked_sub_months(Months::new(k as u32))
                .unwrap_or(NaiveDate::MIN);
            date_to_days(start)
        });
        let default_action = ACTIONS
            .iter()
            .position(|a| *a == "view")
            .map(|view| actions[view])
            .unwrap_or_default();
        RowRules {
            layout,
            accounts,
            sites: sites.map(site_facts),
            actions,
            default_action,
            as_of: date_to_days(as_of),
            window_start: date_to_days(window_start),
            month_starts,
        }
    }

    /// The bit of a counted day's month: bit k for k months before as_of's
    /// month, [`OLDER`] before those.
    fn month_bit(&self, day: i32) -> u64 {
        let k = self
            .month_starts
            .iter()
            .position(|&start| day >= start)
            .map_or(OLDER, |k| k as u32);
        1 << k
    }

    /// One morsel's raw cells packed row by row (see [`packed_type`]).
    fn pack(&self, cells: &mut [Column]) -> PolarsResult<Column> {
        let height = cells[ACCOUNT].len();
        let accounts = self.account_numbers(&cells[ACCOUNT], cells)?;
        let days = days(&cells[DATE], self.layout.native_date)?;
        let (products, product_of_row) = products(&cells[PRODUCT])?;
        let sites = match self.layout.site {
            Some(i) => self.site_of_rows(&cells[i])?,
            None => Vec::new(),
        };
        let mobile = match self.layout.surface {
            Some(i) => enum_codes(&cells[i], SURFACES)?
                .into_iter()
                .map(|code| code.is_some_and(|c| SURFACES[c] == "mobile"))
                .collect(),
            None => Vec::new(),
        };
        let actions = match self.layout.action {
            Some(i) => enum_codes(&cells[i], ACTIONS)?,
            None => Vec::new(),
        };
        let success = match self.layout.success {
            Some((i, native)) => flags(&cells[i], native)?,
            None => Vec::new(),
        };
        if let Some((i, native)) = self.layout.count {
            check_counts(&cells[i], native)?;
        }

        let mut pair = Vec::with_capacity(height);
        let mut after = Vec::with_capacity(height);
        let mut last_view = Vec::with_capacity(height);
        let (mut word_a, mut word_b) = (Vec::with_capacity(height), Vec::with_capacity(height));
        for row in 0..height {
            let product = &products[product_of_row[row]];
            let (account, day) = match (accounts[row], days[row]) {
                (Some(account), Some(day)) if !product.name.is_empty() => (account, day),
                // A blank line: no cell at all (see `account_numbers`).
                (None, _) => {
                    pair.push(None);
                    after.push(0);
                    last_view.push(None);
                    word_a.push(0);
                    word_b.push(0);
                    continue;
                }
                _ => return Err(not_canonical("date or product")),
            };
            let site = sites.get(row).unwrap_or(&Site::None);
            let action = match actions.get(row) {
                Some(Some(code)) => self.actions[*code],
                _ => self.default_action,
            };
            let succeeded = success.get(row).copied().flatten().unwrap_or(true);
            let on_mobile = mobile.get(row).copied().unwrap_or(false);
            let (a, b) = self.words(day, product, site, action, succeeded, on_mobile);
            let counted = day <= self.as_of;
            pair.push(Some((u64::from(account) << 32) | u64::from(product.code)));
            after.push(u64::from(!counted));
            last_view.push((counted && action.view).then_some(day));
            word_a.push(a);
            word_b.push(b);
        }
        let fields = [
            Series::new("pair".into(), pair),
            Series::new("after".into(), after),
            Series::new("last_view".into(), last_view),
            Series::new("a".into(), word_a),
            Series::new("b".into(), word_b),
            Series::new("day".into(), days),
        ];
        let packed = StructChunked::from_series("packed".into(), height, fields.iter())?;
        Ok(packed.into_series().into_column())
    }

    /// The two words of a row (the bit layout of `super::activity`).
    fn words(
        &self,
        day: i32,
        product: &Product,
        site: &Site,
        action: ActionFacts,
        succeeded: bool,
        on_mobile: bool,
    ) -> (u64, u64) {
        let counted = day <= self.as_of;
        let window = counted && day >= self.window_start;
        let (rovo, ai, trello_rank) = match &self.sites {
            None => (false, false, 0),
            Some(_) => {
                let fact = match site {
                    Site::Known(fact) => Some(*fact),
                    _ => None,
                };
                let no_site = matches!(site, Site::None);
                let rovo = ((action.generating && succeeded) || action.click)
                    && (no_site || fact.is_some_and(|f| f.rovo));
                let ai = action.ai
                    && (no_site
                        || fact.is_some_and(|f| f.ai_products.iter().any(|p| p == product.name)));
                (rovo, ai, fact.map_or(0, |f| f.trello_rank))
            }
        };
        let month = if counted { self.month_bit(day) } else { 0 };
        let window_view = window && action.view;
        let bit = |on: bool, position: u32| u64::from(on) << position;
        let mut a = bit(window, WINDOW_ANY_BIT)
            | bit(window && on_mobile, WINDOW_MOBILE_BIT)
            | bit(window && rovo, WINDOW_ROVO_BIT)
            | bit(window && ai, WINDOW_AI_BIT);
        if window_view {
            a |= 1 << (day - self.window_start);
        }
        if action.view {
            a |= month << VIEW_MONTHS_SHIFT;
        }
        let mut b = 0;
        if rovo {
            b |= month << ROVO_MONTHS_SHIFT;
        }
        if ai {
            b |= month << AI_MONTHS_SHIFT;
        }
        if window_view && product.trello {
            b |= 1 << (TRELLO_PLAN_SHIFT + trello_rank);
        }
        (a, b)
    }

    /// Each row's account number, [`UNKNOWN`] for an id missing from
    /// `accounts`; `None` for a blank line (no cell at all).
    fn account_numbers(&self, ids: &Column, cells: &[Column]) -> PolarsResult<Vec<Option<u32>>> {
        let ids = ids.str()?;
        let mut numbers = Vec::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            let number = match id {
                Some(id) => match self.accounts.get(id) {
                    Some(&number) => Some(number),
                    None if !canonical::text(id) => {
                        return Err(not_canonical("account_id"));
                    }
                    None => Some(UNKNOWN),
                },
                None if blank(cells, row) => None,
                None => return Err(not_canonical("account_id")),
            };
            numbers.push(number);
        }
        Ok(numbers)
    }

    fn site_of_rows<'a>(&'a self, cells: &Column) -> PolarsResult<Vec<Site<'a>>> {
        let cells = cells.str()?;
        let mut met: PlHashMap<&str, Option<&SiteFact>> = PlHashMap::new();
        let mut sites = Vec::with_capacity(cells.len());
        for cell in cells.iter() {
            // An empty cell (`""` in a CSV, or in a Parquet file) is no site.
            let Some(cell) = cell.filter(|cell| !cell.is_empty()) else {
                sites.push(Site::None);
                continue;
            };
            let fact = match met.get(cell) {
                Some(fact) => *fact,
                None => {
                    if !canonical::text(cell) {
                        return Err(not_canonical("site"));
                    }
                    let fact = self.sites.as_ref().and_then(|sites| sites.get(cell));
                    met.insert(cell, fact);
                    fact
                }
            };
            sites.push(fact.map_or(Site::Plain, Site::Known));
        }
        Ok(sites)
    }
}

/// Whether row `row` has no cell at all (polars reads a blank line so).
fn blank(cells: &[Column], row: usize) -> bool {
    cells
        .iter()
        .all(|column| column.get(row).is_ok_and(|v| v.is_null()))
}

/// `sites`' facts by site.
fn site_facts(facts: &SiteFacts) -> PlHashMap<String, SiteFact> {
    let mut sites: PlHashMap<String, SiteFact> = PlHashMap::new();
    for site in &facts.rovo_sites {
        sites.entry(site.clone()).or_default().rovo = true;
    }
    for (rank, set) in &facts.trello_sites_by_plan {
        for site in set {
            let fact = sites.entry(site.clone()).or_default();
            fact.trello_rank = fact.trello_rank.max(*rank);
        }
    }
    for (product, set) in &facts.ai_sites_by_product {
        for site in set {
            sites
                .entry(site.clone())
                .or_default()
                .ai_products
                .push(product.clone());
        }
    }
    sites
}

/// Each row's date as days since 1970-01-01, `None` for an empty cell
/// (which only a blank line may have).
fn days(cells: &Column, native: bool) -> PolarsResult<Vec<Option<i32>>> {
    if native {
        return Ok(cells.date()?.physical().iter().collect());
    }
    let cells = cells.str()?;
    let mut days = Vec::with_capacity(cells.len());
    let mut last: Option<(&str, i32)> = None;
    for cell in cells.iter() {
        let Some(cell) = cell else {
            days.push(None);
            continue;
        };
        let day = match last {
            Some((text, day)) if text == cell => day,
            _ => {
                let Some(day) = canonical::day(cell) else {
                    return Err(not_canonical("date"));
                };
                last = Some((cell, day));
                day
            }
        };
        days.push(Some(day));
    }
    Ok(days)
}

/// The products met in a morsel, and each row's index among them.
fn products(cells: &Column) -> PolarsResult<(Vec<Product<'_>>, Vec<usize>)> {
    let cells = cells.str()?;
    let names = Categories::global().mapping();
    let mut met: PlHashMap<&str, usize> = PlHashMap::new();
    let mut products = Vec::new();
    let mut of_row = Vec::with_capacity(cells.len());
    for cell in cells.iter() {
        // Empty: only a blank line may have it (see `RowRules::pack`).
        let cell = cell.unwrap_or("");
        let index = match met.get(cell) {
            Some(&index) => index,
            None => {
                let blank = cell.is_empty();
                if !blank && !canonical::key(cell) {
                    return Err(not_canonical("product"));
                }
                products.push(Product {
                    name: cell,
                    code: if blank { 0 } else { names.insert_cat(cell)? },
                    trello: cell == "trello",
                });
                met.insert(cell, products.len() - 1);
                products.len() - 1
            }
        };
        of_row.push(index);
    }
    Ok((products, of_row))
}

/// Each row's position in `values`, `None` for an empty cell (the
/// column's default; empty text too, as the contract reads it).
fn enum_codes(cells: &Column, values: &[&str]) -> PolarsResult<Vec<Option<usize>>> {
    let column = cells.name().as_str();
    let cells = cells.str()?;
    let mut met: PlHashMap<&str, usize> = PlHashMap::new();
    let mut codes = Vec::with_capacity(cells.len());
    for cell in cells.iter() {
        let code = match cell {
            None | Some("") => None,
            Some(cell) => Some(match met.get(cell) {
                Some(&code) => code,
                None => {
                    let Some(code) = values.iter().position(|v| *v == cell) else {
                        return Err(not_canonical(column));
                    };
                    met.insert(cell, code);
                    code
                }
            }),
        };
        codes.push(code);
    }
    Ok(codes)
}

/// Each row's flag, `None` for an empty cell or empty text (the column's
/// default).
fn flags(cells: &Column, native: bool) -> PolarsResult<Vec<Option<bool>>> {
    if native {
        return Ok(cells.bool()?.iter().collect());
    }
    cells
        .str()?
        .iter()
        .map(|cell| match cell {
            None | Some("") => Ok(None),
            Some(cell) => match canonical::flag(cell) {
                Some(flag) => Ok(Some(flag)),
                None => Err(not_canonical("success")),
            },
        })
        .collect()
}

/// Counts are not part of any figure, but each must be a whole number of
/// at least 1 (the contract's minimum for `activity.count`).
fn check_counts(cells: &Column, native: bool) -> PolarsResult<()> {
    let canonical = if native {
        let counts = cells.cast(&DataType::Int64)?;
        let mut numbers = counts.i64()?.iter();
        numbers.all(|n| n.is_none_or(|n| n >= 1))
    } else {
        cells
            .str()?
            .iter()
            .all(|cell| cell.is_none_or(|cell| cell.is_empty() || canonical::count(cell, 1)))
    };
    if canonical {
        Ok(())
    } else {
        Err(not_canonical("count"))
    }
}
