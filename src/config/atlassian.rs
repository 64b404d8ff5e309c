//! `[atlassian]`: where `pull`, `reclaim` and `tokens` reach the
//! organization, checked at start.

use serde::Deserialize;

use super::{https_or_loopback, secret_from_env, DateValue};
use crate::problems::{BadInput, Expected};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAtlassian {
    org_id: Option<String>,
    api_key_env: Option<String>,
    base_url: Option<String>,
    key_expires: Option<DateValue>,
    events_days: Option<u32>,
}

/// The variable that holds the org API key when `api_key_env` is not set.
pub const DEFAULT_API_KEY_ENV: &str = "ATLASSIAN_ADMIN_API_KEY";
/// Atlassian's API gateway.
pub const DEFAULT_BASE_URL: &str = "https://api.atlassian.com";

/// `[atlassian]`: where `pull` reads the organization. The key itself is
/// never stored here: it is read from the environment when a pull starts.
#[derive(Debug, Clone)]
pub struct AtlassianConfig {
    /// `None`: the one organization the key sees.
    pub org_id: Option<String>,
    pub api_key_env: String,
    pub base_url: reqwest::Url,
    /// When the key expires: a finding from 30 days before.
    pub key_expires: Option<chrono::NaiveDate>,
    /// How far back the first pull reads the audit log (Atlassian keeps
    /// 180 days); later pulls continue from the last event kept.
    pub events_days: u32,
}

/// `[atlassian] events_days` when it is not set: all that Atlassian keeps.
pub const DEFAULT_EVENTS_DAYS: u32 = 180;

impl AtlassianConfig {
    /// The org API key from the environment; a missing or empty variable
    /// is an error at start (exit code 2).
    pub fn api_key(&self) -> Result<String, BadInput> {
        secret_from_env(
            &self.api_key_env,
            "the Atlassian org API key",
            "[atlassian] api_key_env",
        )
        .map(|key| key.trim().to_string())
    }
}

pub(super) fn atlassian_config(raw: RawAtlassian) -> Result<AtlassianConfig, Expected> {
    // The key travels in a header: never in clear text over a network.
    let base_url = https_or_loopback(
        raw.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        "[atlassian] base_url",
    )?;
    let org_id = raw.org_id.map(|id| id.trim().to_string());
    if org_id.as_deref() == Some("") {
        return Err(Expected::from("[atlassian] org_id to be an organization id, or left out when the key sees one organization".to_string()));
    }
    let key_expires = raw
        .key_expires
        .map(|value| value.date("[atlassian] key_expires"))
        .transpose()?;
    Ok(AtlassianConfig {
        org_id,
        api_key_env: raw
            .api_key_env
            .unwrap_or_else(|| DEFAULT_API_KEY_ENV.to_string()),
        base_url,
        key_expires,
        events_days: match raw.events_days {
            Some(0) => {
                return Err(Expected::from(
                    "[atlassian] events_days to be a number of days of at least 1".to_string(),
                ))
            }
            days => days.unwrap_or(DEFAULT_EVENTS_DAYS),
        },
    })
}
