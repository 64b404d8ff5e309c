//! Whether a report's data, and the key that brings it, are current. A
//! bundle pulled from the API says when (`pulled_on` in bundle.toml): a
//! report made on an older pull, because today's failed, says how old its
//! data is at the top of the page and of the digest, and so does an org API
//! key about to expire. Stale data is never silent.

use chrono::NaiveDate;

use crate::bundle::manifest::{Manifest, SECURITY_CHANGES, SSO};
use crate::insight_key::InsightKey;
use crate::insights;
use crate::support::words::plural;

/// An org API key expiring within this many days is a finding.
pub const KEY_WARNING_DAYS: i64 = 30;

/// When the org API key expires, and the variable that holds it.
#[derive(Debug, Clone)]
pub struct KeyExpiry {
    pub expires: NaiveDate,
    pub env: String,
}

/// What a report says about where its data comes from and how old it is.
#[derive(Debug, Clone, Default)]
pub struct Freshness {
    /// "Data pulled from … on …", for a pulled bundle.
    pub source: Option<String>,
    /// What needs attention: stale data, a key about to expire.
    pub notices: Vec<String>,
    /// "Not recorded by …: …", when the source names what it cannot give.
    pub not_recorded: Option<String>,
}

/// What a bundle.toml key stands for, in the digest's words.
fn unrecorded_words(key: &str) -> &str {
    match InsightKey::parse(key) {
        Some(insight) => insights::noun(insight),
        None if key == SSO => "single sign-on",
        None if key == SECURITY_CHANGES => "security changes of the audit log",
        None => key,
    }
}

/// The freshness of a bundle described by `manifest`, seen on `today`
/// (UTC, the day a pull is dated by).
pub fn assess(manifest: &Manifest, key: Option<&KeyExpiry>, today: NaiveDate) -> Freshness {
    let mut freshness = Freshness::default();
    if !manifest.not_recorded.is_empty() {
        let words: Vec<&str> = manifest
            .not_recorded
            .iter()
            .map(|k| unrecorded_words(k))
            .collect();
        freshness.not_recorded = Some(format!(
            "Not recorded by {}, so shown as no data: {}.",
            manifest
                .source
                .as_deref()
                .unwrap_or("the source of this bundle"),
            words.join(", ")
        ));
    }
    let mut sources = Vec::new();
    if let Some(pulled_on) = manifest.pulled_on {
        let source = manifest.source.as_deref().unwrap_or("Atlassian's API");
        sources.push(format!("Data pulled from {source} on {pulled_on}."));
        let age = (today - pulled_on).num_days();
        if age > 0 {
            freshness.notices.push(format!(
                "The data is {age} {} old: the last successful pull from Atlassian's API was on {pulled_on}. See the log of the scheduled job for why later pulls failed.",
                plural(age as u64, "day", "days")
            ));
        }
    } else if let Some(imported_on) = manifest.imported_on {
        let source = manifest.source.as_deref().unwrap_or("Atlassian's exports");
        sources.push(format!("Data imported from {source} on {imported_on}."));
        let age = (today - imported_on).num_days();
        if age > 0 {
            freshness.notices.push(format!(
                "The newest export is {age} {} old: nothing was imported since {imported_on}. Save a new users export (admin.atlassian.com > Directory > Users > Export users) into the drop folder, or run org-insights import.",
                plural(age as u64, "day", "days")
            ));
        }
    }
    if let Some(day) = manifest.managed_export_on {
        let recorded = !manifest
            .not_recorded
            .iter()
            .any(|k| k == InsightKey::ManagedAuthentication.as_str());
        if recorded {
            sources.push(format!(
                "SSO and 2SV as of the managed accounts export of {day}."
            ));
        } else {
            freshness.notices.push(format!(
                "The last managed accounts export, of {day}, is older than [import] managed_max_age_days, so single sign-on and two-step verification are not recorded: export the managed accounts again (admin.atlassian.com > Directory > Managed accounts > Export accounts)."
            ));
        }
    }
    if !sources.is_empty() {
        freshness.source = Some(sources.join(" "));
    }
    if let Some(key) = key {
        let left = (key.expires - today).num_days();
        if left < 0 {
            freshness.notices.push(format!(
                "The Atlassian org API key expired on {}: pulls fail until a new key (admin.atlassian.com, Settings > API keys) is in {} and [atlassian] key_expires is updated.",
                key.expires, key.env
            ));
        } else if left <= KEY_WARNING_DAYS {
            freshness.notices.push(format!(
                "The Atlassian org API key expires on {} (in {left} {}): create a new key in admin.atlassian.com (Settings > API keys), put it in {} and update [atlassian] key_expires.",
                key.expires,
                plural(left as u64, "day", "days"),
                key.env
            ));
        }
    }
    freshness
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn pulled(source: Option<&str>, on: Option<NaiveDate>) -> Manifest {
        Manifest {
            source: source.map(String::from),
            pulled_on: on,
            ..Manifest::default()
        }
    }

    #[test]
    fn a_pull_of_today_is_fresh_and_an_older_one_says_its_age() {
        let today = day("2026-11-30");
        let fresh = assess(&pulled(Some("the API"), Some(today)), None, today);
        assert_eq!(
            fresh.source.as_deref(),
            Some("Data pulled from the API on 2026-11-30.")
        );
        assert!(fresh.notices.is_empty());
        let stale = assess(&pulled(None, Some(day("2026-11-27"))), None, today);
        assert!(
            stale.notices[0].starts_with("The data is 3 days old"),
            "{:?}",
            stale.notices
        );
        let one = assess(&pulled(None, Some(day("2026-11-29"))), None, today);
        assert!(one.notices[0].starts_with("The data is 1 day old"));
        assert!(assess(&pulled(None, None), None, today).source.is_none());
    }

    #[test]
    fn the_key_is_a_finding_from_thirty_days_before_it_expires() {
        let key = KeyExpiry {
            expires: day("2026-12-30"),
            env: "ATLASSIAN_ADMIN_API_KEY".into(),
        };
        let on = |today| assess(&Manifest::default(), Some(&key), day(today)).notices;
        assert!(on("2026-11-29").is_empty());
        assert!(on("2026-11-30")[0].contains("expires on 2026-12-30 (in 30 days)"));
        assert!(on("2026-12-29")[0].contains("(in 1 day)"));
        assert!(on("2026-12-30")[0].contains("(in 0 days)"));
        assert!(on("2026-12-31")[0].contains("expired on 2026-12-30"));
    }

    #[test]
    fn what_the_source_cannot_give_is_named() {
        let manifest = Manifest {
            source: Some("the API".into()),
            not_recorded: vec!["mobile_usage".into(), "sso".into()],
            ..Manifest::default()
        };
        let today = day("2026-11-30");
        assert_eq!(
            assess(&manifest, None, today).not_recorded.as_deref(),
            Some("Not recorded by the API, so shown as no data: mobile app use, single sign-on.")
        );
        assert!(assess(&Manifest::default(), None, today)
            .not_recorded
            .is_none());
    }
}
