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

/// "1 account", "2,500 accounts": a count and its noun (a regular plural).
pub fn count_of(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", thousands(count))
    }
}

/// A count as people read it: 76176 -> "76,176".
pub fn thousands(count: u64) -> String {
    group_digits(&count.to_string())
}

/// A figure written as text, with separators in its whole part
/// ("76176" -> "76,176", "1234.5" -> "1,234.5"); any other text as it is.
/// The page and the digest show figures through this; insights.json,
/// history.csv and the data CSVs keep them plain.
pub fn readable(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix(['-', '+', '\u{2212}']) {
        Some(rest) => (&text[..text.len() - rest.len()], rest),
        None => ("", text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return text.to_string();
    }
    match fraction {
        Some(fraction) => format!("{sign}{}.{fraction}", group_digits(whole)),
        None => format!("{sign}{}", group_digits(whole)),
    }
}

/// Digits with a comma before each group of three from the right.
fn group_digits(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A product key in Atlassian's words ("jira-service-management" ->
/// "Jira Service Management"), for the page, the charts and the digest;
/// insights.json and the CSVs keep the key. A key not listed is shown as
/// it is.
pub fn product_name(key: &str) -> String {
    let name = match key {
        "jira" => "Jira",
        "confluence" => "Confluence",
        "jira-service-management" => "Jira Service Management",
        "jira-product-discovery" => "Jira Product Discovery",
        "jira-work-management" => "Jira Work Management",
        "trello" => "Trello",
        "opsgenie" => "Opsgenie",
        "loom" => "Loom",
        "bitbucket" => "Bitbucket",
        "statuspage" => "Statuspage",
        "compass" => "Compass",
        "atlas" => "Atlas",
        "rovo" => "Rovo",
        "focus" => "Focus",
        "guard" => "Atlassian Guard",
        other => return other.to_string(),
    };
    name.to_string()
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
        thousands(delta.abs() as u64)
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
    fn figures_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(76176), "76,176");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(readable("98986"), "98,986");
        assert_eq!(readable("1234.5"), "1,234.5");
        assert_eq!(readable("−1234"), "−1,234");
        assert_eq!(readable("+12000"), "+12,000");
        assert_eq!(readable("12.5"), "12.5");
        assert_eq!(readable(""), "");
        assert_eq!(readable("acme.com"), "acme.com");
        assert_eq!(readable("2026-11-30"), "2026-11-30");
        assert_eq!(readable("1.2.3"), "1.2.3");
        assert_eq!(count_of(2500, "account"), "2,500 accounts");
        assert_eq!(change(-1234.0, false).text, "−1,234");
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count_of(1, "account"), "1 account");
        assert_eq!(count_of(0, "account"), "0 accounts");
        assert_eq!(plural(1, "user has", "users have"), "user has");
        assert_eq!(plural(2, "user has", "users have"), "users have");
    }

    #[test]
    fn product_keys_read_as_atlassian_names_and_unknown_ones_as_they_are() {
        assert_eq!(
            product_name("jira-service-management"),
            "Jira Service Management"
        );
        assert_eq!(
            product_name("jira-product-discovery"),
            "Jira Product Discovery"
        );
        assert_eq!(product_name("confluence"), "Confluence");
        assert_eq!(product_name("acme-wiki"), "acme-wiki");
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
