//! Activity read once: every cell checked and every row folded in the
//! same scan of the file, for every spelling the contract allows.
//!
//! Checking `activity` and folding it each read the whole table, and it is
//! the one large table. One scan does both, with the rules of
//! `bundle/activity_rules.rs`, each written once: a CSV file is read record by record on
//! every core ([`csv_records`]); a Parquet file by polars, which hands
//! each morsel's cells to [`morsels`]. Every rule works once per distinct
//! value, so an awkward spelling costs what a canonical one does. Each row
//! is packed with the bit layout of [`super::activity`] (its pair, its
//! day and the two words), and the pair table folds the packed rows.
//!
//! A row with a bad cell (a bad date, enum, flag or count, or no account
//! id) is set aside where the scan meets it, each bad cell named with its
//! line or row ([`set_aside`]), and the rows set aside are held against
//! `[input] max_bad_rows_percent` at the end, as the contract says.

mod cells;
mod csv_records;
mod morsels;
mod set_aside;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use polars::prelude::*;

use self::cells::site_facts;
use self::set_aside::BadRows;
use super::bits::{
    month_starts, SiteFacts, AI_MONTHS_SHIFT, CLICKS, GENERATING, MONTHS, OLDER, ROVO_MONTHS_SHIFT,
    TRELLO_PLAN_SHIFT, UNKNOWN, VIEW_MONTHS_SHIFT, WINDOW_AI_BIT, WINDOW_ANY_BIT,
    WINDOW_MOBILE_BIT, WINDOW_ROVO_BIT,
};
use super::pair_table::PairTable;
use crate::bundle::activity_rules::{self as rules, DEFAULT};
use crate::bundle::spec::{Table, ACTIONS, DEFAULT_ACTION, SURFACES};
use crate::bundle::{SetAside, Tolerance, UncheckedActivity};
use crate::problems::Problems;
use crate::support::frame::{date_to_days, days_to_date};

pub use self::csv_records::latest_date;

/// What the one pass found: the rows folded by pair (one row per account
/// and product, as `PairTable::into_frame` gives them), the table's rows
/// (those set aside included), its latest date, and the rows set aside.
pub struct Folded {
    pub by_pair: DataFrame,
    pub rows: u64,
    pub latest: Option<NaiveDate>,
    pub set_aside: SetAside,
    /// Why the file was read a second time, when it was.
    pub read_again: Option<&'static str>,
}

/// How the one pass holds bad rows: the run's tolerance, and how many
/// problems may still be listed when they stop it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub tolerance: Tolerance,
    pub room: usize,
}

/// Reads `activity` once, checking and folding every row. `Ok(Err)` with
/// the problems that stop the run: the file cannot be read through, or
/// its bad rows are more than `limits` allow.
///
/// A CSV file is read record by record on every core ([`csv_records`]),
/// with its pieces cut outside quoted fields once a quote is met; Parquet
/// by polars ([`morsels`]).
pub fn fold(
    activity: &UncheckedActivity,
    account_ids: &[Option<&str>],
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
    limits: Limits,
) -> PolarsResult<Result<Folded, Problems>> {
    let unreadable = |why: String| {
        let mut problems = Problems::default();
        problems.push(activity.unreadable(&why));
        problems
    };
    let columns = activity.columns().unwrap_or_default();
    let Some(layout) = Layout::new(&columns) else {
        return Ok(Err(unreadable(
            "activity's required columns (account_id, date, product)".to_string(),
        )));
    };
    let started = std::time::Instant::now();
    let bad = Arc::new(Mutex::new(BadRows::default()));
    let rules = RowRules::new(layout, account_ids, sites, as_of, window_start, &bad);
    let table = Arc::new(Mutex::new((
        PairTable::new(account_ids.len(), UNKNOWN),
        Latest::default(),
    )));
    let (bad, lines, read_again) = match activity.csv() {
        Some(csv) => match csv_records::fold(csv, &rules, &table) {
            Ok((bad, lines, read_again)) => (bad, Some(lines), read_again),
            Err(why) => return Ok(Err(unreadable(why))),
        },
        None => {
            let read = activity
                .opened()
                .map_err(|found| found.first().map(|p| p.to_string()).unwrap_or_default())
                .and_then(|raw| morsels::fold(raw, rules, &table).map_err(|e| e.to_string()));
            if let Err(why) = read {
                return Ok(Err(unreadable(why)));
            }
            (std::mem::take(&mut *lock(&bad)?), None, None)
        }
    };
    let (pairs, latest) = std::mem::replace(
        &mut *lock(&table)?,
        (PairTable::new(0, UNKNOWN), Latest::default()),
    );
    let by_pair = pairs.into_frame()?;
    let rows = by_pair.column("rows")?.u64()?.sum().unwrap_or(0) + bad.rows();
    let latest = latest.0.max(bad.latest);
    let set_aside = match bad.settle(activity.display(), lines.as_ref(), rows, limits) {
        Ok(set_aside) => set_aside,
        Err(problems) => return Ok(Err(problems)),
    };
    tracing::debug!(
        pairs = by_pair.height(),
        set_aside = set_aside.rows,
        ms = started.elapsed().as_millis() as u64,
        "activity checked and folded in one pass"
    );
    Ok(Ok(Folded {
        by_pair,
        rows,
        latest: latest.and_then(days_to_date),
        set_aside,
        read_again,
    }))
}

/// `mutex`'s value, or an error naming it poisoned (a thread panicked).
fn lock<T>(mutex: &Mutex<T>) -> PolarsResult<std::sync::MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| polars_err!(ComputeError: "a thread of the one pass failed"))
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

/// Where each column the pass reads sits among the packing function's
/// inputs, and how it is read: natively (a Parquet date, boolean or whole
/// number) or as text, as the check reads any other type.
struct Layout {
    names: Vec<&'static str>,
    /// Each column as the pass reads it, in the order of `names`.
    inputs: Vec<Expr>,
    account: usize,
    date: usize,
    product: usize,
    site: Option<usize>,
    surface: Option<usize>,
    action: Option<usize>,
    /// With whether the column is native.
    success: Option<(usize, bool)>,
    count: Option<(usize, bool)>,
    /// Whether `date` is native (a date, or a datetime read as its date).
    native_date: bool,
    /// The contract's columns the file has, in the contract's order, with
    /// their input: the order a bad row's cells are named in.
    contract_order: Vec<(&'static str, usize)>,
}

impl Layout {
    /// `None` when a required column is missing (the loader refuses such
    /// a file first).
    fn new(columns: &BTreeMap<&'static str, DataType>) -> Option<Self> {
        let mut names = Vec::new();
        let mut inputs = Vec::new();
        let mut add = |name: &'static str, native: fn(&DataType) -> bool| {
            let dtype = columns.get(name)?;
            let is_native = native(dtype);
            inputs.push(match dtype {
                _ if is_native => col(name).cast(native_type(dtype)),
                DataType::String => col(name),
                _ => col(name).cast(DataType::String),
            });
            names.push(name);
            Some((names.len() - 1, is_native))
        };
        let text = |_: &DataType| false;
        let account = add("account_id", text)?.0;
        let (date, native_date) = add("date", |d| {
            matches!(d, DataType::Date | DataType::Datetime(..))
        })?;
        let product = add("product", text)?.0;
        let site = add("site", text).map(|(i, _)| i);
        let surface = add("surface", text).map(|(i, _)| i);
        let action = add("action", text).map(|(i, _)| i);
        let success = add("success", |d| *d == DataType::Boolean);
        let count = add("count", DataType::is_integer);
        let contract_order = Table::Activity
            .columns()
            .iter()
            .filter_map(|spec| Some((spec.name, names.iter().position(|n| *n == spec.name)?)))
            .collect();
        Some(Layout {
            names,
            inputs,
            account,
            date,
            product,
            site,
            surface,
            action,
            success,
            count,
            native_date,
            contract_order,
        })
    }
}

/// The type a native column is read as: a datetime as its date.
fn native_type(dtype: &DataType) -> DataType {
    match dtype {
        DataType::Datetime(..) => DataType::Date,
        other => other.clone(),
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
    /// The product named `name`, read by [`rules::product_key`]; `None`
    /// for a cell that breaks the rule.
    fn new(name: &str) -> PolarsResult<Option<Self>> {
        let Ok(name) = rules::product_key(name) else {
            return Ok(None);
        };
        Ok(Some(Product {
            code: Categories::global().mapping().insert_cat(&name)?,
            trello: name == "trello",
            name: name.into(),
        }))
    }
}

// Codes of a row's cells. An account is its number, [`UNKNOWN`] or
// [`BLANK`] (no id); a day is days since 1970-01-01 or [`NO_DAY`] (none,
// or a bad one); a product its index among the morsel's, or [`EMPTY`]; a
// site [`NO_SITE`], [`PLAIN_SITE`] (one without facts) or its index in
// `RowRules::site_facts`; an enum or a flag its index among its values,
// [`DEFAULT`] for an empty cell, or [`INVALID`].
const BLANK: u32 = UNKNOWN - 1;
const NO_DAY: i32 = i32::MIN;
const EMPTY: u32 = u32::MAX;
const NO_SITE: u32 = u32::MAX;
const PLAIN_SITE: u32 = u32::MAX - 1;
const INVALID: u8 = u8::MAX - 1;

/// Bits of word `a` that only a counted view sets.
const VIEWED: u64 = ((1u64 << (OLDER + 1)) - 1) << VIEW_MONTHS_SHIFT;

/// The pair table being filled, and the latest date met.
type Filling = Mutex<(PairTable, Latest)>;

/// Everything the readers need to code and pack a row, shared by their
/// threads.
struct RowRules {
    layout: Layout,
    /// The rows the Parquet morsels set aside (the CSV reader's threads
    /// keep their own).
    bad: Arc<Mutex<BadRows>>,
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
        bad: &Arc<Mutex<BadRows>>,
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
            bad: Arc::clone(bad),
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

    /// An account id's number, surrounding spaces aside, [`UNKNOWN`] for
    /// one missing from `accounts`, [`BLANK`] for an id of spaces (the row
    /// is set aside).
    fn account_number(&self, id: &str) -> u32 {
        if let Some(&number) = self.accounts.get(id) {
            return number;
        }
        match rules::account_rule(id) {
            Ok(id) => self.accounts.get(id).copied().unwrap_or(UNKNOWN),
            Err(_) => BLANK,
        }
    }

    /// A site's code, surrounding spaces aside: its index in `site_facts`,
    /// or [`PLAIN_SITE`]; [`NO_SITE`] for a cell of spaces.
    fn site_code(&self, site: &str) -> u32 {
        let site = site.trim();
        if site.is_empty() {
            return NO_SITE;
        }
        let known = self.sites.as_ref().and_then(|sites| sites.get(site));
        known.copied().unwrap_or(PLAIN_SITE)
    }
}
