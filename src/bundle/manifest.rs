//! `bundle.toml`, optional: what the source of a bundle does not record.
//! A bundle made by `org-insights import` from Atlassian's exports has no
//! mobile use, external users' two-step verification or policy coverage;
//! rather than show zeros that look like facts, the report shows those
//! insights as "no data".

use std::path::Path;

use serde::Deserialize;

use crate::insights::INSIGHT_TABLES;
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
}

/// Reads `bundle.toml` of `dir`; none is an empty manifest.
pub fn read(dir: &Path) -> Result<Manifest, Problem> {
    let path = dir.join(FILE);
    if !path.exists() {
        return Ok(Manifest::default());
    }
    let bad = |expected: String| Problem::file(FILE, expected);
    let text =
        std::fs::read_to_string(&path).map_err(|err| bad(format!("a readable file ({err})")))?;
    let manifest: Manifest = toml::from_str(&text)
        .map_err(|err| bad(format!("valid TOML: {}", err.to_string().trim())))?;
    for key in &manifest.not_recorded {
        if !INSIGHT_TABLES.iter().any(|(known, _)| known == key) {
            return Err(bad(format!(
                "not_recorded to name insights such as mobile_usage, not '{key}'"
            )));
        }
    }
    Ok(manifest)
}
