//! Carrying out a token plan through Atlassian's API. Before anything is
//! sent: the ledger is locked and read, the organization's tokens are read
//! again, and an intent a crash left without its outcome is settled by
//! that read. Then, for each token of the plan within `max_per_run`: skip
//! it when it is no longer live or was used since the plan, else record the
//! intent, send one DELETE, and record what happened. A lost answer is
//! settled by reading the tokens again, never by sending the DELETE blindly.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use chrono::Utc;
use reqwest::Method;

use super::ledger::{self, last_phase, Entry, Ledger, Phase};
use super::Planned;
use crate::config::{AtlassianConfig, Tokens};
use crate::pull::api::{self, ApiToken};
use crate::pull::client::{Changed, Client};
use crate::pull::{org_id, utc_day, PullError};
use crate::reclaim::ActError;
use crate::support::blocking;

/// DELETEs of one token whose answers were lost, at most.
const ATTEMPTS: u32 = 3;

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Tokens revoked, as `label (owner)`.
    pub revoked: Vec<String>,
    /// Tokens of the plan passed over, and why.
    pub skipped: Vec<(String, String)>,
}

struct Session<'a> {
    client: Client,
    org_id: String,
    ledger: Ledger,
    plan: String,
    tokens: &'a [Planned],
}

pub fn apply(
    planned: &[Planned],
    plan_file: &Path,
    settings: &Tokens,
    atlassian: &AtlassianConfig,
    key: &str,
    folder: &Path,
) -> Result<Done, ActError> {
    let ledger = ledger::lock(folder)?;
    let entries = ledger.entries()?;
    let plan = plan_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let run = async {
        let client = Client::new(atlassian.base_url.clone(), key, &atlassian.api_key_env)?;
        let org_id = org_id(&client, atlassian).await?;
        let session = Session {
            client,
            org_id,
            ledger,
            plan,
            tokens: planned,
        };
        session.run(&entries, settings.max_per_run as usize).await
    };
    let done = blocking::block_on(run).context("starting the HTTP client")??;
    Ok(done)
}

impl Session<'_> {
    fn record(&self, token: &Planned, phase: Phase, detail: String) -> Result<(), PullError> {
        self.ledger
            .append(&Entry {
                at: Utc::now(),
                phase,
                token_id: token.token_id.clone(),
                account_id: token.account_id.clone(),
                label: token.label.clone(),
                owner: token.owner.clone(),
                plan: self.plan.clone(),
                detail,
            })
            .map_err(PullError::Local)
    }

    /// The organization's tokens that can be used, by id.
    async fn live_tokens(&self) -> Result<HashMap<String, ApiToken>, PullError> {
        let path = api::API_TOKENS.replace("{orgId}", &self.org_id);
        let tokens: Vec<ApiToken> = self
            .client
            .get_all_where(&path, &[("pageSize", "100")], &mut |_| {})
            .await?;
        Ok(tokens
            .into_iter()
            .filter(|t| {
                t.status
                    .as_deref()
                    .is_none_or(|s| s.trim().eq_ignore_ascii_case("allowed"))
            })
            .filter_map(|t| Some((t.id.clone()?, t)))
            .collect())
    }

    async fn run(&self, entries: &[Entry], cap: usize) -> Result<Done, PullError> {
        let mut live = self.live_tokens().await?;
        self.settle_interrupted(entries, &live)?;
        let mut done = Done::default();
        for token in self.tokens {
            let shown = format!("{} ({})", token.label, token.owner);
            match last_phase(entries, &token.token_id) {
                Some(Phase::Done | Phase::Gone) => continue,
                Some(Phase::Intent) if !live.contains_key(&token.token_id) => continue,
                _ => {}
            }
            if let Some(why) = not_to_revoke(token, live.get(&token.token_id)) {
                let phase = if live.contains_key(&token.token_id) {
                    Phase::Skipped
                } else {
                    Phase::Gone
                };
                self.record(token, phase, why.clone())?;
                done.skipped.push((token.token_id.clone(), why));
                continue;
            }
            if done.revoked.len() >= cap {
                let why = format!("over [tokens] max_per_run ({cap}): left for the next apply");
                done.skipped.push((token.token_id.clone(), why));
                continue;
            }
            self.revoke(token, &mut live).await?;
            done.revoked.push(shown);
        }
        Ok(done)
    }

    /// An intent without an outcome: the read tells whether its DELETE
    /// was carried out.
    fn settle_interrupted(
        &self,
        entries: &[Entry],
        live: &HashMap<String, ApiToken>,
    ) -> Result<(), PullError> {
        for token in self.tokens {
            if last_phase(entries, &token.token_id) != Some(Phase::Intent) {
                continue;
            }
            let (phase, detail) = if live.contains_key(&token.token_id) {
                (
                    Phase::Skipped,
                    "interrupted before its DELETE took effect: the read found the token live",
                )
            } else {
                (
                    Phase::Done,
                    "interrupted after the intent: the read found the token revoked",
                )
            };
            self.record(token, phase, detail.to_string())?;
        }
        Ok(())
    }

    /// One token: the intent, then DELETEs whose lost answers are settled
    /// by reading the tokens again.
    async fn revoke(
        &self,
        token: &Planned,
        live: &mut HashMap<String, ApiToken>,
    ) -> Result<(), PullError> {
        let path = api::REVOKE_TOKEN
            .replace("{accountId}", &token.account_id)
            .replace("{tokenId}", &token.token_id);
        self.record(token, Phase::Intent, String::new())?;
        for attempt in 1..=ATTEMPTS {
            let lost = match self.client.change_once(Method::DELETE, &path).await {
                Ok(Changed::Done) => return self.record(token, Phase::Done, String::new()),
                Ok(Changed::NotFound) => {
                    return self.record(token, Phase::Done, "404: no such token any more".into())
                }
                Ok(Changed::Conflict) => "the API answered 409 Conflict".to_string(),
                Ok(Changed::Lost(why)) => why,
                Err(err) => {
                    self.record(token, Phase::Refused, err.to_string())?;
                    return Err(err);
                }
            };
            *live = self.live_tokens().await?;
            if !live.contains_key(&token.token_id) {
                let detail =
                    format!("the answer was lost ({lost}); a read found the token revoked");
                return self.record(token, Phase::Done, detail);
            }
            tracing::warn!(token = %token.token_id, attempt, error = %lost, "a DELETE's answer was lost and the token is still live");
        }
        let detail = format!("{ATTEMPTS} DELETEs without an answer; the token is still live");
        self.record(token, Phase::Refused, detail.clone())?;
        Err(PullError::Failed {
            endpoint: path,
            detail,
        })
    }
}

/// Why a planned token is left alone: no longer live, or used since the
/// plan was read.
fn not_to_revoke(token: &Planned, now: Option<&ApiToken>) -> Option<String> {
    let Some(now) = now else {
        return Some("no longer live (revoked, expired or removed since the plan)".into());
    };
    let used = now.last_active_at.as_deref().and_then(utc_day);
    match (used, token.last_active) {
        (Some(used), Some(planned)) if used > planned => {
            Some(format!("used on {used}, after the plan"))
        }
        (Some(used), None) => Some(format!("used on {used}, after the plan")),
        _ => None,
    }
}
