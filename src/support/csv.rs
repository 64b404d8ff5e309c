//! The CSV files the program writes for people and scripts, through the
//! `csv` crate: one place that neutralizes what a spreadsheet would run.

use anyhow::Context as _;

/// A CSV file. Cells that a spreadsheet would run as a formula get a
/// leading apostrophe (OWASP's advice for CSV injection).
pub fn csv_file(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| neutralize_formula(cell)))?;
    }
    writer.into_inner().context("writing a data CSV")
}

fn neutralize_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized() {
        assert_eq!(neutralize_formula("=1+1"), "'=1+1");
        assert_eq!(neutralize_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize_formula("-2"), "'-2");
        assert_eq!(neutralize_formula("acme.com"), "acme.com");
        assert_eq!(neutralize_formula(""), "");
    }
}
