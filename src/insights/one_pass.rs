//! Activity read once: every cell checked and every row folded in the
//! same scan of the file.
//!
//! Checking `activity` and folding it each read the whole table, and it is
//! the one large table. One scan does both: polars reads the file and
//! hands each morsel's raw cells, on its own threads, to
//! [`RowRules::pack`], which reads each cell as the contract does
//! (trimmed; product keys, enums and flags in any case and every boolean
//! spelling; dates as YYYY-MM-DD), working each rule out once per distinct
//! value, and packs the row with the bit layout of [`super::activity`]
//! (its pair, its day and the two words); the pair table folds the packed
//! rows. A CSV file is read without polars, record by record on every
//! core, with the same rules ([`csv_records`]).
//!
//! A bad cell (one the contract sets aside: a bad date, enum, flag or
//! count, or a row without an account id) stops the scan, and activity is
//! then checked in full and read as before: every problem is reported as
//! the check reports it, and the run says, at warn level and on the page,
//! that it took that slower way.

mod cells;
mod csv_records;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use polars::prelude::*;

use self::cells::*;
use self::csv_records::CsvStop;
use super::bits::{
    month_starts, SiteFacts, AI_MONTHS_SHIFT, CLICKS, GENERATING, MONTHS, OLDER, ROVO_MONTHS_SHIFT,
    TRELLO_PLAN_SHIFT, UNKNOWN, VIEW_MONTHS_SHIFT, WINDOW_AI_BIT, WINDOW_ANY_BIT,
    WINDOW_MOBILE_BIT, WINDOW_ROVO_BIT,
};
use super::pair_table::PairTable;
use crate::bundle::raw::RawTable;
use crate::bundle::spec::{ACTIONS, DEFAULT_ACTION, DEFAULT_SUCCESS, MIN_COUNT, SURFACES};
use crate::bundle::{canonical, slice_rows, Format, UncheckedActivity};
use crate::support::frame::{count_rows, date_to_days, days_to_date};

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

/// Reads `activity` once, checking and folding every row. `Err` with
/// why, when a cell is not canonical or a column is of a type this pass
/// does not read: activity is then to be checked in full and read again,
/// the slow path, which the run says.
///
/// A CSV file is read record by record on every core ([`csv_records`]),
/// with its pieces cut outside quoted fields once a quote is met; Parquet
/// by polars, which hands each morsel's cells to [`RowRules::pack`].
pub fn fold(
    activity: &UncheckedActivity,
    account_ids: &[Option<&str>],
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<Result<Folded, String>> {
    let Some(layout) = activity.columns().as_ref().and_then(Layout::new) else {
        return Ok(Err(
            "activity has a column of a type the one pass does not read (see the data contract's types)".to_string(),
        ));
    };
    let started = std::time::Instant::now();
    let rules = RowRules::new(layout, account_ids, sites, as_of, window_start);
    let empty = || {
        (
            PairTable::new(account_ids.len(), UNKNOWN),
            Latest::default(),
        )
    };
    let table = Arc::new(Mutex::new(empty()));
    let by_polars = |rules: RowRules| -> PolarsResult<()> {
        let raw = activity
            .opened()
            .map_err(|_| polars_err!(ComputeError: "activity could not be opened"))?;
        scan_cells(raw, rules, &table)
    };
    let read = match activity.csv() {
        Some(csv) => match csv_records::fold(csv, &rules, &table) {
            Ok(()) => Ok(()),
            Err(CsvStop::NotCanonical(err)) => Err(err),
            Err(CsvStop::Quoted) => {
                // Rows read before the quote was met are folded again,
                // with the pieces cut outside quoted fields.
                *table
                    .lock()
                    .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))? =
                    empty();
                match csv_records::fold_quoted(csv, &rules, &table) {
                    Ok(()) => Ok(()),
                    Err(CsvStop::NotCanonical(err)) => Err(err),
                    Err(CsvStop::Quoted) => {
                        Err(polars_err!(ComputeError: "activity's quotes could not be followed"))
                    }
                }
            }
        },
        None => by_polars(rules),
    };
    if let Err(err) = read {
        return Ok(Err(format!(
            "{}, so activity was checked in full and read a second time",
            err.to_string().trim_start_matches("ComputeError: ").trim()
        )));
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
    Ok(Ok(Folded {
        by_pair,
        rows,
        latest: latest.0.and_then(days_to_date),
    }))
}

/// The pair table being filled, and the latest date met.
type Filling = Mutex<(PairTable, Latest)>;

/// Bits of word `a` that only a counted view sets.
const VIEWED: u64 = ((1u64 << (OLDER + 1)) - 1) << VIEW_MONTHS_SHIFT;

/// Folds `raw`'s cells as polars reads them into `table`: Parquet in
/// slices of [`slice_rows`] rows (polars maps the file, and the pages it
/// has read stay in the process's memory until its scan ends: a third of
/// L's peak when read whole).
fn scan_cells(raw: &RawTable, rules: RowRules, table: &Arc<Filling>) -> PolarsResult<()> {
    let inputs: Vec<Expr> = rules.layout.names.iter().map(|name| col(*name)).collect();
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
    if raw.file.format != Format::Parquet {
        return scan(raw.cells.clone());
    }
    let size = slice_rows();
    let total = count_rows(raw.cells.clone())?;
    let mut offset = 0;
    while offset < total.max(1) {
        scan(raw.cells.clone().slice(offset as i64, size as IdxSize))?;
        offset += size;
    }
    Ok(())
}

/// The latest date of every row, after as_of too.
#[derive(Default)]
struct Latest(Option<i32>);

impl Latest {
    fn add(&mut self, rows: &DataFrame) -> PolarsResult<()> {
        self.include(rows.column("day")?.i32()?.max());
        Ok(())
    }

    fn include(&mut self, day: Option<i32>) {
        self.0 = self.0.max(day);
    }
}

/// The packed rows of a batch as the pair table reads them, without the
/// blank lines ([`BLANK_PAIR`]).
fn unpacked(batch: &DataFrame) -> PolarsResult<DataFrame> {
    let fields = batch.column("packed")?.struct_()?.fields_as_series();
    let rows = DataFrame::new_infer_height(fields.into_iter().map(Column::from).collect())?;
    let kept = rows.column("pair")?.u64()?.not_equal(BLANK_PAIR);
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

/// The pair of a blank line, left out of the fold: no account has the
/// number `UNKNOWN` together with the largest product code.
const BLANK_PAIR: u64 = u64::MAX;

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

/// A product met in a morsel: its code in polars' global categories.
struct Product {
    name: PlSmallStr,
    code: u32,
    trello: bool,
}

impl Product {
    /// The product named `name`, read as the contract reads a key: trimmed
    /// and lower-cased (`JIRA` is `jira`); refused when that leaves nothing.
    fn new(name: &str) -> PolarsResult<Self> {
        let name = name.trim().to_lowercase();
        if !canonical::key(&name) {
            return Err(not_canonical("product"));
        }
        Ok(Product {
            code: Categories::global().mapping().insert_cat(&name)?,
            trello: name == "trello",
            name: name.into(),
        })
    }
}

// Codes of a row's cells. An account is its number, [`UNKNOWN`] or
// [`BLANK`] (no id: only a blank line may have none); a day is days since
// 1970-01-01 or [`NO_DAY`]; a product its index among the morsel's, or
// [`EMPTY`]; a site [`NO_SITE`], [`PLAIN_SITE`] (one without facts) or its
// index in `RowRules::site_facts`; an enum or a flag its index among its
// values, or [`DEFAULT`] for an empty cell.
const BLANK: u32 = UNKNOWN - 1;
const NO_DAY: i32 = i32::MIN;
const EMPTY: u32 = u32::MAX;
const NO_SITE: u32 = u32::MAX;
const PLAIN_SITE: u32 = u32::MAX - 1;
const DEFAULT: u8 = u8::MAX;

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
}

thread_local! {
    static CODES: RefCell<Codes> = RefCell::default();
}

/// Everything [`RowRules::pack`] needs, shared by polars' threads.
struct RowRules {
    layout: Layout,
    /// Each account id's number, its row in `accounts`. An id of up to 24
    /// bytes is kept inline, so that a lookup compares it without reading
    /// memory elsewhere (a cache miss per row with `String` keys).
    accounts: PlHashMap<PlSmallStr, u32>,
    /// With `sites`: the index of each site that carries a fact.
    sites: Option<PlHashMap<String, u32>>,
    site_facts: Vec<SiteFact>,
    actions: Vec<ActionFacts>,
    /// An empty action's: `view`.
    default_action: ActionFacts,
    /// The code of `mobile` among the surfaces.
    mobile: u8,
    as_of: i32,
    window_start: i32,
    /// The first day of as_of's month and of each month before it.
    month_starts: [i32; MONTHS as usize],
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
                accounts.insert(PlSmallStr::from_str(id), number as u32);
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
        let default_action = ACTIONS
            .iter()
            .position(|a| *a == DEFAULT_ACTION)
            .map(|default| actions[default])
            .unwrap_or_default();
        let (sites, site_facts) = match sites.map(site_facts) {
            Some((index, facts)) => (Some(index), facts),
            None => (None, Vec::new()),
        };
        RowRules {
            layout,
            accounts,
            sites,
            site_facts,
            actions,
            default_action,
            mobile: SURFACES
                .iter()
                .position(|s| *s == "mobile")
                .map_or(DEFAULT, |code| code as u8),
            as_of: date_to_days(as_of),
            window_start: date_to_days(window_start),
            month_starts: month_starts(as_of),
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
        CODES.with(|codes| {
            let mut codes = codes
                .try_borrow_mut()
                .map_err(|_| polars_err!(ComputeError: "the codes of a morsel were in use"))?;
            self.pack_with(cells, &mut codes)
        })
    }

    fn pack_with(&self, cells: &[Column], codes: &mut Codes) -> PolarsResult<Column> {
        let height = cells[ACCOUNT].len();
        self.account_numbers(&cells[ACCOUNT], &mut codes.accounts)?;
        days(&cells[DATE], self.layout.native_date, &mut codes.days)?;
        let products = products(cells[PRODUCT].str()?, &mut codes.products)?;
        let optional = |column: Option<usize>| column.map(|i| &cells[i]);
        self.site_codes(optional(self.layout.site), height, &mut codes.sites)?;
        enum_codes(
            optional(self.layout.surface),
            SURFACES,
            height,
            &mut codes.surfaces,
        )?;
        enum_codes(
            optional(self.layout.action),
            ACTIONS,
            height,
            &mut codes.actions,
        )?;
        let success = self.layout.success.map(|(i, native)| (&cells[i], native));
        flags(success, height, &mut codes.success)?;
        if let Some((i, native)) = self.layout.count {
            check_counts(&cells[i], native)?;
        }

        let mut pairs = Vec::with_capacity(height);
        let mut days = Vec::with_capacity(height);
        let (mut word_a, mut word_b) = (Vec::with_capacity(height), Vec::with_capacity(height));
        for row in 0..height {
            let account = codes.accounts[row];
            if account == BLANK {
                if !blank(cells, row) {
                    return Err(not_canonical("account_id"));
                }
                pairs.push(BLANK_PAIR);
                days.push(NO_DAY);
                word_a.push(0);
                word_b.push(0);
                continue;
            }
            let day = codes.days[row];
            let product = products.get(codes.products[row] as usize);
            let (Some(product), false) = (product, day == NO_DAY) else {
                return Err(not_canonical("date or product"));
            };
            let action = match codes.actions[row] {
                DEFAULT => self.default_action,
                code => self.actions[usize::from(code)],
            };
            let succeeded = match codes.success[row] {
                DEFAULT => DEFAULT_SUCCESS,
                flag => flag != 0,
            };
            let on_mobile = codes.surfaces[row] == self.mobile;
            let (a, b) = self.words(day, product, codes.sites[row], action, succeeded, on_mobile);
            pairs.push((u64::from(account) << 32) | u64::from(product.code));
            days.push(day);
            word_a.push(a);
            word_b.push(b);
        }
        let fields = [
            Series::new("pair".into(), pairs),
            Series::new("day".into(), days),
            Series::new("a".into(), word_a),
            Series::new("b".into(), word_b),
        ];
        let packed = StructChunked::from_series("packed".into(), height, fields.iter())?;
        Ok(packed.into_series().into_column())
    }

    /// The two words of a row (the bit layout of `super::activity`).
    fn words(
        &self,
        day: i32,
        product: &Product,
        site: u32,
        action: ActionFacts,
        succeeded: bool,
        on_mobile: bool,
    ) -> (u64, u64) {
        let counted = day <= self.as_of;
        let window = counted && day >= self.window_start;
        let (rovo, ai, trello_rank) = match &self.sites {
            None => (false, false, 0),
            Some(_) => {
                let fact = self.site_facts.get(site as usize);
                let no_site = site == NO_SITE;
                let rovo = ((action.generating && succeeded) || action.click)
                    && (no_site || fact.is_some_and(|f| f.rovo));
                let ai = action.ai
                    && (no_site
                        || fact.is_some_and(|f| {
                            f.ai_products
                                .iter()
                                .any(|p| p.as_str() == product.name.as_str())
                        }));
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
    /// `accounts`, [`BLANK`] for no id.
    fn account_numbers(&self, ids: &Column, numbers: &mut Vec<u32>) -> PolarsResult<()> {
        numbers.clear();
        for id in ids.str()?.iter() {
            numbers.push(match id {
                Some(id) => self.account_number(id)?,
                None => BLANK,
            });
        }
        Ok(())
    }

    /// An account id's number, surrounding spaces aside, [`UNKNOWN`] for
    /// one missing from `accounts`; refused for an id of spaces, a bad
    /// row the full check names.
    fn account_number(&self, id: &str) -> PolarsResult<u32> {
        if let Some(&number) = self.accounts.get(id) {
            return Ok(number);
        }
        let id = id.trim();
        if id.is_empty() {
            return Err(not_canonical("account_id"));
        }
        Ok(self.accounts.get(id).copied().unwrap_or(UNKNOWN))
    }

    /// A site's code, surrounding spaces aside: its index in `site_facts`,
    /// or [`PLAIN_SITE`]; [`NO_SITE`] for a cell of spaces.
    fn site_code(&self, site: &str) -> PolarsResult<u32> {
        let site = site.trim();
        if site.is_empty() {
            return Ok(NO_SITE);
        }
        let known = self.sites.as_ref().and_then(|sites| sites.get(site));
        Ok(known.copied().unwrap_or(PLAIN_SITE))
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
