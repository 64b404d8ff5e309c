//! `bundle.toml`, optional: what the source of a bundle does not record.
//! A bundle made by `org-insights import` from Atlassian's exports has no
//! mobile use, external users' two-step verification or policy coverage;
//! rather than show zeros that look like facts, the report shows those
//! insights as "no data". A bundle made by `org-insights pull` from the
//! Organizations REST API also says when it was last pulled, so that a
//! report on stale data says so, and that single sign-on is not recorded.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::config::DateValue;
use crate::insight_key::InsightKey;
use crate::problems::Problem;

pub const FILE: &str = "bundle.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Where the bundle came from, in words, for the report.
    pub source: Option<String>,
    /// Insight keys whose figures the source cannot give.
    #[serde(default)]
    pub not_recorded: Vec<String>,
    /// The day (UTC) of the last successful pull from the API.
    #[serde(default, deserialize_with = "toml_date")]
    pub pulled_on: Option<NaiveDate>,
    /// The day (UTC) of the last import of Atlassian's exports.
    #[serde(default, deserialize_with = "toml_date")]
    pub imported_on: Option<NaiveDate>,
    /// The day (UTC) the managed accounts export that gave the accounts'
    /// single sign-on and two-step verification was read.
    #[serde(default, deserialize_with = "toml_date")]
    pub managed_export_on: Option<NaiveDate>,
    /// The day (UTC) the source began writing this bundle: days before it
    /// hold only the last activity of each account that its first export
    /// gave, so a daily chart shows them as "no data".
    #[serde(default, deserialize_with = "toml_date")]
    pub recorded_since: Option<NaiveDate>,
    /// What the source found worth a look, in words without names, for
    /// the report's data-quality section: a role Atlassian does not
    /// document, exports that disagree, access inferred from dates.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The full address of each site that an export named by its short
    /// name (`acme` = `acme.atlassian.net`), learned from the exports that
    /// give both, so that a site keeps one name from day to day.
    #[serde(default)]
    pub sites: BTreeMap<String, String>,
}

/// A TOML date (`2026-11-30`) or the same date quoted.
fn toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    DateValue::deserialize(d)?
        .date("a date of bundle.toml")
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Besides insight keys, `not_recorded` may name `sso`: the source does
/// not say who signs in with single sign-on, so the contract's `sso`
/// figure is null rather than zero.
pub const SSO: &str = "sso";

/// `not_recorded` may also name the security changes of the audit log: a
/// source that could not read it (no Atlassian Guard, or an API key
/// without its scope).
pub const SECURITY_CHANGES: &str = "security_changes";

impl Manifest {
    /// Whether the source records who signs in with single sign-on.
    pub fn records_sso(&self) -> bool {
        !self.not_recorded.iter().any(|key| key == SSO)
    }
}

/// The text of `bundle.toml` for `manifest`, as `import` and `pull` write it.
pub fn render(manifest: &Manifest) -> String {
    let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
    let mut text = String::from("# Written by org-insights.\n");
    if let Some(source) = &manifest.source {
        text.push_str(&format!("source = {}\n", quoted(source)));
    }
    let keys: Vec<String> = manifest.not_recorded.iter().map(|k| quoted(k)).collect();
    text.push_str(&format!("not_recorded = [{}]\n", keys.join(", ")));
    let days = [
        ("pulled_on", manifest.pulled_on),
        ("imported_on", manifest.imported_on),
        ("managed_export_on", manifest.managed_export_on),
        ("recorded_since", manifest.recorded_since),
    ];
    for (key, day) in days {
        if let Some(day) = day {
            text.push_str(&format!("{key} = {day}\n"));
        }
    }
    if !manifest.notes.is_empty() {
        let notes: Vec<String> = manifest.notes.iter().map(|n| quoted(n)).collect();
        text.push_str(&format!("notes = [\n  {},\n]\n", notes.join(",\n  ")));
    }
    // A table comes after every plain key, or TOML would read the keys
    // that follow as the table's.
    if !manifest.sites.is_empty() {
        text.push_str("\n[sites]\n");
        for (short, full) in &manifest.sites {
            text.push_str(&format!("{} = {}\n", quoted(short), quoted(full)));
        }
    }
    text
}

/// Reads `bundle.toml` of `dir`; none is an empty manifest.
pub fn read(dir: &Path) -> Result<Manifest, Problem> {
    let path = dir.join(FILE);
    if !path.exists() {
        return Ok(Manifest::default());
    }
    let bad = |expected: String| Problem::file(FILE, expected);
    if let Some(kind) = super::locate::not_a_regular_file(&path) {
        return Err(bad(format!("a regular file, not {kind}")));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|err| bad(format!("a readable file ({err})")))?;
    let manifest: Manifest = toml::from_str(&text)
        .map_err(|err| bad(format!("valid TOML: {}", err.to_string().trim())))?;
    for key in &manifest.not_recorded {
        if key != SSO && key != SECURITY_CHANGES && InsightKey::parse(key).is_none() {
            return Err(bad(format!(
                "not_recorded to name insights such as mobile_usage (or sso, or security_changes), not '{key}'"
            )));
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulled_on_is_a_toml_date_or_the_same_date_quoted() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30);
        for text in ["pulled_on = 2026-11-30", "pulled_on = \"2026-11-30\""] {
            let manifest: Manifest = toml::from_str(text).unwrap();
            assert_eq!(manifest.pulled_on, day, "{text}");
        }
        let err = toml::from_str::<Manifest>("pulled_on = \"yesterday\"").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
        let written = render(&Manifest {
            source: Some("the API".into()),
            not_recorded: vec![SSO.into()],
            pulled_on: day,
            recorded_since: NaiveDate::from_ymd_opt(2026, 11, 1),
            ..Manifest::default()
        });
        let read: Manifest = toml::from_str(&written).unwrap();
        assert_eq!(read.pulled_on, day);
        assert_eq!(read.recorded_since, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(read.imported_on, None);
    }

    #[test]
    fn notes_and_sites_read_back_as_written() {
        let sites = BTreeMap::from([
            ("acme".to_string(), "acme.atlassian.net".to_string()),
            ("acme-eu".to_string(), "acme-eu.atlassian.net".to_string()),
        ]);
        let notes = vec!["A role \"Approver\", with a quote".to_string()];
        let written = render(&Manifest {
            imported_on: NaiveDate::from_ymd_opt(2026, 12, 1),
            notes: notes.clone(),
            sites: sites.clone(),
            ..Manifest::default()
        });
        let read: Manifest = toml::from_str(&written).unwrap();
        assert_eq!(read.sites, sites);
        assert_eq!(read.notes, notes);
        assert_eq!(read.imported_on, NaiveDate::from_ymd_opt(2026, 12, 1));
    }
}
