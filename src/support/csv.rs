//! The CSV files the program writes for people and scripts, through the
//! `csv` crate: one place that neutralizes what a spreadsheet would run,
//! and that marks the encoding so that Excel reads it.

use anyhow::Context as _;

/// The UTF-8 byte order mark. Windows Excel reads a CSV without it in the
/// machine's code page, turning `tara.garcía@acme.com` into mojibake.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file for people: a UTF-8 BOM, then the header and the rows.
/// Cells that a spreadsheet would run as a formula get a leading
/// apostrophe (OWASP's advice for CSV injection).
pub fn csv_file(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(BOM.to_vec());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| neutralize_formula(cell)))?;
    }
    writer.into_inner().context("writing a data CSV")
}

/// `bytes` without a leading UTF-8 BOM: what the project's own CSVs are
/// read as.
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
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

    #[test]
    fn a_file_starts_with_the_bom_and_reads_back_without_it() {
        let rows = vec![vec!["tara.garcía@acme.com".to_string()]].into_iter();
        let bytes = csv_file(&["email"], rows).unwrap();
        assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(
            without_bom(&bytes),
            "email\ntara.garcía@acme.com\n".as_bytes()
        );
    }
}
