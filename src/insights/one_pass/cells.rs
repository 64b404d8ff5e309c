//! A Parquet morsel's cells coded column by column for the fold (a day, a
//! product, a site, an enum, a flag, whether a count keeps its row), each
//! by its rule of [`super::rules`], once per distinct value; a bad cell
//! gets a code that sets its row aside.

use polars::prelude::*;

use super::*;
use crate::bundle::activity_rules::*;
use crate::bundle::raw::RawTable;
use crate::bundle::spec::MIN_COUNT;

/// [`repeated_text`] of an optional column: `empty` for every row when
/// the file does not have it.
pub(super) fn optional_text<'a, T: Copy>(
    cells: Option<&'a Column>,
    height: usize,
    codes: &mut Vec<T>,
    empty: T,
    code: impl FnMut(&'a str) -> T,
) -> PolarsResult<()> {
    codes.clear();
    match cells {
        Some(cells) => repeated_text(cells.str()?, codes, empty, code),
        None => codes.resize(height, empty),
    }
    Ok(())
}

/// The most distinct cells of a morsel whose codes are kept by their view.
pub(super) const VIEW_CACHE: usize = 4096;

/// The codes of a column whose values repeat (products, sites, enums,
/// dates as text): `code` runs once per distinct value of the morsel, and
/// most cells are found by their 16-byte view (a short string inline, or
/// where a longer one sits), without hashing or comparing their text.
/// An empty cell or empty text gets `empty`.
///
/// A view longer than 12 bytes names its text by buffer and offset, which
/// only one array tells apart: the view cache is per array, the text
/// cache per column.
pub(super) fn repeated_text<'a, T: Copy>(
    cells: &'a StringChunked,
    codes: &mut Vec<T>,
    empty: T,
    mut code: impl FnMut(&'a str) -> T,
) {
    let mut by_text: PlHashMap<&'a str, T> = PlHashMap::new();
    for array in cells.downcast_iter() {
        let mut by_view: PlHashMap<u128, T> = PlHashMap::new();
        for (cell, view) in array.iter().zip(array.views().iter()) {
            let Some(text) = cell else {
                codes.push(empty);
                continue;
            };
            let key = view.as_u128();
            if let Some(&known) = by_view.get(&key) {
                codes.push(known);
                continue;
            }
            let found = match by_text.get(text) {
                Some(&found) => found,
                None => {
                    let found = if text.is_empty() { empty } else { code(text) };
                    by_text.insert(text, found);
                    found
                }
            };
            if by_view.len() < VIEW_CACHE {
                by_view.insert(key, found);
            }
            codes.push(found);
        }
    }
}

/// `sites`' facts, and the index of each site among them.
pub(super) fn site_facts(facts: &SiteFacts) -> (PlHashMap<String, u32>, Vec<SiteFact>) {
    let mut index: PlHashMap<String, u32> = PlHashMap::new();
    let mut sites: Vec<SiteFact> = Vec::new();
    let mut fact = |site: &String| -> usize {
        let at = *index.entry(site.clone()).or_insert_with(|| {
            sites.push(SiteFact::default());
            (sites.len() - 1) as u32
        });
        at as usize
    };
    let rovo: Vec<usize> = facts.rovo_sites.iter().map(&mut fact).collect();
    let trello: Vec<(u32, usize)> = facts
        .trello_sites_by_plan
        .iter()
        .flat_map(|(rank, set)| set.iter().map(move |site| (*rank, site)))
        .map(|(rank, site)| (rank, fact(site)))
        .collect();
    let ai: Vec<(&String, usize)> = facts
        .ai_sites_by_product
        .iter()
        .flat_map(|(product, set)| set.iter().map(move |site| (product, site)))
        .map(|(product, site)| (product, fact(site)))
        .collect();
    for at in rovo {
        sites[at].rovo = true;
    }
    for (rank, at) in trello {
        sites[at].trello_rank = sites[at].trello_rank.max(rank);
    }
    for (product, at) in ai {
        sites[at].ai_products.push(product.clone());
    }
    (index, sites)
}

/// Each row's date as days since 1970-01-01, [`NO_DAY`] for an empty or
/// bad cell (either sets the row aside).
pub(super) fn days(cells: &Column, native: bool, days: &mut Vec<i32>) -> PolarsResult<()> {
    days.clear();
    if native {
        let dates = cells.date()?.physical();
        days.extend(dates.iter().map(|day| day.unwrap_or(NO_DAY)));
        return Ok(());
    }
    repeated_text(cells.str()?, days, NO_DAY, |cell| {
        day_code(cell).unwrap_or(NO_DAY)
    });
    Ok(())
}

/// The products met in a morsel, and each row's index among them
/// ([`EMPTY`] for none, or a cell of spaces: the row is set aside).
pub(super) fn products(cells: &StringChunked, codes: &mut Vec<u32>) -> PolarsResult<Vec<Product>> {
    codes.clear();
    let mut products = Vec::new();
    let mut failed = None;
    repeated_text(cells, codes, EMPTY, |name| match Product::new(name) {
        Ok(Some(product)) => {
            products.push(product);
            (products.len() - 1) as u32
        }
        Ok(None) => EMPTY,
        Err(err) => {
            failed = Some(err);
            EMPTY
        }
    });
    match failed {
        Some(err) => Err(err),
        None => Ok(products),
    }
}

/// Each row's position in `values`, [`DEFAULT`] for an empty cell and for
/// every row without the column, [`INVALID`] for a bad one.
pub(super) fn enum_codes(
    cells: Option<&Column>,
    values: &[&str],
    height: usize,
    codes: &mut Vec<u8>,
) -> PolarsResult<()> {
    optional_text(cells, height, codes, DEFAULT, |cell| {
        enum_code(cell, values).unwrap_or(INVALID)
    })
}

/// Each row's flag (0 or 1), [`DEFAULT`] for an empty cell and for every
/// row without the column, [`INVALID`] for a bad one.
pub(super) fn flags(
    cells: Option<(&Column, bool)>,
    height: usize,
    codes: &mut Vec<u8>,
) -> PolarsResult<()> {
    codes.clear();
    match cells {
        None => codes.resize(height, DEFAULT),
        Some((cells, true)) => codes.extend(
            cells
                .bool()?
                .iter()
                .map(|flag| flag.map_or(DEFAULT, u8::from)),
        ),
        Some((cells, false)) => repeated_text(cells.str()?, codes, DEFAULT, |cell| {
            flag_code(cell).unwrap_or(INVALID)
        }),
    }
    Ok(())
}

/// Whether each row's count keeps it (1) or sets it aside (0); every row
/// keeps it without the column.
pub(super) fn counts(
    cells: Option<(&Column, bool)>,
    height: usize,
    kept: &mut Vec<u8>,
) -> PolarsResult<()> {
    kept.clear();
    match cells {
        None => kept.resize(height, 1),
        Some((cells, true)) => {
            let counts = cells.cast(&DataType::Int64)?;
            let counts = counts.i64()?.iter();
            kept.extend(counts.map(|n| u8::from(n.is_none_or(|n| n >= MIN_COUNT))));
        }
        Some((cells, false)) => repeated_text(cells.str()?, kept, 1, |cell| {
            u8::from(count_rule(cell).is_ok())
        }),
    }
    Ok(())
}

/// The latest valid date of a Parquet activity, as days since 1970-01-01
/// (a bad date is left out: its row is set aside).
pub(super) fn latest_parquet_date(raw: &RawTable) -> PolarsResult<Option<i32>> {
    let latest = match raw.columns.get("date") {
        Some(DataType::Date | DataType::Datetime(..)) => col("date").cast(DataType::Date),
        Some(_) => col("date").cast(DataType::String).map_with_fmt_str(
            |cells: Column| {
                let days = cells.str()?.iter().map(|cell| day_code(cell?).ok());
                Ok(Column::new(cells.name().clone(), days.collect::<Vec<_>>()))
            },
            |_, field| Ok(Field::new(field.name().clone(), DataType::Int32)),
            "valid_day",
        ),
        None => return Ok(None),
    };
    let scan = raw
        .cells
        .clone()
        .select([latest.max().cast(DataType::Int32).alias("latest")]);
    let found = LazyFrame::collect_all_with_engine(
        vec![scan.logical_plan],
        Engine::Streaming,
        OptFlags::default(),
    )?;
    match found.first() {
        Some(found) => Ok(found.column("latest")?.i32()?.get(0)),
        None => Ok(None),
    }
}

/// A cell of a morsel as text, as the check shows it: empty for none.
pub(super) fn cell_text(cells: &Column, row: usize) -> String {
    match cells.get(row) {
        Ok(AnyValue::Null) | Err(_) => String::new(),
        Ok(AnyValue::String(text)) => text.to_string(),
        Ok(AnyValue::StringOwned(text)) => text.to_string(),
        Ok(value) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_equal_length_and_prefix_in_two_chunks_keep_their_own_codes() {
        // Longer than 12 bytes, same length, same first four bytes, each
        // at offset 0 of buffer 0 of its own chunk: equal views.
        let first = StringChunked::from_slice("site".into(), &["acme-east.atlassian.net"]);
        let second = StringChunked::from_slice("site".into(), &["acme-west.atlassian.net"]);
        let mut both = first.clone();
        both.append(&second).unwrap();
        assert_eq!(both.chunks().len(), 2);
        let mut codes: Vec<u32> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        repeated_text(&both, &mut codes, u32::MAX, |text| {
            names.push(text.to_string());
            names.len() as u32 - 1
        });
        assert_eq!(codes, [0, 1]);
        assert_eq!(
            names,
            ["acme-east.atlassian.net", "acme-west.atlassian.net"]
        );
    }
}
