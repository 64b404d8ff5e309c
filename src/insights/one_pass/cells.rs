//! Reading the cells of an activity row in the one pass: each column's
//! cells turned into the codes the fold packs (a day, a product, a site,
//! an enum, a flag), a cell that is not in its canonical form reported as
//! such, and a count checked.

use polars::prelude::*;

use super::*;

/// [`repeated_text`] of an optional column: `empty` for every row when
/// the file does not have it.
pub(super) fn optional_text<'a, T: Copy>(
    cells: Option<&'a Column>,
    height: usize,
    codes: &mut Vec<T>,
    empty: T,
    code: impl FnMut(&'a str) -> PolarsResult<T>,
) -> PolarsResult<()> {
    codes.clear();
    match cells {
        Some(cells) => repeated_text(cells.str()?, codes, empty, code),
        None => {
            codes.resize(height, empty);
            Ok(())
        }
    }
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
    mut code: impl FnMut(&'a str) -> PolarsResult<T>,
) -> PolarsResult<()> {
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
                    let found = if text.is_empty() { empty } else { code(text)? };
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
    Ok(())
}

/// Whether row `row` has no cell at all (polars reads a blank line so).
pub(super) fn blank(cells: &[Column], row: usize) -> bool {
    cells
        .iter()
        .all(|column| column.get(row).is_ok_and(|v| v.is_null()))
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

/// Each row's date as days since 1970-01-01, [`NO_DAY`] for an empty cell
/// (which only a blank line may have).
pub(super) fn days(cells: &Column, native: bool, days: &mut Vec<i32>) -> PolarsResult<()> {
    days.clear();
    if native {
        let dates = cells.date()?.physical();
        days.extend(dates.iter().map(|day| day.unwrap_or(NO_DAY)));
        return Ok(());
    }
    repeated_text(cells.str()?, days, NO_DAY, day_code)
}

/// A date as days since 1970-01-01, surrounding spaces aside; refused
/// unless written YYYY-MM-DD.
pub(super) fn day_code(cell: &str) -> PolarsResult<i32> {
    canonical::day(cell.trim()).ok_or_else(|| not_canonical("date"))
}

/// The products met in a morsel, and each row's index among them
/// ([`EMPTY`] for none, which only a blank line may have).
pub(super) fn products(cells: &StringChunked, codes: &mut Vec<u32>) -> PolarsResult<Vec<Product>> {
    codes.clear();
    let mut products = Vec::new();
    repeated_text(cells, codes, EMPTY, |name| {
        products.push(Product::new(name)?);
        Ok((products.len() - 1) as u32)
    })?;
    Ok(products)
}

/// Each row's position in `values`, [`DEFAULT`] for an empty cell and for
/// every row without the column.
pub(super) fn enum_codes(
    cells: Option<&Column>,
    values: &[&str],
    height: usize,
    codes: &mut Vec<u8>,
) -> PolarsResult<()> {
    let column = cells.map_or("", |cells| cells.name().as_str());
    optional_text(cells, height, codes, DEFAULT, |cell| {
        enum_code(cell, values, column)
    })
}

/// A value's position in `values` (those of `column`), in any case and
/// surrounding spaces aside, as the contract reads an enum; [`DEFAULT`]
/// for a cell of spaces; refused if absent.
pub(super) fn enum_code(cell: &str, values: &[&str], column: &str) -> PolarsResult<u8> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(DEFAULT);
    }
    match values.iter().position(|v| v.eq_ignore_ascii_case(cell)) {
        Some(code) => Ok(code as u8),
        None => Err(not_canonical(column)),
    }
}

/// Each row's flag (0 or 1), [`DEFAULT`] for an empty cell and for every
/// row without the column.
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
        Some((cells, false)) => repeated_text(cells.str()?, codes, DEFAULT, flag_code)?,
    }
    Ok(())
}

/// A flag as 0 or 1, in any of the contract's spellings and any case,
/// surrounding spaces aside; [`DEFAULT`] for a cell of spaces; refused
/// otherwise.
pub(super) fn flag_code(cell: &str) -> PolarsResult<u8> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(DEFAULT);
    }
    canonical::flag(&cell.to_ascii_lowercase())
        .map(u8::from)
        .ok_or_else(|| not_canonical("success"))
}

/// Counts are not part of any figure, but each must be a whole number of
/// at least [`MIN_COUNT`].
pub(super) fn check_counts(cells: &Column, native: bool) -> PolarsResult<()> {
    let canonical = if native {
        let counts = cells.cast(&DataType::Int64)?;
        let mut numbers = counts.i64()?.iter();
        numbers.all(|n| n.is_none_or(|n| n >= MIN_COUNT))
    } else {
        cells
            .str()?
            .iter()
            .all(|cell| cell.is_none_or(count_is_canonical))
    };
    if canonical {
        Ok(())
    } else {
        Err(not_canonical("count"))
    }
}

/// Whether a count written as text is empty or canonical.
pub(super) fn count_is_canonical(cell: &str) -> bool {
    let cell = cell.trim();
    cell.is_empty() || canonical::count(cell, MIN_COUNT.unsigned_abs())
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
            Ok(names.len() as u32 - 1)
        })
        .unwrap();
        assert_eq!(codes, [0, 1]);
        assert_eq!(
            names,
            ["acme-east.atlassian.net", "acme-west.atlassian.net"]
        );
    }
}
