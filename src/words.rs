//! The small pieces of wording that the page, the digest, the advice and
//! the error messages share, each in one place so that they agree: nouns
//! that follow their counts, long values cut short, signed changes of a
//! figure, and CSV header names as they are matched.

use serde::Serialize;

/// A percentage as the files write it: one decimal, empty when none.
pub fn format_percent(value: Option<f64>) -> String {
    value.map(|p| format!("{p:.1}")).unwrap_or_default()
}

/// `one` for a count of 1, else `many`.
pub fn plural<'a>(count: u64, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// "1 account", "2 accounts": a count and its noun (a regular plural).
pub fn count_of(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `text` cut to at most `keep` characters, an ellipsis marking the cut.
pub fn shorten(text: &str, keep: usize) -> String {
    if text.chars().count() <= keep {
        text.to_string()
    } else {
        let head: String = text.chars().take(keep.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// A CSV header name as it is matched: without a byte-order mark,
/// trimmed and lower-cased.
pub fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Which way a figure moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
    Same,
}

/// A figure's change, as every output writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Signed and with its unit: "+12", "−3", "+1.5 pts", "no change".
    pub text: String,
    pub direction: Direction,
}

/// The change `delta` of a count or, with `percent`, of a percentage (in
/// points, one decimal).
pub fn change(delta: f64, percent: bool) -> Change {
    // Percentages have one decimal; rounding here drops float noise.
    let delta = (delta * 10.0).round() / 10.0;
    let direction = if delta > 0.0 {
        Direction::Up
    } else if delta < 0.0 {
        Direction::Down
    } else {
        Direction::Same
    };
    let magnitude = if percent {
        format!("{:.1} pts", delta.abs())
    } else {
        format!("{}", delta.abs() as u64)
    };
    let text = match direction {
        Direction::Up => format!("+{magnitude}"),
        Direction::Down => format!("\u{2212}{magnitude}"),
        Direction::Same => "no change".to_string(),
    };
    Change { text, direction }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count_of(1, "account"), "1 account");
        assert_eq!(count_of(0, "account"), "0 accounts");
        assert_eq!(plural(1, "user has", "users have"), "user has");
        assert_eq!(plural(2, "user has", "users have"), "users have");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        assert_eq!(shorten("acme", 4), "acme");
        assert_eq!(shorten("acme.atlassian.net", 5), "acme…");
        assert_eq!(shorten("Zoë Ünïcode", 4), "Zoë…");
    }

    #[test]
    fn header_names_lose_their_bom_case_and_padding() {
        assert_eq!(header_key("\u{feff} User ID "), "user id");
    }

    #[test]
    fn changes_are_signed_with_their_unit() {
        assert_eq!(change(3.0, false).text, "+3");
        assert_eq!(change(-3.0, false).text, "\u{2212}3");
        assert_eq!(change(8.3, true).text, "+8.3 pts");
        assert_eq!(change(0.04, true).text, "no change");
        assert_eq!(change(0.0, false).direction, Direction::Same);
        assert_eq!(change(-0.25, true).direction, Direction::Down);
    }
}
