//! RFC 3339 times, as the audit log and the API write them.

use chrono::{DateTime, Utc};

/// An RFC 3339 time as an instant; a space (or a lower-case `t`) may stand
/// for the `T`, as RFC 3339 allows.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    // Byte 10 is ASCII in both cases, so 10 and 11 are character bounds.
    let normal = match text.as_bytes().get(10) {
        Some(b' ' | b't') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_string(),
    };
    DateTime::parse_from_rfc3339(&normal)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn times_are_read_as_rfc_3339_instants() {
        let utc = |s: &str| parse_time(s).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2026-11-02T10:15:30Z").as_deref(),
            Some("2026-11-02T10:15:30+00:00")
        );
        // An offset moves the instant, and so the UTC day.
        assert_eq!(
            parse_time("2026-11-02T00:30:00+02:00").map(|t| t.date_naive()),
            NaiveDate::from_ymd_opt(2026, 11, 1)
        );
        assert_eq!(
            utc("2026-11-02 10:15:30.123z").as_deref(),
            Some("2026-11-02T10:15:30.123+00:00")
        );
        assert_eq!(parse_time("2026-11-02"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2026-11-02é10:15:30Z"), None);
    }
}
